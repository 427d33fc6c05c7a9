# The 837P 005010X222A1 loop structure, declared once as data.
#
# Strategy: each loop names its parents, the segment (and its qualifier: NM101, or HL03
# for the hierarchical levels) that opens it, the TR3 order of its segments, which of
# them the claim model names, whether it repeats, how many of its first segments are
# required in that order (LX then SV1), and which of its child loops each instance must
# have. The 837P reader compiles this into its dispatch tables (x837p/machine.py), the
# writer places segments by the same order, and the validator's loop tracker
# (validation/loops.py) names loops from it; tests/test_837p_loops.py holds it against
# pyx12's map of the TR3. Loops marked raw are kept segment by segment (RawSegment) on
# the claim (2320/2330x) or the line (2430/2440).
#
# `required` names the child loops without which the claim model could not stand for
# the file (the billing provider's NM1*85, the subscriber's NM1*IL, a claim's lines);
# the TR3's other requirements (the payer's NM1*PR, N3/N4 of a home address ...) are
# the validator's to check (validation/, pyx12): a claim without them reads as it is.
#
# `reachable(loop)` says which loops a segment may open while `loop` is the innermost
# open loop, as X12 orders them: a child, the loop itself again when it repeats, a
# later sibling, or the same for an ancestor; never past a required loop that has not
# been seen (from 2000B, NM1*PR cannot come before NM1*IL). `missing(loop)` says what
# is still required when the transaction set moves on (an HL, a CLM, an SE) from it.
from __future__ import annotations

__all__ = ["LOOPS", "LoopDecl", "BY_ID", "SEGMENT_ORDER", "HL_LOOPS", "RAW_CLAIM_LOOPS",
           "RAW_LINE_LOOPS", "TRIGGER_ELEMENT", "children", "rank", "reachable", "missing",
           "ancestors", "CLAIM_LOOPS"]

from typing import NamedTuple


class LoopDecl(NamedTuple):
    loop: str
    parents: tuple[str, ...]
    trigger: str | None                 # segment id that opens the loop (None: the header)
    qualifiers: tuple[str, ...] | None  # NM101 (or HL03) values of the trigger
    segments: tuple[str, ...]           # TR3 order of the segments in the loop
    modelled: tuple[str, ...]           # segments the model names (others kept raw)
    repeats: bool = False
    raw: bool = False                   # the whole loop is kept raw
    leading: int = 1                    # the first `leading` segments are required, in order
    required: tuple[str, ...] = ()      # child loops every instance has (TR3 usage R)


