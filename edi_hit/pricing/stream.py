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
# is never decided).
from __future__ import annotations

import inspect
import os
from typing import Any, Callable, Iterable, Iterator

from edi_hit.claims import RejectedClaim
from edi_hit.pricing.pricer import Pricer, member_id
from edi_hit.pricing.model import PricedClaim
from edi_hit.pricing.plan import RunPlan, plan_run, spool
from edi_hit.pricing.run import DEFAULT_SPILL_AFTER

__all__ = ["PricedFeed", "price_files", "source_name"]


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

    After iteration: claims_in (claims read, accepted or not), claims_priced,
    rejected (the RejectedClaims, in input order), findings (the readers' warnings),
    plan_mismatches / late (should be 0: claims the pre-scan attributed otherwise) and
    spilled (claims that waited on disk).
    """

    def __init__(self, pricer: Pricer, sources: Iterable[Any], *,
                 names: list[str] | None = None,
                 progress: Callable[[Iterator], Iterator] | None = None,
                 admit: Callable[[Any], str | None] | None = None,
                 spill_after: int | None = DEFAULT_SPILL_AFTER):
        self.pricer = pricer
        self.admit = admit
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
            reader = read(src, name, self.plan.verdicts[file_no])
            for ordinal, item in enumerate(reader):
                yield file_no, ordinal, item
            self.findings.extend(getattr(reader, "all_findings", ()))

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
                    mbi = getattr(item, "member_id", None)
                    out = run.skip(mbi, None if mbi is not None else planned)
                else:
                    key = run.key(member_id(item))
                    if aligned[file_no] and planned != key:
                        aligned[file_no] = False
                        self.plan_mismatches += 1
                    refused = self.admit(item) if self.admit is not None else None
                    if refused:
                        self.rejected.append(RejectedClaim(
                            self.names[file_no], refused, item.patient_control_number))
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
