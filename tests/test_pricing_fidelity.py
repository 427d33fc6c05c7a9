# HIT fidelity, second pass (issue 9): drug evidence from the DME benefit (C18, C26),
# supplier enrolment (E3, C19), one day and whole units per line (C23, C24), the home
# POS set (C2), G-codes before the benefit (C25), JB on drug lines (C13, C27).
# Rates: fixtures/rates/synthetic.json (2023: G0068 150.00, G0088 190.00, G0069 200.00);
# the 2023 Part B deductible (226.00) is met unless a test says otherwise, so a paid line
# is CO-45 (charge - rate) + PR-2 20% of the rate + CO-253 2% of the rest.
from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from edi_hit.cli import main
from edi_hit.errors import DataError
from edi_hit.pricing import Pricer, SQLiteHistory, price
from edi_hit.pricing.dme import read_dme_csv
from edi_hit.pricing.model import Adjustment, PricedClaim, PricedLine
from edi_hit.x835 import PayerInfo, build_835
from edi_hit.x835.dme import dme_drugs_from_835
from helpers_pricing import MBI, NPI, SYNTHETIC_RATES, claim, d, dme, drug, line, split_evidence
from pyx12_oracle import pyx12_errors

PHARMACY = "1245319599"


def run(*items, **kw):
    claims, evidence = split_evidence(items)
    history = SQLiteHistory()
    history.set_deductible_met(MBI, 2023, Decimal("226.00"))
    out = list(price(claims, rates=SYNTHETIC_RATES, history=history, dme_drugs=evidence, **kw))
    for pc in out:
        pc.check()
    return out


def visits(out):
    return [pl for pc in out for pl in pc.lines if pl.line.code.startswith("G")]


def adj(pl):
    return [(a.group, a.reason, str(a.amount)) for a in pl.adjustments]


# G0068 2023, charge 300.00: CO-45 150.00, PR-2 30.00, CO-253 2% x 120.00 = 2.40, paid 117.60
PAID_G0068 = [("CO", "45", "150.00"), ("PR", "2", "30.00"), ("CO", "253", "2.40")]


# -- 1. drug evidence comes from the DME benefit (C18, C26) -----------------------------

def test_a_covered_dme_line_qualifies_the_visit():
    (pl,) = visits(run(dme("2023-03-01"), claim(line("G0068", "2023-03-15"))))
    assert pl.status == "paid" and adj(pl) == PAID_G0068 and pl.paid == d("117.60")
    assert any("14 days before the visit (covered by the DME benefit)" in t for t in pl.trace)


def test_a_j_code_on_the_hit_suppliers_own_claim_is_never_evidence():
    # the J1170 line is denied CO-109 N104 (50.00) and the visit finds no covered drug:
    # CO-B15 for the whole 300.00, in the default mode and in the billed simulation alike
    own = claim(line("J1170", "2023-03-01", "50.00", "1"), line("G0068", "2023-03-15", n=2))
    for mode in ("covered", "billed"):
        (pc,) = run(own, dme_evidence=mode)
        j, g = pc.lines
        assert adj(j) == [("CO", "109", "50.00")] and j.remarks == ["N104"]
        assert adj(g) == [("CO", "B15", "300.00")], mode


def test_the_billed_simulation_counts_the_dme_suppliers_billed_claims():
    out = run(drug("2023-03-01"), claim(line("G0068", "2023-03-15")), dme_evidence="billed")
    (pl,) = visits(out)
    assert adj(pl) == PAID_G0068
    assert any("(billed DME claim, simulation)" in t for t in pl.trace)
    assert any("recorded as a billed DME drug claim" in t for t in out[0].lines[0].trace)
    # the same claims under the default: the drug claim is no evidence, CO-B15 300.00
    (pl,) = visits(run(drug("2023-03-01"), claim(line("G0068", "2023-03-15"))))
    assert adj(pl) == [("CO", "B15", "300.00")]


