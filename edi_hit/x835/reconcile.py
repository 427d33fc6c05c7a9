# Reconcile: what the payer paid (835) against what the claims should have paid (837
# priced here), line by line. This is how a home infusion supplier finds underpayments.
#
# Strategy: both sides are reduced to rows keyed by claim (CLP01 = CLM01) and line. An
# 837 line is known by its line control number (REF*6R) when it has one, else by code
# and date of service. Every priced line (reversals included, with their negative
# amounts) adds to its row's expected amounts; every 835 line adds to the row it
# matches, first by REF*6R, else by code + date (the first row of that code and date
# this remittance claim has not used yet). Sums on both sides make a reversal plus a
# re-adjudication come out as the net the supplier actually received. What matches
# nothing is reported, never dropped: claims with no remittance, remittance claims with
# no 837 claim, and 835 lines with no 837 line.
#
# Provider-level adjustments (PLB) change what the payee receives without belonging to a
# line: each is listed with what it means (FB with a negative amount: a debt carried
# forward, usually a reversal bigger than the payment; FB positive: an earlier debt
# recouped from this payment) and, when its reference is the ICN of a claim on either
# side, that claim. The totals say what was paid on the lines, what the PLBs took or
# added, and the net the payee received (sum of BPR02).

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..formats import display_amount
from .model import ProviderAdjustment, RemitClaim, Remittance, decimal_to_json

__all__ = ["LineReconciliation", "ClaimRef", "ProviderAdjustmentRow", "ReconcileReport",
           "reconcile"]

_ZERO = Decimal(0)


