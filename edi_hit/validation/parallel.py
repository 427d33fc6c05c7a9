# validate() over many files on every core: one file per process.
#
# Strategy: files are independent, so they are handed to a pool of `jobs` worker
# processes and their reports come back (pickled) in the order the files were
# given, each as soon as it and those before it are done: a caller prints as it
# goes. A worker validates its file with jobs=1 (the cores are already busy with
# other files). With one file, or one job, nothing is forked here: the file goes to
# validate() with all the jobs, which cuts a large file between its transaction sets
# into a run per process (shards.py), or, when it cannot be cut (one huge set, broken
# envelopes), gives level 2 a core of its own (tr3map/remote.py). Input that is not a path (stdin, bytes)
# stays in this process, and so do small batches (under 2 MB in all), where
# starting workers costs more than it saves.
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from .engine import validate
from .report import ValidationReport
from .tr3map.remote import forkable

__all__ = ["validate_files", "default_jobs", "POOL_MIN_BYTES"]

POOL_MIN_BYTES = 2_000_000   # files in all; below it starting workers costs more than it saves


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _size(paths) -> int:
    total = 0
    for p in paths:
        try:
            total += os.path.getsize(p)
        except OSError:
            pass
    return total


def _one(args) -> ValidationReport:
    source, name, kw = args
    return validate(source, name=name, **kw)


def validate_files(sources, *, jobs: int = 1, names=None, **kw):
    """Yield a ValidationReport per source, in order; `kw` as for validate()."""
    sources = list(sources)
    names = list(names) if names is not None else [None] * len(sources)
    on_disk = [isinstance(s, (str, os.PathLike)) for s in sources]
    if jobs <= 1 or sum(on_disk) < 2 or not forkable() or \
            _size([s for s, disk in zip(sources, on_disk) if disk]) < POOL_MIN_BYTES:
        for source, name in zip(sources, names):
            yield validate(source, name=name, jobs=jobs, **kw)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, sum(on_disk)), mp_context=context) as pool:
        pending = [pool.submit(_one, (s, n, {**kw, "jobs": 1})) if disk else None
                   for s, n, disk in zip(sources, names, on_disk)]
        for source, name, future in zip(sources, names, pending):
            yield future.result() if future is not None else \
                validate(source, name=name, jobs=1, **kw)
