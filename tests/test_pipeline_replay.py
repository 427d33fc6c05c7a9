"""Reruns, replays and resubmissions: a file adjudicated before is refused (or its 835
written again with --replay, byte for byte); a claim decided before is an exact duplicate
(OA-18, original ICN in REF*F8) and never paid twice; duplicates are counted apart."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal as D

from edi_hit.pricing.history import SQLiteHistory
from edi_hit.x835 import read_835
from helpers_835 import independent_balance_check, pyx12_errors
from helpers_runs import (adjudicate_args, cli, counts, drugs, history_with_deductible_met,
                          one_line_error, paid_visit, write_claims)


def _first_run(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    src = write_claims(tmp_path / "in.837", [*drugs(), paid_visit("C1")])
    r = cli(*adjudicate_args([src], tmp_path / "a.835", hist, "--report", tmp_path / "a.json"))
    assert r.exit_code == 0, r.output
    return hist, src


def test_a_rerun_of_the_same_file_is_refused_with_one_line(tmp_path):
    hist, src = _first_run(tmp_path)
    before = counts(hist)
    # a copy under another name is the same input: identity is the content
    copy = shutil.copy(src, tmp_path / "renamed.837")
    r = cli(*adjudicate_args([copy], tmp_path / "c.835", hist, "--control-number", "2"))
    assert r.exit_code == 1 and one_line_error(r.output)
    assert "renamed.837 was adjudicated already, in run 1 on" in r.output
    assert f"its 835: {tmp_path / 'a.835'}" in r.output and "--replay" in r.output
    assert not (tmp_path / "c.835").exists() and counts(hist) == before


def test_replay_writes_the_same_835_byte_for_byte_and_touches_nothing(tmp_path):
    hist, src = _first_run(tmp_path)
    before = counts(hist)
    r = cli(*adjudicate_args([src], tmp_path / "again.835", hist, "--replay",
                             "--report", tmp_path / "again.json"))
    assert r.exit_code == 0, r.output
    assert "replayed run 1" in r.output
    assert (tmp_path / "again.835").read_bytes() == (tmp_path / "a.835").read_bytes()
    report = json.loads((tmp_path / "again.json").read_text())
    assert report["replayed_run"] == 1 and report["run_id"] == 1
    assert report["payment"] == json.loads((tmp_path / "a.json").read_text())["payment"]
    assert counts(hist) == before
    with SQLiteHistory(hist, readonly=True) as h:
        assert [r.status for r in h.runs()] == ["done"]


def test_replay_of_a_file_never_adjudicated_is_refused(tmp_path):
    hist, _ = _first_run(tmp_path)
    other = write_claims(tmp_path / "other.837", [paid_visit("C9", day="2024-04-01")], 9)
    r = cli(*adjudicate_args([other], tmp_path / "x.835", hist, "--replay"))
    assert r.exit_code == 1 and one_line_error(r.output)
    assert "other.837 was not adjudicated by a committed run of" in r.output
    assert not (tmp_path / "x.835").exists()


def test_the_same_content_twice_in_one_run_is_refused(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    src = write_claims(tmp_path / "in.837", [paid_visit("C1")])
    copy = shutil.copy(src, tmp_path / "copy.837")
    r = cli(*adjudicate_args([src, copy], tmp_path / "x.835", hist))
    assert r.exit_code == 1 and "has the same content as" in r.output


def test_a_resubmitted_claim_is_an_exact_duplicate_never_paid_twice(tmp_path):
    hist, _ = _first_run(tmp_path)
    # the supplier sends C1 again in a new file (another interchange), with a new claim
    resent = write_claims(tmp_path / "resent.837", [paid_visit("C1"), paid_visit("C2", "2024-03-06")], 2)
    out = tmp_path / "b.835"
    r = cli(*adjudicate_args([resent], out, hist, "--report", tmp_path / "b.json",
                             "--manifest", tmp_path / "b.ndjson"))
    assert r.exit_code == 0, r.output
    assert "duplicates 1" in r.output
    data = out.read_bytes()
    assert pyx12_errors(data) == [] and independent_balance_check(data) == []
    (remit,) = read_835(data)
    c1, c2 = remit.claims
    # C1: OA-18 for its whole charge, nothing paid; the original's ICN in REF*F8
    with SQLiteHistory(hist, readonly=True) as h:
        (original, duplicate) = h.claim_trail("C1")
    assert (duplicate.outcome, duplicate.original_icn) == ("duplicate", original.icn)
    assert c1.paid == 0 and [(a.group, a.reason, a.amount) for a in c1.lines[0].adjustments] == [
        ("OA", "18", 300)]
    assert ("F8", original.icn) in c1.refs and c1.payer_claim_control_number == duplicate.icn
    # C2 is new: paid 125.44 (allowed 160.00, PR-2 32.00, CO-253 2.56)
    assert c2.paid == D("125.44") and remit.payment_amount == D("125.44")
    report = json.loads((tmp_path / "b.json").read_text())
    assert (report["claims_duplicate"], report["claims_processed"], report["claims_denied"]) == (
        1, 1, 0)
    lines = [json.loads(x) for x in (tmp_path / "b.ndjson").read_text().splitlines()]
    assert [x["status"] for x in lines] == ["duplicate", "processed"]
    assert lines[0]["duplicate_of"] == original.icn and lines[0]["paid"] == "0.00"
    assert lines[0]["trn"] == remit.trace_number and lines[0]["position"] == 1
    with SQLiteHistory(hist, readonly=True) as h:
        assert h.check() == []
        assert h.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 2  # C1 once, C2


def test_replay_of_inputs_from_different_runs_is_refused(tmp_path):
    hist, src = _first_run(tmp_path)
    other = write_claims(tmp_path / "other.837", [paid_visit("C9", day="2024-04-01")], 9)
    assert cli(*adjudicate_args([other], tmp_path / "b.835", hist)).exit_code == 0
    r = cli(*adjudicate_args([src, other], tmp_path / "x.835", hist, "--replay"))
    assert r.exit_code == 1 and "adjudicated by different runs (1, 2)" in r.output
    # and a new run with one adjudicated input among new ones names the old one
    new = write_claims(tmp_path / "new.837", [paid_visit("C8", day="2024-05-01")], 8)
    r = cli(*adjudicate_args([new, other], tmp_path / "y.835", hist))
    assert r.exit_code == 1 and "other.837 was adjudicated already, in run 2" in r.output
