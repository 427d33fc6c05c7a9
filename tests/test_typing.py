"""`mypy edi_hit` is clean, with the configuration in pyproject.toml ([tool.mypy]):
strict for the syntax layer, the 837P reader and writer, the claim model and the errors.
The package ships py.typed, so users' type checkers read its annotations."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_the_package_is_marked_typed():
    assert (ROOT / "edi_hit" / "py.typed").exists()
    assert '"py.typed"' in (ROOT / "pyproject.toml").read_text()


def test_mypy_finds_no_errors():
    # mypy is in the test extra: a missing mypy fails here rather than passing unseen
    result = subprocess.run([sys.executable, "-m", "mypy", "edi_hit"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
