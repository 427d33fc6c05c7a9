# Envelope pre-check: the verdict of every transaction set before the set is read.
#
# Strategy: a reader that rejects a whole transaction set when its SE is wrong (SE01
# count, SE02 control number) or missing would otherwise have to hold the set's content
# until the SE. This scan reads the source once at C speed instead: each chunk of about
# a megabyte is cut after its last terminator, decoded and prepared as SegmentReader
# prepares it (line breaks dropped when they are not the terminator); one regular
# expression finds the envelope segments, and str.count of the terminator between them
# gives their segment numbers. Only the envelope segments are split and fed, with those
# numbers, to the very classes the reader uses (EnvelopeTracker, TransactionSets), so
# the findings are the reader's own: same code, message, segment, element, controls.
#
# Counting terminators is counting segments only in a plain file. An empty segment, a
# segment that starts with white space, bytes that are not UTF-8, text before the ISA,
# a later ISA that does not parse or declares other delimiters, or a segment longer
# than the reader's element limit (one more C-speed search per chunk), send the scan
# back to the start, segment by segment, with SegmentReader itself (a few times
# slower), which applies the reader's limits exactly; so the verdicts always agree with
# the read. Memory is bounded like the reader's: a chunk plus one segment.
#
# A subclass can watch other segments in the same pass (pricing's run plan reads the
# member id of each claim this way) without this module knowing what they mean:
# `watch` adds regular-expression alternatives (named groups) to the fast pass and
# `matched` receives their matches; in the segment pass `segment` receives every
# segment whose id is in `watch_ids` (and so does it receive the envelope segments of
# the fast pass); `restart` says the fast pass gave up and everything comes again.
from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from typing import Any

from ..errors import ArgumentError, X12Error
from .delimiters import parse_isa_delimiters
from .envelope import SET_BOUNDARY_IDS, EnvelopeTracker, TransactionSets
from .source import gunzipped, gunzipped_bytes, open_path
from ..errors import Finding
from .reader import (CHUNK_SIZE, MAX_ELEMENT_LENGTH, MAX_SEGMENT_LENGTH, SegmentReader,
                     has_long_run)

__all__ = ["EnvelopeScan", "check_transaction_sets", "rereadable", "spool", "Verdict"]

# One transaction set's verdict: None (sound) or the findings that condemn it.
Verdict = tuple[Finding, ...] | None

_BOM = b"\xef\xbb\xbf"
_WS = " \t\r\n"

def rereadable(source: Any) -> bool:
    """Whether `source` can be read twice: a path, bytes, or a seekable binary file."""
    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        return True
    raw = getattr(source, "buffer", source)
    try:
        if raw.seekable():
            raw.tell()
            return True
    except (AttributeError, OSError, ValueError):
        pass
    return False


def spool(source: Any) -> Any:
    """A source that can be read twice: a re-readable source as it is (a text stream's
    binary buffer); anything else (stdin, a pipe) copied to a temporary file first.
    The caller closes a returned temporary file."""
    if rereadable(source):
        return source if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)) \
            else getattr(source, "buffer", source)
    tmp = tempfile.TemporaryFile()
    shutil.copyfileobj(getattr(source, "buffer", source), tmp, CHUNK_SIZE)
    tmp.seek(0)
    return tmp


def check_transaction_sets(source: Any, name: str | None = None, *, envelope: str = "reject",
                           max_segment_length: int = MAX_SEGMENT_LENGTH,
                           max_element_length: int = MAX_ELEMENT_LENGTH) -> list[Verdict]:
    """The verdict of every transaction set of `source` (path, bytes or seekable binary
    file; a file is read from where it stands and put back there), one per ST in file
    order: None when ST02 = SE02 and SE01 counts the segments from ST to SE, otherwise
    a tuple of the findings an EnvelopeTracker gives (se01-count, se02-control,
    missing-se; 'unreadable' when the rest of the file cannot be read). Input that is
    not X12 gives []. `name` is the file name the findings carry (default: the path).
    envelope="warn" gives the verdicts of a lenient read (count and control-number
    mismatches are warnings and condemn nothing; see EnvelopeTracker). The limits are
    the reader's (SegmentReader).
    """
    return EnvelopeScan(name, envelope=envelope, max_segment_length=max_segment_length,
                        max_element_length=max_element_length).run(source)


