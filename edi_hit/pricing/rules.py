# The HIT pricing rules, one small function each, with the history window each reads.
#
# Strategy: a rule takes a LineView (the facts of one service line), the HIT code the
# line was found to be (E1's value; None before E1), the slice of beneficiary history
# its window found, and the Tables (code table, conventions, supplier enrolment, DME
# evidence mode), and returns a Decision: passed or not, the convention key of its
# codes when it denies (E1, E2, E6_duplicate, ...), a value for the next step, and one
# trace line in plain words. A rule that reads history says which slice with its own
# window function (the 60-day gap, the 0-30-day DME drug window and the same day are
# the rule's arithmetic, not the driver's). The money steps (P1-P4) return an amount
# and a trace line. Rules do no I/O and know nothing of X12 or of the order they run
# in: profile.py declares the order, the pricer (pricer.py) and `validate`'s HIT
# level (validation/x837.py) both run them from there.
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from edi_hit.pricing.codes import AB_MAC, CodeTable, HitCode
from edi_hit.pricing.conventions import Conventions
from edi_hit.pricing.history import BeneficiaryHistory, DrugClaim, Visit
from edi_hit.pricing.money import ZERO, round_money

if TYPE_CHECKING:  # pragma: no cover
    from edi_hit.pricing.suppliers import SupplierTable

__all__ = ["LineView", "Decision", "Money", "Tables", "COVERED", "BILLED", "ASSUMED",
           "line_complete", "code_valid", "supplier_enrolled", "place_of_service", "whole_units",
           "one_day", "same_category_same_day", "visits_on_day", "initial_visit_gap",
           "visits_in_gap", "dme_drug_before_visit", "drugs_in_window", "allowed_amount",
           "deductible", "coinsurance", "sequestration"]

# DME drug evidence modes (C26): lines the DME benefit covered (the DME MAC's 835 or a
# claim-line file with status), billed DME supplier claims (simulation), or none needed.
COVERED, BILLED, ASSUMED = "covered", "billed", "assumed"


@dataclass(slots=True)
class LineView:
    """What the rules need to know about one service line."""

    mbi: str
    day: date | None
    code: str
    charge: Decimal
    units: Decimal | None
    pos: str | None
    pos_source: str  # "SV105" | "CLM05-1"
    npi: str
    line_number: int
    modifiers: tuple[str, ...] = ()
    day_end: date | None = None  # the end of a DTP*472 RD8 range


@dataclass(slots=True)
class Decision:
    passed: bool
    trace: str
    edit: str | None = None  # the conventions key of the codes a denial carries
    value: object = None     # E1, E5: the HitCode to price the line at


@dataclass(slots=True)
class Money:
    amount: Decimal
    trace: str


@dataclass(slots=True, frozen=True)
class Tables:
    """What rules read besides the line and history."""

    codes: CodeTable
    conv: Conventions
    suppliers: "SupplierTable | None" = None  # None: E3 not checked
    evidence: str = COVERED                   # COVERED | BILLED | ASSUMED (C26)


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


# -- E12 / E1: the line can be looked at ---------------------------------------------------

def line_complete(view: LineView, hit, found, t: Tables) -> Decision:
    """A line needs a beneficiary, a date of service and a procedure code."""
    if not view.code:
        return Decision(False, "E1 no procedure code (SV101-2)", "E1")
    if not view.mbi:
        return Decision(False, "E12 no beneficiary id (2010BA NM109)", "E12")
    if view.day is None:
        return Decision(False, "E12 no date of service (DTP*472)", "E12")
    return Decision(True, "E12 beneficiary, date of service and procedure code present")


# -- E1 (and E11): the code ----------------------------------------------------------------

def code_valid(view: LineView, hit, found, t: Tables) -> Decision:
    """E1: an HIT G-code valid on the date of service and priced by an A/B MAC; else
    E11 when it belongs to the DME MAC (a drug J-code, C18; G0068-G0070 in 2019-2020,
    the transitional payment, C25). A drug's value is its category (or None)."""
    codes = t.codes
    row = codes.hit_code(view.code, view.day)
    if row is not None:
        if row.contractor != AB_MAC:
            return Decision(False, f"E11 code {row.code} on {view.day} is the 2019-2020 "
                                   f"transitional payment, billed to the {row.contractor}, not "
                                   f"the A/B MAC (C25)", "E11")
        kind = "initial" if row.initial else "subsequent"
        return Decision(True, f"E1 code {row.code}: HIT category {row.category}, {kind} visit, "
                              f"valid on {view.day}", value=row)
    if codes.hit_code_known(view.code):
        return Decision(False, f"E1 code {view.code} is not valid on {view.day}", "E1")
    if codes.drug_code_known(view.code):
        cat = codes.drug_category(view.code, view.day, view.modifiers)
        if cat:
            what = f"category {cat}"
        else:
            row = codes.drug_code(view.code, view.day)
            what = (f"no payment category without {row.modifier}" if row and row.requires_modifier
                    else "no payment category")
        return Decision(False, f"E11 code {view.code} is a DME drug ({what}): billed to the DME "
                               f"MAC, not priced under HIT (C18)", "E11", value=cat)
    return Decision(False, f"E1 code {view.code} is not an HIT G-code", "E1")


