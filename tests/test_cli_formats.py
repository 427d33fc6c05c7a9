# --format json|ndjson|csv for price, read-835 and reconcile (issue 13): CSV is one row
# per service line with its claim's context, money as plain decimals, a header row of
# the documented columns (edi_hit.rows); NDJSON is one compact object a line; JSON
# documents are indented; money is written by one module (edi_hit.formats).
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from edi_hit.cli import main
from edi_hit.formats import display_amount, json_amount, plain_amount, x12_amount
from edi_hit.rows import PRICED_COLUMNS, RECONCILE_COLUMNS, REMIT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "fixtures" / "scenarios"
RATES = ROOT / "fixtures" / "rates" / "synthetic.json"
D60_837, D60_835 = SCEN / "day60_initial.837", SCEN / "day60_initial.835"


def run(*argv):
    r = CliRunner().invoke(main, ["-q", *map(str, argv)])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    return r.stdout


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_money_formatters():
    d = Decimal
    assert [x12_amount(d("117.60")), x12_amount(d("150")), x12_amount(d("-0.00")),
            x12_amount(None)] == ["117.6", "150", "0", ""]
    assert [json_amount(d("117.6")), json_amount(d("0.125")), json_amount(None)] == [
        "117.60", "0.125", None]
    # display and CSV show cents, half up: 0.125 -> 0.13, 1234.5 -> 1,234.50
    assert [plain_amount(d("0.125")), plain_amount(d("-0.001")), plain_amount(d("1234.5"))] == [
        "0.13", "0.00", "1234.50"]
    assert display_amount(d("1234.5")) == "1,234.50" and display_amount(None) == ""


def test_read_835_csv_one_row_per_line_with_claim_context():
    table = run("read-835", D60_835, "--format", "csv")
    assert table.splitlines()[0] == ",".join(REMIT_COLUMNS)
    got = rows(table)
    assert [r["patient_control_number"] for r in got] == ["DME-1", "DME-2", "D60-1", "D60-2"]
    d60 = got[2]
    # SVC*HC:G0068*300*117.6: 300.00 - CO-45 150.00 - CO-253 2.40 - PR-2 30.00 = 117.60
    assert {k: d60[k] for k in ("code", "service_date", "charge", "allowed", "paid",
                                "adjustments", "claim_status_code", "payee_id")} == {
        "code": "G0068", "service_date": "2023-01-02", "charge": "300.00", "allowed": "150.00",
        "paid": "117.60", "adjustments": "CO-45:150.00 CO-253:2.40 PR-2:30.00",
        "claim_status_code": "1", "payee_id": "1234567893"}
    assert got[3]["remarks"] == "N113" and got[3]["paid"] == "0.00"


def test_read_835_ndjson_is_one_compact_remittance_a_line_and_json_is_indented():
    lines = run("read-835", D60_835, "--format", "ndjson").splitlines()
    docs = [json.loads(line) for line in lines]
    assert [d["transaction_control_number"] for d in docs] == ["0001", "0002"]
    assert all(line == json.dumps(json.loads(line), separators=(",", ":")) for line in lines)
    doc = run("read-835", D60_835)
    assert doc.startswith('{\n  "remittances": [\n')          # indented by 2
    assert json.loads(doc)["remittances"] == docs


def test_price_csv_agrees_with_its_json_and_balances_per_row():
    args = ("price", D60_837, "--rates", RATES, "--assume-dme-drug")
    table = run(*args, "--format", "csv")
    assert table.splitlines()[0] == ",".join(PRICED_COLUMNS)
    got = rows(table)
    doc = json.loads(run(*args))
    expected = [(c["patient_control_number"], str(pl["line_number"]), pl["line"]["code"],
                 pl["paid"], pl["allowed"])
                for c in doc["claims"] for pl in c["lines"]]
    assert [(r["patient_control_number"], r["line_number"], r["code"], r["paid"], r["allowed"])
            for r in got] == [(p, n, c, f"{Decimal(paid):.2f}", f"{Decimal(al):.2f}")
                              for p, n, c, paid, al in expected]
    for r in got:   # charge - every adjustment = paid, to the cent
        adjusted = sum((Decimal(a.rsplit(":", 1)[1]) for a in r["adjustments"].split()),
                       Decimal(0))
        assert Decimal(r["charge"]) - adjusted == Decimal(r["paid"]), r
    ndjson = run(*args, "--format", "ndjson").splitlines()
    assert [json.loads(line) for line in ndjson] == doc["claims"]


def test_reconcile_formats_share_the_rows():
    args = ("reconcile", D60_837, D60_835, "--rates", RATES, "--assume-dme-drug")
    table = run(*args, "--format", "csv")
    assert table.splitlines()[0] == ",".join(RECONCILE_COLUMNS)
    lines = [json.loads(x) for x in run(*args, "--format", "ndjson").splitlines()]
    assert [r["patient_control_number"] for r in rows(table)] == [
        x["patient_control_number"] for x in lines]
    assert json.loads(run(*args, "--format", "json"))["lines"] == lines
