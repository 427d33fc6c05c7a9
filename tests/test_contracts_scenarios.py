# The payer contract scenarios of issue 12, priced from fixtures/contracts/ (claims.837,
# written by tools/make_contract_fixtures.py; two ILLUSTRATIVE contracts, an NDC price
# list, an authorization file), exact to the cent with the arithmetic in comments.
#
# Commercial contract (commercial-per-diem.toml): S9500-S9504 per diem 110.00 a day
# (therapy anti-infective, bundles A4221 A4222 E0781 S1015, prior authorization), 99601
# 150.00 a visit (4 a month), 99602 60.00 an hour, J0696 by NDC at 85% of AWP + 5.00
# dispensing fee; deductible 250.00, coinsurance 20%, copay 25.00 a nursing visit,
# out-of-pocket maximum 500.00 a plan year; K4 (bundled) as CO-234 N20.
# Medicaid schedule (medicaid-hit-plus-30.json): G-codes at Medicare's HIT rate x 1.30
# (fixtures/rates/synthetic.json, 2026: G0068 180.00, G0088 220.00), S9328 per diem
# 85.00; no cost sharing.
from __future__ import annotations

from decimal import Decimal as D

import pytest

from edi_hit.pricing import price
from edi_hit.pricing.explain import explain_claim
from edi_hit.x837p import read_837p
from helpers_pricing import FIXTURES, SYNTHETIC_RATES

CONTRACTS = FIXTURES / "contracts"
CLAIMS = CONTRACTS / "claims.837"
AUTHORIZATIONS = CONTRACTS / "authorizations.csv"


def _price(claims=None, **kw):
    claims = list(read_837p(CLAIMS)) if claims is None else claims
    return list(price(claims, contracts=CONTRACTS, authorizations=AUTHORIZATIONS,
                      rates=SYNTHETIC_RATES, assume_dme_drug=True, **kw))


@pytest.fixture(scope="module")
def priced():
    out = {}
    for pc in _price():
        pc.check()
        out[pc.claim.patient_control_number] = pc
    return out


def lines(pc):
    """Per line: (code, status, allowed, paid, adjustments, remarks)."""
    return [(pl.line.code, pl.status, str(pl.allowed), str(pl.paid),
             [f"{a.group}-{a.reason} {a.amount}" for a in pl.adjustments], pl.remarks)
            for pl in pc.lines]


def test_seven_day_antibiotic_per_diem_with_two_nursing_visits_and_the_drug_by_ndc(priced):
    pc = priced["A1"]
    assert (pc.contract, pc.filing_indicator, pc.status) == ("acme-commercial-2026", "12",
                                                             "processed")
    # lines in date order: 03-02 S9500, 99601, J0696 (RD8 from 03-02); 03-05 99601, 99602
    assert lines(pc) == [
        # 7 days x 110.00 = 770.00 allowed (charge 1050.00: CO-45 280.00); deductible 250.00
        # not met: PR-1 250.00; coinsurance 20% x (770.00 - 250.00) = 104.00;
        # paid 770.00 - 250.00 - 104.00 = 416.00; member's share so far 354.00
        ("S9500", "paid", "770.00", "416.00",
         ["CO-45 280.00", "PR-1 250.00", "PR-2 104.00"], []),
        # 1 visit x 150.00; copay 25.00 instead of coinsurance: paid 125.00 (share 379.00)
        ("99601", "paid", "150.00", "125.00", ["CO-45 50.00", "PR-3 25.00"], []),
        ("99601", "paid", "150.00", "125.00", ["CO-45 50.00", "PR-3 25.00"], []),
        # 2 hours x 60.00 = 120.00; coinsurance 20% x 120.00 = 24.00; paid 96.00
        ("99602", "paid", "120.00", "96.00", ["CO-45 40.00", "PR-2 24.00"], []),
        # NDC 99999000101, CTP 7 UN at AWP 12.00 a vial: 0.85 x 12.00 x 7 = 71.40, + 5.00
        # dispensing fee = 76.40 (charge 210.00: CO-45 133.60); 20% x 76.40 = 15.28; paid 61.12
        ("J0696", "paid", "76.40", "61.12", ["CO-45 133.60", "PR-2 15.28"], []),
    ]
    # 416.00 + 125.00 + 125.00 + 96.00 + 61.12 = 823.12; member 354 + 25 + 25 + 24 + 15.28
    assert (pc.total_charge, pc.total_paid, pc.patient_responsibility) == (
        D("1820.00"), D("823.12"), D("443.28"))
    assert [pl.units_paid for pl in pc.lines] == [D("7"), D("1"), D("1"), D("2"), D("28")]


