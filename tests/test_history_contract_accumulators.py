"""The HistoryStore contract for payer contracts: services and accumulators.

Runs against every store of tests/test_history_contract.py (STORES): a new store passes
this file as it passes that one.
"""
from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal as D

import pytest

from edi_hit.errors import DataError
from edi_hit.pricing.history import (ACTIVE, REPLACED, Accumulation, HistoryBatch, Service,
                                     SQLiteHistory, StoredClaim)
from edi_hit.pricing.history.record import encode_lines
from helpers_pricing import MBI, NPI
from test_history_contract import STORES, _place

PLAN = "acme-ppo"
YEAR = date(2026, 1, 1)


@pytest.fixture(params=sorted(STORES))
def store(request, tmp_path):
    s = STORES[request.param](_place(request.param, request, tmp_path))
    yield s
    if s.in_transaction:
        s.rollback()
    s.close()


def _claim_row(icn, digest, state=ACTIVE):
    return StoredClaim(icn, NPI, "PCN1", digest, MBI, "1", state, None, 1, "processed", None,
                       None, D("665.00"), D("500.00"), encode_lines([]))


def _service(day, icn, code="S9500", kind="per_diem:anti-infective", units="1"):
    return Service(MBI, PLAN, date.fromisoformat(day), code, kind, D(units), icn, 1)


def _stage(store, **kw):
    b = HistoryBatch()
    for k, v in kw.items():
        getattr(b, k).extend(v)
    store.begin()
    store.stage(b)
    store.commit()


def test_services_are_kept_by_date_and_filtered_like_visits(store):
    _stage(store, claims=[_claim_row("1", "d1")],
           services=[_service("2026-03-03", "1"), _service("2026-03-02", "1"),
                     _service("2026-01-05", "1", code="99601", kind="nursing", units="2")])
    bh = store.load([MBI], since=date(2026, 3, 1))[MBI]
    assert [(s.day, s.code, s.units) for s in bh.services] == [
        (date(2026, 3, 2), "S9500", D("1")), (date(2026, 3, 3), "S9500", D("1"))]
    assert bh.service_days == [date(2026, 3, 2), date(2026, 3, 3)]
    assert [s.day for s in bh.services_between(date(2026, 3, 3), date(2026, 3, 9))] == [
        date(2026, 3, 3)]
    everything = store.load([MBI])[MBI]
    assert everything.services[0].kind == "nursing" and everything.services[0].units == D("2")
    assert everything.services[0].plan == PLAN


def test_accumulations_sum_per_plan_and_period_and_replace_by_key(store):
    _stage(store, claims=[_claim_row("1", "d1"), _claim_row("2", "d2")], accumulations=[
        Accumulation(MBI, PLAN, YEAR, "1", D("250.00"), D("250.00")),
        Accumulation(MBI, PLAN, YEAR, "2", D("0.00"), D("83.00")),
        Accumulation(MBI, "other-plan", YEAR, "2", D("10.00"), D("10.00"))])
    # the same key again replaces the row (a claim's totals), it does not add
    _stage(store, accumulations=[Accumulation(MBI, PLAN, YEAR, "2", D("0.00"), D("93.00"))])
    bh = store.load([MBI])[MBI]
    # 250.00 + 0.00 deductible; 250.00 + 93.00 out of pocket
    assert bh.accumulated(PLAN, YEAR) == (D("250.00"), D("343.00"))
    assert bh.accumulated("other-plan", YEAR) == (D("10.00"), D("10.00"))
    assert bh.accumulated(PLAN, date(2027, 1, 1)) == (D("0.00"), D("0.00"))


def test_set_accumulation_records_what_was_met_outside_and_checks_the_amounts(store):
    store.set_accumulation(MBI, PLAN, YEAR, D("100.00"), D("180.00"))
    store.set_accumulation(MBI, PLAN, YEAR, D("120.00"), D("200.00"))  # replaces
    assert store.load([MBI])[MBI].accumulated(PLAN, YEAR) == (D("120.00"), D("200.00"))
    for bad in (D("NaN"), D("-1.00"), D("Infinity"), D("1.005")):
        with pytest.raises(DataError, match="non-negative amount in cents"):
            store.set_accumulation(MBI, PLAN, YEAR, bad, D("0.00"))
        with pytest.raises(DataError, match="non-negative amount in cents"):
            store.set_accumulation(MBI, PLAN, YEAR, D("0.00"), bad)


