# Flat rows for finance: one row per service line, with its claim's context, for the
# CSV and NDJSON outputs of `price`, `read-835` and `reconcile`.
#
# Strategy: each result kind has one generator of rows (dicts whose values are text,
# numbers, Decimals or lists) and one tuple of COLUMNS, in the order a spreadsheet
# shows them; formats.write_csv turns them into CSV (money as plain decimals). The
# columns are documented here and in README ("Output formats"); renaming one is a
# breaking change for people's spreadsheets. Adjustments read "CO-45:12.00 PR-2:3.00"
# (group-reason:amount); reconcile's reasons are joined with "; ". Rows never carry a
# name, a birth date or a member id.
from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

__all__ = ["PRICED_COLUMNS", "REMIT_COLUMNS", "RECONCILE_COLUMNS", "priced_rows",
           "remittance_rows", "reconcile_rows", "adjustments_text"]

PRICED_COLUMNS = (
    "patient_control_number", "payer_claim_control_number", "claim_status",
    "billing_npi", "line_number", "code", "modifiers", "service_date", "units",
    "units_paid", "payment_category", "line_status", "charge", "allowed", "deductible",
    "coinsurance", "paid", "patient_responsibility", "adjustments", "remarks",
)
REMIT_COLUMNS = (
    "file", "transaction_control_number", "trace_number", "payment_date", "payer_name",
    "payee_id", "patient_control_number", "claim_status_code", "payer_claim_control_number",
    "line_number", "code", "modifiers", "service_date", "control_number", "units_paid",
    "charge", "allowed", "paid", "adjustments", "remarks",
)
RECONCILE_COLUMNS = (
    "patient_control_number", "line_number", "code", "service_date", "control_number",
    "charge", "expected_allowed", "expected_paid", "remitted_allowed", "remitted_paid",
    "difference", "status", "reasons", "expected_codes", "remitted_codes", "matched_by",
)


def adjustments_text(adjustments: Iterable[Any]) -> str:
    """'CO-45:12.00 PR-2:3.00' (group-reason:amount, the amount as a plain decimal)."""
    from .formats import plain_amount

    return " ".join(f"{a.group}-{a.reason}:{plain_amount(a.amount)}" for a in adjustments)


def _number(value: Decimal | None) -> str | None:
    """A quantity that is not money (units): as it is, without forced places."""
    return None if value is None else format(value, "f")


def _sum(adjustments: Iterable[Any], group: str, reason: str) -> Decimal:
    return sum((a.amount for a in adjustments if a.group == group and a.reason == reason),
               Decimal(0))


def priced_rows(priced: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """One row per line of each PricedClaim."""
    for pc in priced:
        claim = pc.claim
        provider = getattr(claim, "billing_provider", None)
        npi = getattr(provider, "npi", None) if provider is not None else None
        for pl in pc.lines:
            line = pl.line
            yield {
                "patient_control_number": claim.patient_control_number,
                "payer_claim_control_number": pc.payer_claim_control_number,
                "claim_status": pc.status, "billing_npi": npi,
                "line_number": line.line_number, "code": line.code,
                "modifiers": line.modifiers, "service_date": line.service_date,
                "units": _number(line.units), "units_paid": _number(pl.units_paid),
                "payment_category": pl.payment_category, "line_status": pl.status,
                "charge": pl.charge, "allowed": pl.allowed,
                "deductible": _sum(pl.adjustments, "PR", "1"),
                "coinsurance": _sum(pl.adjustments, "PR", "2"),
                "paid": pl.paid, "patient_responsibility": pl.patient_responsibility,
                "adjustments": adjustments_text(pl.adjustments), "remarks": pl.remarks,
            }


def remittance_rows(remittances: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """One row per SVC of each claim of each Remittance (a claim without SVC lines is
    one row with its claim amounts)."""
    for r in remittances:
        head = {"file": r.file, "transaction_control_number": r.transaction_control_number,
                "trace_number": r.trace_number, "payment_date": r.payment_date,
                "payer_name": r.payer.name, "payee_id": r.payee.id}
        for c in r.claims:
            claim = {**head, "patient_control_number": c.patient_control_number,
                     "claim_status_code": c.status_code,
                     "payer_claim_control_number": c.payer_claim_control_number}
            if not c.lines:
                yield {**claim, "charge": c.charge, "paid": c.paid,
                       "adjustments": adjustments_text(c.adjustments), "remarks": c.remarks}
            for n, line in enumerate(c.lines, 1):
                yield {**claim, "line_number": n, "code": line.code,
                       "modifiers": line.modifiers, "service_date": line.service_date,
                       "control_number": line.control_number,
                       "units_paid": _number(line.units_paid),
                       "charge": line.charge, "allowed": line.allowed, "paid": line.paid,
                       "adjustments": adjustments_text(line.adjustments),
                       "remarks": line.remarks}


def reconcile_rows(report: Any) -> Iterator[dict[str, Any]]:
    """One row per line of a ReconcileReport (expected against remitted)."""
    for line in report.lines:
        yield {
            "patient_control_number": line.patient_control_number,
            "line_number": line.line_number, "code": line.code,
            "service_date": line.service_date, "control_number": line.control_number,
            "charge": line.charge, "expected_allowed": line.expected_allowed,
            "expected_paid": line.expected_paid, "remitted_allowed": line.remitted_allowed,
            "remitted_paid": line.remitted_paid, "difference": line.difference,
            "status": line.status, "reasons": "; ".join(line.reasons),
            "expected_codes": line.expected_codes, "remitted_codes": line.remitted_codes,
            "matched_by": line.matched_by,
        }
