# The numbers at the top of the remittance report, gathered one Remittance at a time.
#
# Strategy: Tally.add() reads one Remittance (one 835 transaction set: one payment)
# and folds it into running sums, so the report never holds more than the remittance
# it is reading: payment totals (BPR02, the sums of CLP03/CLP04/CLP05 and PLB), paid
# and denied money per (month of service, payment category), every CAS reason and
# remark code with how often it occurs, and the PLB entries. Amounts are the Decimals
# of the file, summed exactly; nothing is recomputed or rounded here.
#
# A line is "denied" when the payer paid nothing and the patient owes nothing for it
# (SVC03 = 0 and no PR adjustment) although something was charged: a line whose whole
# allowed amount went to the deductible is paid by the patient, not denied. A claim
# without service lines is judged the same way on CLP04 and CLP05. The payment
# category of a line comes from its HCPCS code and date: the category (1, 2, 3) of an
# HIT G-code valid on that date, "Drug" for a J-code of the qualifying-drug table,
# else "Other".
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Callable

from ..x835.model import ProviderAdjustment, RemitClaim, RemitLine, Remittance

__all__ = ["Tally", "PaymentRow", "Cell", "ReasonCount", "payment_category",
           "CATEGORY_ORDER", "is_denied_line", "is_denied_claim", "month_of"]

ZERO = Decimal(0)
CATEGORY_ORDER = ("Category 1", "Category 2", "Category 3", "Drug", "Other", "Claim level")
NO_DATE = "no date"


def payment_category(code: str, day: date | None, codes=None) -> str:
    """'Category 1'..'Category 3' for an HIT G-code valid on `day`, 'Drug' for a
    qualifying drug J-code, 'Other' for anything else (codes: a pricing CodeTable)."""
    if codes is None:
        from ..pricing.codes import default_codes
        codes = default_codes()
    row = codes.hit_code(code, day) if day else None
    if row is not None:
        return f"Category {row.category}"
    if codes.drug_code_known(code):
        return "Drug"
    return "Other"


def is_denied_line(line: RemitLine) -> bool:
    return line.paid == 0 and line.charge != 0 and line.patient_responsibility == 0


def is_denied_claim(claim: RemitClaim) -> bool:
    if claim.lines:
        return all(is_denied_line(ln) for ln in claim.lines)
    return claim.paid == 0 and claim.charge != 0 and not claim.patient_responsibility


def month_of(day: date | None) -> str:
    return f"{day.year:04d}-{day.month:02d}" if day else NO_DATE


@dataclass(slots=True)
class Cell:
    """Paid and denied money of one (month, category)."""

    paid: Decimal = ZERO
    denied: Decimal = ZERO
    lines: int = 0
    denied_lines: int = 0


@dataclass(slots=True)
class ReasonCount:
    count: int = 0
    amount: Decimal = ZERO
    on_denied: int = 0


@dataclass(slots=True)
class PaymentRow:
    """One payment (one 835 transaction set), for the payments table."""

    number: int
    payer: str
    payer_id: str
    payee: str
    payee_id: str
    method: str
    trace: str
    date: date | None
    amount: Decimal                 # BPR02 with the sign BPR03 gives it
    claims: int
    charged: Decimal
    paid: Decimal                   # sum of CLP04
    patient: Decimal                # sum of CLP05
    plb: Decimal                    # sum of PLB amounts (positive: taken back)
    balanced: bool
    file: str | None
    transaction: str

    @property
    def anchor(self) -> str:
        return f"payment-{self.number}"


