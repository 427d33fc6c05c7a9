# One large file on several cores: validate()'s pass split by transaction set.
#
# Strategy: at levels 1-4 a transaction set is checked on its own, except for the
# envelope around it (ISA/GS/GE/IEA counts and control numbers, unique ids) and a few
# caps that count across the file. So a file whose envelope is plain is cut, between
# two transaction sets, into `jobs` runs of about equal bytes; each run is validated by
# the ordinary pass (engine._Pass, all its levels, edi-hit's TR3 engine inline) in a
# process of its own (forked: the maps and tables are shared), the first run in this
# one. A run other than the first starts with the ISA and GS it lies in, read again
# and numbered just before the run, so every checker is where the whole-file pass
# would be at that ST; what is found there is the first run's, and dropped. A run
# keeps the issues of its own segments, its transaction sets (claims included) and
# its segment count, and sends them back pickled. This process reads only the envelope
# segments (a C-speed search of the mapped file), feeds them to the x12 layer's
# EnvelopeTracker (the envelope findings are its own, as in the whole-file pass), builds
# the interchange/group tree, and hangs the runs' transaction sets in it. The issues
# come in file order, each run's as the whole-file pass would have added them, so the
# report is the same, issue for issue, as with one process.
#
# What is plain (plan() says None otherwise, and the whole-file pass runs, with level 2
# in a child for a large file: tr3map/remote.py): a file on disk that starts with its
# ISA, UTF-8, line breaks only after terminators, no empty segment, every ISA 00501
# with the first one's delimiters, envelopes that open and close in order with nothing
# between them (ISA GS (ST..SE)+ GE .. IEA), and no ISA13, GS06 (in its interchange) or
# ST02 (in its group) used twice. A file of one huge transaction set cannot be cut: it
# runs on one core, level 2 beside it. A run whose read fails (a segment over the
# reader's limits) sends the file back to the whole-file pass: its findings need the
# file's own byte offsets.
from __future__ import annotations

import codecs
import io
import mmap
import multiprocessing
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import EdiHitError
from ..x12 import EnvelopeTracker
from ..x12.delimiters import Delimiters, parse_isa_delimiters
from .report import GroupResult, InterchangeResult, Issue, TransactionResult, ValidationReport
from .syntax import CONTROL_FINDINGS

__all__ = ["Plan", "Run", "plan", "run_shards", "SHARD_MIN_BYTES"]

# Below this a second process costs more than it saves (about 100,000 segments).
SHARD_MIN_BYTES = 2_000_000
Envelope = list[tuple[list[str], int]]     # (segment, index) of each envelope segment
# What may follow each envelope segment in a tight file (ST..SE: the set's own segments).
_NEXT = {"ISA": ("GS",), "GS": ("ST",), "ST": ("SE",), "SE": ("ST", "GE"),
         "GE": ("GS", "IEA"), "IEA": ("ISA",)}


@dataclass
class Run:
    """Segments [first, stop) of the file, bytes [start, end); `prime`: the ISA and GS
    it lies in (empty for the first run)."""

    first: int
    stop: int
    start: int
    end: int
    prime: bytes = b""


@dataclass
class Plan:
    path: str
    delimiters: Delimiters
    envelope: Envelope
    segments: int
    runs: list[Run] = field(default_factory=list)


# -- the plan -------------------------------------------------------------------------
def plan(path: str, jobs: int) -> Plan | None:
    """How to cut `path` into up to `jobs` runs, or None when it cannot be cut."""
    if jobs < 2:
        return None
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size < SHARD_MIN_BYTES:
                return None
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        return _plan(path, data, jobs)
    finally:
        data.close()


def _plan(path: str, data: mmap.mmap, jobs: int) -> Plan | None:
    if data[:3] != b"ISA":
        return None
    try:
        delims, _, found = parse_isa_delimiters(data[:400].decode("latin-1"), 0)
    except EdiHitError:
        return None
    elem, term = delims.element, delims.segment
    if found or not (elem.isascii() and term.isascii()) or term in " \t\r\n" or elem == term:
        return None
    scanned = _scan(data, delims)
    if scanned is None or not _tight(scanned[0], delims):
        return None
    envelope, starts, segments = scanned
    p = Plan(path, delims, envelope, segments)
    p.runs = _cut(data, envelope, starts, segments, jobs, term.encode("ascii"))
    return p if len(p.runs) > 1 else None


_STEP = 1 << 23


