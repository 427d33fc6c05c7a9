# One Spark partition priced by edi-hit's own Pricer: the only pricing the runner does.
#
# Strategy: a partition holds whole beneficiaries (partitioned by member id) in key
# order (records.py), so a beneficiary's claims arrive together, in date order. They
# are handed to the same Pricer that `adjudicate` uses, in runs of up to `group_size`
# beneficiaries (one batch of history queries each, memory for one run's claims).
# With a history the partition is one transaction: begin_pricing() (on PostgreSQL the
# history shared and each beneficiary locked as it is loaded, so partitions price at
# once; on SQLite the whole history, in turn), every run staged into it, one commit at
# the end - or nothing, if the task fails. Without one, each run keeps a private
# history in memory, as `adjudicate` does without --history. Records that are not
# claims pass through to the driver; the partition ends with how many claims it priced.
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from edi_hit.errors import EdiHitError

from .records import CLAIM, PRICED, PRICED_COUNT, fail

__all__ = ["PricingOptions", "price_partition"]


@dataclass
class PricingOptions:
    """What every partition's Pricer is made from (shipped to the executors): tables
    loaded on the driver, the history's location (a URL or a path every executor can
    reach), and how long to wait for a beneficiary another worker is pricing."""

    rates: Any = None
    conventions: Any = None
    suppliers: Any = None
    assume_dme_drug: bool = False
    dme_evidence: str | None = None
    dme_drugs: list = field(default_factory=list)
    history: str | None = None
    group_size: int = 500
    wait: float | None = None
    contracts: Any = None        # a ContractBook loaded on the driver, or None
    authorizations: Any = None   # Authorizations loaded on the driver, or None

    def pricer(self, store):
        from edi_hit.pricing import Pricer

        return Pricer(rates=self.rates, history=store, conventions=self.conventions,
                      assume_dme_drug=self.assume_dme_drug, group_size=self.group_size,
                      suppliers=self.suppliers, dme_evidence=self.dme_evidence,
                      dme_drugs=self.dme_drugs, contracts=self.contracts,
                      authorizations=self.authorizations)


def price_partition(options: PricingOptions, records: Iterable) -> Iterator[tuple[str, Any]]:
    """(kind, payload) for the driver: every priced claim, every record passed through,
    then (PRICED_COUNT, claims priced)."""
    try:
        yield from _priced(options, records)
    except EdiHitError as exc:
        raise fail(exc) from None


def _priced(options: PricingOptions, records: Iterable) -> Iterator[tuple[str, Any]]:
    from edi_hit.pricing.history import open_history

    store = open_history(options.history) if options.history else None
    pricer = options.pricer(store)
    priced = 0
    try:
        if store is not None:
            store.begin_pricing(options.wait)
        claims: list = []
        members: Counter = Counter()
        for key, (kind, payload) in records:
            if kind != CLAIM:
                yield kind, payload
                continue
            mbi = key[0]
            if mbi not in members and len(members) >= options.group_size:
                priced += yield from _run(pricer, claims, members)
                claims, members = [], Counter()
            claims.append(payload)
            members[mbi] += 1
        if claims:
            priced += yield from _run(pricer, claims, members)
        if store is not None:
            store.commit()
    finally:
        if store is not None:
            store.rollback()  # nothing left to undo after a commit
        pricer.close()
        if store is not None:
            store.close()
    yield PRICED_COUNT, priced


def _slim(pc):
    """The priced claim as the driver needs it: the working of each line (its trace,
    some 15 lines of text a line, for `price --explain`) stays behind; it would
    otherwise be a third of what crosses to the driver."""
    for pl in pc.lines:
        pl.trace = []
    return PRICED, pc


def _run(pricer, claims: list, members: Counter):
    """One PricingRun over whole beneficiaries; returns how many claims it priced."""
    run = pricer.run(members)
    try:
        for claim in claims:
            for pc in run.add(claim):
                yield _slim(pc)
        for pc in run.finish():
            yield _slim(pc)
    finally:
        run.abort()
    return run.claims_priced
