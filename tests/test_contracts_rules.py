# The payer contract rules and payment, one behaviour each, on small contracts built
# here (amounts by hand in the comments).
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from edi_hit.claims import DrugIdentification, Payer, Ref
from edi_hit.pricing import price
from edi_hit.pricing.contracts.cost import member_share
from edi_hit.pricing.contracts.load import build_contract
from edi_hit.pricing.contracts.model import CostSharing
from edi_hit.pricing.conventions import default_conventions
from edi_hit.x835 import build_835
from helpers_835 import independent_balance_check, pyx12_errors, segments_of
from helpers_pricing import FIXTURES, SYNTHETIC_RATES, claim, line

CONTRACTS = FIXTURES / "contracts"
MEMBER = "MEMBER0001"


def contract(*terms, **over):
    doc = {"schema": "edi-hit/contract/1", "id": "t", "name": "t", "illustrative": True,
           "provenance": {"source": "test", "date": "2026-01-01"},
           "payer": {"ids": ["P1"]}, "effective_from": "2026-01-01",
           "price_lists": {"awp": {"file": "ndc-prices.csv", "basis": "AWP"}},
           "terms": list(terms)}
    doc.update(over)
    return build_contract(doc, CONTRACTS / "test.json", default_conventions())


def bill(*lines, filing="CI", g1=None, pcn="T1", mbi=MEMBER):
    c = claim(*lines, pcn=pcn, mbi=mbi)
    c.subscriber.claim_filing_indicator = filing
    c.payer = Payer(name="TEST PLAN", id="P1")
    if g1:
        c.refs = [Ref("G1", g1)]
    return c


def priced(*claims, contracts, **kw):
    out = list(price(list(claims), contracts=contracts, rates=SYNTHETIC_RATES, **kw))
    for pc in out:
        pc.check()
    return out


def money(pl):
    return (pl.status, str(pl.allowed), str(pl.paid),
            [f"{a.group}-{a.reason} {a.amount}" for a in pl.adjustments], pl.remarks)


def ndc_line(ndc, quantity="7", unit="UN", qualifier="N4", code="J0696"):
    ln = line(code, "2026-03-02", "200.00", "28")
    ln.drug = None if ndc is None else DrugIdentification(ndc_qualifier=qualifier, ndc=ndc,
                                                          quantity=D(quantity), unit=unit)
    return ln


DRUG = {"id": "drug", "method": "drug", "codes": ["J0696", "J3370", "J0290", "J7050"],
        "by": "ndc", "price_list": "awp", "percent": "0.85"}


@pytest.mark.parametrize("drug, expected", [
    # no NDC on a line the contract prices by NDC: CO-16 M119 (K6)
    (None, ("denied", "0.00", "0.00", ["CO-16 200.00"], ["M119"])),
    # an NDC that is not 11 digits, or not an N4 NDC
    (("1234567890", "7", "UN", "N4"), ("denied", "0.00", "0.00", ["CO-16 200.00"], ["M119"])),
    (("99999000101", "7", "UN", "EN"), ("denied", "0.00", "0.00", ["CO-16 200.00"], ["M119"])),
    # an NDC the price list does not hold
    (("99999000999", "7", "UN", "N4"), ("denied", "0.00", "0.00", ["CO-16 200.00"], ["M119"])),
    # a quantity that cannot be converted (a vial's content is unknown): units, CO-16 M53
    (("99999000101", "100", "ML", "N4"), ("denied", "0.00", "0.00", ["CO-16 200.00"], ["M53"])),
    # 3 bags of 200 mL = 600 mL x 0.15 = 90.00 x 0.85 = 76.50
    (("99999000202", "3", "UN", "N4"), ("paid", "76.50", "76.50", ["CO-45 123.50"], [])),
    # 1.5 g = 1,500 mg x 0.02 = 30.00 x 0.85 = 25.50
    (("99999000303", "1.5", "GR", "N4"), ("paid", "25.50", "25.50", ["CO-45 174.50"], [])),
])
def test_drugs_by_ndc(drug, expected):
    c = contract(DRUG)
    ln = ndc_line(None) if drug is None else ndc_line(drug[0], drug[1], drug[2], drug[3])
    (pc,) = priced(bill(ln), contracts=[c])
    assert money(pc.lines[0]) == expected