def test_supplies_billed_beside_a_per_diem_are_denied_as_bundled(priced):
    assert lines(priced["B1"]) == [
        # 3 days x 110.00 = 330.00; PR-1 250.00; 20% x 80.00 = 16.00; paid 64.00
        ("S9500", "paid", "330.00", "64.00", ["CO-45 120.00", "PR-1 250.00", "PR-2 16.00"], []),
        # A4222 on 03-10 and E0781 on 03-09 are in the per diem's days: the contract's K4
        ("A4222", "denied", "0.00", "0.00", ["CO-234 45.00"], ["N20"]),
        ("E0781", "denied", "0.00", "0.00", ["CO-234 120.00"], ["N20"]),
        # A4222 on 03-12, after the per diem ended on 03-11: not bundled, and no term: K1
        ("A4222", "denied", "0.00", "0.00", ["CO-96 45.00"], ["N130"]),
    ]
    trace = priced["B1"].lines[1].trace
    assert ("K4 A4222 is included in the per diem S9500 (anti-infective-per-diem) billed on "
            "line 1 for 2026-03-10: not paid separately") in trace


def test_a_visit_limit_crossed_mid_month(priced):
    # 99601: 150.00 a visit, 4 a month. Deductible 250.00: visit 1 all deductible, visit 2
    # the remaining 100.00 and a 25.00 copay (150 - 100 = 50 left, copay 25 at most 50)
    assert lines(priced["C1"]) == [
        ("99601", "paid", "150.00", "0.00", ["CO-45 50.00", "PR-1 150.00"], []),
        ("99601", "paid", "150.00", "25.00", ["CO-45 50.00", "PR-1 100.00", "PR-3 25.00"], []),
        ("99601", "paid", "150.00", "125.00", ["CO-45 50.00", "PR-3 25.00"], []),
    ]
    assert lines(priced["C2"]) == [
        ("99601", "paid", "150.00", "125.00", ["CO-45 50.00", "PR-3 25.00"], []),  # 4th: 03-14
        ("99601", "denied", "0.00", "0.00", ["CO-119 200.00"], ["N640"]),           # 5th: 03-18
        ("99601", "paid", "150.00", "125.00", ["CO-45 50.00", "PR-3 25.00"], []),  # April 1
    ]
    assert ("K5 limit 4 a month (2026-03-01..2026-03-31) on term nursing-visit: 4 used already"
            in priced["C2"].lines[1].trace)


def test_a_missing_prior_authorization_and_one_exceeded_or_invalid(priced):
    # D1 has no REF*G1: absent, CO-197
    assert lines(priced["D1"]) == [("S9500", "denied", "0.00", "0.00", ["CO-197 300.00"], [])]
    # D2's PA26-0004 covers 03-01..03-10; the line is 03-16..03-17: exceeded, CO-198
    assert lines(priced["D2"]) == [("S9500", "denied", "0.00", "0.00", ["CO-198 300.00"], [])]
    # D3's PA26-9999 is not in the authorization file: invalid, CO-15
    assert lines(priced["D3"]) == [("S9500", "denied", "0.00", "0.00", ["CO-15 300.00"], [])]
    assert "K7 no prior authorization (REF*G1) for S9500; term anti-infective-per-diem requires one" \
        in priced["D1"].lines[0].trace
    assert "K9 prior authorization PA26-9999 is not in authorizations.csv" in priced["D3"].lines[0].trace


def test_deductible_then_coinsurance_then_the_out_of_pocket_maximum(priced):
    # one member's per diems at 110.00 a day, in date order
    assert lines(priced["E1"]) == [
        # 2 days = 220.00, all of it deductible (250.00 remaining): paid 0.00; share 220.00
        ("S9500", "paid", "220.00", "0.00", ["CO-45 80.00", "PR-1 220.00"], [])]
    assert lines(priced["E2"]) == [
        # 5 days = 550.00: deductible 250 - 220 = 30.00, coinsurance 20% x 520.00 = 104.00,
        # paid 550 - 30 - 104 = 416.00; share 220 + 134 = 354.00
        ("S9500", "paid", "550.00", "416.00", ["CO-45 200.00", "PR-1 30.00", "PR-2 104.00"], [])]
    assert lines(priced["E3"]) == [
        # 7 days = 770.00: coinsurance 20% x 770.00 = 154.00, but only 500 - 354 = 146.00 of
        # the out-of-pocket maximum is left: PR-2 146.00, paid 770 - 146 = 624.00
        ("S9500", "paid", "770.00", "624.00", ["CO-45 280.00", "PR-2 146.00"], [])]
    assert lines(priced["E4"]) == [
        # maximum reached: the member pays nothing more, the plan 770.00
        ("S9500", "paid", "770.00", "770.00", ["CO-45 280.00"], [])]
    # E5: S9501 (the same therapy) 03-21..03-23 overlaps E4's 03-21 and 03-22: those 2 of 3
    # days come out of the charge, 450.00 x 2/3 = 300.00 (CO-97 M86); 1 day payable,
    # allowed min(150.00, 110.00) = 110.00, CO-45 40.00; nothing for the member
    assert lines(priced["E5"]) == [
        ("S9501", "paid", "110.00", "110.00", ["CO-97 300.00", "CO-45 40.00"], ["M86"])]
    assert priced["E5"].lines[0].units_paid == D("1")


