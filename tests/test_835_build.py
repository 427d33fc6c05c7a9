"""835 builder: segment text, balancing, grouping, determinism, pyx12 validity."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from edi_hit.errors import EdiHitError, X12Error
from edi_hit.pricing.model import Adjustment, PricedClaim, PricedLine
from edi_hit.x835 import BalanceError, PayerInfo, ProviderLevelAdjustment, build_835
from edi_hit.x835 import build as build_module
from helpers_835 import (NPI_A, NPI_B, denied_line, independent_balance_check, make_claim,
                         make_line, paid_line, priced, pyx12_errors, segments_of)

NOW = datetime(2023, 4, 1, 12, 30)


def build(claims, **kw):
    kw.setdefault("now", NOW)
    kw.setdefault("control_number", 42)
    return build_835(claims, **kw)


def text_of(data: bytes) -> str:
    return data.decode("ascii")


def seg_text(data: bytes) -> list[str]:
    return [line for line in text_of(data).split("~\n") if line]


# -- scenarios reused by the pyx12 test ---------------------------------------------

def scenario_paid_and_denied():
    c = make_claim("PCN1", [make_line(1), make_line(2, code="G0069", control="LINE2")])
    return [priced(c, [paid_line(c.lines[0]), denied_line(c.lines[1])])]


def scenario_two_payees_interleaved():
    out = []
    for i in range(6):
        npi = NPI_A if i % 2 == 0 else NPI_B
        c = make_claim(f"P{i}", [make_line(1, day=date(2023, 3, 1 + i), control=f"L{i}")], npi=npi)
        out.append(priced(c, [paid_line(c.lines[0])]))
    return out


def scenario_deductible():
    c = make_claim("PCN2", [make_line(1, code="G0070")])
    return [priced(c, [paid_line(c.lines[0], deductible="100", coins="10", seq="0.8")])]


def scenario_all_denied():
    c = make_claim("PCN3", [make_line(1, modifiers=["JB"])])
    return [priced(c, [denied_line(c.lines[0], "CO", "B15", ())], status="denied")]


def scenario_reversal_only():
    c = make_claim("PCN4", [make_line(1)], frequency="8")
    return [priced(c, [paid_line(c.lines[0]).negated()], status="reversal")]


def scenario_many_adjustments():
    c = make_claim("PCN5", [make_line(1, charge="1000")])
    adjs = [Adjustment("CO", r, D("10")) for r in ("45", "253", "16", "97", "B15", "5", "8")]
    adjs.append(Adjustment("PR", "2", D("5")))
    pl = PricedLine(line=c.lines[0], status="denied", charge=D(1000), allowed=D(0), paid=D(925),
                    units_paid=D(4), adjustments=adjs)
    return [priced(c, [pl], claim_adjustments=[])]


def scenario_claim_level_adjustment():
    c = make_claim("PCN6", [make_line(1)])
    pc = priced(c, [paid_line(c.lines[0])], claim_adjustments=[Adjustment("OA", "94", D("7.6"))])
    return [pc]


SCENARIOS = {
    "paid_and_denied": scenario_paid_and_denied,
    "two_payees_interleaved": scenario_two_payees_interleaved,
    "deductible": scenario_deductible,
    "all_denied": scenario_all_denied,
    "reversal_only": scenario_reversal_only,
    "many_adjustments": scenario_many_adjustments,
    "claim_level_adjustment": scenario_claim_level_adjustment,
}


# -- segment text ---------------------------------------------------------------------

def test_worked_example_line_matches_hit_rules_9_7():
    segs = seg_text(build(scenario_paid_and_denied()))
    i = segs.index("SVC*HC:G0068*300*117.6**4")
    assert segs[i:i + 6] == [
        "SVC*HC:G0068*300*117.6**4",
        "DTM*472*20230315",
        "CAS*CO*45*150**253*2.4",
        "CAS*PR*2*30",
        "REF*6R*LINE1",
        "AMT*B6*150",
    ]


def test_denied_line_has_charge_as_cas_and_remark():
    segs = seg_text(build(scenario_paid_and_denied()))
    i = segs.index("SVC*HC:G0069*300*0**0**4")  # SVC07: 4 units billed, 0 paid
    # no AMT*B6: nothing is allowed for a denied service (hit-rules 11)
    assert segs[i + 1:i + 6] == ["DTM*472*20230315", "CAS*CO*5*300", "REF*6R*LINE2", "LQ*HE*M77",
                                 "SE*30*0001"]


def test_claim_segment_and_patient():
    segs = seg_text(build(scenario_paid_and_denied()))
    assert "CLP*PCN1*1*600*117.6*30*MB*ICNPCN1*12*1" in segs
    i = segs.index("CLP*PCN1*1*600*117.6*30*MB*ICNPCN1*12*1")
    assert segs[i + 1:i + 4] == ["NM1*QC*1*DOE*JANE****MI*1EG4TE5MK73", "DTM*232*20230315",
                                 "DTM*233*20230315"]


def test_deductible_applied_pattern():
    segs = seg_text(build(scenario_deductible()))
    assert "CAS*PR*1*100**2*10" in segs
    assert "CAS*CO*45*150**253*0.8" in segs
    assert "CLP*PCN2*1*300*39.2*110*MB*ICNPCN2*12*1" in segs


def test_processed_claim_with_every_line_denied_is_status_1_and_modifier_in_composite():
    segs = seg_text(build(scenario_all_denied()))
    assert "CLP*PCN3*1*300*0**MB*ICNPCN3*12*1" in segs  # 4 only for an unknown patient
    assert "SVC*HC:G0068:JB*300*0**0**4" in segs
    assert "CAS*CO*B15*300" in segs
    assert "BPR*H*0*C*NON************20230401" in segs


def test_header_segments_and_envelope():
    segs = seg_text(build(scenario_paid_and_denied()))
    assert segs[0] == ("ISA*00*          *00*          *ZZ*15202          *ZZ*SUBMITTER1     "
                       "*230401*1230*^*00501*000000042*0*P*:")
    assert segs[1:14] == [
        "GS*HP*15202*SUBMITTER1*20230401*1230*42*X*005010X221A1",
        "ST*835*0001",
        "BPR*I*117.6*C*CHK************20230401",
        "TRN*1*0000000420001*1000015202",
        "DTM*405*20230401",
        "N1*PR*MEDICARE JURISDICTION 15",
        "N3*PO BOX 100",
        "N4*COLUMBUS*OH*43216",
        "REF*2U*15202",
        "PER*BL*EDI TECHNICAL SUPPORT",
        "N1*PE*HOME INFUSION CO*XX*1234567893",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*IL*627010001",
    ]
    assert segs[-3:] == ["SE*30*0001", "GE*1*42", "IEA*1*000000042"]


def test_payer_info_overrides_837_payer():
    payer = PayerInfo(name="NORIDIAN JE", id="01112", address_line1="PO BOX 6783", city="FARGO",
                      state="ND", postal_code="58108", contact_phone="8777777777",
                      trace_id="1999999999", interchange_id="NORIDIAN")
    segs = seg_text(build(scenario_paid_and_denied(), payer=payer))
    assert "N1*PR*NORIDIAN JE" in segs
    assert "N3*PO BOX 6783" in segs
    assert "PER*BL*EDI TECHNICAL SUPPORT*TE*8777777777" in segs
    assert "TRN*1*0000000420001*1999999999" in segs
    assert segs[1].startswith("GS*HP*NORIDIAN*SUBMITTER1*")


def test_more_than_six_adjustments_split_into_two_cas_segments():
    segs = seg_text(build(scenario_many_adjustments()))
    assert "CAS*CO*45*10**253*10**16*10**97*10**B15*10**5*10" in segs
    assert "CAS*CO*8*10" in segs
    assert "CAS*PR*2*5" in segs


def test_claim_level_adjustment_goes_after_clp():
    segs = seg_text(build(scenario_claim_level_adjustment()))
    i = segs.index("CLP*PCN6*1*300*110*30*MB*ICNPCN6*12*1")
    assert segs[i + 1] == "CAS*OA*94*7.6"
    assert "BPR*I*110*C*CHK************20230401" in segs


# -- grouping and payment ------------------------------------------------------------

def test_one_transaction_per_payee_in_first_appearance_order():
    data = build(scenario_two_payees_interleaved())
    segs = segments_of(data)
    sts = [i for i, s in enumerate(segs) if s[0] == "ST"]
    assert len(sts) == 2
    payees = [s[4] for s in segs if s[0] == "N1" and s[1] == "PE"]
    assert payees == [NPI_A, NPI_B]
    clps_per_st = []
    for start in sts:
        end = next(i for i in range(start, len(segs)) if segs[i][0] == "SE")
        clps_per_st.append([s[1] for s in segs[start:end] if s[0] == "CLP"])
    assert clps_per_st == [["P0", "P2", "P4"], ["P1", "P3", "P5"]]
    assert [s[2] for s in segs if s[0] == "BPR"] == ["352.8", "352.8"]


def test_provider_level_adjustment_reduces_payment():
    plb = {NPI_A: [ProviderLevelAdjustment("WO", D("17.6"), "OVERPAY1"),
                   ProviderLevelAdjustment("L6", D("-1.25"))]}
    segs = seg_text(build(scenario_paid_and_denied(), provider_adjustments=plb))
    assert "PLB*1234567893*20231231*WO:OVERPAY1*17.6*L6*-1.25" in segs
    assert "BPR*I*101.25*C*CHK************20230401" in segs


def test_reversal_alone_pays_nothing_and_carries_a_forward_balance():
    segs = seg_text(build(scenario_reversal_only()))
    assert "CLP*PCN4*22*-300*-117.6*-30*MB*ICNPCN4*12*8" in segs
    assert "SVC*HC:G0068*-300*-117.6**-4" in segs
    assert "CAS*CO*45*-150**253*-2.4" in segs
    assert "BPR*H*0*C*NON************20230401" in segs
    # the debt is carried forward by the ICN of the reversed claim (recouped by later 835s)
    assert "PLB*1234567893*20231231*FB:ICNPCN4*-117.6" in segs


def test_empty_input_is_an_error():
    with pytest.raises(EdiHitError, match="no claims"):
        build([])


# -- balancing is enforced -------------------------------------------------------------

def test_unbalanced_line_raises_naming_claim_and_line():
    c = make_claim("BAD1", [make_line(1)])
    pl = paid_line(c.lines[0])
    pl.paid = D("117.61")
    pc = PricedClaim(claim=c, lines=[pl], payer_claim_control_number="X")
    with pytest.raises(BalanceError, match=r"claim BAD1, line 1 \(G0068\).*SVC02 - CAS = SVC03"):
        build([pc])


def test_unknown_status_raises():
    pc = scenario_paid_and_denied()[0]
    pc.status = "pending"
    with pytest.raises(BalanceError, match="unknown status 'pending'"):
        build([pc])


def test_missing_payer_claim_control_number_raises():
    pc = scenario_paid_and_denied()[0]
    pc.payer_claim_control_number = ""
    with pytest.raises(BalanceError, match="CLP07"):
        build([pc])


def test_delimiter_in_a_value_chooses_other_delimiters():
    c = make_claim("PCN*7", [make_line(1)])
    pc = priced(c, [paid_line(c.lines[0])])
    data = build([pc])
    # '*' is taken by CLP01: the element separator moves to the next free candidate
    assert data.startswith(b"ISA|00|") and b"\nCLP|PCN*7|1|" in data
    assert pyx12_errors(data) == []


def test_a_control_character_is_refused_naming_the_element_not_the_value():
    c = make_claim("PCN8", [make_line(1)])
    c.subscriber.last_name = "DOE\x07"
    pc = priced(c, [paid_line(c.lines[0])])
    with pytest.raises(X12Error) as err:
        build([pc])
    assert "claim PCN8" in str(err.value) and "NM103 (patient last name)" in str(err.value)
    assert "DOE" not in str(err.value)


# -- determinism, streaming --------------------------------------------------------------

def test_same_input_same_bytes_and_control_numbers_follow_the_argument():
    a = build(scenario_two_payees_interleaved())
    b = build(scenario_two_payees_interleaved())
    assert a == b
    c = build(scenario_two_payees_interleaved(), control_number=7,
              now=datetime(2024, 1, 2, 3, 4))
    segs = seg_text(c)
    assert "*240102*0304*^*00501*000000007*" in segs[0]
    assert "TRN*1*0000000070002*1000015202" in segs


def test_spill_to_disk_gives_the_same_bytes(monkeypatch):
    claims = scenario_two_payees_interleaved() * 3
    in_memory = build(claims)
    monkeypatch.setattr(build_module, "_SPILL_IN_MEMORY", 64)
    assert build(claims) == in_memory


def test_writes_to_a_stream():
    stream = io.BytesIO()
    assert build_835(scenario_deductible(), stream, now=NOW, control_number=42) is None
    assert stream.getvalue() == build(scenario_deductible())


# -- oracles ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_pyx12_accepts_and_independent_balance_check_holds(name):
    data = build(SCENARIOS[name]())
    assert pyx12_errors(data) == []
    assert independent_balance_check(data) == []