def test_the_pricer_says_which_evidence_mode_ran():
    covered = Pricer(dme_drugs=[dme("2023-03-01")]).notes()
    assert covered[0] == ("DME drug evidence (E4): covered - lines the DME benefit processed "
                          "(history imports and 1 lines given to this run); J-code lines on "
                          "837Ps are never evidence")
    assert "SIMULATION" in Pricer(dme_evidence="billed").notes()[0]
    assert "not checked (--assume-dme-drug)" in Pricer(assume_dme_drug=True).notes()[0]
    with pytest.raises(DataError, match="must be covered or billed"):
        Pricer(dme_evidence="paid")


def dme_mac_835(*priced_claims) -> bytes:
    payer = PayerInfo(name="MEDICARE DME MAC JURISDICTION B", id="17013", address_line1="PO BOX 1",
                      city="NASHVILLE", state="TN", postal_code="37202")
    data = build_835(list(priced_claims), payer=payer, now=datetime(2023, 3, 10), control_number=5)
    assert pyx12_errors(data) == []
    return data


def dme_claim(code, day, *, paid: bool, modifiers=(), pcn="DME1", status=None):
    c = claim(line(code, day, "50.00", "1", modifiers=modifiers), pcn=pcn, npi=PHARMACY)
    ln = c.lines[0]
    if paid:  # allowed 40.00: CO-45 10.00, PR-2 8.00, CO-253 2% x 32.00 = 0.64, paid 31.36
        pl = PricedLine(ln, "paid", d("50.00"), d("40.00"), d("31.36"), d("1"), [
            Adjustment("CO", "45", d("10.00")), Adjustment("PR", "2", d("8.00")),
            Adjustment("CO", "253", d("0.64"))])
    else:     # not medically necessary
        pl = PricedLine(ln, "denied", d("50.00"), d("0"), d("0"), d("1"),
                        [Adjustment("CO", "50", d("50.00"))], ["N115"])
    return PricedClaim(c, [pl], [], status or ("processed" if paid else "denied"), f"9{pcn}")


def test_the_dme_macs_835_gives_the_drug_lines_it_covered():
    data = dme_mac_835(dme_claim("J1170", "2023-03-01", paid=True),
                       dme_claim("J1559", "2023-03-01", paid=False, modifiers=["JB"], pcn="DME2"))
    evidence = dme_drugs_from_835(data, name="dme-mac.835")
    assert [(x.mbi, x.day.isoformat(), x.code, x.category, x.icn) for x in evidence.drugs] == [
        (MBI, "2023-03-01", "J1170", 1, "")]
    assert evidence.not_covered == 1
    assert evidence.describe() == "dme-mac.835: 1 covered DME drug lines, 1 not covered (left out)"
    out = run(*evidence.drugs, claim(line("G0068", "2023-03-15")),
              claim(line("G0069", "2023-03-15"), pcn="CAT2"))
    g0068, g0069 = visits(out)
    assert adj(g0068) == PAID_G0068
    assert adj(g0069) == [("CO", "B15", "300.00")]   # its J1559 JB was denied by the DME MAC


def test_a_reversal_in_the_dme_macs_835_takes_its_evidence_back():
    paid = dme_claim("J1170", "2023-03-01", paid=True)
    reversal = PricedClaim(paid.claim, [pl.negated() for pl in paid.lines], [], "reversal",
                           paid.payer_claim_control_number)
    evidence = dme_drugs_from_835(dme_mac_835(paid, reversal))
    assert evidence.drugs == []


def test_history_import_835_then_price(tmp_path):
    f = tmp_path / "dme-mac.835"
    f.write_bytes(dme_mac_835(dme_claim("J1170", "2023-03-01", paid=True)))
    db = tmp_path / "hit.db"
    r = CliRunner().invoke(main, ["history", "import-835", str(f), "--history", str(db)])
    assert r.exit_code == 0, r.output
    assert "dme-mac.835: 1 covered DME drug lines; 1 added to the history" in r.stderr
    h = SQLiteHistory(db)
    h.set_deductible_met(MBI, 2023, Decimal("226.00"))
    (pc,) = price([claim(line("G0068", "2023-03-15"))], rates=SYNTHETIC_RATES, history=h)
    assert adj(pc.lines[0]) == PAID_G0068


