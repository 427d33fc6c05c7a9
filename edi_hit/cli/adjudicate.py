# `edi-hit adjudicate`: 837P files in, a balanced 835 out, a summary on the terminal.
#
# A thin shell over edi_hit.pipeline (read 837P -> price with history -> 835).
# --now and --control-number make the output byte-for-byte reproducible.
from __future__ import annotations

import contextlib
import json
from datetime import datetime

import click

from ..errors import DataError
from .common import (evidence_options, expand_inputs, open_output, pricing_options,
                     progress_claims)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD or YYYY-MM-DDTHH:MM, got {value!r}",
                                 param_hint="--now") from None


def _load_payer(path: str | None):
    from ..x835 import PayerInfo

    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path}: expected a JSON object of payer fields")
    try:
        return PayerInfo.from_dict(doc)
    except Exception as exc:  # unknown field names
        raise DataError(f"{path}: {exc}") from None


@click.command("adjudicate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The 835 to write.")
@click.option("--payer", "payer_file", type=click.Path(exists=True, dir_okay=False),
              help="Payer identity JSON for the 835 (name, id, address_line1, city, state, "
                   "postal_code, contact_phone, trace_id ...).")
@click.option("--report", type=click.Path(allow_dash=True, dir_okay=False),
              help="Also write the summary as JSON.")
@click.option("--manifest", type=click.Path(allow_dash=True, dir_okay=False),
              help="Also write one JSON line per claim: its outcome (processed, denied, "
                   "reversal, rejected), ICN, money or reject reason.")
@click.option("--now", help="Fix the 835 dates (YYYY-MM-DD[THH:MM]) for reproducible output.")
@click.option("--control-number", type=click.IntRange(1, 999_999_999), default=1,
              show_default=True, help="ISA13/GS06 control number (ST02 counts from 0001).")
@pricing_options
def adjudicate_command(files, output, rates, history, conventions, suppliers, dme_drugs,
                       dme_evidence, assume_dme_drug, payer_file, report, manifest, now,
                       control_number):
    """Price 837P claims for Medicare HIT and write the 835 remittance advice.

    \b
    Examples:
      edi-hit adjudicate claims.837 -o remit.835
      edi-hit adjudicate hit.837 --dme-drugs dme-mac.835 --suppliers hit-suppliers.csv -o remit.835
      edi-hit adjudicate inbox/ -o remit.835 --history hist.db --rates rates-2025.json
      edi-hit adjudicate claims.837 -o remit.835 --report summary.json
      edi-hit adjudicate inbox/ -o remit.835 --manifest claims.ndjson   one line per claim
      edi-hit adjudicate claims.837 -o remit.835 --now 2025-03-01 --control-number 7

    \b
    One 835 transaction per billing provider (NPI); every line is paid or denied
    with its CARC/RARC codes, and the 835 balances (SVC, CLP and BPR). A summary
    (claims accepted/rejected, lines paid/denied, totals, top denial reasons) is
    printed. All FILES (a directory stands for the files in it) are one run: each
    beneficiary's claims are applied in date order whatever file they are in. A
    claim the reader cannot accept is rejected with its reason (summary and
    --report) and not remitted; the others are.
    """
    from ..pipeline import adjudicate

    with contextlib.ExitStack() as stack:
        write_line = None
        if manifest:
            out = stack.enter_context(open_output(manifest))
            def write_line(entry, out=out):
                out.write(json.dumps(entry, separators=(",", ":")) + "\n")
        summary = adjudicate(expand_inputs(files), output=output, rates=rates, history=history,
                             conventions=conventions, assume_dme_drug=assume_dme_drug,
                             **evidence_options(suppliers, dme_drugs, dme_evidence),
                             now=_parse_now(now), control_number=control_number,
                             payer=_load_payer(payer_file),
                             progress=lambda items: progress_claims(items, "adjudicate"),
                             manifest=write_line)
    click.echo(summary.table())
    click.echo(f"wrote {output}")
    if report:
        with open_output(report) as out:
            json.dump(summary.to_dict(), out, indent=1)
            out.write("\n")
