# The batch's plumbing: small files written whole or not at all, the work folder, the pool.
#
# Strategy: every record a resumed batch trusts (batch.json, a file's split, the summary,
# the manifest) is written under a temporary name, fsynced and renamed, so a kill leaves
# the old record or the new one, never half of one. Work is mapped over processes
# forked from the batch's before it opens the history (Pool): a child must not inherit
# an open SQLite connection's lock bookkeeping, nor a PostgreSQL socket.
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

__all__ = ["write_small", "clean", "Pool"]


def write_small(path: str, text: str) -> None:
    """Write a small file whole (temporary name, fsync, rename), 0600."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def clean(work: str) -> None:
    """Remove the work folder (its shards hold claims: PHI) and everything in it."""
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)


def _ready(_: int) -> None:
    return None


def _orphan_watch(parent: int) -> None:
    """In a worker: exit as soon as the batch's process is gone (a SIGKILL gives it no
    chance to stop its pool), rather than wait for work forever holding its pipes."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="edi-hit-orphan-watch", daemon=True).start()


class Pool:
    """`workers` processes forked now (all of them: the fork start method launches every
    worker at the first task), used by map() later; none for one worker or one task."""

    def __init__(self, workers: int, tasks: int):
        self.workers = min(workers, tasks)
        self._pool = None
        if self.workers > 1:
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                             initializer=_orphan_watch,
                                             initargs=(os.getpid(),))
            list(self._pool.map(_ready, range(self.workers)))

    def map(self, fn: Callable, tasks: list, bar) -> Iterator:
        """fn over tasks, results in order; bar.advance() after each."""
        if self._pool is None:
            for t in tasks:
                yield fn(t)
                bar.advance()
            return
        for out in self._pool.map(fn, tasks):
            yield out
            bar.advance()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
