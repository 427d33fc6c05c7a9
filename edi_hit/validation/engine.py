# validate(): run the four levels over one file and decide what is accepted.
#
# Strategy: one streaming pass of edi-hit's SegmentReader does levels 1, 3 and 4:
# every segment goes to the syntax checks, envelope segments also to the x12 layer's
# EnvelopeTracker (which builds the interchange/group/transaction tree here), and the
# segments inside a transaction set go to the checker of its type (x837.Checker837,
# x835.Checker835). Memory is one claim, whatever the file size (the claims' results
# are packed and spilled: claimlog.py). Level 2 rides the same pass (edi-hit's TR3
# engine, tr3map/) or is a second pass by pyx12 (tr3.py, slow: about 4,000 segments a
# second). With jobs > 1 a large file is cut between transaction sets and the pass runs
# once per run of sets, each in a process of its own (shards.py); the report is the same.
# Then every issue is placed in the tree (report.attribute) and the accept/reject
# decisions are made once (report.decide). Input that is not X12 at all gives one
# issue with one sentence, never a traceback.
from __future__ import annotations

import os
from datetime import date

from ..errors import ArgumentError, EdiHitError, LimitError
from ..x12 import ENVELOPE_IDS, EnvelopeTracker, SegmentReader
from ..x12.prescan import spool
from .claimlog import ClaimLog
from .report import (GroupResult, InterchangeResult, Issue, TransactionResult,
                     ValidationReport)
from .syntax import SyntaxChecker
from .x835 import Checker835
from .x837 import Checker837
from .hit import npi_problem
from .loops import LoopTracker837

__all__ = ["validate", "ALL_LEVELS", "TR3_ENGINES"]

ALL_LEVELS = (1, 2, 3, 4)
TR3_ENGINES = ("edi-hit", "pyx12")
_MAX_OUTSIDE = 20


def _el(seg, n):
    return seg[n] if len(seg) > n else ""