def _scan(data: mmap.mmap, d: Delimiters) -> tuple[Envelope, list[int], int] | None:
    """([(segment, index)] of the envelope segments, [byte offset of each], segments in
    the file), in chunks of about _STEP bytes cut after a terminator and its line break;
    None when the file is not plain: not UTF-8, a CR/LF anywhere but right after a
    terminator, an empty segment or one that starts with white space, or anything but
    line breaks after the last terminator."""
    t, e = d.segment.encode("ascii"), d.element.encode("ascii")
    last = data.rfind(t)
    if last < 0 or data[last + 1:].strip(b"\r\n"):
        return None
    bad = re.compile(re.escape(t) + rb"(?>(?:\r?\n)?)[ \t\r\n" + re.escape(t) + rb"]")
    pat = re.compile(re.escape(t) + rb"(?:\r?\n)?(?=(?:ISA|GS|ST|SE|GE|IEA)[" +
                     re.escape(e) + re.escape(t) + rb"])")
    decoder = codecs.getincrementaldecoder("utf-8")()
    envelope: Envelope = []
    starts: list[int] = []

    def take(at: int, index: int) -> None:
        envelope.append((data[at:data.find(t, at)].decode("utf-8").split(d.element), index))
        starts.append(at)

    take(0, 1)
    before = 0       # terminators in the chunks before this one
    at, size = 0, len(data)
    while at < size:
        end = data.rfind(t, at, at + _STEP) + 1 if at + _STEP < size else size
        if end <= at:
            return None          # a segment of 8 MB: the reader refuses it
        while end < size and data[end:end + 1] in (b"\r", b"\n"):
            end += 1
        chunk = data[at:end]
        try:
            if not chunk.isascii():
                decoder.decode(chunk)
        except UnicodeDecodeError:
            return None
        crlf = chunk.count(t + b"\r\n")
        if chunk.count(b"\n") != crlf + chunk.count(t + b"\n") or chunk.count(b"\r") != crlf:
            return None
        if bad.search(data, at, min(end + 1, last + 1)) is not None:
            return None
        counted = counted_to = 0      # terminators in chunk[:counted_to]
        for m in pat.finditer(data, at, end):
            counted += chunk.count(t, counted_to, m.start() - at)
            counted_to = m.start() - at
            # the terminator at m.start() ends segment (terminators before it) + 1
            take(m.end(), before + counted + 2)
        before += counted + chunk.count(t, counted_to)
        at = end
    return envelope, starts, before


def _tight(envelope: Envelope, d: Delimiters) -> bool:
    """Envelopes in order with nothing between them; every ISA 00501 with the same
    delimiters; no control number used twice where the TR3 reader looks."""
    sep = d.component
    prev, prev_index = None, 0
    isa13: set[str] = set()
    gs06: set[str] = set()
    st02: set[str] = set()
    for seg, index in envelope:
        sid = seg[0]
        if prev is None:
            if sid != "ISA":
                return False
        elif sid not in _NEXT[prev] or (sid != "SE" and index != prev_index + 1):
            return False
        if sid == "ISA":
            text = d.element.join(seg) + d.segment
            try:
                other = parse_isa_delimiters(text + "GS", 0)[0]
            except EdiHitError:
                return False
            if other != d or len(seg) < 17 or seg[12] != "00501":
                return False
            isa13, gs06 = _once(isa13, seg[13].rstrip(sep)), set()
        elif sid == "GS":
            gs06, st02 = _once(gs06, _el(seg, 6).rstrip(sep)), set()
        elif sid == "ST":
            st02 = _once(st02, _el(seg, 2).rstrip(sep))
        if not (isa13 and (sid in ("ISA", "IEA") or gs06) and (sid not in ("ST",) or st02)):
            return False
        prev, prev_index = sid, index
    return prev == "IEA"


def _once(seen: set[str], value: str) -> set[str]:
    """`seen` with `value` added; empty (not tight) when it was there already."""
    if value in seen:
        return set()
    seen.add(value)
    return seen


def _el(seg: list[str], n: int) -> str:
    return seg[n] if len(seg) > n else ""


def _cut(data: mmap.mmap, envelope: Envelope, starts: list[int], segments: int, jobs: int,
         t: bytes) -> list[Run]:
    """Runs of about equal bytes, cut before an ST (not the file's first)."""
    size = len(data)
    sts = [(index, at, k) for k, ((seg, index), at) in enumerate(zip(envelope, starts))
           if seg[0] == "ST"][1:]
    cuts: list[tuple[int, int, int]] = []
    for j in range(1, jobs):
        target = size * j // jobs
        best = min((c for c in sts if not cuts or c[1] > cuts[-1][1]),
                   key=lambda c: abs(c[1] - target), default=None)
        if best is not None and best not in cuts:
            cuts.append(best)
    runs = [Run(1, cuts[0][0] if cuts else segments + 1, 0, cuts[0][1] if cuts else size)]
    for n, (index, at, k) in enumerate(cuts):
        stop, end = (cuts[n + 1][0], cuts[n + 1][1]) if n + 1 < len(cuts) else (segments + 1, size)
        runs.append(Run(index, stop, at, end, _prime(data, envelope, starts, k, t)))
    return runs


def _prime(data: mmap.mmap, envelope: Envelope, starts: list[int], k: int, t: bytes) -> bytes:
    """The ISA and GS segments (terminated) that the ST at envelope[k] lies in."""
    found: dict[str, bytes] = {}
    for j in range(k - 1, -1, -1):
        sid = envelope[j][0][0]
        if sid in ("ISA", "GS") and sid not in found:
            at = starts[j]
            found[sid] = data[at:data.find(t, at) + 1]
        if "ISA" in found:
            break
    return found["ISA"] + found["GS"]


