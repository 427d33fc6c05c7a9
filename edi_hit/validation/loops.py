# Which 837P (005010X222A1) loop each segment of a transaction set is in (the 999's
# IK303/CTX04), from the loop declaration of the 837P reader (x837p/loops.py).
#
# Strategy: a loop starts at its first segment (HL by HL03, CLM, LX, SBR, LIN, SVD,
# LQ, or NM1 by NM101); every other segment stays in the loop in force. The tracker
# keeps the stack of open loops (e.g. 2000B > 2300 > 2320 > 2330A); a loop-starting
# segment is looked up from the innermost open loop outwards, and the stack is cut
# back to the loop whose table knows it. Header segments (BHT) are in no loop. The
# tables come from x12/x837p/loops.py's LOOPS (each loop's trigger, qualifiers and
# parents), so the reader and the validator cannot disagree on the structure.
# Memory: the loop of each segment of the current and the previous claim, so that
# checks run at the end of a claim can still name the loop of a segment inside it.
# tests/test_validate_999.py checks every segment of the corpus against pyx12's map.
from __future__ import annotations

from ..x837p.loops import HL_LOOPS, LOOPS

__all__ = ["LoopTracker837", "LOOP_STARTS"]


def _loop_starts() -> dict[str | None, dict[tuple[str, str | None], str]]:
    """Open loop -> {(segment id, NM101 or None): loop that segment starts inside it}.
    The header is None; HL and CLM reset the stack and are not in the tables."""
    starts: dict[str | None, dict[tuple[str, str | None], str]] = {}
    for d in LOOPS:
        if d.trigger in (None, "HL", "CLM"):
            continue
        for parent in d.parents:
            table = starts.setdefault(None if parent == "HEADER" else parent, {})
            for q in d.qualifiers if d.trigger == "NM1" and d.qualifiers else (None,):
                table[(d.trigger, q)] = d.loop
    return starts


LOOP_STARTS = _loop_starts()


class LoopTracker837:
    """feed(seg, index) -> the 837P loop id of that segment (None in the header)."""

    def __init__(self) -> None:
        self.stack: list[str | None] = [None]
        self._current: dict[int, str | None] = {}
        self._previous: dict[int, str | None] = {}

    def feed(self, seg: list[str], index: int) -> str | None:
        sid = seg[0]
        if sid == "HL":
            self.stack = [HL_LOOPS.get(seg[3] if len(seg) > 3 else "")]
            self._new_generation()
        elif sid == "CLM":
            self.stack = [self.stack[0], "2300"]
            self._new_generation()
        else:
            qualifier = seg[1] if sid == "NM1" and len(seg) > 1 else None
            for depth in range(len(self.stack) - 1, -1, -1):
                table = LOOP_STARTS.get(self.stack[depth], {})
                loop = table.get((sid, qualifier)) or table.get((sid, None))
                if loop:
                    self.stack = self.stack[:depth + 1] + [loop]
                    break
        loop = self.stack[-1]
        self._current[index] = loop
        return loop

    def at(self, index: int | None) -> str | None:
        """The loop of a segment of the current or the previous claim (or HL block)."""
        if index is None:
            return None
        if index in self._current:
            return self._current[index]
        return self._previous.get(index)

    def _new_generation(self) -> None:
        self._previous, self._current = self._current, {}
