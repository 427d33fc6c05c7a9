# Fault injection: named steps of a run where a test (or tools/chaos.py) makes it fail.
#
# Strategy: the pipeline calls point(step) at each step of an atomic run. When the
# environment variable EDI_HIT_FAULT names that step, the run fails there as a real
# one would: "STEP" or "STEP:raise" raises an OSError (an I/O error at that moment),
# "STEP:kill" kills the process with SIGKILL (a crash: no cleanup runs at all),
# "STEP:term" sends it SIGTERM (an operator stopping it), "STEP:sleep=SECONDS" holds the
# run there that long (a slow disk; tests use it at `locked` to make a concurrent run
# wait for the lock whatever the machine's load). Costs one dict lookup per step
# when unset. The steps, in order:
#   locked     the history's write lock is held; nothing decided yet
#   priced     every claim is priced and rendered; the 835 is not written
#   remitted   the 835 is written to its temporary file; report and manifest not complete
#   written    every output is complete on disk (temporary names, fsynced); not committed
#   committed  the ledger and history are committed; no output renamed yet
#   published-835  the 835 is in place; the report and manifest are not yet
#   published  the outputs are in place; the run is not yet marked done
#   done       the run is marked done
from __future__ import annotations

import errno
import os
import signal
import time

__all__ = ["ENV", "STEPS", "point"]

ENV = "EDI_HIT_FAULT"
STEPS = ("locked", "priced", "remitted", "written", "committed", "published-835", "published",
         "done")


def point(step: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, mode = spec.partition(":")
    if name != step:
        return
    if mode.startswith("sleep="):
        time.sleep(float(mode[len("sleep="):]))
        return
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "term":
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the handler raises here (or after a deferred section ends)
        return
    raise OSError(errno.EIO, f"injected fault at step {step!r} ({ENV})")