@dataclass
class Tally:
    """Running totals over every Remittance given to add()."""

    category_of: Callable[[str, date | None], str] = payment_category
    payments: list[PaymentRow] = field(default_factory=list)
    claims: int = 0
    denied_claims: int = 0
    lines: int = 0
    payment_total: Decimal = ZERO
    charged: Decimal = ZERO
    paid: Decimal = ZERO
    patient: Decimal = ZERO
    plb_total: Decimal = ZERO
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    carc: dict[tuple[str, str], ReasonCount] = field(default_factory=dict)
    rarc: dict[str, ReasonCount] = field(default_factory=dict)
    plb: list[tuple[PaymentRow, ProviderAdjustment]] = field(default_factory=list)
    unbalanced: list[str] = field(default_factory=list)
    _categories: dict = field(default_factory=dict, repr=False)   # (code, day) -> category

    def add(self, remit: Remittance) -> PaymentRow:
        claims = remit.claims
        row = PaymentRow(
            number=len(self.payments) + 1, payer=remit.payer.name, payer_id=remit.payer.id or "",
            payee=remit.payee.name, payee_id=remit.payee.id or "", method=remit.payment_method,
            trace=remit.trace_number, date=remit.payment_date, amount=remit.signed_payment,
            claims=len(claims), charged=sum((c.charge for c in claims), ZERO),
            paid=sum((c.paid for c in claims), ZERO),
            patient=sum((c.patient_responsibility or ZERO for c in claims), ZERO),
            plb=remit.provider_adjustment_total, balanced=remit.balanced, file=remit.file,
            transaction=remit.transaction_control_number)
        self.payments.append(row)
        self.payment_total += row.amount
        self.charged += row.charged
        self.paid += row.paid
        self.patient += row.patient
        self.plb_total += row.plb
        self.claims += row.claims
        for claim in claims:
            self._claim(claim)
        self.plb.extend((row, adj) for adj in remit.provider_adjustments)
        self.unbalanced.extend(f.message for f in remit.findings if f.code.startswith("balance-"))
        return row

    def _claim(self, claim: RemitClaim) -> None:
        denied_claim = is_denied_claim(claim)
        self.denied_claims += denied_claim
        for a in claim.adjustments:
            self._reason(a, denied_claim)
        for remark in claim.remarks:
            self._remark(remark, denied_claim)
        if not claim.lines:
            self._cell(month_of(claim.statement_from), "Claim level", claim.paid,
                       claim.charge if denied_claim else None)
            return
        for line in claim.lines:
            self.lines += 1
            denied = is_denied_line(line)
            day = line.service_date or claim.statement_from
            key = (line.code, day)
            category = self._categories.get(key)
            if category is None:
                category = self._categories[key] = self.category_of(line.code, day)
            self._cell(month_of(day), category, line.paid, line.charge if denied else None)
            for a in line.adjustments:
                self._reason(a, denied)
            for remark in line.remarks:
                self._remark(remark, denied)

    def _cell(self, month: str, category: str, paid: Decimal, denied: Decimal | None) -> None:
        cell = self.cells.get((month, category))
        if cell is None:
            cell = self.cells[(month, category)] = Cell()
        cell.paid += paid
        cell.lines += 1
        if denied is not None:
            cell.denied += denied
            cell.denied_lines += 1

    def _reason(self, a, denied: bool) -> None:
        key = (a.group, a.reason)
        count = self.carc.get(key)
        if count is None:
            count = self.carc[key] = ReasonCount()
        count.count += 1
        count.amount += a.amount
        count.on_denied += denied

    def _remark(self, code: str, denied: bool) -> None:
        count = self.rarc.get(code)
        if count is None:
            count = self.rarc[code] = ReasonCount()
        count.count += 1
        count.on_denied += denied

    # -- views for the report ---------------------------------------------------
    def months(self) -> list[str]:
        return sorted({m for m, _ in self.cells}, key=lambda m: (m == NO_DATE, m))

    def categories(self) -> list[str]:
        present = {c for _, c in self.cells}
        return [c for c in CATEGORY_ORDER if c in present]

    def by_category(self) -> dict[str, Cell]:
        out: dict[str, Cell] = {}
        for (_, cat), cell in self.cells.items():
            total = out.setdefault(cat, Cell())
            total.paid += cell.paid
            total.denied += cell.denied
            total.lines += cell.lines
            total.denied_lines += cell.denied_lines
        return out
