# Small pieces every command shares: the convention's options (inputs, -o, --now,
# --allow-rejects, --strict, the exit rule), outputs written under the one safe rule
# (edi_hit.outputs), progress on stderr for long runs, warnings printed once.
#
# Strategy: the convention every command follows (README, "Command-line conventions")
# is written once here as option decorators, so a command states which parts it has and
# cannot spell them differently: inputs are files, folders or '-' (a missing one is a
# usage error, exit 2); -o is the main output, '-' (stdout) by default for text; --now
# is one ISO date or datetime; rejected input exits 1 unless --allow-rejects.
from __future__ import annotations

import contextlib
import functools
import gc
import logging
import operator
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any, TextIO

import click

#: Exit statuses, the same in every command.
EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def input_files(name: str = "files", metavar: str | None = None, required: bool = True):
    """FILES...: files, folders (the files inside) or '-' (stdin). A name that does not
    exist is a usage error (exit 2)."""
    return click.argument(name, nargs=-1, required=required, metavar=metavar,
                          type=click.Path(exists=True, allow_dash=True))


def output_option(help: str, *, default: str | None = "-", required: bool = False):
    """-o/--output, the command's main output; '-' is stdout."""
    return click.option("-o", "--output", default=default, required=required,
                        show_default=default is not None,
                        type=click.Path(dir_okay=False, allow_dash=True), help=help)


class NowType(click.ParamType):
    """An ISO date (2026-03-01) or datetime (2026-03-01T12:00[:SS]) -> datetime."""

    name = "ISO-DATE[THH:MM]"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"expected an ISO date or datetime (YYYY-MM-DD[THH:MM]), got {value!r}",
                      param, ctx)


NOW = NowType()


def now_option(help: str = "The date and time the command stamps (YYYY-MM-DD[THH:MM]) "
                           "instead of the clock: reproducible output."):
    """--now: the one way to fix the date a command stamps or measures from."""
    return click.option("--now", type=NOW, default=None, help=help)


def wait_option(help: str = "With --history: how long to wait while another run uses it "
                            "(default: until it is free)."):
    """--wait SECONDS: how long a command waits for the history's lock (None: as long
    as it takes); every command that takes the lock has it."""
    return click.option("--wait", type=click.FloatRange(min=0), default=None,
                        metavar="SECONDS", help=help)


def format_option(command=None, *, choices=("json", "ndjson", "csv"), default="json"):
    """--format: json (one indented document), ndjson (one compact object a line), csv
    (one row per service line with its claim's context; columns in edi_hit.rows)."""
    option = click.option("--format", "fmt", type=click.Choice(choices), default=default,
                          show_default=True,
                          help="json: one document; ndjson: one object a line; csv: one "
                               "row per service line with its claim (README: columns).")
    return option if command is None else option(command)


def allow_rejects_option(command):
    return click.option("--allow-rejects", is_flag=True,
                        help="Exit 0 even when input was rejected or does not balance (it "
                             "is still reported).")(command)


def strict_option(command):
    return click.option("--strict", is_flag=True,
                        help="Stop at the first bad value (one line, exit 1, no output) "
                             "instead of rejecting it and going on.")(command)


def finish(rejected: int, allow_rejects: bool) -> None:
    """The exit rule: status 1 when anything was rejected or did not balance (the
    command has said what on stderr), unless --allow-rejects."""
    if rejected and not allow_rejects:
        raise SystemExit(EXIT_REJECTED)


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


#: Seconds between progress lines when stderr is not a terminal (a log, a pipe).
PROGRESS_EVERY = 5.0
PROGRESS_ENV = "EDI_HIT_PROGRESS_SECONDS"


