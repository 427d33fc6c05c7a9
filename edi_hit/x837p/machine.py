# The 837P loop machine: segments in, Claim objects (and rejections) out, in one loop.
#
# Strategy: one dispatch table per reading state, compiled once from the loop
# declaration (loops.py). TABLES[state][segment id] is (handler, next state), or for
# NM1 a dict keyed by NM101; a segment the table of its state does not name cannot be
# placed there, and gets the state's UNPLACED entry: out of place (an SV1 in a 2310A,
# a second SBR in a 2000B), missing (not the SV1 that must follow an LX), outside a
# transaction set, or skipped (after a rejection). Nothing is detected by catching an
# exception from a handler: a handler only ever sees a segment its loop declares.
# States are the loops, plus "X@" for a loop whose second segment is required right
# after its first (HL*22 then SBR, LX then SV1, ST then BHT), "ENV" between
# transaction sets and "SKIP" after a rejection.
#
# The segments that open or close something (CLM, HL and the envelope segments) have
# next state None: they go through the reject bookkeeping (rejects.RejectBook), which
# first checks what the state still owes (MISSING, from loops.missing: a claim left
# without lines, a subscriber without NM1*IL), closes the claim being read and then
# runs the handler. A refused segment (a handler's Bad, or one that cannot be placed)
# goes there too. Raise mode and reject mode are this one loop: reject mode hands out
# a RejectedClaim where raise mode raises its first finding as an X12Error (and raise
# mode raises an error finding as soon as it is recorded), so raise mode is reject mode
# stopping at its first rejection.
#
# Memory: one chunk of input, the claim being read (a loop that runs past
# max_loop_segments segments is refused), and, for a source that cannot be read twice,
# the open transaction set. The segment reader bounds segment and element lengths.
from __future__ import annotations

from typing import Any, Callable, Generator, Iterator

from ..claims import Claim, RejectedClaim
from ..errors import ArgumentError, Finding, X12Error
from ..x12 import SegmentReader
from ..x12.prescan import EnvelopeScan, Verdict, rereadable
from ..x12.reader import MAX_ELEMENT_LENGTH, MAX_SEGMENT_LENGTH
from . import claim_handlers as C
from . import handlers as H
from .handlers import Bad, OutOfPlace
from .loops import BY_ID, LOOPS, missing, reachable
from .rejects import PrecheckMismatch, RejectBook, gc_pause, gc_resume

__all__ = ["ClaimReader", "TABLES", "UNPLACED", "MISSING", "MAX_LOOP_SEGMENTS"]

# The most segments one loop instance (a claim with its lines, an HL level, a header)
# may carry before it is refused: the TR3's limits allow about 8,500 in a claim.
MAX_LOOP_SEGMENTS = 20_000
DROPPED: Any = None   # what a handed-out claim leaves in the list it came from

# A handler: (state, segment, loop) -> the next loop (boundary segments) or None.
Handler = Callable[[H.State, list[str], str], Any]
# (handler, next state); next state None: the segment goes through the bookkeeping.
Entry = tuple[Handler, "str | None"]
Table = dict[str, Any]   # segment id -> Entry, or for NM1 {NM101: Entry}

# (loop or "*", segment id) -> handler of a segment the model names.
_MEMBER: dict[tuple[str, str], Handler] = {
    ("1000A", "PER"): H.per,
    ("2000A", "PRV"): H.prv,
    ("2010AA", "REF"): H.billing_ref,
    ("2300", "DTP"): H.dtp, ("2300", "REF"): H.ref, ("2300", "NTE"): H.nte, ("2300", "HI"): C.hi,
    ("2400", "DTP"): C.line_dtp, ("2400", "REF"): C.line_ref, ("2400", "NTE"): H.nte,
    ("2410", "CTP"): C.ctp, ("2410", "REF"): H.ref,
    ("*", "N3"): H.n3, ("*", "N4"): H.n4, ("*", "REF"): H.ref, ("*", "PER"): H.per,
    ("*", "PRV"): H.prv, ("*", "DMG"): H.dmg,
}
# The required second segment of a loop (read in state "X@").
_SECOND: dict[tuple[str, str], Handler] = {("HEADER", "BHT"): H.bht, ("2000B", "SBR"): H.sbr, ("2000C", "PAT"): H.pat,
           ("2400", "SV1"): C.sv1}
