# The history store on PostgreSQL: one database shared by workers on many machines.
#
# Strategy: the contract of store.py on a server, with locks the server keeps. The
# connection runs in autocommit mode and every write goes through an explicit
# transaction. begin() is BEGIN plus a transaction-scoped advisory lock on the history
# (one key per database schema), taken exclusively: runs serialize exactly as on
# SQLite, waiting (and saying so once) up to the caller's deadline via lock_timeout.
# begin_pricing() takes that key shared instead and locks each beneficiary when load()
# first reads it (advisory locks keyed by the member id's hash, taken in key order):
# workers pricing different beneficiaries run at once, two on one beneficiary take
# turns, and a ledger run waits for all of them. The unique constraints of the schema
# (postgres_schema.py) make a replay or a duplicate an error, never a second payment.
# Staged writes go into the open transaction (a run sees its own decisions); a
# statement that violates a constraint is undone alone (a savepoint), as on SQLite.
# Payer contracts' services and accumulators are kept with the same semantics as on
# SQLite: money and units NUMERIC, days DATE; statements both stores speak alike are
# written once in sql.py.
#
# psycopg 3 is an optional extra (`edi-hit[postgres]`); without it a postgresql:// URL
# is refused in one line that names the extra. Messages name the URL without its
# password (`location`).
from __future__ import annotations

import contextlib
import time
from datetime import date
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from edi_hit.errors import DataError

from . import postgres_schema, sql
from .model import (Accumulation, BeneficiaryHistory, DrugClaim, HistoryBatch, Service,
                    StoredClaim, Visit)
from .postgres_ledger import PostgresLedger
from .store import HistoryBusy, HistoryStore, check_cents

__all__ = ["PostgresHistory", "is_postgres_url", "redact"]

_OPEN_WAIT = 120.0   # seconds opening a database waits for another worker's migration
_FIRST_TRY = 0.05    # seconds of trying before the caller is told it waits
_SCHEMES = ("postgresql://", "postgres://")
_DRUG_ROWS = ("INSERT INTO drugs (mbi, day, code, category, icn, source) SELECT * FROM "
              "unnest(%s::text[], %s::date[], %s::text[], %s::int[], %s::text[], %s::text[]) "
              "ON CONFLICT DO NOTHING")
#: the dated history of a snapshot: (table, columns in its class's field order, the
#: snapshot's day list and entry list, the class); in date order, then as written
_DATED = (
    ("visits", "mbi, day, category, code, npi, charge, icn, line_number, line_control",
     "visit_days", "visits", Visit),
    ("drugs", "mbi, day, code, category, icn, source", "drug_days", "drugs", DrugClaim),
    ("services", sql.SERVICE_COLUMNS, "service_days", "services", Service),
)
_DEDUCTIBLE = sql.upsert_deductible("%s")
_ACCUMULATION = sql.upsert_accumulation("%s")


