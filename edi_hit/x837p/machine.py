# The 837P loop machine: segments in, Claim objects (and rejections) out, in one loop.
#
# Strategy: one dispatch table per reading state (tables.py, compiled once from the
# loop declaration): TABLES[state][segment id] is (handler, next state); a segment the
# table of its state does not name gets the state's UNPLACED entry (out of place,
# missing, outside a transaction set, skipped after a rejection). Nothing is detected
# by catching an exception from a handler: a handler only ever sees a segment its loop
# declares.
#
# The segments that open or close something (CLM, HL and the envelope segments) have
# next state None: they go through the reject bookkeeping (rejects.RejectBook), which
# first checks what the state still owes (MISSING, from loops.missing: a claim left
# without lines, a subscriber without NM1*IL), closes the claim being read and then
# runs the handler. A refused segment (a handler's Bad, or one that cannot be placed)
# goes there too. Raise mode and reject mode are this one loop: reject mode hands out
# a RejectedClaim where raise mode raises its first finding as an X12Error (and raise
# mode raises an error finding as soon as it is recorded), so raise mode is reject mode
# stopping at its first rejection. A lazy read is this one loop too: only its segments
# come differently (lazy.units: a Unit or a Run stands for a run of segments of a
# common shape, which the HL and CLM handlers of LAZY_TABLES keep as text).
#
# Memory: one chunk of input, the claim being read (a loop that runs past
# max_loop_segments segments is refused), and, for a source that cannot be read twice,
# the open transaction set. The segment reader bounds segment and element lengths. The
# segments of a chunk are split one at a time, as the loop reads them, so no list per
# segment of a chunk stays alive: the cyclic GC has nothing of the input to scan, and
# the reader never touches the collector's settings.
from __future__ import annotations

from itertools import repeat
from typing import Any, Generator, Iterable, Iterator

from ..claims import Claim, RejectedClaim
from ..errors import ArgumentError, Finding, X12Error
from ..x12 import SegmentReader
from ..x12.prescan import EnvelopeScan, Verdict, rereadable
from ..x12.reader import MAX_ELEMENT_LENGTH, MAX_SEGMENT_LENGTH
from . import handlers as H
from .handlers import Bad
from .lazy import LAZY_TABLES, Run, Unit, decoded, units
from .rejects import PrecheckMismatch, RejectBook
from .tables import MISSING, TABLES, UNPLACED

__all__ = ["ClaimReader", "TABLES", "UNPLACED", "MISSING", "MAX_LOOP_SEGMENTS"]

# The most segments one loop instance (a claim with its lines, an HL level, a header)
# may carry before it is refused: the TR3's limits allow about 8,500 in a claim.
MAX_LOOP_SEGMENTS = 20_000
DROPPED: Any = None   # what a handed-out claim leaves in the list it came from

