# The SQLite history schema, by version, and the migrations between versions.
#
# Strategy: meta.version names the schema a file holds. A new file gets the current
# schema; an older one is upgraded in one transaction by the migration from its version
# (never refused, never rebuilt from scratch); a newer one is refused. Money is stored
# as exact decimal text and summed in Python, never by SQL (which would use floats).
#
# Version 1 (edi-hit before the ledger) kept every priced claim as JSON with the whole
# Claim in it: names, birth dates, addresses. Version 2 keeps what rules and reversals
# need (history/model.py), the ledger of runs (history/ledger.py) and no PHI beyond
# member ids; the migration converts each v1 claim into a ledger row with its priced
# lines (history/record.py), drops the JSON, and zeroes the freed pages.
#
# Version 3 adds what payer contracts keep (history/model.py Service, Accumulation): the
# services a contract paid and the cost sharing accumulated per member, plan and plan
# year; the migration from 2 only creates the two tables (nothing to convert).
from __future__ import annotations

import json
import sqlite3
from decimal import Decimal, InvalidOperation

from edi_hit.errors import DataError

__all__ = ["CURRENT", "create", "migrate", "version_of"]

CURRENT = "3"

_HISTORY = """
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

_CONTRACTS = """
CREATE TABLE IF NOT EXISTS services (
    mbi TEXT NOT NULL, plan TEXT NOT NULL, day TEXT NOT NULL, code TEXT NOT NULL,
    kind TEXT NOT NULL, units TEXT NOT NULL, icn TEXT NOT NULL, line_number INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS services_mbi_day ON services (mbi, day);
CREATE INDEX IF NOT EXISTS services_icn ON services (icn);
CREATE TABLE IF NOT EXISTS accumulations (
    mbi TEXT NOT NULL, plan TEXT NOT NULL, period TEXT NOT NULL, icn TEXT NOT NULL,
    deductible TEXT NOT NULL, out_of_pocket TEXT NOT NULL,
    PRIMARY KEY (mbi, plan, period, icn));
"""

_LEDGER = """
CREATE TABLE claims (
    icn TEXT PRIMARY KEY, run_id INTEGER, npi TEXT NOT NULL, pcn TEXT NOT NULL,
    mbi TEXT NOT NULL, frequency TEXT NOT NULL, digest TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'replaced', 'voided', 'void', 'duplicate')),
    outcome TEXT NOT NULL, replaced_by TEXT, original_icn TEXT, seq INTEGER NOT NULL,
    charge TEXT NOT NULL, paid TEXT NOT NULL, lines TEXT);
CREATE INDEX claims_mbi ON claims (mbi);
CREATE INDEX claims_pcn ON claims (pcn);
CREATE UNIQUE INDEX claims_standing ON claims (digest) WHERE state IN ('active', 'void');
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'committed', 'done', 'aborted')),
    pid INTEGER, host TEXT, totals TEXT, error TEXT, inputs TEXT);
CREATE TABLE run_inputs (
    sha256 TEXT PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (id), seq INTEGER NOT NULL,
    path TEXT NOT NULL, size INTEGER NOT NULL, sender TEXT, control TEXT);
CREATE INDEX run_inputs_run ON run_inputs (run_id);
CREATE TABLE run_outputs (
    run_id INTEGER NOT NULL REFERENCES runs (id), role TEXT NOT NULL, path TEXT NOT NULL,
    temp TEXT, sha256 TEXT NOT NULL, size INTEGER NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (run_id, role));
CREATE TABLE run_blobs (
    run_id INTEGER NOT NULL REFERENCES runs (id), role TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (run_id, role));
CREATE TABLE remits (
    run_id INTEGER NOT NULL, trn TEXT NOT NULL, position INTEGER NOT NULL, icn TEXT NOT NULL,
    status TEXT NOT NULL, paid TEXT NOT NULL, PRIMARY KEY (run_id, trn, position));
CREATE INDEX remits_icn ON remits (icn);
CREATE TABLE balances (
    id INTEGER PRIMARY KEY, payee TEXT NOT NULL, reference TEXT NOT NULL,
    run_id INTEGER NOT NULL, amount TEXT NOT NULL);
CREATE INDEX balances_payee ON balances (payee, reference);
"""


def version_of(db: sqlite3.Connection) -> str | None:
    """The schema version of an edi-hit history file; None for an empty database."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        if tables:
            raise DataError("not an edi-hit history database (it has tables of its own and "
                            "no edi-hit version)")
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    return row[0] if row else None


