# The README's main job, end to end: the HIT supplier's 837P adjudicated with the DME
# MAC's 835 as drug evidence and the supplier enrolment list (fixtures/demo, written by
# tools/make_demo.py).
import json

from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main
from edi_hit.x835 import read_835
from helpers_835 import independent_balance_check
from pyx12_oracle import pyx12_errors

DEMO = FIXTURES / "demo"
HIT = str(DEMO / "hit-supplier.837")
EVIDENCE = ["--dme-drugs", str(DEMO / "dme-mac.835"),
            "--suppliers", str(DEMO / "hit-suppliers.csv")]


def adjudicate(tmp_path, *args):
    out, report = tmp_path / "demo.835", tmp_path / "demo.json"
    r = CliRunner().invoke(main, ["adjudicate", *args, "-o", str(out), "--report", str(report),
                                  "--now", "2026-02-25T10:00"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r, json.loads(report.read_text()), out.read_bytes()


def test_the_dme_macs_835_is_valid_and_says_which_drugs_it_covered():
    data = (DEMO / "dme-mac.835").read_bytes()
    assert pyx12_errors(data) == [] and independent_balance_check(data) == []
    text = data.decode().replace("\n", "")
    # J1569 JB: allowed 1480.00 of 1850.00; 2025 deductible 257.00; PR-2 20% x 1223.00 = 244.60;
    # CO-253 2% x 978.40 = 19.568 -> 19.57; paid 1480.00 - 257.00 - 244.60 - 19.57 = 958.83
    assert ("SVC*HC:J1569:JB*1850*958.83**20~DTM*472*20251229~CAS*CO*45*370**253*19.57~"
            "CAS*PR*1*257**2*244.6~REF*6R*D1-1~AMT*B6*1480~") in text
    # J9190: allowed 76.80, all of it deductible: covered, nothing paid
    assert "CAS*PR*1*76.8~REF*6R*D3-1~AMT*B6*76.8~" in text
    # J1170 for DUNN denied as not medically necessary: no allowed amount, no evidence
    assert "SVC*HC:J1170*180*0**6~DTM*472*20251231~CAS*CO*50*180~REF*6R*D4-1~LQ*HE*N115~" in text


def test_demo_adjudicates_to_a_valid_balanced_835(tmp_path):
    r, summary, data = adjudicate(tmp_path, HIT, *EVIDENCE)
    assert "dme-mac.835: 3 covered DME drug lines, 1 not covered (left out)" in r.stderr
    assert (summary["claims"], summary["lines_paid"], summary["lines_denied"]) == (4, 4, 5)
    # paid: 18.98 (G0089) + 188.16 (G0069) + 0.00 (G0088, all deductible) + 32.61 (G0070)
    assert (summary["total_charge"], summary["total_allowed"], summary["total_paid"],
            summary["patient_responsibility"]) == ("2460.00", "1092.07", "239.75", "847.42")
    assert {d["reason"]: d["lines"] for d in summary["denial_reasons"]} == {
        "CO-B15": 2, "CO-109 N104": 1, "CO-5 M77": 1, "OA-18": 1}
    assert summary["notes"][0].startswith("DME drug evidence (E4): covered")
    assert summary["notes"][1] == ("supplier enrolment (E3): checked against hit-suppliers.csv "
                                   "(1 NPIs)")
    assert pyx12_errors(data) == []
    text = data.decode().replace("\n", "")
    # The first paid visit: G0089 rate 307.21 < charge 310.00 (CO-45 2.79); 2026 deductible
    # 283.00; PR-2 20% x 24.21 = 4.842 -> 4.84; CO-253 2% x 19.37 = 0.3874 -> 0.39; paid 18.98.
    assert ("SVC*HC:G0089*310*18.98**8~DTM*472*20260102~CAS*CO*45*2.79**253*0.39~"
            "CAS*PR*1*283**2*4.84~REF*6R*H1-1~AMT*B6*307.21~") in text
    assert "SVC*HC:G0069*240*0**6~DTM*472*20260109~CAS*OA*18*240~REF*6R*H1-3~CLP" in text
    # denied lines carry no AMT*B6
    assert "SVC*HC:G0090*420*0**12~DTM*472*20260102~CAS*CO*5*420~REF*6R*H3-1~LQ*HE*M77~" in text
    # the J1170 the HIT supplier put on its own claim: wrong contractor, and no evidence:
    # the G0068 two days later finds only the drug the DME MAC denied
    assert "SVC*HC:J1170*90*0**3~DTM*472*20260102~CAS*CO*109*90~REF*6R*H4-1~LQ*HE*N104~" in text
    assert "SVC*HC:G0068*260*0**5~DTM*472*20260104~CAS*CO*B15*260~REF*6R*H4-2~" in text
    remits = list(read_835(data))
    assert [(r.payee.id, r.handling_code, str(r.payment_amount)) for r in remits] == [
        ("1234567893", "I", "239.75")]
    # every claim was processed (CLP02 1), also HIT-26-004 whose lines were all denied
    assert [c.status_code for c in remits[0].claims] == ["1", "1", "1", "1"]
    assert all(r.findings == [] for r in remits)
    assert data.startswith(b"ISA*") and b"*0*T*:~" in data[:110]  # ISA15 mirrors the 837P's T


def test_without_evidence_no_visit_is_paid_and_the_billed_simulation_says_so(tmp_path):
    _, summary, _ = adjudicate(tmp_path, HIT)
    assert summary["lines_paid"] == 0
    # every G-code line but the office visit: the second G0069 of 2026-01-09 is no
    # duplicate when the first was not paid
    assert {d["reason"]: d["lines"] for d in summary["denial_reasons"]}["CO-B15"] == 7
    assert summary["notes"][1] == "supplier enrolment (E3): not checked (no --suppliers file)"
    # billed simulation: the DME supplier's claims in the run count when billed, so DUNN's
    # J1170 (denied by the DME MAC) now qualifies his G0068: 5 lines paid
    _, summary, _ = adjudicate(tmp_path, str(DEMO / "dme-supplier.837"), HIT,
                               "--dme-evidence", "billed")
    assert summary["lines_paid"] == 5
    assert "SIMULATION" in summary["notes"][0]


def test_manifest_accounts_for_every_claim_that_entered(tmp_path):
    bad = tmp_path / "hit-bad.837"
    bad.write_bytes((DEMO / "hit-supplier.837").read_bytes().replace(
        b"SV1*HC:G0068*260.00", b"SV1*HC:G0068*2X0.00"))
    manifest = tmp_path / "claims.ndjson"
    r = CliRunner().invoke(main, ["adjudicate", str(bad), *EVIDENCE,
                                  "-o", str(tmp_path / "out.835"), "--manifest", str(manifest),
                                  "--allow-rejects"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "input claims            4  (accepted 3, rejected 1)" in r.output
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert len(entries) == 4  # every CLM that entered, once
    by_pcn = {e["patient_control_number"]: e for e in entries}
    assert sorted(by_pcn) == ["HIT-26-001", "HIT-26-002", "HIT-26-003", "HIT-26-004"]
    # 18.98 + 188.16 paid; 283.00 + 4.84 + 48.00 patient responsibility
    assert {k: by_pcn["HIT-26-001"][k] for k in ("status", "charge", "paid", "patient_responsibility",
                                                  "lines_paid", "lines_denied")} == {
        "status": "processed", "charge": "790.00", "paid": "207.14",
        "patient_responsibility": "335.84", "lines_paid": 2, "lines_denied": 1}
    rejected = by_pcn["HIT-26-004"]
    assert rejected["status"] == "rejected"
    assert rejected["reason"] == ("segment 91 (SV1), element SV102: bad value: expected a "
                                  "decimal amount, got '2X0.00'")
    assert str(bad) == rejected["file"]
