# Streaming segment tokenizer.
#
# Strategy: read the input in chunks of about a megabyte, cut each chunk after its
# last segment terminator (carrying the tail into the next chunk), decode it once,
# and split it with str.split on the terminator. All of the heavy work is done by C
# string methods; per segment Python does almost nothing, which is what makes the
# typed 837P parse fast. A chunk's segments are handed out as strings (segment_texts),
# which the cyclic garbage collector does not track: a consumer splits each segment
# into its elements as it reads it, and that list dies with the segment, so no list
# per segment of a chunk stays alive for the collector to scan over and over. A lazy
# consumer can take the whole chunk as one string instead (chunk_texts), not split at
# all when it needed no clean-up. Memory is one chunk plus the consumer's current
# claim, whatever the size of the file; a chunk is released once it is consumed.
#
# The delimiters come from each interchange's ISA. A later ISA that declares other
# delimiters is found with str.find at C speed and the rest of the text is split again
# with its delimiters. Line breaks (CR/LF) after terminators are dropped, and other
# leading white space (indented files) is stripped from each segment.
#
# Positions: the reader counts segments (1-based, `index`). Byte offsets are only
# needed when something goes wrong, so they are computed on demand by `position()`,
# which re-reads the chunk that holds the segment.
#
# Bounded input: a segment may not be longer than `max_segment_length` characters
# nor an element longer than `max_element_length` (defaults far above anything an
# 837P or 835 carries). The buffer that waits for a terminator never grows past the
# segment limit, so memory is a chunk or two whatever the input (an ISA followed by
# 200 MB without a terminator is refused after 64 KiB). Inside a chunk a C-speed
# check (has_long_run: a stretch without a terminator longer than the element limit)
# finds a segment that may be too long; only then are the segments measured, and only
# an over-long one is looked at element by element. A caller that pre-scanned the same
# source with the same searches (prescan.EnvelopeScan) lets the reader skip them
# (`prechecked`). Either limit gives an X12Error that names the segment number and
# its byte offset.
from __future__ import annotations

import io
import os
import re
from typing import Any, BinaryIO, Iterator, NamedTuple, cast

from ..errors import Finding, LimitError, UnreadableInput, X12Error
from .delimiters import Delimiters, parse_isa_delimiters
from .source import gunzipped, gunzipped_bytes, is_gzip, open_path

__all__ = ["SegmentReader", "Position", "read_segments", "find_segments", "has_long_run"]

CHUNK_SIZE = 1 << 20
# No 837P or 835 segment comes near these (the longest, an HI with twelve full
# composites, is about 2,100 characters; the longest element about 264).
MAX_SEGMENT_LENGTH = 1 << 16
MAX_ELEMENT_LENGTH = 1 << 13
MAX_EMPTY_FINDINGS = 10  # one finding each for the first few; then one summary
_BOM = b"\xef\xbb\xbf"
_WS = " \t\r\n"


def has_long_run(text: str, term: str, limit: int) -> bool:
    """Whether `text` has more than `limit` characters in a row without `term` (a
    segment longer than the limit, wherever it is), at C speed: when every block of
    (limit + 2) // 2 characters holds a terminator, no run can be longer (one str.find
    a block, a few characters each); otherwise one regular-expression search says."""
    size = len(text)
    if size <= limit:
        return False
    block = (limit + 2) // 2
    if block >= 256:
        find = text.find
        for start in range(0, size - block + 1, block):
            if find(term, start, start + block) < 0:
                break
        else:   # (a run reaches at most from just after one block's last terminator
            return False   # to just before the next block's first)
    t = re.escape(term)
    return re.search(f"{t}[^{t}]{{{limit + 1}}}", text) is not None or \
        not 0 <= text.find(term) <= limit


class Position(NamedTuple):
    file: str | None
    byte_offset: int
    segment_index: int


class _Chunk(NamedTuple):
    byte_offset: int      # offset of raw[0] in the file
    first_index: int      # index of the first segment in the chunk
    raw: bytes