def create(db: sqlite3.Connection) -> None:
    """The current schema in an empty database (inside the caller's transaction)."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    _script(db, _HISTORY)
    _script(db, _LEDGER)
    _script(db, _CONTRACTS)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (CURRENT,))


def migrate(db: sqlite3.Connection, version: str, where: str) -> list[str]:
    """Upgrade a file of an older version to the current one, inside the caller's
    transaction; returns notes for the user (one line each)."""
    notes: list[str] = []
    steps = {"1": _v1_to_v2, "2": _v2_to_v3}
    while version != CURRENT:
        step = steps.get(version)
        if step is None:
            raise DataError(f"{where}: history schema version {version} is not one this "
                            f"edi-hit knows (it writes version {CURRENT}); use a newer edi-hit")
        notes.extend(step(db, where))
        version = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]
    return notes


def _script(db: sqlite3.Connection, script: str) -> None:
    # executescript() would commit the caller's transaction: run statement by statement
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


# -- version 1 -> 2 ----------------------------------------------------------------------------

def _money_ok(text) -> bool:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return False
    return value.is_finite() and value >= 0


def _v1_to_v2(db: sqlite3.Connection, where: str) -> list[str]:
    from edi_hit.pricing.history.record import encode_lines
    from edi_hit.pricing.model import PricedLine

    notes = []
    db.execute("PRAGMA secure_delete = ON")  # the priced JSON held names and birth dates
    db.execute("ALTER TABLE claims RENAME TO claims_v1")
    db.execute("DROP INDEX IF EXISTS claims_mbi")
    _script(db, _LEDGER)
    rows = db.execute("SELECT icn, npi, pcn, fingerprint, mbi, frequency, status, replaced_by, "
                      "seq, priced FROM claims_v1").fetchall()
    replaced_by = {r[0]: r[7] for r in rows if r[6] == "replaced" and r[7]}
    original_of = {by: icn for icn, by in replaced_by.items()}
    out = []
    for icn, npi, pcn, digest, mbi, freq, status, by, seq, priced in rows:
        doc = json.loads(priced) if priced else {}
        lines = [PricedLine.from_dict(x) for x in doc.get("lines", [])]
        outcome = doc.get("status") or "processed"
        original = original_of.get(icn)
        if status == "void":  # v1 kept the voided claim in replaced_by
            original, by = by, None
        charge = sum((pl.charge for pl in lines), Decimal("0.00"))
        paid = sum((pl.paid for pl in lines), Decimal("0.00"))
        out.append((icn, None, npi, pcn, mbi, freq, digest, status, outcome, by, original, seq,
                    str(charge), str(paid), encode_lines(lines) if doc else None))
    db.executemany("INSERT INTO claims (icn, run_id, npi, pcn, mbi, frequency, digest, state, "
                   "outcome, replaced_by, original_icn, seq, charge, paid, lines) VALUES "
                   "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", out)
    db.execute("DROP TABLE claims_v1")
    # Version 1 wrote a reversal's deletes before the inserts of the same batch, so a claim
    # replaced or voided in the run that decided it kept its visits: take them out now.
    stale = 0
    for table in ("visits", "deductible", "drugs"):
        stale += db.execute(
            f"DELETE FROM {table} WHERE icn != '' AND icn IN "
            f"(SELECT icn FROM claims WHERE state IN ('replaced', 'voided'))").rowcount
    if stale:
        notes.append(f"{where}: removed {stale} history entr{'y' if stale == 1 else 'ies'} of "
                     f"claims already replaced or voided (left behind by edi-hit before the "
                     f"ledger)")
    bad = [r for r in db.execute("SELECT rowid, amount FROM deductible")
           if not _money_ok(r[1])]
    if bad:
        db.executemany("DELETE FROM deductible WHERE rowid = ?", [(r[0],) for r in bad])
        notes.append(f"{where}: removed {len(bad)} deductible row(s) whose amount was not a "
                     f"finite non-negative number (NaN, infinite or negative); record them "
                     f"again with `edi-hit history deductible`")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'version'")
    notes.append(f"{where}: history upgraded from schema version 1 to 2 ({len(out)} claims "
                 f"moved to the ledger; priced-claim JSON with names and birth dates removed)")
    return notes


# -- version 2 -> 3 ----------------------------------------------------------------------------

def _v2_to_v3(db: sqlite3.Connection, where: str) -> list[str]:
    _script(db, _CONTRACTS)
    db.execute("UPDATE meta SET value = '3' WHERE key = 'version'")
    return [f"{where}: history upgraded from schema version 2 to 3 (payer contract services "
            f"and accumulators)"]
