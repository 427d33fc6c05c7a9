# The checks pyx12 makes while it reads, before any map is consulted.
#
# Strategy: pyx12's X12Reader (x12file.py) notes a few problems per segment: an
# empty segment, an invalid segment id, a trailing element separator, HL01 out of
# sequence and an HL02 that names no open parent, an 837 LX01 out of sequence, and
# duplicate or mismatched control numbers. It keeps them in a list that the
# validator attaches to the next segment it places in the map (so a segment that
# cannot be placed passes its reader errors to the one after it). This class
# keeps the same state and the same list; the engine drains it where pyx12 does.
# Of the envelope errors, the pyx12 path reports only those level 1 does not
# already report (tr3._DUP_*): an unterminated group at the IEA (024), a duplicate
# group control number (6) and a duplicate transaction control number (23).
from __future__ import annotations

import re

__all__ = ["ReaderChecks"]

_SEG_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _value(seg, n, sep):
    return seg[n].rstrip(sep) if len(seg) > n else None


class ReaderChecks:
    def __init__(self):
        self.errors: list[tuple] = []   # (kind, code, message): kind isa/gs/st/seg
        self.loops: list[tuple] = []
        self.hl_stack: list[int] = []
        self.hl_count = 0
        self.lx_count = 0
        self.gs_count = 0
        self.st_count = 0
        self._ids: set[str] = set()    # segment ids seen to be well formed
        self.isa_ids: list = []
        self.gs_ids: list = []
        self.st_ids: list = []
        self.check_837_lx = False

    def pop(self) -> list[tuple]:
        out, self.errors = self.errors, []
        return out

    def read(self, seg: list[str], sid: str, sep: str) -> None:
        n = len(seg)
        if n == 1:
            self.errors.append(("seg", "8", f"segment {sid or '(no id)'} is empty"))
        else:
            if seg[-1] == "":
                self.errors.append(("seg", "SEG1", "segment ends with an element separator"))
            first = seg[1]
            if (not first or first[0] == sep) and sid != "ISA" and \
                    all(not e.replace(sep, "") for e in seg[1:]):
                self.errors.append(("seg", "8", f"segment {sid or '(no id)'} is empty"))
        if sid not in self._ids:
            if _SEG_ID.fullmatch(sid):
                if len(self._ids) < 1000:
                    self._ids.add(sid)
            else:
                self.errors.append(("seg", "1", "segment identifier is invalid"))
        special = _SPECIAL.get(sid)
        if special is not None:
            special(self, seg, sid, sep)

    def _clm(self, seg, sid, sep) -> None:
        if self.check_837_lx:
            self.lx_count = 0

    def _lx(self, seg, sid, sep) -> None:
        if self.check_837_lx:
            self.lx_count += 1
            if _value(seg, 1, sep) != str(self.lx_count):
                self.errors.append(("seg", "LX", f"2400 LX01 is not the service line number "
                                                 f"{self.lx_count} (lines are numbered from 1)"))

    def _hl(self, seg, sid, sep) -> None:
        self.hl_count += 1
        if self.hl_count != _int(_value(seg, 1, sep)):
            self.errors.append(("seg", "HL1", f"HL01 is not the hierarchical id number "
                                              f"{self.hl_count} (HLs are numbered from 1)"))
        parent_text = _value(seg, 2, sep)
        if parent_text != "":
            parent = _int(parent_text)
            if parent not in self.hl_stack:
                self.errors.append(("seg", "HL2", "HL02 does not name an HL above this one"))
            while self.hl_stack and parent != self.hl_stack[-1]:
                del self.hl_stack[-1]
        self.hl_stack.append(self.hl_count)

    def _envelope(self, seg, sid, sep) -> None:
        err = self.errors
        loops = self.loops
        if sid == "ISA":
            control = _value(seg, 13, sep)
            if control in self.isa_ids:
                err.append(("isa", "025", "ISA13 is not unique within the file"))
            loops.append(("ISA", control))
            self.isa_ids.append(control)
            self.gs_count = 0
            self.gs_ids = []
        elif sid == "GS":
            control = _value(seg, 6, sep)
            if control in self.gs_ids:
                err.append(("gs", "6", "GS06 group control number is not unique in the interchange"))
            self.gs_count += 1
            self.gs_ids.append(control)
            loops.append(("GS", control))
            self.st_count = 0
            self.st_ids = []
        elif sid == "ST":
            self.hl_stack = []
            self.hl_count = 0
            control = _value(seg, 2, sep)
            if control in self.st_ids:
                err.append(("st", "23", "ST02 transaction set control number is not unique "
                                        "in the functional group"))
            self.st_count += 1
            self.st_ids.append(control)
            loops.append(("ST", control))
        elif sid == "IEA":
            if loops and loops[-1][0] != "ISA":
                err.append(("isa", "024", f"the interchange ends inside an unterminated "
                                          f"{loops[-1][0]} (no {'GE' if loops[-1][0] == 'GS' else 'SE'})"))
                del loops[-1]
            if loops:
                del loops[-1]
        elif sid == "GE":
            if loops and loops[-1][0] != "GS":
                del loops[-1]
            if loops:
                del loops[-1]
        elif sid == "SE":
            if loops:
                del loops[-1]


_SPECIAL = {"ISA": ReaderChecks._envelope, "GS": ReaderChecks._envelope,
            "ST": ReaderChecks._envelope, "SE": ReaderChecks._envelope,
            "GE": ReaderChecks._envelope, "IEA": ReaderChecks._envelope,
            "HL": ReaderChecks._hl, "CLM": ReaderChecks._clm, "LX": ReaderChecks._lx}
