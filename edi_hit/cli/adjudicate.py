# `edi-hit adjudicate`: 837P files in, a balanced 835 out, a summary on the terminal.
#
# Strategy: a thin shell over edi_hit.pipeline (read 837P -> price with history -> 835).
# The pipeline owns every output (835, --report, --manifest) so that with --history
# they appear together with the ledger's commit, or not at all. --now and
# --control-number make the output byte-for-byte reproducible.
from __future__ import annotations

import contextlib
import sys

import click

from .common import (allow_rejects_option, evidence_options, expand_inputs, finish, gc_tuned,
                     input_files, now_option, output_option, pricing_options, progress_claims,
                     say, strict_option, wait_option)


def _load_payer(path: str | None):
    from ..x835 import PayerInfo

    return None if path is None else PayerInfo.load(path)


@contextlib.contextmanager
def _strict_stop():
    """--strict's one line: the pipeline's StrictStop, and what the run did not do."""
    from ..errors import EdiHitError

    try:
        yield
    except EdiHitError as exc:
        from ..pricing.stream import StrictStop

        if not isinstance(exc, StrictStop):
            raise
        raise click.ClickException(f"{exc} (--strict: the run stopped there; nothing was "
                                   f"committed and no output was written)") from None


@click.command("adjudicate")
@input_files()
@output_option("The 835 to write ('-': stdout, after the history's commit).")
@click.option("--payer", "payer_file", type=click.Path(exists=True, dir_okay=False),
              envvar="EDI_HIT_PAYER",
              help="Payer identity JSON for the 835 (name, id, address_line1, city, state, "
                   "postal_code, contact_phone, trace_id ...).")
@click.option("--report", type=click.Path(allow_dash=True, dir_okay=False),
              help="Also write the summary as JSON.")
@click.option("--manifest", type=click.Path(allow_dash=True, dir_okay=False),
              help="Also write one JSON line per claim: its outcome (processed, denied, "
                   "duplicate, reversal, rejected), ICN, money and 835 position, or its "
                   "reject reason. Carries the member id (PHI) unless --no-phi.")
@click.option("--no-phi", is_flag=True, help="Leave the member id out of the manifest.")
@now_option("Fix the 835 dates (YYYY-MM-DD[THH:MM]) for reproducible output.")
@click.option("--control-number", type=click.IntRange(1, 999_999_999), default=1,
              show_default=True, help="ISA13/GS06 control number (ST02 counts from 0001).")
@wait_option()
@click.option("--replay", is_flag=True,
              help="With --history: write again, byte for byte, the 835 of the committed "
                   "run that adjudicated FILES; nothing is priced or recorded.")
@allow_rejects_option
@strict_option
@pricing_options
def adjudicate_command(files, output, rates, history, conventions, suppliers, dme_drugs,
                       dme_evidence, assume_dme_drug, payer_file, report, manifest, no_phi, now,
                       control_number, wait, replay, allow_rejects, strict):
    """Price 837P claims for Medicare HIT and write the 835 remittance advice.

    \b
    Examples:
      edi-hit adjudicate claims.837 -o remit.835
      edi-hit adjudicate hit.837 --dme-drugs dme-mac.835 --suppliers hit-suppliers.csv -o remit.835
      edi-hit adjudicate inbox/ -o remit.835 --history hist.db --rates rates-2025.json
      edi-hit adjudicate claims.837 -o remit.835 --report summary.json
      edi-hit adjudicate inbox/ -o remit.835 --manifest claims.ndjson --no-phi
      edi-hit adjudicate claims.837 -o again.835 --history hist.db --replay
      edi-hit adjudicate claims.837 -o remit.835 --now 2025-03-01 --control-number 7

    \b
    One 835 transaction per billing provider (NPI); every line is paid or denied
    with its CARC/RARC codes, and the 835 balances (SVC, CLP and BPR). A summary
    (claims accepted/rejected, lines paid/denied, duplicates, totals, top denial
    reasons) is printed. All FILES (a directory stands for the files in it) are one
    run: each beneficiary's claims are applied in date order whatever file they
    are in. A claim the reader cannot accept, or that no 835 can carry, is
    rejected with its reason (summary and --report) and not remitted; the exit
    status is then 1, unless --allow-rejects. With --strict the first such claim
    stops the run instead: one line (file, CLM segment, CLM01, reason), exit 1,
    nothing recorded and no output written. The summary goes to stderr.

    \b
    With --history the run is exactly once: a file adjudicated before is refused
    (--replay writes its 835 again), a claim identical to one decided before is
    denied OA-18 as a duplicate, money owed back from a void or replacement is
    recouped from later 835s (PLB FB), and the 835, report and manifest appear
    together with the history's commit or not at all. Runs sharing a history
    wait for each other. `edi-hit ledger` shows the runs, balances and claims.
    """
    from ..pipeline import adjudicate

    sources = [sys.stdin.buffer if f == "-" else f for f in expand_inputs(files)]
    with gc_tuned(), _strict_stop():   # the collector: this process is the CLI's
        summary = adjudicate(
            sources, output=output, report=report, manifest=manifest, no_phi=no_phi,
            rates=rates, history=history, conventions=conventions,
            assume_dme_drug=assume_dme_drug, **evidence_options(suppliers, dme_drugs, dme_evidence),
            now=now, control_number=control_number, payer=_load_payer(payer_file),
            progress=lambda items: progress_claims(items, "adjudicate"), wait=wait,
            on_wait=say, replay=replay, notify=say, strict=strict)
    if summary.replayed_run is not None:
        click.echo(f"replayed run {summary.replayed_run}: wrote {output} again, byte for byte "
                   f"(nothing priced, nothing recorded)", err=True)
        return
    click.echo(summary.table(), err=True)
    click.echo(f"wrote {output}", err=True)
    finish(summary.claims_rejected, allow_rejects)