class ClaimReader:
    """Iterator of Claim objects (and, errors="reject", RejectedClaims) from one 837P
    source; `findings` holds warnings and errors. See read_837p."""

    def __init__(self, source: Any, *, name: str | None = None, errors: str = "raise",
                 envelope: str = "reject", envelope_verdicts: list[Verdict] | None = None,
                 max_segment_length: int = MAX_SEGMENT_LENGTH,
                 max_element_length: int = MAX_ELEMENT_LENGTH,
                 max_loop_segments: int = MAX_LOOP_SEGMENTS, lazy: bool = False):
        if errors not in ("raise", "reject"):
            raise ArgumentError(f"read_837p: errors must be 'raise' or 'reject', not {errors!r}")
        if envelope not in ("reject", "warn"):
            raise ArgumentError(f"read_837p: envelope must be 'reject' or 'warn', not {envelope!r}")
        if envelope_verdicts is not None and not isinstance(envelope_verdicts, list):
            raise TypeError("envelope_verdicts must be a list (prescan.check_transaction_sets' result) "
                            f"or None, not {type(envelope_verdicts).__name__}")
        if not isinstance(max_loop_segments, int) or max_loop_segments < 1:
            raise TypeError(f"max_loop_segments must be a positive int, not {max_loop_segments!r}")
        if not isinstance(lazy, bool):
            raise TypeError(f"lazy must be True or False, not {lazy!r}")
        self.lazy = lazy
        self._segments = SegmentReader(source, name, max_segment_length=max_segment_length,
                                       max_element_length=max_element_length)
        self.name = self._segments.name
        self.errors = errors
        self.envelope = envelope
        self.max_loop_segments = max_loop_segments
        self._source = source  # for the pre-check
        self._verdicts = envelope_verdicts
        self._streaming: bool | None = None
        self._state = H.State(self.name)
        self.findings: list[Finding] = self._state.findings
        self._book: RejectBook | None = None
        self._iter = self._run()

    def __iter__(self) -> Iterator[Claim | RejectedClaim]:
        return self._iter   # a for loop then steps the generator itself, at C speed

    def __next__(self) -> Claim | RejectedClaim:
        return next(self._iter)

    def close(self) -> None:
        """Stop reading (closes the file)."""
        self._iter.close()

    def __enter__(self) -> ClaimReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def counts(self) -> dict[str, int]:
        """{"seen", "accepted", "rejected"}: every CLM once (final when exhausted)."""
        b = self._book
        if b is None:
            return {"seen": 0, "accepted": 0, "rejected": 0}
        return {"seen": b.seen, "accepted": b.accepted, "rejected": b.rejected_count}

    @property
    def segment_findings(self) -> list[Finding]:
        return self._segments.findings

    @property
    def all_findings(self) -> list[Finding]:
        return self._segments.findings + self.findings

    @property
    def streaming(self) -> bool | None:
        """Whether claims are handed out as they complete (on the envelope pre-check's
        verdicts) rather than held until their SE; None before reading."""
        return self._streaming

    def _verdicts_for(self, source: Any) -> list[Verdict] | None:
        if self._verdicts is not None:
            return self._verdicts
        if not rereadable(source):
            return None
        seg = self._segments
        scan = EnvelopeScan(self.name, envelope=self.envelope,
                            max_segment_length=seg.max_segment_length,
                            max_element_length=seg.max_element_length)
        verdicts = scan.run(source)
        seg.prechecked = scan.fast  # the fast pass found the file plain
        return verdicts

    def _run(self) -> Generator[Claim | RejectedClaim, None, None]:
        verdicts = self._verdicts_for(self._source)
        self._source = None
        self._streaming = verdicts is not None
        raising = self.errors == "raise"
        book = RejectBook(self, verdicts, lenient_envelope=self.envelope == "warn",
                          raising=raising, max_loop_segments=self.max_loop_segments)
        self._book = book
        st = self._state
        out = book.out
        # A set held until its SE (a source read once) is held as text, like a lazy read's
        # claims (a few objects a claim instead of about fifty for the cyclic GC to scan
        # again and again); an eager read decodes each claim as it hands it out.
        hold = verdicts is None
        lane = self.lazy or hold
        settle = hold and not self.lazy
        tables, unplaced_of, missing_of = LAZY_TABLES if lane else TABLES, UNPLACED, MISSING
        loop = "ENV"
        get = tables[loop].get
        unplaced = unplaced_of[loop]
        index = 0
        limit = self.max_loop_segments
        segments = self._segments
        seen_findings = 0  # segment reader findings already looked at (raise mode)
        try:
            for batch in self._batches(book, lane):
                if raising and len(segments.findings) > seen_findings:
                    self._raise_segment_errors(seen_findings)
                    seen_findings = len(segments.findings)
                for seg in batch:
                    index += 1
                    entry = get(seg[0])
                    if entry.__class__ is not tuple:
                        if entry is None:
                            entry = unplaced
                        else:
                            entry = entry.get(seg[1] if len(seg) > 1 else "", unplaced)
                    h, nl = entry
                    if nl is not None:   # a segment inside a loop: the common case
                        try:
                            h(st, seg, nl)
                        except Bad as bad:
                            nl = book.refused(bad, seg, index, loop)
                        else:
                            if nl is not loop:
                                loop = nl
                                get = tables[nl].get
                                unplaced = unplaced_of[nl]
                            continue
                    else:                # CLM, HL, an envelope segment: the bookkeeping
                        if seg.__class__ is Run:    # lazy: claims read in a row, clean
                            book.take_run(seg, index)
                            index += seg.after
                            nl = seg.end
                        else:
                            try:
                                nl = book.boundary(h, seg, index, loop, missing_of.get(loop))
                            except Bad as bad:
                                nl = book.refused(bad, seg, index, loop)
                            if seg.__class__ is Unit:   # lazy: the run it opens came with it
                                index += seg.after      # (and is skipped when it is refused)
                    if nl is not loop:
                        loop = nl
                        get = tables[nl].get
                        unplaced = unplaced_of[nl]
                    if out:
                        if hold or raising and book.rejected_count:
                            yield from self._hand_out(book, settle)
                        else:   # streaming, nothing rejected (yet): the common case
                            yield from out
                            out.clear()
                if index - book.last_boundary >= limit and loop not in ("SKIP", "ENV"):
                    # memory: a loop that runs on is refused before the next boundary
                    loop = book.too_long(loop)
                    get = tables[loop].get
                    unplaced = unplaced_of[loop]
            if raising and len(segments.findings) > seen_findings:
                self._raise_segment_errors(seen_findings)
            book.finish(index)
        except PrecheckMismatch:
            raise
        except X12Error as exc:  # the segment reader cannot go on (a broken later ISA)
            if index == 0 or raising:
                raise
            book.finish(index, exc.to_finding("unreadable"))
        yield from self._hand_out(book, settle)

    def _hand_out(self, book: RejectBook, settle: bool) -> Iterator[Claim | RejectedClaim]:
        """The claims ready to go out, each dropped from the book as it goes (the reader
        keeps none alive once handed out), decoded when `settle`; raise mode stops at
        the first rejection with its error."""
        out = book.out
        raising = self.errors == "raise"
        for i in range(len(out)):
            item = out[i]
            out[i] = DROPPED
            if item.__class__ is RejectedClaim:
                if raising:
                    out.clear()
                    raise book.error_for(item)
            elif settle:
                decoded(item)
            yield item
        out.clear()

    def _batches(self, book: RejectBook, lane: bool) -> Iterator[Iterable[list[str]]]:
        """The segments of each chunk, split as the loop reads them: a list per segment
        dies with its segment (nothing per segment of a chunk for the cyclic GC to
        scan). A lazy read gets Units for the runs of a common shape (lazy.units)."""
        segments = self._segments
        if lane:
            for text in segments.chunk_texts():
                d = segments.delimiters
                assert d is not None
                yield units(text, d.element, d.component, d.segment, self._state, book.clean,
                            self.max_loop_segments)
        else:
            for parts in segments.segment_texts():
                assert segments.delimiters is not None
                yield map(str.split, parts, repeat(segments.delimiters.element))

    def _raise_segment_errors(self, start: int) -> None:
        for f in self._segments.findings[start:]:
            if f.severity == "error":
                raise X12Error(f.message, file=f.file or self.name,
                               segment_index=f.segment_index, segment_id=f.segment_id,
                               element=f.element)
