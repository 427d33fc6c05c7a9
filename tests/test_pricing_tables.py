# The pricer's tables: shipped JSON valid against the schemas, lookups by date and
# locality, the CMS CSV import, conventions overrides.
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from edi_hit.errors import DataError
from edi_hit.pricing import default_codes, default_conventions, default_rates, import_cms_csv
from edi_hit.pricing.conventions import load_conventions
from edi_hit.pricing.money import round_money
from edi_hit.pricing.rates import Locality, RateTable
from edi_hit.pricing.tables import package_json, part_b
from edi_hit.schemas import errors as schema_errors
from helpers_pricing import SYNTHETIC_RATES


@pytest.mark.parametrize("name,schema", [("rates_illustrative.json", "rates"),
                                         ("conventions.json", "conventions")])
def test_shipped_tables_match_their_schemas(name, schema):
    assert schema_errors(package_json(name), schema) == []


def test_fixture_rate_table_matches_the_schema():
    assert schema_errors(json.loads(SYNTHETIC_RATES.read_text()), "rates") == []


def test_shipped_rates_are_marked_illustrative_with_provenance():
    r = default_rates()
    assert r.illustrative is True
    assert "ILLUSTRATIVE" in r.provenance.source and r.provenance.date
    for year in range(2021, 2027):
        for code in ("G0068", "G0069", "G0070", "G0088", "G0089", "G0090"):
            assert r.national(code, date(year, 6, 1)) is not None, (code, year)


def test_g_codes_and_dates():
    codes = default_codes()
    assert codes.hit_code("G0088", date(2020, 12, 31)) is None
    assert codes.hit_code("G0088", date(2021, 1, 1)).category == 1
    assert codes.hit_code("G0068", date(2019, 1, 1)).initial is False
    assert [codes.hit_code(c, date(2024, 1, 1)).category for c in
            ("G0068", "G0069", "G0070", "G0088", "G0089", "G0090")] == [1, 2, 3, 1, 2, 3]
    assert codes.subsequent_code(3, date(2024, 1, 1)).code == "G0070"


def test_j_code_categories():
    codes = default_codes()
    day = date(2024, 1, 1)
    assert codes.drug_category("J1170", day) == 1
    assert codes.drug_category("J1559", day, ["JB"]) == 2
    assert codes.drug_category("J9000", day) == 3
    assert codes.drug_category("J7799", day) is None
    assert codes.drug_category("J7799", day, ["JB"]) == 2
    assert codes.drug_category("J9999", day) is None


def test_part_b_table():
    pb = part_b()
    assert [pb.deductible(y) for y in range(2021, 2027)] == [
        Decimal(x) for x in ("203.00", "233.00", "226.00", "240.00", "257.00", "283.00")]
    assert pb.coinsurance_rate == Decimal("0.20")
    rates = [pb.sequestration_rate(date.fromisoformat(x)) for x in
             ("2021-06-01", "2022-03-31", "2022-04-01", "2022-06-30", "2022-07-01", "2030-01-01")]
    assert rates == [Decimal(x) for x in ("0.00", "0.00", "0.01", "0.01", "0.02", "0.02")]


def test_round_money_is_half_up():
    assert [round_money(Decimal(x)) for x in ("2.005", "2.004", "0.125", "-2.005")] == [
        Decimal("2.01"), Decimal("2.00"), Decimal("0.13"), Decimal("-2.01")]


def test_rate_quotes_by_locality():
    r = RateTable.load(SYNTHETIC_RATES)
    day = date(2023, 3, 15)
    loc1 = r.locality_for_zip("99901", "billing provider")
    assert (loc1.carrier, loc1.locality) == ("99999", "01")
    assert r.quote("G0068", day, loc1).amount == Decimal("125.31")
    assert r.quote("G0068", day, loc1, "national_x_gaf").amount == Decimal("150.00")
    loc2 = r.locality_for_zip("99801", "billing provider")
    assert r.quote("G0068", day, loc2).amount == Decimal("155.00")
    assert r.locality_for_zip("63101", "billing provider") is None
    assert r.quote("G0068", day, None).amount == Decimal("150.00")
    odd = Locality("11111", "01", "test")
    assert "national fallback" in r.quote("G0068", day, odd).trace
    assert r.quote("G0068", date(2027, 1, 1), None) is None


