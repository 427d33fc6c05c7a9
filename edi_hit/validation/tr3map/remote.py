# The TR3 engine on the other core: level 2 of a large file in a child process.
# (validate() first tries to cut the file between transaction sets, every level on
# every core: shards.py; this is for a file that cannot be cut, one huge set, say.)
#
# Strategy: validate() reads a file once and runs levels 1, 3 and 4 in one pass; the
# TR3 engine can ride that pass (stream.Tr3Engine.feed) or, when a second core is
# free and the file is large, read the file again in a forked child while the
# parent does the rest. The child streams the file through its own SegmentReader
# and engine (memory stays flat) and sends back only what it found, the engine's
# add() calls (no more a code than the report keeps, and how many more there were);
# the parent replays them into the report when its own pass ends, so the report is
# the same as with the engine inline (the report sorts its issues by position). fork shares the compiled maps already loaded; where fork is not
# available, or the parent runs threads (fork would copy their locks), the engine
# runs inline instead.
from __future__ import annotations

import multiprocessing
import os
import threading

from .stream import run_tr3_engine, start_engine

__all__ = ["RemoteTr3", "engine_for", "forkable", "PARALLEL_MIN_BYTES"]

# About 400,000 segments. The child saves the time of level 2 (a third of the work)
# but costs a second read of the file and a process: measured on a 2.1 million
# segment file 1.2x-1.4x, on 210,000 segments no gain worth the second core.
PARALLEL_MIN_BYTES = 8_000_000


def _child(conn, source, name) -> None:
    calls: list = []

    def add(*args, **kw):   # every issue goes back: the report keeps them all (exact counts)
        calls.append((args, kw))

    try:
        run_tr3_engine(source, name, add, [])
        conn.send(("ok", calls))
    except BaseException as exc:   # the parent reports it; the child must not hang it
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class RemoteTr3:
    """Level 2 in a child process; quacks like Tr3Engine for validate()'s pass."""

    feed = None     # nothing per segment: the child reads the file itself

    def __init__(self, add, source, name, context):
        self._add = add
        self._conn, child_end = context.Pipe(duplex=False)
        self._proc = context.Process(target=_child, args=(child_end, os.fspath(source), name),
                                     daemon=True)
        self._proc.start()
        child_end.close()

    def finish(self) -> None:
        try:
            status, payload = self._conn.recv()
        except EOFError:
            status, payload = "failed", "the child process ended without an answer"
        finally:
            self._conn.close()
            self._proc.join()
        if status == "ok":
            for args, kw in payload:
                self._add(*args, **kw)
        else:
            self._add("error", "tr3-incomplete", f"TR3 validation incomplete: its process failed: "
                      f"{payload}", None, None, level=2)


def engine_for(add, source, name, *, jobs: int = 1):
    """The TR3 engine for one validate() call: in a child process when jobs > 1, the
    source is a large file on disk and fork is safe here; else inline (or None, with
    a warning, when the maps cannot be read)."""
    if jobs > 1 and isinstance(source, (str, os.PathLike)) and forkable():
        try:
            large = os.path.getsize(source) >= PARALLEL_MIN_BYTES
        except OSError:
            large = False
        if large:
            engine = start_engine(add)      # the maps load (and are checked) here,
            if engine is not None:          # once, and the child inherits them
                return RemoteTr3(add, source, name, multiprocessing.get_context("fork"))
            return None
    return start_engine(add)


def forkable() -> bool:
    """Whether a child can be forked safely here (no other thread holds a lock)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
