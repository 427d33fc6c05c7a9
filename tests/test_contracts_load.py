# Reading payer contracts: JSON and TOML alike, the schema naming the offending key, the
# checks a schema cannot make, selection by payer id, SBR09 and date, the price list and
# the authorization file.
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from edi_hit.errors import DataError
from edi_hit.pricing.contracts import load_authorizations, load_contracts, load_price_list
from edi_hit.pricing.contracts.load import read_document
from edi_hit.pricing.contracts.model import limit_period, plan_year
from edi_hit.pricing.conventions import default_conventions
from helpers_pricing import FIXTURES

CONTRACTS = FIXTURES / "contracts"


def _doc(**over) -> dict:
    doc = {
        "schema": "edi-hit/contract/1", "id": "t1", "name": "test", "illustrative": True,
        "provenance": {"source": "test", "date": "2026-01-01"},
        "payer": {"ids": ["P1"], "claim_filing_indicators": ["CI"]},
        "terms": [{"id": "pd", "method": "per_diem", "codes": ["S9500-S9504"], "rate": "100.00",
                   "therapy": "x"}],
    }
    doc.update(over)
    return doc


def _load(tmp_path: Path, *docs: dict):
    for n, d in enumerate(docs):
        (tmp_path / f"c{n}.json").write_text(json.dumps(d))
    return load_contracts(tmp_path, default_conventions())


def test_the_toml_contract_reads_as_the_same_document_json_would_give():
    doc = read_document(CONTRACTS / "commercial-per-diem.toml")
    # TOML dates become ISO text; money stays text
    assert doc["effective_from"] == "2026-01-01" and doc["cost_sharing"]["deductible"] == "250.00"
    assert doc["terms"][1]["limit"] == {"units": "4", "per": "month"}
    book = load_contracts(CONTRACTS, default_conventions())
    (acme,) = [c for c in book.contracts if c.id == "acme-commercial-2026"]
    assert acme.term_for("S9503", date(2026, 3, 1)).id == "anti-infective-per-diem"  # range
    assert acme.term_for("S9505", date(2026, 3, 1)) is None
    assert acme.cost_sharing.out_of_pocket_max == D("500.00")
    assert acme.conventions == {"edits": {"K4": {"group": "CO", "reason": "234",
                                                 "remarks": ["N20"]}}}


@pytest.mark.parametrize("change, message", [
    ({"terms": [{"id": "pd", "method": "per_diem", "codes": ["S9500"], "therapy": "x"}]},
     "terms[0]: 'rate' is a required property"),
    ({"terms": [{"id": "pd", "method": "per_diem", "codes": ["S9500"], "rate": "1e2",
                 "therapy": "x"}]}, "terms[0].rate: '1e2' does not match"),
    ({"terms": [{"id": "d", "method": "drug", "codes": ["J0696"], "by": "ndc",
                 "percent": "0.85"}]}, "terms[0]: 'price_list' is a required property"),
    ({"payer": {"ids": ["P1"], "claim_filing_indicators": ["XX"]}},
     "payer.claim_filing_indicators[0]: 'XX' is not one of"),
    ({"cost_sharing": {"coinsurance": "1.5"}}, "cost_sharing.coinsurance: '1.5' does not match"),
    ({"surprise": 1}, "surprise: unexpected key (not in the schema)"),
])
def test_the_schema_names_the_path_of_the_offending_key(tmp_path, change, message):
    with pytest.raises(DataError, match="does not match the contract schema") as e:
        _load(tmp_path, _doc(**change))
    assert message in str(e.value) and "c0.json" in str(e.value)


def test_what_the_schema_cannot_see(tmp_path):
    twice = _doc(terms=[
        {"id": "a", "method": "fixed", "codes": ["S9500"], "rate": "1.00"},
        {"id": "b", "method": "fixed", "codes": ["S9500"], "rate": "2.00"}])
    with pytest.raises(DataError, match=r"terms\[1\]: code S9500 is also priced by terms\[0\] "
                                        r"\(a\) on overlapping dates"):
        _load(tmp_path, twice)
    dated = _doc(terms=[
        {"id": "a", "method": "fixed", "codes": ["S9500"], "rate": "1.00",
         "effective_to": "2026-06-30"},
        {"id": "b", "method": "fixed", "codes": ["S9500"], "rate": "2.00",
         "effective_from": "2026-07-01"}])
    (c,) = _load(tmp_path, dated).contracts
    assert c.term_for("S9500", date(2026, 7, 1)).id == "b"
    drug = _doc(terms=[{"id": "d", "method": "drug", "codes": ["J0696"], "by": "ndc",
                        "percent": "0.85", "price_list": "awp"}])
    with pytest.raises(DataError, match=r"terms\[0\].price_list: 'awp' is not one of the "
                                        r"contract's price_lists \(none\)"):
        _load(tmp_path, drug)
    bad_edit = _doc(conventions={"edits": {"K4": {"group": "XX", "reason": "234"}}})
    with pytest.raises(DataError, match="conventions: .*edits.K4: needs group"):
        _load(tmp_path, bad_edit)


