# 837P files in, PricedClaims out, as a stream: the path `edi-hit price` and
# `edi-hit adjudicate` take.
#
# Strategy: two passes over the input. plan.py scans every file first (member id of
# each CLM and the envelope verdict of each transaction set, no parsing); then the
# files are read claim by claim with the 837P reader in reject mode, given those
# verdicts so that it streams claims instead of holding each transaction set until its
# SE, and handed to a PricingRun told how many claims each beneficiary has, so a
# beneficiary is priced as soon as its last claim has been read, in date-of-service
# order whatever the order of the files. Input that cannot be read twice (stdin, a pipe)
# is spooled to a temporary file first.
#
# Memory: the plan keeps 8 bytes a claim and 12 a beneficiary (plan.py); the run keeps
# at most `spill_after` waiting claims in memory and spills the rest to disk until their
# beneficiary is complete (run.py, spill.py), so any order of claims fits in bounded
# memory and gives the same decisions.
#
# Nothing is lost: every claim read is either priced or rejected (a RejectedClaim, kept
# with its reason); the feed counts both and the caller checks claims_in == priced +
# rejected. A rejected claim still counts down its beneficiary: the plan knows whose
# CLM it was (reader and plan both count one item per CLM, which the feed checks claim by
# claim; after a disagreement in a file, rejected claims of that file hold their
# beneficiary until the end of the run instead).
#
# `admit`, when given, is asked about every claim the reader accepted before it is
# priced; a reason (str) turns the claim into a rejection (the pipeline asks the 835
# builder whether it can carry the claim at all, so a claim that could not be remitted
# is never decided). Such a rejection gets its CLM's segment index like the reader's
# own: the reader does not keep the index of the claims it accepts (it would cost every
# claim for the rare refusal), so once its file has been read, the file is scanned
# again for the CLMs refused (by their ordinal, checked against CLM01). `strict` stops
# at the first rejection instead (StrictStop), located at once.
from __future__ import annotations

import inspect
import os
from typing import Any, Callable, Iterable, Iterator

from edi_hit.claims import RejectedClaim
from edi_hit.errors import X12Error
from edi_hit.pricing.pricer import Pricer, member_id
from edi_hit.pricing.model import PricedClaim
from edi_hit.pricing.plan import RunPlan, plan_run, spool
from edi_hit.pricing.run import DEFAULT_SPILL_AFTER

__all__ = ["PricedFeed", "StrictStop", "price_files", "source_name"]


class StrictStop(X12Error):
    """A strict feed's first rejected claim: file, its CLM's segment index, CLM01 and
    the reason (never a value of the claim)."""

    @classmethod
    def of(cls, r: RejectedClaim) -> "StrictStop":
        pcn = r.patient_control_number
        claim = f"claim {pcn}" if pcn else "a claim without CLM01"
        return cls(f"{claim} rejected: {r.reason}", file=r.file,
                   segment_index=r.segment_index,
                   segment_id="CLM" if r.segment_index is not None else None)


def _reader():
    from edi_hit.x837p.read import read_837p

    try:
        reject = "errors" in inspect.signature(read_837p).parameters
    except (TypeError, ValueError):  # pragma: no cover - a C or wrapped callable
        reject = False
    if reject:
        return lambda src, name, verdicts: read_837p(src, name=name, errors="reject",
                                                     envelope_verdicts=verdicts)
    return lambda src, name, verdicts: read_837p(src, name=name)  # pragma: no cover


