# A generated yes/no check per segment node: "would elements.py find nothing here?"
#
# Strategy: almost every segment of a real file is valid, so the question asked of
# each one is not "what is wrong" but "is anything wrong". For each segment node
# of the map this module writes a small Python function, straight-line code with
# the node's constants folded in (element count, lengths, code sets, usage, the
# syntax rules), and compiles it once per process and delimiter pair: a few
# comparisons and set lookups per element instead of a walk over descriptions.
#
# The contract is one-sided: True means the exact check (elements.py) would report
# no error; False means "ask the exact check". Anything unusual (a repetition, a
# trailing space, a code the data element's length or character set would refuse,
# a DTP date format other than D8/RD8) answers False, so the fast check stays
# simple and can never hide an error. tests/test_tr3_engine_fastcheck.py holds it
# to that contract on every corpus segment and on mutations of them.
from __future__ import annotations

import re
from typing import Any

from .model import Comp, Ele, Seg
from .values import BAD_CHAR, DECIMAL, NUMBER, valid_date, valid_time, valid_type

__all__ = ["fast_check"]

_DATE_TYPES = ("DT", "D8", "D6")
_cache: dict[tuple, object] = {}


def fast_check(node: Seg, sep: str, rep: str | None, icvn: str):
    """The compiled check of `node` for a file's component and repetition separators."""
    key = (id(node), sep, rep, icvn)
    fn = _cache.get(key)
    if fn is None:
        fn = _cache[key] = _Writer(node, sep, rep, icvn).build()
    return fn


# The characters of the X12 extended character set (5010 adds ^ and `), as pyx12
# allows them in AN and ID values (values.BAD_CHAR is the same set, negated).
_ALLOWED = {"00501": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"&'()*+,-./:;?= "
                     "abcdefghijklmnopqrstuvwxyz%~@[]_{}\\|<>^`#$"}
_ALLOWED["00401"] = _ALLOWED["00501"].replace("^", "").replace("`", "")


def _bad_chars(sep: str, rep: str | None, icvn: str):
    """A search for any character an AN/ID value may not hold as written: outside
    the character set (control characters included), or a separator of this file.
    One negated class: about twice as fast as the set and the separators apart."""
    allowed = _ALLOWED["00501" if icvn == "00501" else "00401"]
    allowed = allowed.replace(sep, "").replace(rep or sep, "")
    return re.compile("[^" + re.escape(allowed) + "]", re.S | re.A).search


def _dtp_ok(value: str, kind: str) -> bool:
    if kind == "D8":
        return valid_date("D8", value)
    if kind == "RD8":
        return value.count("-") == 1 and valid_type(value, "RD8")
    return False


def _any_type(value: str, kinds: tuple) -> bool:
    for k in kinds:
        try:
            if k is not None and valid_type(value, k):
                return True
        except ValueError:
            pass
    return False


