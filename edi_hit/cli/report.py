# `edi-hit report`: an 835 in, a self-contained HTML remittance report out.
#
# Strategy: a thin shell over edi_hit.report.write_report. The 835 files are read as
# a stream of Remittance objects (one transaction set at a time). With --claims the
# 837P is priced here (the same options as reconcile) and matched to the 835 with
# edi_hit.x835.reconcile, which needs one pass of its own over the 835, so the report
# reads the 835 twice; stdin is first copied to a temporary file for that. Bad input
# is an EdiHitError (one line, exit 1); matplotlib missing is one too, naming the
# extra to install.
from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
from datetime import date

import click

from .common import (allow_rejects_option, evidence_options, expand_inputs, finish, input_files,
                     now_option, open_output, output_option, pricing_options)


def _remittances(sources):
    from ..x835 import read_835

    for name, source in sources:
        if hasattr(source, "seek"):
            source.seek(0)
        yield from read_835(source, name=name)


@click.command("report")
@input_files("remit_files", metavar="REMIT.835...")
@click.option("--claims", "claims_files", metavar="CLAIMS.837", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="The 837P the 835 answers (repeatable): adds expected against paid, "
                   "line by line, priced here with the options below.")
@output_option("The HTML file; - is stdout.")
@click.option("--title", default="Remittance report", show_default=True,
              help="The heading of the page.")
@click.option("--no-phi", is_flag=True,
              help="Leave patient names and member ids out of the report.")
@now_option("The date the report says it was made (YYYY-MM-DD; default: today).")
@allow_rejects_option
@pricing_options
def report_command(remit_files, claims_files, output, title, no_phi, now, allow_rejects, rates,
                   history, conventions, suppliers, dme_drugs, dme_evidence, assume_dme_drug):
    """Write an HTML remittance report a billing office can open and print.

    \b
    Examples:
      edi-hit report remit.835 -o report.html
      edi-hit report remit.835 --claims claims.837 -o report.html   expected vs paid
      edi-hit report inbox/*.835 --no-phi -o week.html              several payments

    \b
    One page, no external files, no script: totals that tie to BPR02, the
    payments (BPR/TRN), paid and denied money by payment category and month
    (chart), denial reasons with their CARC/RARC texts, provider-level
    adjustments (PLB), and one table per claim with its lines (SVC, CAS, LQ,
    AMT*B6). With --claims, the 837P is priced (the same options as reconcile)
    and each line's expected payment is shown beside the paid one.
    The chart needs matplotlib: pip install 'edi-hit[report]'.
    A remittance that does not balance is shown, said on stderr, and makes the
    exit status 1 (0 with --allow-rejects).
    """
    from ..report import write_report
    from ..report.html import money

    names = expand_inputs(remit_files)
    with tempfile.TemporaryFile() as stdin_copy:
        sources: list[tuple[str, object]] = []
        for name in names:
            if name == "-":
                shutil.copyfileobj(sys.stdin.buffer, stdin_copy)
                sources.append(("<stdin>", stdin_copy))
            else:
                sources.append((name, name))
        reconciliation = None
        if claims_files:
            reconciliation = _reconcile(claims_files, sources, rates=rates, history=history,
                                        conventions=conventions, assume_dme_drug=assume_dme_drug,
                                        **evidence_options(suppliers, dme_drugs, dme_evidence))
        with open_output(output) as out:
            tally = write_report(_remittances(sources), out, reconciliation=reconciliation,
                                 sources=[n for n, _ in sources], title=title,
                                 generated=now.date() if now else date.today(), phi=not no_phi)
    click.echo(f"{'wrote ' + output if output != '-' else 'report'}: "
               f"{len(tally.payments)} payment(s), {tally.claims} claim(s), "
               f"BPR02 total {money(tally.payment_total)}", err=True)
    for message in tally.unbalanced:
        click.echo(f"edi-hit: does not balance: {message}", err=True)
    finish(len(tally.unbalanced), allow_rejects)


def _reconcile(claims_files, sources, **pricing):
    from ..pricing import price
    from ..x835.reconcile import reconcile
    from ..x837p.read import read_837p

    claims = itertools.chain.from_iterable(read_837p(name) for name in claims_files)
    priced = list(price(claims, **pricing))
    return reconcile(priced, _remittances(sources))
