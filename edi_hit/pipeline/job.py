# The main job: 837P files in, an 835 (and a report and manifest) out, exactly once.
#
# Strategy: compose the stages and add nothing to them. edi_hit.pricing.stream's
# PricedFeed pre-scans the files, reads them claim by claim (837P reader in reject mode)
# and prices each beneficiary's claims in date-of-service order once the last of them
# has been read; the 835 builder is asked first whether it can carry each claim at all
# (a claim it cannot is rejected, never decided). Every PricedClaim goes to the 835
# RemittanceBuilder, which says where it put it, and to a Tally that counts it. Memory
# holds the beneficiaries in flight, not the files.
#
# With a history (--history) the run is atomic and exactly once (atomic.py): the history
# lock is held from before history is read until the commit, inputs adjudicated before
# are refused (or replayed), every output is completed under a temporary name before
# the one transaction that commits history, ledger and balances, and only then put in
# place. Without one, the outputs are still written under temporary names and renamed
# when complete. Nothing is lost: claims read = claims priced + claims rejected (each
# rejection is in the Summary with its reason), and claims priced = claims remitted;
# both are checked before anything is committed.
from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, BinaryIO

from edi_hit.errors import EdiHitError
from edi_hit.formats import dump_document
from edi_hit.interrupts import deferred
from edi_hit.pricing.history import BalanceEntry, Remit, open_history
from edi_hit.pricing.run import DEFAULT_SPILL_AFTER
from edi_hit.x835.build import PayerInfo, ProviderLevelAdjustment, RemittanceBuilder

from .atomic import LedgerRun, RunOutputs, _why, replay as _replay
from .faults import point
from .inputs import identify
from .summary import Summary, Tally

__all__ = ["adjudicate", "DEFAULT_BATCH_SIZE", "RunInterrupted"]

DEFAULT_BATCH_SIZE = 500  # beneficiaries priced together (one batch of history queries)
_REMITS_PER_WRITE = 5000
log = logging.getLogger(__name__)


class RunInterrupted(EdiHitError):
    """SIGINT or SIGTERM arrived while the run committed; it completed first."""


def _quiet(message: str) -> None:
    pass


def adjudicate(
    sources: Iterable[Any],
    *,
    output: str | os.PathLike | BinaryIO,
    report: str | os.PathLike | None = None,
    manifest: str | os.PathLike | Callable[[dict], None] | None = None,
    no_phi: bool = False,
    rates: Any = None,
    history: Any = None,
    conventions: Any = None,
    assume_dme_drug: bool = False,
    suppliers: Any = None,
    dme_evidence: str | None = None,
    dme_drugs: Iterable[Any] = (),
    contracts: Any = None,
    authorizations: Any = None,
    now: datetime | None = None,
    control_number: int = 1,
    payer: PayerInfo | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[Iterator], Iterator] | None = None,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    replay: bool = False,
    notify: Callable[[str], None] | None = None,
    spill_after: int | None = DEFAULT_SPILL_AFTER,
    strict: bool = False,
) -> Summary:
    """Read 837P files, price them with history, write one 835; return the Summary.

    sources: paths (or bytes / binary files) of 837P files, read in order as one run.
    output: the 835, a path (written under a temporary name, renamed when complete) or a
    binary stream. report: a path for the Summary as JSON. manifest: a path for one JSON
    line per claim that entered (processed, denied, duplicate, reversal, rejected; its
    ICN, money and where the 835 put it, or its reject reason), or a callable taking
    each line as a dict; no_phi leaves the member id out of it.
    rates, history, conventions, assume_dme_drug, suppliers, dme_evidence, dme_drugs,
    contracts, authorizations: as for edi_hit.pricing.price (Summary.notes says which DME
    evidence mode ran, whether supplier enrolment was checked, which contracts). With a
    history the run is exactly once (module comment); wait: seconds to wait for another
    run holding that history (None: as long as it takes), on_wait(message) is told once;
    replay: write the 835 of the committed run that adjudicated these inputs again.
    now, control_number: fix the 835's dates and control numbers (golden files).
    batch_size: beneficiaries priced together (one batch of history queries).
    progress: wraps the iterator of claims read (the CLI's counter on stderr).
    notify(message): one-line notes (a repaired run, an upgraded history file).
    spill_after: claims kept waiting in memory for the rest of their beneficiary before
    they wait on disk (None: never); the output does not depend on it.
    strict: the first rejected claim (the reader's, or one no 835 can carry) stops the
    run before anything is committed or written: a StrictStop (an X12Error naming file,
    CLM segment index, CLM01 and reason), the ledger run aborted.
    """
    sources = list(sources)
    log.info("adjudicating %d input file(s)%s", len(sources),
             " with a history" if history is not None else " (history in memory)")
    if not sources:
        raise EdiHitError("no 837P input given")
    from edi_hit.pricing.stream import source_name

    names = [source_name(s) for s in sources]
    notify = notify or _quiet
    opts = dict(output=output, manifest=manifest, no_phi=no_phi, rates=rates, history=history,
                conventions=conventions, assume_dme_drug=assume_dme_drug, suppliers=suppliers,
                dme_evidence=dme_evidence, dme_drugs=dme_drugs, contracts=contracts,
                authorizations=authorizations, now=now,
                control_number=control_number, payer=payer, batch_size=batch_size,
                progress=progress, spill_after=spill_after, strict=strict)
    if history is None:  # no ledger: the pricer keeps a private history in memory
        outputs = RunOutputs.plan(output, report, manifest, inputs=sources, history=None,
                                  defer=False)
        if replay:
            raise EdiHitError("--replay needs the history (--history) that recorded the run")
        return _run(sources, names, outputs, Summary(files=names), None, None, opts)
    store = open_history(history)
    owned = store is not history
    temps: list = []
    try:
        summary = Summary(files=names, notes=list(getattr(store, "notes", ())))
        for note in summary.notes:
            notify(note)
        if store.readonly:  # look, never decide
            outputs = RunOutputs.plan(output, report, manifest, inputs=sources,
                                      history=store.path, defer=False)
            return _run(sources, names, outputs, summary, None, None, opts)
        summary.history = store.location
        outputs = RunOutputs.plan(output, report, manifest, inputs=sources, history=store.path,
                                  defer=True)
        try:
            outputs.reserve()  # another command writing one of them: fail now, not later
            sources, inputs, temps = identify(sources, names)
            ledger = LedgerRun(store, inputs, started=datetime.now(), notify=notify)
            try:
                done = ledger.begin(wait, on_wait, outputs.reserved())
            except OSError as exc:
                raise EdiHitError(f"run failed: {_why(exc)}; nothing was committed and no "
                                  f"output was written") from None
            summary.notes.extend(ledger.notes)
            if replay:
                store.rollback()
                outputs.discard()  # the replay writes the 835 itself
                return _replayed(done, inputs, store, output, report, sources, summary)
            if done:
                raise ledger.refuse(done)
            ledger.open()
        except BaseException:
            outputs.discard()
            raise
        summary.run_id = ledger.run_id
        return _run(sources, names, outputs, summary, store, ledger, opts)
    finally:
        for t in temps:
            t.close()
        if owned:
            store.close()


