# The priced-claim model: what the pricer decides, in a shape the 835 builder reads.
#
# Strategy: small slots dataclasses holding Decimals and the claim objects they price.
# Each class checks its own balancing invariants (check()) and converts to and from
# plain JSON-able dicts (Decimal as "12.50"), the shape described by
# schemas/priced-claim.schema.json. No pricing logic lives here.
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from edi_hit.pricing.money import ZERO, to_decimal

if TYPE_CHECKING:  # pragma: no cover
    from edi_hit.claims import Claim, ServiceLine

__all__ = ["Adjustment", "PricedLine", "PricedClaim", "PAID", "DENIED",
           "PROCESSED", "CLAIM_DENIED", "REVERSAL"]

PAID, DENIED = "paid", "denied"
PROCESSED, CLAIM_DENIED, REVERSAL = "processed", "denied", "reversal"


def _money(value: Decimal) -> str:
    return format(value, "f")


@dataclass(slots=True, frozen=True)
class Adjustment:
    """One CAS triplet: group code (CO/PR/OA/PI), CARC, amount (positive reduces payment).

    A value: frozen, so the pricer can hand the same adjustment to many lines."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    def to_dict(self) -> dict:
        d = {"group": self.group, "reason": self.reason, "amount": _money(self.amount)}
        if self.quantity is not None:
            d["quantity"] = _money(self.quantity)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Adjustment":
        q = d.get("quantity")
        return cls(d["group"], d["reason"], to_decimal(d["amount"]),
                   None if q is None else to_decimal(q))

    def negated(self) -> "Adjustment":
        return Adjustment(self.group, self.reason, -self.amount, self.quantity)


@dataclass(slots=True)
class PricedLine:
    """The decision on one service line, with the working (trace) that led to it."""

    line: "ServiceLine"
    status: str  # "paid" | "denied"
    charge: Decimal
    allowed: Decimal
    paid: Decimal
    units_paid: Decimal | None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    payment_category: int | None = None
    trace: list[str] = field(default_factory=list)

    def adjustment_total(self, group: str | None = None, reason: str | None = None) -> Decimal:
        return sum((a.amount for a in self.adjustments
                    if (group is None or a.group == group)
                    and (reason is None or a.reason == reason)), ZERO)

    @property
    def patient_responsibility(self) -> Decimal:
        return self.adjustment_total("PR")

    def check(self) -> None:
        """Raise AssertionError unless the line balances (835 SVC02 - CAS = SVC03)."""
        if self.charge - self.adjustment_total() != self.paid:
            raise AssertionError(
                f"line {self.line.line_number}: charge {self.charge} - adjustments "
                f"{self.adjustment_total()} != paid {self.paid}")
        if self.status == PAID:
            parts = self.paid + self.adjustment_total("PR") + self.adjustment_total("CO", "253")
            if parts != self.allowed:
                raise AssertionError(
                    f"line {self.line.line_number}: allowed {self.allowed} != paid + PR (1, 2, 3)"
                    f" + CO-253 = {parts}")

    def to_dict(self) -> dict:
        return {
            "line_number": self.line.line_number,
            "line": self.line.to_dict(),
            "status": self.status,
            "charge": _money(self.charge),
            "allowed": _money(self.allowed),
            "paid": _money(self.paid),
            "units_paid": None if self.units_paid is None else _money(self.units_paid),
            "adjustments": [a.to_dict() for a in self.adjustments],
            "remarks": list(self.remarks),
            "payment_category": self.payment_category,
            "trace": list(self.trace),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "PricedLine":
        from edi_hit.claims import ServiceLine

        units = d.get("units_paid")
        return cls(
            line=ServiceLine.from_dict(d["line"]),
            status=d["status"],
            charge=to_decimal(d["charge"]),
            allowed=to_decimal(d["allowed"]),
            paid=to_decimal(d["paid"]),
            units_paid=None if units is None else to_decimal(units),
            adjustments=[Adjustment.from_dict(a) for a in d.get("adjustments", [])],
            remarks=list(d.get("remarks", [])),
            payment_category=d.get("payment_category"),
            trace=list(d.get("trace", [])),
        )

    def negated(self) -> "PricedLine":
        """The same decision with every amount reversed in sign (an 835 reversal)."""
        return PricedLine(self.line, self.status, -self.charge, -self.allowed, -self.paid,
                          None if self.units_paid is None else -self.units_paid,
                          [a.negated() for a in self.adjustments], list(self.remarks),
                          self.payment_category, list(self.trace))


@dataclass(slots=True)
class PricedClaim:
    """One claim as adjudicated: its lines, claim-level adjustments and status."""

    claim: "Claim"
    lines: list[PricedLine]
    claim_adjustments: list[Adjustment] = field(default_factory=list)
    status: str = PROCESSED  # "processed" | "denied" | "reversal"
    payer_claim_control_number: str = ""
    illustrative_rates: bool = False
    duplicate_of: str | None = None  # ICN of the claim this one exactly repeats (C28)
    contract: str | None = None  # the payer contract that priced it (None: Medicare HIT)
    filing_indicator: str | None = None  # the payer's CLP06 (None: MB, Medicare Part B)

    @property
    def total_charge(self) -> Decimal:
        return sum((pl.charge for pl in self.lines), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum((pl.paid for pl in self.lines), ZERO) - sum(
            (a.amount for a in self.claim_adjustments), ZERO)

    @property
    def total_allowed(self) -> Decimal:
        return sum((pl.allowed for pl in self.lines), ZERO)

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((pl.patient_responsibility for pl in self.lines), ZERO) + sum(
            (a.amount for a in self.claim_adjustments if a.group == "PR"), ZERO)

    def check(self) -> None:
        """Raise AssertionError unless every line and the claim balance."""
        for pl in self.lines:
            pl.check()
        adjustments = sum((a.amount for a in self.claim_adjustments), ZERO) + sum(
            (pl.adjustment_total() for pl in self.lines), ZERO)
        if self.total_charge - adjustments != self.total_paid:
            raise AssertionError(f"claim {self.claim.patient_control_number}: does not balance")

    def to_dict(self) -> dict:
        return {
            "patient_control_number": self.claim.patient_control_number,
            "payer_claim_control_number": self.payer_claim_control_number,
            "status": self.status,
            "illustrative_rates": self.illustrative_rates,
            **({"duplicate_of": self.duplicate_of} if self.duplicate_of else {}),
            **({"contract": self.contract} if self.contract else {}),
            **({"filing_indicator": self.filing_indicator} if self.filing_indicator else {}),
            "total_charge": _money(self.total_charge),
            "total_allowed": _money(self.total_allowed),
            "total_paid": _money(self.total_paid),
            "patient_responsibility": _money(self.patient_responsibility),
            "claim_adjustments": [a.to_dict() for a in self.claim_adjustments],
            "lines": [pl.to_dict() for pl in self.lines],
            "claim": self.claim.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "PricedClaim":
        from edi_hit.claims import Claim

        return cls(
            claim=Claim.from_dict(d["claim"]),
            lines=[PricedLine.from_dict(x) for x in d["lines"]],
            claim_adjustments=[Adjustment.from_dict(a) for a in d.get("claim_adjustments", [])],
            status=d["status"],
            payer_claim_control_number=d.get("payer_claim_control_number", ""),
            illustrative_rates=bool(d.get("illustrative_rates", False)),
            duplicate_of=d.get("duplicate_of"),
            contract=d.get("contract"),
            filing_indicator=d.get("filing_indicator"),
        )
