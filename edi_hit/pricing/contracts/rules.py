# The payer-contract rules, one small function each, with the history window each reads.
#
# Strategy: the same shape as edi_hit.pricing.rules (the Medicare HIT rules): a rule
# takes a view of the line, the value the line has so far (None, then K1's Match, then
# a Payable once its units are known), what its window found in history, and the
# tables, and returns a Decision: passed or not, the conventions key of its codes when
# it denies, a new value when it reprices, one trace line. A window slices the
# member's history (history/model.py services: what this contract's plan paid before,
# in this run or earlier ones). Rules do no I/O and know nothing of X12.
#
# Edit ids (conventions.json, section "K"): K0 no contract and not Medicare Part B,
# K1 code not covered by the contract, K2 units, K3 per diem day paid already for the
# therapy, K4 bundled in a per diem, K5 limit per period, K6 NDC, K7 prior authorization
# absent, K8 exceeded, K9 invalid. The Medicare rules E12 (line complete), E2 (place of
# service, with the contract's set), E1, E8 and E6 (medicare_fee_multiplier lines) are
# reused as they are.
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from edi_hit.pricing.contracts.auth import Authorization, Authorizations
from edi_hit.pricing.contracts.model import (MULTIPLIER, Contract, Match, Payable, Term,
                                             limit_period)
from edi_hit.pricing.contracts.prices import UNITS, valid_ndc
from edi_hit.pricing.codes import CodeTable
from edi_hit.pricing.conventions import Conventions
from edi_hit.pricing.history import BeneficiaryHistory, Service
from edi_hit.pricing.rules import Decision, LineView

__all__ = ["ContractView", "ContractTables", "MAX_DAYS", "line_days", "per_diems_billed",
           "bundled_supply", "bundling_window", "contract_term", "per_diem_days",
           "per_diem_overlap", "paid_days_window", "whole_units", "counted", "units_text", "as_billed", "drug_price",
           "hit_code", "hit_same_day", "hit_day_window", "limit", "limit_window",
           "prior_authorization", "authorization_window", "service_kind"]

MAX_DAYS = 366  # a line's date range longer than this is not a per diem line (K2)


@dataclass(slots=True)
class ContractView(LineView):
    """A LineView with what contract rules read besides: the claim and line, the date
    of service (`dos`: the rules after E12 run only on a line that has one), the days
    of the line (a date range is one day each), the authorization number (REF*G1 of
    the line, else of the claim) and the per diems billed on the claim, by day."""

    claim: Any = None
    line: Any = None
    dos: date = date.min
    days: tuple[date, ...] = ()
    authorization: str | None = None
    per_diems: dict[date, list[tuple[int, str, Term]]] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class ContractTables:
    """What contract rules read besides the line and history: the code table (HIT
    categories of G-codes), the conventions (the run's with the contract's laid over
    them), the contract, the authorization file (None: not given)."""

    codes: CodeTable
    conv: Conventions
    contract: Contract
    authorizations: Authorizations | None = None


def line_days(start: date | None, end: date | None) -> tuple[date, ...]:
    """Every day of a line's dates; () for a range that runs backwards or is too long."""
    if start is None:
        return ()
    if end is None or end == start:
        return (start,)
    n = (end - start).days
    if n < 0 or n >= MAX_DAYS:
        return ()
    return tuple(start + timedelta(days=i) for i in range(n + 1))


def per_diems_billed(lines, contract: Contract) -> dict[date, list[tuple[int, str, Term]]]:
    """The claim's per diem lines whose term bundles something, by each day they cover."""
    out: dict[date, list[tuple[int, str, Term]]] = {}
    for ln in lines:
        day = ln.service_date
        if day is None or not ln.code:
            continue
        term = contract.term_for(ln.code.upper(), day)
        if term is None or not term.includes:
            continue
        for d in line_days(day, ln.service_date_end):
            out.setdefault(d, []).append((ln.line_number, ln.code.upper(), term))
    return out


def _span(days: tuple[date, ...]) -> str:
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"


def units_text(value: Decimal) -> str:
    """A quantity as written: 7, 2.5 (no trailing zeros on whole numbers)."""
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def counted(value: Decimal, word: str) -> str:
    """'1 visit', '2 visits' (word in the singular)."""
    return f"{units_text(value)} {word}{'' if value == 1 else 's'}"