def test_the_medicaid_schedule_pays_medicare_hit_fees_plus_30_percent(priced):
    pc = priced["F1"]
    assert (pc.contract, pc.filing_indicator) == ("state-medicaid-hit-2026", "MC")
    assert lines(pc) == [
        # G0088: Medicare 220.00 x 1.30 = 286.00 (charge 400.00: CO-45 114.00), no cost sharing
        ("G0088", "paid", "286.00", "286.00", ["CO-45 114.00"], []),
        # G0068, 8 units: 180.00 x 1.30 = 234.00 once; units never multiply
        ("G0068", "paid", "234.00", "234.00", ["CO-45 66.00"], []),
        # a second category-1 line the same day: Medicare's one payment per category per day
        ("G0068", "denied", "0.00", "0.00", ["CO-97 300.00"], ["M86"]),
        # S9328 flat per diem: 3 days x 85.00 = 255.00
        ("S9328", "paid", "255.00", "255.00", ["CO-45 45.00"], []),
        # a supply the pump per diem includes, on one of its days (default K4: CO-97 N20)
        ("A4222", "denied", "0.00", "0.00", ["CO-97 40.00"], ["N20"]),
    ]
    assert pc.total_paid == D("775.00")  # 286 + 234 + 255
    assert "rate hit-fees-plus-30: Medicare 220.00 x 1.30 = 286.00" in pc.lines[0].trace


def test_a_medicare_part_b_claim_no_contract_selects_is_priced_as_without_contracts(priced):
    pc = priced["G1"]
    assert (pc.contract, pc.filing_indicator) == (None, None)
    (alone,) = [x for x in price([c for c in read_837p(CLAIMS)
                                  if c.patient_control_number == "G1"],
                                 rates=SYNTHETIC_RATES, assume_dme_drug=True)]
    assert pc.to_dict() == alone.to_dict()
    # 2026: rate 180.00, the Part B deductible 283.00 takes it all
    assert lines(pc) == [("G0068", "paid", "180.00", "0.00", ["CO-45 120.00", "PR-1 180.00"], [])]


def test_a_claim_of_a_payer_without_contract_is_denied_never_silently_medicare(priced):
    pc = priced["H1"]
    assert (pc.contract, pc.filing_indicator, pc.status) == (None, "CI", "denied")
    assert lines(pc) == [("S9500", "denied", "0.00", "0.00", ["CO-109 150.00"], ["N104"])]
    assert pc.lines[0].trace == [
        "K0 no contract selects the claim (payer id OTH99 in 2010BB NM109, claim filing "
        "indicator CI in SBR09, date of service 2026-03-02) and it is not a Medicare Part B "
        "claim (SBR09 MB)", "denied CO-109+N104"]


def test_explain_names_the_contract_and_the_term_that_priced_each_line(priced):
    text = explain_claim(priced["A1"])
    assert "Claim A1" in text and "contract acme-commercial-2026" in text
    for term in ("anti-infective-per-diem", "nursing-visit", "nursing-hour", "drugs-by-ndc"):
        assert f"term {term} of contract acme-commercial-2026" in text
        assert f"rate {term}: " in text
    assert "rate anti-infective-per-diem: 110.00 x 7 days = 770.00" in text
    assert ("rate drugs-by-ndc: 0.85 x 12 x 7 (AWP, ndc-prices.csv:2) = 71.40 + dispensing fee "
            "5.00 = 76.40") in text


def test_the_result_does_not_depend_on_the_order_of_the_claims():
    claims = list(read_837p(CLAIMS))
    forward = {pc.claim.patient_control_number: pc.to_dict() for pc in _price(claims)}
    backward = {pc.claim.patient_control_number: pc.to_dict() for pc in _price(claims[::-1])}
    assert forward == backward


def test_without_the_authorization_file_a_ref_g1_is_taken_as_given():
    claims = [c for c in read_837p(CLAIMS) if c.patient_control_number in ("D1", "D3")]
    out = {pc.claim.patient_control_number: pc
           for pc in price(claims, contracts=CONTRACTS, rates=SYNTHETIC_RATES)}
    assert out["D1"].lines[0].adjustments[0].reason == "197"  # still absent
    assert out["D3"].lines[0].status == "paid"
    assert ("K7 prior authorization PA26-9999 given (REF*G1); not checked: no authorization file"
            in out["D3"].lines[0].trace)


def test_contract_priced_claims_match_the_priced_claim_schema_and_round_trip(priced):
    import json

    from edi_hit.pricing.model import PricedClaim
    from edi_hit.schemas import errors as schema_errors
    for pc in priced.values():
        doc = pc.to_dict()
        assert schema_errors(doc, "priced-claim") == [], pc.claim.patient_control_number
        assert PricedClaim.from_dict(json.loads(json.dumps(doc))).to_dict() == doc
