# Beneficiary history: HIT visit days, DME drug claims, deductible met, priced claims.
#
# Strategy: rules that span claims (60-day initial gap, DME drug 0-30 days before,
# one payment per category per day, the deductible) read a BeneficiaryHistory: an
# in-memory snapshot of one beneficiary, loaded for every beneficiary of a run in one
# batch of queries, updated as the run prices claims, and written back as HistoryBatch
# parts staged while the run goes on and committed as one transaction at its end
# (begin/stage/commit/rollback; apply() writes one batch at once). HistoryStore is the
# interface; SQLiteHistory
# implements it on a file (--history PATH) or in memory. Every entry carries the
# payer claim control number (ICN) of the claim that made it, so re-pricing,
# replacing or voiding a claim removes exactly that claim's entries.
from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from edi_hit.errors import DataError
from edi_hit.pricing.money import ZERO, to_money

__all__ = ["Visit", "DrugClaim", "StoredClaim", "BeneficiaryHistory", "HistoryBatch",
           "HistoryStore", "SQLiteHistory", "open_history"]

ACTIVE, REPLACED, VOIDED, VOID = "active", "replaced", "voided", "void"


@dataclass(slots=True)
class Visit:
    """A paid HIT G-code line: one infusion drug administration day of one category."""

    mbi: str
    day: date
    category: int
    code: str
    npi: str
    charge: Decimal
    icn: str
    line_number: int
    line_control: str | None = None


@dataclass(slots=True)
class DrugClaim:
    """A covered DME drug (J-code) claim line; icn is '' for imported rows."""

    mbi: str
    day: date
    code: str
    category: int | None
    icn: str = ""
    source: str = ""


@dataclass(slots=True)
class StoredClaim:
    icn: str
    npi: str
    pcn: str
    fingerprint: str
    mbi: str
    frequency: str
    status: str = ACTIVE  # active | replaced | voided | void
    replaced_by: str | None = None
    seq: int = 0


@dataclass(slots=True)
class BeneficiaryHistory:
    """One beneficiary's history, sorted by date for range lookups."""

    mbi: str
    visit_days: list[date] = field(default_factory=list)   # sorted, parallel to visits
    visits: list[Visit] = field(default_factory=list)
    drug_days: list[date] = field(default_factory=list)     # sorted, parallel to drugs
    drugs: list[DrugClaim] = field(default_factory=list)
    deductible: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # year -> icn -> amount
    claims: dict[str, StoredClaim] = field(default_factory=dict)

    # -- reads ---------------------------------------------------------------------
    def visits_between(self, start: date, end: date) -> list[Visit]:
        lo, hi = bisect_left(self.visit_days, start), bisect_right(self.visit_days, end)
        return self.visits[lo:hi]

    def drugs_between(self, start: date, end: date) -> list[DrugClaim]:
        lo, hi = bisect_left(self.drug_days, start), bisect_right(self.drug_days, end)
        return self.drugs[lo:hi]

    def deductible_met(self, year: int) -> Decimal:
        return sum(self.deductible.get(year, {}).values(), ZERO)

    # -- writes (in memory) -----------------------------------------------------------
    def add_visit(self, v: Visit) -> None:
        days = self.visit_days
        if not days or days[-1] <= v.day:  # the usual case: visits come in date order
            days.append(v.day)
            self.visits.append(v)
            return
        i = bisect_right(days, v.day)
        days.insert(i, v.day)
        self.visits.insert(i, v)

    def add_drug(self, d: DrugClaim) -> None:
        i = bisect_right(self.drug_days, d.day)
        self.drug_days.insert(i, d.day)
        self.drugs.insert(i, d)

    def add_deductible(self, year: int, icn: str, amount: Decimal) -> None:
        per = self.deductible.setdefault(year, {})
        per[icn] = per.get(icn, ZERO) + amount

    def remove_entries(self, icn: str) -> None:
        """Forget every visit, drug and deductible entry made by one claim."""
        if any(v.icn == icn for v in self.visits):
            keep = [v for v in self.visits if v.icn != icn]
            self.visits, self.visit_days = keep, [v.day for v in keep]
        if any(d.icn == icn for d in self.drugs):
            keep = [d for d in self.drugs if d.icn != icn]
            self.drugs, self.drug_days = keep, [d.day for d in keep]
        for per in self.deductible.values():
            per.pop(icn, None)


@dataclass(slots=True)
class HistoryBatch:
    """The writes of one run, applied in one transaction."""

    delete_entries: list[str] = field(default_factory=list)            # ICNs
    claims: list[tuple[StoredClaim, str | None]] = field(default_factory=list)  # (row, priced json)
    status: list[tuple[str, str, str | None]] = field(default_factory=list)     # icn, status, by
    visits: list[Visit] = field(default_factory=list)
    drugs: list[DrugClaim] = field(default_factory=list)
    deductible: list[tuple[str, int, str, Decimal]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.delete_entries or self.claims or self.status or self.visits
                    or self.drugs or self.deductible)