# -- E3: the supplier ----------------------------------------------------------------------

def supplier_enrolled(view: LineView, hit, found, t: Tables) -> Decision:
    """E3: the billing NPI is enrolled as a home infusion therapy supplier (D6) on the
    date of service (C19: from the enrolment data given with --suppliers)."""
    table = t.suppliers
    enrolled = table.enrolment(view.npi, view.day)
    if enrolled is not None:
        return Decision(True, f"E3 billing NPI {view.npi} enrolled as a home infusion therapy "
                              f"supplier (D6) on {view.day} ({enrolled.source})")
    return Decision(False, f"E3 billing NPI {view.npi or '(none)'} is not enrolled as a home "
                           f"infusion therapy supplier (D6) on {view.day}: "
                           f"{table.why_not(view.npi, view.day)}", "E3")


# -- E2: place of service ------------------------------------------------------------------

def place_of_service(view: LineView, hit, found, t: Tables) -> Decision:
    """E2: the home set of the conventions (C2), none a hospital, CAH or SNF (4.12)."""
    home = t.conv.accepted_pos
    accepted = ",".join(sorted(home))
    if view.pos is None:
        return Decision(False, "E2 no place of service on the line or the claim", "E2")
    if view.pos.zfill(2) in home:
        return Decision(True, f"E2 place of service {view.pos} ({view.pos_source}) is in the home "
                              f"set {{{accepted}}}")
    return Decision(False, f"E2 place of service {view.pos} ({view.pos_source}) is not in the "
                           f"home set {{{accepted}}}", "E2")


# -- E9 and E8: units are time, one day a line ------------------------------------------------

def whole_units(view: LineView, hit, found, t: Tables) -> Decision:
    """E9: SV104 holds a positive whole number of 15-minute units (C24)."""
    units = view.units
    if units is None or units <= 0:
        return Decision(False, f"E9 units {'missing' if units is None else f'{units:f}'}: at "
                               f"least 1 fifteen-minute unit is required", "E9")
    if units != units.to_integral_value():
        return Decision(False, f"E9 units {units:f}: a whole number of 15-minute units is "
                               f"required (C24)", "E9")
    return Decision(True, f"E9 units {units:f} = {units * 15:f} minutes of visit time: "
                          f"informational, one payment for the day (E8)")


def one_day(view: LineView, hit, found, t: Tables) -> Decision:
    """E8: a G-code line is one infusion drug administration calendar day (C23)."""
    end = view.day_end
    if end is not None and end != view.day:
        days = (end - view.day).days + 1
        span = f"{days} days" if days > 0 else "backwards"
        return Decision(False, f"E8 dates {view.day}..{end} span {span}: a line is one infusion "
                               f"drug administration calendar day (C23)", "E8")
    return Decision(True, f"E8 one infusion drug administration calendar day: {view.day}")


# -- E6: one payment per category per day ------------------------------------------------------

def visits_on_day(view: LineView, hit: HitCode, bh: BeneficiaryHistory, t: Tables) -> list[Visit]:
    """E6's window: the beneficiary's paid visits on the line's day."""
    if not bh.visit_days:
        return []
    return bh.visits_between(view.day, view.day)


def same_category_same_day(view: LineView, hit: HitCode, day_visits: list[Visit],
                           t: Tables) -> Decision:
    conv = t.conv
    same = [v for v in day_visits if v.category == hit.category]
    if same:
        first = same[0]
        exact = any(v.code == hit.code and v.npi == view.npi and v.charge == view.charge
                    for v in same)
        where = f"{first.code} of claim {first.icn} line {first.line_number}"
        if exact:
            return Decision(False, f"E6 exact duplicate: {hit.code} already paid for {view.day} by "
                                   f"{where}", "E6_duplicate")
        return Decision(False, f"E6 category {hit.category} already paid for {view.day} by {where}",
                        "E6")
    others = sorted({v.category for v in day_visits})
    highest_only = conv.multiple_categories_same_day == "highest_only"
    if others and highest_only and max(others) > hit.category:
        return Decision(False, f"E7 category {max(others)} already paid for {view.day}; only the "
                               f"highest category is paid (highest_only)", "E7")
    text = f"E6 no other category-{hit.category} line paid for {view.day}"
    if others:
        text += f"; other categories that day {others} (C3 {conv.multiple_categories_same_day})"
    return Decision(True, text)


