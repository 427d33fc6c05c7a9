# The 837P (005010X222A1) loop structure, declared once as data, and a tracker that
# names the loop each segment of a transaction set is in (the 999's IK303/CTX04).
#
# Strategy: a loop starts at its first segment (HL by HL03, CLM, LX, SBR, LIN, SVD,
# LQ, or NM1 by NM101); every other segment stays in the loop in force. The tracker
# keeps the stack of open loops (e.g. 2000B > 2300 > 2320 > 2330A); a loop-starting
# segment is looked up from the innermost open loop outwards, and the stack is cut
# back to the loop whose table knows it. Header segments (BHT) are in no loop.
# Memory: the loop of each segment of the current and the previous claim, so that
# checks run at the end of a claim can still name the loop of a segment inside it.
# tests/test_validate_999.py checks every segment of the corpus against pyx12's map.
from __future__ import annotations

__all__ = ["LoopTracker837"]

# HL03 hierarchical level code -> 2000 loop.
_HL_LOOPS = {"20": "2000A", "22": "2000B", "23": "2000C"}

_NM1_2310 = {"DN": "2310A", "P3": "2310A", "82": "2310B", "77": "2310C", "DQ": "2310D",
             "PW": "2310E", "45": "2310F"}
_NM1_2330 = {"IL": "2330A", "PR": "2330B", "DN": "2330C", "P3": "2330C", "82": "2330D",
             "77": "2330E", "DQ": "2330F", "85": "2330G"}
_NM1_2420 = {"82": "2420A", "QB": "2420B", "77": "2420C", "DQ": "2420D", "DK": "2420E",
             "DN": "2420F", "P3": "2420F", "PW": "2420G", "45": "2420H"}

# Open loop -> {(segment id, NM101 or None): loop that segment starts inside it}.
LOOP_STARTS: dict[str | None, dict[tuple[str, str | None], str]] = {
    None: {("NM1", "41"): "1000A", ("NM1", "40"): "1000B"},        # the header
    "2000A": {("NM1", "85"): "2010AA", ("NM1", "87"): "2010AB", ("NM1", "PE"): "2010AC"},
    "2000B": {("NM1", "IL"): "2010BA", ("NM1", "PR"): "2010BB"},
    "2000C": {("NM1", "QC"): "2010CA"},
    "2300": {**{("NM1", q): loop for q, loop in _NM1_2310.items()},
             ("SBR", None): "2320", ("LX", None): "2400"},
    "2320": {("NM1", q): loop for q, loop in _NM1_2330.items()},
    "2400": {**{("NM1", q): loop for q, loop in _NM1_2420.items()},
             ("LIN", None): "2410", ("SVD", None): "2430", ("LQ", None): "2440"},
}


class LoopTracker837:
    """feed(seg, index) -> the 837P loop id of that segment (None in the header)."""

    def __init__(self):
        self.stack: list[str | None] = [None]
        self._current: dict[int, str | None] = {}
        self._previous: dict[int, str | None] = {}

    def feed(self, seg: list[str], index: int) -> str | None:
        sid = seg[0]
        if sid == "HL":
            self.stack = [_HL_LOOPS.get(seg[3] if len(seg) > 3 else "")]
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

    def _new_generation(self):
        self._previous, self._current = self._current, {}