def validate(source, *, name: str | None = None, levels=ALL_LEVELS, today: date | None = None,
             hit: str = "auto", engine: str = "edi-hit", jobs: int = 1,
             conventions=None) -> ValidationReport:
    """Validate one X12 file (837P or 835) and return what was found.

    source: a path, bytes, or a binary file object (read whole when pyx12 runs level
    2, since it needs a second pass). levels: any of 1 (syntax and envelope, always
    run), 2 (TR3), 3 (balancing and cross-field), 4 (HIT edits).
    hit: which 837P claims get the HIT edits: "auto" (claims with an HIT G-code),
    "all" (every claim is an HIT claim) or "none".
    engine: who checks level 2: "edi-hit" (its own engine, in the same pass) or
    "pyx12" (pyx12 itself, a second pass).
    jobs: processes one file may use; with 2 or more, edi-hit's TR3 engine checks a
    large file on disk in a child process while this one runs the other levels.
    conventions: the project conventions the level-4 HIT edits use, as for the pricer (a
    path, a mapping or a Conventions; None: the shipped table): the home place-of-service
    set (C2) and the codes a denial becomes.
    """
    if not (isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview))
            or callable(getattr(source, "read", None))):
        raise TypeError("validate: source must be a path, bytes or a binary file object, not "
                        f"{type(source).__name__}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"validate: name must be a str or None, not {type(name).__name__}")
    if hit not in ("auto", "all", "none"):
        raise ArgumentError(f"validate: hit must be 'auto', 'all' or 'none', not {hit!r}")
    if engine not in TR3_ENGINES:
        raise ArgumentError(f"validate: engine must be one of {', '.join(TR3_ENGINES)}, "
                            f"not {engine!r}")
    try:
        levels = tuple(sorted(set(levels) | {1}))
    except TypeError:
        raise TypeError("validate: levels must be an iterable of level numbers 1-4") from None
    if not set(levels) <= set(ALL_LEVELS):
        raise ArgumentError(f"validate: levels must be among {ALL_LEVELS}, not {levels}")
    if today is not None and not isinstance(today, date):
        raise TypeError(f"validate: today must be a datetime.date, not {type(today).__name__}")
    today = today or date.today()
    spooled = None
    if isinstance(source, (str, os.PathLike)):
        name = name or os.fspath(source)
    elif hasattr(source, "read"):
        name = name or (getattr(source, "name", None) if isinstance(getattr(source, "name", None), str)
                        else None)
        if 2 in levels and engine == "pyx12":   # pyx12 needs a second pass: spooled, not held
            caller = getattr(source, "buffer", source)
            source = spool(source)
            spooled = source if source is not caller else None
    report = ValidationReport(file=name, levels=levels)
    try:
        start = source.tell() if hasattr(source, "tell") and hasattr(source, "seek") else None
        if not _sharded(report, source, name, levels, today, hit, engine, jobs, conventions):
            tr3 = None
            if 2 in levels and engine == "edi-hit":
                from .tr3map import engine_for
                tr3 = engine_for(report_adder(report, name), source, name, jobs=jobs)
            _Pass(report, source, name, levels, today, hit, tr3, conventions).run()
        if 2 in levels and engine == "pyx12" and report.interchanges:
            from .tr3 import run_tr3
            if start is not None:
                source.seek(start)
            run_tr3(source, name, report_adder(report, name), report.notes)
        elif 2 not in levels:
            report.notes.append("TR3 level (2) not run")
    finally:
        if spooled is not None:
            spooled.close()
    report.sort_issues()
    report.attribute()
    report.decide()
    return report


def _sharded(report, source, name, levels, today, hit, engine, jobs, conventions) -> bool:
    """Levels 1-4 of a large file on `jobs` processes, cut between transaction sets
    (shards.py); False when the file cannot be cut (or a run failed): nothing was done."""
    from .tr3map.remote import forkable
    if jobs < 2 or not isinstance(source, (str, os.PathLike)) or not forkable():
        return False
    from . import shards
    plan = shards.plan(os.fspath(source), jobs)
    if plan is None:
        return False
    tr3 = 2 in levels and engine == "edi-hit"
    if tr3:
        from .tr3map import compiled_maps
        from .tr3map.source import MapSourceError
        try:
            compiled_maps()          # loaded once, before the fork: every run shares them
        except MapSourceError:
            pass                     # each run's engine reports it (the first run's is kept)
    if 4 in levels and hit != "none":
        from ..pricing.codes import default_codes
        from ..pricing.conventions import load_conventions
        default_codes()
        conventions = load_conventions(conventions)

    def make(shard_report, stream, shift):
        engine_ = None
        if tr3:
            from .tr3map import start_engine
            engine_ = start_engine(report_adder(shard_report, name))
        return _Pass(shard_report, stream, name, levels, today, hit, engine_, conventions,
                     shift=shift, envelope_findings=False)

    return shards.run_shards(plan, report, make, report_adder(report, name))


def report_adder(report: ValidationReport, name):
    """The one way issues enter a report. Every issue is kept: the decisions (which
    claims and sets are rejected) and the counts are exact; only the listing is capped
    (ValidationReport.to_dict, the CLI's --max-findings / --all-findings)."""
    issues = report.issues

    def add(severity, code, message, index, segment_id, element=None, *, level=1, **kw):
        issues.append(Issue(severity, code, message, name, index, segment_id, element,
                            level=level, **kw))
    return add


class _Pass:
    """The single streaming pass for levels 1, 3 and 4."""

    def __init__(self, report, source, name, levels, today, hit, tr3=None, conventions=None, *,
                 shift: int = 0, envelope_findings: bool = True):
        self.report = report
        # shards.py: the reader's segment k is the file's k + shift; the envelope's
        # findings are the parent's, not a run's.
        self.shift = shift
        self.envelope_findings = envelope_findings
        self.tr3 = tr3   # level 2: edi-hit's TR3 engine sees every segment
        self.source = source
        self.name = name
        self.levels = levels
        self.today = today
        self.hit = hit
        self.add = self._with_loop(report_adder(report, name))
        self.loops: LoopTracker837 | None = None   # 837P loop of each segment (999 IK303)
        self.syntax = SyntaxChecker(self.add)
        self.ic: InterchangeResult | None = None
        self.group: GroupResult | None = None
        self.tx: TransactionResult | None = None
        self.checker = None
        self.outside = 0
        self.codes = None
        self.conventions = None
        if 4 in levels and hit != "none":
            from ..pricing.codes import default_codes
            from ..pricing.conventions import load_conventions
            self.codes = default_codes()
            self.conventions = load_conventions(conventions)   # bad file: fails before the pass

    def run(self) -> None:
        reader = SegmentReader(self.source, self.name)
        tracker = self.tracker = EnvelopeTracker(file=self.name)
        npi_checks = 4 in self.levels
        tr3 = self.tr3.feed if self.tr3 is not None else None
        shift = self.shift
        try:
            for seg in reader:
                index = reader.index + shift
                if tr3 is not None:
                    tr3(seg, index, reader.delimiters)
                sid = seg[0]
                if self.loops is not None and sid not in ENVELOPE_IDS:
                    self.loops.feed(seg, index)
                self.syntax.segment(seg, index, reader.delimiters)
                if sid in ENVELOPE_IDS:
                    tracker.feed(seg, index)
                    self._envelope(seg, index, reader)
                    continue
                if self.tx is None:
                    if self.outside < _MAX_OUTSIDE:
                        self.outside += 1
                        self.add("error", "outside-transaction",
                                 f"segment {sid or '(empty id)'} is outside a transaction set "
                                 "(no ST before it)", index, sid or None)
                    continue
                if npi_checks:
                    self._npi(seg, index)
                if self.checker is not None:
                    self.checker.feed(seg, index)
            tracker.finish(reader.index + shift)
            self._close_all(reader.index + shift)
        except EdiHitError as exc:
            first = reader.index == 0
            at = getattr(exc, "segment_index", None) or (None if first else reader.index + 1)
            at = at + shift if at is not None else None
            # The segment that cannot be read belongs to the envelopes left open: they
            # end there, rejected with it (x12-read reaches the whole interchange).
            ic = self.ic.control_number if self.ic is not None else None
            self._close_all(at if at is not None else reader.index + shift)
            limit = isinstance(exc, LimitError)
            self.add("error", "not-x12" if first else "x12-read",
                     exc.describe() if hasattr(exc, "describe") else str(exc), at,
                     getattr(exc, "segment_id", None), getattr(exc, "element", None),
                     interchange_control=ic, segment_error="8" if limit else None,
                     element_error="5" if limit else None)
        if self.tr3 is not None:
            self.tr3.finish()
        self.report.segments = reader.index + shift
        found = [(f, shift) for f in reader.findings]
        if self.envelope_findings:
            found += [(f, 0) for f in tracker.findings]
        for f, moved in found:
            issue = Issue.from_finding(f, level=1)
            at = issue.segment_index + moved if issue.segment_index is not None else None
            self.add(issue.severity, issue.code, issue.message, at,
                     issue.segment_id, issue.element, interchange_control=issue.interchange_control,
                     group_control=issue.group_control, transaction_control=issue.transaction_control)

    def _with_loop(self, add):
        """Issues found inside an 837P transaction set carry the loop of their segment."""
        def add_in_loop(severity, code, message, index, *rest, **kw):
            if self.loops is not None and "loop" not in kw:
                loop = self.loops.at(index)
                if loop:
                    kw["loop"] = loop
            add(severity, code, message, index, *rest, **kw)
        return add_in_loop

    # -- the tree ----------------------------------------------------------------
    def _envelope(self, seg, index, reader):
        sid = seg[0]
        if sid == "ISA":
            self._close_all(index - 1)
            self.syntax.isa(seg, index)
            assert self.tracker.interchange is not None   # the tracker was fed this ISA
            self.ic = InterchangeResult.of(self.tracker.interchange)
            self.report.interchanges.append(self.ic)
        elif sid == "GS":
            self._close_group(index - 1)
            self.syntax.gs(seg, index)
            ic = self._interchange(index)
            self.group = GroupResult(_el(seg, 1), _el(seg, 2), _el(seg, 3), _el(seg, 6),
                                     _el(seg, 8), index)
            ic.groups.append(self.group)
        elif sid == "ST":
            self._close_transaction(index - 1)
            self.syntax.st(seg, index)
            group = self._group(index)
            ic = self._interchange(index)
            self.tx = TransactionResult(_el(seg, 1), _el(seg, 2), _el(seg, 3), index,
                                        interchange_control=ic.control_number,
                                        group_control=group.control_number,
                                        claims=ClaimLog(spool=self.report.spool))
            group.transactions.append(self.tx)
            self.checker = self._checker_for(_el(seg, 1))
            self.loops = LoopTracker837() if _el(seg, 1) == "837" else None
            if self.checker is not None:
                self.checker.delims = reader.delimiters
        elif sid == "SE":
            self._close_transaction(index, trailer=True)
        elif sid == "GE":
            self._close_group(index, trailer=True)
        elif sid == "IEA":
            self._close_all(index, trailer=True)

    def _interchange(self, index) -> InterchangeResult:
        if self.ic is None:   # GS without ISA: the tracker reports it; keep the tree whole
            self.ic = InterchangeResult("", "", "", "", "", "", "", "", "0", "", index)
            self.report.interchanges.append(self.ic)
        return self.ic

    def _group(self, index) -> GroupResult:
        if self.group is None:
            ic = self._interchange(index)
            self.group = GroupResult("", "", "", "", "", index)
            ic.groups.append(self.group)
        return self.group

    def _checker_for(self, set_id):
        kw = dict(tx=self.tx, levels=self.levels, today=self.today)
        if set_id == "837":
            return Checker837(self.add, hit_mode=self.hit, codes=self.codes,
                              conventions=self.conventions, **kw)
        if set_id == "835":
            return Checker835(self.add, **kw)
        return None

    # `end` is the last segment of the envelope being closed; `trailer` says whether
    # that segment is its own trailer (SE/GE/IEA) or the envelope was left open.
    def _close_transaction(self, end, *, trailer=False):
        if self.tx is not None:
            if self.checker is not None:
                self.checker.finish(end if trailer else end + 1)
            self.tx.end_index = max(end, self.tx.segment_index)
        self.tx = None
        self.checker = None
        self.loops = None

    def _close_group(self, end, *, trailer=False):
        self._close_transaction(end - 1 if trailer else end)
        if self.group is not None:
            self.group.end_index = max(end, self.group.segment_index)
        self.group = None

    def _close_all(self, end, *, trailer=False):
        self._close_group(end - 1 if trailer else end)
        if self.ic is not None:
            self.ic.end_index = max(end, self.ic.segment_index)
        self.ic = None

    # -- level 4 for every transaction: NPIs ---------------------------------------
    def _npi(self, seg, index):
        sid = seg[0]
        if sid == "NM1" and _el(seg, 8) == "XX":
            value, element = _el(seg, 9), "NM109"
        elif sid == "N1" and _el(seg, 3) == "XX":
            value, element = _el(seg, 4), "N104"
        else:
            return
        problem = npi_problem(value)
        if problem:
            self.add("error", "npi-check-digit" if "check digit" in problem else "npi-format",
                     f"{sid}*{_el(seg, 1)}: {problem}", index, sid, element, level=4,
                     element_error="I12", element_ref="67", bad_value=value)
