# `edi-hit price`: 837P files in, priced claims (JSON) out, optionally with the working.
#
# Strategy: a thin shell over edi_hit.pricing.stream.PricedFeed (pre-scan, then read in
# reject mode and price each beneficiary once complete); options name the tables and the
# history store, the library does the work. Notes that change how to read the result
# (illustrative rates: the library's IllustrativeRatesWarning; the DME drug check
# turned off, rejected claims) go to stderr.
from __future__ import annotations

import sys

import click

from edi_hit.cli.common import (allow_rejects_option, evidence_options, expand_inputs, finish,
                                format_option, input_files, open_output, pricing_options,
                                progress_claims, readonly_history, say, strict_option, warn)
from edi_hit.errors import DataError
from edi_hit.formats import dump_line, write_csv
from edi_hit.pricing import Pricer, load_conventions, load_rates
from edi_hit.pricing.explain import explain_claim
from edi_hit.pricing.jsonio import write_priced
from edi_hit.pricing.stream import PricedFeed
from edi_hit.rows import PRICED_COLUMNS, priced_rows

__all__ = ["price_command"]


def _sources(files):
    """(sources, names): '-' is stdin (spooled by the feed: it is read twice)."""
    sources, names = [], []
    for f in expand_inputs(files):
        if f == "-":
            sources.append(sys.stdin.buffer)
            names.append("<stdin>")
        else:
            sources.append(f)
            names.append(f)
    return sources, names


@click.command("price")
@input_files()
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Priced claims JSON ('-' stdout; default: stdout, unless --explain).")
@click.option("--explain", is_flag=True, help="Print a per-line table of the working.")
@format_option
@allow_rejects_option
@strict_option
@pricing_options
def price_command(files, rates, history, conventions, suppliers, dme_drugs, dme_evidence,
                  assume_dme_drug, output, explain, fmt, allow_rejects, strict):
    """Price the service lines of 837P FILES under the Medicare HIT benefit.

    \b
    Examples:
      edi-hit price claims.837 -o priced.json
      edi-hit price claims.837 --format csv -o priced.csv     one row a line, for finance
      edi-hit price claims.837 --explain                      the working, line by line
      edi-hit price jan.837 feb.837 --history hit.db -o priced.json
      edi-hit price inbox/ -o priced.json                     every file in a folder
      cat claims.837 | edi-hit price - -o priced.json
      edi-hit price claims.837 --rates cms2024.json --conventions my-conventions.json
      edi-hit price claims.837 --dme-drugs dme-mac.835 --suppliers hit-suppliers.csv
      edi-hit price claims.837 --assume-dme-drug --explain    supplier's own estimate

    \b
    Rules, in order: code valid on the date and billed to the A/B MAC (E1,
    E11), supplier enrolled as D6 (E3, with --suppliers), home place of
    service (E2), whole 15-minute units (E9), one day a line (E8), one payment
    per category per day (E6), initial visit only after 60 days (E5), a drug
    the DME benefit covered 0-30 days before (E4: the DME MAC's 835 or claim
    lines, --dme-drugs or history), then allowed = min(charge, rate),
    deductible, 20% coinsurance, sequestration.
    History (--history) carries visits, DME drug claims and the deductible
    across runs; price reads it and never writes it (only adjudicate decides),
    and a claim adjudicated already is shown with its recorded decision.
    All FILES are one run: each beneficiary's claims are applied in date
    order whatever file they are in. A claim the reader cannot accept is
    rejected (listed on stderr and under "rejected" in the JSON); the
    others are priced, and the exit status is 1 unless --allow-rejects.
    """
    rates = load_rates(rates)
    conventions = load_conventions(conventions)
    store = readonly_history(history)
    pricer = Pricer(rates=rates, history=store, conventions=conventions,
                    assume_dme_drug=assume_dme_drug,
                    **evidence_options(suppliers, dme_drugs, dme_evidence))
    for note in pricer.notes():
        say(f"note: {note}")
    sources, names = _sources(files)
    feed = PricedFeed(pricer, sources, names=names,
                      progress=lambda items: progress_claims(items, "price"))
    try:
        priced = _stop_at_first_reject(feed) if strict else iter(feed)
        if explain:
            def shown(items):
                for pc in items:
                    click.echo(explain_claim(pc) + "\n")
                    yield pc

            priced = shown(priced)
            if output is None:
                for _ in priced:
                    pass
        if output is not None or not explain:
            with open_output(output or "-", inputs=names,
                             history=store.path if store is not None else None) as stream:
                _WRITERS[fmt](priced, stream, rates, feed)
        _report_rejects(feed)
    finally:
        pricer.close()
        if store is not None:
            store.close()
    finish(len(feed.rejected), allow_rejects)


def _stop_at_first_reject(feed: PricedFeed):
    """The priced claims, until the feed rejects one: then a DataError naming it (--strict:
    one line, exit 1, no output file)."""
    for pc in feed:
        if feed.rejected:
            break
        yield pc
    if feed.rejected:
        r = feed.rejected[0]
        raise DataError(f"claim {r.patient_control_number or '?'} rejected "
                        f"({r.file or '<stream>'}): {r.reason} (--strict: stopped at the first)")


def _write_json(priced, stream, rates, feed) -> None:
    write_priced(priced, stream, rates=rates, rejected=feed.rejected)


def _write_ndjson(priced, stream, rates, feed) -> None:
    for pc in priced:
        stream.write(dump_line(pc.to_dict()))


def _write_csv(priced, stream, rates, feed) -> None:
    write_csv(priced_rows(priced), PRICED_COLUMNS, stream)


# --format: json (one document: the rate table, the claims, the rejected claims), ndjson
# (one priced claim a line; rejected claims on stderr), csv (one row a line, rows.py).
_WRITERS = {"json": _write_json, "ndjson": _write_ndjson, "csv": _write_csv}


def _report_rejects(feed: PricedFeed) -> None:
    for r in feed.rejected:
        warn(f"claim {r.patient_control_number or '?'} rejected ({r.file or '<stream>'}): "
             f"{r.reason}")
    if feed.rejected:
        warn(f"{len(feed.rejected)} of {feed.claims_in} claims rejected, "
             f"{feed.claims_priced} priced")