def test_claim_line_csv_counts_only_covered_lines(tmp_path):
    f = tmp_path / "dme-lines.csv"
    f.write_text("Beneficiary MBI,Date of Service,HCPCS,Modifier,Line Status,Allowed Amount\n"
                 f"{MBI},2023-03-01,J1170,,paid,40.00\n"
                 f"{MBI},2023-03-02,J1559,JB,denied,\n"
                 f"{MBI},2023-03-03,J9000,,approved,0.00\n"
                 f"{MBI},2023-03-04,J1555,JB,,12.00\n")
    evidence = read_dme_csv(f)
    # paid with an allowed amount, and an allowed amount without status; not the denied
    # line nor the approved one with nothing allowed
    assert [(x.code, x.category, x.source) for x in evidence.drugs] == [
        ("J1170", 1, "dme-lines.csv:2"), ("J1555", 2, "dme-lines.csv:5")]
    assert evidence.not_covered == 2
    f.write_text(f"MBI,Date,HCPCS,Status\n{MBI},2023-03-01,J1170,maybe\n")
    with pytest.raises(DataError, match=r"dme-lines.csv: line 2: status 'maybe' is not one of"):
        read_dme_csv(f)


# -- 2. one calendar day per G-code line, whole units (C23, C24) --------------------------

def test_a_line_spanning_several_days_is_denied_m59():
    # DTP*472*RD8*20230315-20230319, 20 units: one payment would cover five days
    (pl,) = visits(run(dme("2023-03-01"),
                       claim(line("G0068", "2023-03-15", units="20", end="2023-03-19"))))
    assert adj(pl) == [("CO", "16", "300.00")] and pl.remarks == ["M59"]
    assert any("span 5 days" in t for t in pl.trace)


@pytest.mark.parametrize("units,status,remarks", [
    ("0.5", "denied", ["M53"]), ("1.5", "denied", ["M53"]), ("-1", "denied", ["M53"]),
    ("1.0", "paid", []), ("12", "paid", [])])
def test_units_must_be_a_positive_whole_number(units, status, remarks):
    (pl,) = visits(run(dme("2023-03-01"), claim(line("G0068", "2023-03-15", units=units))))
    assert (pl.status, pl.remarks) == (status, remarks)
    assert adj(pl) == ([("CO", "16", "300.00")] if status == "denied" else PAID_G0068)


# -- 3. supplier enrolment (E3, C19) -----------------------------------------------------

def suppliers(tmp_path, text):
    f = tmp_path / "hit-suppliers.csv"
    f.write_text(text)
    return f


def test_a_billing_npi_not_enrolled_as_d6_on_the_date_is_denied_co8_n95(tmp_path):
    f = suppliers(tmp_path, f"NPI,Specialty,Effective From,Effective To\n{NPI},D6,2023-04-01,\n")
    out = run(dme("2023-03-01"), dme("2023-04-01"),
              claim(line("G0068", "2023-03-15"), line("G0068", "2023-04-15", n=2)), suppliers=f)
    before, after = visits(out)
    assert adj(before) == [("CO", "8", "300.00")] and before.remarks == ["N95"]
    assert any("enrolled 2023-04-01..open" in t for t in before.trace)
    assert adj(after) == PAID_G0068
    assert any("(hit-suppliers.csv:2)" in t for t in after.trace)


@pytest.mark.parametrize("rows,why", [
    (f"{NPI},A5,,", "specialty A5, not D6"),          # enrolled, as a pharmacy
    ("1245319599,D6,,", "not in hit-suppliers.csv"),   # another supplier
])
def test_other_specialties_and_unknown_npis_are_denied(tmp_path, rows, why):
    f = suppliers(tmp_path, f"NPI,Specialty,Effective From,Effective To\n{rows}\n")
    (pl,) = visits(run(dme("2023-03-01"), claim(line("G0068", "2023-03-15")), suppliers=f))
    assert adj(pl) == [("CO", "8", "300.00")] and pl.remarks == ["N95"]
    assert any(why in t for t in pl.trace)


def test_cms_supplier_list_reads_as_it_is(tmp_path):
    # CMS's list of home infusion therapy suppliers: an NPI a row, no specialty, no dates
    f = suppliers(tmp_path, "ENRLMT_ID,NPI,LGL_BUS_NAME,STATE_CD\n"
                            f"O20210101000001,{NPI},SYNTHETIC HOME INFUSION,MO\n")
    (pl,) = visits(run(dme("2023-03-01"), claim(line("G0068", "2023-03-15")), suppliers=f))
    assert adj(pl) == PAID_G0068