_HIT_KIND = "HIT category "


def service_kind(value: Payable) -> str:
    """What a paid line is grouped by in history: an HIT category for a Medicare fee
    multiplier line (one per category per day), else the term's kind."""
    if value.match.term.method == MULTIPLIER:
        return f"{_HIT_KIND}{value.category}"
    return value.match.term.kind


def _plan_services(bh: BeneficiaryHistory, start: date, end: date, plan: str,
                   kind: str) -> list[Service]:
    if not bh.service_days:
        return []
    return [s for s in bh.services_between(start, end) if s.plan == plan and s.kind == kind]


# -- K4: bundled in a per diem ---------------------------------------------------------------

def bundling_window(view: ContractView, value, bh: BeneficiaryHistory, t: ContractTables):
    """K4's window: for a code some per diem term bundles, the per diems that cover
    the line's days: billed on this claim, or paid under the plan before."""
    bundlers = t.contract.bundling(view.code)
    if not bundlers:
        return None
    kinds = {b.kind for b in bundlers}
    found = []
    for d in view.days or (view.dos,):
        for number, code, term in view.per_diems.get(d, ()):
            if term in bundlers and number != view.line_number:
                found.append(f"per diem {code} ({term.id}) billed on line {number} for {d}")
        for s in (bh.services_between(d, d) if bh.service_days else ()):
            if s.plan == t.contract.plan and s.kind in kinds:
                found.append(f"per diem {s.code} paid for {d} (claim {s.icn} line {s.line_number})")
    return found


def bundled_supply(view: ContractView, value, found, t: ContractTables) -> Decision:
    bundlers = t.contract.bundling(view.code)
    if not bundlers:
        return Decision(True, f"K4 {view.code} is not bundled in a per diem of the contract")
    if found:
        return Decision(False, f"K4 {view.code} is included in the {found[0]}: not paid "
                               f"separately", "K4")
    ids = ", ".join(sorted(b.id for b in bundlers))
    return Decision(True, f"K4 {view.code} is bundled in {ids}, but no such per diem covers "
                          f"{_span(view.days or (view.dos,))}")


# -- K1: the contract's term ------------------------------------------------------------------

def contract_term(view: ContractView, value, found, t: ContractTables) -> Decision:
    """K1: the contract is in force on the date of service and has a term for the code.
    The value is the Match (with the HIT category of a G-code priced at a multiple of
    Medicare's fee)."""
    c = t.contract
    if not c.in_force(view.dos):
        return Decision(False, f"K1 contract {c.id} is in force {c.period_text()}, not on "
                               f"{view.dos}", "K1")
    term = c.term_for(view.code, view.dos)
    if term is None:
        return Decision(False, f"K1 {view.code} is not covered by contract {c.id} on {view.dos}",
                        "K1")
    category = None
    if term.method == MULTIPLIER:
        row = t.codes.hit_code(view.code, view.dos)
        category = row.category if row is not None else None
    return Decision(True, f"K1 {view.code}: term {term.id} of contract {c.id} ({term.describe()})",
                    value=Match(view.code, term, c, category))


# -- K2: units ----------------------------------------------------------------------------------

def _whole(units: Decimal) -> bool:
    return units > 0 and units == units.to_integral_value()


def per_diem_days(view: ContractView, value: Match, found, t: ContractTables) -> Decision:
    """K2 for a per diem: a unit is a day; the units are the days of the line's dates."""
    units = view.units
    if not view.days:
        return Decision(False, f"K2 dates {view.dos}..{view.day_end} run backwards or span more "
                               f"than {MAX_DAYS} days", "K2")
    if units is None or not _whole(units):
        shown = "missing" if units is None else f"{units:f}"
        return Decision(False, f"K2 units {shown}: a per diem is billed in whole days", "K2")
    n = len(view.days)
    if units != n:
        hint = " (bill several days with a date range, DTP*472 RD8)" if view.day_end is None else ""
        return Decision(False, f"K2 units {units_text(units)} but the line's dates {_span(view.days)} are "
                               f"{n} day{'s' if n > 1 else ''}: a per diem unit is one day{hint}",
                        "K2")
    return Decision(True, f"K2 {n} per diem day{'s' if n > 1 else ''} {_span(view.days)} "
                          f"(units {units_text(units)})",
                    value=Payable(value, units, units, view.days))


