# The batch's plumbing: small files written whole or not at all, the work folder, the pool.
#
# Strategy: every record a resumed batch trusts (batch.json, a file's split, the summary,
# the manifest) is written under a temporary name, fsynced and renamed, so a kill leaves
# the old record or the new one, never half of one. Work is mapped over processes forked
# from the batch's (the parent's open history connection is never used by a child).
from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

__all__ = ["write_small", "sha256_of", "clean", "pool_map"]

_CHUNK = 1 << 20


def write_small(path: str, text: str) -> None:
    """Write a small file whole (temporary name, fsync, rename), 0600."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def sha256_of(path: str) -> str | None:
    """The file's sha256 (hex), or None when it cannot be read (the split says why)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def clean(work: str) -> None:
    """Remove the work folder (its shards hold claims: PHI) and everything in it."""
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)


def pool_map(fn: Callable, tasks: list, workers: int, bar) -> Iterator:
    """fn over tasks, in order, in `workers` processes (in this one for 1); bar.advance()
    after each."""
    if workers == 1 or len(tasks) <= 1:
        for t in tasks:
            yield fn(t)
            bar.advance()
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        for out in pool.map(fn, tasks):
            yield out
            bar.advance()
