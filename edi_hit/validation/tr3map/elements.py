# One segment against its map node: every element error, in pyx12's order.
#
# Strategy: this is the exact (and slow) path, run only for segments the generated
# fast check (fastcheck.py) did not pass. It follows pyx12's segment_if,
# composite_if and element_if validators step by step, so the errors, their codes
# and their order are the reference's: too many elements; then each element or
# composite in order (composite present/not used, each component; element:
# composite where a simple element belongs, missing, not used, length, control
# character, trailing spaces, code value, data type, the DTP and 1250/1251 date
# format rules, pattern); then missing trailing elements; then the syntax rules
# (P paired, R required, E exclusion, C conditional, L list conditional).
# Errors pyx12 reports on the segment rather than an element (too many elements,
# composite missing or not used, syntax rules) carry IK304 code 8 and no element.
#
# Two places where pyx12 does not read X12 as written, and edi-hit does (listed in
# the differential test's allow-list): a composite with more components than its
# map defines (pyx12 raises IndexError) is IK403 13; the repetition separator
# splits an element the map lets repeat (DMG05), and in an element that may not
# repeat it is IK403 12 (pyx12 reads it as a data character).
#
# Messages name the element and what was expected, never the value (the value
# can be PHI; it is kept apart as the 999's IK404 copy).
from __future__ import annotations

from .model import Comp, Ele, Seg
from .values import control_character, valid_type

__all__ = ["segment_errors", "SegErr"]

_DATE_KINDS = ("RD8", "D8", "D6", "DT", "TM")


class SegErr:
    """One error: IK304 8 on the segment (target None) or an IK403 on an element."""

    __slots__ = ("code", "message", "value", "target", "repetition")

    def __init__(self, code, message, value=None, target=None, repetition=None):
        self.code, self.message, self.value = code, message, value
        self.target, self.repetition = target, repetition

    def __repr__(self):
        where = getattr(self.target, "id", None)
        return f"SegErr({self.code!r}, {where!r}, {self.message!r})"


def _label(node) -> str:
    return f'"{node.name}" ({node.id})' if node.name else node.id


def segment_errors(node: Seg, seg: list[str], sep: str, rep: str | None, icvn: str) -> list[SegErr]:
    errors: list[SegErr] = []
    children = node.elements
    count = len(children)
    n = len(seg) - 1
    if n > count:
        errors.append(SegErr("8", f'Too many elements in segment "{node.name}" ({node.id}): '
                                  f"has {n}, should have {count}",
                             seg[count + 1].rstrip(sep)))
    type_list: list = []
    dtype: list = []
    for i in range(min(n, count)):
        child = children[i]
        raw = seg[i + 1]
        if isinstance(child, Comp):
            _composite_repeats(child, raw, sep, rep, icvn, errors)
            continue
        if i == 1 and node.id == "DTP" and raw.rstrip(sep) in _DATE_KINDS:
            dtype = [raw.rstrip(sep)]
        if child.data_ele == "1250":
            type_list.extend(child.codes)
        if i == 2 and node.id == "DTP":
            extra = dtype
        elif child.data_ele == "1251" and type_list:
            extra = type_list
        else:
            extra = None
        _element_repeats(child, raw, sep, rep, icvn, extra, errors)
    for i in range(min(n, count), count):
        child = children[i]
        if isinstance(child, Comp):
            _composite(child, None, icvn, errors)
        else:
            _element(child, None, icvn, None, errors)
    for rule in node.syntax:
        message = _syntax(rule, node.id, seg, sep)
        if message:
            errors.append(SegErr("8", message))
    return errors


def _repetitions(raw: str, rep: str | None, allowed: int):
    """(values, too_many): the repetitions of raw (one unless the map lets it repeat)."""
    if rep is None or rep not in raw:
        return (raw,), False
    if allowed <= 1:
        return (raw,), True
    parts = raw.split(rep)
    return parts, len(parts) > allowed


def _composite_repeats(comp: Comp, raw: str, sep, rep, icvn, errors) -> None:
    if comp.usage == "N":   # present at all is the one error, repeated or not
        _composite(comp, raw.split(sep), icvn, errors)
        return
    parts, too_many = _repetitions(raw, rep, comp.repeat)
    if too_many:
        errors.append(SegErr("12", f"Composite {_label(comp)}: more repetitions than the "
                                   f"{comp.repeat} allowed", None, comp))
        if len(parts) == 1:
            return
    for k, part in enumerate(parts, start=1):
        components = part.split(sep)
        if len(components) > len(comp.elements) and comp.usage != "N":
            errors.append(SegErr("13", f"Composite {_label(comp)}: {len(components)} components, the "
                                       f"map has {len(comp.elements)}", part.rstrip(sep), comp,
                                 k if len(parts) > 1 else None))
            continue
        _composite(comp, components, icvn, errors, k if len(parts) > 1 else None)


