#!/usr/bin/env python3
# Both TR3 engines on the same files: where do edi-hit's engine and pyx12 disagree?
#
# Strategy: pyx12 is the reference. For one file, validate() runs levels 1 and 2
# twice, once with each engine (engine="pyx12" and engine="edi-hit"), and each run
# is reduced to what the issue asks to agree on: per transaction set, whether
# level 2 found an error (the verdict) and its first level-2 error (segment
# position, segment id, element, IK304/IK403 code); plus the level-2 errors outside
# any transaction set. Equal views agree. A disagreement is either explained by an
# entry of ALLOW_LIST (each with the reason, and a test that recognises it from
# the file and the two views) or it is a bug.
#
# The files compared are valid seeds and single mutations of them (mutations()):
# a segment deleted, duplicated, moved, swapped with its neighbour, renamed, given
# an extra element or cut short; an element emptied, given a wrong code, made too
# long or too short, given a bad date, number or character, a component added or
# dropped. pyx12 loads its 1 MB map XML on every run (0.3 s); `reference_speed()`
# keeps each loaded map for the process (pyx12 4's maps hold no per-run state: the
# counters live in its walker), so a 70-segment file takes milliseconds.
#
#   python tools/tr3_differential.py --per-seed 200            the larger sweep
#   python tools/tr3_differential.py --per-seed 50 --show 5    and print examples
from __future__ import annotations

import argparse
import contextlib
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edi_hit.validation import validate  # noqa: E402
from edi_hit.x12 import SegmentReader  # noqa: E402

TODAY = date(2026, 6, 1)
FIXTURE_SEEDS = sorted([*ROOT.glob("fixtures/*/*.837"), *ROOT.glob("fixtures/*/*.835")])
CORPUS = ROOT.parent / "shared" / "corpus"


# -- the reference, at test speed -----------------------------------------------------
@contextlib.contextmanager
def reference_speed():
    """pyx12 with its parsed maps kept between runs (see the strategy above)."""
    import pyx12.map_if
    original = pyx12.map_if.load_map_file
    cached = lru_cache(maxsize=None)(lambda name, param, path=None:
                                     original(name, param, path))
    pyx12.map_if.load_map_file = lambda name, param, path=None: cached(name, _Frozen(param), path)
    try:
        yield
    finally:
        pyx12.map_if.load_map_file = original


class _Frozen:
    """pyx12 params as a cache key: the maps depend only on the values read here."""

    def __init__(self, param):
        self.param = param
        self.key = tuple(param.get(k) for k in ("charset", "exclude_external_codes"))

    def get(self, name):
        return self.param.get(name)

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, _Frozen) and self.key == other.key


# -- what must agree --------------------------------------------------------------------
@dataclass
class View:
    verdicts: tuple           # per transaction set: (control number, has a level-2 error)
    firsts: tuple             # per transaction set: its first level-2 error, or None
    outside: tuple            # level-2 errors in no transaction set
    skipped: str | None       # the tr3-incomplete error, when level 2 did not (fully) run
    errors: list = field(default_factory=list)   # every level-2 error, for reports

    def same_as(self, other: "View") -> bool:
        return (self.verdicts, self.firsts, self.outside) == \
            (other.verdicts, other.firsts, other.outside)


def _key(i):
    if i.code == "tr3-incomplete":  # about the check, not the file: where it is said differs
        return (None, None, None, None, i.code)
    return (i.segment_index, i.segment_id, i.element, i.segment_error or i.element_error, i.code)


def view(data: bytes, engine: str) -> View:
    report = validate(data, name="x", levels=(1, 2), today=TODAY, engine=engine)
    level2 = [i for i in report.issues if i.level == 2 and i.severity == "error"]
    verdicts, firsts = [], []
    inside = set()
    for t in report.transactions:
        mine = [i for i in t.issues if i.level == 2 and i.severity == "error"]
        inside.update(id(i) for i in mine)
        verdicts.append((t.control_number, bool(mine)))
        firsts.append(_key(mine[0]) if mine else None)
    outside = tuple(_key(i) for i in level2 if id(i) not in inside)
    skipped = next((i.message for i in report.issues if i.code == "tr3-incomplete"), None)
    return View(tuple(verdicts), tuple(firsts), outside, skipped, [_key(i) for i in level2])