class HistoryStore(ABC):
    """Where beneficiary history lives between runs."""

    #: False for a store discarded after the run: priced claims need not be kept.
    persistent: bool = True

    @abstractmethod
    def load(self, mbis: Iterable[str], since: date | None = None) -> dict[str, BeneficiaryHistory]:
        """Snapshots for these beneficiaries (visits and drugs dated on or after since)."""

    @abstractmethod
    def priced_claim(self, icn: str) -> dict | None:
        """The stored PricedClaim.to_dict() of a recorded claim."""

    @abstractmethod
    def apply(self, batch: HistoryBatch) -> None:
        """Write a run's changes atomically."""

    # A run writes in parts (one per set of beneficiaries priced) and commits once. The
    # default keeps the parts and apply()s them together at commit; a store that has
    # transactions (SQLiteHistory) writes each part at once, uncommitted.
    def begin(self) -> None:
        """A run starts: nothing staged."""
        self._staged = HistoryBatch()

    def stage(self, batch: HistoryBatch) -> None:
        """Part of the run's writes; durable only with commit()."""
        staged = getattr(self, "_staged", None)
        if staged is None:
            staged = self._staged = HistoryBatch()
        for name in ("delete_entries", "claims", "status", "visits", "drugs", "deductible"):
            getattr(staged, name).extend(getattr(batch, name))

    def commit(self) -> None:
        """The run completed: make its staged writes durable, atomically."""
        staged, self._staged = getattr(self, "_staged", None), None
        if staged:
            self.apply(staged)

    def rollback(self) -> None:
        """The run failed: forget its staged writes."""
        self._staged = None

    @abstractmethod
    def import_dme(self, drugs: Iterable[DrugClaim]) -> int:
        """Add DME drug claims (duplicates ignored); returns how many were new."""

    @abstractmethod
    def set_deductible_met(self, mbi: str, year: int, amount: Decimal) -> None:
        """Deductible already met outside the claims in this store (C10 input)."""

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS claims (
    icn TEXT PRIMARY KEY, npi TEXT NOT NULL, pcn TEXT NOT NULL, fingerprint TEXT NOT NULL,
    mbi TEXT NOT NULL, frequency TEXT NOT NULL, status TEXT NOT NULL, replaced_by TEXT,
    seq INTEGER NOT NULL, priced TEXT);
CREATE INDEX IF NOT EXISTS claims_mbi ON claims (mbi);
CREATE TABLE IF NOT EXISTS visits (
    mbi TEXT NOT NULL, day TEXT NOT NULL, category INTEGER NOT NULL, code TEXT NOT NULL,
    npi TEXT NOT NULL, charge TEXT NOT NULL, icn TEXT NOT NULL, line_number INTEGER NOT NULL,
    line_control TEXT);
CREATE INDEX IF NOT EXISTS visits_mbi_day ON visits (mbi, day);
CREATE INDEX IF NOT EXISTS visits_icn ON visits (icn);
CREATE TABLE IF NOT EXISTS drugs (
    mbi TEXT NOT NULL, day TEXT NOT NULL, code TEXT NOT NULL, category INTEGER,
    icn TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',
    UNIQUE (mbi, day, code, icn));
CREATE INDEX IF NOT EXISTS drugs_icn ON drugs (icn);
CREATE TABLE IF NOT EXISTS deductible (
    mbi TEXT NOT NULL, year INTEGER NOT NULL, icn TEXT NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (mbi, year, icn));
