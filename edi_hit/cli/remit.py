# `edi-hit read-835` and `edi-hit reconcile`: remittances in, JSON or a report out.
#
# Thin shells over edi_hit.x835: read_835 turns each file into Remittance objects (with
# their balancing findings), reconcile prices the 837 itself and matches the 835 to it.
# Bad input is an EdiHitError from the library, which the group turns into one line and
# exit status 1.
from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

import click

from ..errors import DataError, Finding
from ..formats import dump_document, dump_line, write_csv
from ..rows import (RECONCILE_COLUMNS, REMIT_COLUMNS, reconcile_rows, remittance_rows)
from .common import (Progress, allow_rejects_option, evidence_options, expand_inputs, finish,
                     format_option, input_files, open_output, output_option, pricing_options,
                     progress_wanted, readonly_history, say, strict_option)

if TYPE_CHECKING:
    from ..claims import Claim, RejectedClaim
    from ..x835 import Remittance


def _stdin_or(name: str) -> IO[bytes] | str:
    """'-' is stdin's bytes (as the other commands read it; click's get_binary_stream
    is deprecated), anything else a path."""
    return sys.stdin.buffer if name == "-" else name


@click.command("read-835")
@input_files()
@output_option("Output file; - is stdout.")
@format_option
@allow_rejects_option
@click.option("--strict", is_flag=True,
              help="Stop at the first transaction that does not balance (one line, exit 1, "
                   "no output) instead of reporting it and going on.")
def read_835_command(files: tuple[str, ...], output: str, fmt: str, allow_rejects: bool,
                     strict: bool) -> None:
    """Read 835 remittance files and write them as JSON, NDJSON or CSV, with balancing
    checked.

    \b
    Examples:
      edi-hit read-835 remit.835 -o remit.json
      edi-hit read-835 remit.835 --format csv -o remit.csv   one row a service line
      edi-hit read-835 inbox/*.835 | jq '.remittances[].payment.amount'
      edi-hit read-835 remit.835 --allow-rejects   exit 0 even if it does not balance

    \b
    Each transaction set becomes one object under "remittances" (payer, payee,
    payment, claims with their lines and adjustments). The three balancing
    equations are checked (SVC02 - CAS = SVC03; CLP03 - CAS = CLP04;
    BPR02 = sum CLP04 - sum PLB); every violation is listed under "findings"
    with the segment number and id. Shape: schemas/remittance.schema.json.
    Exit status 1 when a transaction does not balance, unless --allow-rejects.
    """
    from ..x835 import RemittanceReader
    from ..x835.remit_json import RemitWriter

    names = expand_inputs(files)
    unbalanced: list[Finding] = []
    findings: list[Finding] = []
    progress = Progress("read-835", files=len(names), enabled=progress_wanted(output))

    def balance(remittance: Remittance) -> None:
        bad = [f for f in remittance.findings if f.code.startswith("balance-")]
        if strict and bad:
            raise DataError(f"{bad[0]} (--strict: stopped at the first)")
        unbalanced.extend(bad)

    def remittances() -> Iterator[Remittance]:  # a transaction set at a time, never all
        for name in names:
            reader = RemittanceReader(_stdin_or(name), "<stdin>" if name == "-" else name)
            for remittance in reader:
                balance(remittance)
                progress.advance(len(remittance.claims))
                yield remittance
            findings.extend(reader.findings)
            progress.file_done()

    with open_output(output, inputs=names) as out, progress:
        if fmt == "json":  # written a claim at a time: a transaction set of any size
            writer = RemitWriter(out, "json")
            for name in names:
                reader = RemittanceReader(_stdin_or(name), "<stdin>" if name == "-" else name)
                for ev in reader.events():
                    if ev.claim is None:
                        balance(ev.remittance)
                    else:
                        progress.advance()
                    writer.add(ev)
                writer.end_file(reader.name, reader.findings)
                progress.file_done()
            writer.close()
        elif fmt == "ndjson":
            for r in remittances():
                out.write(dump_line(r.to_dict()))
        else:
            write_csv(remittance_rows(remittances()), REMIT_COLUMNS, out)
    if fmt != "json":   # the reader's own findings have no place in a row or a line
        for f in findings:
            click.echo(f"warning: {f}", err=True)
    for f in unbalanced:
        click.echo(f"{'warning' if allow_rejects else 'error'}: {f}", err=True)
    if unbalanced:
        click.echo(f"edi-hit: {len(unbalanced)} balancing violation(s)", err=True)
    finish(len(unbalanced), allow_rejects)


