# The `edi-hit` command line: a click group whose commands live one per module.
#
# Strategy: commands are thin shells over the library (the public API is what the
# CLI calls). Each stage owns its module in this package; COMMANDS maps a command
# name to "module:attribute" and the module is imported only when that command runs,
# so `edi-hit --help` stays fast and one stage's import cost is not paid by another.
# Bad input raises an EdiHitError in the library; `main` turns it into one line on
# stderr and exit status 1 (usage errors are click's: status 2, and so is an output
# that would overwrite an input or the history). No tracebacks. SIGTERM is handled
# like SIGINT: temporary outputs removed, nothing committed, one line, status 1.
# The global options (--config, -v, -q) are given to every command as it is loaded
# (LazyGroup), so they work after the command name too and no command declares them.
from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any

import click

from ..config import default_map, find_config, load_config
from ..errors import EdiHitError
from ..interrupts import Terminated, handle_sigterm

COMMANDS: dict[str, str] = {
    "parse": "edi_hit.cli.convert:parse",
    "generate": "edi_hit.cli.convert:generate",
    "price": "edi_hit.cli.price:price_command",
    "rates": "edi_hit.cli.rates:rates",
    "history": "edi_hit.cli.history:history",
    "ledger": "edi_hit.cli.ledger:ledger",
    "adjudicate": "edi_hit.cli.adjudicate:adjudicate_command",
    "batch": "edi_hit.cli.batch:batch_command",
    "read-835": "edi_hit.cli.remit:read_835_command",
    "reconcile": "edi_hit.cli.remit:reconcile_command",
    "report": "edi_hit.cli.report:report_command",
    "validate": "edi_hit.cli.validate:validate_command",
    "spark-adjudicate": "edi_hit.cli.spark:spark_adjudicate_command",
}



class _FAILED_2(click.ClickException):
    """An EdiHitError whose exit status is 2 (unreadable input, bad configuration)."""
    exit_code = 2

VERBOSE_HELP = "Say more on stderr (-vv: debug)."
QUIET_HELP = "No notes or warnings on stderr (errors, rejections and summaries stay)."
_LOGGING = "edi_hit.logging"   # root context meta: -v count and -q, wherever they came


def _logging_option(name: str) -> click.Option:
    """-v or -q as every command (and group) takes it after its name: the same meaning
    as before the command, added to what was given there."""
    def given(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if not value:
            return
        root = ctx.find_root()
        seen = root.meta.setdefault(_LOGGING, {"verbose": root.params.get("verbose") or 0,
                                               "quiet": bool(root.params.get("quiet"))})
        if name == "verbose":
            seen["verbose"] += value
        else:
            seen["quiet"] = True
        from . import logs

        logs.setup(seen["verbose"], seen["quiet"])

    if name == "verbose":
        return click.Option(["-v", "--verbose"], count=True, expose_value=False,
                            callback=given, help=VERBOSE_HELP)
    return click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=given,
                        help=QUIET_HELP)


CONFIG_HELP = ("Configuration file (default: edi-hit.toml in the working directory, if "
               "there is one).")


