# What an 835 can carry: the values a claim puts into it, and the delimiters around them.
#
# Strategy: the builder renders claims with internal separators (control characters no
# X12 value may hold) and picks the interchange's delimiters at the end, so a delimiter
# character inside a value is avoided by choosing other delimiters (choose_delimiters),
# never by failing the run. What no choice can fix - a control character, a value
# longer or shorter than its 835 element allows (TR3 lengths, pyx12's dataele table), a
# payee without an id - is found by refusal() before the claim is priced, so such a
# claim is rejected, never decided. Reasons name the element, never the value (a name
# or member id is PHI). refusal() is a few length comparisons and one regular
# expression for the usual claim; the exact element is looked up only when it fails.
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edi_hit.claims import BillingProvider, Claim

from edi_hit.errors import X12Error
from edi_hit.x12 import Delimiters

__all__ = ["refusal", "choose_delimiters"]

# Internal separators of the spill (element, component, segment): no X12 value holds them.
_ELEM, _COMP, _SEG = "\x1d", "\x1f", "\x1c"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Delimiters to choose from when a value holds a preferred one; never digits, '.', '-',
# '+' or space (amounts and dates use them).
_CANDIDATES = {
    "element": "*|!`{}[]<>#@",
    "segment": "~'!#;$`@",
    "component": ":>\\<{}@#",
    "repetition": "^{}`[]@#",
}
# The 835 elements a claim's own values go into: (element, what, min, max) - TR3 lengths.
_CLAIM_FIELDS = (
    ("CLP01", "patient control number", 1, 38),
    ("NM103", "patient last name", 1, 60),
    ("NM104", "patient first name", 1, 35),
    ("NM105", "patient middle name", 1, 25),
    ("NM109", "member id", 2, 80),
    ("CLP08", "place of service", 1, 2),
    ("CLP09", "claim frequency", 1, 1),
)
_LINE_FIELDS = (
    ("SVC01-1", "procedure code qualifier", 2, 2),
    ("SVC01-2", "procedure code", 1, 48),
    ("REF02", "line control number (REF*6R)", 1, 50),
)
_PAYEE_FIELDS = (
    ("N102", "billing provider name", 1, 60),
    ("N104", "billing provider id", 2, 80),
    ("N301", "billing provider address", 1, 55),
    ("N302", "billing provider address line 2", 1, 55),
    ("N401", "billing provider city", 2, 30),
    ("N402", "billing provider state", 2, 2),
    ("N403", "billing provider postal code", 3, 15),
    ("REF02", "billing provider tax id (REF*TJ)", 1, 50),
)


def _field_problem(element: str, what: str, low: int, high: int, value: object) -> str | None:
    if value is None or value == "":
        return None
    value = str(value)
    if _CONTROL.search(value) or not value.isprintable():
        return f"{element} ({what}) contains a control character, which no 835 can carry"
    if not low <= len(value) <= high:
        return (f"{element} ({what}) is {len(value)} characters long; the 835 allows "
                f"{low} to {high}")
    return None


# id(billing provider) -> (that provider, its problem or None): shared by many claims
PayeeChecks = dict[int, tuple[object, "str | None"]]


