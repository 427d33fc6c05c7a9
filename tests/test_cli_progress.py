"""Progress on stderr for long commands (cli/common.Progress on click.progressbar): when
stderr is not a terminal, a line every EDI_HIT_PROGRESS_SECONDS with the count, the
total and the rate, and a closing line; the command's output is unchanged."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from edi_hit.cli.common import Progress

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

CLI = [sys.executable, "-c", "from edi_hit.cli import main; main()"]


def run(*args, cwd):
    env = {**os.environ, "EDI_HIT_PROGRESS_SECONDS": "0.000001"}  # a line at every step
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True,
                          env=env, cwd=cwd)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress")
    (folder / "in").mkdir()
    for i in range(2):
        write_hit_837(folder / "in" / f"c{i}.837", 200, seed=i + 1)
    return folder


def test_adjudicate_parse_validate_read_835_and_batch_say_how_far_they_are(inbox):
    r = run("adjudicate", "in", "-o", "r.835", "--assume-dme-drug", cwd=inbox)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("adjudicate:")]
    # the plan counted 400 claims (2 files x 200) before the first was priced
    assert re.fullmatch(r"adjudicate: \d+/400 claims, (file [12]/2, )?[\d,]+ claims/s.*", lines[0])
    assert re.fullmatch(r"adjudicate: 400 claims in [\d.]+ s \([\d,]+ claims/s\)", lines[-1])
    r = run("parse", "in/c0.837", "-o", "c0.json", cwd=inbox)
    assert r.returncode == 0 and re.search(r"pars(e|ing): \d+ claims, [\d,]+ claims/s", r.stderr)
    r = run("validate", "in/c0.837", "in/c1.837", cwd=inbox)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^validate: 1/2 files, [\d,]+ files/s", r.stderr, re.M)
    assert re.search(r"^validate: 2 files in [\d.]+ s", r.stderr, re.M)
    assert "validate:" not in r.stdout  # the findings are on stdout, untouched
    r = run("read-835", "r.835", "-o", "r.json", cwd=inbox)
    assert r.returncode == 0 and re.search(r"^read-835: \d+ claims", r.stderr, re.M)
    r = run("batch", "in", "-o", "out", "--workers", "2", "--assume-dme-drug", cwd=inbox)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^batch: split: 2 files in [\d.]+ s", r.stderr, re.M)
    assert re.search(r"^batch: price: 8 partitions in [\d.]+ s", r.stderr, re.M)  # 2 workers x 4


def test_short_runs_stay_quiet_and_a_terminal_gets_a_bar():
    log = io.StringIO()
    with Progress("price", total=3, stream=log, every=60) as p:
        for _ in p.wrap(range(3)):
            pass
    assert log.getvalue() == ""  # done before the first line was due

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    with Progress("price", total=1000, stream=tty, every=0.0) as p:
        for _ in p.wrap(range(1000)):
            pass
    drawn = tty.getvalue()
    assert "price  [########################]  1000/1000" in drawn and "claims/s" in drawn
