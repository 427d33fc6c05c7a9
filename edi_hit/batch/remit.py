# A batch's second phase: price the partitions side by side, decide and remit them once.
#
# Strategy: one run for the whole batch, whatever the number of workers. With a history
# the batch's process takes the history's write lock first (LedgerRun.begin: repair,
# inputs adjudicated before) and holds it to the commit; then the partitions are priced
# in N processes (price.py), each reading the history as that lock keeps it and
# capturing what it would write; then this process, alone, stages every partition's
# history writes in partition order, absorbs each partition's 835 fragment into one
# RemittanceBuilder (one transaction per payer x payee for the whole batch), records
# where each claim went, recoups open balances (PLB FB) and commits history, ledger and
# the 835's bytes in one transaction before the outputs are put in place (atomic.py's
# LedgerRun and RunOutputs, as `adjudicate` does). So money is decided exactly once:
# a kill before the commit leaves nothing (a resume prices again), a kill after it
# leaves a committed run whose outputs the next begin() repairs, and the resume finds
# the batch's own run by its 835. Pricing runs on every worker and only the staging and
# the byte copy are serial.
#
# Two partitions can give one ICN to claims of different members (an ICN is 13 digits of
# a digest): the store's unique constraint says so when the second is staged; its
# staging is undone (a savepoint) and that partition is priced again here, in the run's
# transaction, where it sees the other partitions' ICNs and takes the next variant.
#
# Without a history each partition prices with a private history in memory; a partition
# is done when its Part is written (a resume reuses it) and the batch when its 835 and
# the run's report are in place.
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from edi_hit.errors import DataError
from edi_hit.formats import dump_document
from edi_hit.pipeline.atomic import LedgerRun, RunOutputs
from edi_hit.pipeline.faults import point
from edi_hit.pipeline.job import finish_835, settle
from edi_hit.pipeline.summary import Summary
from edi_hit.pricing.history import InputFile, Remit, RunRecord, open_history
from edi_hit.pricing.history.capture import frames
from edi_hit.x835.build import RemittanceBuilder

from .price import Part, done_part, price_partition, remits_of
from .work import Pool

__all__ = ["remit_partitions", "Batch", "Outcome", "REMIT", "REPORT"]

REMIT = "remit.835"
REPORT = "run.json"  # the run's report, in the work folder (the ledger keeps it too)
_REMITS_PER_WRITE = 5000


@dataclass
class Outcome:
    """What the run did: its report (None when nothing was left to price) and the inputs
    a committed run had adjudicated already (sha256 -> that run), which were not priced."""

    summary: Summary | None
    before: dict[str, RunRecord] = field(default_factory=dict)


@dataclass
class Batch:
    """The run's inputs, as phase 1 left them."""

    names: list[str]                    # input files, in order
    inputs: list[InputFile]             # the X12 ones: what the ledger records
    partitions: list[tuple[int, list[str]]]  # (partition, its shards), shards non-empty
    shard_sha: dict[str, str]           # shard -> its input file's sha256
    rejected: list[dict]                # the split's rejects, each with 'file' and 'sha256'
    outdir: str
    work: str
    workers: int
    options: dict[str, Any]             # pricing options (price.PRICING), payer, now ...
    history: str | None = None          # a SQLite path or a postgresql:// URL
    control_number: int = 1


def remit_partitions(batch: Batch, *, resume: bool, progress,
                     notify: Callable[[str], None], wait: float | None = None,
                     on_wait: Callable[[str], None] | None = None) -> Outcome:
    with Pool(batch.workers, len(batch.partitions)) as pool:  # before the history opens
        return _remit_partitions(batch, pool, resume, progress, notify, wait, on_wait)


def _remit_partitions(batch: Batch, pool: Pool, resume, progress, notify, wait,
                      on_wait) -> Outcome:
    remit = os.path.join(batch.outdir, REMIT)
    report = os.path.join(batch.work, REPORT)
    if batch.history is None:
        if resume and os.path.exists(remit) and os.path.exists(report):
            with open(report, encoding="utf-8") as fh:
                return Outcome(Summary.from_dict(json.load(fh)))
        if not batch.partitions:
            return Outcome(None)
        outputs = RunOutputs.plan(remit, report, None, inputs=batch.names, history=None,
                                  defer=False)
        summary = Summary(files=list(batch.names))
        _count_split(summary, batch.rejected)
        return Outcome(_run(batch, pool, outputs, summary, None, None, progress))
    store = open_history(batch.history)
    try:
        return _on_ledger(batch, pool, store, remit, report, resume, progress, notify, wait,
                          on_wait)
    finally:
        store.close()