@click.command("reconcile")
@click.argument("claims_file", metavar="CLAIMS.837",
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@input_files("remit_files", metavar="REMIT.835...")
@format_option(choices=("table", "json", "ndjson", "csv"), default="table")
@output_option("Report file; - is stdout.")
@click.option("--fail-on-difference", is_flag=True,
              help="Exit 1 when any line is not paid as expected, or a claim or remittance "
                   "has no other side.")
@allow_rejects_option
@strict_option
@pricing_options
def reconcile_command(claims_file: str, remit_files: tuple[str, ...], rates: str | None,
                      history: str | None, conventions: str | None, suppliers: str | None,
                      dme_drugs: str | None, dme_evidence: str | None, assume_dme_drug: bool,
                      fmt: str, output: str, fail_on_difference: bool, allow_rejects: bool,
                      strict: bool) -> None:
    """Match an 835 back to its 837P and show expected against paid, line by line.

    \b
    Examples:
      edi-hit reconcile claims.837 remit.835 --history hit.db
      edi-hit reconcile claims.837 remit.835 --history hit.db --fail-on-difference
      edi-hit reconcile claims.837 remit.835 --rates rates-2025.json --format csv -o diff.csv
      edi-hit reconcile claims.837 jan.835 feb.835 --format json | jq '.totals'

    \b
    A remittance claim matches a claim by CLP01 = CLM01; a line by REF*6R = the
    line control number, else by procedure code and date of service. The 837 is
    priced here (same options as adjudicate) to get the expected payment. The
    table lists every line that was not paid as expected (underpaid, overpaid,
    not remitted) with the reasons the two sides give (paid under another code,
    other units, deductible applied, payer codes the pricer did not apply, money
    recouped by a PLB), then claims with no remittance and remittances with no claim.

    \b
    Give the history the run was adjudicated with (--history, read only): without
    it, earlier visits, DME drug claims and the deductible met are unknown, lines
    the payer rightly paid can show as "overpaid", and edi-hit says so on stderr.
    One of CLAIMS.837 and REMIT.835 may be '-' (stdin); REMIT.835 may be a folder.
    An 837P claim the reader rejects is left out and said on stderr: exit status
    1, unless --allow-rejects.
    """
    from ..claims import RejectedClaim
    from ..pricing import price
    from ..x835 import read_835
    from ..x835.reconcile import reconcile
    from ..x837p.read import read_837p

    if claims_file == "-" and "-" in remit_files:
        raise click.UsageError("stdin ('-') can be CLAIMS.837 or one REMIT.835, not both")
    remit_names = expand_inputs(remit_files)
    read = read_837p(_stdin_or(claims_file), name="<stdin>" if claims_file == "-" else claims_file,
                     errors="raise" if strict else "reject")
    if not history:
        say("note: reconciling WITHOUT the run's history (--history): visits, DME drug "
            "claims and the deductible of earlier runs are unknown here, so lines the payer "
            "paid rightly may show as overpaid or underpaid; give the history adjudicate kept")
    claims: list[Claim] = []
    rejected: list[RejectedClaim] = []
    for item in read:
        if isinstance(item, RejectedClaim):
            rejected.append(item)
        else:
            claims.append(item)
    for r in rejected:
        click.echo(f"edi-hit: claim {r.patient_control_number or '?'} rejected: {r.reason}",
                   err=True)
    store = readonly_history(history)
    try:
        priced = list(price(claims, rates=rates, history=store, conventions=conventions,
                            assume_dme_drug=assume_dme_drug,
                            **evidence_options(suppliers, dme_drugs, dme_evidence)))
    finally:
        if store is not None:
            store.close()
    remits = [r for name in remit_names
              for r in read_835(_stdin_or(name), name="<stdin>" if name == "-" else name)]
    report = reconcile(priced, remits)
    with open_output(output, inputs=[claims_file, *remit_names], history=history) as out:
        if fmt == "json":
            dump_document(report.to_dict(), out)
        elif fmt == "ndjson":
            for line in report.lines:
                out.write(dump_line(line.to_dict()))
        elif fmt == "csv":
            write_csv(reconcile_rows(report), RECONCILE_COLUMNS, out)
        else:
            out.write(report.table() + "\n")
    if fail_on_difference and report.differences:
        click.echo(f"edi-hit: {report.differences} difference(s) (--fail-on-difference)",
                   err=True)
        raise SystemExit(1)
    finish(len(rejected), allow_rejects)
