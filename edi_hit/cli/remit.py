# `edi-hit read-835` and `edi-hit reconcile`: remittances in, JSON or a report out.
#
# Thin shells over edi_hit.x835: read-835 streams each file's claims (with their
# balancing findings) into JSON or NDJSON as it reads them (x835.remit_json), reconcile
# prices the 837 itself and matches the 835 to it.
# Bad input is an EdiHitError from the library, which the group turns into one line and
# exit status 1.
from __future__ import annotations

import csv
import io
import json

import click

from ..x835.remit_json import FORMATS
from .common import (Progress, evidence_options, expand_inputs, open_output, pricing_options,
                     progress_wanted, readonly_history)


@click.command("read-835")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-o", "--output", default="-", show_default=True,
              type=click.Path(allow_dash=True, dir_okay=False), help="JSON output; - is stdout.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="json: one document of remittances; ndjson: one record a line, each "
                   "claim as soon as it is read.")
@click.option("--strict", is_flag=True,
              help="Exit 1 when a transaction does not balance (default: report it and exit 0).")
def read_835_command(files, output, fmt, strict):
    """Read 835 remittance files and write them as JSON, with balancing checked.

    \b
    Examples:
      edi-hit read-835 remit.835 -o remit.json
      edi-hit read-835 inbox/*.835 | jq '.remittances[].payment.amount'
      edi-hit read-835 big.835 --format ndjson | jq -c 'select(.record == "claim") | .claim.paid'
      edi-hit read-835 remit.835 --strict     exit 1 if it does not balance

    \b
    Each transaction set becomes one object under "remittances" (payer, payee,
    payment, claims with their lines and adjustments). The three balancing
    equations are checked (SVC02 - CAS = SVC03; CLP03 - CAS = CLP04;
    BPR02 = sum CLP04 - sum PLB); every violation is listed under "findings"
    with the segment number and id. Shape: schemas/remittance.schema.json.

    \b
    Output is written as the file is read, a claim at a time, so a transaction
    set of any size takes little memory. --format ndjson writes one record a line
    (schemas/remittance-ndjson.schema.json): {"record": "claim", ...} for each
    claim with its transaction's control and trace numbers, {"record":
    "remittance", ...} at each SE (payment, PLB, findings), {"record": "file", ...}
    at the end of each file.
    """
    from ..x835 import RemittanceReader
    from ..x835.remit_json import RemitWriter

    names = expand_inputs(files)
    progress = Progress("read-835", files=len(names), enabled=progress_wanted(output))
    with open_output(output, inputs=names) as out, progress:
        writer = RemitWriter(out, fmt)
        for name in names:
            source = click.get_binary_stream("stdin") if name == "-" else name
            reader = RemittanceReader(source, "<stdin>" if name == "-" else name)
            for ev in reader.events():
                writer.add(ev)
                if ev.claim is not None:
                    progress.advance()
            writer.end_file(reader.name, reader.findings)
            progress.file_done()
        writer.close()
    for f in writer.balance:
        click.echo(f"{'error' if strict else 'warning'}: {f}", err=True)
    if strict and writer.balance:
        raise click.ClickException(f"{len(writer.balance)} balancing violation(s)")


@click.command("reconcile")
@click.argument("claims_file", metavar="CLAIMS.837", type=click.Path(allow_dash=False))
@click.argument("remit_files", metavar="REMIT.835...", nargs=-1, required=True,
                type=click.Path(allow_dash=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.option("-o", "--output", default="-", show_default=True,
              type=click.Path(allow_dash=True, dir_okay=False), help="Report file; - is stdout.")
@pricing_options
def reconcile_command(claims_file, remit_files, rates, history, conventions, suppliers, dme_drugs,
                      dme_evidence, assume_dme_drug, fmt, output):
    """Match an 835 back to its 837P and show expected against paid, line by line.

    \b
    Examples:
      edi-hit reconcile claims.837 remit.835
      edi-hit reconcile claims.837 remit.835 --rates rates-2025.json --format csv -o diff.csv
      edi-hit reconcile claims.837 jan.835 feb.835 --format json | jq '.totals'

    \b
    A remittance claim matches a claim by CLP01 = CLM01; a line by REF*6R = the
    line control number, else by procedure code and date of service. The 837 is
    priced here (same options as adjudicate) to get the expected payment. The
    table lists every line that was not paid as expected (underpaid, overpaid,
    not remitted), then claims with no remittance and remittances with no claim.
    """
    from ..pricing import price
    from ..x835 import read_835
    from ..x835.reconcile import reconcile
    from ..x837p.read import read_837p

    claims = list(read_837p(claims_file))
    store = readonly_history(history)
    try:
        priced = list(price(claims, rates=rates, history=store, conventions=conventions,
                            assume_dme_drug=assume_dme_drug,
                            **evidence_options(suppliers, dme_drugs, dme_evidence)))
    finally:
        if store is not None:
            store.close()
    remits = [r for name in remit_files for r in read_835(name)]
    report = reconcile(priced, remits)
    with open_output(output, inputs=[claims_file, *remit_files], history=history) as out:
        if fmt == "json":
            json.dump(report.to_dict(), out, indent=1)
            out.write("\n")
        elif fmt == "csv":
            rows = [r.to_dict() for r in report.lines]
            buf = io.StringIO()
            fields = ["patient_control_number", "line_number", "code", "service_date",
                      "control_number", "charge", "expected_allowed", "expected_paid",
                      "remitted_allowed", "remitted_paid", "difference", "status",
                      "expected_codes", "remitted_codes", "matched_by"]
            w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            for row in rows:
                row["expected_codes"] = " ".join(row["expected_codes"])
                row["remitted_codes"] = " ".join(row["remitted_codes"])
                w.writerow(row)
            out.write(buf.getvalue())
        else:
            out.write(report.table() + "\n")
