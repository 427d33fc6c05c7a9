# A payer contract as data: who it applies to, and for each code a method and its terms.
#
# Strategy: small frozen value objects built once from a document that passed
# schemas/contract.schema.json (load.py reads and checks it). A Contract finds the Term
# for a code on a date (an exact code beats a range; among ranges the first listed);
# a Term says how the line is paid (its method and parameters), what it bundles, whether
# it needs prior authorization, its limit per period and whether cost sharing applies.
# The values that travel through the rules are here too: a Match (the line's term,
# found by K1; the pricer's "code object": .code and .category) and a Payable (what the
# payment stage prices: the units that multiply the rate, the days of a per diem, the
# units not paid and why). Money is Decimal; amounts arrive as plain decimal text.
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from edi_hit.pricing.money import ZERO

if TYPE_CHECKING:  # pragma: no cover
    from edi_hit.pricing.contracts.prices import PriceList

__all__ = ["Contract", "Term", "Limit", "CostSharing", "Match", "Payable", "METHODS",
           "PER_DIEM", "PER_VISIT", "PER_HOUR", "DRUG", "MULTIPLIER", "FIXED", "PERCENT",
           "plan_year", "limit_period"]

PER_DIEM, PER_VISIT, PER_HOUR, DRUG = "per_diem", "per_visit", "per_hour", "drug"
MULTIPLIER, FIXED, PERCENT = "medicare_fee_multiplier", "fixed", "percent_of_charge"
METHODS = (PER_DIEM, PER_VISIT, PER_HOUR, DRUG, MULTIPLIER, FIXED, PERCENT)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `units` of a term (or of a per diem's therapy) per period, per member."""

    units: Decimal
    per: str  # day | week (Sunday to Saturday) | month | plan_year


@dataclass(frozen=True, slots=True)
class CostSharing:
    """The member's share under the contract's plan, accumulated per plan year."""

    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO        # a fraction of allowed after the deductible
    copay_per_visit: Decimal = ZERO    # per_visit lines: per visit (unit), instead of coinsurance
    copay_per_day: Decimal = ZERO      # per_diem lines: per day paid, instead of coinsurance
    out_of_pocket_max: Decimal | None = None
    year_start: tuple[int, int] = (1, 1)  # month, day the plan year begins


@dataclass(frozen=True, slots=True)
class Term:
    id: str
    method: str
    codes: frozenset[str]
    ranges: tuple[tuple[str, str], ...] = ()
    # the method's parameters (the schema requires the ones a method reads)
    rate: Decimal = ZERO              # per_diem (a day), per_visit, per_hour, fixed (a line)
    percent: Decimal = ZERO           # drug (of the list price), percent_of_charge
    factor: Decimal = ZERO            # medicare_fee_multiplier
    therapy: str | None = None        # per_diem: per diems of one therapy pay a day once
    includes: frozenset[str] = frozenset()  # per_diem: codes it bundles (denied beside it)
    by: str | None = None             # drug: "ndc" or "hcpcs"
    price_list: "PriceList | None" = None
    dispensing_fee: Decimal = ZERO    # drug: per line
    prior_authorization: bool = False
    limit: Limit | None = None
    cost_sharing: bool = True
    start: date | None = None
    end: date | None = None
    where: str = ""                   # terms[i] of the document, for messages

    def covers(self, code: str) -> bool:
        if code in self.codes:
            return True
        return any(_in_range(code, lo, hi) for lo, hi in self.ranges)

    def in_force(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    @property
    def kind(self) -> str:
        """What services of this term are grouped by (limits, per diem overlap)."""
        return f"per diem {self.therapy}" if self.method == PER_DIEM else f"term {self.id}"

    def describe(self) -> str:
        """The term's payment in words, for the trace."""
        m = self.method
        if m == PER_DIEM:
            return f"per_diem {self.rate} a day, therapy {self.therapy}"
        if m == PER_VISIT:
            return f"per_visit {self.rate} a visit"
        if m == PER_HOUR:
            return f"per_hour {self.rate} an hour"
        if m == FIXED:
            return f"fixed {self.rate} a line"
        if m == PERCENT:
            return f"percent_of_charge {_pct(self.percent)}"
        if m == MULTIPLIER:
            return f"medicare_fee_multiplier x {self.factor}"
        fee = f" + dispensing fee {self.dispensing_fee}" if self.dispensing_fee else ""
        basis = self.price_list.basis if self.price_list is not None else "price list"
        return f"drug by {(self.by or '').upper()}: {_pct(self.percent)} of {basis}{fee}"


def _pct(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


def _in_range(code: str, lo: str, hi: str) -> bool:
    return len(code) == len(lo) and lo <= code <= hi


@dataclass(frozen=True, slots=True)
class Contract:
    id: str
    name: str
    source: str                        # the file it came from
    illustrative: bool
    payer_ids: frozenset[str]
    filing_indicators: frozenset[str]  # SBR09 values it applies to (empty: any)
    plan: str                          # accumulators are kept under this key
    terms: tuple[Term, ...]
    start: date | None = None
    end: date | None = None
    cost_sharing: CostSharing | None = None
    remit_filing_indicator: str | None = None  # CLP06 when the claim's SBR09 is not one
    sequestration: bool = False
    conventions: dict[str, Any] = field(default_factory=dict)  # laid over the defaults
    provenance: str = ""
    _exact: dict[str, tuple[Term, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        exact: dict[str, list[Term]] = {}
        for t in self.terms:
            for c in t.codes:
                exact.setdefault(c, []).append(t)
        object.__setattr__(self, "_exact", {c: tuple(ts) for c, ts in exact.items()})

    def in_force(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def period_text(self) -> str:
        return f"{self.start or 'open'}..{self.end or 'open'}"

    def term_for(self, code: str, day: date) -> Term | None:
        """The term that prices `code` on `day`: an exact code first, then the first
        range that holds it."""
        for t in self._exact.get(code, ()):
            if t.in_force(day):
                return t
        for t in self.terms:
            if t.ranges and t.in_force(day) and any(_in_range(code, lo, hi) for lo, hi in t.ranges):
                return t
        return None

    def bundling(self, code: str) -> tuple[Term, ...]:
        """The per diem terms that include `code`."""
        return tuple(t for t in self.terms if code in t.includes)

    def lookback_days(self) -> int:
        """How far back the contract's rules read history (limits, plan years)."""
        days = 0
        for t in self.terms:
            if t.limit is not None:
                days = max(days, {"day": 0, "week": 7, "month": 31, "plan_year": 366}[t.limit.per])
        return days


@dataclass(frozen=True, slots=True)
class Match:
    """K1's value: the term that prices the line (the pricer's code object)."""

    code: str
    term: Term
    contract: Contract
    category: int | None = None  # the HIT category of a G-code (medicare_fee_multiplier)

    @property
    def method(self) -> str:
        return self.term.method


@dataclass(frozen=True, slots=True)
class Payable:
    """What the payment stage prices: `units` multiply the rate (days, visits, hours,
    drug units), `days` are a per diem's days to pay, `excluded` the units not paid
    and the edit that says why (prorated out of the charge), `units_paid` SVC05."""

    match: Match
    units: Decimal
    units_paid: Decimal | None
    days: tuple[date, ...] = ()
    excluded: tuple[tuple[str, Decimal], ...] = ()
    unit_price: Decimal | None = None  # drug: list price of one converted unit
    price_note: str = ""               # drug: which list row

    @property
    def code(self) -> str:
        return self.match.code

    @property
    def category(self) -> int | None:
        return self.match.category

    @property
    def term(self) -> Term:
        return self.match.term


def plan_year(day: date, start: tuple[int, int]) -> date:
    """The first day of the plan year that holds `day` (start: month, day)."""
    month, dom = start
    first = _safe_date(day.year, month, dom)
    return first if day >= first else _safe_date(day.year - 1, month, dom)


def _safe_date(year: int, month: int, dom: int) -> date:
    try:
        return date(year, month, dom)
    except ValueError:  # 02-29 in a common year
        return date(year, month, 28)


def limit_period(day: date, per: str, year_start: tuple[int, int]) -> tuple[date, date]:
    """The period of a limit that holds `day`, first and last day."""
    if per == "day":
        return day, day
    if per == "week":  # Sunday to Saturday
        first = day - timedelta(days=(day.weekday() + 1) % 7)
        return first, first + timedelta(days=6)
    if per == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first, nxt - timedelta(days=1)
    first = plan_year(day, year_start)
    return first, plan_year(first + timedelta(days=366), year_start) - timedelta(days=1)
