# The README's main job, end to end: the two demo files adjudicated together.
import json

from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main
from edi_hit.x835 import read_835
from pyx12_oracle import pyx12_errors

DEMO = FIXTURES / "demo"


def test_demo_adjudicates_to_a_valid_balanced_835(tmp_path):
    out, report = tmp_path / "demo.835", tmp_path / "demo.json"
    r = CliRunner().invoke(main, ["adjudicate", str(DEMO), "-o", str(out), "--report", str(report),
                                  "--now", "2026-07-15T10:00"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    summary = json.loads(report.read_text())
    assert (summary["claims"], summary["lines_paid"], summary["lines_denied"]) == (7, 4, 7)
    assert (summary["total_charge"], summary["total_allowed"], summary["total_paid"],
            summary["patient_responsibility"]) == ("4736.00", "1092.07", "239.75", "847.42")
    assert {d["reason"]: d["lines"] for d in summary["denial_reasons"]} == {
        "CO-109 N104": 3, "CO-B15": 2, "CO-5 M77": 1, "OA-18": 1}
    data = out.read_bytes()
    assert pyx12_errors(data) == []
    # The first paid visit: deductible absorbed, coinsurance and sequestration to the cent.
    text = data.decode().replace("\n", "")
    assert ("SVC*HC:G0089*310*18.98**8~DTM*472*20260304~CAS*CO*45*2.79**253*0.39~"
            "CAS*PR*1*283**2*4.84~REF*6R*H1-1~AMT*B6*307.21~") in text
    assert "SVC*HC:G0069*240*0**6~DTM*472*20260311~CAS*OA*18*240~" in text  # same-day duplicate
    # a denied line carries no AMT*B6 (hit-rules 11)
    assert "SVC*HC:G0090*420*0**12~DTM*472*20260502~CAS*CO*5*420~REF*6R*H3-1~LQ*HE*M77~" in text
    remits = list(read_835(out))
    assert [(r.payee.id, r.handling_code, str(r.payment_amount)) for r in remits] == [
        ("1245319599", "H", "0"), ("1234567893", "I", "239.75")]
    assert all(r.findings == [] for r in remits)


def test_manifest_accounts_for_every_claim_that_entered(tmp_path):
    bad = tmp_path / "hit-bad.837"
    bad.write_bytes((DEMO / "hit-supplier.837").read_bytes().replace(
        b"SV1*HC:G0068*260.00", b"SV1*HC:G0068*2X0.00"))
    manifest = tmp_path / "claims.ndjson"
    r = CliRunner().invoke(main, ["adjudicate", str(DEMO / "dme-supplier.837"), str(bad),
                                  "-o", str(tmp_path / "out.835"), "--manifest", str(manifest)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "input claims            7  (accepted 6, rejected 1)" in r.output
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert len(entries) == 7  # every CLM that entered, once
    by_pcn = {e["patient_control_number"]: e for e in entries}
    assert sorted(by_pcn) == ["DME-26-001", "DME-26-002", "DME-26-003", "HIT-26-001",
                              "HIT-26-002", "HIT-26-003", "HIT-26-004"]
    assert {k: by_pcn["HIT-26-001"][k] for k in ("status", "charge", "paid", "patient_responsibility",
                                                  "lines_paid", "lines_denied")} == {
        "status": "processed", "charge": "790.00", "paid": "207.14",
        "patient_responsibility": "335.84", "lines_paid": 2, "lines_denied": 1}
    assert by_pcn["DME-26-001"]["status"] == "denied"
    rejected = by_pcn["HIT-26-004"]
    assert rejected["status"] == "rejected"
    assert rejected["reason"] == ("segment 87 (SV1), element SV102: bad value: expected a "
                                  "decimal amount, got '2X0.00'")
    assert str(bad) == rejected["file"]
