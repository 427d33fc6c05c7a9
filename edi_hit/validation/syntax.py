# Level 1 beyond what the x12 layer checks: segment ids, ISA/GS/ST values, characters.
#
# Strategy: the EnvelopeTracker (edi_hit.x12) already checks control numbers and
# counts; here each segment is looked at on its own, once, with plain string tests:
# a segment id is 2-3 upper-case letters or digits starting with a letter, envelope
# dates and times are real, GS01 matches the transaction sets inside it, the version
# is one this toolkit (and pyx12) has an implementation guide for, no element holds a
# control character, and no segment is longer than any 837P or 835 segment can be
# (LONG_SEGMENT: the longest, an HI with twelve full composites, is about 2,100
# characters; pyx12 stops reading, without a word, at one over 8 KB). Each problem is reported through `add`, which the
# engine supplies, so this module knows nothing of reports.
from __future__ import annotations

import re
from datetime import date

__all__ = ["SyntaxChecker", "parse_date8", "SUPPORTED_VERSIONS", "FUNCTIONAL_IDS",
           "LONG_SEGMENT", "CONTROL_FINDINGS"]

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
LONG_SEGMENT = 4096
CONTROL_FINDINGS = 20     # control characters reported in a file (one per segment)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TIME = re.compile(r"([01][0-9]|2[0-3])[0-5][0-9]([0-5][0-9]([0-9]{1,2})?)?")

# Transaction set -> (GS01, the HIPAA implementation guide pyx12 has a map for).
SUPPORTED_VERSIONS = {"837": ("HC", "005010X222A1"), "835": ("HP", "005010X221A1"),
                      "999": ("FA", "005010X231A1")}
FUNCTIONAL_IDS = {v[0]: k for k, v in SUPPORTED_VERSIONS.items()}


def parse_date8(text: str) -> date | None:
    """CCYYMMDD -> date, or None when it is not a real date."""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _el(seg, n):
    return seg[n] if len(seg) > n else ""