LOOPS: tuple[LoopDecl, ...] = (
    LoopDecl("HEADER", (), None, None, ("BHT",), ("BHT",), required=("1000A", "1000B")),
    LoopDecl("1000A", ("HEADER",), "NM1", ("41",), ("NM1", "PER"), ("NM1", "PER")),
    LoopDecl("1000B", ("HEADER",), "NM1", ("40",), ("NM1",), ("NM1",)),
    LoopDecl("2000A", (), "HL", ("20",), ("HL", "PRV", "CUR"), ("HL", "PRV"), True,
             required=("2010AA",)),
    LoopDecl("2010AA", ("2000A",), "NM1", ("85",), ("NM1", "N3", "N4", "REF", "PER"),
             ("NM1", "N3", "N4", "REF", "PER")),
    LoopDecl("2010AB", ("2000A",), "NM1", ("87",), ("NM1", "N3", "N4"), ("NM1", "N3", "N4")),
    LoopDecl("2010AC", ("2000A",), "NM1", ("PE",), ("NM1", "N3", "N4", "REF"),
             ("NM1", "N3", "N4", "REF")),
    LoopDecl("2000B", ("2000A",), "HL", ("22",), ("HL", "SBR", "PAT"), ("HL", "SBR"), True,
             leading=2, required=("2010BA",)),
    LoopDecl("2010BA", ("2000B",), "NM1", ("IL",), ("NM1", "N3", "N4", "DMG", "REF", "PER"),
             ("NM1", "N3", "N4", "DMG", "REF", "PER")),
    LoopDecl("2010BB", ("2000B",), "NM1", ("PR",), ("NM1", "N3", "N4", "REF"),
             ("NM1", "N3", "N4", "REF")),
    LoopDecl("2000C", ("2000B",), "HL", ("23",), ("HL", "PAT"), ("HL", "PAT"), True,
             leading=2, required=("2010CA",)),
    LoopDecl("2010CA", ("2000C",), "NM1", ("QC",), ("NM1", "N3", "N4", "DMG", "REF", "PER"),
             ("NM1", "N3", "N4", "DMG", "REF", "PER")),
    LoopDecl("2300", ("2000B", "2000C"), "CLM", None,
             ("CLM", "DTP", "PWK", "CN1", "AMT", "REF", "K3", "NTE", "CR1", "CR2", "CRC", "HI",
              "HCP"),
             ("CLM", "DTP", "REF", "NTE", "HI"), True, required=("2400",)),
    LoopDecl("2310A", ("2300",), "NM1", ("DN", "P3"), ("NM1", "REF"), ("NM1", "REF"), True),
    LoopDecl("2310B", ("2300",), "NM1", ("82",), ("NM1", "PRV", "REF"), ("NM1", "PRV", "REF")),
    LoopDecl("2310C", ("2300",), "NM1", ("77",), ("NM1", "N3", "N4", "REF", "PER"),
             ("NM1", "N3", "N4", "REF", "PER")),
    LoopDecl("2310D", ("2300",), "NM1", ("DQ",), ("NM1", "REF"), ("NM1", "REF")),
    LoopDecl("2310E", ("2300",), "NM1", ("PW",), ("NM1", "N3", "N4"), ("NM1", "N3", "N4")),
    LoopDecl("2310F", ("2300",), "NM1", ("45",), ("NM1", "N3", "N4"), ("NM1", "N3", "N4")),
    LoopDecl("2320", ("2300",), "SBR", None, ("SBR", "CAS", "AMT", "OI", "MOA"), (), True, True),
    LoopDecl("2330A", ("2320",), "NM1", ("IL",), ("NM1", "N3", "N4", "REF"), (), False, True),
    LoopDecl("2330B", ("2320",), "NM1", ("PR",), ("NM1", "N3", "N4", "DTP", "REF"), (), False, True),
    LoopDecl("2330C", ("2320",), "NM1", ("DN", "P3"), ("NM1", "REF"), (), True, True),
    LoopDecl("2330D", ("2320",), "NM1", ("82",), ("NM1", "REF"), (), False, True),
    LoopDecl("2330E", ("2320",), "NM1", ("77",), ("NM1", "REF"), (), False, True),
    LoopDecl("2330F", ("2320",), "NM1", ("DQ",), ("NM1", "REF"), (), False, True),
    LoopDecl("2330G", ("2320",), "NM1", ("85",), ("NM1", "REF"), (), False, True),
    LoopDecl("2400", ("2300",), "LX", None,
             ("LX", "SV1", "SV5", "PWK", "CR1", "CR3", "CRC", "DTP", "QTY", "MEA", "CN1", "REF",
              "AMT", "K3", "NTE", "PS1", "HCP"),
             ("LX", "SV1", "DTP", "REF", "NTE"), True, leading=2),
    LoopDecl("2410", ("2400",), "LIN", None, ("LIN", "CTP", "REF"), ("LIN", "CTP", "REF")),
    LoopDecl("2420A", ("2400",), "NM1", ("82",), ("NM1", "PRV", "REF"), ("NM1", "PRV", "REF")),
    LoopDecl("2420B", ("2400",), "NM1", ("QB",), ("NM1", "REF"), ("NM1", "REF")),
    LoopDecl("2420C", ("2400",), "NM1", ("77",), ("NM1", "N3", "N4", "REF"), ("NM1", "N3", "N4", "REF")),
    LoopDecl("2420D", ("2400",), "NM1", ("DQ",), ("NM1", "REF"), ("NM1", "REF")),
    LoopDecl("2420E", ("2400",), "NM1", ("DK",), ("NM1", "N3", "N4", "REF", "PER"),
             ("NM1", "N3", "N4", "REF", "PER")),
    LoopDecl("2420F", ("2400",), "NM1", ("DN", "P3"), ("NM1", "REF"), ("NM1", "REF"), True),
    LoopDecl("2420G", ("2400",), "NM1", ("PW",), ("NM1", "N3", "N4"), ("NM1", "N3", "N4")),
    LoopDecl("2420H", ("2400",), "NM1", ("45",), ("NM1", "N3", "N4"), ("NM1", "N3", "N4")),
    LoopDecl("2430", ("2400",), "SVD", None, ("SVD", "CAS", "DTP", "AMT"), (), True, True),
    LoopDecl("2440", ("2400",), "LQ", None, ("LQ", "FRM"), (), True, True),
)

