# The run plan: which beneficiary each claim of a run belongs to, read before pricing.
#
# Strategy: claims are applied per beneficiary in date-of-service order within a run
# (all input files of one command), so the pricer may price a beneficiary only once
# it has read that beneficiary's last claim. A cheap pre-scan of every input finds,
# for each CLM in order, the member id (2010BA NM109) it belongs to; the pricing pass
# then counts a beneficiary's claims down and prices them when the count reaches zero.
#
# The scan does not parse claims. Each chunk of about a megabyte is decoded as the
# segment reader does (UTF-8, else Latin-1; line breaks dropped when they are not the
# terminator) and one regular expression finds the segments that matter: ISA (other
# delimiters: the file is scanned again segment by segment, with SegmentReader), ST
# and HL (a new transaction set, billing provider or subscriber ends the current
# member), NM1*IL right after an HL*22 (the subscriber; NM1*IL in 2330A comes after
# the CLM and is ignored) and CLM. That is the attribution the 837P reader makes, so
# plan and reader agree claim by claim; the pricing pass checks that they do.
#
# Memory: one dict entry per beneficiary and 4 bytes per claim (an array of
# beneficiary numbers, used to account for claims the reader rejects).
from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from array import array
from dataclasses import dataclass, field
from typing import Iterable

from edi_hit.x12 import SegmentReader
from edi_hit.x12.delimiters import parse_isa_delimiters

__all__ = ["RunPlan", "plan_run", "scan_members", "spool"]

_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class RunPlan:
    """Member ids of the claims of a run, in input order, file by file."""

    ids: dict[str, int] = field(default_factory=dict)      # member id -> number
    members: list[str] = field(default_factory=list)       # number -> member id
    counts: list[int] = field(default_factory=list)        # number -> claims in the run
    files: list[array] = field(default_factory=list)       # per source: number of each CLM

    def add_file(self, member_ids: Iterable[str]) -> None:
        ids, members, counts = self.ids, self.members, self.counts
        seq = array("i")
        for m in member_ids:
            n = ids.get(m)
            if n is None:
                n = ids[m] = len(members)
                members.append(m)
                counts.append(0)
            counts[n] += 1
            seq.append(n)
        self.files.append(seq)

    @property
    def claims(self) -> int:
        return sum(len(f) for f in self.files)

    def expected(self) -> dict[str, int]:
        """member id -> claims in the run (a fresh dict the pricing run counts down)."""
        return dict(zip(self.members, self.counts))

    def member_at(self, file_no: int, ordinal: int) -> str | None:
        """Member id of the ordinal-th CLM (0-based) of the file_no-th source."""
        if file_no < len(self.files) and 0 <= ordinal < len(self.files[file_no]):
            return self.members[self.files[file_no][ordinal]]
        return None


def spool(source):
    """A source that can be read twice: paths and bytes as they are; a file object
    that cannot seek (stdin, a pipe) is copied to a temporary file first."""
    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        return source
    raw = getattr(source, "buffer", source)  # a text stream such as sys.stdin
    try:
        if raw.seekable():
            raw.tell()
            return raw
    except (AttributeError, OSError, ValueError):
        pass
    tmp = tempfile.TemporaryFile()
    shutil.copyfileobj(raw, tmp, _CHUNK)
    tmp.seek(0)
    return tmp


def plan_run(sources: Iterable) -> RunPlan:
    """Scan every source (paths, bytes or seekable binary files) in order."""
    plan = RunPlan()
    for src in sources:
        plan.add_file(scan_members(src))
    return plan


# -- the scan ------------------------------------------------------------------------------

def _open(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), True, None
    if isinstance(source, (str, os.PathLike)):
        try:
            return open(source, "rb"), True, None
        except OSError:
            return None, False, None  # the reader reports it
    fh = getattr(source, "buffer", source)
    start = fh.tell()
    return fh, False, start


