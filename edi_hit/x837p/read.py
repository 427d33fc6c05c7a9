# read_837p: the one entry point of the 837P reader.
#
# Strategy: the reader is a few modules, each readable in one sitting: loops.py (the
# loop structure as data), elements.py (where each field sits in its segment),
# tables.py (the dispatch tables compiled from loops.py), machine.py (the loop machine,
# one loop for every mode), handlers.py and claim_handlers.py (one function per segment
# the claim model names), rejects.py (what is rejected and why, streamed or held by
# transaction set), shapes.py and lazy.py (the lazy read: common shapes recognised at C
# speed, claims decoded on first access). This module checks the arguments and
# documents the contract.
from __future__ import annotations

import os
from typing import Any

from ..x12.reader import MAX_ELEMENT_LENGTH, MAX_SEGMENT_LENGTH
from .handlers import TOLERATED_VERSIONS, VERSION
from .machine import MAX_LOOP_SEGMENTS, ClaimReader
from .rejects import RejectLog

__all__ = ["read_837p", "ClaimReader", "RejectLog", "VERSION", "TOLERATED_VERSIONS"]


def _check_source(source: object) -> None:
    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        return
    if callable(getattr(source, "read", None)):
        return
    raise TypeError("read_837p: source must be a path, bytes or a binary file object, "
                    f"not {type(source).__name__}")


def read_837p(source: Any, *, name: str | None = None, errors: str = "raise",
              envelope: str = "reject", envelope_verdicts: list[Any] | None = None,
              max_segment_length: int = MAX_SEGMENT_LENGTH,
              max_element_length: int = MAX_ELEMENT_LENGTH,
              max_loop_segments: int = MAX_LOOP_SEGMENTS, lazy: bool = False) -> ClaimReader:
    """Read an 837P file (path, bytes or binary file) and yield its claims one by one.

    The returned iterator has `.findings` (warnings and errors of the read),
    `.segment_findings` (syntax-level ones from the segment reader) and `.counts`
    ({"seen", "accepted", "rejected"}, final once the iterator is exhausted).

    errors="reject": partial acceptance, as a clearinghouse does it. The iterator
    yields Claim objects and, in place of each claim that cannot be accepted, an
    edi_hit.claims.RejectedClaim with a one-line reason and its findings:
      * a bad value inside a claim rejects that claim; the reader skips to the next
        CLM, HL or envelope segment and goes on;
      * a segment the loop table cannot place (an SV1 before any LX, a second SBR in
        a subscriber loop, a DTP after a line's 2420A) or a loop left without what it
        requires (an LX without SV1, a claim without lines, a subscriber without
        NM1*IL) rejects its claim; inside a claim it also rejects the claims that
        follow under the same HL (the structure is broken there);
      * a bad value outside a claim (billing provider, subscriber, BHT, a GS08 or
        ST01 that is not 837P ...) rejects every claim of its unit: the HL level up
        to the next HL at the same or a higher level, or the transaction set, group
        or interchange;
      * SE01 or SE02 wrong, or no SE at all (truncated file, an ST/GE/IEA first),
        rejects every claim of the transaction set.
    GE and IEA are checked too, but the claims of their sets were already handed
    out: their problems (and every other envelope finding) are error findings in
    `.findings`, not rejections. So are segments outside any transaction set.

    errors="raise" (default): the same read, stopping at the first problem: the
    claims reject mode would hand out before its first rejection come out, then the
    first finding of that rejection is raised as an X12Error (file, segment index,
    segment id, element, what was expected and what was found). An error finding
    (GE01 wrong, a segment outside any transaction set, an ISA that is not fixed
    width) is raised as soon as it is found.

    envelope="warn": for converting imperfect files. Count and control-number
    mismatches of the envelope (SE01, SE02/ST02, GE01, GE02/GS06, IEA01, IEA02/ISA13)
    are warnings that reject nothing; everything else is as above. Default "reject".

    Claims stream one at a time when the source can be read twice (a path, bytes, a
    seekable file): a C-speed envelope pre-check (edi_hit.x12.prescan.
    check_transaction_sets) first gives every transaction set's verdict, so the claims
    of a broken set are handed out already rejected. Pass `envelope_verdicts` (that
    function's result for this source, name and envelope mode) when it was computed
    already. A source that can be read only once (a pipe) has each set's claims held
    until the set ends, kept as their segments' text and built as they are handed out:
    memory is then about the size of one transaction set in the file.

    lazy=True: the claims keep their segments and decode them the first time one of
    their fields is asked for (edi_hit.x837p.lazy): a read that only counts claims,
    routes them or looks at a few of them costs a fraction of an eager one. Claims,
    rejections, findings and counts are exactly an eager read's: whether a claim is
    accepted is decided while reading, as eagerly, and a claim whose segments have an
    uncommon shape is simply read eagerly. A lazy claim is an instance of a subclass of
    Claim (its subscriber and payer likewise); its first access turns it into a plain
    Claim with the values an eager read gives (same fields, types and to_dict).

    Bounded input: a segment longer than max_segment_length characters, an element
    longer than max_element_length, or a loop (a claim with its lines, an HL level)
    of more than max_loop_segments segments is refused; the first two stop the read
    (an X12Error naming the byte offset), the last rejects its claim or unit.
    Every CLM counts once: counts["seen"] == counts["accepted"] + counts["rejected"].
    Input that is not X12 at all raises X12Error.
    """
    _check_source(source)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"read_837p: name must be a str or None, not {type(name).__name__}")
    return ClaimReader(source, name=name, errors=errors, envelope=envelope,
                       envelope_verdicts=envelope_verdicts,
                       max_segment_length=max_segment_length,
                       max_element_length=max_element_length,
                       max_loop_segments=max_loop_segments, lazy=lazy)
