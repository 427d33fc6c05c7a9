# Pricing rules end to end through edi_hit.pricing.price(), hand-computed to the cent.
# Rates: fixtures/rates/synthetic.json (G0068 = 130/140/150/160 for 2021..2024, G0088 = +40,
# G0069 = +50, locality 99999-01 G0068 2023 = 125.31, GAF 99999-02 = 1.0333).
from __future__ import annotations

from decimal import Decimal

import pytest

from edi_hit.pricing import SQLiteHistory, price
from edi_hit.pricing.model import PricedClaim
from helpers_pricing import MBI, SYNTHETIC_RATES, claim, d, dme, drug, line, split_evidence


def run(*items, history=None, **kw) -> list[PricedClaim]:
    """Price the Claims among `items`; the DrugClaims (dme(...)) are the DME MAC's
    covered drug lines given to the run as evidence."""
    claims, evidence = split_evidence(items)
    out = list(price(claims, rates=SYNTHETIC_RATES, history=history, dme_drugs=evidence, **kw))
    for pc in out:
        pc.check()
    return out


def met(year: int, amount: str) -> SQLiteHistory:
    h = SQLiteHistory()
    h.set_deductible_met(MBI, year, Decimal(amount))
    return h


def adj(pl) -> list[tuple[str, str, str]]:
    return [(a.group, a.reason, str(a.amount)) for a in pl.adjustments]


def hit_lines(out):
    """Priced lines of the HIT (non-drug) claims, in output order."""
    return [pl for pc in out for pl in pc.lines if pl.line.code.startswith("G")]


# -- rule 7-10: the worked example (hit-rules 9.7) ------------------------------------------

def test_worked_example_9_7():
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15", "300.00", "4")),
              history=met(2023, "226.00"))
    (pl,) = hit_lines(out)
    assert pl.status == "paid"
    assert adj(pl) == [("CO", "45", "150.00"), ("PR", "2", "30.00"), ("CO", "253", "2.40")]
    assert (pl.allowed, pl.paid) == (d("150.00"), d("117.60"))
    assert pl.units_paid == d("4")
    assert out[0].total_paid == d("117.60") and out[0].patient_responsibility == d("30.00")
    assert out[0].status == "processed"
    assert out[0].illustrative_rates is True


def test_charge_below_rate_is_allowed_without_co45():
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15", "100.00")),
              history=met(2023, "226.00"))
    (pl,) = hit_lines(out)
    assert adj(pl) == [("PR", "2", "20.00"), ("CO", "253", "1.60")]
    assert (pl.allowed, pl.paid) == (d("100.00"), d("78.40"))


# -- rule 3: units never multiply ------------------------------------------------------------

def test_units_1_and_8_pay_the_same():
    out = run(dme("2023-03-01"),
              claim(line("G0068", "2023-03-10", "300.00", "1"),
                    line("G0068", "2023-03-11", "300.00", "8", n=2)),
              history=met(2023, "226.00"))
    one, eight = hit_lines(out)
    assert one.paid == eight.paid == d("117.60")
    assert one.units_paid == d("1") and eight.units_paid == d("8")


@pytest.mark.parametrize("units", [None, "0"])
def test_units_missing_or_zero_denied_e9(units):
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15", "300.00", units)))
    (pl,) = hit_lines(out)
    assert pl.status == "denied"
    assert adj(pl) == [("CO", "16", "300.00")] and pl.remarks == ["M53"]
    assert (pl.allowed, pl.paid) == (d("0.00"), d("0.00"))


# -- rule 5: initial visit gap -------------------------------------------------------------

def test_initial_visit_day_60_denied_day_61_paid():
    # visit 2023-01-02; 2023-03-03 is day 60 after it, 2023-03-04 day 61
    out = run(dme("2022-12-20"), dme("2023-02-20"),
              claim(line("G0068", "2023-01-02", "300.00"), pcn="V1"),
              claim(line("G0088", "2023-03-03", "400.00"), pcn="V2"),
              claim(line("G0088", "2023-03-04", "400.00"), pcn="V3"),
              history=met(2023, "226.00"))
    first, day60, day61 = hit_lines(out)
    assert first.status == "paid"
    assert day60.status == "denied"
    assert adj(day60) == [("CO", "151", "400.00")] and day60.remarks == ["N113"]
    assert any("60 days before" in t for t in day60.trace)
    assert day61.status == "paid"
    # G0088 2023 = 190.00: CO-45 210.00, PR-2 38.00, CO-253 3.04 (2% of 152.00), paid 148.96
    assert adj(day61) == [("CO", "45", "210.00"), ("PR", "2", "38.00"), ("CO", "253", "3.04")]
    assert day61.paid == d("148.96")


