# The SQL the two history stores speak alike, written once.
#
# Strategy: SQLite (sqlite.py) and PostgreSQL (postgres.py) keep their own schemas, types
# and ways of sending a set of keys (chunks of `?` marks; one array), but many statements
# are the same text on both but for the placeholder (`?` or `%s`). Those are here, each
# as a function of the placeholder, with the column lists they are built on, so a column
# or an entry table added to the contract is added once and both stores move together.
# Nothing here runs a query.
from __future__ import annotations

__all__ = ["CLAIM_COLUMNS", "SERVICE_COLUMNS", "ACCUMULATION_COLUMNS", "ENTRY_TABLES",
           "insert", "upsert_deductible", "upsert_accumulation", "entries_not_standing"]

#: a ledger claim as load() reads it, in StoredClaim's field order
CLAIM_COLUMNS = ("icn, npi, pcn, digest, mbi, frequency, state, replaced_by, seq, outcome, "
                 "original_icn, run_id")
#: a contract service, in Service's field order
SERVICE_COLUMNS = "mbi, plan, day, code, kind, units, icn, line_number"
#: a claim's share of a plan year's cost sharing, in Accumulation's field order
ACCUMULATION_COLUMNS = "mbi, plan, period, icn, deductible, out_of_pocket"
#: the tables of entries a claim makes, which its reversal takes back (by ICN); an ICN
#: '' is an entry made outside the claims (import-dme, deductible or accumulation met)
ENTRY_TABLES = ("visits", "drugs", "deductible", "services", "accumulations")


def _marks(p: str, columns: str) -> str:
    return ", ".join(p for _ in columns.split(","))


def insert(table: str, columns: str, p: str) -> str:
    """INSERT of one row of these columns."""
    return f"INSERT INTO {table} ({columns}) VALUES ({_marks(p, columns)})"


def upsert_deductible(p: str) -> str:
    """A member's deductible row of a year and ICN, replacing one of the same key."""
    return (f"{insert('deductible', 'mbi, year, icn, amount', p)} ON CONFLICT (mbi, year, icn) "
            f"DO UPDATE SET amount = excluded.amount")


def upsert_accumulation(p: str) -> str:
    """An accumulation row (ACCUMULATION_COLUMNS), replacing one of the same member, plan,
    period and ICN: a claim's totals, or what was met outside the store."""
    return (f"{insert('accumulations', ACCUMULATION_COLUMNS, p)} "
            f"ON CONFLICT (mbi, plan, period, icn) DO UPDATE SET "
            f"deductible = excluded.deductible, out_of_pocket = excluded.out_of_pocket")


def entries_not_standing(table: str) -> str:
    """check(): (ICN, rows) of an entry table's rows made by a claim that no longer
    stands (replaced, voided, a duplicate), by ICN."""
    return (f"SELECT icn, COUNT(*) FROM {table} WHERE icn != '' AND icn NOT IN "
            f"(SELECT icn FROM claims WHERE state IN ('active', 'void')) GROUP BY icn "
            f"ORDER BY icn")