def _replayed(done, inputs, store, output, report, sources, summary) -> Summary:
    runs = {rec.id: rec for rec in done.values()}
    if len(done) != len(inputs) or len(runs) != 1:
        missing = [i.path for i in inputs if i.sha256 not in done]
        raise EdiHitError(
            f"--replay: {', '.join(missing)} {'was' if len(missing) == 1 else 'were'} not "
            f"adjudicated by a committed run of {store.location}; nothing to replay" if missing
            else f"--replay: the inputs were adjudicated by different runs "
                 f"({', '.join(map(str, sorted(runs)))}); replay one run at a time")
    (rec,) = runs.values()
    _replay(store, rec, output, inputs=sources, history=store.path)
    out = Summary.from_dict(rec.totals)
    out.run_id, out.replayed_run, out.history = None, rec.id, store.location
    out.notes = summary.notes
    out.output = os.fspath(output) if isinstance(output, (str, os.PathLike)) else None
    if report is not None:
        from edi_hit.outputs import open_output

        with open_output(os.fspath(report), label="--report", inputs=sources,
                         history=store.path, others=[("-o", out.output)]) as fh:
            dump_document({**rec.totals, "replayed_run": rec.id}, fh)
    return out


def _run(sources, names, outputs: RunOutputs, summary: Summary, store, ledger: LedgerRun | None,
         opts: dict) -> Summary:
    from edi_hit.pricing import Pricer
    from edi_hit.pricing.stream import PricedFeed

    pricer = None
    try:
        outputs.open()
        builder = RemittanceBuilder(payer=opts["payer"], now=opts["now"],
                                    control_number=opts["control_number"])
        pricer = Pricer(rates=opts["rates"], history=store if ledger is not None else
                        opts["history"], conventions=opts["conventions"],
                        assume_dme_drug=opts["assume_dme_drug"],
                        group_size=max(1, opts["batch_size"]), suppliers=opts["suppliers"],
                        dme_evidence=opts["dme_evidence"], dme_drugs=opts["dme_drugs"],
                        contracts=opts["contracts"], authorizations=opts["authorizations"])
        summary.notes[:0] = pricer.notes()  # how the run priced, before repairs/migrations
        tally = Tally(summary, _manifest_writer(outputs, opts["manifest"]), no_phi=opts["no_phi"])
        feed = PricedFeed(pricer, sources, names=names, progress=opts["progress"],
                          admit=builder.refusal, spill_after=opts["spill_after"],
                          strict=opts["strict"])
        _remit(feed, builder, tally, ledger)
        point("priced")
        summary.claims_in = feed.claims_in
        summary.claims_rejected = len(feed.rejected)
        summary.rejects = [r.to_dict() for r in feed.rejected]
        summary.findings = len(feed.findings)
        if feed.claims_in != feed.claims_priced + len(feed.rejected):  # pragma: no cover - a bug
            raise EdiHitError(f"{feed.claims_in} claims read but {feed.claims_priced} priced and "
                              f"{len(feed.rejected)} rejected")
        if builder.claims != summary.claims:  # pragma: no cover - a bug, not bad input
            raise EdiHitError(f"{summary.claims} claims priced but {builder.claims} remitted")
        finish_835(builder, outputs.stream("835"), summary, ledger)
        point("remitted")
        for r in feed.rejected:
            tally.rejected(r)
        out = opts["output"]
        summary.output = os.fspath(out) if isinstance(out, (str, os.PathLike)) else (
            getattr(out, "name", None) if isinstance(getattr(out, "name", None), str) else None)
        report = outputs.stream("report")
        if report is not None:
            dump_document(summary.to_dict(), report)
        settle(outputs, summary, ledger)
    except BaseException as exc:
        if ledger is not None and ledger.committed:
            raise _after_commit(exc, ledger) from None
        if ledger is not None:
            ledger.abort(exc)
        outputs.discard()
        if isinstance(exc, OSError):
            raise EdiHitError(f"run failed: {_why(exc)}; nothing was committed and no output "
                              f"was written") from None
        raise
    finally:
        outputs.close()
        if pricer is not None:
            pricer.close()
    return summary