def test_a_drug_by_hcpcs_multiplies_the_units_and_adds_the_dispensing_fee():
    c = contract({**DRUG, "by": "hcpcs", "dispensing_fee": "2.50"})
    (pc,) = priced(bill(line("J7050", "2026-03-02", "40.00", "4")), contracts=[c])
    # 4 units x 1.25 = 5.00 x 0.85 = 4.25 + 2.50 = 6.75
    assert money(pc.lines[0]) == ("paid", "6.75", "6.75", ["CO-45 33.25"], [])
    (pc,) = priced(bill(line("J0696", "2026-03-02", "40.00", "4")), contracts=[c])
    # no list price for J0696 by HCPCS: unprocessable (E12, MA130)
    assert money(pc.lines[0]) == ("denied", "0.00", "0.00", ["CO-16 40.00"], ["MA130"])


def test_fixed_and_percent_of_charge_and_the_lesser_of_charge():
    c = contract({"id": "f", "method": "fixed", "codes": ["S9379"], "rate": "75.00"},
                 {"id": "p", "method": "percent_of_charge", "codes": ["S9373"], "percent": "0.6"})
    (pc,) = priced(bill(line("S9379", "2026-03-02", "100.00", "3"),
                        line("S9379", "2026-03-03", "50.00", "1"),
                        line("S9373", "2026-03-04", "123.45", "1")), contracts=[c])
    assert [money(pl) for pl in pc.lines] == [
        ("paid", "75.00", "75.00", ["CO-45 25.00"], []),   # fixed 75.00 whatever the units
        ("paid", "50.00", "50.00", [], []),               # min(charge 50.00, 75.00)
        ("paid", "74.07", "74.07", ["CO-45 49.38"], []),  # 0.6 x 123.45 = 74.07 (74.070)
    ]
    assert [pl.units_paid for pl in pc.lines] == [D("3"), D("1"), D("1")]


PER_DIEM = {"id": "pd", "method": "per_diem", "codes": ["S9500-S9504"], "rate": "100.00",
            "therapy": "anti-infective"}


def test_per_diem_units_are_the_days_of_the_dates():
    c = contract(PER_DIEM)
    (pc,) = priced(bill(line("S9500", "2026-03-02", "700.00", "7"),            # D8, 7 units
                        line("S9500", "2026-03-10", "500.00", "4", end="2026-03-14"),
                        line("S9500", "2026-03-20", "300.00", "3", end="2026-03-22")),
                   contracts=[c])
    assert money(pc.lines[0])[3:] == (["CO-16 700.00"], ["M53"])
    assert ("K2 units 7 but the line's dates 2026-03-02 are 1 day: a per diem unit is one day "
            "(bill several days with a date range, DTP*472 RD8)") in pc.lines[0].trace
    assert "K2 units 4 but the line's dates 2026-03-10..2026-03-14 are 5 days" in \
        " ".join(pc.lines[1].trace)
    assert money(pc.lines[2]) == ("paid", "300.00", "300.00", [], [])  # 3 x 100.00


def test_overlapping_per_diems_of_one_therapy_pay_each_day_once_across_claims():
    c = contract(PER_DIEM, {"id": "pn", "method": "per_diem", "codes": ["S9365"],
                            "rate": "80.00", "therapy": "nutrition"})
    first = bill(line("S9500", "2026-03-01", "400.00", "4", end="2026-03-04"), pcn="T1")
    second = bill(line("S9502", "2026-03-03", "500.00", "5", end="2026-03-07"),
                  line("S9365", "2026-03-03", "80.00", "1"), pcn="T2")
    one, two = priced(first, second, contracts=[c])
    assert money(one.lines[0]) == ("paid", "400.00", "400.00", [], [])
    # 03-03 and 03-04 paid by T1: 500.00 x 2/5 = 200.00 CO-97; 3 days x 100 = 300.00 of 300.00
    assert money(two.lines[0]) == ("paid", "300.00", "300.00", ["CO-97 200.00"], ["M86"])
    # another therapy the same day is a per diem of its own
    assert money(two.lines[1]) == ("paid", "80.00", "80.00", [], [])
    # every day paid already: the whole line, K3
    (again,) = priced(first, bill(line("S9501", "2026-03-02", "200.00", "2", end="2026-03-03"),
                                  pcn="T3"), contracts=[c])[1:]
    assert money(again.lines[0]) == ("denied", "0.00", "0.00", ["CO-97 200.00"], ["M86"])


