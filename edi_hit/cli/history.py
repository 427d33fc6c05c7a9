# `edi-hit history ...`: the beneficiary history store the pricer reads and writes.
#
# Strategy: a thin shell over edi_hit.pricing.history (SQLiteHistory, read_dme_csv).
# Amounts are validated where they enter (money.money_value); messages do not echo the
# member id.
from __future__ import annotations

import click

from edi_hit.pricing.history import SQLiteHistory, read_dme_csv
from edi_hit.pricing.money import money_value

__all__ = ["history"]


@click.group("history")
def history():
    """Beneficiary history: HIT visits, DME drug claims, deductible met."""


@history.command("import-dme")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--history", "history_path", type=click.Path(dir_okay=False), required=True,
              help="SQLite history file (created if missing).")
def import_dme(file, history_path):
    """Add covered DME drug claims from a CSV to the history.

    The CSV has a header with MBI, date and HCPCS J-code columns, and
    optionally category (1-3) and modifier; without a category the J-code's
    category on that date is used. Rows already in the history are skipped.

    \b
    Example FILE:
      MBI,Date,HCPCS,Modifier
      1EG4TE5MK73,2024-03-01,J1559,JB

    \b
    Examples:
      edi-hit history import-dme dme-claims.csv --history hit.db
      edi-hit price claims.837 --history hit.db --explain
    """
    drugs = read_dme_csv(file)
    with SQLiteHistory(history_path) as store:
        added = store.import_dme(drugs)
    unknown = sum(1 for d in drugs if d.category is None)
    click.echo(f"edi-hit: {added} DME drug claims added, {len(drugs) - added} already present"
               + (f"; {unknown} without a payment category (never qualify)" if unknown else ""),
               err=True)


@history.command("deductible")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), required=True,
              help="SQLite history file (created if missing).")
@click.option("--mbi", required=True, help="Beneficiary (MBI).")
@click.option("--year", type=click.IntRange(2019, 2099), required=True)
@click.option("--met", required=True,
              help="Part B deductible already met that year, e.g. 120.00 (plain decimal, "
                   "not negative).")
def deductible(history_path, mbi, year, met):
    """Record Part B deductible already met outside these claims (C10).

    \b
    Example:
      edi-hit history deductible --history hit.db --mbi 1EG4TE5MK73 --year 2024 --met 240.00
    """
    amount = money_value(met, "--met")
    with SQLiteHistory(history_path) as store:
        store.set_deductible_met(mbi, year, amount)
    click.echo(f"edi-hit: deductible met in {year} recorded for the beneficiary: {amount}",
               err=True)