# Loop -> the handler of the segment that opens it.
_START: dict[str, Handler] = {
    "1000A": H.submitter, "1000B": H.receiver, "2010AA": H.billing_nm1, "2010AB": H.pay_to,
    "2010AC": H.pay_to_plan, "2010BA": H.subscriber_nm1, "2010BB": H.payer_nm1,
    "2010CA": H.patient_nm1, "2400": C.lx, "2410": C.lin,
}
_BOUNDARY: dict[str, Handler] = {"ISA": H.isa, "GS": H.gs, "ST": H.st_, "SE": H.se, "GE": H.se, "IEA": H.se,
             "HL": H.hl, "CLM": C.clm}


def _start_of(loop: str) -> Handler:
    d = BY_ID[loop]
    if d.raw:
        return H.raw_line if loop.startswith("24") else H.raw_claim
    if loop.startswith("231"):
        return H.claim_party
    if loop.startswith("242"):
        return H.line_party
    return _START[loop]


def _state_after_start(loop: str) -> str:
    return f"{loop}@" if BY_ID[loop].leading > 1 else loop


def _expecting(loop: str, sid: str) -> Handler:
    first = BY_ID[loop].segments[0] if loop != "HEADER" else "ST"

    def missing_second(st: H.State, seg: list[str], state: str) -> None:
        raise OutOfPlace(None, f"{sid} right after {first}", seg[0], f"loop {loop} has no {sid}")
    return missing_second


def _outside_clm(st: H.State, seg: list[str], loop: str) -> str:
    raise Bad(None, "an ST transaction set header before it", seg[0],
              "claim outside a transaction set")


def _skip(st: H.State, seg: list[str], loop: str) -> None:
    """After a rejection: segments up to the next CLM, HL or envelope segment."""


def _add_trigger(table: Table, loop: str, entry: Entry) -> None:
    d = BY_ID[loop]
    if d.trigger == "NM1":
        by_qualifier = table.setdefault("NM1", {})
        for q in d.qualifiers or ():
            by_qualifier.setdefault(q, entry)
    else:
        assert d.trigger is not None and d.trigger not in table, (loop, d.trigger)
        table[d.trigger] = entry


def _compile() -> tuple[dict[str, Table], dict[str, Entry]]:
    boundary: Table = {sid: (h, None) for sid, h in _BOUNDARY.items()}
    tables: dict[str, Table] = {}
    unplaced: dict[str, Entry] = {}
    for d in LOOPS:
        table: Table = {}
        # 1. the loop's own segments after its leading ones (modelled, else raw)
        for sid in d.segments[d.leading:]:
            if d.raw or sid not in d.modelled:
                table[sid] = (H.raw, d.loop)
            else:
                h = _MEMBER.get((d.loop, sid)) or _MEMBER.get(("*", sid))
                assert h is not None, (d.loop, sid)
                table[sid] = (h, d.loop)
        # 2. loops a segment may open from here, nearest first
        for target in reachable(d.loop):
            if BY_ID[target].trigger not in _BOUNDARY:
                _add_trigger(table, target, (_start_of(target), _state_after_start(target)))
        table.update(boundary)
        tables[d.loop] = table
        unplaced[d.loop] = (H.in_raw_loop, None) if d.raw else (H.out_of_place, d.loop)
        # 3. a required second segment: its own state
        if d.leading > 1 or d.loop == "HEADER":
            second = d.segments[1] if d.loop != "HEADER" else d.segments[0]
            state = f"{d.loop}@"
            tables[state] = {second: (_SECOND[(d.loop, second)], d.loop), **boundary}
            unplaced[state] = (_expecting(d.loop, second), state)
    tables["ENV"] = {**boundary, "CLM": (_outside_clm, None), "TA1": (H.ignore, "ENV")}
    unplaced["ENV"] = (H.outside, None)  # recorded by RejectBook.boundary
    tables["SKIP"] = dict(boundary)
    unplaced["SKIP"] = (_skip, "SKIP")
    return tables, unplaced


