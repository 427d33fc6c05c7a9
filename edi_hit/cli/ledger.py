# `edi-hit ledger ...`: what the history's ledger knows - runs, open balances, a claim's
# trail - and the two things an operator does with it: check it, repair it.
#
# Strategy: a thin shell over the HistoryStore contract (runs, open_balances,
# claim_trail, check) and edi_hit.pipeline.repair. Reading commands open the history
# read-only. Output names positions, ICNs and CLM01s, never member ids or names.
from __future__ import annotations

import os
import sys

import click

from edi_hit.cli.common import say, wait_option
from edi_hit.errors import EdiHitError
from edi_hit.formats import display_amount, dump_document

__all__ = ["ledger"]

_HISTORY = click.option("--history", "history_path", required=True, envvar="EDI_HIT_HISTORY",
                        type=click.Path(dir_okay=False),
                        help="The history adjudicate keeps (--history): a SQLite file or a "
                             "postgresql:// URL.")


def _open(path, *, readonly=True):
    from edi_hit.pricing.history import open_history

    if "://" not in path and not os.path.exists(path):   # a missing input: usage, exit 2
        raise click.BadParameter(f"{path}: no such history file", param_hint="--history")
    store = open_history(path, readonly=readonly)
    for note in getattr(store, "notes", ()):
        say(note)
    return store


_money = display_amount


@click.group("ledger")
def ledger():
    """The ledger of runs in a history file: runs, open balances, claims.

    \b
    Examples:
      edi-hit ledger runs --history hist.db
      edi-hit ledger balances --history hist.db
      edi-hit ledger claim WE-1 --history hist.db          by CLM01 or by ICN
      edi-hit ledger check --history hist.db               exit 1 if anything is off
      edi-hit ledger repair --history hist.db              finish an interrupted run
    """


@ledger.command("runs")
@_HISTORY
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def runs_command(history_path, limit, fmt):
    """Runs, newest first: status, time, inputs, claims, money and the 835."""
    with _open(history_path) as store:
        runs = store.runs(limit)
    if fmt == "json":
        dump_document([{
            "id": r.id, "status": r.status, "started": r.started.isoformat(),
            "finished": r.finished.isoformat() if r.finished else None,
            "inputs": [i.to_dict() for i in r.inputs],
            "outputs": [{"role": o.role, "path": o.path, "sha256": o.sha256, "size": o.size,
                         "state": o.state} for o in r.outputs],
            "totals": {k: r.totals.get(k) for k in (
                "claims_in", "claims", "claims_processed", "claims_denied", "claims_duplicate",
                "reversals", "claims_rejected", "total_paid", "recouped", "carried_forward",
                "payment") if k in r.totals},
            "error": r.error} for r in runs], sys.stdout)
        return
    click.echo(f"{'run':>5}  {'status':<9} {'started':<16}  {'files':>5} {'claims':>7} "
               f"{'dup':>5} {'paid':>12} {'payment':>12}  835 / error")
    for r in runs:
        t = r.totals
        out = r.output("835")
        last = r.error if r.status == "aborted" else (out.path if out else "")
        click.echo(f"{r.id:>5}  {r.status:<9} {r.started:%Y-%m-%d %H:%M}  {len(r.inputs):>5} "
                   f"{t.get('claims', ''):>7} {t.get('claims_duplicate', ''):>5} "
                   f"{t.get('total_paid', ''):>12} {t.get('payment', ''):>12}  {last}")


@ledger.command("balances")
@_HISTORY
@click.option("--payee", help="Only this payee (billing provider NPI).")
def balances_command(history_path, payee):
    """Money providers owe back (voids, replacements) not yet recouped by an 835."""
    with _open(history_path) as store:
        payees = [payee] if payee else _payees(store)
        balances = store.open_balances(payees)
    rows = [b for owed in balances.values() for b in owed]
    if not rows:
        click.echo("no open balances")
        return
    click.echo(f"{'payee':<12} {'ICN (reference)':<16} {'open':>12}  since run")
    for b in rows:
        click.echo(f"{b.payee:<12} {b.reference:<16} {_money(b.amount):>12}  {b.since_run}")
    click.echo(f"total {_money(sum(b.amount for b in rows)):>41}")


def _payees(store) -> list[str]:
    runs = store.runs()
    return sorted({t["payee_id"] for r in runs for t in r.totals.get("transactions", [])
                   if t.get("payee_id")})


@ledger.command("claim")
@click.argument("reference")
@_HISTORY
def claim_command(reference, history_path):
    """Every decision on a claim, by its CLM01 or ICN, and where each was remitted."""
    with _open(history_path) as store:
        trail = store.claim_trail(reference)
    if not trail:
        raise EdiHitError(f"{history_path}: no claim with CLM01 or ICN {reference!r}")
    for c in trail:
        link = ""
        if c.original_icn:
            link = (f", duplicate of ICN {c.original_icn}" if c.outcome == "duplicate" else
                    f", reverses ICN {c.original_icn}")
        if c.replaced_by:
            link += f", {c.state} by ICN {c.replaced_by}"
        click.echo(f"ICN {c.icn}  CLM01 {c.pcn}  NPI {c.npi}  frequency {c.frequency}: "
                   f"{c.outcome} ({c.state}{link}), charge {_money(c.charge)}, "
                   f"paid {_money(c.paid)}, run {c.run_id if c.run_id is not None else '-'}")
        for run_id, r in c.remits:
            click.echo(f"    remitted in run {run_id}: TRN {r.trn}, claim {r.position}, "
                       f"CLP07 {r.icn} ({r.status}, {_money(r.paid)})")


@ledger.command("check")
@_HISTORY
def check_command(history_path):
    """Integrity checks: one standing claim per digest, one paid visit per member, day
    and category, no history entries of claims that do not stand, each run's payment
    equal to its claims plus its balance moves, no balance below zero."""
    with _open(history_path) as store:
        problems = store.check()
    for p in problems:
        click.echo(f"problem: {p}")
    if problems:
        raise EdiHitError(f"{history_path}: {len(problems)} integrity problem(s)")
    click.echo(f"{history_path}: ledger and history are consistent")


@ledger.command("repair")
@_HISTORY
@wait_option("How long to wait while another run uses the history (default: until it "
             "is free).")
def repair_command(history_path, wait):
    """Finish runs that committed but were stopped before their outputs were in place
    (every adjudicate run on the history does this first, too)."""
    from edi_hit.pipeline import repair

    with _open(history_path, readonly=False) as store:
        store.begin(wait, say)
        try:
            notes = repair(store)
            store.commit()
        finally:
            if store.in_transaction:
                store.rollback()
    for note in notes:
        click.echo(note)
    if not notes:
        click.echo("nothing to repair")
