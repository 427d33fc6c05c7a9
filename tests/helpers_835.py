"""Builders of small priced claims for the 835 tests (helper C).

The amounts follow hit-rules 9.7 (synthetic rate 150.00): a paid line with the
deductible met is CO-45 150 + PR-2 30 + CO-253 2.40, paid 117.60.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from edi_hit.claims import Address, BillingProvider, Claim, Envelope, Payer, ServiceLine, Subscriber
from edi_hit.pricing.model import Adjustment, PricedClaim, PricedLine
from pyx12_oracle import pyx12_errors  # noqa: F401  (re-exported for the 835 tests)

NPI_A = "1234567893"
NPI_B = "1999999984"


def make_claim(pcn="PCN1", lines=None, npi=NPI_A, frequency="1", provider_name="HOME INFUSION CO"):
    lines = lines if lines is not None else [make_line()]
    return Claim(
        patient_control_number=pcn,
        total_charge=sum((ln.charge for ln in lines), D(0)),
        place_of_service="12",
        frequency_code=frequency,
        lines=lines,
        billing_provider=BillingProvider(
            name=provider_name, npi=npi, tax_id="123456789", tax_id_qualifier="EI",
            address=Address(line1="1 MAIN ST", city="SPRINGFIELD", state="IL",
                            postal_code="627010001")),
        subscriber=Subscriber(member_id="1EG4TE5MK73", last_name="DOE", first_name="JANE",
                              claim_filing_indicator="MB"),
        payer=Payer(name="MEDICARE JURISDICTION 15", id="15202",
                    address=Address(line1="PO BOX 100", city="COLUMBUS", state="OH",
                                    postal_code="43216")),
        envelope=Envelope(sender_id="SUBMITTER1"),
    )


def make_line(n=1, code="G0068", charge="300", day=date(2023, 3, 15), units="4", control="LINE1",
              modifiers=()):
    return ServiceLine(line_number=n, code=code, modifiers=list(modifiers), charge=D(charge),
                       units=None if units is None else D(units), service_date=day,
                       control_number=control)


def paid_line(line, allowed="150", coins="30", seq="2.4", deductible="0"):
    charge = line.charge
    allowed, coins, seq, deductible = D(allowed), D(coins), D(seq), D(deductible)
    adjs = [Adjustment("CO", "45", charge - allowed)]
    if deductible:
        adjs.append(Adjustment("PR", "1", deductible))
    adjs.append(Adjustment("PR", "2", coins))
    adjs.append(Adjustment("CO", "253", seq))
    paid = allowed - deductible - coins - seq
    return PricedLine(line=line, status="paid", charge=charge, allowed=allowed, paid=paid,
                      units_paid=line.units, adjustments=adjs, remarks=[])


def denied_line(line, group="CO", carc="5", remarks=("M77",)):
    return PricedLine(line=line, status="denied", charge=line.charge, allowed=D(0), paid=D(0),
                      units_paid=D(0), adjustments=[Adjustment(group, carc, line.charge)],
                      remarks=list(remarks))


def priced(claim, priced_lines, status="processed", icn=None, claim_adjustments=()):
    pc = PricedClaim(claim=claim, lines=priced_lines, claim_adjustments=list(claim_adjustments),
                     status=status, payer_claim_control_number=icn or f"ICN{claim.patient_control_number}")
    pc.check()
    return pc


def segments_of(data: bytes) -> list[list[str]]:
    """An independent, naive split of an X12 file written with the default delimiters."""
    text = data.decode("ascii").replace("\n", "")
    return [s.split("*") for s in text.split("~") if s]


def independent_balance_check(data: bytes) -> list[str]:
    """Check the three 835 balancing equations straight from the segments (no edi_hit code)."""
    problems = []
    D0 = D(0)
    st = None
    for seg in segments_of(data):
        sid = seg[0]
        if sid == "ST":
            st = {"bpr": None, "clp": [], "plb": D0}
            claim = line = None
        elif sid == "BPR":
            st["bpr"] = D(seg[2]) * (-1 if seg[3] == "D" else 1)
        elif sid == "CLP":
            claim = {"id": seg[1], "charge": D(seg[3]), "paid": D(seg[4]), "cas": D0}
            st["clp"].append(claim)
            line = None
        elif sid == "SVC":
            line = {"charge": D(seg[2]), "paid": D(seg[3]), "cas": D0}
            claim.setdefault("lines", []).append(line)
        elif sid == "CAS":
            total = sum((D(seg[i]) for i in range(3, len(seg), 3) if seg[i]), D0)
            (line if line is not None else claim)["cas"] += total
            if line is not None:
                claim["cas"] += total
        elif sid == "PLB":
            st["plb"] += sum((D(seg[i]) for i in range(4, len(seg), 2) if seg[i]), D0)
        elif sid == "SE":
            for c in st["clp"]:
                for ln in c.get("lines", []):
                    if ln["charge"] - ln["cas"] != ln["paid"]:
                        problems.append(f"line of {c['id']}: {ln}")
                if c["charge"] - c["cas"] != c["paid"]:
                    problems.append(f"claim {c['id']}: {c}")
            if st["bpr"] != sum((c["paid"] for c in st["clp"]), D0) - st["plb"]:
                problems.append(f"transaction: BPR02 {st['bpr']}")
    return problems
