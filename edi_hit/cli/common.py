# Small pieces every command shares: outputs written under the one safe rule
# (edi_hit.outputs), a progress counter on stderr for long runs, warnings printed once.
from __future__ import annotations

import functools
import os
import sys
import time

import click


def open_output(path: str, *, binary: bool = False, label: str = "-o", inputs=(),
                history: str | None = None, others=()):
    """A writable stream for `path` ('-' is stdout) under the one rule every command
    follows (edi_hit.outputs): a regular file is written under a temporary name beside
    it and renamed into place only when the command succeeds; stdout, devices and FIFOs
    are written through; symlinks are followed. An output that is one of `inputs`, the
    `history` or one of `others` ((label, path) of the command's other outputs) is
    refused with exit status 2; a second command writing the same file fails at once."""
    from edi_hit.outputs import open_output as _open

    return _open(path, binary=binary, label=label, inputs=inputs, history=history,
                 others=others)


def progress_claims(items, label: str, *, enabled: bool = True, every: int = 1000):
    """Pass items through, showing a running count on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    start = time.monotonic()
    n = 0
    for item in items:
        n += 1
        if n % every == 0:
            rate = n / max(time.monotonic() - start, 1e-9)
            click.echo(f"\r{label}: {n:,} claims ({rate:,.0f}/s)", err=True, nl=False)
        yield item
    click.echo(f"\r{label}: {n:,} claims in {time.monotonic() - start:.1f} s", err=True)


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def expand_inputs(paths) -> list[str]:
    """Files named on the command line; a directory stands for the files inside it
    (recursively, sorted, hidden files skipped). '-' (stdin) passes through."""
    out: list[str] = []
    for p in paths:
        if p != "-" and os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, n) for n in sorted(names) if not n.startswith("."))
            if not found:
                raise click.UsageError(f"{p}: the directory holds no files")
            out.extend(found)
        else:
            out.append(p)
    return out


def readonly_history(path):
    """The history at `path` opened to read, never to decide (price, reconcile); None
    when no path is given."""
    if not path:
        return None
    from edi_hit.pricing.history import open_history

    store = open_history(path, readonly=True)
    for note in getattr(store, "notes", ()):
        click.echo(f"edi-hit: {note}", err=True)
    return store


_CONTRACTS = "edi_hit.contracts"  # click context meta: --contract, --authorizations


def _contract_options(command):
    """--contract and --authorizations, kept in the click context (not passed to the
    command): evidence_options() hands them to the pricer with the other evidence."""
    @functools.wraps(command)
    def run(*args, contract=(), authorizations=None, **kwargs):
        click.get_current_context().meta[_CONTRACTS] = {
            "contracts": list(contract) or None, "authorizations": authorizations}
        return command(*args, **kwargs)

    run = click.option(
        "--contract", multiple=True, type=click.Path(exists=True),
        help="Payer contract (JSON or TOML) or a folder of them (repeatable): each claim is "
             "priced under the contract its payer id (2010BB NM109) and SBR09 select; a claim "
             "none selects is Medicare HIT when SBR09 is MB, else denied (K0).")(run)
    return click.option(
        "--authorizations", type=click.Path(exists=True, dir_okay=False),
        help="Prior authorizations for the contracts (CSV: member_id, authorization, codes, "
             "start, end, units): a REF*G1 not in it is invalid (K9), beyond it exceeded "
             "(K8).")(run)


def pricing_options(command):
    """The options every pricing command shares: --rates, --history, --conventions,
    --suppliers, --dme-drugs, --dme-evidence, --assume-dme-drug (parameters rates,
    history, conventions, suppliers, dme_drugs, dme_evidence, assume_dme_drug), and
    --contract and --authorizations (given to the pricer by evidence_options)."""
    command = _contract_options(command)
    options = [
        click.option("--rates", type=click.Path(exists=True, dir_okay=False),
                     help="Rate table JSON (default: the shipped ILLUSTRATIVE table)."),
        click.option("--history", type=click.Path(dir_okay=False),
                     help="SQLite beneficiary history and ledger. adjudicate creates it if "
                          "missing and updates it in one transaction with its outputs; price "
                          "and reconcile only read it (default: in memory, forgotten after "
                          "the run)."),
        click.option("--conventions", type=click.Path(exists=True, dir_okay=False),
                     help="Conventions JSON laid over the defaults (codes per edit, POS set, ...)."),
        click.option("--suppliers", type=click.Path(exists=True, dir_okay=False),
                     help="Supplier enrolment CSV (NPI[,Specialty][,Effective From][,Effective "
                          "To]; CMS's list of home infusion therapy suppliers reads as it is): "
                          "lines of a billing NPI not enrolled as D6 on the date are denied "
                          "(E3). Without it E3 is not checked."),
        click.option("--dme-drugs", "dme_drugs", multiple=True,
                     type=click.Path(exists=True, dir_okay=False),
                     help="DME drug evidence for this run: the DME MAC's 835, or a CSV of its "
                          "claim lines with status (repeatable). To keep it across runs: "
                          "edi-hit history import-835 / import-dme."),
        click.option("--dme-evidence", type=click.Choice(["covered", "billed"]), default=None,
                     help="Which DME drug lines count for E4 (C26): covered (default: lines "
                          "the DME benefit processed) or billed (SIMULATION: DME supplier "
                          "claims in the run count when billed)."),
        click.option("--assume-dme-drug", is_flag=True,
                     help="Skip the DME drug rule: treat every HIT line as having its "
                          "qualifying DME drug claim (a supplier estimating its own payments)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def evidence_options(suppliers, dme_drugs, dme_evidence) -> dict:
    """Pricer keyword arguments for --suppliers, --dme-drugs and --dme-evidence (and
    --contract, --authorizations when given): the --dme-drugs files are read here (what
    each gave is said on stderr)."""
    from edi_hit.x835.dme import load_dme_evidence

    drugs = []
    for evidence in load_dme_evidence(dme_drugs or ()):
        click.echo(f"edi-hit: DME drug evidence {evidence.describe()}", err=True)
        drugs.extend(evidence.drugs)
    ctx = click.get_current_context(silent=True)
    contracts = ctx.meta.get(_CONTRACTS, {}) if ctx is not None else {}
    return {"suppliers": suppliers, "dme_drugs": drugs, "dme_evidence": dme_evidence,
            **{k: v for k, v in contracts.items() if v is not None}}
