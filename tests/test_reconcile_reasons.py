# reconcile (issue 13): with the run's history a paid line reconciles; without it
# edi-hit says so on stderr, and the false "overpaid" the issue describes shows with
# its reason (the deductible it could not know was met); differences carry reasons
# (code, units, deductible, payer codes); --fail-on-difference exits 1 on any.
from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from click.testing import CliRunner

from edi_hit.cli import main
from edi_hit.pricing import SQLiteHistory

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "fixtures" / "scenarios"
WORKED, WORKED_835 = SCEN / "worked_example.837", SCEN / "worked_example.835"
RATES = ROOT / "fixtures" / "rates" / "synthetic.json"


def history(tmp_path) -> Path:
    """The scenario's setup: the 2023 Part B deductible (226.00) already met."""
    path = tmp_path / "hist.db"
    with SQLiteHistory(path) as store:
        store.set_deductible_met("1EG4TE5MK73", 2023, D("226.00"))
    return path


def reconcile(*argv):
    r = CliRunner().invoke(main, ["reconcile", str(WORKED), *map(str, argv), "--rates",
                                  str(RATES), "--assume-dme-drug", "--format", "json"])
    assert "Traceback" not in r.output
    return r


def we1(r) -> dict:
    (line,) = [x for x in json.loads(r.stdout)["lines"] if x["patient_control_number"] == "WE-1"]
    return line


def test_with_the_history_every_line_reconciles(tmp_path):
    r = reconcile(WORKED_835, "--history", history(tmp_path), "--fail-on-difference")
    assert r.exit_code == 0, r.output
    assert "WITHOUT the run's history" not in r.stderr
    line = we1(r)
    # 300.00 charge, rate 150.00: CO-45 150.00, PR-2 30.00, CO-253 2.40 -> paid 117.60
    assert (line["expected_paid"], line["remitted_paid"], line["status"], line["reasons"]) == (
        "117.60", "117.60", "match", [])


def test_without_the_history_it_says_so_and_the_overpayment_has_its_reason(tmp_path):
    r = reconcile(WORKED_835)
    assert r.exit_code == 0
    assert "reconciling WITHOUT the run's history (--history)" in r.stderr
    line = we1(r)
    # unknown deductible: all 150.00 allowed goes to PR-1, so 0.00 expected; paid 117.60
    assert (line["expected_paid"], line["remitted_paid"], line["difference"], line["status"]) \
        == ("0.00", "117.60", "117.60", "overpaid")
    assert "deductible: 0 applied (PR-1), 150.00 expected" in line["reasons"]
    r = reconcile(WORKED_835, "--fail-on-difference")
    assert r.exit_code == 1 and "difference(s) (--fail-on-difference)" in r.stderr


def test_paid_under_another_code_with_other_units(tmp_path):
    # the payer paid G0069 for 3 units, 100.00 instead of 117.60
    edited = tmp_path / "edited.835"
    edited.write_bytes(WORKED_835.read_bytes().replace(
        b"SVC*HC:G0068*300*117.6**4", b"SVC*HC:G0069*300*100**3"))
    assert edited.read_bytes() != WORKED_835.read_bytes()
    r = reconcile(edited, "--history", history(tmp_path))
    line = we1(r)
    assert (line["difference"], line["status"]) == ("-17.60", "underpaid")   # 100 - 117.60
    assert line["reasons"] == ["code: paid under G0069, billed G0068", "units: 3 paid, 4 billed"]
    r = reconcile(edited, "--history", history(tmp_path), "--fail-on-difference")
    assert r.exit_code == 1
    table = CliRunner().invoke(main, ["reconcile", str(WORKED), str(edited), "--rates",
                                      str(RATES), "--assume-dme-drug", "--history",
                                      str(tmp_path / "hist.db")])
    assert "- code: paid under G0069, billed G0068" in table.stdout


def test_csv_carries_the_reasons(tmp_path):
    r = CliRunner().invoke(main, ["reconcile", str(WORKED), str(WORKED_835), "--rates",
                                  str(RATES), "--assume-dme-drug", "--format", "csv"])
    row = next(x for x in r.stdout.splitlines() if x.startswith("WE-1,"))
    assert (',overpaid,"deductible: 0 applied (PR-1), 150.00 expected; payer codes: CO-253 '
            'PR-2",') in row


def test_a_provider_level_recoupment_is_a_reason_of_its_claims_difference():
    from datetime import date

    from edi_hit.x835.reconcile import LineReconciliation

    row = LineReconciliation("C1", 1, "G0068", date(2024, 3, 5), "C1-1", charge=D("300.00"),
                             expected_paid=D("117.60"), remitted_paid=D("0.00"),
                             expected_codes=["CO-45", "PR-2", "CO-253"],
                             remitted_codes=["CO-45", "PR-2", "CO-253"])
    assert row.reasons == ["amounts differ; the codes agree (rates or history differ: price "
                           "with the run's --rates and --history)"]
    row.provider_adjustments.append("PLB FB:ICN1 117.60 (recouped)")
    assert (row.status, row.reasons) == ("underpaid", ["recouped: PLB FB:ICN1 117.60 (recouped)"])