def test_a_limit_cuts_the_units_over_it():
    c = contract({"id": "v", "method": "per_hour", "codes": ["99602"], "rate": "60.00",
                  "limit": {"units": "3", "per": "week"}})
    (pc,) = priced(bill(line("99602", "2026-03-16", "100.00", "2"),
                        line("99602", "2026-03-18", "100.00", "2"),
                        line("99602", "2026-03-22", "100.00", "2")), contracts=[c])
    # Sunday 03-15 .. Saturday 03-21: 2 hours, then 1 of 2 (100.00 x 1/2 = 50.00 CO-119,
    # 1 x 60.00 of the other 50.00: allowed 50.00); Sunday 03-22 starts a new week
    assert [money(pl) for pl in pc.lines] == [
        ("paid", "100.00", "100.00", [], []),
        ("paid", "50.00", "50.00", ["CO-119 50.00"], ["N640"]),
        ("paid", "100.00", "100.00", [], []),
    ]
    assert pc.lines[1].units_paid == D("1")


def test_prior_authorization_of_another_member_or_too_many_units(tmp_path):
    auths = tmp_path / "a.csv"
    auths.write_text("member_id,authorization,codes,start,end,units\n"
                     f"{MEMBER},PA1,S9500,2026-03-01,2026-03-31,3\n"
                     "SOMEONE,PA2,S9500,2026-03-01,2026-03-31,\n")
    c = contract({**PER_DIEM, "prior_authorization": True})
    out = priced(bill(line("S9500", "2026-03-02", "200.00", "2", end="2026-03-03"), g1="PA1",
                      pcn="T1"),
                 bill(line("S9500", "2026-03-04", "200.00", "2", end="2026-03-05"), g1="PA1",
                      pcn="T2"),
                 bill(line("S9500", "2026-03-06", "100.00", "1"), g1="PA2", pcn="T3"),
                 contracts=[c], authorizations=auths)
    assert [money(pc.lines[0])[3] for pc in out] == [[], ["CO-198 200.00"], ["CO-15 100.00"]]
    assert ("K8 prior authorization PA1 allows 3 units of S9500 in 2026-03-01..2026-03-31: 2 "
            "used, the line needs 2") in out[1].lines[0].trace
    assert "K9 prior authorization PA2 is another member's" in out[2].lines[0].trace
    assert MEMBER not in " ".join(t for pc in out for pl in pc.lines for t in pl.trace)


def test_a_line_ref_g1_wins_over_the_claims():
    c = contract({**PER_DIEM, "prior_authorization": True})
    ln = line("S9500", "2026-03-02", "100.00", "1")
    ln.refs = [Ref("G1", "LINE-PA")]
    (pc,) = priced(bill(ln, g1="CLAIM-PA"), contracts=[c])
    assert "K7 prior authorization LINE-PA given (REF*G1); not checked: no authorization file" \
        in pc.lines[0].trace


def test_outside_the_contract_dates_or_terms_the_code_is_not_covered():
    c = contract(PER_DIEM, effective_to="2026-06-30")
    (pc,) = priced(bill(line("S9500", "2026-03-02", "100.00", "1"),
                        line("S9999", "2026-03-03", "10.00", "1")), contracts=[c])
    assert money(pc.lines[1])[3:] == (["CO-96 10.00"], ["N130"])
    assert "K1 S9999 is not covered by contract t on 2026-03-03" in pc.lines[1].trace
    # a claim dated after the contract ends is not selected by it: K0 (SBR09 CI)
    (late,) = priced(bill(line("S9500", "2026-07-02", "100.00", "1")), contracts=[c])
    assert money(late.lines[0])[3:] == (["CO-109 100.00"], ["N104"])


def test_the_contracts_place_of_service_set():
    c = contract(PER_DIEM, conventions={"accepted_place_of_service": ["12"]})
    (pc,) = priced(bill(line("S9500", "2026-03-02", "100.00", "1", pos="13")), contracts=[c])
    assert money(pc.lines[0])[3:] == (["CO-5 100.00"], ["M77"])
    assert "E2 place of service 13 (SV105) is not in the home set {12}" in pc.lines[0].trace


@pytest.mark.parametrize("sbr09, remit, clp06", [
    ("HM", None, "HM"), ("16", None, "16"), ("MC", None, "MC"),
    ("CI", None, "ZZ"),   # CI is an 837 SBR09 code, not an 835 CLP06 code
    ("BL", "12", "12"),   # the contract says what its claims are
])
def test_clp06_comes_from_the_claim_or_the_contract(sbr09, remit, clp06):
    c = contract(PER_DIEM, **({"remit": {"claim_filing_indicator": remit}} if remit else {}))
    (pc,) = priced(bill(line("S9500", "2026-03-02", "100.00", "1"), filing=sbr09), contracts=[c])
    data = build_835([pc])
    (clp,) = [s for s in segments_of(data) if s[0] == "CLP"]
    assert clp[6] == clp06
    assert pyx12_errors(data) == [] and independent_balance_check(data) == []


