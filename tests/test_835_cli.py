"""CLI: adjudicate, read-835, reconcile (click CliRunner), and the reconcile library."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal as D

from click.testing import CliRunner

from conftest import corpus_files
from edi_hit.cli import main
from edi_hit.schemas import errors as schema_errors
from edi_hit.x835 import read_835
from edi_hit.x835.reconcile import reconcile
from helpers_835 import independent_balance_check, pyx12_errors
from helpers_pricing import SCENARIOS

WORKED = SCENARIOS / "worked_example.837"
RATES = SCENARIOS / "../rates/synthetic.json"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_adjudicate_writes_a_valid_835_and_prints_a_summary(tmp_path):
    out = tmp_path / "remit.835"
    report = tmp_path / "summary.json"
    r = run("adjudicate", WORKED, "-o", out, "--rates", RATES, "--assume-dme-drug",
            "--now", "2025-01-02T09:30", "--control-number", "7", "--report", report)
    assert r.exit_code == 0, r.output
    assert "lines" in r.output and "paid" in r.output and f"wrote {out}" in r.output
    data = out.read_bytes()
    assert pyx12_errors(data) == [] and independent_balance_check(data) == []
    assert b"*250102*0930*^*00501*000000007*" in data
    summary = json.loads(report.read_text())
    assert summary["claims"] >= 1 and summary["lines_paid"] + summary["lines_denied"] == summary["lines"]
    assert not list(tmp_path.glob("*.part"))


def test_adjudicate_rejects_a_bad_claim_and_remits_the_rest(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_bytes(WORKED.read_bytes().replace(b"SV1*HC:G0068*300", b"SV1*HC:G0068*3O0"))
    report = tmp_path / "summary.json"
    r = CliRunner().invoke(main, ["adjudicate", str(bad), "-o", str(tmp_path / "x.835"),
                                  "--report", str(report)])
    assert r.exit_code == 1, r.output      # a claim was rejected (0 with --allow-rejects)
    assert "(accepted 1, rejected 1)" in r.output
    assert "WE-1 (" in r.output and "bad.837" in r.output and "SV1" in r.output
    assert "Traceback" not in r.output
    doc = json.loads(report.read_text())
    assert (doc["claims_in"], doc["claims_accepted"], doc["claims_rejected"]) == (2, 1, 1)
    (rej,) = doc["rejects"]
    assert rej["patient_control_number"] == "WE-1" and "SV102" in rej["reason"]
    assert [c.patient_control_number for r835 in read_835(tmp_path / "x.835")
            for c in r835.claims] == ["DME-1"]
    assert not list(tmp_path.glob("*.part"))


def test_adjudicate_input_that_is_not_x12_exits_1(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_text("this is not X12")
    r = CliRunner().invoke(main, ["adjudicate", str(bad), "-o", str(tmp_path / "x.835")])
    assert r.exit_code == 1
    assert "bad.837" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.835").exists() and not list(tmp_path.glob("*.part"))


def test_adjudicate_usage_error_exits_2(tmp_path):
    r = CliRunner().invoke(main, ["adjudicate", str(WORKED), "--control-number", "0"])
    assert r.exit_code == 2
    r = CliRunner().invoke(main, ["adjudicate", str(tmp_path / "missing.837")])
    assert r.exit_code == 2


def test_read_835_writes_schema_valid_json(tmp_path):
    out = tmp_path / "remit.json"
    files = corpus_files("835")[:3]
    r = run("read-835", *files, "-o", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert len(doc["remittances"]) == 3
    for remit in doc["remittances"]:
        assert schema_errors(remit, "remittance") == []


def test_read_835_exits_1_on_unbalanced(tmp_path):
    src = next(p for p in corpus_files("835") if "managed-care" in p.name)
    bad = tmp_path / "bad.835"
    bad.write_bytes(src.read_bytes().replace(b"BPR*I*945.00*", b"BPR*I*946.00*"))
    r = CliRunner().invoke(main, ["read-835", str(bad), "-o", str(tmp_path / "o.json")])
    assert r.exit_code == 1 and "1 balancing violation" in r.output  # the exit-1 rule
    doc = json.loads((tmp_path / "o.json").read_text())
    assert doc["remittances"][0]["findings"][1]["code"] == "balance-transaction"
    r = CliRunner().invoke(main, ["read-835", str(bad), "--allow-rejects",
                                  "-o", str(tmp_path / "q.json")])
    assert r.exit_code == 0 and (tmp_path / "q.json").exists()
    # --strict: stop at the first bad value, no output
    r = CliRunner().invoke(main, ["read-835", str(bad), "--strict", "-o", str(tmp_path / "p.json")])
    assert r.exit_code == 1 and "BPR02" in r.output and not (tmp_path / "p.json").exists()


def test_read_835_on_an_837_exits_1():
    r = CliRunner().invoke(main, ["read-835", str(WORKED)])
    assert r.exit_code == 1 and "ST01" in r.output and "expected '835'" in r.output


def _history(tmp_path):
    """A history file where the Part B deductible is met (as in the scenario's setup)."""
    from edi_hit.pricing import SQLiteHistory

    path = tmp_path / "hist.db"
    store = SQLiteHistory(path)
    setup = json.loads((SCENARIOS / "worked_example.expected.json").read_text())["setup"]
    for m in setup["deductible_met"]:
        store.set_deductible_met(m["mbi"], m["year"], D(m["amount"]))
    store.close()
    return path


def _adjudicated(tmp_path):
    out = tmp_path / "remit.835"
    hist = _history(tmp_path)
    r = run("adjudicate", WORKED, "-o", out, "--rates", RATES, "--assume-dme-drug",
            "--history", hist, "--now", "2025-01-02")
    assert r.exit_code == 0, r.output
    assert b"CLP*WE-1*1*300*117.6*" in out.read_bytes()
    return out


def test_reconcile_own_835_matches_everything(tmp_path):
    remit = _adjudicated(tmp_path)
    r = run("reconcile", WORKED, remit, "--rates", RATES, "--assume-dme-drug", "--format", "json",
            "--history", tmp_path / "hist.db")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["totals"]["difference"] == "0.00"
    assert set(doc["totals"]["lines"]) == {"match"}
    assert all(line["matched_by"] == "6R" for line in doc["lines"])
    assert doc["claims_without_remittance"] == [] and doc["remittances_without_claim"] == []


def test_reconcile_finds_an_underpayment(tmp_path):
    remit = _adjudicated(tmp_path)
    text = remit.read_bytes()
    # The payer paid 100.00 instead of 117.60 (moved 17.60 to CO-45) and the totals follow.
    text = text.replace(b"CLP*WE-1*1*300*117.6*", b"CLP*WE-1*1*300*100*")
    text = text.replace(b"SVC*HC:G0068*300*117.6**4", b"SVC*HC:G0068*300*100**4")
    text = text.replace(b"CAS*CO*45*150**253*2.4", b"CAS*CO*45*167.6**253*2.4")
    text = text.replace(b"BPR*I*117.6*", b"BPR*I*100*")
    assert all(r.balanced for r in read_835(text))
    remit.write_bytes(text)
    hist = tmp_path / "hist.db"
    r = run("reconcile", WORKED, remit, "--rates", RATES, "--assume-dme-drug", "--history", hist)
    assert r.exit_code == 0, r.output
    assert "WE-1" in r.output and "117.60" in r.output and "-17.60" in r.output
    assert "underpaid (CO-45 CO-253 PR-2)" in r.output
    csv_out = run("reconcile", WORKED, remit, "--rates", RATES, "--assume-dme-drug",
                  "--history", hist, "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("patient_control_number,line_number,code,service_date")
    assert any(row.startswith("WE-1,1,G0068,") and ",-17.60,underpaid," in row for row in csv_out)


def test_reconcile_library_unmatched_both_ways():
    from helpers_835 import make_claim, make_line, paid_line, priced
    from edi_hit.x835 import build_835

    a = make_claim("A", [make_line(1, control=None)])
    b = make_claim("B", [make_line(1, control="B1")])
    pa, pb = priced(a, [paid_line(a.lines[0])]), priced(b, [paid_line(b.lines[0])])
    c = make_claim("C", [make_line(1)])
    pc = priced(c, [paid_line(c.lines[0])])
    data = build_835([pa, pc], now=datetime(2025, 1, 1))
    report = reconcile([pa, pb], read_835(data))
    rows = {r.patient_control_number: r for r in report.lines}
    assert rows["A"].matched_by == "code+date" and rows["A"].difference == D("0")
    assert rows["B"].status == "not-remitted"
    assert [c.patient_control_number for c in report.claims_without_remittance] == ["B"]
    assert [c.patient_control_number for c in report.remittances_without_claim] == ["C"]
    assert report.remittances_without_claim[0].paid == D("117.6")
