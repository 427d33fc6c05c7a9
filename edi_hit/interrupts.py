# SIGTERM is handled like SIGINT, and a commit is never cut in half by either.
#
# Strategy: a terminated command must clean up exactly as an interrupted one does
# (temporary outputs removed, the history transaction rolled back, nothing half-written),
# so SIGTERM raises Terminated, a KeyboardInterrupt, wherever the program is; every
# `except BaseException` / `finally` that cleans up for Ctrl-C cleans up for it too.
# The few steps that must run to the end once begun (commit the ledger, rename the
# outputs, mark the run done) run inside deferred(): both signals are blocked at the
# OS level and delivered, as the same exception, when the section ends.
from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["Terminated", "handle_sigterm", "deferred"]

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM."""


def _raise_terminated(signum, frame):
    raise Terminated()


def handle_sigterm() -> None:
    """From now on SIGTERM raises Terminated (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


@contextlib.contextmanager
def deferred():
    """Hold SIGINT and SIGTERM until the block ends (then they are raised as usual)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
