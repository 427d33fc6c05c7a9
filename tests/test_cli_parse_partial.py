"""`edi-hit parse` with partial acceptance: rejected claims go to the reject report."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main

HIT = FIXTURES / "837p" / "hit_claims.837"
REASON = "segment 54 (SV1), element SV102: bad value: expected a decimal amount, got ''"


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def three(tmp_path):
    """Three claims; the second has an SV1 without a charge."""
    bad = tmp_path / "three.837"
    data = HIT.read_bytes()
    assert data.count(b"SV1*HC:G0088*425.50*UN*10***1") == 1
    bad.write_bytes(data.replace(b"SV1*HC:G0088*425.50*UN*10***1", b"SV1*HC:G0068**UN*4"))
    return bad


def test_two_claims_out_one_rejected_in_the_report(three, tmp_path):
    out, rep = tmp_path / "claims.json", tmp_path / "rejects.json"
    r = run("parse", str(three), "-o", str(out), "--reject-report", str(rep))
    assert r.exit_code == 1
    assert [c["patient_control_number"] for c in json.loads(out.read_text())] == \
        ["HIT-2026-0001", "HIT-2026-0003"]
    report = json.loads(rep.read_text())
    assert report["counts"] == {"seen": 3, "accepted": 2, "rejected": 1}
    (rej,) = report["rejected"]
    assert rej["reason"] == REASON
    assert (rej["patient_control_number"], rej["segment_index"], rej["end_index"]) == \
        ("HIT-2026-0002", 51, 56)
    assert (rej["findings"][0]["segment_id"], rej["findings"][0]["element"]) == ("SV1", "SV102")
    assert report["findings"] == []
    assert r.stderr == f"parse: 3 claims, 2 accepted, 1 rejected (see {rep})\n"


def test_without_a_report_the_rejections_are_listed_on_stderr(three):
    r = run("parse", str(three), "--format", "ndjson")
    assert r.exit_code == 1
    assert [json.loads(x)["patient_control_number"] for x in r.stdout.splitlines()] == \
        ["HIT-2026-0001", "HIT-2026-0003"]
    assert r.stderr.splitlines() == [
        f"rejected (claim HIT-2026-0002): {three}: {REASON}",
        "parse: 3 claims, 2 accepted, 1 rejected"]


def test_allow_rejects_exits_0_and_still_reports(three, tmp_path):
    rep = tmp_path / "r.json"
    r = run("parse", str(three), "--allow-rejects", "--reject-report", str(rep))
    assert r.exit_code == 0
    assert len(json.loads(r.stdout)) == 2
    assert json.loads(rep.read_text())["counts"]["rejected"] == 1


def test_strict_stops_at_the_first_bad_value_and_writes_nothing(three, tmp_path):
    out = tmp_path / "claims.json"
    r = run("parse", str(three), "--strict", "-o", str(out))
    assert r.exit_code == 1
    assert r.stderr == f"Error: {three}: {REASON}\n"
    assert not out.exists()


def test_clean_file_is_quiet_and_a_report_is_written_on_request(tmp_path):
    r = run("parse", str(HIT), "--format", "ndjson")
    assert (r.exit_code, r.stderr) == (0, "")
    rep = tmp_path / "r.json"
    r = run("parse", str(HIT), "-o", str(tmp_path / "c.json"), "--reject-report", str(rep))
    assert r.exit_code == 0
    assert json.loads(rep.read_text()) == {
        "counts": {"seen": 3, "accepted": 3, "rejected": 0}, "rejected": [], "findings": []}
    assert r.stderr == f"parse: 3 claims, 3 accepted, 0 rejected (see {rep})\n"


def test_broken_se_rejects_the_set_and_counts_over_several_files(three, tmp_path):
    broken = tmp_path / "se.837"
    broken.write_bytes(HIT.read_bytes().replace(b"SE*70*0001", b"SE*70*0009"))
    rep = tmp_path / "r.json"
    r = run("parse", str(HIT), str(broken), str(three), "--format", "ndjson",
            "--reject-report", str(rep))
    assert r.exit_code == 1
    assert len(r.stdout.splitlines()) == 3 + 0 + 2
    report = json.loads(rep.read_text())
    assert report["counts"] == {"seen": 9, "accepted": 5, "rejected": 4}
    assert [(x["file"], x["reason"]) for x in report["rejected"][:1]] == [
        (str(broken), "segment 72 (SE), element SE02: SE02 '0009' does not match ST02 '0001'")]
    assert [f["code"] for f in report["findings"]] == ["se02-control"]


def test_group_trailer_error_keeps_the_claims_but_exits_1(tmp_path):
    f = tmp_path / "ge.837"
    f.write_bytes(HIT.read_bytes().replace(b"GE*1*1", b"GE*3*1"))
    r = run("parse", str(f), "--format", "ndjson")
    assert r.exit_code == 1
    assert len(r.stdout.splitlines()) == 3
    assert r.stderr.splitlines() == [
        f"{f}: segment 73 (GE), element GE01: error: GE01 says 3 transaction sets but "
        "the group has 1",
        "parse: 3 claims, 3 accepted, 0 rejected, 1 error finding"]


def test_help_documents_the_report_and_the_exit_status():
    r = run("parse", "--help")
    assert "--reject-report rejects.json" in r.output
    assert "parse: 3 claims, 2 accepted, 1 rejected (see rejects.json)" in r.output
    assert "--allow-rejects" in r.output and "Exit status" in r.output
