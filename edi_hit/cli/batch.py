# `edi-hit batch`: a folder of 837P files in, 835s and a per-file manifest out.
#
# Strategy: a thin shell over edi_hit.batch (split by beneficiary, price the partitions
# side by side, one 835 and one ledger run for the batch, resume after a kill); this
# module only maps options and prints the summary. Progress: one bar (or a line every
# few seconds) per phase.
from __future__ import annotations

import time

import click

from .common import (Progress, allow_rejects_option, evidence_options, finish, gc_tuned,
                     now_option, pricing_options, say, wait_option)

#: file statuses that count as rejected input for the exit status (the rest: adjudicated,
#: empty, duplicate of another file of the batch)
_REJECTED_FILES = ("rejected", "not-x12", "unreadable")


def _progress(label: str, total: int, unit: str) -> Progress:
    return Progress(label, total=total, unit=unit)


@click.command("batch")
@click.argument("indir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for the 835s, manifest.ndjson and summary.json (created).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes: files are split, and beneficiaries partitioned, over them.")
@click.option("--resume", is_flag=True,
              help="Finish a batch a kill interrupted: what is recorded is not done again.")
@click.option("--tr3/--no-tr3", default=True, show_default=True,
              help="Validate each file at levels 1-2 (edi-hit's TR3 engine) first: the "
                   "claims of a transaction set a 999 would reject are rejected, not priced.")
@now_option("Fix the 835 dates (YYYY-MM-DD[THH:MM]) for reproducible output.")
@click.option("--control-number", type=click.IntRange(1, 999_999_000), default=1,
              show_default=True, help="ISA13 of the batch's 835.")
@wait_option()
@allow_rejects_option
@pricing_options
def batch_command(indir, outdir, workers, resume, tr3, now, control_number, wait,
                  allow_rejects, rates, history, conventions, suppliers, dme_drugs,
                  dme_evidence, assume_dme_drug):
    """Adjudicate every 837P file of INDIR; per-file results in OUTDIR/manifest.ndjson.

    \b
    Examples:
      edi-hit batch inbox/ -o out/ --workers 2 --history hist.db
      edi-hit batch inbox/ -o out/ --workers 2 --history hist.db --resume

    \b
    Every file gets a line in the manifest (sha256, claims in, rejected and out, the
    835s that carry its claims, status: adjudicated, rejected, empty, not-x12,
    unreadable, duplicate); a file that is not X12 is reported and skipped. With
    --tr3 (the default) a transaction set the implementation guide rejects is not
    priced: its claims are listed rejected with the finding code and segment. Claims
    are partitioned by beneficiary over the workers (each beneficiary's claims
    priced in date order by one of them); OUTDIR/remit.835 holds them all, one
    transaction per payer x payee. With --history the batch is one ledger run:
    a file an earlier run adjudicated is listed duplicate and not paid again, and
    after a kill --resume finishes the batch exactly once (no claim decided twice,
    no file skipped). The summary goes to stderr; exit status 1 when a claim or a
    file was rejected (0 with --allow-rejects).
    """
    from ..batch import run_batch

    start = time.monotonic()
    with gc_tuned():  # the CLI's process; the workers it forks inherit the setting
        result = run_batch(indir, outdir, workers=workers, history=history, resume=resume,
                           tr3=tr3, progress=_progress, notify=say, wait=wait, on_wait=say,
                           rates=rates, conventions=conventions,
                           assume_dme_drug=assume_dme_drug,
                           **evidence_options(suppliers, dme_drugs, dme_evidence),
                           now=now, control_number=control_number)
    totals = result.to_dict()
    by_status = ", ".join(f"{k} {v}" for k, v in sorted(totals["by_status"].items()))
    click.echo(f"files: {totals['files']} ({by_status})", err=True)
    seconds = time.monotonic() - start
    click.echo(f"claims: {totals['claims_in']} in, {totals['claims_out']} remitted, "
               f"{totals['claims_rejected']} rejected in {seconds:.1f} s "
               f"({totals['claims_in'] / max(seconds, 1e-9):,.0f} claims/s)", err=True)
    for r in result.remits:
        click.echo(f"wrote {r['output']}: {r['claims']} claims in {r['transactions']} "
                   f"transaction(s), payment {r['payment']}"
                   + (f", ledger run {r['run_id']}" if r.get("run_id") else ""), err=True)
    click.echo(f"wrote {outdir}/manifest.ndjson and summary.json", err=True)
    bad_files = sum(n for status, n in totals["by_status"].items() if status in _REJECTED_FILES)
    finish(totals["claims_rejected"] + bad_files, allow_rejects)