def test_rate_table_errors_name_the_row(tmp_path):
    doc = json.loads(SYNTHETIC_RATES.read_text())
    doc["rates"][3]["amount"] = "12O.00"
    with pytest.raises(DataError, match=r"rates\[3\]"):
        RateTable(doc, "bad.json")
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        RateTable.load(bad)


CSV = """CY 2024 Home Infusion Therapy Locality-Adjusted Payment Rates,,,,,,,,
,,,,,,,,
Contractor,Locality Number,Locality Name,G0090 Payment,G0089 Payment,G0088 Payment,G0070 Payment,G0069 Payment,G0068 Payment
National,,,"$300.00",$250.00,$200.00,$260.00,$210.00,$160.00
01112,05,SAN FRANCISCO,"$345.10",287.55,230.01,299.02,241.53,184.00
1182,18,LOS ANGELES,330.00,275.00,220.00,286.00,231.00,"1,176.00"
,,,,,,,,
Source: synthetic test data,,,,,,,,
"""


def test_import_cms_csv_tolerates_order_spelling_and_title_rows(tmp_path):
    f = tmp_path / "CY2024_HIT_locality.csv"
    f.write_text(CSV)
    doc = import_cms_csv(f, source="synthetic", source_date="2024-01-01")
    assert schema_errors(doc, "rates") == []
    assert doc["illustrative"] is False
    r = RateTable(doc)
    day = date(2024, 5, 1)
    assert r.quote("G0068", day, None).amount == Decimal("160.00")
    sf = Locality("01112", "05", "t")
    assert r.quote("G0090", day, sf).amount == Decimal("345.10")
    assert r.quote("G0068", day, Locality("01182", "18", "t")).amount == Decimal("1176.00")
    assert r.quote("G0068", date(2025, 1, 1), None) is None
    assert len(doc["rates"]) == 18


def test_import_cms_csv_needs_a_year_and_a_header(tmp_path):
    f = tmp_path / "hit.csv"
    f.write_text(CSV)
    with pytest.raises(DataError, match="no year"):
        import_cms_csv(f)
    assert import_cms_csv(f, year=2025)["rates"][0]["effective_from"] == "2025-01-01"
    g = tmp_path / "2024.csv"
    g.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="no header row"):
        import_cms_csv(g)
    h = tmp_path / "2024b.csv"
    h.write_text("Carrier,Locality,G0068\n01112,05,abc\n")
    with pytest.raises(DataError, match="line 2: G0068 amount: 'abc' is not"):
        import_cms_csv(h)


def test_conventions_defaults_match_hit_rules_section_2():
    c = default_conventions()
    assert c.edit("E1").label() == "CO-16+M51"
    assert c.edit("E2").label() == "CO-5+M77"
    assert c.edit("E4").label() == "CO-B15"
    assert c.edit("E5").label() == "CO-151+N113"
    assert c.edit("E6_duplicate").label() == "OA-18"
    assert c.edit("E6").label() == "CO-97+M86"
    assert c.edit("E9").label() == "CO-16+M53"
    assert c.edit("E3").label() == "CO-8+N95"       # C1 E3
    assert c.edit("E8").label() == "CO-16+M59"      # C23
    assert c.edit("E11").label() == "CO-109+N104"   # C1 E11, C25
    # C2: the home set DME MACs use for IVIG in the home; none a hospital, CAH or SNF
    assert c.accepted_pos == frozenset({"04", "12", "13", "14", "32", "33", "54", "55", "56"})
    assert (c.multiple_categories_same_day, c.initial_visit_too_soon, c.locality_source,
            c.dme_drug_category_match, c.dme_drug_evidence) == (
        "pay_each", "deny", "billing_provider_zip", "same_category", "covered")


def test_conventions_file_overrides_part(tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps({"accepted_place_of_service": ["12", "13", "14"],
                             "edits": {"E4": {"remarks": ["N161"]}}}))
    c = load_conventions(f)
    assert c.accepted_pos == frozenset({"12", "13", "14"})
    assert c.edit("E4").label() == "CO-B15+N161"
    assert c.edit("E1").label() == "CO-16+M51"
    f.write_text(json.dumps({"initial_visit_too_soon": "maybe"}))
    # the shipped schema catches it first, naming the key (ConfigError is a DataError)
    with pytest.raises(DataError, match="initial_visit_too_soon: 'maybe' is not one of"):
        load_conventions(f)
