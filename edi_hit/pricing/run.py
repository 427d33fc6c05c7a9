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
# Memory: the claims of beneficiaries "in flight" (first claim read, last not yet)
# plus one ready set. The pathological input is one beneficiary with a claim at the
# very start and another at the very end: everything of that beneficiary in between is
# held; a file sorted or grouped by beneficiary holds one claim at a time.
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
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from edi_hit.pricing.history import HistoryBatch
from edi_hit.pricing.model import PricedClaim

if TYPE_CHECKING:  # pragma: no cover
    from edi_hit.pricing.pricer import Pricer

__all__ = ["PricingRun", "ClaimItem", "claim_fingerprint", "claim_icn", "member_id",
           "DEFAULT_GROUP_SIZE"]

#: Beneficiaries priced together (one batch of history queries).
DEFAULT_GROUP_SIZE = 500


def member_id(claim) -> str:
    """The beneficiary a claim belongs to: 2010BA NM109, '' when missing."""
    s = claim.subscriber
    return (s.member_id if s is not None else None) or ""


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


class PricingRun:
    """One run of a Pricer: claims go in one by one, PricedClaims come out as soon as
    their beneficiary is complete.

        run = pricer.run(expected)         # member id -> claims of that member in the run
        for claim in claims:
            emit(run.add(claim))
        emit(run.finish())                 # the rest; history committed

    expected=None holds every claim until finish() (an in-memory run). A member missing
    from `expected`, or with more claims than announced, is held until finish() too,
    with a trace line saying so. skip(member) accounts for an announced claim that will
    not come (rejected by the reader). abort() drops the staged history writes.
    """

    def __init__(self, pricer: "Pricer", expected: Mapping[str, int] | None, group_size: int):
        self.pricer = pricer
        self.remaining = dict(expected) if expected is not None else None
        self.group_size = max(1, group_size)
        self.pending: dict[str, list[ClaimItem]] = {}
        self.ready: list[list[ClaimItem]] = []
        self.claims_in = 0       # claims added
        self.claims_priced = 0   # claims priced (a replacement's reversal not counted)
        self.unplanned = 0       # claims of members `expected` did not announce
        self.late = 0            # claims that came after their member was priced
        self.done = False
        history = pricer.history
        pricer._track = pricer._writes and not history.readonly
        self.owns_transaction = not history.in_transaction
        if self.owns_transaction:
            history.begin()

    def add(self, claim) -> list[PricedClaim]:
        it = self.pricer._item(self.claims_in, claim)
        self.claims_in += 1
        mbi = it.mbi
        group = self.pending.get(mbi)
        if group is None:
            group = self.pending[mbi] = []
        group.append(it)
        remaining = self.remaining
        if remaining is None:
            return []
        left = remaining.get(mbi)
        if left is None:
            self.unplanned += 1
            remaining[mbi] = -1
            return []
        if left <= 0:
            if left == 0 and len(group) == 1:  # its other claims were priced already
                self.late += 1
                it.note = ("claim read after its beneficiary's other claims of this run were "
                           "priced (the pre-scan did not count it)")
            return []
        return self._count_down(mbi, left)

    def skip(self, mbi: str) -> list[PricedClaim]:
        """An announced claim of this member will not come (the reader rejected it)."""
        if self.remaining is None:
            return []
        left = self.remaining.get(mbi)
        if left is None or left <= 0:
            return []
        return self._count_down(mbi, left)

    def _count_down(self, mbi: str, left: int) -> list[PricedClaim]:
        left -= 1
        self.remaining[mbi] = left
        if left or mbi not in self.pending:
            return []
        self.ready.append(self.pending.pop(mbi))
        if len(self.ready) >= self.group_size:
            return self._price_ready()
        return []

    def finish(self) -> list[PricedClaim]:
        """Price whatever is left (in order of each member's last claim); commit history."""
        rest = sorted(self.pending.values(), key=lambda g: g[-1].index)
        self.pending = {}
        out: list[PricedClaim] = []
        for i in range(0, len(rest), self.group_size):
            self.ready.extend(rest[i:i + self.group_size])
            out.extend(self._price_ready())
        if self.ready:
            out.extend(self._price_ready())
        if self.owns_transaction:
            self.pricer.history.commit()
        self.done = True
        return out

    def abort(self) -> None:
        if not self.done:
            self.done = True
            if self.owns_transaction:
                self.pricer.history.rollback()

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

    def _price_ready(self) -> list[PricedClaim]:
        groups, self.ready = self.ready, []
        if not groups:
            return []
        pricer = self.pricer
        out: list[PricedClaim] = []
        batch = HistoryBatch()
        histories = pricer._load(groups)
        pricer._assign_icns(groups, histories)
        for group in groups:
            out.extend(pricer._price_group(group, histories[group[0].mbi], batch))
            self.claims_priced += len(group)
        if pricer._writes:
            pricer.history.stage(batch)
        return out
