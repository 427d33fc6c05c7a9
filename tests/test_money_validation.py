"""Money is validated where it enters: the history (deductible met), rate tables and CMS
rate CSVs, the Part B table, payer files and 835 amounts. NaN, infinity, exponents and
negative amounts where the rule allows none are one-line errors naming the source."""
from __future__ import annotations

import copy
import json
from decimal import Decimal as D

import pytest

from edi_hit.errors import DataError, X12Error
from edi_hit.pricing.history import SQLiteHistory
from edi_hit.pricing.money import decimal_value, money_value
from edi_hit.pricing.rates import RateTable, import_cms_csv
from edi_hit.pricing.tables import PartB, package_json
from edi_hit.x835 import read_835
from helpers_pricing import SCENARIOS, SYNTHETIC_RATES
from helpers_runs import cli, one_line_error

BAD = ["NaN", "nan", "Infinity", "-Infinity", "1E3", "1e-2", "+5", "1,000.00", "12.345",
       "0x10", "", " "]


@pytest.mark.parametrize("text", BAD)
def test_money_value_refuses_what_is_not_plain_money(text):
    with pytest.raises(DataError, match="^here: "):
        money_value(text, "here")


def test_money_value_accepts_plain_amounts_and_refuses_negative_ones():
    assert [money_value(x, "w") for x in ("150", "150.5", "150.50", "0", ".5", "1.500")] == [
        D("150.00"), D("150.50"), D("150.50"), D("0.00"), D("0.50"), D("1.50")]
    assert money_value("-12.00", "w", negative=True) == D("-12.00")
    with pytest.raises(DataError, match="w: an amount of money cannot be negative, got -1"):
        money_value("-1", "w")
    with pytest.raises(DataError, match="as text"):
        money_value(1.5, "w")  # a float carries binary noise


@pytest.mark.parametrize("met", ["NaN", "-500", "1E9999999", "Infinity", "12.345"])
def test_history_deductible_refuses_bad_amounts(tmp_path, met):
    db = tmp_path / "h.db"
    r = cli("history", "deductible", "--history", db, "--mbi", "1EG4TE5MK73", "--year", "2024",
            "--met", met)
    assert r.exit_code == 1 and one_line_error(r.output) and "--met" in r.output, r.output
    if db.exists():
        with SQLiteHistory(db) as h:
            assert h.db.execute("SELECT COUNT(*) FROM deductible").fetchone()[0] == 0


def test_history_deductible_does_not_echo_the_member_id(tmp_path):
    r = cli("history", "deductible", "--history", tmp_path / "h.db", "--mbi", "1EG4TE5MK73",
            "--year", "2024", "--met", "120")
    assert r.exit_code == 0 and "120.00" in r.stderr and "1EG4TE5MK73" not in r.output


@pytest.mark.parametrize("amount", ["-150.00", "NaN", "1E5"])
def test_a_rate_table_refuses_bad_rates(amount):
    doc = json.loads(SYNTHETIC_RATES.read_text())
    doc["rates"][0]["amount"] = amount
    with pytest.raises(DataError, match=r"rates\[0\]: amount"):
        RateTable(doc, "r.json")


def test_a_rate_table_refuses_a_bad_gaf():
    doc = json.loads(SYNTHETIC_RATES.read_text())
    doc["gaf"] = [{"carrier": "01112", "locality": "05", "gaf": "0", "effective_from": "2024-01-01"}]
    with pytest.raises(DataError, match=r"gaf\[0\]: gaf must be greater than zero"):
        RateTable(doc, "r.json")
    doc["gaf"][0]["gaf"] = "NaN"
    with pytest.raises(DataError, match="not a geographic adjustment factor"):
        RateTable(doc, "r.json")


@pytest.mark.parametrize("cell", ["-150.00", "NaN", "1.5E2", "(150.00)"])
def test_rates_import_refuses_bad_cells(tmp_path, cell):
    src = tmp_path / "rates.csv"
    src.write_text(f"CARRIER,LOCALITY,G0068\nNATIONAL,,{cell}\n")
    with pytest.raises(DataError, match="line 2: G0068 amount"):
        import_cms_csv(src, year=2024)
    r = cli("rates", "import", src, "--year", "2024", "-o", tmp_path / "r.json")
    assert r.exit_code == 1 and one_line_error(r.output)
    assert not (tmp_path / "r.json").exists()


def test_rates_import_keeps_dollar_signs_and_thousands_in_cms_files(tmp_path):
    src = tmp_path / "rates.csv"
    src.write_text('CARRIER,LOCALITY,G0068\nNATIONAL,,"$1,150.00"\n')
    assert import_cms_csv(src, year=2024)["rates"][0]["amount"] == "1150.00"


def test_the_part_b_table_refuses_bad_values():
    doc = copy.deepcopy(package_json("part_b.json"))
    doc["deductibles"][0]["amount"] = "-1"
    with pytest.raises(DataError, match=r"deductibles\[0\]"):
        PartB(doc)
    doc = copy.deepcopy(package_json("part_b.json"))
    doc["coinsurance_rate"] = "2"
    with pytest.raises(DataError, match="a rate is a fraction from 0 to 1"):
        PartB(doc)


def test_a_payer_file_with_a_number_is_refused(tmp_path):
    payer = tmp_path / "payer.json"
    payer.write_text('{"name": "MEDICARE", "postal_code": 43216}')
    r = cli("adjudicate", SCENARIOS / "worked_example.837", "-o", tmp_path / "x.835",
            "--payer", payer)
    assert r.exit_code == 2 and one_line_error(r.output)   # a configuration mistake
    assert "payer.json: does not match the payer schema: postal_code: 43216 is not of type" \
        in r.output


@pytest.mark.parametrize("bad", [b"1E999999", b"1E9999999", b"NaN", b"Infinity", b"+117.6",
                                 b"1234567890123456789"])
def test_the_835_reader_refuses_what_x12_r_cannot_be(bad):
    data = (SCENARIOS / "worked_example.835").read_bytes()
    text = data.replace(b"CLP*WE-1*1*300*117.6", b"CLP*WE-1*1*300*" + bad)
    with pytest.raises(X12Error, match="element CLP04") as err:
        list(read_835(text, name="bad.835"))
    assert len(str(err.value)) < 200  # one short line, not a million digits


def test_the_835_reader_refuses_a_negative_payment():
    data = (SCENARIOS / "worked_example.835").read_bytes().replace(b"BPR*I*117.6", b"BPR*I*-117.6")
    with pytest.raises(X12Error, match="BPR02: the total payment cannot be negative"):
        list(read_835(data, name="bad.835"))


def test_decimal_value_names_what_it_expected():
    with pytest.raises(DataError, match="'1e3' is not a rate in plain decimal notation"):
        decimal_value("1e3", "x", what="a rate")
