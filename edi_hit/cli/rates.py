# `edi-hit rates ...`: rate tables. `import` turns a CMS-style locality CSV into JSON.
#
# Strategy: a thin shell over edi_hit.pricing.rates.import_cms_csv().
from __future__ import annotations

import json

import click

from edi_hit.cli.common import open_output, output_option, say, stdin_as_file
from edi_hit.formats import dump_document
from edi_hit.pricing.rates import RateTable, import_cms_csv

__all__ = ["rates"]


@click.group("rates")
def rates():
    """Rate tables for the pricer (amount per G-code x year x locality)."""


@rates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@output_option("Rate table JSON to write ('-' for stdout).")
@click.option("--year", type=click.IntRange(2019, 2099),
              help="Calendar year of the rates (default: a Year column or the year in FILE's name).")
@click.option("--name", help="Name of the table (default: from FILE).")
@click.option("--source", help="Provenance: where the file came from (URL or document).")
@click.option("--source-date", help="Provenance: date of the source, YYYY-MM-DD (default: today).")
@click.option("--illustrative", is_flag=True, help="Mark the table as illustrative, not CMS values.")
def import_command(file, output, year, name, source, source_date, illustrative):
    """Import a CMS-style locality-adjusted HIT rate CSV as a rate table.

    FILE has a header row with a carrier column, a locality column and one
    column per G-code, in any order and spelling; title rows above it are
    skipped. A row with carrier NATIONAL holds the national rates.

    \b
    Example FILE:
      Carrier,Locality,Locality Name,G0068,G0069,G0070,G0088,G0089,G0090
      NATIONAL,,,"$150.00",...
      01112,05,SAN FRANCISCO,"$171.25",...

    \b
    Examples:
      edi-hit rates import CY2024_HIT_locality.csv -o rates2024.json
      edi-hit rates import hit.csv --year 2025 --source https://www.cms.gov/... -o r.json
      edi-hit price claims.837 --rates rates2024.json
    """
    if file == "-":   # stdin: the reader takes a path, so it is copied to one first
        with stdin_as_file("stdin.csv") as path:
            doc = import_cms_csv(path, year=year, name=name or "stdin", source=source,
                                 source_date=source_date, illustrative=illustrative)
    else:
        doc = import_cms_csv(file, year=year, name=name, source=source,
                             source_date=source_date, illustrative=illustrative)
    with open_output(output, inputs=[file]) as stream:
        dump_document(doc, stream)
    table = RateTable(doc)
    say(f"{len(doc['rates'])} rates written ({table.name})")
