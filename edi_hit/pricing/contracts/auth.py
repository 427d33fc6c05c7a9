# Prior authorizations the payer issued: which member, codes, dates and units each allows.
#
# Strategy: an optional CSV (--authorizations FILE), columns found by their header:
# member_id, authorization (the number the claim carries in REF*G1), codes (HCPCS
# separated by spaces or semicolons), start, end, units (the most the authorization
# allows over its dates; empty: no unit cap). Rows are indexed by authorization number;
# the rule (rules.prior_authorization) decides absent / invalid / exceeded. The file
# holds member ids (PHI): messages name the file and line, never a member id.
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from edi_hit.errors import DataError
from edi_hit.pricing.csvfile import parse_day, read_rows
from edi_hit.pricing.money import decimal_value

__all__ = ["Authorization", "Authorizations", "load_authorizations"]


@dataclass(frozen=True, slots=True)
class Authorization:
    number: str
    mbi: str
    codes: frozenset[str]
    start: date
    end: date
    units: Decimal | None
    where: str  # "auths.csv:4"

    def period(self) -> str:
        return f"{self.start}..{self.end}"


class Authorizations:
    def __init__(self, name: str, rows: list[Authorization]):
        self.name = name
        self._by_number: dict[str, list[Authorization]] = {}
        for r in rows:
            self._by_number.setdefault(r.number, []).append(r)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_number.values())

    def get(self, number: str) -> list[Authorization]:
        return self._by_number.get(number, [])


def _role(h: str) -> str | None:
    if h in ("memberid", "mbi", "member", "subscriberid"):
        return "mbi"
    if h.startswith("auth") or h in ("priorauthorization", "number", "referencenumber"):
        return "number"
    return {"codes": "codes", "hcpcs": "codes", "start": "start", "from": "start",
            "startdate": "start", "end": "end", "to": "end", "enddate": "end",
            "units": "units"}.get(h)


def load_authorizations(source) -> Authorizations | None:
    """An Authorizations from None (no file), an Authorizations, or a CSV path."""
    if source is None or isinstance(source, Authorizations):
        return source
    path = Path(source)
    rows = []
    for line, r in read_rows(path, _role, ("mbi", "number", "codes", "start", "end"),
                             "member_id,authorization,codes,start,end,units"):
        where = f"{path.name}:{line}"
        codes = frozenset(c.upper() for c in re.split(r"[\s;]+", r["codes"]) if c)
        start, end = parse_day(r["start"]), parse_day(r["end"])
        if not r["mbi"] or not r["number"] or not codes or start is None or end is None:
            raise DataError(f"{path}: line {line}: needs member_id, authorization, codes and a "
                            f"start and end date (YYYY-MM-DD)")
        if end < start:
            raise DataError(f"{path}: line {line}: end {end} is before start {start}")
        units = r.get("units", "")
        rows.append(Authorization(r["number"], r["mbi"], codes, start, end,
                                  decimal_value(units, f"{path}: line {line}: units",
                                                what="a number of units") if units else None,
                                  where))
    return Authorizations(path.name, rows)
