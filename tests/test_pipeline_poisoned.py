"""A claim that cannot be written to the 835 is rejected with file, claim and reason and the
run goes on; a delimiter in a value is avoided by choosing other delimiters. PHI stays
out of messages, reports and (with --no-phi) the manifest; history and temporary files
are private."""
from __future__ import annotations

import json
import os
import stat

from edi_hit.pricing.history import SQLiteHistory
from edi_hit.x12 import Delimiters
from edi_hit.x835 import read_835
from edi_hit.x837p import write_837p
from helpers_835 import pyx12_errors
from helpers_pricing import claim, line
from helpers_runs import (NOW, adjudicate_args, cli, cli_fork, drugs,
                          history_with_deductible_met, paid_visit, temp_files)

MBI3 = "3CC3CC3CC33"


def _poisoned_file(tmp_path):
    """C1 plain; C2 named O*NEIL (a '*' the 837 could carry with '|' delimiters); C3 with
    a last name of 61 characters (the 835 allows 60) and a member of its own."""
    star = paid_visit("C2", "2024-03-06")
    star.subscriber.last_name = "O*NEIL"
    long_name = paid_visit("C3", "2024-03-05", mbi=MBI3)
    long_name.subscriber.last_name = "L" * 61
    src = tmp_path / "in.837"
    src.write_bytes(write_837p([*drugs(), paid_visit("C1"), star, long_name],
                               sender_id="TESTSENDER", receiver_id="MEDICARE", now=NOW,
                               delimiters=Delimiters("|", "^", ">", "~")))
    return src


def test_a_claim_no_835_can_carry_is_rejected_and_the_run_goes_on(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db", "1EG4TE5MK73", MBI3)
    src = _poisoned_file(tmp_path)
    out = tmp_path / "out.835"
    r = cli(*adjudicate_args([src], out, hist, "--report", tmp_path / "r.json"))
    assert r.exit_code == 1, r.output          # a claim was rejected: the exit-1 rule
    assert "(accepted 3, rejected 1)" in r.output
    assert "C3 (" in r.output and "NM103 (patient last name) is 61 characters long" in r.output
    assert "LLLLLLLLLL" not in r.output
    report = json.loads((tmp_path / "r.json").read_text())
    (rej,) = report["rejects"]
    assert rej == {"file": str(src), "patient_control_number": "C3", "findings": [],
                   "segment_index": 40,   # C3's CLM: the fourth (DME-1 at 15, C1 at 26, C2 at 33)
                   "reason": "NM103 (patient last name) is 61 characters long; the 835 "
                             "allows 1 to 60"}
    data = out.read_bytes()
    assert pyx12_errors(data) == []
    assert chr(data[3]) != "*"  # another element separator: O*NEIL is carried as it is
    names = [c.patient_last_name for r835 in read_835(data) for c in r835.claims]
    assert "O*NEIL" in names
    with SQLiteHistory(hist, readonly=True) as h:  # C3 was never decided
        assert h.load([MBI3])[MBI3].visits == [] and h.claim_trail("C3") == []
        assert h.check() == []


def test_no_phi_in_messages_reports_or_a_no_phi_manifest(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db", "1EG4TE5MK73", MBI3)
    src = _poisoned_file(tmp_path)
    args = adjudicate_args([src], tmp_path / "out.835", hist, "--report", tmp_path / "r.json",
                           "--manifest", tmp_path / "m.ndjson", "--no-phi")
    r = cli(*args)
    assert r.exit_code == 1, r.output     # one claim rejected: the exit-1 rule
    resent = cli(*args)  # refused: the message names files and runs, not people
    texts = [r.output, resent.output, (tmp_path / "r.json").read_text(),
             (tmp_path / "m.ndjson").read_text()]
    for text in texts:
        for phi in ("1EG4TE5MK73", MBI3, "DOE", "JANE", "O*NEIL", "LLLLLLLLLL"):
            assert phi not in text, (phi, text[:200])
    lines = [json.loads(x) for x in (tmp_path / "m.ndjson").read_text().splitlines()]
    assert all("member_id" not in x for x in lines)
    assert [x["status"] for x in lines][-1] == "rejected"


def test_the_manifest_carries_the_member_id_without_no_phi(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    src = tmp_path / "in.837"
    src.write_bytes(write_837p([paid_visit("C1")], sender_id="S", receiver_id="R", now=NOW))
    r = cli(*adjudicate_args([src], tmp_path / "o.835", hist, "--manifest", tmp_path / "m.ndjson"))
    assert r.exit_code == 0
    (entry,) = [json.loads(x) for x in (tmp_path / "m.ndjson").read_text().splitlines()]
    assert entry["member_id"] == "1EG4TE5MK73"


def test_history_and_temporary_files_are_private(tmp_path):
    hist = tmp_path / "new.db"
    src = tmp_path / "in.837"
    src.write_bytes(write_837p([claim(line("G0068", "2024-03-05"))], sender_id="S",
                               receiver_id="R", now=NOW))
    # stopped dead after every output is complete: the temporary files are still there
    code, _, _ = cli_fork(*adjudicate_args([src], tmp_path / "o.835", hist, "--report",
                                           tmp_path / "r.json"),
                          env={"EDI_HIT_FAULT": "written:kill"})
    assert code == -9
    temps = temp_files(tmp_path)
    assert temps == [".o.835.edi-hit.tmp", ".r.json.edi-hit.tmp"]
    for name in [*temps, "new.db"]:
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