# -- running --------------------------------------------------------------------------
class _RunStream(io.RawIOBase):
    """The bytes a run reads: its prime, then its range of the file."""

    def __init__(self, fd: int, prime: bytes, start: int, end: int):
        self._fd, self._prime, self._at, self._end = fd, prime, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prime:
            n = min(len(view), len(self._prime))
            view[:n] = self._prime[:n]
            self._prime = self._prime[n:]
            return n
        n = min(len(view), self._end - self._at)
        if n <= 0:
            return 0
        got = os.preadv(self._fd, [view[:n]], self._at)
        self._at += got
        return got


@dataclass
class _Result:
    issues: list[Issue]
    transactions: list[TransactionResult]
    segments: int
    failed: str | None = None


# make(report, stream, shift) -> a pass object with run(); the pass adds to `report`.
PassFactory = Callable[[ValidationReport, Any, int], Any]


def _run_one(p: Plan, k: int, make: PassFactory, name: str | None) -> _Result:
    run = p.runs[k]
    report = ValidationReport(file=name, levels=())
    fd = os.open(p.path, os.O_RDONLY)
    try:
        stream = io.BufferedReader(_RunStream(fd, run.prime, run.start, run.end), 1 << 20)
        shift = run.first - 3 if run.prime else 0    # the prime's ISA and GS are 1 and 2
        make(report, stream, shift).run()
    finally:
        os.close(fd)
    if any(i.code in ("x12-read", "not-x12") for i in report.issues):
        return _Result([], [], 0, "a segment could not be read")
    mine = [i for i in report.issues if (i.segment_index is None and k == 0) or
            (i.segment_index is not None and run.first <= i.segment_index < run.stop)]
    txs = [t for t in report.transactions if run.first <= t.segment_index < run.stop]
    return _Result(mine, txs, report.segments)


def _child(conn, p: Plan, k: int, make: PassFactory, name: str | None) -> None:
    try:
        conn.send(_run_one(p, k, make, name))
    except BaseException as exc:   # the parent falls back; the child must not hang it
        conn.send(_Result([], [], 0, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_shards(p: Plan, report: ValidationReport, make: PassFactory, add) -> bool:
    """Validate the runs of `p` into `report` (issues through `add`, the tree, the
    segment count). False when a run failed: nothing was added, run the whole pass."""
    if multiprocessing.current_process().daemon:   # a pool's worker may not fork
        return False
    context = multiprocessing.get_context("fork")
    children: list[tuple[Any, Any]] = []
    results: list[_Result] = []
    try:
        for k in range(1, len(p.runs)):
            conn, child_end = context.Pipe(duplex=False)
            proc = context.Process(target=_child, args=(child_end, p, k, make, report.file),
                                   daemon=True)
            children.append((conn, proc))
            proc.start()
            child_end.close()
        results.append(_run_one(p, 0, make, report.file))
        for conn, proc in children:
            try:
                results.append(conn.recv())
            except EOFError:
                results.append(_Result([], [], 0, "the process ended without an answer"))
    finally:   # interrupted (or a child could not start): none is left running
        for conn, proc in children:
            conn.close()
            if proc.pid is not None:
                if len(results) < len(p.runs):
                    proc.terminate()
                    proc.join(5)
                    if proc.exitcode is None:   # SIGTERM blocked or handled: end it
                        proc.kill()
                proc.join()
    if any(r.failed for r in results):
        return False
    _merge(p, report, results, add)
    return True


def _merge(p: Plan, report: ValidationReport, results: list[_Result], add) -> None:
    controls = 0
    for r in results:
        for issue in r.issues:
            if issue.code == "invalid-character" and issue.level == 1:
                controls += 1
                if controls > CONTROL_FINDINGS:   # the whole-file pass stops there
                    continue
            report.issues.append(issue)
    report.segments = results[-1].segments
    tracker = EnvelopeTracker(file=report.file)
    txs = iter(t for r in results for t in r.transactions)
    tx = next(txs, None)
    ic: InterchangeResult | None = None
    group: GroupResult | None = None
    for seg, index in p.envelope:
        tracker.feed(seg, index)
        sid = seg[0]
        if sid == "ISA":
            assert tracker.interchange is not None
            ic = InterchangeResult.of(tracker.interchange)
            report.interchanges.append(ic)
        elif sid == "GS" and ic is not None:
            group = GroupResult(_el(seg, 1), _el(seg, 2), _el(seg, 3), _el(seg, 6),
                                _el(seg, 8), index)
            ic.groups.append(group)
        elif sid == "GE" and group is not None:
            group.end_index = max(index, group.segment_index)
            while tx is not None and tx.segment_index < index:
                group.transactions.append(tx)
                tx.claims.adopt(report.spool)
                tx = next(txs, None)
        elif sid == "IEA" and ic is not None:
            ic.end_index = max(index, ic.segment_index)
    tracker.finish(p.segments)
    for f in tracker.findings:
        issue = Issue.from_finding(f, level=1)
        add(issue.severity, issue.code, issue.message, issue.segment_index, issue.segment_id,
            issue.element, interchange_control=issue.interchange_control,
            group_control=issue.group_control, transaction_control=issue.transaction_control)