def test_a_reversal_takes_back_the_claims_services_and_accumulations(store):
    _stage(store, claims=[_claim_row("1", "d1"), _claim_row("2", "d2")],
           services=[_service("2026-03-02", "1"), _service("2026-03-02", "2", code="99601",
                                                            kind="nursing")],
           accumulations=[Accumulation(MBI, PLAN, YEAR, "1", D("250.00"), D("250.00")),
                          Accumulation(MBI, PLAN, YEAR, "2", D("0.00"), D("25.00"))])
    store.set_accumulation(MBI, PLAN, YEAR, D("5.00"), D("5.00"))
    _stage(store, states=[("1", REPLACED, "3")], delete_entries=["1"])
    bh = store.load([MBI])[MBI]
    assert [s.icn for s in bh.services] == ["2"]
    # what claim 2 added and what was met outside remain: 0 + 5 and 25 + 5
    assert bh.accumulated(PLAN, YEAR) == (D("5.00"), D("30.00"))
    assert store.check() == []


def test_check_finds_services_of_a_claim_that_does_not_stand(store):
    _stage(store, claims=[_claim_row("1", "d1", state=REPLACED)],
           services=[_service("2026-03-02", "1")],
           accumulations=[Accumulation(MBI, PLAN, YEAR, "1", D("1.00"), D("1.00"))])
    assert sorted(store.check()) == [
        "1 accumulations row(s) of ICN 1, which is not a standing claim",
        "1 services row(s) of ICN 1, which is not a standing claim"]


def test_in_memory_history_takes_back_one_claims_entries():
    from edi_hit.pricing.history import BeneficiaryHistory
    bh = BeneficiaryHistory(MBI)
    for s in (_service("2026-03-04", "1"), _service("2026-03-02", "2"), _service("2026-03-03", "1")):
        bh.add_service(s)
    bh.add_accumulation(Accumulation(MBI, PLAN, YEAR, "1", D("10.00"), D("12.00")))
    bh.add_accumulation(Accumulation(MBI, PLAN, YEAR, "1", D("5.00"), D("6.00")))
    bh.add_accumulation(Accumulation(MBI, PLAN, YEAR, "2", D("1.00"), D("1.00")))
    assert bh.service_days == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    assert bh.accumulated(PLAN, YEAR) == (D("16.00"), D("19.00"))  # 10 + 5 + 1, 12 + 6 + 1
    bh.remove_entries("1")
    assert [s.icn for s in bh.services] == ["2"] and bh.service_days == [date(2026, 3, 2)]
    assert bh.accumulated(PLAN, YEAR) == (D("1.00"), D("1.00"))


def test_a_version_2_file_is_upgraded_to_3_keeping_its_rows(tmp_path):
    from edi_hit.pricing.history import sqlite_schema
    path = tmp_path / "v2.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    sqlite_schema._script(db, sqlite_schema._HISTORY)
    sqlite_schema._script(db, sqlite_schema._LEDGER)
    db.execute("INSERT INTO meta VALUES ('version', '2')")
    db.execute("INSERT INTO deductible VALUES (?, 2026, '', '100.00')", (MBI,))
    db.commit()
    db.close()
    store = SQLiteHistory(path)
    try:
        assert store.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("3",)
        assert any("upgraded from schema version 2 to 3" in n for n in store.notes)
        assert store.load([MBI])[MBI].deductible_met(2026) == D("100.00")
        store.set_accumulation(MBI, PLAN, YEAR, D("1.00"), D("2.00"))
        assert store.load([MBI])[MBI].accumulated(PLAN, YEAR) == (D("1.00"), D("2.00"))
    finally:
        store.close()