def whole_units(view: ContractView, value: Match, found, t: ContractTables) -> Decision:
    """K2 for visits and hours: a positive whole number that multiplies the rate."""
    units = view.units
    word = "visit" if value.method == "per_visit" else "hour"
    if units is None or not _whole(units):
        shown = "missing" if units is None else f"{units:f}"
        return Decision(False, f"K2 units {shown}: {word}s are billed as a whole number", "K2")
    return Decision(True, f"K2 {counted(units, word)}", value=Payable(value, units, units))


def as_billed(view: ContractView, value: Match, found, t: ContractTables) -> Decision:
    """K2 for methods whose payment does not depend on the units (fixed, percent of
    charge, Medicare fee multiplier): the units are reported as billed."""
    shown = "none" if view.units is None else units_text(view.units)
    return Decision(True, f"K2 units {shown} as billed: {value.method} does not multiply by units",
                    value=Payable(value, Decimal(1), view.units))


# -- K3: a per diem pays a day once per therapy ----------------------------------------------

def paid_days_window(view: ContractView, value: Payable, bh: BeneficiaryHistory,
                     t: ContractTables) -> list[Service]:
    """K3's window: per diem days of the same therapy the plan paid on the line's days."""
    days = value.days
    return _plan_services(bh, days[0], days[-1], t.contract.plan, value.term.kind)


def per_diem_overlap(view: ContractView, value: Payable, found: list[Service],
                     t: ContractTables) -> Decision:
    """K3: overlapping per diems of one therapy pay each day once; the days paid
    already are taken out of the line (prorated out of its charge, K3's codes)."""
    therapy = value.term.therapy
    paid = {s.day: s for s in found}
    overlap = [d for d in value.days if d in paid]
    if not overlap:
        return Decision(True, f"K3 no {therapy} per diem paid yet for {_span(value.days)}")
    first = paid[overlap[0]]
    by = f"{first.code} of claim {first.icn} line {first.line_number}"
    if len(overlap) == len(value.days):
        return Decision(False, f"K3 every day of {_span(value.days)} is paid already for therapy "
                               f"{therapy} ({by})", "K3")
    rest = tuple(d for d in value.days if d not in paid)
    k = Decimal(len(overlap))
    return Decision(True, f"K3 {len(overlap)} of {len(value.days)} days paid already for therapy "
                          f"{therapy} ({', '.join(map(str, overlap))}; {by}): {len(rest)} "
                          f"payable",
                    value=replace(value, units=Decimal(len(rest)), units_paid=Decimal(len(rest)),
                                  days=rest, excluded=value.excluded + (("K3", k),)))


# -- K6: the drug and its list price ------------------------------------------------------------

