"""The PostgreSQL history schema's versions: a version 1 database (before payer
contracts) is upgraded to 2 in place, once, keeping its rows; a read-only look at it
asks for the upgrade; an unknown version is refused. On a real server
(tests/fixtures_postgres.py)."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal as D

import pytest

from edi_hit.errors import DataError
from edi_hit.pricing.history import (Accumulation, HistoryBatch, PostgresHistory, Service,
                                     postgres_schema)
from helpers_pricing import MBI

PLAN, YEAR = "acme-ppo", date(2026, 1, 1)


def _version_1(url: str) -> None:
    """What edi-hit wrote before payer contracts: version 1's tables, a deductible row."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for since, _, ddl in postgres_schema.TABLES:
            if since == "1":
                db.execute(ddl)
        db.execute("INSERT INTO meta VALUES ('version', '1')")
        db.execute("INSERT INTO deductible VALUES (%s, 2024, '', 240.00)", (MBI,))


def _tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as db:
        return {r[0] for r in db.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = current_schema()")}


def test_a_version_1_database_is_upgraded_keeping_its_rows(pg_url):
    _version_1(pg_url)
    assert "services" not in _tables(pg_url)
    with PostgresHistory(pg_url) as h:
        assert h.notes == [f"{h.location}: history upgraded from schema version 1 to 2 "
                           f"(payer contract services and accumulators)"]
        assert h.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("2",)
        assert h.load([MBI])[MBI].deductible_met(2024) == D("240.00")
        h.begin()
        h.stage(HistoryBatch(services=[Service(MBI, PLAN, date(2026, 3, 2), "S9500", "per_diem",
                                               D("1"), "", 1)],
                             accumulations=[Accumulation(MBI, PLAN, YEAR, "", D("1.00"),
                                                         D("2.50"))]))
        h.commit()
    with PostgresHistory(pg_url) as again:  # once upgraded, nothing more to do
        assert again.notes == []
        bh = again.load([MBI])[MBI]
        assert bh.accumulated(PLAN, YEAR) == (D("1.00"), D("2.50"))
        assert [(s.day, s.units) for s in bh.services] == [(date(2026, 3, 2), D("1"))]
    assert {"services", "accumulations"} <= _tables(pg_url)


def test_workers_opening_a_version_1_database_together_upgrade_it_once(pg_url):
    _version_1(pg_url)
    notes: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it():
        try:
            start.wait()
            with PostgresHistory(pg_url) as h:
                notes.append(h.notes)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    workers = [threading.Thread(target=open_it) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    # one worker upgraded (under the history's lock); the others found version 2
    assert sorted(len(n) for n in notes) == [0, 0, 0, 1]


def test_a_read_only_look_at_a_version_1_database_asks_for_the_upgrade(pg_url):
    _version_1(pg_url)
    with pytest.raises(DataError, match="history schema version 1 needs an upgrade; open it "
                                        "once for writing"):
        PostgresHistory(pg_url, readonly=True)
    assert "services" not in _tables(pg_url)


def test_an_unknown_version_is_refused(pg_url):
    _version_1(pg_url)
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE meta SET value = '9' WHERE key = 'version'")
    with pytest.raises(DataError, match="history schema version 9 is not one this edi-hit "
                                        "knows \\(it writes PostgreSQL version 2\\)"):
        PostgresHistory(pg_url)