def test_without_an_enrolment_file_e3_is_skipped_and_said(tmp_path):
    (pl,) = visits(run(dme("2023-03-01"), claim(line("G0068", "2023-03-15"))))
    assert "E3 supplier enrolment not checked (no --suppliers file)" in pl.trace
    assert Pricer().notes()[1] == "supplier enrolment (E3): not checked (no --suppliers file)"
    f = suppliers(tmp_path, "NPI\n12345\n")
    with pytest.raises(DataError, match=r"hit-suppliers.csv: row 2, column 'NPI': expected the "
                                        r"billing provider's NPI: 10 digits, got '12345'"):
        Pricer(suppliers=f)


# -- 4. the home POS set (C2) ------------------------------------------------------------

@pytest.mark.parametrize("pos,status", [
    ("12", "paid"), ("13", "paid"), ("14", "paid"), ("33", "paid"), ("04", "paid"),
    ("11", "denied"), ("21", "denied"), ("31", "denied"), ("22", "denied")])
def test_home_includes_an_institution_used_as_a_home(pos, status):
    # 13 assisted living, 14 group home, 33 custodial care, 04 homeless shelter are homes;
    # 11 office, 21 inpatient hospital, 31 SNF, 22 outpatient hospital are not (4.12)
    (pl,) = visits(run(dme("2023-03-01"), claim(line("G0068", "2023-03-15"), pos=pos)))
    assert pl.status == status
    assert adj(pl) == (PAID_G0068 if status == "paid" else [("CO", "5", "300.00")])


# -- 5. before the benefit (C25) -----------------------------------------------------------

@pytest.mark.parametrize("code,day,codes", [
    ("G0068", "2020-06-01", [("CO", "109", "300.00"), ["N104"]]),   # transitional: DME MAC
    ("G0070", "2019-01-01", [("CO", "109", "300.00"), ["N104"]]),
    ("G0068", "2018-12-31", [("CO", "16", "300.00"), ["M51"]]),     # before any HIT code
    ("G0088", "2020-06-01", [("CO", "16", "300.00"), ["M51"]]),     # G0088 begins in 2021
])
def test_g_codes_before_2021_are_wrong_contractor_or_invalid(code, day, codes):
    (pl,) = run(claim(line(code, day)), assume_dme_drug=True)[0].lines
    assert [adj(pl)[0], pl.remarks] == codes


def test_g0068_on_the_first_day_of_the_benefit_is_priced():
    # 2021: G0068 130.00, 2021 deductible 203.00 met in full by this line: PR-1 130.00
    (pc,) = run(claim(line("G0068", "2021-01-01")), assume_dme_drug=True)
    assert adj(pc.lines[0]) == [("CO", "45", "170.00"), ("PR", "1", "130.00")]


# -- 6. JB on the drug lines (C13, C27) ------------------------------------------------------

@pytest.mark.parametrize("code", ["J1559", "J1555", "J1569", "J7799"])
def test_subcutaneous_drugs_qualify_only_with_jb(code):
    visit = claim(line("G0069", "2023-03-15"))
    (pl,) = visits(run(dme("2023-03-01", code), visit))
    assert adj(pl) == [("CO", "B15", "300.00")]
    # with JB, category 2: G0069 200.00: CO-45 100.00, PR-2 40.00, CO-253 3.20, paid 156.80
    (pl,) = visits(run(dme("2023-03-01", code, modifiers=["JB"]), visit))
    assert adj(pl) == [("CO", "45", "100.00"), ("PR", "2", "40.00"), ("CO", "253", "3.20")]


def test_the_dme_835_reader_takes_the_modifier_from_svc01():
    data = dme_mac_835(dme_claim("J1559", "2023-03-01", paid=True, modifiers=["JB"]),
                       dme_claim("J1555", "2023-03-02", paid=True, pcn="DME2"))
    assert [(x.code, x.category) for x in dme_drugs_from_835(io.BytesIO(data)).drugs] == [
        ("J1559", 2), ("J1555", None)]
