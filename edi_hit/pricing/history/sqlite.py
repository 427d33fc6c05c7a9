# The history store on SQLite: one file (or ':memory:'), shared safely by many runs.
#
# Strategy: the file is in WAL mode with synchronous=FULL (a commit survives a power
# loss before the outputs are renamed) and is created 0600 (it holds member ids and the
# 835s). The connection runs in autocommit mode and every write goes through an
# explicit transaction: begin() is BEGIN IMMEDIATE, retried in short slices until the
# caller's deadline so a second run waits (and says so once) instead of failing with
# "database is locked"; readers never wait. Staged writes go straight into the open
# transaction, so a run that loads a beneficiary again sees its own uncommitted
# decisions. The schema and its migrations live in sqlite_schema.py, the ledger's
# queries in sqlite_ledger.py.
from __future__ import annotations

import os
import sqlite3
import time
from datetime import date
from pathlib import Path
from typing import Callable

from edi_hit.errors import DataError

from . import sql, sqlite_schema
from .model import (Accumulation, BeneficiaryHistory, DrugClaim, HistoryBatch, Service,
                    StoredClaim, Visit)
from .sqlite_ledger import SQLiteLedger, _money
from .store import HistoryBusy, HistoryStore, check_cents

__all__ = ["SQLiteHistory"]

_CHUNK = 500
_SLICE = 0.2          # seconds one BEGIN IMMEDIATE attempt waits
_FIRST_TRY = 0.05     # ... the first one, before the caller is told it waits
_OPEN_WAIT = 120.0    # seconds opening a file waits for another process's migration
_UPSERT_ACCUMULATION = sql.upsert_accumulation("?")
_UPSERT_DEDUCTIBLE = sql.upsert_deductible("?")