def test_initial_visit_too_soon_reprice_convention():
    out = run(dme("2023-01-01"), claim(line("G0068", "2023-01-02"), pcn="V1"),
              claim(line("G0088", "2023-01-20", "300.00"), pcn="V2"),
              history=met(2023, "226.00"),
              conventions={"initial_visit_too_soon": "reprice_subsequent"})
    _, repriced = hit_lines(out)
    assert repriced.status == "paid"
    assert repriced.allowed == d("150.00")  # the G0068 rate, not G0088's 190.00
    assert any("repriced as G0068" in t for t in repriced.trace)


def test_initial_visit_first_ever_is_paid():
    out = run(dme("2023-01-01"), claim(line("G0088", "2023-01-02", "190.00")),
              history=met(2023, "226.00"))
    (pl,) = hit_lines(out)
    assert pl.status == "paid" and pl.paid == d("148.96")


# -- rule 4: DME drug 0..30 days before ------------------------------------------------------

@pytest.mark.parametrize("drug_day,status", [
    ("2023-03-15", "paid"),    # same day: 0 days before
    ("2023-02-13", "paid"),    # 30 days before
    ("2023-02-12", "denied"),  # 31 days before
    ("2023-03-16", "denied"),  # after the visit
])
def test_dme_drug_window(drug_day, status):
    out = run(dme(drug_day), claim(line("G0068", "2023-03-15")), history=met(2023, "226.00"))
    (pl,) = hit_lines(out)
    assert pl.status == status
    if status == "denied":
        assert adj(pl) == [("CO", "B15", "300.00")] and pl.remarks == []


def test_dme_drug_must_be_same_category():
    out = run(dme("2023-03-01", "J1559", modifiers=["JB"]), claim(line("G0068", "2023-03-15")))
    (pl,) = hit_lines(out)
    assert pl.status == "denied" and adj(pl)[0][:2] == ("CO", "B15")
    out = run(dme("2023-03-01", "J1559", modifiers=["JB"]), claim(line("G0068", "2023-03-15")),
              conventions={"dme_drug_category_match": "any"})
    assert hit_lines(out)[0].status == "paid"


def test_j7799_needs_jb_to_qualify():
    out = run(dme("2023-03-01", "J7799"), claim(line("G0069", "2023-03-15")))
    assert hit_lines(out)[0].status == "denied"
    out = run(dme("2023-03-01", "J7799", modifiers=["JB"]), claim(line("G0069", "2023-03-15")))
    assert hit_lines(out)[0].status == "paid"


def test_assume_dme_drug_turns_the_rule_off():
    out = run(claim(line("G0068", "2023-03-15")), history=met(2023, "226.00"),
              assume_dme_drug=True)
    (pl,) = hit_lines(out)
    assert pl.paid == d("117.60")
    assert any("--assume-dme-drug" in t for t in pl.trace)


def test_drug_line_is_denied_e11_and_is_no_evidence():
    # C18: the DME supplier's J1170 claim sent to the A/B contractor is denied CO-109 N104
    # for the whole 50.00, and the visit 14 days later finds no covered drug: CO-B15 300.00
    out = run(drug("2023-03-01"), claim(line("G0068", "2023-03-15")))
    (pl,) = out[0].lines
    assert pl.status == "denied" and adj(pl) == [("CO", "109", "50.00")] and pl.remarks == ["N104"]
    assert pl.payment_category == 1
    assert out[0].status == "denied"
    (visit,) = hit_lines(out)
    assert adj(visit) == [("CO", "B15", "300.00")]


def test_dme_import_history_counts():
    from edi_hit.pricing.history import DrugClaim
    from datetime import date
    h = met(2023, "226.00")
    assert h.import_dme([DrugClaim(MBI, date(2023, 3, 1), "J1170", 1)]) == 1
    assert h.import_dme([DrugClaim(MBI, date(2023, 3, 1), "J1170", 1)]) == 0
    out = run(claim(line("G0068", "2023-03-15")), history=h)
    assert hit_lines(out)[0].paid == d("117.60")


# -- rule 6: one payment per category per day --------------------------------------------------