def test_cost_sharing_cap_comes_off_coinsurance_then_copay_then_deductible():
    cs = CostSharing(deductible=D("100.00"), coinsurance=D("0.20"), copay_per_visit=D("30.00"),
                     out_of_pocket_max=D("500.00"))
    # allowed 200.00, 100.00 deductible left, copay 30.00: share 130.00, 20.00 left of the
    # maximum: the copay goes first (no coinsurance on a copay line), then 10.00 of the
    # deductible: PR-1 20.00, PR-3 0.00
    s = member_share(D("200.00"), cs, date(2026, 1, 1), copay=D("30.00"), copay_what="30 x 1",
                     met_deductible=D("0.00"), met_out_of_pocket=D("480.00"))
    assert (s.deductible, s.copay, s.coinsurance) == (D("20.00"), D("0.00"), D("0.00"))
    assert s.trace[-1] == ("P6 out-of-pocket maximum 500.00, met 480.00, remaining 20.00: "
                           "member's share 130.00 capped at 20.00 (PR-3 -30.00, PR-1 -80.00)")
    # coinsurance rounds half-up: 20% x 100.63 = 20.126 -> 20.13
    s = member_share(D("100.63"), replace(cs, deductible=D("0.00")), date(2026, 1, 1), copay=None,
                     copay_what="", met_deductible=D("0"), met_out_of_pocket=D("0"))
    assert s.coinsurance == D("20.13")


def test_a_plan_year_that_starts_in_july_resets_the_deductible(tmp_path):
    c = contract(PER_DIEM, cost_sharing={"plan_year_start": "07-01", "deductible": "150.00"})
    out = priced(bill(line("S9500", "2026-06-29", "200.00", "2", end="2026-06-30"), pcn="T1"),
                 bill(line("S9500", "2026-07-01", "200.00", "2", end="2026-07-02"), pcn="T2"),
                 contracts=[c])
    # each plan year's first 150.00 of 200.00 allowed: PR-1 150.00, paid 50.00
    assert [money(pc.lines[0])[2:4] for pc in out] == [("50.00", ["PR-1 150.00"])] * 2
    assert "P2 deductible 150.00 plan year from 2026-07-01" in " ".join(out[1].lines[0].trace)


MULTIPLY = {"id": "m", "method": "medicare_fee_multiplier",
            "codes": ["G0068", "G0069", "G0070", "G0088", "G0089", "G0090"], "factor": "1.10"}


def test_medicare_fee_multiplier_one_per_category_a_day_or_the_highest_only():
    lines = (line("G0070", "2026-03-02", "400.00", "4"), line("G0068", "2026-03-02", "300.00", "4"),
             line("G9999", "2026-03-03", "300.00", "4"))
    (pc,) = priced(bill(*lines), contracts=[contract(MULTIPLY)])
    # categories 3 and 1 on one day each pay (C3 pay_each): 280.00 x 1.10 = 308.00 and
    # 180.00 x 1.10 = 198.00; G9999 is in no term of the contract: K1
    assert [money(pl)[:3] for pl in pc.lines] == [("paid", "308.00", "308.00"),
                                                 ("paid", "198.00", "198.00"),
                                                 ("denied", "0.00", "0.00")]
    highest = contract(MULTIPLY, conventions={"multiple_categories_same_day": "highest_only"})
    (pc,) = priced(bill(*lines[:2]), contracts=[highest])
    assert money(pc.lines[1])[3:] == (["CO-97 300.00"], ["M80"])  # E7
    assert ("E7 category 3 already paid for 2026-03-02; only the highest category is paid "
            "(highest_only)") in pc.lines[1].trace


def test_a_g_code_the_multiplier_lists_but_not_valid_on_the_date_is_e1():
    c = contract({**MULTIPLY, "codes": ["G0068", "G0088"]}, effective_from="2020-01-01")
    (pc,) = priced(bill(line("G0088", "2020-06-01", "300.00", "4")), contracts=[c])
    # G0088 exists from 2021-01-01: no Medicare HIT rate to multiply
    assert money(pc.lines[0])[3:] == (["CO-16 300.00"], ["M51"])
