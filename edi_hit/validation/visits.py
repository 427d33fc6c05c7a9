# The HIT visits of one transaction set, in the pricer's order, in bounded memory.
#
# Strategy: the visit edits (E5 initial-visit gap, E6/E7 one payment per category per
# day) read a set's HIT lines per beneficiary in the pricer's order, so they run at SE
# over every line that passed the line rules. A set of 100,000 claims would hold them
# all. VisitQueue keeps up to `spill_at` of them in memory; beyond that it moves them,
# pickled, to a temporary SQLite database and lets SQLite sort them on the way out (an
# index on the sort key). The key is the pricer's order, (member, (first day of the
# claim, claim number), (line day, line number)), stored as text and integers that
# sort in SQLite exactly as the tuple sorts in Python (member ids compare by code point
# in both), so the findings do not depend on whether or when the queue spilled.
# The database is created 0600 in TMPDIR and unlinked as soon as it is open: it holds
# member ids, nobody else can read it, and nothing is left behind however the process
# ends. Pickle is safe here: the only data read back is what this process wrote.
from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import date
from typing import Any

__all__ = ["VisitQueue", "SPILL_AT"]

# Visits held in memory per transaction set before spilling: a set of 5,000 claims
# (about 15,000 HIT lines) never spills; one of 100,000 claims stays near 170 MB peak
# instead of 410 MB, for about 40% more CPU time on that set (measured, README).
SPILL_AT = 50_000

VisitKey = tuple[str, tuple[date, int], tuple[date, int]]


def _columns(key: VisitKey) -> tuple[str, int, int, int, int]:
    member, (day, seen), (start, n) = key
    return member, day.toordinal(), seen, start.toordinal(), n


class VisitQueue:
    """Append (key, record); drain() yields the records in key order, once.

        queue = VisitQueue()
        queue.append((member, (first_day, seen), (day, n)), record)
        for record in queue.drain():   # sorted by key; the queue is empty afterwards
            ...
    """

    def __init__(self, spill_at: int = SPILL_AT) -> None:
        if spill_at < 1:
            raise ValueError("spill_at must be at least 1")
        self.spill_at = spill_at
        self._held: list[tuple[VisitKey, Any]] = []
        self._db: sqlite3.Connection | None = None
        self.spilled = 0   # records moved to disk (tests and benchmarks read it)

    def __len__(self) -> int:
        return len(self._held) + self.spilled

    def append(self, key: VisitKey, record: Any) -> None:
        self._held.append((key, record))
        if len(self._held) >= self.spill_at:
            self._spill()

    def drain(self) -> Iterator[Any]:
        if self._db is None:
            held, self._held = self._held, []
            held.sort(key=lambda kr: kr[0])
            for _, record in held:
                yield record
            return
        self._spill()
        db, self._db, self.spilled = self._db, None, 0
        try:
            for (blob,) in db.execute("SELECT record FROM visit ORDER BY m, d, s, ld, n, rowid"):
                yield pickle.loads(blob)
        finally:
            db.close()

    def close(self) -> None:
        self._held = []
        if self._db is not None:
            self._db.close()
            self._db = None
            self.spilled = 0

    def _spill(self) -> None:
        if not self._held:
            return
        if self._db is None:
            self._db = _open_private_db()
        dumps = pickle.dumps
        rows = [(*_columns(key), dumps(record, pickle.HIGHEST_PROTOCOL))
                for key, record in self._held]
        with self._db:
            self._db.executemany("INSERT INTO visit VALUES (?, ?, ?, ?, ?, ?)", rows)
        self.spilled += len(rows)
        self._held = []


def _open_private_db() -> sqlite3.Connection:
    fd, path = tempfile.mkstemp(prefix="edi-hit-visits-", suffix=".db")   # 0600
    os.close(fd)
    try:
        db = sqlite3.connect(path)
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                         "PRAGMA cache_size=-4096; PRAGMA temp_store=FILE;"
                         "CREATE TABLE visit (m TEXT, d INTEGER, s INTEGER, ld INTEGER, "
                         "n INTEGER, record BLOB);")
    finally:
        os.unlink(path)   # the open connection keeps the file; nothing left at exit
    return db