@dataclass
class Case:
    name: str
    data: bytes
    mutation: str
    pyx12: View
    edi_hit: View

    def describe(self) -> str:
        lines = [f"{self.name} [{self.mutation}]",
                 f"  pyx12:   verdicts {self.pyx12.verdicts} first {self.pyx12.firsts} "
                 f"outside {self.pyx12.outside} skipped {self.pyx12.skipped!r}",
                 f"  edi-hit: verdicts {self.edi_hit.verdicts} first {self.edi_hit.firsts} "
                 f"outside {self.edi_hit.outside} skipped {self.edi_hit.skipped!r}"]
        return "\n".join(lines)


def compare(name: str, data: bytes, mutation: str = "as is") -> Case | None:
    """None when both engines agree on `data`, else the Case."""
    a, b = view(data, "pyx12"), view(data, "edi-hit")
    return None if a.same_as(b) else Case(name, data, mutation, a, b)


# -- the allow-list -----------------------------------------------------------------------
@dataclass(frozen=True)
class Allowed:
    id: str
    reason: str
    test: object      # Case -> bool

    def __call__(self, case: Case) -> bool:
        return bool(self.test(case))


def _pyx12_skipped(*words):
    return lambda c: c.pyx12.skipped is not None and all(w in c.pyx12.skipped for w in words)


def _trailer_underflow(case) -> bool:
    """Whether pyx12's X12Reader pops its envelope stack past empty on this file: an SE,
    GE or IEA closing what is not open (x12file.py _parse_segment indexes loops[-1])."""
    stack: list[str] = []
    for seg in SegmentReader(case.data):
        sid = seg[0]
        if sid in ("ISA", "GS", "ST"):
            stack.append(sid)
        elif sid in ("SE", "GE", "IEA"):
            opener = {"SE": "ST", "GE": "GS", "IEA": "ISA"}[sid]
            if sid != "SE" and stack and stack[-1] != opener:
                stack.pop()
            if not stack:
                return True
            stack.pop()
    return False