def _open(source: Any) -> tuple[BinaryIO, str | None, bool]:
    """(binary file, name, owned) for a path, bytes or a binary file object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return cast(BinaryIO, gunzipped_bytes(bytes(source))), None, True
    if isinstance(source, (str, os.PathLike)):
        try:
            return open_path(source), os.fspath(source), True
        except OSError as exc:
            raise UnreadableInput(f"cannot open file: {exc.strerror}",
                                  file=os.fspath(source)) from None
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        if hasattr(source, "buffer"):  # a text stream such as sys.stdin
            source = source.buffer
        stream, wrapped = gunzipped(source)   # a wrapper is ours to close, not the source
        return cast(BinaryIO, stream), name if isinstance(name, str) else None, wrapped
    raise TypeError(f"cannot read X12 from {type(source).__name__}")


def _describe_non_x12(head: bytes) -> str:
    """One sentence for input that is not X12 at all."""
    h = head.lstrip()
    if not h:
        return "the file is empty: an X12 file starts with an ISA segment"
    if h.startswith(b"%PDF"):
        return "this is a PDF document, not an X12 file"
    if h.startswith(b"PK\x03\x04"):
        return "this is a zip archive, not an X12 file; unzip it first"
    if h.startswith(b"\x1f\x8b"):
        return "this is a gzip-compressed file, not an X12 file; decompress it first"
    if h[:1] in (b"{", b"["):
        return "this looks like JSON, not X12 (to build an 837P from claim JSON use `edi-hit generate`)"
    if h.startswith(b"<"):
        return "this looks like XML or HTML, not X12"
    if h[:3] in (b"ST*", b"GS*") or b"~ST*" in h or b"~GS*" in h:
        return ("there is no ISA interchange header: the file starts inside an interchange, "
                "so its delimiters cannot be known")
    return "no ISA segment found: this does not look like an X12 file"


class SegmentReader:
    """Iterate the segments of an X12 file as lists of strings.

    >>> r = SegmentReader(b"ISA*00*...~GS*HC*...~")      # or a path, or a binary file
    >>> for seg in r: seg[0], r.index                       # ('ISA', 1), ('GS', 2) ...

    Composite elements are not split: use elem.split(r.delimiters.component).
    `findings` collects what did not stop the read (text before the ISA, a
    non-fixed-width ISA, empty segments, bytes that are not UTF-8).
    """

    def __init__(self, source: Any, name: str | None = None, *, chunk_size: int = CHUNK_SIZE,
                 max_segment_length: int = MAX_SEGMENT_LENGTH,
                 max_element_length: int = MAX_ELEMENT_LENGTH):
        for arg, value in (("chunk_size", chunk_size), ("max_segment_length", max_segment_length),
                           ("max_element_length", max_element_length)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise TypeError(f"{arg} must be a positive int, not {value!r}")
        self._fh, opened_name, self._owned = _open(source)
        self.name = name or opened_name
        self.chunk_size = chunk_size
        self.max_segment_length = max_segment_length
        self.max_element_length = min(max_element_length, max_segment_length)
        # Set by a caller whose C-speed pre-scan of this same source found it plain
        # (prescan.EnvelopeScan.fast): UTF-8, no segment longer than max_element_length,
        # no empty segment, none that starts with white space, no later ISA with other
        # delimiters. The per-chunk searches for those are then skipped. The buffer
        # bound without a terminator always holds.
        self.prechecked = False
        self._anomalies: dict[str, re.Pattern[str]] = {}
        self._refused: X12Error | None = None  # raised once the segments before it are out
        self.delimiters: Delimiters | None = None
        self.findings: list[Finding] = []
        self.index = 0
        self.encoding = "utf-8"
        self._chunks: list[tuple[int, int]] = []  # (byte_offset, first_index) of each chunk
        self._chunk: _Chunk | None = None
        self._empty = 0  # empty segments skipped
        self._seekable_source = source if isinstance(source, (str, os.PathLike)) or (
            isinstance(source, (bytes, bytearray)) and not is_gzip(bytes(source[:2]))) else None

    # -- iteration ---------------------------------------------------------
    def __iter__(self) -> Iterator[list[str]]:
        for parts in self.segment_texts():
            assert self.delimiters is not None
            sep = self.delimiters.element
            for p in parts:
                self.index += 1
                yield p.split(sep)

    def batches(self) -> Iterator[list[list[str]]]:
        """Yield lists of segments, one list per chunk (each segment split).

        A consumer of batches keeps its own count; `index` is not advanced here. A
        batch keeps a list per segment alive: segment_texts() is cheaper to hold.
        """
        for parts in self.segment_texts():
            assert self.delimiters is not None
            sep = self.delimiters.element
            yield [p.split(sep) for p in parts]

    def segment_texts(self) -> Iterator[list[str]]:
        """Yield the segments of each chunk as strings (terminator dropped, not split
        into elements: `delimiters` is the chunk's, while it is being consumed). The
        fast path: strings are not tracked by the cyclic GC, so a consumer that splits
        each segment as it reads it keeps no per-segment container alive. `index` is
        not advanced here."""
        for parts in self._read_chunks(False):
            assert isinstance(parts, list)
            yield parts

    def chunk_texts(self) -> Iterator[str]:
        """Yield each chunk as one string: its segments exactly as segment_texts()
        gives them, each followed by the terminator (`delimiters.segment`). When the
        chunk needed no clean-up (no line breaks, white space or empty segments) this is
        the decoded chunk itself, never split. `index` is not advanced here."""
        for text in self._read_chunks(True):
            assert isinstance(text, str)
            yield text

    def _read_chunks(self, joined: bool) -> Iterator[list[str] | str]:
        fh = self._fh
        size = self.chunk_size
        try:
            data, offset = self._start()
            eof = False
            done = 0  # segments produced so far
            while True:
                while not eof and len(data) < max(size, 512):
                    more = fh.read(size)
                    if more:
                        data += more
                    else:
                        eof = True
                head = data.lstrip()
                if not head:
                    break
                if head.startswith(b"ISA"):  # a new interchange declares its delimiters
                    delims, _, found = parse_isa_delimiters(
                        head[:400].decode("latin-1"), 0, file=self.name, segment_index=done + 1)
                    if delims != self.delimiters:
                        if self.delimiters is None or found:
                            self.findings.extend(found)
                        self.delimiters = delims
                if eof:
                    body, rest = data, b""
                else:
                    assert self.delimiters is not None
                    cut = data.rfind(self.delimiters.segment.encode("latin-1"))
                    if cut < 0:  # no terminator in the whole buffer yet
                        self._check_unterminated(data, offset, done)
                        size *= 2
                        continue
                    body, rest = data[:cut + 1], data[cut + 1:]
                batch, count, consumed = self._split_chunk(body, offset, done, joined)
                data = body[consumed:] + rest if consumed < len(body) else rest
                body = rest = b""   # the chunk's bytes: only _chunk keeps them (positions)
                offset += consumed
                done += count
                if count:
                    yield batch
                batch = ""          # consumed: released before the next chunk is read
                if self._refused is not None:  # the segments before it came out first
                    raise self._refused
                if not count and consumed == 0 and eof:
                    break
            if self._empty > MAX_EMPTY_FINDINGS:
                self.findings.append(Finding(
                    "warning", "empty-segment",
                    f"{self._empty} empty segments skipped in all (the first "
                    f"{MAX_EMPTY_FINDINGS} are listed)", file=self.name))
        finally:
            if self._owned:
                self._fh.close()

    def _start(self) -> tuple[bytes, int]:
        """Read the first chunk; skip a BOM, white space and prose before the ISA."""
        data = self._fh.read(self.chunk_size)
        while len(data) < 512:
            more = self._fh.read(self.chunk_size)
            if not more:
                break
            data += more
        offset = 0
        if data.startswith(_BOM):
            data = data[3:]
            offset = 3
        stripped = data.lstrip()
        offset += len(data) - len(stripped)
        data = stripped
        if not data.startswith(b"ISA"):
            cut = data.find(b"ISA")
            if cut < 0 or not self._looks_like_isa(data, cut):
                raise X12Error(_describe_non_x12(data[:4096]), file=self.name)
            self.findings.append(Finding(
                "warning", "text-before-isa",
                f"{cut} bytes of text before the ISA segment were skipped",
                file=self.name, segment_index=1, segment_id="ISA"))
            data = data[cut:]
            offset += cut
        return data, offset

    # -- limits ------------------------------------------------------------
    def _check_unterminated(self, data: bytes, offset: int, done: int) -> None:
        """The buffer holds no terminator: refuse it once it is longer than a segment may be."""
        if len(data) <= self.max_segment_length:
            return
        head = data.lstrip()
        if len(head.decode(self.encoding, errors="replace")) <= self.max_segment_length:
            return
        term = self.delimiters.segment if self.delimiters else "~"
        raise LimitError(
            f"segment starting at byte {offset + len(data) - len(head):,} has no segment "
            f"terminator {term!r} within {self.max_segment_length:,} characters "
            "(max_segment_length)", file=self.name, segment_index=done + 1)

    def _check_lengths(self, parts: list[str], sep: str, done: int) -> int:
        """The number of segments before the first one longer than max_segment_length or
        with an element longer than max_element_length (len(parts) when none is); the
        error for that segment waits in self._refused."""
        try:
            self._refuse_long(parts, sep, done)
        except X12Error as exc:
            self._refused = exc
            return (exc.segment_index or done + 1) - done - 1
        return len(parts)

    def _refuse_long(self, parts: list[str], sep: str, done: int) -> None:
        limit = self.max_element_length
        for i, part in enumerate(parts):
            if len(part) <= limit:
                continue
            index = done + i + 1
            sid = part.split(sep, 1)[0][:3] or None
            at = self.position(index).byte_offset
            where = f"at byte {at:,}" if at >= 0 else "in this chunk"
            if len(part) > self.max_segment_length:
                raise LimitError(f"segment {where} is {len(part):,} characters long, more than "
                               f"the {self.max_segment_length:,} allowed (max_segment_length)",
                               file=self.name, segment_index=index, segment_id=sid)
            for pos, value in enumerate(part.split(sep)):
                if len(value) > limit:
                    raise LimitError(
                        f"element {pos} of the segment {where} is {len(value):,} characters "
                        f"long, more than the {limit:,} allowed (max_element_length)",
                        file=self.name, segment_index=index, segment_id=sid,
                        element=f"{sid}{pos:02d}" if sid and pos else None)

    @staticmethod
    def _looks_like_isa(data: bytes, at: int) -> bool:
        sep = data[at + 3:at + 4]
        return bool(sep) and not sep.isalnum() and data.count(sep, at, at + 120) >= 16

    def _decode(self, raw: bytes, byte_offset: int, first_index: int) -> str:
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.findings.append(Finding(
                "warning", "encoding",
                f"bytes that are not UTF-8 (first at byte {byte_offset + exc.start}); "
                "the file was read as Latin-1",
                file=self.name, segment_index=first_index + 1))
            self.encoding = "latin-1"
            return raw.decode("latin-1")

    def _split_chunk(self, raw: bytes, byte_offset: int, done: int,
                     joined: bool = False) -> tuple[list[str] | str, int, int]:
        """Split one chunk into segments. Returns (the segments, their number, bytes
        consumed): the segments as a list of strings, or joined (see chunk_texts).

        Stops early, before a later ISA that declares other delimiters, so the
        caller can re-feed the rest.
        """
        d = self.delimiters
        assert d is not None  # set from the ISA before any chunk is split
        self._chunks.append((byte_offset, done + 1))
        self._chunk = _Chunk(byte_offset, done + 1, raw)
        text = self._decode(raw, byte_offset, done)
        consumed = len(raw)
        # A later ISA that declares other delimiters ends this chunk: the caller
        # re-feeds the rest, which then starts with that ISA. (A pre-check found
        # none: every later ISA declares the first one's delimiters.)
        pos = -1 if self.prechecked else text.find("ISA", 1)
        while pos >= 0:
            back = pos - 1
            while back > 0 and text[back] in _WS and text[back] != d.segment:
                back -= 1
            if text[back] == d.segment and len(text) - pos > 3:
                try:
                    new = parse_isa_delimiters(text[pos:pos + 400], 0, file=self.name)[0]
                except X12Error:
                    new = d
                if new != d:
                    text = text[:pos]
                    consumed = len(text.encode(self.encoding))
                    self._chunk = _Chunk(byte_offset, done + 1, raw[:consumed])
                    break
            pos = text.find("ISA", pos + 3)
        segs, count = self._segments_of(text, d, done, joined)
        return segs, count, consumed

    def _segments_of(self, text: str, d: Delimiters, done: int,
                     joined: bool = False) -> tuple[list[str] | str, int]:
        term = d.segment
        if term not in "\r\n":
            if "\n" in text:
                text = text.replace("\n", "")
            if "\r" in text:
                text = text.replace("\r", "")
            if joined and self._clean(text, term):
                return text, text.count(term)
            parts = text.split(term)
        else:
            parts = text.replace("\r\n", "\n").split(term) if term == "\n" else \
                text.replace("\r\n", "\r").split(term)
        if parts and parts[-1].strip(_WS) == "":
            parts.pop()
        if not self.prechecked:
            parts = self._tidy(parts, done)
        sep = d.element
        if not self.prechecked and has_long_run(text, term, self.max_element_length):
            del parts[self._check_lengths(parts, sep, done):]
        if joined:
            return (term.join(parts) + term if parts else ""), len(parts)
        return parts, len(parts)

    def _tidy(self, parts: list[str], done: int) -> list[str]:
        """Indented files lose their leading white space; empty segments are skipped
        (with a finding each for the first few)."""
        # Segment ids never start with white space.
        if any(p[:1] in _WS for p in parts[:8]) or (parts and parts[-1][:1] in _WS):
            parts = [p.strip(_WS) if p[:1] in _WS or p[-1:] in _WS else p for p in parts]
        if "" in parts:
            kept = []
            for p in parts:
                if p:
                    kept.append(p)
                    continue
                self._empty += 1
                if self._empty <= MAX_EMPTY_FINDINGS:
                    self.findings.append(Finding(
                        "warning", "empty-segment",
                        "empty segment (two segment terminators in a row) skipped",
                        file=self.name, segment_index=done + len(kept) + 1))
            parts = kept
        return parts

    def _clean(self, text: str, term: str) -> bool:
        """Whether `text` (line breaks dropped) splits into its segments with nothing
        to clean up, skip or refuse: terminated, no empty segment, none that starts with
        white space, none longer than the limits could allow."""
        if text[-1:] != term:
            return False
        if self.prechecked:
            return True
        return text[:1] not in _WS and self._anomaly(term).search(text) is None and \
            not has_long_run(text, term, self.max_element_length)

    def _anomaly(self, term: str) -> re.Pattern[str]:
        """Finds an empty segment or one that starts with a space or tab (line breaks
        are gone by then)."""
        rx = self._anomalies.get(term)
        if rx is None:
            t = re.escape(term)
            rx = self._anomalies[term] = re.compile(f"{t}[{t} \t]")
        return rx

    # -- positions ---------------------------------------------------------
    def position(self, index: int) -> Position:
        """Byte offset of segment `index` (1-based), computed on demand."""
        chunk = None
        for off, first in reversed(self._chunks):
            if first <= index:
                chunk = (off, first)
                break
        if chunk is None:
            return Position(self.name, -1, index)
        off, first = chunk
        if self._chunk and self._chunk.first_index == first:
            raw = self._chunk.raw
        elif self._seekable_source is not None:
            raw = self._reread(off)
        else:
            return Position(self.name, off, index)
        d = self.delimiters or Delimiters()
        text = raw.decode(self.encoding, errors="replace")
        # Walk the terminators, counting segments the same way _segments_of does.
        n = first - 1
        start = 0
        while start < len(text):
            while start < len(text) and text[start] in _WS:
                start += 1
            end = text.find(d.segment, start)
            if end < 0:
                end = len(text)
            if end > start:
                n += 1
                if n == index:
                    return Position(self.name, off + len(text[:start].encode(self.encoding)), index)
            start = end + 1
        return Position(self.name, off, index)

    def _reread(self, off: int) -> bytes:
        src = self._seekable_source
        if isinstance(src, (bytes, bytearray)):
            return bytes(src[off:off + self.chunk_size * 2])
        assert src is not None
        with open_path(src) as fh:
            fh.seek(off)
            data: bytes = fh.read(self.chunk_size * 2)
            return data


def read_segments(source: Any, name: str | None = None) -> Iterator[list[str]]:
    """Shorthand: iterate the segments of `source`."""
    return iter(SegmentReader(source, name))


def find_segments(source: Any, segment_id: str, ordinals: Any, *,
                  start: int | None = None) -> dict[int, tuple[int, list[str]]]:
    """The occurrences of `segment_id` numbered `ordinals` (0-based, in file order):
    {ordinal: (segment index, the segment's elements)}, reading no further than the
    last one wanted. For what is rarely needed and not worth keeping for every segment
    of a read (the CLM index of a claim refused after the reader accepted it). A file
    object is read from `start` (default: where it stands) and put back where it
    stood. A part of the file that cannot be read ends the search: what was found is
    returned."""
    wanted = set(ordinals)
    found: dict[int, tuple[int, list[str]]] = {}
    if not wanted:
        return found
    seekable = not isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview))
    back = source.tell() if seekable else None
    if seekable and start is not None:
        source.seek(start)
    last, seen = max(wanted), 0
    reader = SegmentReader(source)
    segments = iter(reader)
    try:
        for seg in segments:
            if seg[0] != segment_id:
                continue
            if seen in wanted:
                found[seen] = (reader.index, seg)
            if seen >= last:
                break
            seen += 1
    except X12Error:
        pass
    finally:
        getattr(segments, "close")()   # a generator: closes the file the reader opened
        if back is not None:
            source.seek(back)
    return found