def drug_price(view: ContractView, value: Match, found, t: ContractTables) -> Decision:
    """K6: a drug term by NDC needs an 11-digit NDC (2410 LIN N4) on the price list on
    the date, and CTP04/CTP05 quantity and unit convertible to the list's unit (K2);
    by HCPCS the code's list row and SV104 units. The value carries the quantity in the
    list's unit and the unit price."""
    term, day = value.term, view.dos
    plist = term.price_list
    if plist is None:  # load.py gives every drug term its list
        return Decision(False, f"E12 term {term.id} has no price list", "E12")
    if term.by == "hcpcs":
        row = plist.hcpcs(view.code, day)
        if row is None:
            return Decision(False, f"E12 no {plist.basis} price for {view.code} on {day} in "
                                   f"{plist.name}", "E12")
        if view.units is None or not view.units > 0:
            return Decision(False, f"K2 units {'missing' if view.units is None else view.units}: "
                                   f"a drug billed by HCPCS needs its units (SV104)", "K2")
        return Decision(True, f"K6 {view.code} x {units_text(view.units)} at {plist.basis} "
                              f"{row.describe()}",
                        value=Payable(value, view.units, view.units, unit_price=row.price,
                                      price_note=row.where))
    drug = view.line.drug if view.line is not None else None
    if drug is None or not drug.ndc:
        return Decision(False, f"K6 no NDC (2410 LIN03) on {view.code}, which the contract "
                               f"prices by NDC", "K6")
    ndc = drug.ndc
    if drug.ndc_qualifier != "N4" or not valid_ndc(ndc):
        return Decision(False, f"K6 NDC {ndc!r} (LIN02 {drug.ndc_qualifier}) is not an 11-digit "
                               f"N4 NDC", "K6")
    row = plist.ndc(ndc, day)
    if row is None:
        return Decision(False, f"K6 NDC {ndc} is not on {plist.name} ({plist.basis}) on {day}",
                        "K6")
    qty, unit = drug.quantity, (drug.unit or "").upper()
    if qty is None or not qty > 0 or unit not in UNITS:
        return Decision(False, f"K2 NDC {ndc}: CTP04 quantity and CTP05 unit ({', '.join(UNITS)}) "
                               f"are required, got {qty if qty is not None else 'none'} "
                               f"{unit or 'none'}", "K2")
    converted = plist.convert(qty, unit, row)
    if converted is None:
        return Decision(False, f"K2 NDC {ndc}: {units_text(qty)} {unit} cannot be converted to the price "
                               f"list's {row.unit} (no package size on {row.where})", "K2")
    how = "" if unit == row.unit else f" = {units_text(converted)} {row.unit}"
    return Decision(True, f"K6 NDC {ndc}: {units_text(qty)} {unit}{how} at {plist.basis} {row.describe()}",
                    value=Payable(value, converted, view.units, unit_price=row.price,
                                  price_note=row.where))


# -- medicare_fee_multiplier: Medicare's one payment per category per day -------------------------

def hit_code(view: ContractView, value: Match, found, t: ContractTables) -> Decision:
    """E1 for a Medicare fee multiplier line: an HIT G-code valid on the date."""
    if value.category is None:
        return Decision(False, f"E1 {view.code} is not an HIT G-code valid on {view.dos}: no "
                               f"Medicare HIT rate to multiply", "E1")
    return Decision(True, f"E1 {view.code}: HIT category {value.category} on {view.dos}")


def hit_day_window(view: ContractView, value: Match, bh: BeneficiaryHistory,
                   t: ContractTables) -> list[Service]:
    """E6's window under a contract: the HIT-category lines the plan paid on the day."""
    if not bh.service_days:
        return []
    return [s for s in bh.services_between(view.dos, view.dos)
            if s.plan == t.contract.plan and s.kind.startswith(_HIT_KIND)]


def hit_same_day(view: ContractView, value: Match, found: list[Service],
                 t: ContractTables) -> Decision:
    """E6 under a contract: one payment per HIT category per day (the Medicare rule,
    counting the lines this plan paid; E7 when the contract's conventions say
    highest_only); units never multiply."""
    cat = value.category
    same = [s for s in found if s.kind == f"{_HIT_KIND}{cat}"]
    if same:
        s = same[0]
        return Decision(False, f"E6 category {cat} already paid for {view.dos} by {s.code} of "
                               f"claim {s.icn} line {s.line_number}", "E6")
    others = sorted({int(s.kind[len(_HIT_KIND):]) for s in found})
    rule = t.conv.multiple_categories_same_day
    if others and rule == "highest_only" and cat is not None and max(others) > cat:
        return Decision(False, f"E7 category {max(others)} already paid for {view.dos}; only the "
                               f"highest category is paid (highest_only)", "E7")
    text = f"E6 no other category-{cat} line paid for {view.dos}"
    if others:
        text += f"; other categories that day {others} (C3 {rule})"
    units = "none" if view.units is None else units_text(view.units)
    return Decision(True, f"{text}; units {units} do not multiply",
                    value=Payable(value, Decimal(1), view.units))


# -- K5: limits per period --------------------------------------------------------------------------

def _year_start(t: ContractTables) -> tuple[int, int]:
    cs = t.contract.cost_sharing
    return cs.year_start if cs is not None else (1, 1)


