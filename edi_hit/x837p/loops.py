# The 837P 005010X222A1 loop structure, declared once as data.
#
# Strategy: each loop names its parents, the segment (and NM101 qualifiers) that opens
# it, whether it repeats, the segments the model reads inside it, and the TR3 order of
# its segments. The reader compiles this into a dispatch table keyed by (current
# loop, segment id[, NM101]); the writer uses the same order to place segments, the
# ones the model names and the ones it keeps raw. Loops opened by HL (2000A/B/C) are
# entered by HL03 from anywhere; the others are entered from their parent or from a
# later point of an ancestor, as in X12. Loops marked raw are kept segment by segment
# (RawSegment) on the claim (2320/2330x) or the line (2430/2440).
from __future__ import annotations

__all__ = ["LOOPS", "LoopDecl", "SEGMENT_ORDER", "HL_LOOPS", "RAW_CLAIM_LOOPS", "RAW_LINE_LOOPS",
           "children", "rank"]

from typing import NamedTuple


class LoopDecl(NamedTuple):
    loop: str
    parents: tuple[str, ...]
    trigger: str | None                 # segment id that opens the loop (None: HL or header)
    qualifiers: tuple[str, ...] | None  # NM101 values for an NM1 trigger
    segments: tuple[str, ...]           # TR3 order of the segments in the loop
    modelled: tuple[str, ...]           # segments the model names (others kept raw)
    repeats: bool = False
    raw: bool = False                   # the whole loop is kept raw


_PARTY = ("NM1", "N3", "N4", "PRV", "REF", "PER")

LOOPS: tuple[LoopDecl, ...] = (
    LoopDecl("HEADER", (), None, None, ("BHT",), ("BHT",)),
    LoopDecl("1000A", ("HEADER",), "NM1", ("41",), ("NM1", "PER"), ("NM1", "PER")),
    LoopDecl("1000B", ("HEADER",), "NM1", ("40",), ("NM1",), ("NM1",)),
    LoopDecl("2000A", (), None, None, ("HL", "PRV", "CUR"), ("HL", "PRV"), True),
    LoopDecl("2010AA", ("2000A",), "NM1", ("85",), ("NM1", "N3", "N4", "REF", "PER"),
             ("NM1", "N3", "N4", "REF", "PER")),
    LoopDecl("2010AB", ("2000A",), "NM1", ("87",), ("NM1", "N3", "N4"), ("NM1", "N3", "N4")),
    LoopDecl("2010AC", ("2000A",), "NM1", ("PE",), ("NM1", "N3", "N4", "REF"),
             ("NM1", "N3", "N4", "REF")),
    LoopDecl("2000B", (), None, None, ("HL", "SBR", "PAT"), ("HL", "SBR"), True),
    LoopDecl("2010BA", ("2000B",), "NM1", ("IL",), ("NM1", "N3", "N4", "DMG", "REF", "PER"),
             ("NM1", "N3", "N4", "DMG", "REF", "PER")),
    LoopDecl("2010BB", ("2000B",), "NM1", ("PR",), ("NM1", "N3", "N4", "REF"),
             ("NM1", "N3", "N4", "REF")),
    LoopDecl("2000C", (), None, None, ("HL", "PAT"), ("HL", "PAT"), True),
    LoopDecl("2010CA", ("2000C",), "NM1", ("QC",), ("NM1", "N3", "N4", "DMG", "REF", "PER"),
             ("NM1", "N3", "N4", "DMG", "REF", "PER")),
    LoopDecl("2300", ("2000B", "2000C"), "CLM", None,
             ("CLM", "DTP", "PWK", "CN1", "AMT", "REF", "K3", "NTE", "CR1", "CR2", "CRC", "HI",
              "HCP"),
             ("CLM", "DTP", "REF", "NTE", "HI"), True),
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
             ("LX", "SV1", "DTP", "REF", "NTE"), True),
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
HL_LOOPS = {"20": "2000A", "22": "2000B", "23": "2000C"}
RAW_CLAIM_LOOPS = tuple(d.loop for d in LOOPS if d.raw and d.loop.startswith("23"))
RAW_LINE_LOOPS = tuple(d.loop for d in LOOPS if d.raw and d.loop.startswith("24"))

# Segment id -> position in its loop's TR3 order; unknown segments go last.
SEGMENT_ORDER: dict[str, dict[str, int]] = {
    d.loop: {sid: i for i, sid in enumerate(d.segments)} for d in LOOPS
}


def rank(loop: str, segment_id: str) -> int:
    return SEGMENT_ORDER.get(loop, {}).get(segment_id, 99)


def children(loop: str) -> list[str]:
    """Non-HL child loops of `loop`, in TR3 order."""
    return [d.loop for d in LOOPS if loop in d.parents and d.trigger is not None]


def reachable(loop: str) -> list[str]:
    """Loops that a segment may open while reading `loop`, nearest first: its
    children, then itself (if it repeats) and its later siblings, then the same for
    each ancestor."""
    out: list[str] = []

    def add(x):
        if x not in out:
            out.append(x)

    for c in children(loop):
        add(c)
    level = [loop]
    seen = set()
    while level:
        nxt = []
        for x in level:
            if x in seen:
                continue
            seen.add(x)
            d = BY_ID[x]
            for p in d.parents:
                sibs = children(p)
                if d.repeats and d.trigger is not None:
                    add(x)
                if x in sibs:
                    for s in sibs[sibs.index(x) + 1:]:
                        add(s)
                nxt.append(p)
            if not d.parents and d.repeats and d.trigger is not None:
                add(x)
        level = nxt
    return out