# -- E5: initial visit gap --------------------------------------------------------------------

def visits_in_gap(view: LineView, hit: HitCode, bh: BeneficiaryHistory, t: Tables):
    """E5's window: paid visits 1..60 days before an initial-visit code (day 61
    qualifies); None for a subsequent-visit code, which reads no history."""
    if not hit.initial or not bh.visit_days:
        return None
    gap = t.conv.initial_visit_gap_days
    return bh.visits_between(view.day - timedelta(days=gap), view.day - timedelta(days=1))


def initial_visit_gap(view: LineView, hit: HitCode, prior: list[Visit], t: Tables) -> Decision:
    conv = t.conv
    gap = conv.initial_visit_gap_days
    if not hit.initial:
        return Decision(True, f"E5 {hit.code} is not an initial-visit code")
    if not prior:
        return Decision(True, f"E5 no HIT visit in the {gap} days before {view.day}: initial "
                              f"visit allowed")
    last = prior[-1]
    days = (view.day - last.day).days
    why = (f"last HIT visit {last.code} on {last.day} ({days} days before; initial needs more "
           f"than {gap})")
    if conv.initial_visit_too_soon == "reprice_subsequent":
        sub = t.codes.subsequent_code(hit.category, view.day)
        if sub is not None:
            return Decision(True, f"E5 {why}: repriced as {sub.code} (C4 reprice_subsequent)",
                            value=sub)
    return Decision(False, f"E5 {why}: initial visit too soon", "E5")


# -- E4: DME drug before the visit -------------------------------------------------------------

def drugs_in_window(view: LineView, hit: HitCode, bh: BeneficiaryHistory, t: Tables):
    """E4's window: DME drug claim lines dated 0..30 days before the visit that count
    as evidence (C26): covered lines (DME MAC 835 or claim-line file: no ICN of ours);
    with the `billed` simulation, also billed DME supplier claims of the runs."""
    if not bh.drug_days:
        return []
    found = bh.drugs_between(view.day - timedelta(days=t.conv.dme_drug_window_days), view.day)
    if t.evidence == BILLED:
        return found
    return [d for d in found if not d.icn]


def dme_drug_before_visit(view: LineView, hit: HitCode, drugs: list[DrugClaim],
                          t: Tables) -> Decision:
    conv = t.conv
    any_cat = conv.dme_drug_category_match == "any"
    match = [d for d in drugs if d.category is not None and (any_cat or d.category == hit.category)]
    if match:
        d = match[-1]
        how = "billed DME claim, simulation" if d.icn else "covered by the DME benefit"
        return Decision(True, f"E4 DME drug {d.code} (category {d.category}) on {d.day}, "
                              f"{(view.day - d.day).days} days before the visit ({how})")
    start = view.day - timedelta(days=conv.dme_drug_window_days)
    what = "a qualifying" if any_cat else f"a category-{hit.category}"
    covered = "billed (simulation) or covered" if t.evidence == BILLED else "covered"
    return Decision(False, f"E4 no {covered} DME claim for {what} drug dated {start}..{view.day}",
                    "E4")


# -- P1-P4: money ------------------------------------------------------------------------------

def allowed_amount(charge: Decimal, rate: Decimal) -> Money:
    """P1: allowed = lesser of charge and rate; the difference is CO-45."""
    allowed = min(charge, rate)
    return Money(allowed, f"P1 allowed = min(charge {charge}, rate {rate}) = {allowed}; "
                          f"CO-45 {charge - allowed}")


def deductible(allowed: Decimal, year: int, annual: Decimal, met: Decimal) -> Money:
    """P2: PR-1 = min(remaining deductible for the year, allowed)."""
    remaining = max(annual - met, ZERO)
    applied = min(remaining, allowed)
    return Money(applied, f"P2 deductible {year} {annual}, met {met}, remaining {remaining}: "
                          f"PR-1 {applied}")


def coinsurance(base: Decimal, rate: Decimal) -> Money:
    """P3: PR-2 = coinsurance rate x (allowed - deductible), half-up to cents."""
    amount = round_money(base * rate)
    return Money(amount, f"P3 coinsurance {_pct(rate)} x {base} = {amount}: PR-2 {amount}")


def sequestration(medicare: Decimal, rate: Decimal, day: date) -> Money:
    """P4: CO-253 = sequestration rate in force on the DOS x Medicare amount, half-up."""
    amount = round_money(medicare * rate)
    return Money(amount, f"P4 sequestration {_pct(rate)} on {day} x {medicare} = {amount}: "
                         f"CO-253 {amount}")
