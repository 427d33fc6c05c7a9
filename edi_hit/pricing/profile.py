# Payment profiles: which rules apply to a line, in which order, and how it is paid.
#
# Strategy: a Profile is data: an ordered tuple of Rules, each keyed by its edit id
# (E1, E2, ... as numbered in hit-rules.md section 7), plus the payment stage that
# prices a line every rule passed. A Rule names its function (rules.py), the history
# window it reads (None: it reads only the line and the tables) and the key its
# decision depends on when it reads no history: the line facts its trace line names
# (for a windowed rule, when the window finds nothing). That is what lets the pricer
# (pricer.py) memoise the common line, rule by rule, without knowing any rule. `reads`
# says what a rule needs besides the line, so `validate` (validation/x837.py) runs
# exactly the rules it can feed: the line rules and, with the file's own visits, the
# visit rules. A rule that is switched off (E3 without an enrolment file, E4 with
# --assume-dme-drug) stays in the order as an `off` rule, so its trace line says so.
#
# The Medicare HIT benefit is one profile (medicare_hit). A payer contract is another
# (contracts/profile.py): its common rules, then `stages`, the rules of the method of
# the line's term (per diem, per visit, drug ...), with its own payment stage and line
# view. Its rules reprice step by step (units, days paid already, a limit), so it runs
# `threaded`: each rule sees the latest value, unmemoised. Same Decision, trace and
# denial machinery; the pricer does not know which payer it runs.
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable, Mapping

from edi_hit.pricing import rules
from edi_hit.pricing.payment import MedicarePayment
from edi_hit.pricing.rules import ASSUMED, Decision, LineView, Tables

__all__ = ["Rule", "Profile", "off", "medicare_hit", "LINE", "REQUIRED", "ENROLMENT", "VISITS",
           "DRUGS"]

# What a rule reads besides the line's own facts and the code/convention tables.
LINE = "line"            # nothing else
REQUIRED = "required"    # nothing else; the completeness of the line (validate: level 3)
ENROLMENT = "enrolment"  # supplier enrolment data (--suppliers)
VISITS = "visits"        # the beneficiary's paid HIT visits
DRUGS = "drugs"          # the beneficiary's DME drug evidence


@dataclass(frozen=True, slots=True)
class Rule:
    """One edit: check(view, hit, found, tables) -> Decision.

    key(view): what the decision depends on when the rule reads no history (or its
    window finds nothing): the line facts its trace names. window(view, hit, history,
    tables): the history slice the rule reads (None or empty: nothing found)."""

    edit: str
    check: Callable[..., Decision]
    key: Callable[[LineView], Hashable]
    window: Callable | None = None
    reads: str = LINE
    constant: Decision | None = None  # the decision of an `off` rule, whatever the line


def off(edit: str, why: str, reads: str) -> Rule:
    """A rule switched off for this run: it passes every line, saying why."""
    decision = Decision(True, f"{edit} {why}")
    return Rule(edit, lambda view, hit, found, t: decision, _nothing, reads=reads,
                constant=decision)


# The line facts a rule's decision (and trace line) depends on.
def _nothing(view: LineView) -> None:
    return None


def _present(view: LineView) -> tuple | None:
    if view.mbi and view.day is not None and view.code:
        return None  # the usual line: nothing missing
    return (not view.mbi, view.day is None, not view.code)


def _code_on_day(view: LineView) -> tuple:
    return (view.code, view.day, view.modifiers)


def _npi_on_day(view: LineView) -> tuple:
    return (view.npi, view.day)


def _place(view: LineView) -> tuple:
    return (view.pos, view.pos_source)


def _units(view: LineView) -> str | None:
    return None if view.units is None else str(view.units)


def _dates(view: LineView):
    end = view.day_end
    return view.day if end is None else (view.day, end)


def _code_day(view: LineView) -> tuple:
    return (view.code, view.day)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    rules: tuple[Rule, ...]
    # built with (rates, part_b, conventions): forget(), price(...) a line that passed,
    # paid(...) its PricedLine (recorded in history), claim_done(...)
    payment: Callable[..., Any]
    # after `rules`, the rules of the first value's .method (None: none)
    stages: Mapping[str, tuple[Rule, ...]] | None = None
    threaded: bool = False  # each rule sees the latest value; nothing memoised
    view: type = LineView   # the line view class the rules read
    # (view, claim item, line, claim context) -> None: what the view adds to LineView
    extend: Callable[..., None] | None = None
    claim_context: Callable[[Any], Any] | None = None  # (claim) -> context, once per claim
    conventions: Mapping[str, Any] | None = None  # laid over the run's conventions

    def rule(self, edit: str) -> Rule:
        for r in self.rules:
            if r.edit == edit:
                return r
        raise KeyError(edit)

    def reading(self, *reads: str) -> tuple[Rule, ...]:
        """The rules that need nothing beyond `reads` (validate: LINE and VISITS)."""
        return tuple(r for r in self.rules if r.reads in reads)


def medicare_hit(t: Tables) -> Profile:
    """The Medicare HIT benefit, in the order of hit-rules.md section 1: the line can
    be read (E12), code (E1/E11), supplier (E3), home (E2), units (E9), one day (E8),
    one payment per category per day (E6/E7), initial-visit gap (E5), DME drug (E4);
    then rate, allowed, deductible, coinsurance, sequestration (E12, P1-P4)."""
    return Profile("medicare-hit", (
        Rule("E12", rules.line_complete, _present, reads=REQUIRED),
        Rule("E1", rules.code_valid, _code_on_day),
        Rule("E3", rules.supplier_enrolled, _npi_on_day, reads=ENROLMENT)
        if t.suppliers is not None
        else off("E3", "supplier enrolment not checked (no --suppliers file)", ENROLMENT),
        Rule("E2", rules.place_of_service, _place),
        Rule("E9", rules.whole_units, _units),
        Rule("E8", rules.one_day, _dates),
        Rule("E6", rules.same_category_same_day, _code_day, rules.visits_on_day, VISITS),
        Rule("E5", rules.initial_visit_gap, _code_day, rules.visits_in_gap, VISITS),
        Rule("E4", rules.dme_drug_before_visit, _code_day, rules.drugs_in_window, DRUGS)
        if t.evidence != ASSUMED
        else off("E4", "DME drug check off (--assume-dme-drug)", DRUGS),
    ), MedicarePayment)
