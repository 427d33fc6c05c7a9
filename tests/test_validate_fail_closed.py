"""TR3 validation cannot be bypassed, and counts are exact whatever the listing cap."""
from __future__ import annotations

import json
import sys
from datetime import date

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, ROOT
from edi_hit.cli import main
from edi_hit.validation import validate, write_999, write_ta1

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

HIT = (FIXTURES / "837p" / "hit_claims.837").read_bytes().replace(b"\n", b"")
TODAY = date(2026, 6, 1)
ALL = (1, 2, 3, 4)


def segments(ack: bytes) -> list[str]:
    return [s.strip() for s in ack.decode().split("~") if s.strip()]


def sixteen_kb_segment() -> bytes:
    """An NTE of 8,000 short elements (16,008 characters) where the REF*G1 was: every
    element is legal on its own; pyx12 reads 8 KB ahead and stops there quietly."""
    return HIT.replace(b"REF*G1*PA20260001~", b"NTE*ADD*" + b"A*" * 8_000 + b"~")


def test_a_clean_file_is_read_to_its_end_by_pyx12():
    report = validate(HIT, levels=ALL, today=TODAY)
    assert not [i for i in report.issues if i.code == "tr3-incomplete"]


def test_the_16kb_segment_file_is_not_valid_and_its_999_rejects_with_either_engine():
    # edi-hit's own TR3 engine reads every segment: the long segment is a level-1 error
    report = validate(sixteen_kb_segment(), name="16kb.837", levels=ALL, today=TODAY)
    assert not report.ok
    assert [(i.level, i.segment_index, i.segment_id) for i in report.issues
            if i.code == "segment-length"] == [(1, 25, "NTE")]
    assert not [i for i in report.issues if i.code == "tr3-incomplete"]
    ack = segments(write_999(report, now=None))
    assert "IK5*R*5" in ack and "IK3*NTE*23*2300*8" in ack
    # pyx12 stops quietly at it: the TR3 level says it is incomplete (fail closed)
    report = validate(sixteen_kb_segment(), name="16kb.837", levels=ALL, today=TODAY,
                      engine="pyx12")
    assert not report.ok
    long = [i for i in report.issues if i.code == "segment-length"]
    incomplete = [i for i in report.issues if i.code == "tr3-incomplete"]
    assert [(i.level, i.segment_index, i.segment_id) for i in long] == [(1, 25, "NTE")]
    assert long[0].message.startswith("segment is 16,008 characters long; no 837P or 835 "
                                      "segment is longer than 4,096")
    assert [(i.severity, i.level, i.segment_index) for i in incomplete] == [("error", 2, 25)]
    assert ("pyx12 read 24 of the 74 segments and stopped at segment 25 (it is 16,008 "
            "characters long; pyx12 reads at most 8 KB ahead)") in incomplete[0].message
    ack = segments(write_999(report, now=None))
    assert "IK5*R*5" in ack and ack[-4].startswith("AK9*R*1*1*0")
    assert "IK3*NTE*23*2300*8" in ack


def test_a_16kb_element_is_refused_by_the_reader_and_the_999_rejects():
    data = HIT.replace(b"REF*G1*PA20260001~", b"NTE*ADD*" + b"A" * 16_000 + b"~")
    report = validate(data, levels=ALL, today=TODAY)
    assert not report.ok
    read = [i for i in report.issues if i.code == "x12-read"]
    assert [(i.segment_index, i.segment_id, i.element, i.element_error) for i in read] == \
        [(25, "NTE", "NTE02", "5")]
    assert "IK5*R*5" in segments(write_999(report))
    assert segments(write_ta1(report))[1].startswith("TA1*000000001*260302*0930*R*022")


def test_a_version_pyx12_has_no_map_for_fails_closed():
    report = validate(HIT.replace(b"005010X222A1", b"005010X222A2"), levels=ALL, today=TODAY)
    (incomplete,) = [i for i in report.issues if i.code == "tr3-incomplete"]
    assert incomplete.severity == "error" and "no implementation guide map" in incomplete.message


# -- exact counts ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def many_wrong_totals(tmp_path_factory):
    """1,900 claims whose CLM02 is 1.00 more than the sum of their lines (level 3)."""
    path = tmp_path_factory.mktemp("v") / "many.837"
    write_hit_837(path, 1_900, line_break=False)
    segs = path.read_bytes().rstrip(b"~").split(b"~")
    for i, seg in enumerate(segs):
        if seg.startswith(b"CLM*"):
            els = seg.split(b"*")
            els[2] = str(int(els[2]) + 1).encode()
            segs[i] = b"*".join(els)
    path.write_bytes(b"~".join(segs) + b"~")
    return path


def test_past_1000_findings_every_claim_is_still_counted(many_wrong_totals):
    report = validate(many_wrong_totals, levels=(1, 3), today=date(2028, 1, 1))
    c = report.counts()
    assert (c["claims"], c["claims_rejected"], c["errors"]) == (1_900, 1_900, 1_900)
    listed = report.to_dict()
    assert len(listed["findings"]) == 1_000
    assert any(n.startswith("900 more 'claim-total' findings not listed") for n in listed["notes"])
    assert len(report.to_dict(all_findings=True)["findings"]) == 1_900


def test_the_cli_lists_all_findings_on_request(many_wrong_totals):
    r = CliRunner().invoke(main, ["validate", str(many_wrong_totals), "--no-tr3",
                                  "--today", "2028-01-01", "--format", "json",
                                  "--all-findings"])
    doc = json.loads(r.stdout)
    assert r.exit_code == 1
    (f,) = doc["files"]
    assert len(f["findings"]) == 1_900 and f["counts"]["claims_rejected"] == 1_900
    r = CliRunner().invoke(main, ["validate", str(many_wrong_totals), "--no-tr3",
                                  "--today", "2028-01-01"])
    lines = r.stdout.splitlines()
    assert lines[200].endswith("... 1,700 more findings (use --max-findings or --all-findings)")
    assert lines[-1].endswith("1900 claims (0 accepted, 1900 rejected); 1900 errors, 0 warnings")
