# Where the library's log records and warnings go when edi-hit runs as a command.
#
# Strategy: the library only logs (logger `edi_hit` and its children) and warns
# (warnings.warn with an EdiHitWarning subclass, e.g. IllustrativeRatesWarning); it
# never configures either. The command line is the one place that does, once per
# process: one stderr handler on `edi_hit` whose level -v/-q choose (default NOTE,
# the command's own notes; -v INFO, -vv DEBUG, -q ERROR), and warnings as one line each,
# "edi-hit: warning: ...", never with the source line Python would print. -q hides
# warnings too. A library user's own logging and warnings setup is left alone.
from __future__ import annotations

import logging
import warnings

import click

__all__ = ["setup", "LEVELS", "NOTE"]

NOTE = 25   # between INFO and WARNING: the notes a command says unless -q
logging.addLevelName(NOTE, "NOTE")
LEVELS = {-1: logging.ERROR, 0: NOTE, 1: logging.INFO, 2: logging.DEBUG}


class _ClickHandler(logging.Handler):
    """Records as one stderr line: 'edi-hit: <level>: message' (info without a level)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            level = record.levelname.lower()
            head = "edi-hit: " if record.levelno in (logging.INFO, NOTE) else f"edi-hit: {level}: "
            if record.exc_info and self.level <= logging.DEBUG:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            click.echo(head + text, err=True)
        except Exception:  # pragma: no cover - logging must not raise
            self.handleError(record)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"edi-hit: warning: {message}", err=True)


def setup(verbose: int = 0, quiet: bool = False) -> None:
    """Configure the `edi_hit` logger and the display of warnings for this process."""
    level = LEVELS[-1 if quiet else min(verbose, 2)]
    logger = logging.getLogger("edi_hit")
    for handler in [h for h in logger.handlers if isinstance(h, _ClickHandler)]:
        logger.removeHandler(handler)
    handler = _ClickHandler(level)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    warnings.showwarning = _show_warning
    from edi_hit.errors import EdiHitWarning

    warnings.simplefilter("always", EdiHitWarning)   # every command says it, every time
    if quiet:
        warnings.filterwarnings("ignore", module="edi_hit")
        warnings.filterwarnings("ignore", category=UserWarning)