BY_ID = {d.loop: d for d in LOOPS}
# The element of the trigger segment that carries the qualifier.
TRIGGER_ELEMENT = {"NM1": 1, "HL": 3}
HL_LOOPS = {q: d.loop for d in LOOPS if d.trigger == "HL" for q in d.qualifiers or ()}
RAW_CLAIM_LOOPS = tuple(d.loop for d in LOOPS if d.raw and d.loop.startswith("23"))
RAW_LINE_LOOPS = tuple(d.loop for d in LOOPS if d.raw and d.loop.startswith("24"))

# Segment id -> position in its loop's TR3 order; unknown segments go last.
SEGMENT_ORDER: dict[str, dict[str, int]] = {
    d.loop: {sid: i for i, sid in enumerate(d.segments)} for d in LOOPS
}


def rank(loop: str, segment_id: str) -> int:
    return SEGMENT_ORDER.get(loop, {}).get(segment_id, 99)


def ancestors(loop: str) -> list[str]:
    """Every loop above `loop` (all parents, nearest first)."""
    out: list[str] = []
    level = list(BY_ID[loop].parents)
    while level:
        nxt: list[str] = []
        for p in level:
            if p not in out:
                out.append(p)
                nxt.extend(BY_ID[p].parents)
        level = nxt
    return out


# The claim and everything under it: a problem here concerns one claim.
CLAIM_LOOPS = frozenset({"2300", *(d.loop for d in LOOPS if "2300" in ancestors(d.loop))})


def children(loop: str) -> list[str]:
    """Child loops of `loop` entered by a trigger segment (not HL), in TR3 order."""
    return [d.loop for d in LOOPS if loop in d.parents and d.trigger not in (None, "HL")]


def _up_to_required(loops: list[str]) -> list[str]:
    """The loops a segment may open next, in order: up to and including the first one
    that is required (those after it would skip it)."""
    out = []
    for x in loops:
        out.append(x)
        if x in _REQUIRED_CHILDREN:
            break
    return out


_REQUIRED_CHILDREN = frozenset(c for d in LOOPS for c in d.required)


def reachable(loop: str) -> list[str]:
    """Loops that a segment may open while reading `loop`, nearest first: its
    children, then itself (if it repeats) and its later siblings, then the same for
    each ancestor; never past a required loop not yet seen."""
    out: list[str] = []

    def add(x: str) -> None:
        if x not in out:
            out.append(x)

    for c in _up_to_required(children(loop)):
        add(c)
    level = [loop]
    seen: set[str] = set()
    while level:
        nxt = []
        for x in level:
            if x in seen:
                continue
            seen.add(x)
            d = BY_ID[x]
            entered_by_trigger = d.trigger not in (None, "HL")
            for p in d.parents:
                sibs = children(p)
                if d.repeats and entered_by_trigger:
                    add(x)
                if x in sibs:
                    for s in _up_to_required(sibs[sibs.index(x) + 1:]):
                        add(s)
                nxt.append(p)
            if not d.parents and d.repeats and entered_by_trigger:
                add(x)
        level = nxt
    return out


def missing(loop: str) -> tuple[str, str] | None:
    """What the transaction set still owes when it moves on (HL, CLM or an envelope
    segment) while `loop` is the innermost open loop: (the loop that requires it, the
    required child loop), or None. Only the nearest open requirement is named."""
    for x in [loop, *ancestors(loop)]:
        d = BY_ID[x]
        if not d.required:
            continue
        kids = children(x)
        # Where `loop` stands among x's children (x itself: before all of them). A path
        # through a hierarchical level (HL) was checked at that HL: skip x.
        if loop == x:
            at = -1
        else:
            here = next((k for k in kids if k == loop or k in ancestors(loop)), None)
            if here is None:
                continue
            at = kids.index(here)
        for r in d.required:
            if kids.index(r) > at:
                return x, r
    return None
