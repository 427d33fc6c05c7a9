# The report's chart: deterministic inline SVG, no global matplotlib side effects, and
# one sentence naming the extra when matplotlib is missing.
from __future__ import annotations

import io
import sys
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main
from edi_hit.report import MissingExtra, write_report
from edi_hit.report.chart import paid_denied_svg
from edi_hit.x835 import read_835

matplotlib = pytest.importorskip("matplotlib")

MONTHS = ["2025-10", "2025-11"]
CATEGORIES = ["Category 1", "Category 2"]
CELLS = {("2025-10", "Category 1"): (D("117.60"), D("0")),
         ("2025-11", "Category 2"): (D("50.00"), D("300.00"))}


def test_svg_is_inline_deterministic_and_sized_by_the_page():
    svg = paid_denied_svg(MONTHS, CATEGORIES, CELLS)
    assert svg == paid_denied_svg(MONTHS, CATEGORIES, CELLS)
    assert svg.startswith("<svg ") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    head = svg[:svg.index(">")]
    assert "viewBox=" in head and " width=" not in head and " height=" not in head
    assert 'id="edi-hit-chart"' in head
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg   # no date, no creator
    # text stays text (svg.fonttype none): the panel titles and months are readable
    for label in CATEGORIES + MONTHS + ["Paid", "Denied"]:
        assert f">{label}<" in svg


def test_different_numbers_draw_a_different_chart():
    other = dict(CELLS)
    other[("2025-11", "Category 2")] = (D("50.00"), D("150.00"))
    assert paid_denied_svg(MONTHS, CATEGORIES, other) != paid_denied_svg(MONTHS, CATEGORIES, CELLS)


def test_callers_rcparams_neither_change_nor_leak_in():
    plain = paid_denied_svg(MONTHS, CATEGORIES, CELLS)
    before = dict(matplotlib.rcParams)
    with matplotlib.rc_context({"axes.facecolor": "yellow", "svg.fonttype": "path",
                                "svg.hashsalt": "other", "lines.linewidth": 9}):
        inside = dict(matplotlib.rcParams)
        assert paid_denied_svg(MONTHS, CATEGORIES, CELLS) == plain
        assert dict(matplotlib.rcParams) == inside
    assert dict(matplotlib.rcParams) == before


def _hide_matplotlib(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import matplotlib -> ImportError


def test_missing_matplotlib_is_one_sentence_naming_the_extra(monkeypatch):
    _hide_matplotlib(monkeypatch)
    with pytest.raises(MissingExtra, match=r"pip install 'edi-hit\[report\]'"):
        write_report(read_835(FIXTURES / "scenarios" / "worked_example.835"), io.StringIO())


def test_cli_without_matplotlib_one_line_exit_1_no_file(monkeypatch, tmp_path):
    _hide_matplotlib(monkeypatch)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(FIXTURES / "scenarios" / "worked_example.835"),
                                       "-o", str(out)])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "edi-hit[report]" in lines[0] and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())