class EnvelopeScan:
    """One pass over an X12 source: transaction-set verdicts, plus what a subclass watches."""

    watch_ids: frozenset[str] = frozenset()

    def __init__(self, name: str | None = None, *, chunk_size: int = CHUNK_SIZE,
                 envelope: str = "reject", max_segment_length: int = MAX_SEGMENT_LENGTH,
                 max_element_length: int = MAX_ELEMENT_LENGTH):
        if envelope not in ("reject", "warn"):
            raise ArgumentError(f"envelope must be 'reject' or 'warn', not {envelope!r}")
        self.name = name
        self.chunk_size = chunk_size
        self.envelope = envelope
        self.max_segment_length = max_segment_length
        self.max_element_length = min(max_element_length, max_segment_length)
        self.fast = True  # after run(): whether the C-speed pass did it all

    # -- hooks for subclasses ---------------------------------------------------------
    def watch(self, element: str, terminator: str) -> str:
        """Alternatives for the fast pass's expression, matched right after a terminator
        (both delimiters come escaped). Each alternative must hold a named group (the
        fast pass tells a watched match from an envelope one by m.lastgroup)."""
        return ""

    def matched(self, m: re.Match[str]) -> None:
        """A match of `watch` (fast pass)."""

    def segment(self, seg: list[str]) -> None:
        """A segment whose id is in watch_ids (segment pass; envelope ids in both)."""

    def restart(self) -> None:
        """The fast pass gave up: forget what it reported, everything comes again."""

    # -- the scan -----------------------------------------------------------------------
    def run(self, source: Any) -> list[Verdict]:
        fh, owned, start, name = _open(source)
        if self.name is None:
            self.name = name
        if fh is None:
            return []  # the reader reports why it cannot open it
        try:
            verdicts = self._fast(fh)
            if verdicts is None:
                self.fast = False
                self.restart()
                if start is not None:
                    fh.seek(start)
                else:
                    fh.seek(0)
                verdicts = self._segments(fh)
            return verdicts
        finally:
            if owned:
                fh.close()
            elif start is not None:
                fh.seek(start)

    def _tracker(self) -> EnvelopeTracker:
        return EnvelopeTracker(file=self.name, lenient=self.envelope == "warn")

    def _fast(self, fh: Any) -> list[Verdict] | None:
        """Verdicts by counting terminators; None when the file needs the segment pass."""
        size = self.chunk_size
        data = fh.read(size)
        if data.startswith(_BOM):
            data = data[3:]
        data = data.lstrip()
        while len(data) < 512:
            more = fh.read(size)
            if not more:
                break
            data += more
        if not data.startswith(b"ISA"):
            return None
        try:
            delims = parse_isa_delimiters(data[:400].decode("latin-1"), 0)[0]
        except X12Error:
            return None
        elem, term = delims.element, delims.segment
        if not (elem.isascii() and term.isascii()) or elem in _WS or term in " \t" \
                or elem == term:
            return None
        e, t = re.escape(elem), re.escape(term)
        anomaly = "[" + re.escape(_WS + term) + "]"
        extra = self.watch(e, t)
        # The envelope alternatives have no named group (three times faster than with
        # them); a subclass's alternatives each have one, which tells them apart.
        pat = re.compile(
            f"{t}(?:{anomaly}|ISA|(?:S[TE]|G[SE]|IEA)(?=[{e}{t}]|\\Z)"
            + (f"|{extra}" if extra else "") + ")")
        anomalies = frozenset(_WS + term)
        term_b = term.encode("latin-1")
        drop_breaks = term not in "\r\n"
        sets = TransactionSets(self._tracker())
        verdicts: list[Verdict] = []
        watched = self.watch_ids
        matched, segment = self.matched, self.segment
        before = 0      # segments of the earlier chunks
        first = True    # the first ISA declared the delimiters
        while True:
            more = fh.read(size) if data is not None else b""
            if more:
                data += more
                cut = data.rfind(term_b)
                if cut < 0:
                    if len(data) > self.max_segment_length:
                        return None  # the segment pass says how long and where
                    continue
                body, data = data[:cut + 1], data[cut + 1:]
            else:
                body, data = data, None
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return None
            if drop_breaks:
                if "\n" in text or "\r" in text:
                    text = text.replace("\n", "").replace("\r", "")
            elif "\r\n" in text:
                text = text.replace("\r\n", term)
            text = term + text  # every segment follows a terminator
            if has_long_run(text, term, self.max_element_length):
                return None   # a segment longer than the element limit: the segment pass
            counted_to = counted = 0  # terminators in text[:counted_to]
            for m in pat.finditer(text):
                if m.lastgroup is not None:
                    matched(m)
                    continue
                at = m.start()
                if text[at + 1] in anomalies:
                    return None
                counted += text.count(term, counted_to, at)
                counted_to = at
                index = before + counted + 1
                end = text.find(term, at + 1)
                seg = (text[at + 1:] if end < 0 else text[at + 1:end]).split(elem)
                if text.startswith("ISA", at + 1):
                    if not first:
                        try:
                            other = parse_isa_delimiters(text[at + 1:at + 401], 0)[0]
                        except X12Error:
                            return None
                        if other != delims:   # the reader would cut its chunk there
                            return None
                    first = False
                    if seg[0] != "ISA":
                        return None
                _, ended = sets.feed(seg, index)
                if ended is not None:
                    verdicts.append(tuple(ended) or None)
                if seg[0] in watched:
                    segment(seg)
            counted += text.count(term, counted_to)
            before += counted - 1
            if data is None:
                last = text[text.rfind(term) + 1:]
                if last.strip(_WS):  # a last segment without its terminator
                    before += 1
                break
        ended = sets.finish(before)
        if ended is not None:
            verdicts.append(tuple(ended) or None)
        return verdicts

    def _segments(self, fh: Any) -> list[Verdict]:
        """Verdicts segment by segment, exactly as the 837P reader meets them."""
        sets = TransactionSets(self._tracker())
        verdicts: list[Verdict] = []
        watched = self.watch_ids
        segment = self.segment
        boundary = SET_BOUNDARY_IDS
        reader = SegmentReader(fh, self.name, max_segment_length=self.max_segment_length,
                               max_element_length=self.max_element_length)
        index = 0
        try:
            for batch in reader.batches():
                for seg in batch:
                    index += 1
                    sid = seg[0]
                    if sid in boundary:
                        _, ended = sets.feed(seg, index)
                        if ended is not None:
                            verdicts.append(tuple(ended) or None)
                    if sid in watched:
                        segment(seg)
            ended = sets.finish(index)
        except X12Error as exc:
            if index == 0:  # not X12 at all: the reader says so
                return []
            ended = sets.finish(index, exc.to_finding("unreadable"))
        if ended is not None:
            verdicts.append(tuple(ended) or None)
        return verdicts


def _open(source: Any) -> tuple[Any, bool, int | None, str | None]:
    """(binary file, owned, start offset of a caller's file, name); file None when a
    path cannot be opened."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return gunzipped_bytes(bytes(source)), True, None, None
    if isinstance(source, (str, os.PathLike)):
        try:
            return open_path(source), True, None, os.fspath(source)
        except OSError:
            return None, False, None, os.fspath(source)
    name = getattr(source, "name", None)
    fh = getattr(source, "buffer", source)
    # a gzip stream is read through a wrapper put back at its start (0: the wrapper's
    # seek(0) puts the caller's file back at 0 too, where a spooled copy begins)
    fh, _ = gunzipped(fh)
    return fh, False, fh.tell(), name if isinstance(name, str) else None
