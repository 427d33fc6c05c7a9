# A pricing run: which claims are priced together, and in what order.
#
# Strategy: rules span claims, so a run (all input files of one command) prices each
# beneficiary's claims together, once the last of them has been read. A PricingRun
# is told how many claims each beneficiary has in the run (plan.py's pre-scan, or a
# count of an in-memory list); it buffers a beneficiary's claims as they stream in and,
# when the count reaches zero, moves them to a ready set. A ready set of up to
# `group_size` beneficiaries is priced together by the Pricer (pricer.py): their
# history is loaded in one batch of queries, then each beneficiary's claims are applied
# in date-of-service order (input order on a tie). The result does not depend on the
# input order of the claims, nor on how a file is split.
#
# Output order: beneficiary by beneficiary, in the order their last claim was read;
# a beneficiary's claims in input order (a replacement's reversal just before it).
#
# Memory: a run holds the claims of beneficiaries "in flight" (first claim read, last not
# yet) and the ready set being priced. When a file is grouped by beneficiary that is one
# claim at a time; when beneficiaries are interleaved or shuffled it would be nearly the
# whole run, so once more than `spill_after` claims wait in memory (the count-down's
# setting; pricing/stream.py sets it for files, an in-memory list never spills) every
# waiting claim moves to disk (spill.py, by beneficiary and month of service) and comes
# back when its beneficiary is ready. A ready set is priced when it holds `group_size`
# beneficiaries or READY_CLAIMS claims (`spill_after` when smaller): its claims come back
# from disk all at once, each unpickled apart (no envelope or provider shared with
# the others), and are priced into a list, so this bounds the peak of the pricing phase
# (4,000 instead of 1,000 cost 40 MB more on 300,000 shuffled claims of 30,000
# beneficiaries, at the same speed). Neither the spill nor the size of a ready set
# changes a decision or the output: each beneficiary is priced alone, in date order,
# with its own history, and ready sets are priced in the order they filled.
#
# A beneficiary with more than BIG_MEMBER claims in one run (a feed, not a claim file) is
# priced a month of service at a time, with one history carried from month to month and
# written after each, so that only a month of its claims is in memory; its claims then
# come out in the order they were priced (date of service), not input order. The
# decisions are the same as in one piece, because the pricer applies a beneficiary's
# claims one by one in that order anyway; the exceptions, priced in one piece, are a
# beneficiary with a replacement or void in the run (the reversal reads the original's
# priced lines from the run), the billed-DME simulation (it records every DME claim of
# the beneficiary before any visit) and a read-only history. What stays in memory is the
# count-down (12 bytes a beneficiary, plan.py), one entry per beneficiary in flight, up to
# spill_after claims, one ready set, and a month of one large beneficiary.
#
# Claim identity also lives here: every claim gets a deterministic payer claim control
# number (ICN) from a digest of its billing NPI, member, CLM01, frequency and lines; a
# second claim with the same digest (an exact duplicate, a resubmission after a void) or
# a digest whose number is taken gets the next variant (lifecycle.py decides which).
#
# Transactions: a run that finds no transaction open in the history store begins one
# (taking the store's write lock) and commits it at finish(); a caller that opened the
# transaction itself (the pipeline, which commits only once its outputs are complete)
# keeps it, and commits or rolls back itself.
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Iterator, Mapping, Protocol

from edi_hit.pricing.history import HistoryBatch, HistoryStore
from edi_hit.pricing.model import PricedClaim
from edi_hit.pricing.plan import DictCounts, MemberCounts
from edi_hit.pricing.rules import BILLED
from edi_hit.pricing.spill import ClaimSpill

__all__ = ["PricingRun", "ClaimItem", "claim_fingerprint", "claim_icn", "member_id",
           "DEFAULT_GROUP_SIZE", "DEFAULT_SPILL_AFTER", "READY_CLAIMS", "BIG_MEMBER"]

#: Beneficiaries priced together (one batch of history queries).
DEFAULT_GROUP_SIZE = 500
#: Claims a run streaming files keeps waiting in memory before it spills them to disk
#: (about 10 KB each in memory; on disk a few hundred bytes each when a beneficiary's
#: claims spill together, about 1.3 KB when each spills alone, as in a shuffled file).
DEFAULT_SPILL_AFTER = 4000
#: Claims priced together at most (a ready set; one beneficiary's claims are never split).
READY_CLAIMS = 1000
#: A beneficiary with more claims than this in one run is priced a month at a time.
BIG_MEMBER = 2000
_FAR_MONTH = 1 << 30


