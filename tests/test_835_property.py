"""Property: random balanced priced claims -> build_835 -> read_835 gives back the same
claims, lines, amounts and codes; the file balances and pyx12 accepts it."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_hit.pricing.model import Adjustment, PricedClaim, PricedLine
from edi_hit.x835 import build_835, read_835
from edi_hit.x835.build import split_icn
from helpers_835 import NPI_A, NPI_B, independent_balance_check, make_claim, make_line, pyx12_errors

cents = st.integers(min_value=0, max_value=500_000).map(lambda c: D(c).scaleb(-2))
CARCS = ("45", "253", "1", "2", "5", "16", "97", "B15", "151", "109")
RARCS = ("M77", "MA130", "N113", "M86", "N104")


@st.composite
def priced_line(draw, n, pcn):
    charge = draw(cents)
    groups = draw(st.lists(st.sampled_from(("CO", "PR", "OA")), max_size=8))
    adjustments = []
    remaining = charge
    for g in groups:
        amount = draw(st.integers(0, int(remaining * 100)).map(lambda c: D(c).scaleb(-2)))
        remaining -= amount
        adjustments.append(Adjustment(g, draw(st.sampled_from(CARCS)), amount))
    modifiers = draw(st.lists(st.sampled_from(("JB", "KX", "GY")), max_size=2, unique=True))
    day = date(2023, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    line = make_line(n, code=draw(st.sampled_from(("G0068", "G0069", "G0070", "G0088"))),
                     charge=str(charge), day=day, units=str(draw(st.integers(1, 12))),
                     control=draw(st.one_of(st.none(), st.just(f"{pcn}-{n}"))),
                     modifiers=modifiers)
    denied = remaining == 0 and bool(adjustments)
    return PricedLine(line=line, status="denied" if denied else "paid", charge=charge,
                      allowed=charge - sum((a.amount for a in adjustments if a.group == "CO"), D(0)),
                      paid=remaining, units_paid=line.units, adjustments=adjustments,
                      remarks=draw(st.lists(st.sampled_from(RARCS), max_size=2, unique=True)))


@st.composite
def priced_claim(draw, i):
    pcn = f"C{i}"
    lines = [draw(priced_line(n, pcn)) for n in range(1, draw(st.integers(1, 4)) + 1)]
    claim = make_claim(pcn, [pl.line for pl in lines], npi=draw(st.sampled_from((NPI_A, NPI_B))))
    status = "denied" if all(pl.status == "denied" for pl in lines) else "processed"
    pc = PricedClaim(claim=claim, lines=lines, status=status,
                     payer_claim_control_number=f"ICN{i:05d}")
    if draw(st.booleans()):
        pc.status = "reversal"
        pc.claim.frequency_code = "8"
        pc.lines = [pl.negated() for pl in pc.lines]
    return pc


@st.composite
def priced_claims(draw):
    return [draw(priced_claim(i)) for i in range(draw(st.integers(1, 5)))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(priced_claims())
def test_build_then_read_gives_back_the_same_amounts_and_codes(claims):
    data = build_835(claims, now=datetime(2025, 1, 1), control_number=3)
    remits = list(read_835(data))
    assert all(r.balanced for r in remits), [f for r in remits for f in r.findings]
    assert independent_balance_check(data) == []
    read_claims: dict[str, list] = {}
    for r in remits:
        for c in r.claims:
            read_claims.setdefault(c.patient_control_number, []).append(c)
    assert len(read_claims) == len(claims)
    # CLP02: 1 for a processed claim even when every line is denied (the claims carry a
    # member id), 22 for a reversal (hit-rules 11)
    status = {"processed": "1", "denied": "1", "reversal": "22"}
    for pc in claims:
        parts = read_claims[pc.claim.patient_control_number]
        returned = [pl for pl in pc.lines if "MA130" in pl.remarks]
        split = bool(returned) and len(returned) < len(pc.lines)
        # unprocessable (MA130) lines come back on a claim of their own, after the others
        lines = [pl for pl in pc.lines if pl not in returned] + returned if split else pc.lines
        icns = [pc.payer_claim_control_number] + ([split_icn(pc.payer_claim_control_number)]
                                                  if split else [])
        assert [(rc.status_code, rc.payer_claim_control_number) for rc in parts] == [
            (status[pc.status], icn) for icn in icns]
        assert (sum(rc.charge for rc in parts), sum(rc.paid for rc in parts)) == (
            pc.total_charge, pc.total_paid)
        assert sum((rc.patient_responsibility or D(0)) for rc in parts) == pc.patient_responsibility
        read_lines = [rl for rc in parts for rl in rc.lines]
        assert len(read_lines) == len(lines)
        for rl, pl in zip(read_lines, lines):
            allowed = None if pl.status == "denied" else pl.allowed  # no AMT*B6 when denied
            assert (rl.code, rl.modifiers, rl.charge, rl.paid, rl.allowed, rl.units_paid) == (
                pl.line.code, pl.line.modifiers, pl.charge, pl.paid, allowed, pl.units_paid)
            assert (rl.service_date, rl.control_number, rl.remarks) == (
                pl.line.service_date, pl.line.control_number, pl.remarks)
            want = sorted((a.group, a.reason, a.amount) for a in pl.adjustments if a.amount)
            assert sorted((a.group, a.reason, a.amount) for a in rl.adjustments) == want
    # BPR02 per payee: the payment is never negative
    assert all(r.payment_amount >= 0 for r in remits)


@settings(max_examples=8, deadline=None)
@given(priced_claims())
def test_random_835s_validate_with_pyx12(claims):
    assert pyx12_errors(build_835(claims, now=datetime(2025, 1, 1))) == []