def test_same_category_same_day():
    out = run(dme("2023-03-01"),
              claim(line("G0068", "2023-03-15", "300.00"),
                    line("G0068", "2023-03-15", "300.00", n=2),
                    line("G0088", "2023-03-15", "300.00", n=3)),
              history=met(2023, "226.00"))
    first, dup, other = hit_lines(out)
    assert first.status == "paid" and first.paid == d("117.60")
    assert dup.status == "denied" and adj(dup) == [("OA", "18", "300.00")] and dup.remarks == []
    assert other.status == "denied" and adj(other) == [("CO", "97", "300.00")]
    assert other.remarks == ["M86"]
    assert out[0].total_paid == d("117.60")


def test_same_category_same_day_across_claims():
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15", "300.00"), pcn="A"),
              claim(line("G0068", "2023-03-15", "250.00"), pcn="B"),
              history=met(2023, "226.00"))
    a, b = hit_lines(out)
    assert a.status == "paid"
    assert adj(b) == [("CO", "97", "250.00")] and b.remarks == ["M86"]


def test_two_categories_same_day_each_paid():
    out = run(dme("2023-03-01"), dme("2023-03-01", "J1559", modifiers=["JB"]),
              claim(line("G0068", "2023-03-15", "300.00"), line("G0069", "2023-03-15", "300.00", n=2)),
              history=met(2023, "226.00"))
    cat1, cat2 = hit_lines(out)
    assert cat1.paid == d("117.60")
    # G0069 2023 = 200.00: CO-45 100.00, PR-2 40.00, CO-253 3.20, paid 156.80
    assert adj(cat2) == [("CO", "45", "100.00"), ("PR", "2", "40.00"), ("CO", "253", "3.20")]
    assert cat2.paid == d("156.80") and cat2.payment_category == 2


def test_two_categories_highest_only_convention():
    out = run(dme("2023-03-01"), dme("2023-03-01", "J9000"),
              claim(line("G0070", "2023-03-15", "300.00"), line("G0068", "2023-03-15", n=2)),
              history=met(2023, "226.00"),
              conventions={"multiple_categories_same_day": "highest_only"})
    cat3, cat1 = hit_lines(out)
    assert cat3.status == "paid"
    assert cat1.status == "denied" and adj(cat1) == [("CO", "97", "300.00")]
    assert cat1.remarks == ["M80"]


# -- rule 8: deductible across claims, coinsurance rounding --------------------------------

def test_deductible_partly_met_then_exhausted_across_two_claims():
    # 2024 deductible 240.00, 100.00 met before: 140.00 remaining; G0068 2024 = 160.00
    h = met(2024, "100.00")
    out = run(dme("2024-02-01"), claim(line("G0068", "2024-02-05"), pcn="A"),
              claim(line("G0068", "2024-02-12"), pcn="B"), history=h)
    a, b = hit_lines(out)
    # A: PR-1 140.00, PR-2 20% x 20.00 = 4.00, Medicare 16.00, CO-253 0.32, paid 15.68
    assert adj(a) == [("CO", "45", "140.00"), ("PR", "1", "140.00"), ("PR", "2", "4.00"),
                      ("CO", "253", "0.32")]
    assert a.paid == d("15.68")
    # B: deductible exhausted: PR-2 32.00, Medicare 128.00, CO-253 2.56, paid 125.44
    assert adj(b) == [("CO", "45", "140.00"), ("PR", "2", "32.00"), ("CO", "253", "2.56")]
    assert b.paid == d("125.44")


def test_deductible_persists_in_a_history_file(tmp_path):
    db = tmp_path / "hit.db"
    h = SQLiteHistory(db)
    h.set_deductible_met(MBI, 2024, Decimal("100.00"))
    h.import_dme([dme("2024-02-01")])   # edi-hit history import-835/import-dme
    h.close()
    run(claim(line("G0068", "2024-02-05"), pcn="A"), history=str(db))
    out = run(claim(line("G0068", "2024-02-12"), pcn="B"), history=str(db))
    assert hit_lines(out)[0].paid == d("125.44")


def test_coinsurance_and_sequestration_round_half_up_at_a_locality_rate():
    # locality 99999-01 (ZIP 999xx) G0068 2023 = 125.31: PR-2 25.062 -> 25.06,
    # Medicare 100.25, CO-253 2.005 -> 2.01, paid 98.24
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15", "200.00"), zip_code="99901"),
              history=met(2023, "226.00"))
    (pl,) = hit_lines(out)
    assert adj(pl) == [("CO", "45", "74.69"), ("PR", "2", "25.06"), ("CO", "253", "2.01")]
    assert pl.paid == d("98.24")
    assert any("locality 99999-01" in t for t in pl.trace)