def _composite(comp: Comp, components, icvn, errors, repetition=None) -> None:
    empty = components is None or all(c == "" for c in components)
    if empty and comp.usage in ("N", "S"):
        return
    if comp.usage == "R" and empty:
        errors.append(SegErr("8", f"Mandatory composite {_label(comp)} is missing"))
        return
    if comp.usage == "N":
        errors.append(SegErr("8", f"Composite {_label(comp)} is marked as not used"))
        return
    subs = comp.elements
    for i in range(min(len(components), len(subs))):
        _element(subs[i], components[i], icvn, None, errors, repetition)
    for i in range(min(len(components), len(subs)), len(subs)):
        _element(subs[i], None, icvn, None, errors, repetition)


def _element_repeats(ele: Ele, raw: str, sep, rep, icvn, extra, errors) -> None:
    parts, too_many = _repetitions(raw, rep, 1)
    if too_many:
        errors.append(SegErr("12", f"Data element {_label(ele)} may not repeat", None, ele))
        return
    if sep in raw:
        errors.append(SegErr("6", f"Data element {_label(ele)} is a simple element, not a composite",
                             raw.rstrip(sep), ele))
        return
    _element(ele, raw, icvn, extra, errors)


def _element(ele: Ele, value, icvn, extra, errors, repetition=None) -> None:
    def err(code, message, bad=None):
        errors.append(SegErr(code, f"Data element {_label(ele)} {message}", bad, ele, repetition))

    if not value:
        if ele.usage == "R" and (ele.seq != 1 or not ele.in_composite
                                 or ele.composite_usage == "R"):
            errors.append(SegErr("1", f"Mandatory data element {_label(ele)} is missing",
                                 None, ele, repetition))
        return
    if ele.usage == "N":
        err("10", "is marked as not used")
        return
    kind = ele.type
    measured = len(value.replace("-", "").replace(".", "")) if kind and (
        kind == "R" or kind[0] == "N") else len(value)
    if measured < ele.min:
        err("4", f"is too short: {measured} characters, at least {ele.min}", value)
    if measured > ele.max:
        err("5", f"is too long: {measured} characters, at most {ele.max}", value)
    control = control_character(value)
    if control:
        err("6", f"contains a control character (<{control}>)", f"<{control}>")
        return
    if kind in ("AN", "ID") and value[-1] == " " and len(value.rstrip()) >= ele.min:
        err("6", "has trailing spaces", value)
    if (ele.codes or ele.external is not None) and value not in ele.codeset and not (
            ele.external is not None and value in (ele.external_codes or ())):
        err("7", "is not a valid code here", value)
    if not valid_type(value, kind, icvn):
        if kind in ("RD8", "DT", "D8", "D6"):
            err("8", "is not a valid date", value)
        elif kind == "TM":
            err("9", "is not a valid time", value)
        else:
            err("6", f"has a character not allowed in type {kind}", value)
    if extra:
        if not any(t is not None and _valid_extra(value, t) for t in extra):
            if "TM" in extra:
                err("9", "is not a valid time", value)
            elif any(t in extra for t in ("RD8", "DT", "D8", "D6")):
                err("8", f"is not a valid date in the format {'/'.join(extra)}", value)
    if ele.regex is not None and not ele.regex.search(value):
        err("7", "does not have the required pattern", value)


def _valid_extra(value: str, kind: str) -> bool:
    try:
        return valid_type(value, kind)
    except ValueError:      # an RD8 with two '-': pyx12 raises here; it is no date
        return False


def _present(seg, pos, sep) -> bool:
    return len(seg) - 1 >= pos and seg[pos].rstrip(sep) != ""


def _syntax(rule: tuple, sid: str, seg, sep) -> str | None:
    """The message of a broken syntax rule (pyx12 syntax.is_syntax_valid), else None."""
    kind, positions = rule[0], rule[1:]
    names = [f"{sid}{p:02d}" for p in positions]
    code = kind + "".join(f"{p:02d}" for p in positions)
    if len(positions) < 2:
        return f"Syntax rule {code} names fewer than two elements"
    here = [_present(seg, p, sep) for p in positions]
    count = sum(here)
    if kind == "P" and count not in (0, len(positions)):
        return f"Syntax error ({code}): if any of {', '.join(names)} is present, all are required"
    if kind == "R" and count == 0:
        return f"Syntax error ({code}): at least one of {', '.join(names)} is required"
    if kind == "E" and count > 1:
        return f"Syntax error ({code}): at most one of {', '.join(names)} may be present"
    if kind == "C" and here[0] and sum(here[1:]) != len(positions) - 1:
        return f"Syntax error ({code}): if {names[0]} is present, {', '.join(names[1:])} required"
    if kind == "L" and here[0] and sum(here[1:]) == 0:
        return (f"Syntax error ({code}): if {names[0]} is present, at least one of "
                f"{', '.join(names[1:])} is required")
    return None
