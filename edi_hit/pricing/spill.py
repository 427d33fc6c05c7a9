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
#
# Shared parts: the envelope, the submitter and receiver (1000A, 1000B) and the billing
# provider (2000A) are one object for many claims in memory but were pickled with each
# claim (2.3 of a claim's 3.8 KB), and came back as a copy per claim. They are pickled
# by reference instead (pickle's persistent ids): each distinct value once, in a table
# in memory keyed by its pickled bytes, and the claims taken back share one object per
# value again, as the reader made them (pricing never changes them). The table holds at
# most _SHARED_MAX values; beyond that a part is pickled with its claim as before.
from __future__ import annotations

import gc
import io
import os
import pickle
import sqlite3
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from edi_hit.claims import BillingProvider, Envelope, Party

__all__ = ["ClaimSpill"]

_CACHE_KIB = 4096
_LEVEL = 1  # zlib: fast; pickled claims compress several times anyway
_SHARED_MAX = 10_000   # distinct shared parts kept (each a few hundred bytes)
_RECENT_MAX = 256      # shared parts recognised by identity (held, so ids stay unique)
_HEADER_LOOPS = frozenset({"1000A", "1000B"})


class _Shared:
    """The table of shared parts: persistent id -> pickled bytes, and the object made
    from them once (what every claim taken back gets)."""

    def __init__(self):
        self.ids: dict[bytes, int] = {}
        self.data: list[bytes] = []
        self.objects: dict[int, Any] = {}
        self.recent: dict[int, tuple[Any, int]] = {}  # id(obj) -> (obj, persistent id)

    def ref(self, obj) -> int | None:
        cls = obj.__class__
        if cls is not Envelope and cls is not BillingProvider and (
                cls is not Party or obj.loop not in _HEADER_LOOPS):
            return None
        seen = self.recent.get(id(obj))
        if seen is not None:
            return seen[1]
        data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
        pid = self.ids.get(data)
        if pid is None:
            if len(self.data) >= _SHARED_MAX:
                return None
            pid = self.ids[data] = len(self.data)
            self.data.append(data)
        if len(self.recent) >= _RECENT_MAX:
            self.recent.clear()
        self.recent[id(obj)] = (obj, pid)
        return pid

    def load(self, pid: int):
        obj = self.objects.get(pid)
        if obj is None:
            obj = self.objects[pid] = pickle.loads(self.data[pid])
        return obj


def _dumps(items: list, shared: _Shared) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, pickle.HIGHEST_PROTOCOL)
    pickler.persistent_id = shared.ref  # type: ignore[method-assign]
    pickler.dump(items)
    return zlib.compress(buf.getvalue(), _LEVEL)


def _loads(rows, shared: _Shared) -> list:
    out: list = []
    collecting = gc.isenabled()
    gc.disable()  # unpickling makes many objects and no cycles: a collection in the
    try:          # middle (there would be several) costs more than the unpickling
        for (data,) in rows:
            unpickler = pickle.Unpickler(io.BytesIO(zlib.decompress(data)))
            unpickler.persistent_load = shared.load  # type: ignore[method-assign]
            out.extend(unpickler.load())
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
        self.shared = _Shared()
        self.claims = 0       # claims put, in all
        self.bytes = 0        # compressed bytes put, in all

    def put_many(self, groups: Iterable[tuple[Any, int, list]]) -> None:
        """(key, bucket, claims) rows, in one transaction."""
        rows = []
        for key, bucket, items in groups:
            data = _dumps(items, self.shared)
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
                                (key,)), self.shared)
        db.execute("DELETE FROM spill WHERE key = ?", (key,))
        return out

    def buckets(self, key: Any) -> Iterator[list]:
        """The claims put under key, one bucket at a time in bucket order (each in the
        order put); forgotten once all are read."""
        db = self._db()
        for (bucket,) in db.execute("SELECT DISTINCT bucket FROM spill WHERE key = ? "
                                    "ORDER BY bucket", (key,)).fetchall():
            yield _loads(db.execute("SELECT data FROM spill WHERE key = ? AND bucket = ? "
                                    "ORDER BY rowid", (key, bucket)), self.shared)
        db.execute("DELETE FROM spill WHERE key = ?", (key,))

    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            raise ValueError("the claim spill is closed")
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
