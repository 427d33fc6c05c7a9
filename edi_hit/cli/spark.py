# `edi-hit spark-adjudicate`: the main job on Spark (the `spark` extra).
#
# Strategy: a thin shell over edi_hit.spark.spark_adjudicate: the pricing options every
# pricing command shares, the session (the one spark-submit made, or a local one with
# --master), the summary table `adjudicate` prints.
from __future__ import annotations

import click

from .adjudicate import _load_payer
from .common import (allow_rejects_option, evidence_options, finish, now_option, pricing_options,
                     say, wait_option)

__all__ = ["spark_adjudicate_command"]


@click.command("spark-adjudicate")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for remit.835 (one transaction per payer x payee) and "
                   "summary.json; created if missing.")
@click.option("--master", help="Spark master (default: spark-submit's, else local[*]); "
                               "e.g. local[2].")
@click.option("--partitions", type=click.IntRange(1), default=None,
              help="Pricing tasks (default: two per core, and one per 8 MB of input at "
                   "least).")
@click.option("--payer", "payer_file", type=click.Path(exists=True, dir_okay=False),
              help="Payer identity JSON for the 835 (as for adjudicate).")
@now_option("Fix the 835 dates (YYYY-MM-DD[THH:MM]) for reproducible output.")
@click.option("--control-number", type=click.IntRange(1, 999_999_999), default=1,
              show_default=True, help="ISA13/GS06 control number.")
@wait_option()
@allow_rejects_option
@pricing_options
def spark_adjudicate_command(inputs, outdir, master, partitions, payer_file, now,
                             control_number, wait, allow_rejects, rates, history, conventions,
                             suppliers, dme_drugs, dme_evidence, assume_dme_drug):
    """Adjudicate 837P files on Spark: the same pricing and 835 as `adjudicate`.

    \b
    Examples:
      edi-hit spark-adjudicate 'inbox/*.837' -o out/ --master local[2]
      edi-hit spark-adjudicate hdfs:///claims/2026-11-27/ -o out/ \\
          --history postgresql://edi@db.internal/hit --rates rates-2026.json
      spark-submit --master yarn .../edi_hit/__main__.py spark-adjudicate 's3a://in/*.837' -o out/

    \b
    INPUTS are globs or folders on any file system Spark reads. Each beneficiary's
    claims are priced together, in date order, in one partition; the driver writes
    OUTDIR/remit.835 and OUTDIR/summary.json. --history (a postgresql:// URL every
    executor reaches) keeps history and ledger: each partition commits its
    beneficiaries in one transaction, the run is recorded like adjudicate's, and
    inputs adjudicated before are refused. Needs pip install 'edi-hit[spark]' and Java 17.
    The summary goes to stderr; a rejected claim makes the exit status 1 (0 with
    --allow-rejects); a local input that does not exist is a usage error (2).
    """
    _check_local_inputs(inputs)
    from edi_hit.spark import local_session, spark_adjudicate

    session = local_session(master) if master else local_session_default()
    summary = spark_adjudicate(
        session, list(inputs), outdir, history=history, rates=rates, conventions=conventions,
        assume_dme_drug=assume_dme_drug, **evidence_options(suppliers, dme_drugs, dme_evidence),
        now=now, control_number=control_number, payer=_load_payer(payer_file),
        partitions=partitions, wait=wait, on_wait=say, notify=say)
    click.echo(summary.table(), err=True)
    click.echo(f"wrote {summary.output}", err=True)
    finish(summary.claims_rejected, allow_rejects)


def _check_local_inputs(inputs) -> None:
    """A local path (no scheme, no glob) that does not exist: a usage error, exit 2, as in
    every command; URLs and globs are Spark's to resolve."""
    import os

    for name in inputs:
        if "://" not in name and not any(c in name for c in "*?[") \
                and not os.path.exists(name):
            raise click.BadParameter(f"{name}: no such file or folder", param_hint="INPUTS")


def local_session_default():
    """The session spark-submit configured (its master), or local[*] outside it."""
    from edi_hit.spark import _pyspark

    _pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    session = SparkSession.builder.appName("edi-hit").config("spark.ui.enabled", "false") \
        .getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