class Progress:
    """Progress of a long command on stderr: files, claims, claims/s and, when the total
    is known, ETA. On a terminal click's progress bar draws it (click.progressbar: the
    bar, the percentage and the ETA from its rolling average); otherwise (a log file, a
    pipe, CI) one line every few seconds (PROGRESS_EVERY, or $EDI_HIT_PROGRESS_SECONDS),
    and a closing line, only once a run has lasted that long: short runs stay quiet.

        with Progress("adjudicate", total=claims, files=3) as p:
            for claim in p.wrap(claims_iter):      # or p.advance(n), p.file_done()
                ...
    """

    def __init__(self, label: str, *, total: int | None = None, files: int = 0,
                 unit: str = "claims", enabled: bool = True, stream: TextIO | None = None,
                 every: float | None = None):
        self.label = label
        self.unit = unit
        self.files = files
        self.file = 0              # files finished
        self.count = 0
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        env = os.environ.get(PROGRESS_ENV)
        self.every = every if every is not None else float(env) if env else PROGRESS_EVERY
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self._said: float | None = None   # when the last line was written (not a terminal)
        self._drawn = self.start          # when the bar last moved
        self._steps = 0                   # units not yet given to the bar
        # no iterable: the bar is moved by hand (advance); the generator has no length
        empty: tuple[Any, ...] = ()
        nothing: Iterator[Any] = (x for x in empty)   # a generator: click reads no length hint
        self.bar = click.progressbar(nothing, length=total, label=label,
                                     file=self.stream,
                                     show_eta=True, show_pos=True, width=24,
                                     hidden=not (enabled and self.tty),
                                     item_show_func=lambda _: self._info(),
                                     update_min_steps=1)

    @property
    def total(self) -> int | None:
        return self.bar.length

    @total.setter
    def total(self, value: int | None) -> None:
        self.bar.length = value

    def __enter__(self) -> "Progress":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.close(ok=exc[0] is None)

    def rate(self) -> float:
        return self.count / max(time.monotonic() - self.start, 1e-9)

    def _info(self) -> str:
        parts = [f"{self.rate():,.0f} {self.unit}/s"]
        if self.files > 1:
            parts.insert(0, f"file {min(self.file + 1, self.files)}/{self.files}")
        return ", ".join(parts)

    def advance(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        self._steps += n
        now = time.monotonic()
        if now - self._drawn < min(0.1, self.every):  # at most ten redraws a second
            return
        self._drawn = now
        self.bar.update(self._steps)
        self._steps = 0
        if not self.tty and now - (self._said if self._said is not None else self.start) >= self.every:
            self._said = now
            self._line()

    def file_done(self, n: int = 1) -> None:
        self.file += n
        self.advance(0)

    def wrap(self, items: Iterable, *, file_of: Callable[[Any], int] | None = None) -> Iterator:
        """Pass items through, one unit each. The total is the iterable's length hint
        when it gives one (the run plan does); file_of(item) says which file (0-based)
        an item came from."""
        hint = operator.length_hint(items, 0)
        if hint and self.total is None:
            self.total = hint
        for item in items:
            if file_of is not None:
                self.file = file_of(item)
            self.advance()
            yield item

    def _line(self, final: bool = False) -> None:
        total = self.total
        done = f"{self.count:,}" + (f"/{total:,}" if total else "")
        if final:
            text = (f"{self.label}: {self.count:,} {self.unit} in "
                    f"{time.monotonic() - self.start:.1f} s ({self.rate():,.0f} {self.unit}/s)")
        else:
            eta = self.bar.format_eta() if total else ""
            text = (f"{self.label}: {done} {self.unit}, {self._info()}"
                    + (f", ETA {eta}" if eta else ""))
        click.echo(text, file=self.stream)

    def close(self, ok: bool = True) -> None:
        if not self.enabled:
            return
        self.enabled = False
        if self._steps:
            self.bar.update(self._steps)
            self._steps = 0
        if self.tty:
            self.bar.finish()
            self.bar.render_progress()
            self.bar.render_finish()
        elif self._said is not None and ok:
            self._line(final=True)


def progress_wanted(output: str | None) -> bool:
    """Progress on stderr, unless the command's output is stdout on the same terminal."""
    return not (output == "-" and sys.stdout.isatty() and sys.stderr.isatty())


def progress_claims(items, label: str, *, enabled: bool = True,
                    file_of: Callable[[Any], int] | None = None, files: int = 0):
    """Pass items through with a Progress on stderr (see Progress)."""
    with Progress(label, enabled=enabled, files=files) as p:
        yield from p.wrap(items, file_of=file_of)


@contextlib.contextmanager
def gc_tuned():
    """The collector tuned for one large run, in the CLI process only (the library never
    touches it): what is loaded so far is frozen out of the collector's way and the
    youngest generation is collected less often; both undone after. A run allocates
    millions of small objects freed by reference counting, so young collections find
    little: tools/bench_pipeline.py --gc-tuned measures the difference (README). No full
    collection first: in a large process (a test runner's fork) it would take seconds
    before the run even starts."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 100_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def say(message: str) -> None:
    """A note on stderr, 'edi-hit: message' (hidden by -q): through the `edi_hit.cli`
    logger at the NOTE level, so -v/-q decide (edi_hit.cli.logs)."""
    from .logs import NOTE

    logging.getLogger("edi_hit.cli").log(NOTE, message)


@contextlib.contextmanager
def stdin_as_file(filename: str):
    """stdin copied to a temporary file called `filename` (for readers that take a path
    and a name: the year in a rate CSV's name, a CSV's dialect); removed after."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, filename)
        with open(path, "wb") as fh:
            while chunk := sys.stdin.buffer.read(1 << 20):
                fh.write(chunk)
        yield path


def expand_inputs(paths) -> list[str]:
    """Files named on the command line; a directory stands for the files inside it
    (recursively, sorted, hidden files skipped). '-' (stdin) passes through."""
    out: list[str] = []
    for p in paths:
        if p != "-" and os.path.isdir(p):
            found: list[str] = []
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
        say(note)
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
        "--contract", multiple=True, type=click.Path(exists=True), envvar="EDI_HIT_CONTRACTS",
        help="Payer contract (JSON or TOML) or a folder of them (repeatable): each claim is "
             "priced under the contract its payer id (2010BB NM109) and SBR09 select; a claim "
             "none selects is Medicare HIT when SBR09 is MB, else denied (K0).")(run)
    return click.option(
        "--authorizations", type=click.Path(exists=True, dir_okay=False),
        envvar="EDI_HIT_AUTHORIZATIONS",
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
                     envvar="EDI_HIT_RATES",
                     help="Rate table JSON (default: the shipped ILLUSTRATIVE table)."),
        click.option("--history", type=click.Path(dir_okay=False), envvar="EDI_HIT_HISTORY",
                     help="SQLite beneficiary history and ledger. adjudicate creates it if "
                          "missing and updates it in one transaction with its outputs; price "
                          "and reconcile only read it (default: in memory, forgotten after "
                          "the run)."),
        click.option("--conventions", type=click.Path(exists=True, dir_okay=False),
                     envvar="EDI_HIT_CONVENTIONS",
                     help="Conventions JSON laid over the defaults (codes per edit, POS set, ...)."),
        click.option("--suppliers", type=click.Path(exists=True, dir_okay=False),
                     envvar="EDI_HIT_SUPPLIERS",
                     help="Supplier enrolment CSV (NPI[,Specialty][,Effective From][,Effective "
                          "To]; CMS's list of home infusion therapy suppliers reads as it is): "
                          "lines of a billing NPI not enrolled as D6 on the date are denied "
                          "(E3). Without it E3 is not checked."),
        click.option("--dme-drugs", "dme_drugs", multiple=True, envvar="EDI_HIT_DME_DRUGS",
                     type=click.Path(exists=True, dir_okay=False),
                     help="DME drug evidence for this run: the DME MAC's 835, or a CSV of its "
                          "claim lines with status (repeatable). To keep it across runs: "
                          "edi-hit history import-835 / import-dme."),
        click.option("--dme-evidence", type=click.Choice(["covered", "billed"]), default=None,
                     envvar="EDI_HIT_DME_EVIDENCE",
                     help="Which DME drug lines count for E4 (C26): covered (default: lines "
                          "the DME benefit processed) or billed (SIMULATION: DME supplier "
                          "claims in the run count when billed)."),
        click.option("--assume-dme-drug", is_flag=True, envvar="EDI_HIT_ASSUME_DME_DRUG",
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
        say(f"DME drug evidence {evidence.describe()}")
        drugs.extend(evidence.drugs)
    ctx = click.get_current_context(silent=True)
    contracts = ctx.meta.get(_CONTRACTS, {}) if ctx is not None else {}
    return {"suppliers": suppliers, "dme_drugs": drugs, "dme_evidence": dme_evidence,
            **{k: v for k, v in contracts.items() if v is not None}}