"""
_VERSION = "1"
_CHUNK = 500


class SQLiteHistory(HistoryStore):
    """History in SQLite: a file that persists between runs, or ':memory:'."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self.persistent = self.path != ":memory:"
        try:
            self.db = sqlite3.connect(self.path)
            self.db.executescript(_SCHEMA)
            row = self.db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('version', ?)", (_VERSION,))
                self.db.commit()
            elif row[0] != _VERSION:
                raise DataError(f"{self.path}: history store version {row[0]}, expected {_VERSION}")
        except sqlite3.DatabaseError as e:
            raise DataError(f"{self.path}: not an edi-hit history database ({e})") from None

    def close(self) -> None:
        self.db.close()

    def _chunks(self, mbis):
        mbis = sorted(set(mbis))
        for i in range(0, len(mbis), _CHUNK):
            part = mbis[i:i + _CHUNK]
            yield part, ",".join("?" * len(part))

    def load(self, mbis, since=None):
        out: dict[str, BeneficiaryHistory] = {}
        lo = since.isoformat() if since else ""
        fromiso = date.fromisoformat
        for part, marks in self._chunks(mbis):
            for m in part:
                out[m] = BeneficiaryHistory(m)
            for row in self.db.execute(
                    f"SELECT mbi, day, category, code, npi, charge, icn, line_number, line_control "
                    f"FROM visits WHERE mbi IN ({marks}) AND day >= ? ORDER BY mbi, day", (*part, lo)):
                b = out[row[0]]
                d = fromiso(row[1])
                b.visit_days.append(d)
                b.visits.append(Visit(row[0], d, row[2], row[3], row[4], Decimal(row[5]), row[6],
                                      row[7], row[8]))
            for row in self.db.execute(
                    f"SELECT mbi, day, code, category, icn, source FROM drugs "
                    f"WHERE mbi IN ({marks}) AND day >= ? ORDER BY mbi, day", (*part, lo)):
                b = out[row[0]]
                d = fromiso(row[1])
                b.drug_days.append(d)
                b.drugs.append(DrugClaim(row[0], d, row[2], row[3], row[4], row[5]))
            for mbi, year, icn, amount in self.db.execute(
                    f"SELECT mbi, year, icn, amount FROM deductible WHERE mbi IN ({marks})", part):
                out[mbi].deductible.setdefault(year, {})[icn] = Decimal(amount)
            for row in self.db.execute(
                    f"SELECT icn, npi, pcn, fingerprint, mbi, frequency, status, replaced_by, seq "
                    f"FROM claims WHERE mbi IN ({marks})", part):
                out[row[4]].claims[row[0]] = StoredClaim(*row)
        return out

    def priced_claim(self, icn):
        row = self.db.execute("SELECT priced FROM claims WHERE icn = ?", (icn,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def apply(self, batch):
        if not batch:
            return
        with self.db:
            self._write(batch)

    # staged parts are written at once inside the connection's open transaction
    def begin(self):
        if self.db.in_transaction:
            self.db.commit()

    def stage(self, batch):
        if batch:
            self._write(batch)

    def commit(self):
        self.db.commit()

    def rollback(self):
        self.db.rollback()

    def _write(self, batch):
        db = self.db
        for i in range(0, len(batch.delete_entries), _CHUNK):
            part = batch.delete_entries[i:i + _CHUNK]
            marks = ",".join("?" * len(part))
            db.execute(f"DELETE FROM visits WHERE icn IN ({marks})", part)
            db.execute(f"DELETE FROM drugs WHERE icn IN ({marks})", part)
            db.execute(f"DELETE FROM deductible WHERE icn IN ({marks})", part)
        db.executemany(
            "INSERT INTO claims (icn, npi, pcn, fingerprint, mbi, frequency, status, replaced_by,"
            " seq, priced) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(icn) DO UPDATE SET "
            "status=excluded.status, replaced_by=excluded.replaced_by, priced=excluded.priced",
            [(c.icn, c.npi, c.pcn, c.fingerprint, c.mbi, c.frequency, c.status, c.replaced_by,
              c.seq, priced) for c, priced in batch.claims])
        db.executemany("UPDATE claims SET status = ?, replaced_by = ? WHERE icn = ?",
                       [(s, by, icn) for icn, s, by in batch.status])
        db.executemany("INSERT INTO visits VALUES (?,?,?,?,?,?,?,?,?)",
                       [(v.mbi, v.day.isoformat(), v.category, v.code, v.npi, str(v.charge),
                         v.icn, v.line_number, v.line_control) for v in batch.visits])
        db.executemany("INSERT OR IGNORE INTO drugs VALUES (?,?,?,?,?,?)",
                       [(d.mbi, d.day.isoformat(), d.code, d.category, d.icn, d.source)
                        for d in batch.drugs])
        db.executemany(
            "INSERT INTO deductible VALUES (?,?,?,?) ON CONFLICT(mbi, year, icn) DO UPDATE "
            "SET amount = excluded.amount",
            [(mbi, year, icn, str(amount)) for mbi, year, icn, amount in batch.deductible])

    def import_dme(self, drugs):
        rows = [(d.mbi, d.day.isoformat(), d.code, d.category, d.icn, d.source) for d in drugs]
        with self.db:
            before = self.db.total_changes
            self.db.executemany("INSERT OR IGNORE INTO drugs VALUES (?,?,?,?,?,?)", rows)
            return self.db.total_changes - before

    def set_deductible_met(self, mbi, year, amount):
        with self.db:
            self.db.execute(
                "INSERT INTO deductible VALUES (?,?,'',?) ON CONFLICT(mbi, year, icn) DO UPDATE "
                "SET amount = excluded.amount", (mbi, year, str(to_money(amount))))


def open_history(source=None) -> HistoryStore:
    """A HistoryStore from None (new, in memory), a store, or a SQLite file path."""
    if source is None:
        return SQLiteHistory(":memory:")
    if isinstance(source, HistoryStore):
        return source
    return SQLiteHistory(source)