def _on_ledger(batch: Batch, pool: Pool, store, remit, report, resume, progress, notify, wait,
               on_wait) -> Outcome:
    outputs = RunOutputs.plan(remit, report, None, inputs=batch.names, history=store.path,
                              defer=True)
    try:
        outputs.reserve()
        ledger = LedgerRun(store, batch.inputs, started=datetime.now(), notify=notify)
        done = ledger.begin(wait, on_wait, outputs.reserved())
    except BaseException:
        outputs.discard()
        raise
    try:
        ours = _our_run(done, batch.inputs, remit) if resume else None
        if ours is not None:  # committed before a kill; begin() put its outputs in place
            store.rollback()
            outputs.discard()
            summary = Summary.from_dict(ours.totals)
            summary.run_id = ours.id
            return Outcome(summary)
        ledger.inputs = [i for i in batch.inputs if i.sha256 not in done]
        batch.partitions = [(p, kept) for p, shards in batch.partitions
                            if (kept := [s for s in shards if batch.shard_sha[s] not in done])]
        if not batch.partitions:
            store.rollback()
            outputs.discard()
            return Outcome(None, done)
        ledger.open()
    except BaseException:
        if store.in_transaction:
            store.rollback()
        outputs.discard()
        raise
    summary = Summary(files=list(batch.names), notes=list(getattr(store, "notes", ())) +
                      ledger.notes)
    summary.history, summary.run_id = store.location, ledger.run_id
    _count_split(summary, [r for r in batch.rejected if r["sha256"] not in done])
    return Outcome(_run(batch, pool, outputs, summary, store, ledger, progress), done)


def _our_run(done: dict[str, RunRecord], inputs: list[InputFile], remit: str) -> RunRecord | None:
    """The committed run of this very batch (a resume after the commit): it adjudicated
    every input and wrote the batch's 835."""
    runs = {rec.id: rec for rec in done.values()}
    if len(runs) != 1 or any(i.sha256 not in done for i in inputs):
        return None
    (rec,) = runs.values()
    out = rec.output("835")
    return rec if out is not None and os.path.abspath(out.path) == os.path.abspath(remit) else None


def _count_split(summary: Summary, rejected: list[dict]) -> None:
    """The claims the split rejected (reader, TR3 gate) belong to the run's counts."""
    summary.claims_in += len(rejected)
    summary.claims_rejected += len(rejected)
    summary.rejects.extend({k: v for k, v in r.items() if k != "sha256"} for r in rejected)


def _run(batch: Batch, pool: Pool, outputs: RunOutputs, summary: Summary, store,
         ledger: LedgerRun | None, progress) -> Summary:
    try:
        outputs.open()
        parts = _price_all(batch, pool, store is None, progress)
        builder = RemittanceBuilder(payer=batch.options.get("payer"),
                                    now=batch.options.get("now"),
                                    control_number=batch.control_number)
        tasks = dict(_tasks(batch))
        for part in parts:
            if store is not None and part.captured:
                part = _stage(part, store, tasks[part.partition], summary)
            moved = builder.absorb(part.fragment, part.files["835part"])
            summary.add(part.summary)
            if ledger is not None:
                _stage_remits(part, moved, builder, ledger)
        point("priced")
        finish_835(builder, outputs.required("835"), summary, ledger)
        summary.output = outputs.items["835"].target.name
        dump_document(summary.to_dict(), outputs.required("report"))
        settle(outputs, summary, ledger)
    except BaseException as exc:
        if ledger is not None and not ledger.committed:
            ledger.abort(exc)
        if ledger is None or not ledger.committed:
            outputs.discard()
        raise
    finally:
        outputs.close()
    return summary


def _tasks(batch: Batch):
    for p, shards in batch.partitions:
        yield p, (p, shards, batch.work, batch.history, batch.options)


def _price_all(batch: Batch, pool: Pool, reuse: bool, progress) -> list[Part]:
    """Every partition priced, in partition order; reuse: take a Part priced before a
    kill (no history: nothing else it depends on)."""
    found: dict[int, Part] = {}
    todo = []
    for p, task in _tasks(batch):
        part = done_part(batch.work, p) if reuse else None
        if part is not None:
            found[p] = part
        else:
            todo.append(task)
    with progress("batch: price", len(batch.partitions), "partitions") as bar:
        bar.advance(len(found))
        for part in pool.map(price_partition, todo, bar):
            found[part.partition] = part
    return [found[p] for p, _ in batch.partitions]


def _stage(part: Part, store, task, summary: Summary) -> Part:
    """The partition's captured history writes, into the run's transaction; on an ICN
    another partition took (module comment), the partition priced again, here."""
    try:
        with store.savepoint(f"edi_hit_p{part.partition}"):
            for staged in frames(part.files["history"]):
                store.stage(staged)
    except DataError:
        summary.notes.append(f"partition {part.partition + 1} was priced again in the run's "
                             f"transaction: another partition had given one of its ICNs")
        return price_partition(task, live=store)
    return part


def _stage_remits(part: Part, moved: dict, builder: RemittanceBuilder, ledger: LedgerRun) -> None:
    """Where each of the partition's claims is in the batch's 835 (TRN02, position)."""
    remits: list[Remit] = []
    stage = ledger.store.stage_remits
    run_id = ledger.opened
    for number, position, icn, status, paid in remits_of(part):
        to, before = moved[number]
        remits.append(Remit(builder.trace_number(to), before + position, icn, status, paid))
        if len(remits) >= _REMITS_PER_WRITE:
            stage(run_id, remits)
            remits = []
    if remits:
        stage(run_id, remits)