def source_name(source) -> str:
    """How a source is named in reports: its path, or '<stdin>' / '<stream>'."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return name
    return "<stream>"


class PricedFeed:
    """Iterate the PricedClaims of 837P sources priced by `pricer` in one run.

    sources: paths, bytes or binary file objects (read in order); names: what to call
    each in findings and rejections (default: source_name). progress: a function that
    wraps the iterator of what is read, (file number, ordinal, claim) tuples (e.g. a
    progress bar on stderr); its length hint is the number of claims the plan counted.
    spill_after: claims
    kept waiting in memory before the run spills them to disk (None: never).
    admit(claim): None, or why the claim is rejected (module comment). strict: raise
    StrictStop at the first rejected claim instead of going on.

    After iteration: claims_in (claims read, accepted or not), claims_priced,
    rejected (the RejectedClaims, in input order), findings (the readers' warnings),
    plan_mismatches / late (should be 0: claims the pre-scan attributed otherwise) and
    spilled (claims that waited on disk).
    """

    def __init__(self, pricer: Pricer, sources: Iterable[Any], *,
                 names: list[str] | None = None,
                 progress: Callable[[Iterator], Iterator] | None = None,
                 admit: Callable[[Any], str | None] | None = None,
                 spill_after: int | None = DEFAULT_SPILL_AFTER, strict: bool = False):
        self.pricer = pricer
        self.admit = admit
        self.strict = strict
        self.spill_after = spill_after
        self.sources = list(sources)
        self.names = list(names) if names is not None else [source_name(s) for s in self.sources]
        self.progress = progress
        self.claims_in = 0
        self.claims_priced = 0
        self.rejected: list[RejectedClaim] = []
        self.findings: list = []
        self.plan_mismatches = 0
        self.late = 0
        self.spilled = 0
        self.plan: RunPlan | None = None
        self._admitted_refused: dict[int, list[tuple[int, RejectedClaim]]] = {}
        self._starts: dict[int, int] = {}   # where each file object's read began

    def __iter__(self) -> Iterator[PricedClaim]:
        spooled, temps = [], []
        try:
            for s in self.sources:
                again = spool(s)
                if again is not s and again is not getattr(s, "buffer", None):
                    temps.append(again)  # a copy of stdin or a pipe
                spooled.append(again)
            yield from self._run(spooled)
        finally:
            for t in temps:
                t.close()

    def _items(self, sources):
        read = _reader()
        for file_no, (src, name) in enumerate(zip(sources, self.names)):
            if callable(getattr(src, "tell", None)):
                self._starts[file_no] = src.tell()
            reader = read(src, name, self.plan.verdicts[file_no])
            for ordinal, item in enumerate(reader):
                yield file_no, ordinal, item
            self.findings.extend(getattr(reader, "all_findings", ()))
            self._locate(file_no, src)

    def _run(self, sources) -> Iterator[PricedClaim]:
        plan = self.plan = plan_run(sources, self.names)
        run = self.pricer.run(plan.countdown(self.spill_after))
        aligned = [True] * len(sources)
        items = self._items(sources)
        if self.progress is not None:
            items = self.progress(_Planned(items, plan.claims))
        try:
            for file_no, ordinal, item in items:
                self.claims_in += 1
                planned = plan.key_at(file_no, ordinal) if aligned[file_no] else None
                if item.__class__ is RejectedClaim:
                    self.rejected.append(item)
                    if self.strict:
                        raise StrictStop.of(item)
                    mbi = getattr(item, "member_id", None)
                    out = run.skip(mbi, None if mbi is not None else planned)
                else:
                    key = run.key(member_id(item))
                    if aligned[file_no] and planned != key:
                        aligned[file_no] = False
                        self.plan_mismatches += 1
                    refused = self.admit(item) if self.admit is not None else None
                    if refused:
                        r = RejectedClaim(self.names[file_no], refused,
                                          item.patient_control_number)
                        self.rejected.append(r)
                        self._admitted_refused.setdefault(file_no, []).append((ordinal, r))
                        if self.strict:
                            self._locate(file_no, sources[file_no])
                            raise StrictStop.of(r)
                        out = run.skip(key=key)
                    else:
                        out = run.add(item, key)
                if out:
                    yield from out
            yield from run.finish()
        finally:
            run.abort()
            self.claims_priced = run.claims_priced
            self.late = run.late + run.unplanned
            self.spilled = run.spilled

    def _locate(self, file_no: int, source) -> None:
        """The CLM segment index of the claims of this file refused by `admit` (the
        reader's index: the scan counts segments as the reader does). A CLM whose CLM01
        is not the claim's is not taken (the reader's items and the file's CLMs out of
        step): the index stays unknown rather than wrong."""
        pending = self._admitted_refused.pop(file_no, None)
        if not pending:
            return
        from edi_hit.x12.reader import find_segments

        found = find_segments(source, "CLM", [o for o, _ in pending],
                              start=self._starts.get(file_no))
        for ordinal, r in pending:
            index, seg = found.get(ordinal, (None, ()))
            if index is not None and len(seg) > 1 and \
                    seg[1].strip() == (r.patient_control_number or "").strip():
                r.segment_index = index


class _Planned:
    """The items read, with the plan's claim count as their length hint."""

    def __init__(self, items: Iterator, claims: int):
        self.items, self.claims = items, claims

    def __iter__(self) -> Iterator:
        return self.items

    def __length_hint__(self) -> int:
        return self.claims


def price_files(sources, *, rates=None, history=None, conventions=None,
                assume_dme_drug: bool = False, rejected: list | None = None,
                **pricer_options) -> Iterator[PricedClaim]:
    """Price the claims of 837P files (paths, bytes or binary files) as a stream.

    Every beneficiary's claims are applied in date-of-service order across all the
    sources; memory holds the beneficiaries in flight, not the files. Rejected claims
    (the reader's reject mode) are appended to `rejected` when a list is given.
    Options as for edi_hit.pricing.price (suppliers, dme_evidence, dme_drugs ...: any
    Pricer keyword).
    """
    pricer = Pricer(rates=rates, history=history, conventions=conventions,
                    assume_dme_drug=assume_dme_drug, **pricer_options)
    feed = PricedFeed(pricer, sources)
    try:
        yield from feed
    finally:
        if rejected is not None:
            rejected.extend(feed.rejected)
        pricer.close()
