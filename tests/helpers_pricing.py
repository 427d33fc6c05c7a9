# Builders for pricing tests: small Claim objects with just what the pricer reads.
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from edi_hit.claims import Address, BillingProvider, Claim, Ref, ServiceLine, Subscriber
from edi_hit.pricing.codes import default_codes
from edi_hit.pricing.history import DrugClaim

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SYNTHETIC_RATES = FIXTURES / "rates" / "synthetic.json"
MBI = "1EG4TE5MK73"
NPI = "1234567893"


def line(code: str, day: str, charge: str = "300.00", units: str | None = "4", *, n: int = 1,
         pos: str | None = None, modifiers=(), end: str | None = None) -> ServiceLine:
    return ServiceLine(line_number=n, code=code, modifiers=list(modifiers), charge=Decimal(charge),
                       units=None if units is None else Decimal(units), place_of_service=pos,
                       service_date=date.fromisoformat(day),
                       service_date_end=date.fromisoformat(end) if end else None)


def claim(*lines: ServiceLine, pcn: str = "PCN1", mbi: str = MBI, npi: str = NPI,
          zip_code: str = "63101", pos: str = "12", freq: str = "1", f8: str | None = None) -> Claim:
    numbered = []
    for i, ln in enumerate(lines, start=1):
        if ln.line_number in (0, 1) and i > 1:
            ln.line_number = i
        numbered.append(ln)
    return Claim(patient_control_number=pcn, total_charge=sum((ln.charge for ln in lines), Decimal(0)),
                 place_of_service=pos, frequency_code=freq,
                 refs=[Ref("F8", f8)] if f8 else [], lines=numbered,
                 billing_provider=BillingProvider(name="SYNTHETIC HOME INFUSION", npi=npi,
                                                  address=Address("1 MAIN ST", None, "SAINT LOUIS",
                                                                  "MO", zip_code)),
                 subscriber=Subscriber(member_id=mbi, last_name="DOE", first_name="JANE",
                                       claim_filing_indicator="MB"))


def drug(day: str, code: str = "J1170", *, pcn: str = "DME1", mbi: str = MBI, modifiers=()) -> Claim:
    """A DME supplier's drug claim (J-code line) as an 837P: sent to the A/B contractor it
    is denied CO-109 N104 and is never evidence (C18), except in the `billed` simulation."""
    return claim(line(code, day, "50.00", "1", modifiers=modifiers), pcn=pcn, mbi=mbi,
                 npi="1245319599")


def dme(day: str, code: str = "J1170", *, mbi: str = MBI, modifiers=()) -> DrugClaim:
    """A drug line the DME MAC covered (its 835 says so): evidence for E4 (C26)."""
    d = date.fromisoformat(day)
    return DrugClaim(mbi, d, code, default_codes().drug_category(code, d, modifiers), "",
                     "DME MAC 835 (test)")


def split_evidence(items) -> tuple[list, list[DrugClaim]]:
    """(claims, covered DME drug lines) from a mixed list of Claims and DrugClaims."""
    claims = [x for x in items if not isinstance(x, DrugClaim)]
    return claims, [x for x in items if isinstance(x, DrugClaim)]


def d(text: str) -> Decimal:
    return Decimal(text)


# -- scenarios: fixtures/scenarios/NAME.837 + NAME.expected.json --------------------------

SCENARIOS = FIXTURES / "scenarios"


def scenario_names() -> list[str]:
    return sorted(p.name[:-len(".837")] for p in SCENARIOS.glob("*.837"))


def price_scenario(name: str, history=None):
    """Price fixtures/scenarios/NAME.837 with the setup in NAME.expected.json
    (rate table, deductible already met, DME drug claims on file, --assume-dme-drug)."""
    import json

    from edi_hit.pricing import SQLiteHistory, price
    from edi_hit.x837p import read_837p

    spec = json.loads((SCENARIOS / f"{name}.expected.json").read_text())
    setup = spec["setup"]
    store = history or SQLiteHistory()
    for m in setup.get("deductible_met", []):
        store.set_deductible_met(m["mbi"], m["year"], Decimal(m["amount"]))
    store.import_dme(DrugClaim(x["mbi"], date.fromisoformat(x["date"]), x["code"], x.get("category"))
                     for x in setup.get("dme_drugs", []))
    claims = list(read_837p(SCENARIOS / f"{name}.837"))
    return list(price(claims, rates=SCENARIOS / setup["rates"], history=store,
                      assume_dme_drug=setup.get("assume_dme_drug", False)))


def summarize(priced) -> list[dict]:
    """The parts of priced claims a scenario's expected file pins down."""
    out = []
    for pc in priced:
        out.append({
            "patient_control_number": pc.claim.patient_control_number,
            "frequency": pc.claim.frequency_code or "1",
            "status": pc.status,
            "payer_claim_control_number": pc.payer_claim_control_number,
            "total_charge": str(pc.total_charge),
            "total_paid": str(pc.total_paid),
            "patient_responsibility": str(pc.patient_responsibility),
            "lines": [{
                "line_number": pl.line.line_number,
                "code": pl.line.code,
                "service_date": pl.line.service_date.isoformat() if pl.line.service_date else None,
                "status": pl.status,
                "charge": str(pl.charge),
                "allowed": str(pl.allowed),
                "paid": str(pl.paid),
                "adjustments": [f"{a.group}-{a.reason} {a.amount}" for a in pl.adjustments],
                "remarks": list(pl.remarks),
            } for pl in pc.lines],
        })
    return out
