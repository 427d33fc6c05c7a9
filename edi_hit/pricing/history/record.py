# The ledger's record of a claim's priced lines: enough to reverse them, nothing more.
#
# Strategy: a reversal (void or replacement) repeats the original's lines with every
# amount negated, and a read-only run answers a known claim with its recorded decision;
# both need, per line, the service line's identity (number, code, modifiers, units,
# dates, REF*6R) and the decision (status, money, CAS triplets, remarks, category). One
# compact JSON array per line, positional, money as exact decimal strings; no names,
# dates of birth or addresses (they stay in the 837 and the 835, not in the history).
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from edi_hit.claims import ServiceLine
from edi_hit.errors import DataError
from edi_hit.pricing.model import Adjustment, PricedLine

__all__ = ["encode_lines", "decode_lines"]

_VERSION = 1


def _s(value) -> str | None:
    return None if value is None else str(value)


def _d(text) -> Decimal | None:
    return None if text is None else Decimal(text)


def _day(text) -> date | None:
    return None if text is None else date.fromisoformat(text)


def encode_lines(lines: list[PricedLine]) -> str:
    """The lines as one compact JSON text."""
    out: list = [_VERSION]
    for pl in lines:
        ln = pl.line
        out.append([
            ln.line_number, ln.qualifier, ln.code, list(ln.modifiers), _s(ln.charge),
            _s(ln.units), _s(ln.service_date), _s(ln.service_date_end), ln.control_number,
            ln.place_of_service, pl.status, _s(pl.charge), _s(pl.allowed), _s(pl.paid),
            _s(pl.units_paid),
            [[a.group, a.reason, str(a.amount), _s(a.quantity)] for a in pl.adjustments],
            list(pl.remarks), pl.payment_category])
    return json.dumps(out, separators=(",", ":"))


def decode_lines(text: str, where: str = "history") -> list[PricedLine]:
    """PricedLines (with ServiceLines rebuilt) from encode_lines' text."""
    try:
        doc = json.loads(text)
        if not doc or doc[0] != _VERSION:
            raise ValueError(f"unknown line record version {doc[:1]}")
        out = []
        for (number, qualifier, code, mods, charge, units, start, end, control, pos, status,
             pcharge, allowed, paid, units_paid, adjustments, remarks, category) in doc[1:]:
            line = ServiceLine(line_number=number, qualifier=qualifier, code=code,
                               modifiers=list(mods), charge=Decimal(charge), units=_d(units),
                               service_date=_day(start), service_date_end=_day(end),
                               control_number=control, place_of_service=pos)
            out.append(PricedLine(
                line, status, Decimal(pcharge), Decimal(allowed), Decimal(paid), _d(units_paid),
                [Adjustment(g, r, Decimal(a), _d(q)) for g, r, a, q in adjustments],
                list(remarks), category, []))
        return out
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        raise DataError(f"{where}: a claim's recorded lines cannot be read ({exc})") from None
