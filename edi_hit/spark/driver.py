# The Spark runner's driver: inputs listed, the job wired, the 835 written, the run kept.
#
# Strategy: Spark only moves claims; edi-hit decides them. The job is one pass:
# binaryFiles -> file_records (records.py, the reader on the executors) ->
# repartitionAndSortWithinPartitions by member id (every beneficiary in one partition,
# in date order) -> price_partition (partition.py, the same Pricer as `adjudicate`) ->
# toLocalIterator: the driver feeds every priced claim to one RemittanceBuilder, which
# writes one 835 transaction per payer x payee, balanced, each claim exactly once, and
# to the same Tally and Summary `adjudicate` reports with. The shuffle is a barrier:
# every file is read (and a file that is not X12 stops the run) before any partition
# prices.
#
# With a history the run goes on the ledger like `adjudicate`'s: inputs adjudicated by
# a committed run are refused before the job starts; partitions commit their history
# as they finish (one transaction each); then the driver takes the history's lock,
# checks the inputs again, opens the run, recoups open balances (PLB FB), and commits
# the run with its inputs, remits, balance moves and the 835's bytes while the outputs
# are put in place (edi_hit.pipeline's LedgerRun and RunOutputs). A crash after some
# partitions committed leaves their claims decided without a run: a rerun denies them
# as exact duplicates (OA-18) instead of paying twice, and `adjudicate --replay` is
# not possible for it; keep spark.speculation off (a speculative copy of a pricing task
# would find its beneficiaries' claims decided already).
from __future__ import annotations

import json
import os
from datetime import datetime
from functools import partial
from typing import Any, Callable, Iterable, Mapping

from edi_hit.errors import EdiHitError
from edi_hit.pipeline.atomic import LedgerRun, RunOutputs
from edi_hit.pipeline.job import DEFAULT_BATCH_SIZE, finish_835, settle
from edi_hit.pipeline.summary import Summary, Tally
from edi_hit.pricing.history import InputFile, Remit, is_postgres_url, open_history
from edi_hit.x835.build import PayerInfo, RemittanceBuilder

from .inputs import identify_inputs, list_inputs, local_path, spark_errors
from .partition import PricingOptions, price_partition
from .records import COUNT, FINDINGS, PRICED, PRICED_COUNT, REJECTED, file_records, \
    member_partition

__all__ = ["spark_adjudicate", "priced_claims", "default_partitions", "REMIT", "SUMMARY"]

REMIT, SUMMARY = "remit.835", "summary.json"
_PART_BYTES = 8 << 20


def _records(numbers: dict[str, int], item: tuple[str, bytes]):
    name, data = item
    return file_records(numbers[name], local_path(name), data)