@dataclass(slots=True)
class LineReconciliation:
    """One 837 line (or one unmatched 835 line): expected against remitted."""

    patient_control_number: str
    line_number: int | None
    code: str
    service_date: date | None
    control_number: str | None
    charge: Decimal = _ZERO
    expected_allowed: Decimal | None = None
    expected_paid: Decimal | None = None
    expected_codes: list[str] = field(default_factory=list)
    remitted_allowed: Decimal | None = None
    remitted_paid: Decimal | None = None
    remitted_codes: list[str] = field(default_factory=list)
    matched_by: str | None = None  # "6R", "code+date" or None (not remitted)
    payer_claim_control_numbers: list[str] = field(default_factory=list)
    # what the reasons are read from: units, the code paid, deductible and PLBs
    expected_units: Decimal | None = None
    remitted_units: Decimal | None = None
    remitted_code: str | None = None
    expected_deductible: Decimal = _ZERO
    remitted_deductible: Decimal = _ZERO
    provider_adjustments: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Why remitted and expected differ, as far as the two sides say: the payer paid
        another code, other units, applied another deductible, adjusted with codes the
        pricer did not, or took money back at the provider level (PLB). Empty for a
        line paid as expected."""
        if self.status in ("match", "no-claim-line", "not-remitted"):
            return []
        out = [f"{name}: {why}" for name, why in self._reason_parts() if why]
        return out or ["amounts differ; the codes agree (rates or history differ: "
                       "price with the run's --rates and --history)"]

    def _reason_parts(self) -> list[tuple[str, str | None]]:
        code = self.remitted_code
        units = (self.remitted_units is not None and self.expected_units is not None
                 and self.remitted_units != self.expected_units)
        extra = [c for c in self.remitted_codes if c not in self.expected_codes and "-" in c]
        return [
            ("code", f"paid under {code}, billed {self.code}"
             if code and code != self.code else None),
            ("units", f"{self.remitted_units:f} paid, {self.expected_units:f} billed"
             if units else None),
            ("deductible", f"{self.remitted_deductible:f} applied (PR-1), "
             f"{self.expected_deductible:f} expected"
             if self.remitted_deductible != self.expected_deductible else None),
            ("payer codes", " ".join(extra) if extra else None),
            ("recouped", "; ".join(self.provider_adjustments)
             if self.provider_adjustments else None),
        ]

    @property
    def difference(self) -> Decimal | None:
        """Remitted minus expected payment (negative: underpaid)."""
        if self.expected_paid is None:
            return self.remitted_paid
        if self.remitted_paid is None:
            return None
        return self.remitted_paid - self.expected_paid

    @property
    def status(self) -> str:
        if self.expected_paid is None:
            return "no-claim-line"
        if self.remitted_paid is None:
            return "not-remitted"
        diff = self.remitted_paid - self.expected_paid
        return "match" if diff == 0 else ("underpaid" if diff < 0 else "overpaid")

    def to_dict(self) -> dict[str, Any]:
        m = decimal_to_json
        return {
            "patient_control_number": self.patient_control_number,
            "line_number": self.line_number,
            "code": self.code,
            "service_date": None if self.service_date is None else self.service_date.isoformat(),
            "control_number": self.control_number,
            "charge": m(self.charge),
            "expected_allowed": m(self.expected_allowed),
            "expected_paid": m(self.expected_paid),
            "expected_codes": list(self.expected_codes),
            "remitted_allowed": m(self.remitted_allowed),
            "remitted_paid": m(self.remitted_paid),
            "remitted_codes": list(self.remitted_codes),
            "difference": m(self.difference),
            "status": self.status,
            "matched_by": self.matched_by,
            "payer_claim_control_numbers": list(self.payer_claim_control_numbers),
            "reasons": self.reasons,
        }


@dataclass(slots=True)
class ClaimRef:
    """A claim present on one side only."""

    patient_control_number: str
    charge: Decimal
    paid: Decimal  # expected (837 side) or remitted (835 side)
    payer_claim_control_number: str | None = None
    file: str | None = None
    segment_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_control_number": self.patient_control_number,
            "charge": decimal_to_json(self.charge),
            "paid": decimal_to_json(self.paid),
            "payer_claim_control_number": self.payer_claim_control_number,
            "file": self.file,
            "segment_index": self.segment_index,
        }


@dataclass(slots=True)
class ProviderAdjustmentRow:
    """One PLB adjustment of a remittance (a positive amount reduced the payment)."""

    provider_id: str
    reason: str
    reference: str | None
    amount: Decimal
    patient_control_number: str | None = None  # the claim whose ICN is the reference
    file: str | None = None

    @property
    def meaning(self) -> str:
        if self.reason == "FB":
            return "recouped (earlier debt)" if self.amount > 0 else "carried forward (debt)"
        return {"WO": "overpayment recovery", "L6": "interest"}.get(self.reason, self.reason)

    def to_dict(self) -> dict[str, Any]:
        return {"provider_id": self.provider_id, "reason": self.reason,
                "reference": self.reference, "amount": decimal_to_json(self.amount),
                "meaning": self.meaning, "patient_control_number": self.patient_control_number,
                "file": self.file}


@dataclass(slots=True)
class ReconcileReport:
    lines: list[LineReconciliation] = field(default_factory=list)
    claims_without_remittance: list[ClaimRef] = field(default_factory=list)
    remittances_without_claim: list[ClaimRef] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustmentRow] = field(default_factory=list)
    payments: Decimal = _ZERO  # sum of BPR02 (signed by BPR03)

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), _ZERO)

    @property
    def expected_paid(self) -> Decimal:
        return sum((r.expected_paid for r in self.lines if r.expected_paid is not None), _ZERO)

    @property
    def remitted_paid(self) -> Decimal:
        return sum((r.remitted_paid for r in self.lines if r.remitted_paid is not None), _ZERO)

    @property
    def underpaid(self) -> list[LineReconciliation]:
        return [r for r in self.lines if r.status == "underpaid"]

    @property
    def differences(self) -> int:
        """Lines not paid as expected, plus claims and remittances with no other side."""
        return (sum(1 for r in self.lines if r.status != "match")
                + len(self.claims_without_remittance) + len(self.remittances_without_claim))

    def to_dict(self) -> dict[str, Any]:
        m = decimal_to_json
        counts: dict[str, int] = {}
        for r in self.lines:
            counts[r.status] = counts.get(r.status, 0) + 1
        return {
            "totals": {
                "expected_paid": m(self.expected_paid),
                "remitted_paid": m(self.remitted_paid),
                "difference": m(self.remitted_paid - self.expected_paid),
                "underpaid": m(sum((d for r in self.underpaid if (d := r.difference) is not None), _ZERO)),
                "provider_adjustments": m(self.provider_adjustment_total),
                "payments": m(self.payments),
                "lines": counts,
            },
            "provider_adjustments": [p.to_dict() for p in self.provider_adjustments],
            "lines": [r.to_dict() for r in self.lines],
            "claims_without_remittance": [c.to_dict() for c in self.claims_without_remittance],
            "remittances_without_claim": [c.to_dict() for c in self.remittances_without_claim],
        }

    def table(self) -> str:
        """A text report: every line that is not an exact match, then the totals."""
        out = []
        head = f"{'claim':<20} {'ln':>3} {'code':<6} {'date':<10} {'expected':>10} {'paid':>10} " \
               f"{'diff':>10}  status"
        out.append(head)
        out.append("-" * len(head))
        for r in self.lines:
            if r.status == "match":
                continue
            out.append(
                f"{r.patient_control_number[:20]:<20} {r.line_number or '':>3} {r.code:<6} "
                f"{r.service_date.isoformat() if r.service_date else '':<10} "
                f"{_money(r.expected_paid):>10} {_money(r.remitted_paid):>10} "
                f"{_money(r.difference):>10}  {r.status}"
                + (f" ({' '.join(r.remitted_codes)})" if r.remitted_codes else "")
                + "".join(f"\n{'':<24}- {why}" for why in r.reasons))
        matched = sum(1 for r in self.lines if r.status == "match")
        out.append(f"{matched} line(s) paid as expected (not listed)")
        for c in self.claims_without_remittance:
            out.append(f"claim {c.patient_control_number}: no remittance (expected "
                       f"{_money(c.paid)})")
        for c in self.remittances_without_claim:
            out.append(f"remittance {c.patient_control_number} (ICN "
                       f"{c.payer_claim_control_number}): no such claim in the 837 (paid "
                       f"{_money(c.paid)})")
        for p in self.provider_adjustments:
            claim = f" (claim {p.patient_control_number})" if p.patient_control_number else ""
            out.append(f"PLB {p.reason}:{p.reference or ''}{claim} {_money(p.amount)}: "
                       f"{p.meaning}")
        diff = self.remitted_paid - self.expected_paid
        out.append(f"expected {_money(self.expected_paid)}, remitted {_money(self.remitted_paid)}, "
                   f"difference {_money(diff)}")
        if self.provider_adjustments:
            out.append(f"provider-level adjustments {_money(self.provider_adjustment_total)}; "
                       f"paid to the provider (BPR02) {_money(self.payments)}")
        return "\n".join(out)


_money = display_amount


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if b is None:
        return a
    return b if a is None else a + b


def reconcile(priced_claims: Iterable[Any], remittances: Iterable[Remittance]) -> ReconcileReport:
    """Match 835 claims and lines to priced 837 claims; see the module comment."""
    report = ReconcileReport()
    rows_by_claim: dict[str, list[LineReconciliation]] = {}
    by_ctl: dict[tuple[str, str], LineReconciliation] = {}
    by_code_date: dict[tuple[str, str, date | None], list[LineReconciliation]] = {}
    claim_totals: dict[str, list[Decimal]] = {}
    icn_to_pcn: dict[str, str] = {}
    for pc in priced_claims:
        pcn = pc.claim.patient_control_number or ""
        if pc.payer_claim_control_number:
            icn_to_pcn[pc.payer_claim_control_number] = pcn
        rows = rows_by_claim.setdefault(pcn, [])
        totals = claim_totals.setdefault(pcn, [_ZERO, _ZERO])
        totals[0] += pc.total_charge
        totals[1] += pc.total_paid
        for pl in pc.lines:
            line = pl.line
            ctl = line.control_number
            row = by_ctl.get((pcn, ctl)) if ctl else None
            if row is None and not ctl:
                same = by_code_date.get((pcn, line.code or "", line.service_date), [])
                row = next((r for r in same if r.line_number == line.line_number), None)
            if row is None:
                row = LineReconciliation(pcn, line.line_number, line.code or "",
                                         line.service_date, ctl)
                rows.append(row)
                if ctl:
                    by_ctl[(pcn, ctl)] = row
                by_code_date.setdefault((pcn, row.code, row.service_date), []).append(row)
            if pc.status != "reversal":
                row.charge = pl.charge
                row.expected_units = line.units
            row.expected_deductible += pl.adjustment_total("PR", "1")
            row.expected_allowed = _add(row.expected_allowed, pl.allowed)
            row.expected_paid = _add(row.expected_paid, pl.paid)
            for a in pl.adjustments:
                code = f"{a.group}-{a.reason}"
                if a.amount and code not in row.expected_codes:
                    row.expected_codes.append(code)
            if pc.payer_claim_control_number not in row.payer_claim_control_numbers:
                row.payer_claim_control_numbers.append(pc.payer_claim_control_number)

    remitted_pcns: set[str] = set()
    plbs: list[tuple[ProviderAdjustment, str | None]] = []
    for remit in remittances:
        report.payments += remit.signed_payment
        plbs.extend((p, remit.file) for p in remit.provider_adjustments)
        for rc in remit.claims:
            if rc.payer_claim_control_number:
                icn_to_pcn.setdefault(rc.payer_claim_control_number, rc.patient_control_number)
        for rc in remit.claims:
            pcn = rc.patient_control_number
            if pcn not in rows_by_claim:
                report.remittances_without_claim.append(ClaimRef(
                    pcn, rc.charge, rc.paid, rc.payer_claim_control_number, remit.file,
                    rc.segment_index))
                continue
            remitted_pcns.add(pcn)
            _match_claim(pcn, rc, rows_by_claim[pcn], by_ctl, by_code_date)

    for p, file in plbs:
        row_ = ProviderAdjustmentRow(p.provider_id, p.reason, p.reference, p.amount,
                                     icn_to_pcn.get(p.reference or ""), file)
        report.provider_adjustments.append(row_)
        for line_row in rows_by_claim.get(row_.patient_control_number or "", ())[:1]:
            line_row.provider_adjustments.append(
                f"PLB {p.reason}:{p.reference or ''} {_money(p.amount)} ({row_.meaning})")
    for pcn, rows in rows_by_claim.items():
        report.lines.extend(rows)
        if pcn not in remitted_pcns:
            charge, paid = claim_totals[pcn]
            icns = rows[0].payer_claim_control_numbers if rows else []
            report.claims_without_remittance.append(
                ClaimRef(pcn, charge, paid, icns[-1] if icns else None))
    return report


def _match_claim(pcn: str, rc: RemitClaim, rows: list[LineReconciliation],
                 by_ctl: dict[tuple[str, str], LineReconciliation],
                 by_code_date: dict[tuple[str, str, date | None], list[LineReconciliation]],
                 ) -> None:
    used: set[int] = set()
    for rl in rc.lines:
        row = by_ctl.get((pcn, rl.control_number)) if rl.control_number else None
        how: str | None = "6R"
        if row is None:
            how = "code+date"
            candidates = by_code_date.get((pcn, rl.code, rl.service_date), [])
            row = next((r for r in candidates if id(r) not in used), None)
            if row is None and candidates:
                row = candidates[0]
        if row is None:
            row = LineReconciliation(pcn, None, rl.code, rl.service_date, rl.control_number,
                                     charge=rl.charge)
            rows.append(row)
            how = None  # an 835 line with no 837 line
        used.add(id(row))
        row.matched_by = row.matched_by or how
        row.remitted_paid = _add(row.remitted_paid, rl.paid)
        row.remitted_code = rl.code
        if rl.units_paid is not None:
            row.remitted_units = _add(row.remitted_units, rl.units_paid)
        row.remitted_deductible += sum((a.amount for a in rl.adjustments
                                        if a.group == "PR" and a.reason == "1"), _ZERO)
        if rl.allowed is not None:
            row.remitted_allowed = _add(row.remitted_allowed, rl.allowed)
        for a in rl.adjustments:
            code = f"{a.group}-{a.reason}"
            if a.amount and code not in row.remitted_codes:
                row.remitted_codes.append(code)
        for remark in rl.remarks:
            if remark not in row.remitted_codes:
                row.remitted_codes.append(remark)
        if rc.payer_claim_control_number and \
                rc.payer_claim_control_number not in row.payer_claim_control_numbers:
            row.payer_claim_control_numbers.append(rc.payer_claim_control_number)
    if not rc.lines and rows:
        # A claim-level-only remittance: put its payment on the first line.
        row = rows[0]
        row.remitted_paid = _add(row.remitted_paid, rc.paid)
        row.matched_by = row.matched_by or "claim"