TABLES, UNPLACED = _compile()
# State -> (the loop that still requires something, what) when the file moves on there.
MISSING: dict[str, tuple[str, str]] = {
    **{d.loop: m for d in LOOPS if (m := missing(d.loop)) is not None},
    **{f"{d.loop}@": (d.loop, d.segments[1] if d.loop != "HEADER" else "BHT")
       for d in LOOPS if d.leading > 1 or d.loop == "HEADER"},
}


class ClaimReader:
    """Iterator of Claim objects (and, errors="reject", RejectedClaims) from one 837P
    source; `findings` holds warnings and errors. See read_837p."""

    def __init__(self, source: Any, *, name: str | None = None, errors: str = "raise",
                 envelope: str = "reject", envelope_verdicts: list[Verdict] | None = None,
                 max_segment_length: int = MAX_SEGMENT_LENGTH,
                 max_element_length: int = MAX_ELEMENT_LENGTH,
                 max_loop_segments: int = MAX_LOOP_SEGMENTS):
        if errors not in ("raise", "reject"):
            raise ArgumentError(f"read_837p: errors must be 'raise' or 'reject', not {errors!r}")
        if envelope not in ("reject", "warn"):
            raise ArgumentError(f"read_837p: envelope must be 'reject' or 'warn', not {envelope!r}")
        if envelope_verdicts is not None and not isinstance(envelope_verdicts, list):
            raise TypeError("envelope_verdicts must be a list (prescan.check_transaction_sets' result) "
                            f"or None, not {type(envelope_verdicts).__name__}")
        if not isinstance(max_loop_segments, int) or max_loop_segments < 1:
            raise TypeError(f"max_loop_segments must be a positive int, not {max_loop_segments!r}")
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

    def __iter__(self) -> ClaimReader:
        return self

    def __next__(self) -> Claim | RejectedClaim:
        return next(self._iter)

    def close(self) -> None:
        """Stop reading (closes the file; when holding a set, resumes the GC at once)."""
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
        seg.lengths_checked = scan.fast  # the fast pass found no over-long segment
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
        tables, unplaced_of, missing_of = TABLES, UNPLACED, MISSING
        loop = "ENV"
        get = tables[loop].get
        unplaced = unplaced_of[loop]
        index = 0
        limit = self.max_loop_segments
        segments = self._segments
        seen_findings = 0  # segment reader findings already looked at (raise mode)
        # Holding a set: pause the collector (see rejects.gc_pause). Streaming needs none.
        hold = verdicts is None
        if hold:
            gc_pause()
        paused = hold
        try:
            for batch in segments.batches():
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
                        try:
                            nl = book.boundary(h, seg, index, loop, missing_of.get(loop))
                        except Bad as bad:
                            nl = book.refused(bad, seg, index, loop)
                    if nl is not loop:
                        loop = nl
                        get = tables[nl].get
                        unplaced = unplaced_of[nl]
                    if out:
                        if raising:
                            for item in out:
                                if item.__class__ is RejectedClaim:
                                    yield from self._hand_out_or_raise(book)
                        if not hold:
                            yield from out
                            out.clear()
                            continue
                        # Hand out the set with the collector still paused, dropping
                        # each claim from `out` as it goes; resume it for the last one.
                        last = len(out) - 1
                        for i in range(last + 1):
                            item = out[i]
                            out[i] = DROPPED
                            if i == last:
                                gc_resume()
                                paused = False
                            yield item
                        out.clear()
                        item = DROPPED
                        gc_pause()
                        paused = True
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
        finally:
            if paused:
                gc_resume()
        if raising:
            yield from self._hand_out_or_raise(book)
        else:
            yield from out
            out.clear()

    @staticmethod
    def _hand_out_or_raise(book: RejectBook) -> Iterator[Claim]:
        """Raise mode: the claims before the first rejection, then its error."""
        out = book.out
        items = list(out)
        out.clear()
        for item in items:
            if isinstance(item, RejectedClaim):
                raise book.error_for(item)
            yield item

    def _raise_segment_errors(self, start: int) -> None:
        for f in self._segments.findings[start:]:
            if f.severity == "error":
                raise X12Error(f.message, file=f.file or self.name,
                               segment_index=f.segment_index, segment_id=f.segment_id,
                               element=f.element)
