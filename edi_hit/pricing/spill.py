# Claims waiting for the rest of their beneficiary's claims, kept on disk.
#
# Strategy: a pricing run (run.py) must hold a beneficiary's claims until the last one
# has been read, and a file whose beneficiaries are interleaved or shuffled would make
# it hold nearly all of them. When more claims wait than the run allows in memory, it
# moves them here: one row per beneficiary and move (a list of that beneficiary's
# claims, pickled and compressed: about 100 bytes a claim), in a temporary SQLite
# database keyed by the run's member key. When the beneficiary is complete the run
# takes its rows back in the order they were written (rowid order, which is input
# order) and deletes them. Pricing then sees exactly the claims, in exactly the order,
# it would have seen in memory, so the decisions and the 835 do not depend on when or
# whether claims were spilled.
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
from typing import Any

__all__ = ["ClaimSpill"]

_CACHE_KIB = 4096
_LEVEL = 1  # zlib: fast; pickled claims compress about tenfold anyway


class ClaimSpill:
    """Lists of claims by key, on disk until taken back.

        spill = ClaimSpill()
        spill.put(key, items)          # append; items are pickled now
        items = spill.take(key)        # every list put under key, in order; forgotten
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
                db.execute("CREATE TABLE spill (key, data BLOB NOT NULL)")
                db.execute("CREATE INDEX spill_key ON spill (key)")
            except BaseException:
                db.close()
                raise
        finally:
            os.unlink(path)
        self.db: sqlite3.Connection | None = db
        self.claims = 0       # claims put, in all
        self.bytes = 0        # compressed bytes put, in all

    def put(self, key: Any, items: list) -> None:
        data = zlib.compress(pickle.dumps(items, pickle.HIGHEST_PROTOCOL), _LEVEL)
        self._db().execute("INSERT INTO spill VALUES (?, ?)", (key, data))
        self.claims += len(items)
        self.bytes += len(data)

    def put_many(self, groups: list[tuple[Any, list]]) -> None:
        """put() for several keys in one transaction."""
        db = self._db()
        db.execute("BEGIN")
        try:
            for key, items in groups:
                self.put(key, items)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def take(self, key: Any) -> list:
        db = self._db()
        rows = db.execute("SELECT data FROM spill WHERE key = ? ORDER BY rowid", (key,)).fetchall()
        if not rows:
            return []
        db.execute("DELETE FROM spill WHERE key = ?", (key,))
        out: list = []
        collecting = gc.isenabled()
        gc.disable()  # unpickling makes many objects and no cycles: a collection in the
        try:          # middle (there would be several) costs five times the unpickling
            for (data,) in rows:
                out.extend(pickle.loads(zlib.decompress(data)))
        finally:
            if collecting:
                gc.enable()
        return out

    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            raise ValueError("the claim spill is closed")
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
