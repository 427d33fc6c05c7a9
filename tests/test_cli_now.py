# One --now for every command that stamps a date (issue 13): an ISO date or datetime,
# the same output byte for byte when it is given twice, the date where the X12 puts it;
# the old spelling --today still works, with a deprecation warning.
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edi_hit.cli import main

ROOT = Path(__file__).resolve().parent.parent
HIT = ROOT / "fixtures" / "837p" / "hit_claims.837"
CLAIMS_JSON = ROOT / "fixtures" / "837p" / "hit_claims.json"
D60_835 = ROOT / "fixtures" / "scenarios" / "day60_initial.835"

STAMPING = {
    # command line, what the stamp looks like in the output
    "adjudicate": (["adjudicate", str(HIT), "--assume-dme-drug"], "*260301*1230*"),
    "generate": (["generate", str(CLAIMS_JSON), "--sender", "ME", "--receiver", "MCR"],
                 "*260301*1230*"),
    "validate --ack": (["validate", str(HIT), "--no-tr3", "-j", "1", "-o", "{tmp}/f.txt",
                        "--ack", "-"], "*260301*1230*"),
    "report": (["report", str(D60_835)], "2026-03-01"),
}


@pytest.mark.parametrize("name", sorted(STAMPING))
def test_now_fixes_the_stamp(name, tmp_path):
    argv, stamp = STAMPING[name]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    runs = [CliRunner().invoke(main, [*argv, "--now", "2026-03-01T12:30"]) for _ in range(2)]
    assert [r.exit_code for r in runs] == [0, 0], runs[0].output
    assert runs[0].stdout == runs[1].stdout and stamp in runs[0].stdout


def test_a_date_alone_is_midnight_and_a_bad_one_is_a_usage_error():
    r = CliRunner().invoke(main, ["adjudicate", str(HIT), "--assume-dme-drug",
                                  "--now", "2026-03-01"])
    assert r.exit_code == 0 and "*260301*0000*" in r.stdout
    r = CliRunner().invoke(main, ["adjudicate", str(HIT), "--now", "01/03/2026"])
    assert r.exit_code == 2 and "expected an ISO date or datetime" in r.stderr


def test_validate_today_is_the_deprecated_spelling_of_now():
    old = CliRunner().invoke(main, ["validate", str(HIT), "--no-tr3", "-j", "1",
                                    "--today", "2026-01-01"])
    new = CliRunner().invoke(main, ["validate", str(HIT), "--no-tr3", "-j", "1",
                                    "--now", "2026-01-01"])
    assert old.exit_code == new.exit_code == 1          # dates after 2026-01-01 are "future"
    assert old.stdout == new.stdout and "(today is 2026-01-01)" in new.stdout
    assert "'today' is deprecated" in old.stderr and "deprecated" not in new.stderr