def is_postgres_url(source: Any) -> bool:
    return isinstance(source, str) and source.startswith(_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password (in the user part or as a parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    query = "&".join(p for p in parts.query.split("&")
                     if p and not p.lower().startswith("password="))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _psycopg(location: str):
    try:
        import psycopg
    except ImportError:
        raise DataError(f"{location}: a PostgreSQL history needs psycopg 3: pip install "
                        f"'edi-hit[postgres]'") from None
    return psycopg


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _drug_columns(drugs) -> tuple[list, ...]:
    return ([d.mbi for d in drugs], [d.day for d in drugs], [d.code for d in drugs],
            [d.category for d in drugs], [d.icn for d in drugs], [d.source for d in drugs])


class PostgresHistory(PostgresLedger, HistoryStore):
    """History and ledger in a PostgreSQL database (the schema of the URL's search_path)."""

    locks_members = True

    def __init__(self, url: str, *, readonly: bool = False, wait: float | None = _OPEN_WAIT):
        self.location = redact(url)
        self.persistent = True
        self.readonly = readonly
        self.path = None
        self.notes: list[str] = []
        self._run_id: int | None = None
        self._members: set[str] | None = None  # begin_pricing(): the members locked so far
        psycopg = self._pg = _psycopg(self.location)
        try:
            self.db = psycopg.connect(url, autocommit=True)
        except psycopg.Error as e:
            raise DataError(f"{self.location}: cannot connect to the history "
                            f"({_first_line(e)})") from None
        try:
            if readonly:
                self.db.execute("SET default_transaction_read_only = on")
            self._key = self.db.execute(
                "SELECT hashtextextended('edi-hit history ' || current_schema(), 0)").fetchone()[0]
            self._space = self._key & 0x7FFFFFFF  # the member locks' first key
            self._prepare(wait)
        except psycopg.Error as e:
            self.db.close()
            raise DataError(f"{self.location}: not an edi-hit history database "
                            f"({_first_line(e)})") from None
        except BaseException:
            self.db.close()
            raise

    # -- opening ---------------------------------------------------------------------------
    def _prepare(self, wait: float | None) -> None:
        try:
            version = postgres_schema.version_of(self.db)
        except DataError as e:
            raise DataError(f"{self.location}: {e}") from None
        if version == postgres_schema.CURRENT:
            return
        if self.readonly:
            raise DataError(f"{self.location}: no edi-hit history in this database"
                            if version is None else
                            f"{self.location}: history schema version {version} needs an "
                            f"upgrade; open it once for writing")
        self.begin(wait=wait)
        try:
            version = postgres_schema.version_of(self.db)
            if version is None:
                postgres_schema.create(self.db)
            elif version != postgres_schema.CURRENT:
                self.notes = postgres_schema.migrate(self.db, version, self.location)
            self.commit()
        finally:
            self.rollback()

    def close(self) -> None:
        self.db.close()

    # -- transactions: the history's advisory lock ---------------------------------------------
    def begin(self, wait=None, on_wait: Callable[[str], None] | None = None) -> None:
        self._open(wait, on_wait, shared=False)

    def begin_pricing(self, wait=None, on_wait: Callable[[str], None] | None = None) -> None:
        self._open(wait, on_wait, shared=True)
        if not self.readonly:
            self._members = set()

    def _open(self, wait, on_wait, *, shared: bool) -> None:
        if self.in_transaction:
            raise RuntimeError("history transaction already open")
        if self.readonly:
            self.db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return
        self.db.execute("BEGIN")
        try:
            self._lock(wait, on_wait, shared)
        except BaseException:
            self.rollback()
            raise

    def _lock(self, wait, on_wait, shared: bool) -> None:
        kind = "_shared" if shared else ""
        key = self._key
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        first = _FIRST_TRY if wait is None else min(_FIRST_TRY, max(0.0, wait))
        if self._take(f"pg_advisory_xact_lock{kind}", key, first):
            return
        if on_wait is not None:
            limit = "" if wait is None else f" (up to {wait:g} s, --wait)"
            on_wait(f"{self.location}: another run is using the history; waiting for it to "
                    f"finish{limit}")
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0 or not self._take(
                f"pg_advisory_xact_lock{kind}", key, left):
            raise HistoryBusy(f"{self.location}: another run is using the history; gave up "
                              f"after {wait:g} s (--wait)")

    def _take(self, function: str, key: int, seconds: float | None) -> bool:
        """Wait up to `seconds` (None: no limit) for an advisory lock; whether it was got."""
        db = self.db
        db.execute("SELECT set_config('lock_timeout', %s, true)",
                   ("0" if seconds is None else f"{max(1, int(seconds * 1000))}ms",))
        db.execute("SAVEPOINT edi_hit_lock")
        try:
            db.execute(f"SELECT {function}(%s)", (key,))
        except self._pg.errors.LockNotAvailable:
            db.execute("ROLLBACK TO SAVEPOINT edi_hit_lock")
            return False
        finally:
            db.execute("SELECT set_config('lock_timeout', '0', true)")
        db.execute("RELEASE SAVEPOINT edi_hit_lock")
        return True

    def _lock_members(self, mbis: list[str]) -> None:
        """Inside begin_pricing(): lock the members not locked yet, in key order."""
        members = self._members
        if members is None:
            return
        new = [m for m in mbis if m not in members]
        if not new:
            return
        try:
            self.db.execute(
                "SELECT count(pg_advisory_xact_lock(%s, h)) FROM "
                "(SELECT DISTINCT hashtext(m) AS h FROM unnest(%s::text[]) AS m ORDER BY h) "
                "AS k", (self._space, new))
        except self._pg.errors.DeadlockDetected:
            raise DataError(f"{self.location}: another worker pricing some of the same "
                            f"beneficiaries locked them in another order (a deadlock the "
                            f"server broke); nothing was committed, run again") from None
        members.update(new)

    @property
    def in_transaction(self) -> bool:
        return self.db.info.transaction_status != self._pg.pq.TransactionStatus.IDLE

    def commit(self) -> None:
        self._run_id = None
        self._members = None
        if self.in_transaction:
            self.db.execute("ROLLBACK" if self.readonly else "COMMIT")

    def rollback(self) -> None:
        self._run_id = None
        self._members = None
        if self.in_transaction:
            self.db.execute("ROLLBACK")

    @contextlib.contextmanager
    def _statement(self, conflict: str):
        """One write undone alone when it violates a unique constraint: DataError."""
        self.db.execute("SAVEPOINT edi_hit_write")
        try:
            yield self.db.cursor()
        except self._pg.errors.UniqueViolation as e:
            self.db.execute("ROLLBACK TO SAVEPOINT edi_hit_write")
            raise DataError(f"{self.location}: {conflict} ({_first_line(e)})") from None
        self.db.execute("RELEASE SAVEPOINT edi_hit_write")

    # -- history for pricing ---------------------------------------------------------------
    def load(self, mbis, since=None):
        mbis = sorted(set(mbis))
        self._lock_members(mbis)
        out = {m: BeneficiaryHistory(m) for m in mbis}
        lo = since or date.min
        db = self.db
        for table, columns, days, entries, kind in _DATED:
            for row in db.execute(f"SELECT {columns} FROM {table} WHERE mbi = ANY(%s) AND "
                                  f"day >= %s ORDER BY mbi, day, n", (mbis, lo)):
                item = kind(*row)
                b = out[item.mbi]
                getattr(b, days).append(item.day)
                getattr(b, entries).append(item)
        for mbi, year, icn, amount in db.execute(
                "SELECT mbi, year, icn, amount FROM deductible WHERE mbi = ANY(%s)", (mbis,)):
            out[mbi].deductible.setdefault(year, {})[icn] = amount
        for mbi, plan, period, icn, ded, oop in db.execute(
                f"SELECT {sql.ACCUMULATION_COLUMNS} FROM accumulations WHERE mbi = ANY(%s)",
                (mbis,)):
            out[mbi].accumulations.setdefault((plan, period), {})[icn] = (ded, oop)
        for row in db.execute(f"SELECT {sql.CLAIM_COLUMNS} FROM claims WHERE mbi = ANY(%s) "
                              f"ORDER BY seq, n", (mbis,)):
            out[row[4]].add_claim(StoredClaim(*row))
        return out

    def stage(self, batch: HistoryBatch) -> None:
        if self.readonly or not batch:
            return
        if not self.in_transaction:
            raise RuntimeError("stage() outside a transaction: call begin() first")
        run_id = self._run_id
        cur = self.db.cursor()
        # the order of sqlite.py's stage(): states, new claims, entries, reversals' deletes
        if batch.states:
            cur.executemany("UPDATE claims SET state = %s, replaced_by = %s WHERE icn = %s",
                            [(s, by, icn) for icn, s, by in batch.states])
        if batch.claims:
            with self._statement("a claim decision conflicts with the ledger: an identical "
                                 "claim is already standing") as c:
                with c.copy("COPY claims (icn, run_id, npi, pcn, mbi, frequency, digest, state, "
                            "outcome, replaced_by, original_icn, seq, charge, paid, lines) "
                            "FROM STDIN") as copy:
                    for x in batch.claims:
                        copy.write_row((x.icn, x.run_id if x.run_id is not None else run_id,
                                        x.npi, x.pcn, x.mbi, x.frequency, x.digest, x.state,
                                        x.outcome, x.replaced_by, x.original_icn, x.seq,
                                        x.charge, x.paid, x.lines))
        if batch.visits:
            with cur.copy("COPY visits (mbi, day, category, code, npi, charge, icn, line_number, "
                          "line_control) FROM STDIN") as copy:
                for v in batch.visits:
                    copy.write_row((v.mbi, v.day, v.category, v.code, v.npi, v.charge, v.icn,
                                    v.line_number, v.line_control))
        if batch.drugs:
            cur.execute(_DRUG_ROWS, _drug_columns(batch.drugs))
        if batch.services:
            with cur.copy(f"COPY services ({sql.SERVICE_COLUMNS}) FROM STDIN") as copy:
                for s in batch.services:
                    copy.write_row((s.mbi, s.plan, s.day, s.code, s.kind, s.units, s.icn,
                                    s.line_number))
        if batch.deductible:
            cur.executemany(_DEDUCTIBLE, list(batch.deductible))
        if batch.accumulations:
            cur.executemany(_ACCUMULATION, [_accumulation_row(a) for a in batch.accumulations])
        if batch.delete_entries:
            for table in sql.ENTRY_TABLES:
                cur.execute(f"DELETE FROM {table} WHERE icn = ANY(%s)", (batch.delete_entries,))

    def claim_lines(self, icn):
        row = self.db.execute("SELECT lines FROM claims WHERE icn = %s", (icn,)).fetchone()
        return row[0] if row else None

    def icns_in_use(self, icns):
        return {r[0] for r in self.db.execute("SELECT icn FROM claims WHERE icn = ANY(%s)",
                                              (sorted(set(icns)),))}

    def import_dme(self, drugs):
        drugs = list(drugs)
        if self.readonly or not drugs:
            return 0
        with self._own_transaction() as db:
            return db.execute(_DRUG_ROWS, _drug_columns(drugs)).rowcount

    def set_deductible_met(self, mbi, year, amount):
        check_cents(amount, f"{self.location}: deductible met")
        if self.readonly:
            return
        with self._own_transaction() as db:
            db.execute(_DEDUCTIBLE, (mbi, int(year), "", amount))

    def set_accumulation(self, mbi, plan, period, deductible, out_of_pocket):
        for what, amount in (("deductible", deductible), ("out of pocket", out_of_pocket)):
            check_cents(amount, f"{self.location}: {what} met")
        if self.readonly:
            return
        with self._own_transaction() as db:
            db.execute(_ACCUMULATION, _accumulation_row(
                Accumulation(mbi, str(plan), period, "", deductible, out_of_pocket)))


def _accumulation_row(a: Accumulation) -> tuple:
    return (a.mbi, a.plan, a.period, a.icn, a.deductible, a.out_of_pocket)