def test_two_contracts_that_could_select_one_claim_are_refused(tmp_path):
    a = _doc(id="a")
    b = _doc(id="b", payer={"ids": ["P1"]})  # any SBR09: overlaps a's CI
    with pytest.raises(DataError, match="contract b and a .* both select claims of payer id P1"):
        _load(tmp_path, a, b)
    for f in tmp_path.iterdir():
        f.unlink()
    later = _doc(id="b", effective_from="2027-01-01")
    earlier = _doc(id="a", effective_to="2026-12-31")
    book = _load(tmp_path, earlier, later)
    assert book.select("P1", "CI", date(2026, 5, 1)).contract.id == "a"
    assert book.select("P1", "CI", date(2027, 5, 1)).contract.id == "b"


def test_selection_mb_stays_medicare_anything_else_is_refused(tmp_path):
    book = _load(tmp_path, _doc())
    assert book.select("P1", "CI", date(2026, 1, 5)).contract.id == "t1"
    medicare = book.select("P1", "MB", date(2026, 1, 5))
    assert medicare.contract is None and medicare.refusal is None
    other = book.select("P1", "HM", date(2026, 1, 5))
    assert other.contract is None and other.refusal.startswith("K0 no contract selects the claim "
                                                               "(payer id P1")
    assert "SBR09" in book.select(None, None, None).refusal


def test_an_empty_folder_or_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="the folder holds no contract"):
        load_contracts(tmp_path, default_conventions())
    with pytest.raises(DataError, match="no such contract file or folder"):
        load_contracts(tmp_path / "nope.json", default_conventions())
    (tmp_path / "broken.toml").write_text("id = ")
    with pytest.raises(DataError, match="broken.toml: not valid TOML"):
        load_contracts(tmp_path, default_conventions())


def test_price_list_units_convert_through_the_package(tmp_path):
    plist = load_price_list(CONTRACTS / "ndc-prices.csv", "AWP")
    day = date(2026, 3, 1)
    vial, bag, powder = (plist.ndc(n, day) for n in ("99999000101", "99999000202", "99999000303"))
    assert plist.convert(D("7"), "UN", vial) == D("7")
    assert plist.convert(D("3"), "UN", bag) == D("600")        # 3 bags x 200 mL
    assert plist.convert(D("2"), "GR", powder) == D("2000")    # 2 g = 2,000 mg
    assert plist.convert(D("100"), "ML", vial) is None          # a vial's content is unknown
    assert plist.hcpcs("j7050", day).price == D("1.25000")
    assert plist.ndc("99999000101", date(2027, 1, 1)) is None   # out of its dates
    bad = tmp_path / "p.csv"
    bad.write_text("ndc,unit,price\n1234,UN,1.00\n")
    with pytest.raises(DataError, match=r"p.csv: line 2: NDC '1234' is not 11 digits"):
        load_price_list(bad)
    bad.write_text("ndc,unit,price\n99999000101,UN,1.123456\n")
    with pytest.raises(DataError, match="more than 5 decimal places"):
        load_price_list(bad)


def test_authorization_file_rows_and_errors(tmp_path):
    auths = load_authorizations(CONTRACTS / "authorizations.csv")
    (row,) = auths.get("PA26-0001")
    assert row.codes == frozenset({"S9500", "S9501", "S9502", "S9503", "S9504"})
    assert (row.start, row.end, row.units) == (date(2026, 3, 1), date(2026, 3, 31), D("14"))
    bad = tmp_path / "a.csv"
    bad.write_text("member_id,authorization,codes,start,end\nSECRET123,PA1,S9500,2026-03-09,"
                   "2026-03-01\n")
    with pytest.raises(DataError) as e:
        load_authorizations(bad)
    assert "line 2: end 2026-03-01 is before start 2026-03-09" in str(e.value)
    assert "SECRET123" not in str(e.value)  # a member id is PHI


def test_plan_years_and_limit_periods():
    assert plan_year(date(2026, 6, 30), (7, 1)) == date(2025, 7, 1)
    assert plan_year(date(2026, 7, 1), (7, 1)) == date(2026, 7, 1)
    assert limit_period(date(2026, 3, 18), "week", (1, 1)) == (date(2026, 3, 15), date(2026, 3, 21))
    assert limit_period(date(2026, 2, 10), "month", (1, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert limit_period(date(2024, 8, 1), "plan_year", (7, 1)) == (date(2024, 7, 1),
                                                                   date(2025, 6, 30))


def test_a_contract_may_set_the_conventions_its_multiplier_terms_read(tmp_path):
    doc = _doc(conventions={"multiple_categories_same_day": "highest_only",
                            "locality_source": "national"})
    (c,) = _load(tmp_path, doc).contracts
    assert c.conventions["multiple_categories_same_day"] == "highest_only"
    (tmp_path / "c0.json").write_text(json.dumps(_doc(conventions={"rounding": "none"})))
    with pytest.raises(DataError, match=r"conventions\.rounding: unexpected key"):
        load_contracts(tmp_path, default_conventions())