def scan_members(source) -> list[str]:
    """The member id of every CLM of one 837P source, in order ('' when none).

    A file object is read from where it stands and put back there afterwards.
    Input that is not X12 gives an empty list: the reader says what is wrong.
    """
    fh, owned, start = _open(source)
    if fh is None:
        return []
    try:
        out = _scan_fast(fh)
        if out is None:  # interchanges with different delimiters
            if start is not None:
                fh.seek(start)
            else:
                fh.close()
                fh, owned, start = _open(source)
            out = _scan_segments(fh)
        return out
    finally:
        if owned:
            fh.close()
        elif start is not None:
            fh.seek(start)


def _pattern(elem: str, term: str) -> re.Pattern:
    e, t = re.escape(elem), re.escape(term)
    v = f"[^{e}{t}]*"
    return re.compile(
        f"{t}[ \\t\\r\\n]*(?:"
        f"(CLM){e}"
        f"|HL{e}{v}{e}{v}{e}({v})"
        f"|NM1{e}IL(?:{e}{v}){{7}}{e}({v})"
        f"|(ST){e}|(ISA)"
        f")")


def _scan_fast(fh) -> list[str] | None:
    head = fh.read(_CHUNK)
    if head.startswith(_BOM):
        head = head[3:]
    at = head.find(b"ISA")
    if at < 0:
        return []
    try:
        delims = parse_isa_delimiters(head[at:at + 400].decode("latin-1"), 0)[0]
    except Exception:  # the reader reports a broken ISA
        return []
    elem, term = delims.element, delims.segment
    pat = _pattern(elem, term)
    term_b = term.encode("latin-1")
    drop_breaks = term not in "\r\n"
    out: list[str] = []
    member, expect = "", False
    encoding = "utf-8"
    data = head[at:]
    first = True
    while True:
        more = fh.read(_CHUNK) if data is not None else b""
        if more:
            data += more
            cut = data.rfind(term_b)
            if cut < 0:
                continue
            body, data = data[:cut + 1], data[cut + 1:]
        else:
            body, data = data, None
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            encoding = "latin-1"
            text = body.decode(encoding)
        if drop_breaks:
            if "\n" in text or "\r" in text:
                text = text.replace("\n", "").replace("\r", "")
        elif "\r\n" in text:
            text = text.replace("\r\n", term)
        for m in pat.finditer(term + text):  # every segment follows a terminator
            clm, level, mid, st, isa = m.groups()
            if clm:
                out.append(member)
                expect = False
            elif level is not None:
                if level == "22":
                    member, expect = "", True
                elif level != "23":
                    member, expect = "", False
                else:
                    expect = False
            elif mid is not None:
                if expect:
                    member, expect = mid, False
            elif st:
                member, expect = "", False
            elif not first:  # a later ISA: other delimiters need the segment-level scan
                pos = m.end() - 3 - 1  # in text, without the terminator put in front
                try:
                    other = parse_isa_delimiters(text[pos:pos + 400], 0)[0]
                except Exception:
                    return None
                if (other.element, other.segment) != (elem, term):
                    return None
            first = False
        if data is None:
            return out


def _scan_segments(fh) -> list[str]:
    """The same attribution, segment by segment (files whose delimiters change)."""
    out: list[str] = []
    member, expect = "", False
    reader = SegmentReader(fh)
    try:
        for batch in reader.batches():
            for seg in batch:
                sid = seg[0]
                if sid == "CLM":
                    out.append(member)
                    expect = False
                elif sid == "HL":
                    level = seg[3] if len(seg) > 3 else ""
                    if level == "22":
                        member, expect = "", True
                    elif level != "23":
                        member, expect = "", False
                    else:
                        expect = False
                elif sid == "NM1":
                    if expect and len(seg) > 1 and seg[1] == "IL":
                        member, expect = (seg[9] if len(seg) > 9 else ""), False
                elif sid == "ST":
                    member, expect = "", False
    except Exception:  # the reader reports what stops the read
        pass
    return out
