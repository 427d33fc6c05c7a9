"""835 builder: open balances recouped with PLB FB, debts carried by reversed ICN, where
each claim went (TRN02, position), duplicates' REF*F8, and claims no 835 can carry."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

from edi_hit.x835 import ProviderLevelAdjustment, RemittanceBuilder, read_835
from helpers_835 import (NPI_A, NPI_B, independent_balance_check, make_claim, make_line,
                         paid_line, priced, pyx12_errors, segments_of)

NOW = datetime(2023, 4, 1, 12, 30)


def _paid(pcn, npi=NPI_A, **kw):
    c = make_claim(pcn, [make_line(1, control=f"{pcn}-1")], npi=npi)
    return priced(c, [paid_line(c.lines[0], **kw)])  # 300 - 150 - 30 - 2.40 = 117.60


def _reversal(pcn, npi=NPI_A):
    c = make_claim(pcn, [make_line(1, control=f"{pcn}-1")], npi=npi, frequency="8")
    orig = priced(c, [paid_line(c.lines[0])])
    lines = [pl.negated() for pl in orig.lines]
    return priced(c, lines, status="reversal", icn=f"ORIG{pcn}")  # pays -117.60


def _finish(claims, **kw):
    import io

    b = RemittanceBuilder(now=NOW, control_number=42)
    where = [b.add(pc) for pc in claims]
    out = io.BytesIO()
    summaries = b.finish(out, **kw)
    return out.getvalue(), summaries, where, b


def test_an_open_balance_is_recouped_from_the_next_payment_with_fb_and_the_icn():
    owed = {NPI_A: [ProviderLevelAdjustment("FB", D("100.00"), "9000000000001"),
                    ProviderLevelAdjustment("FB", D("50.00"), "9000000000002")]}
    data, (t,), _, _ = _finish([_paid("P1")], recoverable=owed)
    segs = ["*".join(s) for s in segments_of(data)]
    # payment 117.60: the first balance is taken whole (100.00), the second in part
    # (17.60); BPR02 = 117.60 - (100.00 + 17.60) = 0
    assert "PLB*1234567893*20231231*FB:9000000000001*100*FB:9000000000002*17.6" in segs
    assert "BPR*H*0*C*NON************20230401" in segs
    assert [(p.reference, p.amount) for p in t.plb] == [("9000000000001", D("100.00")),
                                                      ("9000000000002", D("17.60"))]
    assert t.payment == D("0")
    assert independent_balance_check(data) == [] and pyx12_errors(data) == []


def test_a_balance_smaller_than_the_payment_is_settled_and_the_rest_paid():
    owed = {NPI_A: [ProviderLevelAdjustment("FB", D("17.60"), "9000000000001")]}
    data, (t,), _, _ = _finish([_paid("P1")], recoverable=owed)
    # BPR02 = 117.60 - 17.60 = 100.00
    assert "BPR*I*100*C*CHK************20230401" in ["*".join(s) for s in segments_of(data)]
    assert t.payment == D("100.00")


def test_balances_of_another_payee_are_not_touched():
    owed = {NPI_B: [ProviderLevelAdjustment("FB", D("17.60"), "9000000000001")]}
    data, (t,), _, _ = _finish([_paid("P1")], recoverable=owed)
    assert t.plb == [] and t.payment == D("117.60")


def test_a_debt_is_carried_forward_by_each_reversed_icn():
    # net -117.60 - 117.60 + 117.60 = -117.60: pay nothing, carry 117.60 forward by the
    # ICNs of the reversals in order (ORIGV1 takes all of it; nothing is left for ORIGV2)
    claims = [_reversal("V1"), _reversal("V2"), _paid("P1")]
    data, (t,), where, b = _finish(claims)
    assert [(p.reason, p.reference, p.amount) for p in t.plb] == [
        ("FB", "ORIGV1", D("-117.60"))]
    assert t.payment == D("0")
    assert where == [(1, 1), (1, 2), (1, 3)] and b.trace_number(1) == "0000000420001"
    assert t.trace_number == "0000000420001"
    assert independent_balance_check(data) == [] and pyx12_errors(data) == []


def test_positions_count_per_transaction():
    claims = [_paid("A1"), _paid("B1", npi=NPI_B), _paid("A2"), _paid("B2", npi=NPI_B)]
    _, summaries, where, b = _finish(claims)
    assert where == [(1, 1), (2, 1), (1, 2), (2, 2)]
    assert [t.trace_number for t in summaries] == ["0000000420001", "0000000420002"]
    remits = list(read_835(_finish(claims)[0]))
    assert [r.trace_number for r in remits] == ["0000000420001", "0000000420002"]
    assert [[c.patient_control_number for c in r.claims] for r in remits] == [
        ["A1", "A2"], ["B1", "B2"]]


def test_a_duplicate_carries_the_original_icn_in_ref_f8():
    pc = _paid("DUP")
    pc.duplicate_of = "1234567890123"
    data, _, _, _ = _finish([pc])
    segs = ["*".join(s) for s in segments_of(data)]
    i = segs.index("CLP*DUP*1*300*117.6*30*MB*ICNDUP*12*1")
    assert segs[i + 1].startswith("NM1*QC*") and segs[i + 2] == "REF*F8*1234567890123"
    assert pyx12_errors(data) == []


def test_refusal_names_the_element_and_never_the_value():
    b = RemittanceBuilder(now=NOW)
    ok = make_claim("OK1")
    assert b.refusal(ok) is None
    long_name = make_claim("LONG1")
    long_name.subscriber.last_name = "X" * 61
    assert b.refusal(long_name) == ("NM103 (patient last name) is 61 characters long; "
                                    "the 835 allows 1 to 60")
    ctl = make_claim("CTL1")
    ctl.subscriber.member_id = "1EG4\nTE5MK73"
    reason = b.refusal(ctl)
    assert reason == "NM109 (member id) contains a control character, which no 835 can carry"
    line = make_claim("LN1", [make_line(1, control="C" * 51)])
    assert b.refusal(line).startswith("line 1: REF02 (line control number (REF*6R)) is 51")
    nobody = make_claim("NOID")
    nobody.billing_provider.npi = None
    nobody.billing_provider.tax_id = None
    assert b.refusal(nobody).startswith("N104: billing provider has neither NPI nor tax id")
    star = make_claim("STAR*1")  # a delimiter is avoidable: not a refusal
    assert b.refusal(star) is None


def test_every_preferred_delimiter_in_the_data_still_gives_a_valid_835():
    c = make_claim("A*B:C~D^E", [make_line(1, control="L~1")])
    c.subscriber.last_name = "O'NEIL|SMITH"
    pc = priced(c, [paid_line(c.lines[0])])
    data, _, _, _ = _finish([pc])
    elem, comp, seg = chr(data[3]), chr(data[104]), chr(data[105])
    assert len({elem, comp, seg, "*", ":", "~", "^", "|", "'"}) == 9
    assert pyx12_errors(data) == []
    (remit,) = read_835(data)
    assert remit.claims[0].patient_control_number == "A*B:C~D^E"
    assert remit.claims[0].patient_last_name == "O'NEIL|SMITH"
    assert remit.claims[0].lines[0].control_number == "L~1"
