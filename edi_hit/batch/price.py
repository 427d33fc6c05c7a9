# One partition of a batch, priced: its shards in; an 835 fragment, its counts and the
# history it would write out.
#
# Strategy: the pricing of `adjudicate` (PricedFeed: each beneficiary's claims in date
# order, on disk when beneficiaries interleave; the 835 builder refuses first what it
# cannot carry) over the partition's shards, in a worker process. Nothing is decided
# here: the priced claims are rendered by a RemittanceBuilder of the partition's own
# into a fragment (fragment(): the bytes and the running state), counted by a Tally into
# a partial Summary, and where each one went (transaction, position, ICN, status, paid)
# is kept for the ledger; the history's writes are captured (CapturedHistory) for the
# process that commits the run, which holds the history's lock meanwhile. Without a
# history the partition prices with a private history in memory (no beneficiary spans
# partitions). Given `live` (the committing process's own store, in its transaction),
# the partition is priced there instead and its writes are staged at once (batch's
# fallback when two partitions gave one ICN).
#
# Files, 0600 under the batch's work folder (they hold claims): pP.835part (the
# fragment's bytes), pP.history (captured batches), pP.remits (pickled lists of where
# claims went), pP.part (the Part, written last: its presence says the partition is done).
from __future__ import annotations

import os
import pickle
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

from edi_hit.errors import EdiHitError, IllustrativeRatesWarning
from edi_hit.pipeline.summary import Summary, Tally

__all__ = ["Part", "price_partition", "remits_of"]

_REMITS_PER_CHUNK = 5000
#: the options of run_batch a partition's Pricer, builder and feed take
PRICING = ("rates", "conventions", "assume_dme_drug", "suppliers", "dme_evidence", "dme_drugs",
           "contracts", "authorizations")


@dataclass
class Part:
    """What a priced partition hands to the committing process."""

    partition: int
    summary: Summary
    fragment: dict[str, Any]
    files: dict[str, str]
    captured: bool  # its history writes wait in files['history'] (False: staged live)


def part_files(work: str, p: int) -> dict[str, str]:
    return {k: os.path.join(work, f"p{p}.{k}") for k in ("835part", "history", "remits", "part")}


def remits_of(part: Part) -> Iterator[tuple[int, int, str, str, Any]]:
    """(transaction, position, ICN, status, paid) of every claim the partition priced, as
    its fragment placed them."""
    from edi_hit.pricing.history.capture import frames

    for chunk in frames(part.files["remits"]):
        yield from chunk


def done_part(work: str, p: int) -> Part | None:
    """The Part of a partition priced before (a resumed batch without history)."""
    path = part_files(work, p)["part"]
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        return pickle.load(fh)


def price_partition(task, live=None) -> Part:
    """task: (partition, shard paths, work folder, history location or None, options)."""
    from edi_hit.pipeline.job import DEFAULT_BATCH_SIZE
    from edi_hit.pricing import Pricer
    from edi_hit.pricing.history import open_history
    from edi_hit.pricing.history.capture import CapturedHistory
    from edi_hit.pricing.run import DEFAULT_SPILL_AFTER
    from edi_hit.pricing.stream import PricedFeed
    from edi_hit.x835.build import RemittanceBuilder

    p, shards, work, history, options = task
    files = part_files(work, p)
    store = live
    if store is None and history is not None:
        store = CapturedHistory(open_history(history, readonly=True), files["history"])
    pricer = None
    try:
        with warnings.catch_warnings():  # the batch warns once (run_batch), not per partition
            warnings.simplefilter("ignore", IllustrativeRatesWarning)
            pricer = Pricer(history=store, group_size=max(1, options.get("batch_size",
                                                                      DEFAULT_BATCH_SIZE)),
                            **{k: options[k] for k in PRICING if k in options})
        builder = RemittanceBuilder(payer=options.get("payer"), now=options.get("now"))
        summary = Summary(files=list(shards))
        tally = Tally(summary)
        feed = PricedFeed(pricer, shards, names=shards, admit=builder.refusal,
                          spill_after=options.get("spill_after", DEFAULT_SPILL_AFTER))
        fd = os.open(files["remits"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            chunk: list = []
            for pc in feed:
                number, position = builder.add(pc)
                chunk.append((number, position, pc.payer_claim_control_number, pc.status,
                              tally.count(pc)))
                if len(chunk) >= _REMITS_PER_CHUNK:
                    pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
                    chunk = []
            if chunk:
                pickle.dump(chunk, out, protocol=pickle.HIGHEST_PROTOCOL)
        summary.claims_in = feed.claims_in
        summary.claims_rejected = len(feed.rejected)
        summary.rejects = [r.to_dict() for r in feed.rejected]
        summary.findings = len(feed.findings)
        if feed.claims_in != feed.claims_priced + len(feed.rejected) or \
                builder.claims != summary.claims:  # pragma: no cover - a bug
            raise EdiHitError(f"partition {p}: {feed.claims_in} claims read, "
                              f"{feed.claims_priced} priced, {len(feed.rejected)} rejected, "
                              f"{builder.claims} rendered")
        part = Part(p, summary, builder.fragment(files["835part"]), files,
                    captured=live is None and history is not None)
    finally:
        if pricer is not None:
            pricer.close()
        if store is not None and store is not live:
            store.close()
    tmp = files["part"] + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(part, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, files["part"])
    return part