def test_national_times_gaf_rounds_half_up():
    # 150.00 x 1.0333 = 154.995 -> 155.00; PR-2 31.00, CO-253 2.48, paid 121.52
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15", "200.00"), zip_code="99801"),
              history=met(2023, "226.00"))
    (pl,) = hit_lines(out)
    assert pl.allowed == d("155.00") and pl.paid == d("121.52")
    assert any("GAF 1.0333" in t for t in pl.trace)


# -- rule 9: sequestration by date of service ------------------------------------------------

@pytest.mark.parametrize("day,seq,paid", [
    ("2022-03-31", "0.00", "112.00"),
    ("2022-04-01", "1.12", "110.88"),
    ("2022-06-30", "1.12", "110.88"),
    ("2022-07-01", "2.24", "109.76"),
])
def test_sequestration_schedule(day, seq, paid):
    # G0068 2022 = 140.00, deductible met: PR-2 28.00, Medicare 112.00
    out = run(dme(day), claim(line("G0068", day, "140.00")), history=met(2022, "233.00"))
    (pl,) = hit_lines(out)
    assert pl.adjustment_total("CO", "253") == d(seq)
    assert pl.adjustment_total("PR", "2") == d("28.00")
    assert pl.paid == d(paid)


# -- year boundary --------------------------------------------------------------------------

def test_year_boundary_uses_the_rate_and_deductible_of_the_dos_year():
    h = met(2023, "226.00")
    h.set_deductible_met(MBI, 2024, Decimal("200.00"))
    out = run(dme("2023-12-20"), claim(line("G0068", "2023-12-30"), line("G0068", "2024-01-02", n=2)),
              history=h)
    dec, jan = hit_lines(out)
    assert dec.allowed == d("150.00") and dec.paid == d("117.60")
    # 2024: rate 160.00, 40.00 deductible left: PR-1 40.00, PR-2 24.00, CO-253 1.92, paid 94.08
    assert adj(jan) == [("CO", "45", "140.00"), ("PR", "1", "40.00"), ("PR", "2", "24.00"),
                        ("CO", "253", "1.92")]
    assert jan.paid == d("94.08")


# -- rule 2: place of service -----------------------------------------------------------------

def test_place_of_service_line_overrides_claim():
    out = run(dme("2023-03-01"),
              claim(line("G0068", "2023-03-14"), line("G0068", "2023-03-15", pos="12", n=2),
                    line("G0068", "2023-03-16", n=3, pos="21"), pos="11"),
              history=met(2023, "226.00"))
    claim_pos, line_12, line_21 = hit_lines(out)
    assert claim_pos.status == "denied" and adj(claim_pos) == [("CO", "5", "300.00")]
    assert claim_pos.remarks == ["M77"]
    assert line_12.status == "paid"
    assert line_21.status == "denied" and line_21.remarks == ["M77"]
    assert any("SV105" in t for t in line_21.trace)


def test_place_of_service_set_from_conventions():
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15"), pos="11"),
              conventions={"accepted_place_of_service": ["11", "12"]})
    assert hit_lines(out)[0].status == "paid"
    out = run(dme("2023-03-01"), claim(line("G0068", "2023-03-15"), pos="13"),
              conventions={"accepted_place_of_service": ["12"]})   # C2 strict
    assert hit_lines(out)[0].remarks == ["M77"]


# -- rule 1: codes ----------------------------------------------------------------------------

def test_code_not_yet_valid():
    out = run(claim(line("G0088", "2020-12-15")), assume_dme_drug=True)
    (pl,) = hit_lines(out)
    assert pl.status == "denied" and adj(pl) == [("CO", "16", "300.00")] and pl.remarks == ["M51"]
    assert any("not valid on 2020-12-15" in t for t in pl.trace)


def test_unknown_code_denied_e1():
    out = run(claim(line("99601", "2023-03-15")), assume_dme_drug=True)
    (pl,) = out[0].lines
    assert adj(pl) == [("CO", "16", "300.00")] and pl.remarks == ["M51"]
    assert out[0].status == "denied"


def test_no_rate_for_the_year_is_e12():
    # fixtures/rates/synthetic.json has rates for 2021-2026 only
    out = run(claim(line("G0068", "2027-06-01")), assume_dme_drug=True)
    (pl,) = out[0].lines
    assert adj(pl) == [("CO", "16", "300.00")] and pl.remarks == ["MA130"]


def test_conventions_override_edit_codes():
    out = run(claim(line("G0068", "2023-03-15"), pos="21"), assume_dme_drug=True,
              conventions={"edits": {"E2": {"reason": "58", "remarks": ["N428"]}}})
    (pl,) = out[0].lines
    assert adj(pl) == [("CO", "58", "300.00")] and pl.remarks == ["N428"]