def _after_commit(exc: BaseException, ledger: LedgerRun) -> BaseException:
    """What to say when something stops a run that is committed already (its money is
    decided; its outputs are in place, or the next run puts them there)."""
    if isinstance(exc, EdiHitError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return RunInterrupted(f"interrupted after run {ledger.run_id} was committed and its "
                              f"outputs put in place; nothing was lost")
    return EdiHitError(f"run {ledger.run_id} is committed and its outputs are in place, but "
                       f"then: {_why(exc)}")


def _manifest_writer(outputs: RunOutputs, manifest):
    stream = outputs.stream("manifest")
    if stream is not None:
        dumps = json.dumps

        def write(entry: dict) -> None:
            stream.write(dumps(entry, separators=(",", ":")) + "\n")

        return write
    return manifest if callable(manifest) else None


def _remit(feed, builder: RemittanceBuilder, tally: Tally, ledger: LedgerRun | None) -> None:
    """Every priced claim into the 835 and the tally (and the ledger: where it went).
    The collector's settings are the process's, never changed here (a library has no
    business with them; tools/bench_pipeline.py measured what tuning them bought)."""
    add, count = builder.add, tally.count
    if ledger is None and tally.manifest is None:
        for pc in feed:
            add(pc)
            count(pc)
        return
    trace = builder.trace_number
    remits: list[Remit] = []
    for pc in feed:
        number, position = add(pc)
        trn = trace(number)
        paid = count(pc, trn, position)
        if ledger is not None:
            remits.append(Remit(trn, position, pc.payer_claim_control_number, pc.status, paid))
            if len(remits) >= _REMITS_PER_WRITE:
                ledger.store.stage_remits(ledger.run_id, remits)
                remits = []
    if ledger is not None and remits:
        ledger.store.stage_remits(ledger.run_id, remits)


def finish_835(builder: RemittanceBuilder, stream, summary: Summary,
               ledger: LedgerRun | None) -> None:
    """Write the 835 (on a ledger, taking back what the payees owe: PLB FB) and count
    its transactions' money and balance moves into the summary."""
    recoverable = None
    if ledger is not None:
        owed = ledger.store.open_balances(builder.payee_ids())
        recoverable = {payee: [ProviderLevelAdjustment("FB", b.amount, b.reference)
                               for b in balances] for payee, balances in owed.items()}
    summary.transactions = builder.finish(stream, recoverable=recoverable)
    _account(summary, ledger)


def settle(outputs: RunOutputs, summary: Summary, ledger: LedgerRun | None) -> None:
    """Complete every output; on a ledger commit the run, then put the outputs in place
    (atomic.py), else put them in place."""
    records = outputs.complete(durable=ledger is not None)
    point("written")
    if ledger is not None:
        ledger.commit(outputs, summary.to_dict(), records)
    else:
        with deferred():
            outputs.publish()
            point("published")


def _account(summary: Summary, ledger: LedgerRun | None) -> None:
    """Payments and provider-level adjustments of the transactions; balance moves."""
    entries = []
    for t in summary.transactions:
        summary.payment += t.payment
        summary.provider_adjustments += t.provider_adjustments
        for p in t.plb:
            if p.reason != "FB" or not p.reference:
                continue
            if p.amount > 0:
                summary.recouped += p.amount
            else:
                summary.carried_forward -= p.amount
            entries.append(BalanceEntry(t.payee_id, p.reference, -p.amount))
    if ledger is not None and entries:
        ledger.store.stage_balances(ledger.run_id, entries)