ALLOW_LIST = (
    Allowed("pyx12-no-map",
            "pyx12 abandons the whole file at the first functional group whose GS08 it has "
            "no map for (005010X222A2, 005010X221, ...): its only level-2 finding is that TR3 "
            "validation is incomplete. edi-hit says so for that group only and checks the "
            "others.",
            _pyx12_skipped("no implementation guide map")),
    Allowed("pyx12-envelope-underflow",
            "pyx12 4.0.0 raises IndexError when an SE, GE or IEA closes an envelope that is "
            "not open (a second SE, a segment renamed SE): its reader pops its envelope "
            "stack past empty (x12file.py), so the pyx12 path skips level 2. edi-hit goes "
            "on (level 1 reports the envelope error).",
            lambda c: c.pyx12.skipped is not None and "IndexError" in c.pyx12.skipped
            and _trailer_underflow(c)),
    Allowed("pyx12-too-many-components",
            "pyx12 4.0.0 raises IndexError on a composite with more components than its map "
            "defines (map_if/_segment.py indexes children[subele_count + 1]), so the pyx12 "
            "path skips level 2. edi-hit reports IK403 13 (too many components).",
            lambda c: c.pyx12.skipped is not None and "IndexError" in c.pyx12.skipped
            and any(e[3] == "13" for e in c.edi_hit.errors)),
    Allowed("pyx12-rd8-two-dashes",
            "pyx12 raises ValueError on an RD8 date range with more than one '-' "
            "(validation.IsValidDataType unpacks split('-') into two), so the pyx12 path "
            "skips level 2. edi-hit reports the date as invalid (IK403 8).",
            lambda c: c.pyx12.skipped is not None and "ValueError" in c.pyx12.skipped),
    Allowed("pyx12-st-without-elements",
            "pyx12 4.0.0 raises AttributeError ('NoneType' object has no attribute "
            "'get_cur_line') on an ST segment with no elements: its error handler has no "
            "current transaction set to attach the error to, so the pyx12 path fails closed "
            "(tr3-incomplete). edi-hit's level 1 reports the missing ST01/ST02; its TR3 "
            "engine has nothing of its own to add.",
            lambda c: c.pyx12.skipped is not None and "get_cur_line" in c.pyx12.skipped),
    Allowed("pyx12-long-segment",
            "pyx12 stops reading, silently, at a segment longer than its read buffer (about "
            "8 KB past the data it already holds: rawx12file.py): the rest of the file is "
            "never checked. edi-hit reads every segment.",
            lambda c: any(len(s) > 8000 for s in c.data.split(b"~"))),
    Allowed("repetition-separator",
            "pyx12 does not split repetitions (it never reads ISA11): in an element that may "
            "repeat it checks 'A^B' as one value, and in one that may not it accepts the "
            "separator as a data character. edi-hit splits repetitions where the map allows "
            "them and reports IK403 12 (too many repetitions) elsewhere.",
            lambda c: any(e[3] == "12" for e in c.edi_hit.errors)),
    Allowed("not-5010",
            "an interchange whose first ISA12 is not 00501 (a 4010 file): pyx12 has 4010 "
            "maps and checks it; edi-hit's engine compiles the 005010 guides only (837P "
            "X222A1, 835 X221A1, 999 X231A1) and says level 2 is incomplete (an error). Level 1 "
            "rejects such an interchange anyway (ISA12 must be 00501).",
            lambda c: c.edi_hit.skipped is not None and "(ISA12)" in c.edi_hit.skipped),
    Allowed("pyx12-unreadable",
            "the pyx12 path cannot be given the file (its interchanges declare different "
            "delimiters, or an ISA that is not 16 fixed-width elements), or the read stops "
            "at an X12 error: pyx12 checks nothing and says why in a tr3-incomplete error. "
            "edi-hit checks what it can read.",
            lambda c: c.pyx12.skipped is not None and (
                "cannot read this file" in c.pyx12.skipped
                or c.pyx12.skipped.startswith("TR3 validation incomplete: x:"))),
)


def classify(case: Case) -> Allowed | None:
    for entry in ALLOW_LIST:
        if entry(case):
            return entry
    return None


# -- mutations --------------------------------------------------------------------------
def _segments(data: bytes):
    reader = SegmentReader(data)
    segs = [list(s) for s in reader]
    return segs, reader.delimiters


def _write(segs, d) -> bytes:
    return "".join(d.element.join(s) + d.segment + "\n" for s in segs).encode("latin-1")


_VALUE_OPS = ("empty", "wrong-code", "too-long", "too-short", "bad-date", "bad-number",
              "bad-char", "add-component", "drop-component", "trailing-space")
_SEGMENT_OPS = ("delete", "duplicate", "move", "swap", "rename", "extra-element",
                "cut-short", "only-id")


def _mutate_value(value: str, op: str, comp: str, rng: random.Random) -> str | None:
    if op == "empty":
        return "" if value else None
    if op == "wrong-code":
        return rng.choice(["ZZ", "Q9", "XX", "999", "A"]) if value != "ZZ" else "Q9"
    if op == "too-long":
        return value + ("9" * 20 if value.replace(".", "").isdigit() else "X" * 81)
    if op == "too-short":
        return value[:1] if len(value) > 1 else None
    if op == "bad-date":
        return "20261341" if len(value) == 8 and value.isdigit() else None
    if op == "bad-number":
        return value + "A" if value and value.replace(".", "").replace("-", "").isdigit() else None
    if op == "bad-char":
        return (value or "X") + "\u00c4"
    if op == "add-component":
        return value + comp + "X" if value else None
    if op == "drop-component":
        return value.rsplit(comp, 1)[0] if comp in value else None
    if op == "trailing-space":
        return value + " " if value else None
    raise ValueError(op)