class SyntaxChecker:
    def __init__(self, add):
        self.add = add
        self.group_fid: str | None = None
        self._control_reported = 0

    def segment(self, seg: list[str], index: int, delimiters) -> None:
        sid = seg[0]
        if not _SEGMENT_ID.fullmatch(sid):
            shown = sid if sid else "(empty)"
            self.add("error", "segment-id",
                     f"{shown!r} is not a segment id (2-3 upper-case letters or digits); "
                     f"segment text starts {delimiters.element.join(seg)[:40]!r}",
                     index, sid or None, segment_error="1")
        if len(seg) > 40 or sum(map(len, seg)) > LONG_SEGMENT - len(seg):
            self._length(seg, index)
        if self._control_reported < CONTROL_FINDINGS and _CONTROL.search("".join(seg)):
            for pos, value in enumerate(seg[1:], start=1):   # only where there is one
                m = _CONTROL.search(value)
                if m:
                    self._control_reported += 1
                    self.add("error", "invalid-character",
                             f"control character {m.group()!r} in element {pos}",
                             index, sid, f"{sid}{pos:02d}", element_error="6",
                             bad_value=value[:60])
                    break

    def _length(self, seg: list[str], index: int) -> None:
        n = sum(map(len, seg)) + len(seg) - 1
        if n <= LONG_SEGMENT:
            return
        pos = max(range(1, len(seg)), key=lambda k: len(seg[k]), default=0)
        sid = seg[0]
        self.add("error", "segment-length",
                 f"segment is {n:,} characters long; no 837P or 835 segment is longer than "
                 f"{LONG_SEGMENT:,} (its longest element, {sid}{pos:02d}, has "
                 f"{len(seg[pos]):,})", index, sid, f"{sid}{pos:02d}" if pos else None,
                 segment_error="8", element_error="5")

    def isa(self, seg, index):
        def bad(n, what, code="isa-field"):
            self.add("error", code, f"ISA{n:02d} {_el(seg, n)!r}: {what}", index, "ISA",
                     f"ISA{n:02d}", bad_value=_el(seg, n))
        if len(seg) < 17:
            self.add("error", "isa-field", f"ISA has {len(seg) - 1} elements, not 16", index, "ISA")
            return
        if _el(seg, 1) not in ("00", "01", "02", "03", "04", "05", "06"):
            bad(1, "not an authorization information qualifier (00-06)")
        if _el(seg, 3) not in ("00", "01"):
            bad(3, "not a security information qualifier (00 or 01)")
        d = _el(seg, 9)
        if not (len(d) == 6 and d.isdigit() and parse_date8("20" + d)):
            bad(9, "not a YYMMDD date")
        if not (len(_el(seg, 10)) == 4 and _TIME.fullmatch(_el(seg, 10))):
            bad(10, "not an HHMM time")
        if _el(seg, 12) != "00501":
            bad(12, "interchange version is not 00501 (X12 5010)")
        ctl = _el(seg, 13)
        if not (len(ctl) == 9 and ctl.isdigit()):
            bad(13, "interchange control number must be 9 digits")
        if _el(seg, 14) not in ("0", "1"):
            bad(14, "acknowledgment requested must be 0 or 1")
        if _el(seg, 15) not in ("P", "T", "I"):
            bad(15, "usage indicator must be P, T or I")

    def gs(self, seg, index):
        fid = _el(seg, 1)
        self.group_fid = fid
        if fid not in FUNCTIONAL_IDS:
            self.add("error", "gs-field",
                     f"GS01 {fid!r} is not a functional identifier edi-hit reads "
                     f"(HC for 837, HP for 835, FA for 999)", index, "GS", "GS01", bad_value=fid)
        if parse_date8(_el(seg, 4)) is None:
            self.add("error", "gs-field", f"GS04 {_el(seg, 4)!r} is not a CCYYMMDD date",
                     index, "GS", "GS04", bad_value=_el(seg, 4))
        if not _TIME.fullmatch(_el(seg, 5)):
            self.add("error", "gs-field", f"GS05 {_el(seg, 5)!r} is not an HHMM time",
                     index, "GS", "GS05", bad_value=_el(seg, 5))
        ctl = _el(seg, 6)
        if not (1 <= len(ctl) <= 9 and ctl.isdigit()):
            self.add("error", "gs-field", f"GS06 {ctl!r}: group control number must be 1-9 digits",
                     index, "GS", "GS06", bad_value=ctl)
        if _el(seg, 7) != "X":
            self.add("error", "gs-field", f"GS07 {_el(seg, 7)!r}: responsible agency must be X",
                     index, "GS", "GS07", bad_value=_el(seg, 7))
        set_id = FUNCTIONAL_IDS.get(fid)
        if set_id:
            wanted = SUPPORTED_VERSIONS[set_id][1]
            if _el(seg, 8) != wanted:
                self.add("error", "unsupported-version",
                         f"GS08 {_el(seg, 8)!r} is not the HIPAA implementation guide for the "
                         f"{set_id} ({wanted})", index, "GS", "GS08", bad_value=_el(seg, 8))

    def st(self, seg, index):
        set_id = _el(seg, 1)
        if set_id not in SUPPORTED_VERSIONS:
            self.add("error", "unsupported-transaction",
                     f"transaction set {set_id!r} is not one edi-hit reads (837, 835, 999)",
                     index, "ST", "ST01", bad_value=set_id)
            return
        fid = SUPPORTED_VERSIONS[set_id][0]
        if self.group_fid is not None and self.group_fid != fid:
            self.add("error", "gs01-mismatch",
                     f"a {set_id} transaction set in a group whose GS01 is {self.group_fid!r} "
                     f"(expected {fid})", index, "ST", "ST01")
        ctl = _el(seg, 2)
        if not (4 <= len(ctl) <= 9):
            self.add("error", "st-field", f"ST02 {ctl!r}: control number must be 4-9 characters",
                     index, "ST", "ST02", bad_value=ctl)