def _month(it: "ClaimItem") -> int:
    """The spill bucket of a claim: the month of its first day of service."""
    day = it.first_day
    return day.year * 12 + day.month - 1 if day is not None else _FAR_MONTH


def _pricing_order(it: "ClaimItem"):
    """The order the pricer applies a beneficiary's claims in (pricer._price_group)."""
    return (it.first_day or date.max, not it.drug_only, it.index)


def member_id(claim) -> str:
    """The beneficiary a claim belongs to: 2010BA NM109, '' when missing."""
    s = claim.subscriber
    return (s.member_id if s is not None else None) or ""


class GroupPricer(Protocol):
    """What a PricingRun needs of the Pricer that drives it (pricer.py): its history and
    tables, and the steps it calls on each group of beneficiaries. Named here so that
    run.py does not import pricer.py (which imports run.py)."""

    history: HistoryStore
    tables: Any
    _writes: bool
    _track: bool

    def _item(self, n: int, claim: Any) -> "ClaimItem": ...

    def _load(self, groups: Any) -> dict: ...

    def _assign_icns(self, groups: Any, histories: dict) -> None: ...

    def _price_group(self, group: Any, bh: Any, batch: HistoryBatch) -> Iterable[PricedClaim]: ...


def claim_fingerprint(claim, mbi: str, npi: str) -> str:
    """A digest of what makes two submissions 'the same claim'; the envelope is left out."""
    parts = [mbi, npi, claim.patient_control_number or "", claim.frequency_code or "1",
             claim.place_of_service or "", str(claim.total_charge)]
    for ln in claim.lines:
        parts.append(f"{ln.line_number}\x1f{ln.code or ''}\x1f{':'.join(ln.modifiers)}\x1f"
                     f"{ln.charge!s}\x1f{ln.units!s}\x1f{ln.place_of_service or ''}\x1f"
                     f"{ln.service_date!s}\x1f{ln.service_date_end!s}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def claim_icn(fingerprint: str, variant: int = 0) -> str:
    """13-digit payer claim control number derived from the fingerprint; variant n > 0
    gives the n-th alternative number for the same fingerprint."""
    if variant:
        fingerprint = hashlib.sha256(f"{fingerprint}#{variant}".encode()).hexdigest()
    return str(int(fingerprint[:16], 16) % 10**13).zfill(13)


@dataclass(slots=True)
class ClaimItem:
    index: int
    claim: object
    mbi: str
    npi: str
    pcn: str
    fingerprint: str
    icn: str
    first_day: date | None
    drug_only: bool
    has_drug: bool = True
    note: str | None = None


@dataclass(slots=True)
class _Waiting:
    """One beneficiary's claims read so far: in memory, and how many on disk."""

    key: Any
    items: list = field(default_factory=list)
    spilled: int = 0
    last: int = -1          # input index of its last claim read
    hold: bool = False      # priced only at finish() (unplanned, or read after its turn)
    mbi: str | None = None  # its member id; None until a claim is read
    apart: bool = False     # a replacement or void, or two member ids on one key: in one piece

    @property
    def claims(self) -> int:
        return len(self.items) + self.spilled


class PricingRun:
    """One run of a Pricer: claims go in one by one, PricedClaims come out as soon as
    their beneficiary is complete.

        run = pricer.run(expected)         # claims of each member in the run
        for claim in claims:
            emit(run.add(claim))
        emit(run.finish())                 # the rest; history committed

    expected: a mapping member id -> claims of that member in the run, or the plan's
    count-down (plan.MemberCounts, by member key, which may set spill_after); None holds
    every claim until finish() (an in-memory run). A member missing from `expected`, or
    with more claims than announced, is held until finish() too, with a trace line
    saying so. skip(member) accounts for an announced claim that will not come
    (rejected by the reader). abort() drops the staged history writes.
    """

    def __init__(self, pricer: GroupPricer, expected: Mapping[Any, int] | None, group_size: int):
        self.pricer = pricer
        self.counts: MemberCounts | DictCounts | None
        if expected is None or isinstance(expected, (MemberCounts, DictCounts)):
            self.counts = expected
        else:
            self.counts = DictCounts(expected)
        spill_after = getattr(self.counts, "spill_after", None)
        self.spill_after = max(1, spill_after) if spill_after else None
        self.group_size = max(1, group_size)
        self.ready_claims = min(self.spill_after or READY_CLAIMS, READY_CLAIMS)
        self.pending: dict[Any, _Waiting] = {}
        self.ready: list[_Waiting] = []
        self.in_ready = 0        # claims in the ready set
        self.held = 0            # claims waiting in memory
        self.spill: ClaimSpill | None = None
        self.claims_in = 0       # claims added
        self.claims_priced = 0   # claims priced (a replacement's reversal not counted)
        self.unplanned = 0       # members `expected` did not announce
        self.late = 0            # claims that came after their member was priced
        self.done = False
        history = pricer.history
        pricer._track = pricer._writes and not history.readonly
        self.owns_transaction = not history.in_transaction
        if self.owns_transaction:
            history.begin()

    @property
    def spilled(self) -> int:
        """Claims this run moved to disk (0: it never needed to)."""
        return self.spill.claims if self.spill is not None else 0

    def key(self, mbi: str) -> Any:
        """The key the count-down knows a member id by."""
        return self.counts.key(mbi) if self.counts is not None else mbi

    def add(self, claim, key: Any = None) -> Iterable[PricedClaim]:
        """One claim read; key: its member's key if the caller knows it already. Returns
        the claims this made ready, priced (consume them before the next call)."""
        it = self.pricer._item(self.claims_in, claim)
        self.claims_in += 1
        if key is None:
            key = self.key(it.mbi)
        w = self.pending.get(key)
        if w is None:
            w = self.pending[key] = _Waiting(key, mbi=it.mbi)
        elif it.mbi != w.mbi:
            w.apart = True
        if (claim.frequency_code or "1") in ("7", "8"):
            w.apart = True
        w.items.append(it)
        w.last = it.index
        self.held += 1
        out = self._arrived(w, it)
        if self.spill_after is not None and self.held > self.spill_after:
            self._spill_waiting()
        return out

    def _arrived(self, w: _Waiting, it: ClaimItem) -> Iterable[PricedClaim]:
        counts = self.counts
        if counts is None or w.hold:
            return []
        left = counts.get(w.key)
        if left is None:
            self.unplanned += 1
            w.hold = True
            return []
        if left <= 0:
            if left == 0 and w.claims == 1:  # its other claims were priced already
                self.late += 1
                it.note = ("claim read after its beneficiary's other claims of this run were "
                           "priced (the pre-scan did not count it)")
            w.hold = True
            return []
        return self._count_down(w.key, left)

    def skip(self, mbi: str | None = None, key: Any = None) -> Iterable[PricedClaim]:
        """An announced claim of this member will not come (the reader rejected it)."""
        if self.counts is None:
            return []
        if key is None:
            if mbi is None:
                return []
            key = self.key(mbi)
        left = self.counts.get(key)
        if left is None or left <= 0:
            return []
        return self._count_down(key, left)

    def _count_down(self, key: Any, left: int) -> Iterable[PricedClaim]:
        left -= 1
        self.counts.set(key, left)
        w = self.pending.get(key)
        if left or w is None or w.hold:
            return []
        del self.pending[key]
        self.ready.append(w)
        self.in_ready += w.claims
        if len(self.ready) >= self.group_size or self.in_ready >= self.ready_claims:
            return self._price_ready()
        return []

    def finish(self) -> Iterator[PricedClaim]:
        """Price whatever is left (in order of each member's last claim); commit history
        once the last of them has been handed out."""
        rest = sorted(self.pending.values(), key=lambda w: w.last)
        self.pending = {}
        for w in rest:
            self.ready.append(w)
            self.in_ready += w.claims
            if len(self.ready) >= self.group_size or self.in_ready >= self.ready_claims:
                yield from self._price_ready()
        if self.ready:
            yield from self._price_ready()
        if self.owns_transaction:
            self.pricer.history.commit()
        self.done = True
        self._close_spill()

    def abort(self) -> None:
        if not self.done:
            self.done = True
            if self.owns_transaction:
                self.pricer.history.rollback()
        self._close_spill()

    def stream(self, claims: Iterable) -> Iterator[PricedClaim]:
        """add() every claim, then finish(); abort() if the consumer stops early."""
        try:
            for claim in claims:
                out = self.add(claim)
                if out:
                    yield from out
            yield from self.finish()
        finally:
            self.abort()

    # -- memory --------------------------------------------------------------------------
    def _spill_waiting(self) -> None:
        """Every claim waiting in memory (in flight or in the ready set) to disk."""
        if self.spill is None:
            self.spill = ClaimSpill()
        rows: list[tuple[Any, int, list]] = []
        for w in (*self.pending.values(), *self.ready):
            if w.items:
                rows.extend(self._rows(w))
        self.spill.put_many(rows)
        self.held = 0

    def _rows(self, w: _Waiting) -> list[tuple[Any, int, list]]:
        """A member's claims in memory as spill rows, one per month; now on disk."""
        months: dict[int, list[ClaimItem]] = {}
        for it in w.items:
            months.setdefault(_month(it), []).append(it)
        w.spilled += len(w.items)
        w.items = []
        return [(w.key, m, items) for m, items in months.items()]

    def _close_spill(self) -> None:
        if self.spill is not None:
            self.spill.close()

    def _take(self, w: _Waiting) -> list[list[ClaimItem]]:
        """A ready member's claims in input order, back from disk as needed; split by
        member id when two member ids share a key (plan.py)."""
        items = w.items
        if w.spilled:
            items = self.spill.take(w.key) + items
            if w.spilled > 1:
                items.sort(key=lambda it: it.index)
        if not w.apart or all(it.mbi == w.mbi for it in items):
            return [items]
        groups: dict[str, list[ClaimItem]] = {}
        for it in items:
            groups.setdefault(it.mbi, []).append(it)
        return sorted(groups.values(), key=lambda g: g[-1].index)

    def _by_month(self, w: _Waiting) -> bool:
        """Whether a ready member is priced a month at a time (module comment)."""
        if w.claims <= BIG_MEMBER or w.apart:
            return False
        pricer = self.pricer
        return not pricer.history.readonly and pricer.tables.evidence != BILLED

    def _months(self, w: _Waiting) -> Iterator[list[ClaimItem]]:
        """A large member's claims a month at a time, in month order."""
        if w.spilled:
            if w.items:
                self.spill.put_many(self._rows(w))
            yield from self.spill.buckets(w.key)
            return
        months: dict[int, list[ClaimItem]] = {}
        for it in w.items:
            months.setdefault(_month(it), []).append(it)
        w.items = []
        for m in sorted(months):
            yield months.pop(m)

    # -- pricing -------------------------------------------------------------------------
    def _price_ready(self) -> Iterable[PricedClaim]:
        waiting, self.ready, self.in_ready = self.ready, [], 0
        self.held -= sum(len(w.items) for w in waiting)
        if any(self._by_month(w) for w in waiting):
            return self._price_mixed(waiting)
        return self._price_sets([g for w in waiting for g in self._take(w)])

    def _price_mixed(self, waiting: list[_Waiting]) -> Iterator[PricedClaim]:
        groups: list[list[ClaimItem]] = []
        for w in waiting:
            if self._by_month(w):
                yield from self._price_sets(groups)
                groups = []
                yield from self._price_by_month(w)
            else:
                groups.extend(self._take(w))
        yield from self._price_sets(groups)

    def _price_by_month(self, w: _Waiting) -> Iterator[PricedClaim]:
        """One large member, a month at a time, with one history (module comment)."""
        histories = None
        for items in self._months(w):
            items.sort(key=_pricing_order)
            if histories is None:  # loaded once: the months share it as it grows
                histories = self.pricer._load([items])
            yield from self._price_sets([items], histories)

    def _price_sets(self, groups: list[list[ClaimItem]],
                    histories: dict | None = None) -> list[PricedClaim]:
        if not groups:
            return []
        pricer = self.pricer
        out: list[PricedClaim] = []
        batch = HistoryBatch()
        if histories is None:
            histories = pricer._load(groups)
        pricer._assign_icns(groups, histories)
        for group in groups:
            out.extend(pricer._price_group(group, histories[group[0].mbi], batch))
            self.claims_priced += len(group)
        if pricer._writes:
            pricer.history.stage(batch)
        return out