def default_partitions(spark: Any, files: Mapping[str, int]) -> int:
    """Pricing tasks when not told: every core busy, and a partition of about 8 MB of
    input (some 20,000 claims) at most, since the driver holds one or two partitions'
    priced claims at a time while it writes them to the 835."""
    return max(2 * spark.sparkContext.defaultParallelism, sum(files.values()) // _PART_BYTES + 1)


def priced_claims(spark: Any, files: Mapping[str, int], options: PricingOptions,
                  partitions: int | None = None) -> Iterable[tuple[str, Any]]:
    """The job: (kind, payload) records of every file (URI -> size), priced; streamed to
    the driver partition by partition."""
    sc = spark.sparkContext
    n = max(1, partitions or default_partitions(spark, files))
    numbers = {name: i for i, name in enumerate(files)}
    # enough splits that a few megabytes of input make a task each (Spark packs small
    # files together up to spark.files.openCostInBytes, 4 MB by default)
    raw = sc.binaryFiles(",".join(files), minPartitions=max(len(files), 4 * n))
    records = raw.flatMap(partial(_records, numbers))
    priced = records.repartitionAndSortWithinPartitions(n, member_partition).mapPartitions(
        partial(price_partition, options))
    return priced.toLocalIterator(prefetchPartitions=True)


def spark_adjudicate(
    spark: Any,
    inputs: str | list[str],
    outdir: str | os.PathLike,
    *,
    history: Any = None,
    rates: Any = None,
    conventions: Any = None,
    assume_dme_drug: bool = False,
    suppliers: Any = None,
    dme_evidence: str | None = None,
    dme_drugs: Iterable[Any] = (),
    now: datetime | None = None,
    control_number: int = 1,
    payer: PayerInfo | None = None,
    partitions: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    notify: Callable[[str], None] | None = None,
    contracts: Any = None,
    authorizations: Any = None,
) -> Summary:
    """Adjudicate the 837P files matching `inputs` (a glob, a folder or a list of them,
    on any file system Spark reads) on `spark`; write OUTDIR/remit.835 (one transaction
    per payer x payee) and OUTDIR/summary.json; return the Summary. Options as for
    edi_hit.pipeline.adjudicate; history: a postgresql:// URL (or a SQLite file every
    executor can reach: its partitions then take turns). partitions: how many pricing
    tasks (default: default_partitions). contracts, authorizations: payer contracts and
    their prior authorizations, as for the Pricer (loaded once, here, and shipped)."""
    from edi_hit.pricing import Pricer

    with spark_errors():
        files = list_inputs(spark, inputs)
    names = [local_path(f) for f in files]
    os.makedirs(outdir, exist_ok=True)
    dme_drugs = list(dme_drugs)
    if isinstance(history, (str, os.PathLike)) and not is_postgres_url(history):
        history = os.path.abspath(history)  # a SQLite file: the same one on every executor
    driver = Pricer(rates=rates, conventions=conventions, assume_dme_drug=assume_dme_drug,
                    suppliers=suppliers, dme_evidence=dme_evidence, dme_drugs=dme_drugs,
                    contracts=contracts, authorizations=authorizations)
    options = PricingOptions(driver.rates, driver.conv, driver.suppliers, assume_dme_drug,
                             dme_evidence, dme_drugs, history, max(1, batch_size), wait,
                             driver.book, driver.authorizations)
    summary = Summary(files=names, notes=driver.notes())
    driver.close()
    store = open_history(history) if history is not None else None
    try:
        outputs = RunOutputs.plan(os.path.join(outdir, REMIT), os.path.join(outdir, SUMMARY),
                                  None, inputs=names, history=store.path if store else None,
                                  defer=store is not None)
        ledger = None
        if store is not None:
            summary.history = store.location
            with spark_errors():
                found = identify_inputs(spark, files)
            ledger = _refuse_done(store, found, wait, on_wait, notify, outputs)
        with spark_errors():
            return _run(spark, files, options, partitions, summary, outputs, ledger,
                        store, payer, now, control_number, wait, on_wait)
    finally:
        if store is not None:
            store.close()


def _refuse_done(store, inputs: list[InputFile], wait, on_wait, notify, outputs) -> LedgerRun:
    """Before the job: refuse inputs a committed run adjudicated (and repair an
    interrupted run); the lock is let go while the partitions price."""
    outputs.reserve()
    ledger = LedgerRun(store, inputs, started=datetime.now(), notify=notify or (lambda m: None))
    try:
        done = ledger.begin(wait, on_wait, outputs.reserved())
        if done:
            raise ledger.refuse(done)
        store.rollback()
    except BaseException:
        outputs.discard()
        raise
    return ledger


def _run(spark, files, options, partitions, summary: Summary, outputs: RunOutputs,
         ledger: LedgerRun | None, store, payer, now, control_number, wait, on_wait) -> Summary:
    try:
        outputs.open()
        builder = RemittanceBuilder(payer=payer, now=now, control_number=control_number)
        tally = Tally(summary)
        remits: list[Remit] = []
        rejected: list = []
        priced = 0
        for kind, item in priced_claims(spark, files, options, partitions):
            if kind == PRICED:
                number, position = builder.add(item)
                trn = builder.trace_number(number)
                paid = tally.count(item, trn, position)
                if ledger is not None:
                    remits.append(Remit(trn, position, item.payer_claim_control_number,
                                        item.status, paid))
            elif kind == REJECTED:
                rejected.append(item)
            elif kind == COUNT:
                summary.claims_in += item
            elif kind == FINDINGS:
                summary.findings += item
            elif kind == PRICED_COUNT:
                priced += item
        rejected.sort(key=lambda r: (summary.files.index(r.file) if r.file in summary.files
                                     else len(summary.files), r.segment_index or 0))
        summary.claims_rejected = len(rejected)
        summary.rejects = [r.to_dict() for r in rejected]
        if summary.claims_in != priced + len(rejected):  # pragma: no cover - a bug
            raise EdiHitError(f"{summary.claims_in} claims read but {priced} priced and "
                              f"{len(rejected)} rejected")
        if ledger is not None:
            done = ledger.begin(wait, on_wait, outputs.reserved())
            if done:
                raise ledger.refuse(done)
            ledger.open()
            summary.run_id = ledger.run_id
            store.stage_remits(ledger.run_id, remits)
        finish_835(builder, outputs.stream("835"), summary, ledger)
        summary.output = outputs.items["835"].target.name
        json.dump(summary.to_dict(), outputs.stream("report"), indent=1)
        outputs.stream("report").write("\n")
        settle(outputs, summary, ledger)
    except BaseException as exc:
        if ledger is not None and not ledger.committed and store.in_transaction:
            ledger.abort(exc)
        outputs.discard()
        raise
    finally:
        outputs.close()
    return summary
