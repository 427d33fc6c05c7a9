# The remittance model: what an 835 says, as typed values.
#
# One Remittance is one ST..SE transaction: a payment (BPR/TRN) from one payer to one
# payee, its claims (CLP loop 2100) and their service lines (SVC loop 2110), and the
# provider-level adjustments (PLB). Amounts are Decimal exactly as written in the file;
# nothing is recomputed here. The reader attaches balancing findings; the model itself
# only offers the sums the three balancing equations need.
#
# Every class has to_dict() (JSON-able: Decimal as string, date as YYYY-MM-DD) and
# from_dict(), matching schemas/remittance.schema.json.

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from edi_hit.errors import Finding
from edi_hit.formats import json_amount

__all__ = [
    "CasAdjustment",
    "ProviderAdjustment",
    "Party",
    "RemitLine",
    "RemitClaim",
    "Remittance",
    "decimal_to_json",
]


# Money for JSON: at least two decimals ("117.60"), more only when the file had them
# (edi_hit.formats, the one module of money formatters).
decimal_to_json = json_amount


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(slots=True)
class CasAdjustment:
    """One reason/amount/quantity triplet of a CAS segment, with its group code."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "group": self.group,
            "reason": self.reason,
            "amount": decimal_to_json(self.amount),
        }
        if self.quantity is not None:
            d["quantity"] = str(self.quantity)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CasAdjustment:
        return cls(d["group"], d["reason"], Decimal(d["amount"]), _dec(d.get("quantity")))


@dataclass(slots=True)
class ProviderAdjustment:
    """One reason/amount pair of a PLB segment. A positive amount reduces the payment."""

    provider_id: str
    fiscal_period_date: date | None
    reason: str
    reference: str | None
    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id,
            "fiscal_period_date": _iso(self.fiscal_period_date),
            "reason": self.reason,
            "reference": self.reference,
            "amount": decimal_to_json(self.amount),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProviderAdjustment:
        return cls(
            d["provider_id"],
            _date(d.get("fiscal_period_date")),
            d["reason"],
            d.get("reference"),
            Decimal(d["amount"]),
        )


@dataclass(slots=True)
class Party:
    """Payer (1000A N1*PR) or payee (1000B N1*PE) with address and references."""

    name: str
    id_qualifier: str | None = None
    id: str | None = None
    address_lines: list[str] = field(default_factory=list)
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    refs: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id_qualifier": self.id_qualifier,
            "id": self.id,
            "address_lines": list(self.address_lines),
            "city": self.city,
            "state": self.state,
            "postal_code": self.postal_code,
            "refs": [{"qualifier": q, "value": v} for q, v in self.refs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Party:
        return cls(
            d["name"],
            d.get("id_qualifier"),
            d.get("id"),
            list(d.get("address_lines", [])),
            d.get("city"),
            d.get("state"),
            d.get("postal_code"),
            [(r["qualifier"], r["value"]) for r in d.get("refs", [])],
        )


@dataclass(slots=True)
class RemitLine:
    """Loop 2110: one adjudicated service line (SVC and what follows it)."""

    qualifier: str
    code: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    revenue_code: str | None = None
    units_paid: Decimal | None = None
    original_units: Decimal | None = None
    service_date: date | None = None
    service_date_end: date | None = None
    adjustments: list[CasAdjustment] = field(default_factory=list)
    control_number: str | None = None
    allowed: Decimal | None = None
    remarks: list[str] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    segment_index: int | None = None

    @property
    def adjustment_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), Decimal(0))

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.group == "PR"), Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "qualifier": self.qualifier,
            "code": self.code,
            "modifiers": list(self.modifiers),
            "charge": decimal_to_json(self.charge),
            "paid": decimal_to_json(self.paid),
            "revenue_code": self.revenue_code,
            "units_paid": None if self.units_paid is None else str(self.units_paid),
            "original_units": None if self.original_units is None else str(self.original_units),
            "service_date": _iso(self.service_date),
            "service_date_end": _iso(self.service_date_end),
            "adjustments": [a.to_dict() for a in self.adjustments],
            "control_number": self.control_number,
            "allowed": decimal_to_json(self.allowed),
            "remarks": list(self.remarks),
            "refs": [{"qualifier": q, "value": v} for q, v in self.refs],
            "amounts": {k: decimal_to_json(v) for k, v in self.amounts.items()},
            "segment_index": self.segment_index,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RemitLine:
        return cls(
            qualifier=d["qualifier"],
            code=d["code"],
            modifiers=list(d.get("modifiers", [])),
            charge=Decimal(d["charge"]),
            paid=Decimal(d["paid"]),
            revenue_code=d.get("revenue_code"),
            units_paid=_dec(d.get("units_paid")),
            original_units=_dec(d.get("original_units")),
            service_date=_date(d.get("service_date")),
            service_date_end=_date(d.get("service_date_end")),
            adjustments=[CasAdjustment.from_dict(a) for a in d.get("adjustments", [])],
            control_number=d.get("control_number"),
            allowed=_dec(d.get("allowed")),
            remarks=list(d.get("remarks", [])),
            refs=[(r["qualifier"], r["value"]) for r in d.get("refs", [])],
            amounts={k: Decimal(v) for k, v in d.get("amounts", {}).items()},
            segment_index=d.get("segment_index"),
        )


@dataclass(slots=True)
class RemitClaim:
    """Loop 2100: one adjudicated claim (CLP and what follows it)."""

    patient_control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str
    payer_claim_control_number: str
    facility_code: str | None = None
    frequency_code: str | None = None
    adjustments: list[CasAdjustment] = field(default_factory=list)
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    patient_id_qualifier: str | None = None
    patient_id: str | None = None
    statement_from: date | None = None
    statement_to: date | None = None
    remarks: list[str] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    lines: list[RemitLine] = field(default_factory=list)
    segment_index: int | None = None

    @property
    def adjustment_total(self) -> Decimal:
        """Claim-level (2100) plus all line-level (2110) CAS amounts."""
        total = sum((a.amount for a in self.adjustments), Decimal(0))
        for line in self.lines:
            total += line.adjustment_total
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_control_number": self.patient_control_number,
            "status_code": self.status_code,
            "charge": decimal_to_json(self.charge),
            "paid": decimal_to_json(self.paid),
            "patient_responsibility": decimal_to_json(self.patient_responsibility),
            "filing_indicator": self.filing_indicator,
            "payer_claim_control_number": self.payer_claim_control_number,
            "facility_code": self.facility_code,
            "frequency_code": self.frequency_code,
            "adjustments": [a.to_dict() for a in self.adjustments],
            "patient": {
                "last_name": self.patient_last_name,
                "first_name": self.patient_first_name,
                "id_qualifier": self.patient_id_qualifier,
                "id": self.patient_id,
            },
            "statement_from": _iso(self.statement_from),
            "statement_to": _iso(self.statement_to),
            "remarks": list(self.remarks),
            "refs": [{"qualifier": q, "value": v} for q, v in self.refs],
            "amounts": {k: decimal_to_json(v) for k, v in self.amounts.items()},
            "lines": [line.to_dict() for line in self.lines],
            "segment_index": self.segment_index,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RemitClaim:
        patient = d.get("patient") or {}
        return cls(
            patient_control_number=d["patient_control_number"],
            status_code=d["status_code"],
            charge=Decimal(d["charge"]),
            paid=Decimal(d["paid"]),
            patient_responsibility=_dec(d.get("patient_responsibility")),
            filing_indicator=d["filing_indicator"],
            payer_claim_control_number=d["payer_claim_control_number"],
            facility_code=d.get("facility_code"),
            frequency_code=d.get("frequency_code"),
            adjustments=[CasAdjustment.from_dict(a) for a in d.get("adjustments", [])],
            patient_last_name=patient.get("last_name"),
            patient_first_name=patient.get("first_name"),
            patient_id_qualifier=patient.get("id_qualifier"),
            patient_id=patient.get("id"),
            statement_from=_date(d.get("statement_from")),
            statement_to=_date(d.get("statement_to")),
            remarks=list(d.get("remarks", [])),
            refs=[(r["qualifier"], r["value"]) for r in d.get("refs", [])],
            amounts={k: Decimal(v) for k, v in d.get("amounts", {}).items()},
            lines=[RemitLine.from_dict(x) for x in d.get("lines", [])],
            segment_index=d.get("segment_index"),
        )


@dataclass(slots=True)
class Remittance:
    """One 835 transaction set: one payment from one payer to one payee."""

    transaction_control_number: str
    handling_code: str
    payment_amount: Decimal
    credit_debit: str
    payment_method: str
    payment_date: date | None
    trace_number: str
    trace_payer_id: str
    payer: Party
    payee: Party
    production_date: date | None = None
    claims: list[RemitClaim] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    interchange_control_number: str | None = None
    group_control_number: str | None = None
    file: str | None = None
    segment_index: int | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def signed_payment(self) -> Decimal:
        """BPR02 with the sign BPR03 gives it (D = debit: the provider owes)."""
        return -self.payment_amount if self.credit_debit == "D" else self.payment_amount

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), Decimal(0))

    @property
    def balanced(self) -> bool:
        return not any(f.code.startswith("balance-") for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "transaction_control_number": self.transaction_control_number,
            "interchange_control_number": self.interchange_control_number,
            "group_control_number": self.group_control_number,
            "file": self.file,
            "segment_index": self.segment_index,
            "payment": {
                "handling_code": self.handling_code,
                "amount": decimal_to_json(self.payment_amount),
                "credit_debit": self.credit_debit,
                "method": self.payment_method,
                "date": _iso(self.payment_date),
                "trace_number": self.trace_number,
                "trace_payer_id": self.trace_payer_id,
            },
            "production_date": _iso(self.production_date),
            "payer": self.payer.to_dict(),
            "payee": self.payee.to_dict(),
            "claims": [c.to_dict() for c in self.claims],
            "provider_adjustments": [p.to_dict() for p in self.provider_adjustments],
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Remittance:
        pay = d["payment"]
        return cls(
            transaction_control_number=d["transaction_control_number"],
            handling_code=pay["handling_code"],
            payment_amount=Decimal(pay["amount"]),
            credit_debit=pay["credit_debit"],
            payment_method=pay["method"],
            payment_date=_date(pay.get("date")),
            trace_number=pay["trace_number"],
            trace_payer_id=pay["trace_payer_id"],
            payer=Party.from_dict(d["payer"]),
            payee=Party.from_dict(d["payee"]),
            production_date=_date(d.get("production_date")),
            claims=[RemitClaim.from_dict(c) for c in d.get("claims", [])],
            provider_adjustments=[
                ProviderAdjustment.from_dict(p) for p in d.get("provider_adjustments", [])
            ],
            interchange_control_number=d.get("interchange_control_number"),
            group_control_number=d.get("group_control_number"),
            file=d.get("file"),
            segment_index=d.get("segment_index"),
            findings=[Finding(**f) for f in d.get("findings", [])],
        )