class _Writer:
    def __init__(self, node: Seg, sep: str, rep: str | None, icvn: str):
        self.node, self.sep, self.rep, self.icvn = node, sep, rep, icvn
        self.bad = _bad_chars(sep, rep, icvn)
        self.lines: list[str] = []
        self.consts: dict[str, object] = {"bad": self.bad, "NUM": NUMBER.fullmatch,
                                          "DEC": DECIMAL.fullmatch, "vdate": valid_date,
                                          "vtime": valid_time, "dtp_ok": _dtp_ok,
                                          "any_type": _any_type}

    def const(self, value) -> str:
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    def build(self):
        node = self.node
        count = len(node.elements)
        required = [i for i, c in enumerate(node.elements, start=1) if c.usage == "R"]
        last = max(required) if required else 0   # s[1..last] must be there
        tail = self.syntax_function()
        self.emit(f"n = len(s)")
        self.emit(f"if n > {count + 1} or n <= {last}: return False")
        type_list: list = []
        for i, child in enumerate(node.elements, start=1):
            if i > last:    # s[i] may be missing: from here on, missing means done
                self.emit(f"if n == {i}: return {tail}")
            self.emit(f"v = s[{i}]")
            if isinstance(child, Comp):
                self.composite(child)
                continue
            extra: str | tuple[str, ...] | None = None
            if child.data_ele == "1250":
                type_list.extend(child.codes)
            if node.id == "DTP" and i == 3:
                extra = "dtp"
            elif child.data_ele == "1251" and type_list:
                extra = tuple(type_list)
            self.element(child, "v", 1, extra)
        self.emit(f"return {tail}")
        src = "def check(s):\n" + "\n".join(self.lines) + "\n"
        if self.syntax_lines:
            src = "def syn(s, n):\n" + "\n".join(self.syntax_lines) + "\n    return True\n\n" + src
        scope = dict(self.consts)
        exec(compile(src, f"<tr3 fast check {node.path}>", "exec"), scope)
        fn: Any = scope["check"]
        fn.source = src
        return fn

    # -- one element ---------------------------------------------------------
    def element(self, ele: Ele, v: str, depth: int, extra=None) -> None:
        """Checks of one element whose value is in variable v ('' when absent)."""
        required = ele.usage == "R" and (ele.seq != 1 or not ele.in_composite
                                         or ele.composite_usage == "R")
        if ele.usage == "N":
            self.emit(f"if {v}: return False", depth)
            return
        codes = self.fast_codes(ele)
        fail = f"{v} not in {self.const(codes)}" if codes is not None else self.value_type(ele, v)
        if required:
            self.emit(f"if not {v} or {fail}: return False", depth)
        else:
            self.emit(f"if {v} and ({fail}): return False", depth)
        more = []
        if extra == "dtp":
            more.append("t = s[2] if n > 2 else ''")
            more.append(f"if t in ('RD8', 'D8', 'D6', 'DT', 'TM') and not dtp_ok({v}, t): "
                        "return False")
        elif extra:
            more.append(f"if not any_type({v}, {self.const(extra)}): return False")
        if ele.regex is not None:
            more.append(f"if not {self.const(ele.regex.search)}({v}): return False")
        if more:
            self.emit(f"if {v}:", depth)
            for line in more:
                self.emit(line, depth + 1)

    def value_type(self, ele: Ele, v: str) -> str:
        """The condition under which a present value fails its type or length."""
        kind, lo, hi = ele.type, ele.min, ele.max
        if kind in ("AN", "ID"):
            return f"not {lo} <= len({v}) <= {hi} or {v}[-1] == ' ' or bad({v})"
        if kind and kind[0] == "N":
            return f"not NUM({v}) or not {lo} <= len({v}) - ({v}[0] == '-') <= {hi}"
        if kind == "R":
            return (f"not DEC({v}) or not {lo} <= len({v}) - ({v}[0] == '-') - "
                    f"('.' in {v}) <= {hi}")
        if kind in _DATE_TYPES:
            return f"not {lo} <= len({v}) <= {hi} or not vdate({kind!r}, {v})"
        if kind == "TM":
            return f"not {lo} <= len({v}) <= {hi} or not vtime({v})"
        return "True"     # a type this check does not know: ask the exact check

    def fast_codes(self, ele: Ele):
        """The codes that pass every check of the element, or None without a code list."""
        if not ele.codes and ele.external is None:
            return None
        codes = set(ele.codeset)
        if ele.external is not None:
            codes |= ele.external_codes or frozenset()
        ok = set()
        for c in codes:
            if not c or c[-1] == " " or self.bad(c):
                continue
            measured = len(c.replace("-", "").replace(".", "")) if ele.type and (
                ele.type == "R" or ele.type[0] == "N") else len(c)
            if not ele.min <= measured <= ele.max:
                continue
            try:
                if not valid_type(c, ele.type, self.icvn):
                    continue
            except ValueError:
                continue
            if ele.regex is not None and not ele.regex.search(c):
                continue
            ok.add(c)
        return frozenset(ok)

    # -- a composite ----------------------------------------------------------
    def composite(self, comp: Comp) -> None:
        sep = self.const(self.sep)
        if comp.usage == "N":
            self.emit(f"if v.strip({sep}): return False")
            return
        self.emit(f"if v.strip({sep}):")
        if self.rep:
            self.emit(f"if {self.const(self.rep)} in v: return False", 2)
        subs = comp.elements
        needed = [k for k, e in enumerate(subs, start=1)
                  if e.usage == "R" and (e.seq != 1 or comp.usage == "R")]
        self.emit(f"c = v.split({sep})", 2)
        self.emit(f"m = len(c)", 2)
        self.emit(f"if m > {len(subs)} or m < {max(needed) if needed else 1}: return False", 2)
        for k, sub in enumerate(subs):
            if k < (max(needed) if needed else 1):
                self.emit(f"w = c[{k}]", 2)
            else:
                self.emit(f"w = c[{k}] if m > {k} else ''", 2)
            self.element(sub, "w", 2)
        if comp.usage == "R":
            self.emit("else:")
            self.emit("return False", 2)

    # -- syntax rules -----------------------------------------------------------
    def syntax_function(self) -> str:
        """The syntax rules as a function syn(s, n); the expression to return at the end."""
        self.syntax_lines: list[str] = []
        sep = self.const(self.sep)
        for rule in self.node.syntax:
            kind, positions = rule[0], rule[1:]
            if len(positions) < 2 or kind not in "PREC L":
                self.syntax_lines.append("    return False")
                continue
            here = [f"(n > {p} and s[{p}].strip({sep}) != '')" for p in positions]
            if kind == "P":
                self.syntax_lines.append(f"    k = {' + '.join(here)}")
                self.syntax_lines.append(f"    if k and k != {len(positions)}: return False")
            elif kind == "R":
                self.syntax_lines.append(f"    if not ({' or '.join(here)}): return False")
            elif kind == "E":
                self.syntax_lines.append(f"    if ({' + '.join(here)}) > 1: return False")
            elif kind == "C":
                self.syntax_lines.append(f"    if {here[0]} and not ({' and '.join(here[1:])}): "
                                         "return False")
            elif kind == "L":
                self.syntax_lines.append(f"    if {here[0]} and not ({' or '.join(here[1:])}): "
                                         "return False")
        return "syn(s, n)" if self.syntax_lines else "True"
