# The HIT pricing rules, one small function each.
#
# Strategy: a rule takes a LineView (the few facts of one service line it needs), the
# relevant slice of beneficiary history and the tables, and returns a Decision: passed
# or not, the convention edit id when it denies (E1, E2, ...), a value for the next
# step, and one trace line in plain words. The money steps return the amount and a
# trace line. Rules do no I/O and know nothing about X12 or the order they run in:
# the pricer (pricer.py) applies them in order and turns decisions into
# adjustments.
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from edi_hit.pricing.codes import CodeTable, HitCode
from edi_hit.pricing.conventions import Conventions
from edi_hit.pricing.history import DrugClaim, Visit
from edi_hit.pricing.money import ZERO, round_money

__all__ = ["LineView", "Decision", "Money", "code_valid", "place_of_service", "units_of_time",
           "same_category_same_day", "initial_visit_gap", "dme_drug_before_visit",
           "allowed_amount", "deductible", "coinsurance", "sequestration"]


@dataclass(slots=True)
class LineView:
    """What the rules need to know about one service line."""

    mbi: str
    day: date
    code: str
    charge: Decimal
    units: Decimal | None
    pos: str | None
    pos_source: str  # "SV105" | "CLM05-1"
    npi: str
    line_number: int
    modifiers: tuple[str, ...] = ()


@dataclass(slots=True)
class Decision:
    passed: bool
    trace: str
    edit: str | None = None
    value: object = None


@dataclass(slots=True)
class Money:
    amount: Decimal
    trace: str


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


# -- rule 1: the code ---------------------------------------------------------------

def code_valid(view: LineView, codes: CodeTable) -> Decision:
    """E1: an HIT G-code valid on the date of service. A drug J-code is not priced
    here (E11): its value is the drug's category, for the DME drug history."""
    hit = codes.hit_code(view.code, view.day)
    if hit is not None:
        kind = "initial" if hit.initial else "subsequent"
        return Decision(True, f"E1 code {hit.code}: HIT category {hit.category}, {kind} visit, "
                              f"valid on {view.day}", value=hit)
    if codes.hit_code_known(view.code):
        return Decision(False, f"E1 code {view.code} is not valid on {view.day}", "E1")
    if codes.drug_code_known(view.code):
        cat = codes.drug_category(view.code, view.day, view.modifiers)
        what = f"category {cat}" if cat else "no payment category"
        return Decision(False, f"E11 code {view.code} is a DME drug ({what}): billed to the DME "
                               f"MAC, not priced under HIT; recorded as DME drug history",
                        "E11", value=cat)
    return Decision(False, f"E1 code {view.code} is not an HIT G-code", "E1")


# -- rule 2: place of service -----------------------------------------------------------

def place_of_service(view: LineView, conv: Conventions) -> Decision:
    accepted = ",".join(sorted(conv.accepted_pos))
    if view.pos is None:
        return Decision(False, "E2 no place of service on the line or the claim", "E2")
    if view.pos.zfill(2) in conv.accepted_pos:
        return Decision(True, f"E2 place of service {view.pos} ({view.pos_source}) is in the home "
                              f"set {{{accepted}}}")
    return Decision(False, f"E2 place of service {view.pos} ({view.pos_source}) is not in the home "
                           f"set {{{accepted}}}", "E2")


# -- rule 3: units are time ---------------------------------------------------------------

def units_of_time(view: LineView) -> Decision:
    if view.units is None or view.units <= 0:
        return Decision(False, f"E9 units {view.units if view.units is not None else 'missing'}: "
                               f"at least 1 fifteen-minute unit is required", "E9")
    minutes = view.units * 15
    return Decision(True, f"E8 units {view.units:f} = {minutes:f} minutes of visit time; "
                          f"informational, one payment for the day")


# -- rule 6: one payment per category per day ----------------------------------------------

def same_category_same_day(view: LineView, hit: HitCode, day_visits: list[Visit],
                           conv: Conventions) -> Decision:
    same = [v for v in day_visits if v.category == hit.category]
    if same:
        first = same[0]
        exact = any(v.code == hit.code and v.npi == view.npi and v.charge == view.charge
                    for v in same)
        where = f"{first.code} (ICN {first.icn} line {first.line_number})"
        if exact:
            return Decision(False, f"E6 exact duplicate: {hit.code} already paid for {view.day} by "
                                   f"{where}", "E6_duplicate")
        return Decision(False, f"E6 category {hit.category} already paid for {view.day} by {where}",
                        "E6")
    others = sorted({v.category for v in day_visits})
    if others and conv.multiple_categories_same_day == "highest_only" and max(others) > hit.category:
        return Decision(False, f"E7 category {max(others)} already paid for {view.day}; only the "
                               f"highest category is paid (highest_only)", "E7")
    text = f"E6 first category-{hit.category} line paid for {view.day}"
    if others:
        text += f"; other categories that day {others} (C3 {conv.multiple_categories_same_day})"
    return Decision(True, text)


# -- rule 5: initial visit gap -------------------------------------------------------------

def initial_visit_gap(view: LineView, hit: HitCode, prior: list[Visit], conv: Conventions,
                      codes: CodeTable) -> Decision:
    """prior: the beneficiary's paid HIT visits dated gap..1 days before this one; only
    read for an initial-visit code (a subsequent-visit code always passes)."""
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
        sub = codes.subsequent_code(hit.category, view.day)
        if sub is not None:
            return Decision(True, f"E5 {why}: repriced as {sub.code} (C4 reprice_subsequent)",
                            value=sub)
    return Decision(False, f"E5 {why}: initial visit too soon", "E5")


# -- rule 4: DME drug before the visit -----------------------------------------------------

def dme_drug_before_visit(view: LineView, hit: HitCode, drugs: list[DrugClaim],
                          conv: Conventions, assume: bool = False) -> Decision:
    """drugs: the beneficiary's DME drug claims dated window..0 days before the visit."""
    window = conv.dme_drug_window_days
    if assume:
        return Decision(True, "E4 DME drug check off (--assume-dme-drug)")
    any_cat = conv.dme_drug_category_match == "any"
    match = [d for d in drugs if d.category is not None and (any_cat or d.category == hit.category)]
    if match:
        d = match[-1]
        return Decision(True, f"E4 DME drug {d.code} (category {d.category}) on {d.day}, "
                              f"{(view.day - d.day).days} days before the visit")
    start = view.day - timedelta(days=window)
    what = "a qualifying" if any_cat else f"a category-{hit.category}"
    return Decision(False, f"E4 no covered DME claim for {what} drug dated {start}..{view.day}",
                    "E4")


# -- rules 7-10: money ---------------------------------------------------------------------

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
