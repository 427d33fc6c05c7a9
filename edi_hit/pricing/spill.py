# Claims waiting for the rest of their beneficiary's claims, kept on disk.
#
# Strategy: a pricing run (run.py) must hold a beneficiary's claims until the last one
# has been read, and a file whose beneficiaries are interleaved or shuffled would make
# it hold nearly all of them. When more claims wait than the run allows in memory, it
# moves them here, in a temporary SQLite database: one row per beneficiary, month of
# service and move (the claims of that beneficiary whose first day of service falls in
# that month, pickled and compressed together), keyed by the run's member key and the
# month. When the beneficiary is complete the run takes its rows back: all at once
# (put back in input order by the caller), or, for a beneficiary with very many claims,
# month by month in date order, so that it can be priced a month at a time. Pricing sees
# exactly the claims it would have seen in memory, so the decisions do not depend on
# when or whether claims were spilled.
#
# The database is created 0600 in the temporary folder (TMPDIR) and unlinked as soon
# as it is open: no other process can read it (it holds member ids and names), and
# nothing is left behind however the process ends (exit, SIGTERM, SIGKILL). No journal
# (a crash loses nothing worth keeping) and a small page cache keep it cheap; pickle is
# safe here because the only data read back is what this process wrote a moment ago.
from __future__ import annotations

import gc
import os
import pickle
import sqlite3
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["ClaimSpill"]

_CACHE_KIB = 4096
_LEVEL = 1  # zlib: fast; pickled claims compress several times anyway


def _loads(rows) -> list:
    out: list = []
    collecting = gc.isenabled()
    gc.disable()  # unpickling makes many objects and no cycles: a collection in the
    try:          # middle (there would be several) costs more than the unpickling
        for (data,) in rows:
            out.extend(pickle.loads(zlib.decompress(data)))
    finally:
        if collecting:
            gc.enable()
    return out


class ClaimSpill:
    """Lists of claims by (key, bucket), on disk until taken back.

        spill = ClaimSpill()
        spill.put_many([(key, bucket, items), ...])   # appended; pickled now
        items = spill.take(key)           # every claim put under key; forgotten
        for items in spill.buckets(key):  # or bucket by bucket, in bucket order
            ...
        spill.close()
    """

    def __init__(self, directory: str | None = None):
        fd, path = tempfile.mkstemp(prefix="edi-hit-spill-", suffix=".db", dir=directory)
        os.close(fd)
        try:
            db = sqlite3.connect(path, isolation_level=None)
            try:
                for pragma in ("journal_mode = OFF", "synchronous = OFF",
                               "locking_mode = EXCLUSIVE", f"cache_size = -{_CACHE_KIB}"):
                    db.execute(f"PRAGMA {pragma}")
                db.execute("CREATE TABLE spill (key, bucket INTEGER, data BLOB NOT NULL)")
                db.execute("CREATE INDEX spill_key ON spill (key, bucket)")
            except BaseException:
                db.close()
                raise
        finally:
            os.unlink(path)
        self.db: sqlite3.Connection | None = db
        self.claims = 0       # claims put, in all
        self.bytes = 0        # compressed bytes put, in all

    def put_many(self, groups: Iterable[tuple[Any, int, list]]) -> None:
        """(key, bucket, claims) rows, in one transaction."""
        rows = []
        for key, bucket, items in groups:
            data = zlib.compress(pickle.dumps(items, pickle.HIGHEST_PROTOCOL), _LEVEL)
            rows.append((key, bucket, data))
            self.claims += len(items)
            self.bytes += len(data)
        db = self._db()
        db.execute("BEGIN")
        try:
            db.executemany("INSERT INTO spill VALUES (?, ?, ?)", rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def take(self, key: Any) -> list:
        """Every claim put under key (grouped by bucket, each group in the order put)."""
        db = self._db()
        out = _loads(db.execute("SELECT data FROM spill WHERE key = ? ORDER BY bucket, rowid",
                                (key,)))
        db.execute("DELETE FROM spill WHERE key = ?", (key,))
        return out

    def buckets(self, key: Any) -> Iterator[list]:
        """The claims put under key, one bucket at a time in bucket order (each in the
        order put); forgotten once all are read."""
        db = self._db()
        for (bucket,) in db.execute("SELECT DISTINCT bucket FROM spill WHERE key = ? "
                                    "ORDER BY bucket", (key,)).fetchall():
            yield _loads(db.execute("SELECT data FROM spill WHERE key = ? AND bucket = ? "
                                    "ORDER BY rowid", (key, bucket)))
        db.execute("DELETE FROM spill WHERE key = ?", (key,))

    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            raise ValueError("the claim spill is closed")
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