def mutations(data: bytes, count: int, seed: str):
    """`count` single mutations of an X12 file: (description, bytes), deterministic."""
    segs, d = _segments(data)
    rng = random.Random(seed)
    body = [i for i, s in enumerate(segs) if s[0] not in ("ISA", "IEA", "GS", "GE")]
    ids = sorted({s[0] for s in segs if s[0] not in ("ISA", "IEA", "GS", "GE")})
    made = 0
    tries = 0
    while made < count and tries < count * 20:
        tries += 1
        i = rng.choice(body)
        seg = segs[i]
        out = [list(s) for s in segs]
        if rng.random() < 0.5 and len(seg) > 1:
            op = rng.choice(_VALUE_OPS)
            k = rng.randrange(1, len(seg))
            new = _mutate_value(seg[k], op, d.component, rng)
            if new is None or new == seg[k]:
                continue
            out[i][k] = new
            what = f"{op} {seg[0]}{k:02d} at segment {i + 1}"
        else:
            op = rng.choice(_SEGMENT_OPS)
            if op == "delete":
                del out[i]
            elif op == "duplicate":
                out.insert(i + 1, list(seg))
            elif op == "move":
                j = rng.choice(body)
                if j == i:
                    continue
                moved = out.pop(i)
                out.insert(j, moved)
            elif op == "swap":
                if i + 1 >= len(out) or out[i + 1][0] in ("GE", "IEA"):
                    continue
                out[i], out[i + 1] = out[i + 1], out[i]
            elif op == "rename":
                other = rng.choice(ids)
                if other == seg[0]:
                    continue
                out[i][0] = other
            elif op == "extra-element":
                out[i].append("X")
            elif op == "cut-short":
                if len(seg) < 3:
                    continue
                out[i] = seg[:rng.randrange(2, len(seg))]
            elif op == "only-id":
                out[i] = [seg[0]]
            what = f"{op} {seg[0]} at segment {i + 1}"
        made += 1
        yield what, _write(out, d)


# -- seeds --------------------------------------------------------------------------------
def seeds(corpus: bool = True) -> list[Path]:
    """Valid files to mutate: the fixtures, and the corpus files pyx12 accepts."""
    found = list(FIXTURE_SEEDS)
    if corpus and CORPUS.is_dir():
        for kind in ("837p", "835"):
            for p in sorted((CORPUS / kind).iterdir()):
                found.append(p)
    return found


def sweep(paths, per_seed: int, show: int = 0, out=sys.stdout) -> tuple[int, Counter, list]:
    """Compare every seed as is and `per_seed` mutations of it.
    Returns (files compared, allowed counts by entry id, unexplained Cases)."""
    total = 0
    allowed: Counter = Counter()
    unexplained: list[Case] = []
    with reference_speed():
        for path in paths:
            data = path.read_bytes()
            cases = [("as is", data)] + list(mutations(data, per_seed, path.name))
            for what, blob in cases:
                total += 1
                case = compare(path.name, blob, what)
                if case is None:
                    continue
                entry = classify(case)
                if entry is not None:
                    allowed[entry.id] += 1
                else:
                    unexplained.append(case)
                    if len(unexplained) <= show:
                        print(case.describe(), file=out)
    return total, allowed, unexplained


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-seed", type=int, default=200, help="mutations per seed file")
    ap.add_argument("--show", type=int, default=10, help="unexplained cases to print")
    ap.add_argument("--no-corpus", action="store_true", help="fixtures only")
    ap.add_argument("files", nargs="*", type=Path, help="seed files (default: all)")
    args = ap.parse_args(argv)
    paths = args.files or seeds(corpus=not args.no_corpus)
    total, allowed, unexplained = sweep(paths, args.per_seed, args.show)
    print(f"{total} files compared ({len(paths)} seeds, {args.per_seed} mutations each): "
          f"{total - sum(allowed.values()) - len(unexplained)} agree, "
          f"{sum(allowed.values())} differ as the allow-list explains, "
          f"{len(unexplained)} unexplained")
    for key, n in allowed.most_common():
        print(f"  allowed {key}: {n}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