def limit_window(view: ContractView, value: Payable, bh: BeneficiaryHistory,
                 t: ContractTables) -> list[Service] | None:
    lim = value.term.limit
    if lim is None:
        return None
    start, end = limit_period(view.dos, lim.per, _year_start(t))
    return _plan_services(bh, start, end, t.contract.plan, service_kind(value))


def limit(view: ContractView, value: Payable, found, t: ContractTables) -> Decision:
    """K5: at most limit.units of the term (a per diem: of its therapy) per period,
    per member; what crosses the limit is not paid (CO-119 by default)."""
    term = value.term
    lim = term.limit
    if lim is None:
        return Decision(True, f"K5 no limit on term {term.id}")
    start, end = limit_period(view.dos, lim.per, _year_start(t))
    used = sum((s.units for s in found or ()), Decimal(0))
    cap = lim.units
    what = f"limit {units_text(cap)} a {lim.per.replace('_', ' ')} ({start}..{end}) on {term.kind}"
    if used >= cap:
        return Decision(False, f"K5 {what}: {units_text(used)} used already", "K5")
    left = cap - used
    if value.units <= left:
        return Decision(True, f"K5 {what}: {units_text(used)} used + {units_text(value.units)} = "
                              f"{units_text(used + value.units)}")
    over = value.units - left
    days = value.days[:int(left)] if value.days else ()
    return Decision(True, f"K5 {what}: {units_text(used)} used, {units_text(left)} of {units_text(value.units)} payable, "
                          f"{units_text(over)} over the limit",
                    value=replace(value, units=left, units_paid=left, days=days,
                                  excluded=value.excluded + (("K5", over),)))


# -- K7, K8, K9: prior authorization ------------------------------------------------------------------

def authorization_window(view: ContractView, value: Payable, bh: BeneficiaryHistory,
                         t: ContractTables) -> tuple[Authorization, Decimal] | None:
    """K7's window: the member's authorization the claim names, with the units of its
    codes the plan paid within its dates."""
    if not value.term.prior_authorization or not view.authorization or t.authorizations is None:
        return None
    for row in t.authorizations.get(view.authorization):
        if row.mbi == view.mbi and view.code in row.codes:
            used = sum((s.units for s in (bh.services_between(row.start, row.end)
                                          if bh.service_days else ())
                        if s.plan == t.contract.plan and s.code in row.codes), Decimal(0))
            return row, used
    return None


def prior_authorization(view: ContractView, value: Payable, found, t: ContractTables) -> Decision:
    """K7 absent (no REF*G1 where the contract requires one), K9 invalid (not in the
    authorization file, another member's, or not for the code), K8 exceeded (dates
    outside the authorization, or more units than it has left)."""
    term = value.term
    number = view.authorization
    if not term.prior_authorization:
        return Decision(True, f"K7 no prior authorization required for {term.id}")
    if not number:
        return Decision(False, f"K7 no prior authorization (REF*G1) for {view.code}; term "
                               f"{term.id} requires one", "K7")
    table = t.authorizations
    if table is None:
        return Decision(True, f"K7 prior authorization {number} given (REF*G1); not checked: no "
                              f"authorization file")
    if not found:
        rows = table.get(number)
        if not rows:
            why = f"is not in {table.name}"
        elif not any(r.mbi == view.mbi for r in rows):
            why = "is another member's"
        else:
            why = f"does not cover {view.code}"
        return Decision(False, f"K9 prior authorization {number} {why}", "K9")
    row, used = found
    days = value.days or view.days or (view.dos,)
    if days[0] < row.start or days[-1] > row.end:
        return Decision(False, f"K8 prior authorization {number} covers {row.period()} "
                               f"({row.where}); the line's dates {_span(days)} are outside it",
                        "K8")
    if row.units is not None and used + value.units > row.units:
        return Decision(False, f"K8 prior authorization {number} allows {units_text(row.units)} units "
                               f"of {' '.join(sorted(row.codes))} in {row.period()}: {units_text(used)} "
                               f"used, the line needs {units_text(value.units)}", "K8")
    cap = "" if row.units is None else f", {units_text(used)} + {units_text(value.units)} of {units_text(row.units)} units"
    return Decision(True, f"K7 prior authorization {number}: {view.code} {row.period()} "
                          f"({row.where}){cap}")