def refusal(claim: Claim, payee_checked: PayeeChecks | None = None) -> str | None:
    """Why this claim cannot be written to an 835 whatever the delimiters (a control
    character, a value longer or shorter than its element allows, no payee id), or None.
    The reason names the element, never its value. payee_checked: a dict that remembers
    billing providers checked already (they are shared by many claims)."""
    sub = claim.subscriber
    person = claim.patient or sub
    if person is not None:
        last, first, middle = person.last_name or "", person.first_name or "", \
            person.middle_name or ""
    else:
        last = first = middle = ""
    member = (sub.member_id if sub is not None else None) or ""
    pcn = claim.patient_control_number or ""
    pos, freq = claim.place_of_service or "", claim.frequency_code or ""
    # the usual claim: a few length comparisons and one C-level scan per line
    if not (0 < len(pcn) <= 38 and len(last) <= 60 and len(first) <= 35
            and len(middle) <= 25 and len(member) != 1 and len(member) <= 80
            and len(pos) <= 2 and len(freq) <= 1
            and f"{pcn}{last}{first}{middle}{member}{pos}{freq}".isprintable()):
        return _claim_problem(claim, last, first, middle, member)
    for line in claim.lines:
        code, control, mods = line.code or "", line.control_number or "", line.modifiers
        qualifier = line.qualifier
        if (len(code) > 48 or len(control) > 50 or (qualifier and len(qualifier) != 2)
                or not f"{code}{control}{qualifier or ''}".isprintable()
                or (mods and not all(len(m) == 2 and m.isprintable() for m in mods))):
            return _claim_problem(claim, last, first, middle, member)
    return _payee_problem(claim.billing_provider, payee_checked)


def _claim_problem(claim: Claim, last: str, first: str, middle: str,
                   member: str) -> str | None:
    """The exact reason, element by element (the rare path)."""
    if not claim.patient_control_number:
        return "CLP01 (patient control number) is required and the claim has none"
    values = (claim.patient_control_number, last, first, middle, member,
              claim.place_of_service, claim.frequency_code)
    for (element, what, low, high), value in zip(_CLAIM_FIELDS, values):
        problem = _field_problem(element, what, low, high, value)
        if problem:
            return problem
    for line in claim.lines:
        for (element, what, low, high), value in zip(
                _LINE_FIELDS, (line.qualifier or "HC", line.code, line.control_number)):
            problem = _field_problem(element, what, low, high, value)
            if problem:
                return f"line {line.line_number}: {problem}"
        for m in line.modifiers:
            problem = _field_problem("SVC01-3", "procedure modifier", 2, 2, m)
            if problem:
                return f"line {line.line_number}: {problem}"
    return None


def _payee_problem(bp: BillingProvider | None, cache: PayeeChecks | None) -> str | None:
    if cache is not None:
        hit = cache.get(id(bp))
        if hit is not None and hit[0] is bp:
            return hit[1]
    problem = None
    if bp is None or not (bp.npi or getattr(bp, "tax_id", None)):
        problem = "N104: billing provider has neither NPI nor tax id; the 835 payee needs one"
    else:
        addr = getattr(bp, "address", None)
        values = (bp.name, bp.npi or bp.tax_id, getattr(addr, "line1", None),
                  getattr(addr, "line2", None), getattr(addr, "city", None),
                  getattr(addr, "state", None), getattr(addr, "postal_code", None),
                  getattr(bp, "tax_id", None))
        for (element, what, low, high), value in zip(_PAYEE_FIELDS, values):
            problem = _field_problem(element, what, low, high, value)
            if problem:
                break
    if cache is not None:
        if len(cache) > 10_000:
            cache.clear()
        cache[id(bp)] = (bp, problem)
    return problem


def choose_delimiters(preferred: Delimiters, used: set[str]) -> Delimiters:
    """Per role, the preferred delimiter unless a value uses it, else the first candidate
    no value uses and no other role took; X12Error when none is left."""
    chosen: dict[str, str] = {}
    wanted = preferred._asdict()
    for role in ("element", "segment", "component", "repetition"):
        for c in (wanted.get(role) or "") + _CANDIDATES[role]:
            if c not in used and c not in chosen.values():
                chosen[role] = c
                break
        else:
            raise X12Error(f"no {role} delimiter left: the claims' values use every "
                           f"candidate ({_CANDIDATES[role]!r})")
    return Delimiters(chosen["element"], chosen["repetition"], chosen["component"],
                      chosen["segment"])


def _patient_name(claim: Claim) -> tuple[str, str, str]:
    person = getattr(claim, "patient", None) or claim.subscriber
    return (
        getattr(person, "last_name", None) or "",
        getattr(person, "first_name", None) or "",
        getattr(person, "middle_name", None) or "",
    )
