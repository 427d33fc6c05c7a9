# `edi-hit history ...`: the beneficiary history store the pricer reads and writes.
#
# Strategy: a thin shell over edi_hit.pricing.history (open_history: a SQLite file or a
# postgresql:// URL) and the DME drug evidence readers (edi_hit.pricing.dme for
# claim-line CSVs, edi_hit.x835.dme for the DME MAC's 835). Amounts are validated where
# they enter (money.money_value); messages do not echo the member id.
from __future__ import annotations

import sys

import click

from edi_hit.cli.common import expand_inputs, input_files, say, stdin_as_file
from edi_hit.pricing.dme import read_dme_csv
from edi_hit.pricing.history import open_history
from edi_hit.pricing.money import money_value
from edi_hit.x835.dme import dme_drugs_from_835

__all__ = ["history"]


@click.group("history")
def history():
    """Beneficiary history: HIT visits, DME drug claims, deductible met, and the cost
    sharing accumulated under payer contracts."""


@history.command("import-dme")
@input_files()
@click.option("--history", "history_path", type=click.Path(dir_okay=False), required=True,
              envvar="EDI_HIT_HISTORY",
              help="SQLite history file (created if missing) or postgresql:// URL.")
def import_dme(files, history_path):
    """Add the DME drug claim lines the DME MAC covered, from CSVs, to the history.

    The CSV has a header with MBI, date and HCPCS J-code columns, and
    optionally status, allowed amount, category (1-3) and modifier. A line
    counts when its status is paid, allowed, approved or covered (denied,
    rejected, pending ... do not) and its allowed amount, if given, is above
    zero; a file with neither column is taken as a list of covered lines.
    Without a category the J-code's category on that date is used (JB where
    the code needs it). Lines already in the history are skipped.

    \b
    Example FILE:
      MBI,Date,HCPCS,Modifier,Status,Allowed
      1EG4TE5MK73,2024-03-01,J1559,JB,paid,1480.00

    \b
    Examples:
      edi-hit history import-dme dme-claims.csv --history hit.db
      edi-hit price claims.837 --history hit.db --explain
    """
    for name in expand_inputs(files):
        if name == "-":   # the CSV reader takes a path: stdin is copied to one first
            with stdin_as_file("stdin.csv") as path:
                _import(read_dme_csv(path), history_path)
        else:
            _import(read_dme_csv(name), history_path)


@history.command("import-835")
@input_files()
@click.option("--history", "history_path", type=click.Path(dir_okay=False), required=True,
              envvar="EDI_HIT_HISTORY",
              help="SQLite history file (created if missing) or postgresql:// URL.")
def import_835(files, history_path):
    """Add the drug lines a DME MAC's 835s covered to the history.

    Every drug J-code line of a processed claim (CLP02 1, 2 or 3) with an
    allowed amount above zero is evidence that the DME benefit covered the
    drug (C26); denied lines are not, and a reversal (CLP02 22) in the same
    file takes its lines back.

    \b
    Examples:
      edi-hit history import-835 dme-mac.835 --history hit.db
      edi-hit adjudicate hit-supplier.837 --history hit.db -o remit.835
    """
    for name in expand_inputs(files):
        source = sys.stdin.buffer if name == "-" else name
        _import(dme_drugs_from_835(source, name="<stdin>" if name == "-" else name),
                history_path)


def _import(evidence, history_path) -> None:
    with open_history(history_path) as store:
        added = store.import_dme(evidence.drugs)
    say(f"{evidence.describe()}; {added} added to the history, "
        f"{len(evidence.drugs) - added} already present")


@history.command("deductible")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), required=True,
              envvar="EDI_HIT_HISTORY",
              help="SQLite history file (created if missing) or postgresql:// URL.")
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
    with open_history(history_path) as store:
        store.set_deductible_met(mbi, year, amount)
    say(f"deductible met in {year} recorded for the beneficiary: {amount}")


@history.command("accumulation")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), required=True,
              envvar="EDI_HIT_HISTORY",
              help="SQLite history file (created if missing) or postgresql:// URL.")
@click.option("--member", required=True, help="Member id (2010BA NM109).")
@click.option("--plan", required=True,
              help="The contract's accumulator plan (its `plan`, else its `id`).")
@click.option("--plan-year", "plan_year", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="First day of the plan year, YYYY-MM-DD.")
@click.option("--deductible", default="0", show_default=True,
              help="Deductible met that plan year outside these claims (plain decimal).")
@click.option("--out-of-pocket", "out_of_pocket", default="0", show_default=True,
              help="Out-of-pocket amount met that plan year outside these claims, the "
                   "deductible included.")
def accumulation(history_path, member, plan, plan_year, deductible, out_of_pocket):
    """Record a member's cost sharing already met under a payer contract's plan.

    \b
    Example:
      edi-hit history accumulation --history hit.db --member ACM100000005 \\
          --plan acme-commercial-2026 --plan-year 2026-01-01 --deductible 250.00 --out-of-pocket 400.00
    """
    ded = money_value(deductible, "--deductible")
    oop = money_value(out_of_pocket, "--out-of-pocket")
    with open_history(history_path) as store:
        store.set_accumulation(member, plan, plan_year.date(), ded, oop)
    say(f"cost sharing met under plan {plan} from {plan_year.date()} recorded for the member: "
        f"deductible {ded}, out of pocket {oop}")