def _config_option() -> click.Option:
    """--config as every command (and group) takes it after its name: read before the
    command's other options (eager), it gives the command its defaults from the file,
    as the group's --config does; given both, the one after the command name wins."""
    def given(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None:
            return
        names: list[str] = []
        root = ctx
        while root.parent is not None:
            names.append(root.info_name or "")
            root = root.parent
        names.reverse()
        top = root.command.get_command(root, names[0])   # type: ignore[attr-defined]
        found = default_map(load_config(value), {names[0]: top}, str(value))
        for name in names:
            found = found.get(name) or {}
        ctx.default_map = found
        logging.getLogger("edi_hit.cli").info(f"configuration: {value}")

    return click.Option(["--config", "config_file"], type=click.Path(exists=True, dir_okay=False),
                        is_eager=True, expose_value=False, callback=given, help=CONFIG_HELP)


def _with_global_options(command: click.Command) -> click.Command:
    """The group's global options (--config, -v, -q) added once to a command and, for a
    group, to each of its subcommands: `edi-hit price x.837 -q` is `edi-hit -q price
    x.837`."""
    if getattr(command, "_edi_hit_globals", False):
        return command
    command.params.extend([_config_option(), _logging_option("verbose"),
                           _logging_option("quiet")])
    setattr(command, "_edi_hit_globals", True)
    for sub in getattr(command, "commands", {}).values():
        _with_global_options(sub)
    return command


class LazyGroup(click.Group):
    """A click group that imports each command's module on first use and gives every
    command the global options (-v, -q) after its name too."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return _with_global_options(getattr(importlib.import_module(module), attr))

    def invoke(self, ctx):
        handle_sigterm()
        try:
            return super().invoke(ctx)
        except EdiHitError as exc:
            kind = _FAILED_2 if getattr(exc, "exit_code", 1) == 2 else click.ClickException
            raise kind(str(exc)) from None
        except KeyboardInterrupt as exc:
            which = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
            raise click.ClickException(f"interrupted ({which}): stopped cleanly; nothing was "
                                       f"committed and no output was written") from None
        except BrokenPipeError:  # the reader went away (| head): stop, say nothing
            _silence_stdout()
            raise SystemExit(1) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug: one line, never a traceback (-v logs it)
            logging.getLogger("edi_hit.cli").debug("internal error", exc_info=True)
            raise click.ClickException(f"internal error: {type(exc).__name__}: {exc} (a bug "
                                       f"in edi-hit; -v shows the traceback)") from None


def _silence_stdout() -> None:
    """Point stdout at nothing, so Python's own flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file descriptor (a test runner's stream)
        pass


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                             "auto_envvar_prefix": "EDI_HIT"})
@click.version_option(package_name="edi-hit", prog_name="edi-hit")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              envvar="EDI_HIT_CONFIG", help=CONFIG_HELP)
@click.option("-v", "--verbose", count=True, help=VERBOSE_HELP)
@click.option("-q", "--quiet", is_flag=True, help=QUIET_HELP)
@click.pass_context
def main(ctx, config_file, verbose, quiet):
    """edi-hit: Medicare Home Infusion Therapy claims, from 837P to 835.

    \b
    Examples:
      edi-hit adjudicate inbox/ -o remit.835           the main job: 837P in, priced, 835 out
      edi-hit price claims.837 --explain               the pricing working, line by line
      edi-hit validate claims.837 --ack ack.999        findings and a 999 acknowledgment
      edi-hit reconcile claims.837 remit.835           expected vs paid, line by line
      edi-hit report remit.835 -o report.html          an HTML remittance report to print
      edi-hit parse claims.837 -o claims.json          837P -> claim JSON (ndjson, xml)
      edi-hit generate claims.json -o claims.837       claim JSON -> 837P
      edi-hit COMMAND --help                           examples for each command

    
    Conventions (the same in every command):
      inputs     files, folders (the files inside) or - (stdin); gzip is read as is
      -o FILE    the main output; - is stdout (the default where it is text)
      --ack, --report, --manifest, --reject-report   the other outputs, by name
      stdout     data only; summaries, notes and warnings go to stderr
      -v / -q    more / no notes on stderr, before or after the command name
                 (edi-hit -q price ... or edi-hit price ... -q); --config too
      --now      ISO date or datetime for everything the command stamps
      --strict   stop at the first bad value instead of rejecting it and going on
      exit 0     everything accepted
      exit 1     something rejected or unbalanced (--allow-rejects: 0), or bad input
      exit 2     usage error or unreadable input (missing file, bad configuration,
                 an output that is an input, the history or another output)
    The message of an error names file, segment number, segment id and element.

    \b
    Configuration: edi-hit.toml (or --config FILE) and the environment, for the
    options commands share; command line beats environment beats file:
      rates = "rates-2026.json"          EDI_HIT_RATES
      history = "hit.db"                 EDI_HIT_HISTORY
      conventions, payer, suppliers, contracts, authorizations, dme-drugs,
      dme-evidence (EDI_HIT_<KEY>)
      [adjudicate]                       any option of one command, by its name
      control-number = 7                 EDI_HIT_ADJUDICATE_CONTROL_NUMBER
    """
    from . import logs

    logs.setup(verbose, quiet)
    path = find_config(config_file)
    if path is not None and ctx.invoked_subcommand:
        name = ctx.invoked_subcommand
        command = ctx.command.get_command(ctx, name)
        ctx.default_map = default_map(load_config(path), {name: command}, str(path))
        logging.getLogger("edi_hit.cli").info(f"configuration: {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