def _create_private(path: str) -> None:
    """Create the file 0600 if it is missing (SQLite gives its WAL the same mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as e:
        raise DataError(f"{path}: cannot create the history file: {e.strerror}") from None
    os.close(fd)


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SQLiteHistory(SQLiteLedger, HistoryStore):
    """History and ledger in SQLite: a file that persists between runs, or ':memory:'."""

    def __init__(self, path: str | Path = ":memory:", *, readonly: bool = False,
                 wait: float | None = _OPEN_WAIT):
        text = str(path)
        memory = text == ":memory:"
        self.location = text
        self.persistent = not memory
        self.readonly = readonly
        self.path = None if memory else os.path.abspath(text)
        self.notes: list[str] = []  # what opening the file did (a migration), for the user
        self._run_id: int | None = None
        if not memory:
            if readonly and not os.path.exists(text):
                raise DataError(f"{text}: no such history file")
            _create_private(text)
        try:
            self.db = sqlite3.connect(text, isolation_level=None, timeout=_SLICE)
        except sqlite3.Error as e:
            raise DataError(f"{text}: cannot open the history: {e}") from None
        try:
            self._retry(self._prepare, wait)
        except sqlite3.DatabaseError as e:
            self.db.close()
            raise DataError(f"{text}: not an edi-hit history database ({e})") from None
        except BaseException:
            self.db.close()
            raise

    # -- opening ---------------------------------------------------------------------------
    def _retry(self, fn, wait: float | None):
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if not _locked(e) or (deadline is not None and time.monotonic() >= deadline):
                    raise
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")

    def _prepare(self) -> None:
        db = self.db
        if self.persistent:
            if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise sqlite3.OperationalError("database is locked (cannot enter WAL mode)")
            db.execute("PRAGMA synchronous = FULL")
        try:
            version = sqlite_schema.version_of(db)
        except DataError as e:
            raise DataError(f"{self.location}: {e}") from None
        if version == sqlite_schema.CURRENT:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = sqlite_schema.version_of(db)
            if version is None:
                sqlite_schema.create(db)
            elif version != sqlite_schema.CURRENT:
                self.notes = sqlite_schema.migrate(db, version, self.location)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        if version == "1" and self.persistent:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            try:
                db.execute("VACUUM")  # the old JSON is gone from the file, not only unlinked
            except sqlite3.OperationalError:
                pass  # another reader holds it open; secure_delete already zeroed the pages

    def close(self) -> None:
        self.db.close()

    # -- transactions --------------------------------------------------------------------------
    def begin(self, wait=None, on_wait: Callable[[str], None] | None = None) -> None:
        if self.db.in_transaction:
            raise RuntimeError("history transaction already open")
        if self.readonly:
            self.db.execute("BEGIN")
            return
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        told = False
        self._busy_timeout(_FIRST_TRY)  # say so soon when another run holds the lock
        while True:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self._busy_timeout(_SLICE)
                return
            except sqlite3.OperationalError as e:
                if not _locked(e):
                    raise DataError(f"{self.location}: cannot start a transaction: {e}") from None
                self._busy_timeout(_SLICE)
                if deadline is not None and time.monotonic() >= deadline:
                    raise HistoryBusy(
                        f"{self.location}: another run is using the history; gave up after "
                        f"{wait:g} s (--wait)") from None
                if not told and on_wait is not None:
                    limit = "" if wait is None else f" (up to {wait:g} s, --wait)"
                    on_wait(f"{self.location}: another run is using the history; waiting for "
                            f"it to finish{limit}")
                    told = True

    def _busy_timeout(self, seconds: float) -> None:
        self.db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    @property
    def in_transaction(self) -> bool:
        return self.db.in_transaction

    def commit(self) -> None:
        self._run_id = None
        if self.db.in_transaction:
            self.db.execute("ROLLBACK" if self.readonly else "COMMIT")

    def rollback(self) -> None:
        self._run_id = None
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    # -- history for pricing ---------------------------------------------------------------------
    def _chunks(self, keys):
        keys = sorted(set(keys))
        for i in range(0, len(keys), _CHUNK):
            part = keys[i:i + _CHUNK]
            yield part, ",".join("?" * len(part))

    def load(self, mbis, since=None):
        out: dict[str, BeneficiaryHistory] = {}
        lo = since.isoformat() if since else ""
        fromiso = date.fromisoformat
        where = self.location
        for part, marks in self._chunks(mbis):
            for m in part:
                out[m] = BeneficiaryHistory(m)
            for row in self.db.execute(
                    f"SELECT mbi, day, category, code, npi, charge, icn, line_number, line_control "
                    f"FROM visits WHERE mbi IN ({marks}) AND day >= ? ORDER BY mbi, day", (*part, lo)):
                b = out[row[0]]
                d = fromiso(row[1])
                b.visit_days.append(d)
                b.visits.append(Visit(row[0], d, row[2], row[3], row[4], _money(row[5], where),
                                      row[6], row[7], row[8]))
            for row in self.db.execute(
                    f"SELECT mbi, day, code, category, icn, source FROM drugs "
                    f"WHERE mbi IN ({marks}) AND day >= ? ORDER BY mbi, day", (*part, lo)):
                b = out[row[0]]
                d = fromiso(row[1])
                b.drug_days.append(d)
                b.drugs.append(DrugClaim(row[0], d, row[2], row[3], row[4], row[5]))
            for mbi, year, icn, amount in self.db.execute(
                    f"SELECT mbi, year, icn, amount FROM deductible WHERE mbi IN ({marks})", part):
                out[mbi].deductible.setdefault(year, {})[icn] = _money(amount, where)
            for row in self.db.execute(
                    f"SELECT {sql.SERVICE_COLUMNS} FROM services WHERE mbi IN ({marks}) "
                    f"AND day >= ? ORDER BY mbi, day", (*part, lo)):
                b = out[row[0]]
                d = fromiso(row[2])
                b.service_days.append(d)
                b.services.append(Service(row[0], row[1], d, row[3], row[4],
                                          _money(row[5], where), row[6], row[7]))
            for mbi, plan, period, icn, ded, oop in self.db.execute(
                    f"SELECT {sql.ACCUMULATION_COLUMNS} FROM accumulations WHERE mbi IN ({marks})",
                    part):
                out[mbi].accumulations.setdefault((plan, fromiso(period)), {})[icn] = (
                    _money(ded, where), _money(oop, where))
            for row in self.db.execute(
                    f"SELECT {sql.CLAIM_COLUMNS} FROM claims WHERE mbi IN ({marks}) ORDER BY seq", part):
                out[row[4]].add_claim(StoredClaim(*row))
        return out

    def stage(self, batch: HistoryBatch) -> None:
        if self.readonly or not batch:
            return
        if not self.db.in_transaction:
            raise RuntimeError("stage() outside a transaction: call begin() first")
        db = self.db
        run_id = self._run_id
        # Order matters. States first: a claim reversed here frees its digest for a
        # resubmission decided later in the same batch (a claim decided in this batch
        # carries its final state in its own row). Reversals' deletes last: a claim
        # decided and reversed in the same batch leaves nothing.
        db.executemany("UPDATE claims SET state = ?, replaced_by = ? WHERE icn = ?",
                       [(s, by, icn) for icn, s, by in batch.states])
        try:
            db.executemany(
                "INSERT INTO claims (icn, run_id, npi, pcn, mbi, frequency, digest, state, outcome,"
                " replaced_by, original_icn, seq, charge, paid, lines) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(c.icn, c.run_id if c.run_id is not None else run_id, c.npi, c.pcn, c.mbi,
                  c.frequency, c.digest, c.state, c.outcome, c.replaced_by, c.original_icn, c.seq,
                  str(c.charge), str(c.paid), c.lines) for c in batch.claims])
        except sqlite3.IntegrityError as e:
            raise DataError(f"{self.location}: a claim decision conflicts with the ledger ({e}): "
                            f"an identical claim is already standing") from None
        db.executemany("INSERT INTO visits VALUES (?,?,?,?,?,?,?,?,?)",
                       [(v.mbi, v.day.isoformat(), v.category, v.code, v.npi, str(v.charge),
                         v.icn, v.line_number, v.line_control) for v in batch.visits])
        db.executemany("INSERT OR IGNORE INTO drugs VALUES (?,?,?,?,?,?)",
                       [(d.mbi, d.day.isoformat(), d.code, d.category, d.icn, d.source)
                        for d in batch.drugs])
        if batch.services:
            db.executemany(sql.insert("services", sql.SERVICE_COLUMNS, "?"),
                           [(s.mbi, s.plan, s.day.isoformat(), s.code, s.kind, str(s.units),
                             s.icn, s.line_number) for s in batch.services])
        db.executemany(_UPSERT_DEDUCTIBLE, [(mbi, year, icn, str(amount))
                                            for mbi, year, icn, amount in batch.deductible])
        if batch.accumulations:
            db.executemany(_UPSERT_ACCUMULATION, [_accumulation_row(a)
                                                  for a in batch.accumulations])
        for i in range(0, len(batch.delete_entries), _CHUNK):
            part = batch.delete_entries[i:i + _CHUNK]
            marks = ",".join("?" * len(part))
            for table in sql.ENTRY_TABLES:
                db.execute(f"DELETE FROM {table} WHERE icn IN ({marks})", part)

    def claim_lines(self, icn):
        row = self.db.execute("SELECT lines FROM claims WHERE icn = ?", (icn,)).fetchone()
        return row[0] if row else None

    def icns_in_use(self, icns):
        found: set[str] = set()
        for part, marks in self._chunks(icns):
            found.update(r[0] for r in self.db.execute(
                f"SELECT icn FROM claims WHERE icn IN ({marks})", part))
        return found

    def import_dme(self, drugs):
        rows = [(d.mbi, d.day.isoformat(), d.code, d.category, d.icn, d.source) for d in drugs]
        with self._own_transaction() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO drugs VALUES (?,?,?,?,?,?)", rows)
            return db.total_changes - before

    def set_deductible_met(self, mbi, year, amount):
        check_cents(amount, f"{self.location}: deductible met")
        with self._own_transaction() as db:
            db.execute(_UPSERT_DEDUCTIBLE, (mbi, int(year), "", str(amount)))

    def set_accumulation(self, mbi, plan, period, deductible, out_of_pocket):
        for what, amount in (("deductible", deductible), ("out of pocket", out_of_pocket)):
            check_cents(amount, f"{self.location}: {what} met")
        with self._own_transaction() as db:
            db.execute(_UPSERT_ACCUMULATION, _accumulation_row(
                Accumulation(mbi, str(plan), period, "", deductible, out_of_pocket)))


def _accumulation_row(a: Accumulation) -> tuple:
    return (a.mbi, a.plan, a.period.isoformat(), a.icn, str(a.deductible), str(a.out_of_pocket))
