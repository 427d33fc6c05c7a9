"""The HistoryStore contract, run against every store implementation: SQLite (a file,
in memory) and PostgreSQL (a real server: tests/fixtures_postgres.py).

A store has a place (where its history lives: a folder for SQLite, a database URL for
PostgreSQL), a factory in STORES that opens it there and, for shared-file or server
stores, one in SHARED: a second connection to the same history.
"""
from __future__ import annotations

import os
import stat
import threading
import time
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from edi_hit.errors import DataError
from edi_hit.pricing.history import (ACTIVE, REPLACED, BalanceEntry, DrugClaim, HistoryBatch,
                                     HistoryBusy, InputFile, OutputFile, PostgresHistory, Remit,
                                     SQLiteHistory, StoredClaim, Visit)
from edi_hit.pricing.history.record import decode_lines, encode_lines
from helpers_pricing import MBI, NPI, claim, line

STARTED = datetime(2025, 1, 2, 9, 30)


def _sqlite_file(place, **kw):
    return SQLiteHistory(place / "h.db", **kw)


def _sqlite_memory(place):
    return SQLiteHistory(":memory:")


STORES = {"sqlite-file": _sqlite_file, "sqlite-memory": _sqlite_memory,
          "postgresql": PostgresHistory}
# second connections to the same history (for locking and visibility across runs)
SHARED = {"sqlite-file": _sqlite_file, "postgresql": PostgresHistory}


def _place(kind, request, tmp_path):
    return request.getfixturevalue("pg_url") if kind == "postgresql" else tmp_path


@pytest.fixture(params=sorted(STORES))
def store(request, tmp_path):
    place = _place(request.param, request, tmp_path)
    s = STORES[request.param](place)
    s.kind, s.place = request.param, place
    yield s
    if s.in_transaction:
        s.rollback()
    s.close()


def _claim_row(icn, digest, state=ACTIVE, pcn="PCN1", outcome="processed", paid="117.60"):
    return StoredClaim(icn, NPI, pcn, digest, MBI, "1", state, None, 1, outcome, None, None,
                       D("300.00"), D(paid), encode_lines([]))


def _batch(**kw) -> HistoryBatch:
    b = HistoryBatch()
    for k, v in kw.items():
        getattr(b, k).extend(v)
    return b


def _visit(day="2024-03-05", icn="1000000000001", category=1):
    return Visit(MBI, date.fromisoformat(day), category, "G0068", NPI, D("300.00"), icn, 1)


# -- transactions ------------------------------------------------------------------------

def test_staged_writes_are_kept_only_by_commit(store):
    store.begin()
    assert store.in_transaction
    store.stage(_batch(visits=[_visit()], claims=[_claim_row("1000000000001", "d1")]))
    # the run sees its own uncommitted decisions
    assert len(store.load([MBI])[MBI].visits) == 1
    store.rollback()
    assert not store.in_transaction
    assert store.load([MBI])[MBI].visits == []
    store.begin()
    store.stage(_batch(visits=[_visit()], claims=[_claim_row("1000000000001", "d1")]))
    store.commit()
    bh = store.load([MBI])[MBI]
    assert [v.icn for v in bh.visits] == ["1000000000001"]
    assert bh.standing["d1"].icn == "1000000000001"


def test_stage_outside_a_transaction_is_a_bug(store):
    with pytest.raises(RuntimeError):
        store.stage(_batch(visits=[_visit()]))


def test_load_filters_by_date_and_keeps_every_claim(store):
    store.begin()
    store.stage(_batch(
        visits=[_visit("2024-01-01", "1"), _visit("2024-06-01", "2")],
        drugs=[DrugClaim(MBI, date(2024, 1, 1), "J1170", 1, "1"),
               DrugClaim(MBI, date(2024, 5, 30), "J1170", 1, "2")],
        deductible=[(MBI, 2024, "1", D("160.00"))],
        claims=[_claim_row("1", "d1"), _claim_row("2", "d2", state=REPLACED)]))
    store.commit()
    bh = store.load([MBI, "OTHER"], since=date(2024, 3, 1))
    assert [v.icn for v in bh[MBI].visits] == ["2"] and [d.icn for d in bh[MBI].drugs] == ["2"]
    assert bh[MBI].deductible_met(2024) == D("160.00")
    assert set(bh[MBI].claims) == {"1", "2"} and set(bh[MBI].standing) == {"d1"}
    assert bh["OTHER"].visits == [] and bh["OTHER"].claims == {}


def test_one_standing_claim_per_digest(store):
    store.begin()
    store.stage(_batch(claims=[_claim_row("1", "same")]))
    with pytest.raises(DataError, match="already standing"):
        store.stage(_batch(claims=[_claim_row("2", "same")]))
    store.rollback()
    store.begin()
    store.stage(_batch(claims=[_claim_row("1", "same")]))
    store.stage(_batch(states=[("1", REPLACED, "3")]))
    store.stage(_batch(claims=[_claim_row("2", "same")]))  # the first no longer stands
    store.commit()
    assert store.icns_in_use(["1", "2", "9"]) == {"1", "2"}


def test_claim_lines_round_trip(store):
    c = claim(line("G0068", "2024-03-05"))
    from edi_hit.pricing import price
    (pc,) = price([c], assume_dme_drug=True,
                  rates=os.path.join(os.path.dirname(__file__), "../fixtures/rates/synthetic.json"))
    row = _claim_row("7", "d7")
    row.lines = encode_lines(pc.lines)
    store.begin()
    store.stage(_batch(claims=[row]))
    store.commit()
    (back,) = decode_lines(store.claim_lines("7"))
    (orig,) = pc.lines
    assert (back.status, back.charge, back.allowed, back.paid, back.adjustments) == (
        orig.status, orig.charge, orig.allowed, orig.paid, orig.adjustments)
    assert (back.line.code, back.line.service_date, back.line.units) == (
        "G0068", date(2024, 3, 5), D("4"))
    assert store.claim_lines("nope") is None


def test_deductible_met_must_be_a_plain_non_negative_amount(store):
    store.set_deductible_met(MBI, 2024, D("120.00"))
    assert store.load([MBI])[MBI].deductible_met(2024) == D("120.00")
    for bad in (D("NaN"), D("-1.00"), D("Infinity"), D("1.005")):
        with pytest.raises(DataError, match="non-negative amount in cents"):
            store.set_deductible_met(MBI, 2024, bad)


def test_import_dme_ignores_rows_already_present(store):
    rows = [DrugClaim(MBI, date(2024, 1, 1), "J1170", 1)]
    assert store.import_dme(rows) == 1
    assert store.import_dme(rows) == 0


# -- the ledger of runs ----------------------------------------------------------------------

def _inputs(*shas):
    return [InputFile(f"in{n}.837", 100 + n, sha, "SENDER", str(n)) for n, sha in enumerate(shas)]


def _commit_run(store, shas=("a" * 64,), payment="117.60", paid="117.60", blob=b"ISA*...~"):
    store.begin()
    run_id = store.open_run(STARTED, _inputs(*shas))
    store.stage(_batch(claims=[_claim_row(f"{run_id}00", f"digest{run_id}")]))
    store.stage_remits(run_id, [Remit("0000000010001", 1, f"{run_id}00", "processed", D(paid))])
    outs = [OutputFile("835", "/x/remit.835", "f" * 64, 8, "/x/.remit.835.edi-hit.tmp")]
    store.commit_run(run_id, datetime(2025, 1, 2, 9, 31), _inputs(*shas), outs,
                     {"payment": payment, "claims": 1}, {"835": blob})
    return run_id, outs


def test_a_run_commits_with_its_claims_inputs_outputs_and_835(store):
    run_id, outs = _commit_run(store)
    assert not store.in_transaction
    rec = store.run(run_id)
    assert rec.status == "committed" and rec.started == STARTED
    assert [i.sha256 for i in rec.inputs] == ["a" * 64] and rec.inputs[0].sender == "SENDER"
    assert rec.output("835").path == "/x/remit.835" and rec.output("835").state == "pending"
    assert rec.totals == {"payment": "117.60", "claims": 1}
    assert store.run_blob(run_id, "835") == b"ISA*...~"
    assert [r.id for r in store.unfinished_runs()] == [run_id]
    for o in outs:
        o.state = "placed"
    store.mark_done(run_id, outs)
    assert store.run(run_id).status == "done" and store.unfinished_runs() == []
    assert store.committed_inputs(["a" * 64, "b" * 64])["a" * 64].id == run_id
    assert store.check() == []


def test_an_input_is_adjudicated_by_one_committed_run_only(store):
    _commit_run(store, shas=("a" * 64,))
    store.begin()
    run_id = store.open_run(STARTED, _inputs("a" * 64))
    store.stage(_batch(visits=[_visit()]))
    with pytest.raises(DataError, match="adjudicated by another run"):
        store.commit_run(run_id, STARTED, _inputs("a" * 64), [], {"payment": "0"}, {})
    assert not store.in_transaction
    assert store.load([MBI])[MBI].visits == []  # nothing of the second run was kept


def test_the_835_copy_can_be_given_in_chunks(store):
    run_id, _ = _commit_run(store, blob=iter([b"ISA*", b"x" * 100_000, b"~IEA~"]))
    assert store.run_blob(run_id, "835") == b"ISA*" + b"x" * 100_000 + b"~IEA~"


def test_a_failed_run_is_recorded_as_aborted_without_its_writes(store):
    store.begin()
    store.open_run(STARTED, _inputs("c" * 64))
    store.stage(_batch(visits=[_visit()]))
    store.rollback()
    aborted = store.record_aborted(STARTED, "cannot write x.835: No space left on device",
                                   _inputs("c" * 64))
    (rec,) = store.runs()
    assert (rec.id, rec.status, rec.error) == (aborted, "aborted",
                                                "cannot write x.835: No space left on device")
    assert rec.inputs[0].sha256 == "c" * 64
    assert store.committed_inputs(["c" * 64]) == {}
    assert store.load([MBI])[MBI].visits == []


def test_open_balances_are_the_sum_of_their_moves_oldest_first(store):
    store.begin()
    run1 = store.open_run(STARTED, [])
    store.stage_balances(run1, [BalanceEntry(NPI, "ICN-A", D("124.76")),
                                BalanceEntry(NPI, "ICN-B", D("50.00")),
                                BalanceEntry("OTHER", "ICN-C", D("10.00"))])
    store.commit_run(run1, STARTED, [], [], {"payment": "0"}, {})
    store.begin()
    run2 = store.open_run(STARTED, [])
    # 124.76 recouped in full, 20.00 of 50.00
    store.stage_balances(run2, [BalanceEntry(NPI, "ICN-A", D("-124.76")),
                                BalanceEntry(NPI, "ICN-B", D("-20.00"))])
    store.commit_run(run2, STARTED, [], [], {"payment": "0"}, {})
    owed = store.open_balances([NPI])
    assert [(b.reference, b.amount, b.since_run) for b in owed[NPI]] == [("ICN-B", D("30.00"), run1)]
    assert "OTHER" not in owed
    # the runs' payments: 0 = claims 0 + moves (+124.76 + 50 + 10) would not balance
    problems = store.check()
    assert any(f"run {run1}: payment 0 != claims paid + balance moves 184.76" in p
               for p in problems)


def test_claim_trail_by_clm01_and_icn(store):
    run_id, _ = _commit_run(store)
    (by_icn,) = store.claim_trail(f"{run_id}00")
    (by_pcn,) = store.claim_trail("PCN1")
    assert by_icn.icn == by_pcn.icn == f"{run_id}00" and by_icn.run_id == run_id
    assert [(r, x.trn, x.position) for r, x in by_icn.remits] == [(run_id, "0000000010001", 1)]
    assert store.claim_trail("NOPE") == []


def test_check_finds_two_paid_visits_for_one_day_and_category(store):
    store.begin()
    store.stage(_batch(claims=[_claim_row("1", "d1"), _claim_row("2", "d2")],
                       visits=[_visit(icn="1"), _visit(icn="2")]))
    store.commit()
    (problem,) = store.check()
    assert "2 paid visits of one member on 2024-03-05 in category 1" in problem
    assert MBI not in problem  # no member id in messages


def test_check_finds_history_of_a_claim_that_does_not_stand(store):
    store.begin()
    store.stage(_batch(claims=[_claim_row("1", "d1", state=REPLACED)], visits=[_visit(icn="1")]))
    store.commit()
    assert store.check() == ["1 visits row(s) of ICN 1, which is not a standing claim"]


def test_a_read_only_store_drops_writes(store):
    if store.kind not in SHARED:
        pytest.skip("a read-only view needs a second connection")
    ro = SHARED[store.kind](store.place, readonly=True)
    ro.begin()
    ro.stage(_batch(visits=[_visit()]))
    ro.commit()
    ro.close()
    assert store.load([MBI])[MBI].visits == []


# -- serialization across connections ---------------------------------------------------------

def test_a_second_writer_waits_and_is_told_so(store):
    if store.kind not in SHARED:
        pytest.skip("one connection only")
    other = SHARED[store.kind](store.place)
    store.begin()
    told = []
    t0 = time.monotonic()
    with pytest.raises(HistoryBusy, match="another run is using the history; gave up after 0.5 s"):
        other.begin(wait=0.5, on_wait=told.append)
    assert time.monotonic() - t0 >= 0.45
    assert len(told) == 1 and "waiting for it to finish (up to 0.5 s, --wait)" in told[0]
    other.close()
    # once the first commits, the second gets the lock
    got = []

    def second():
        s2 = SHARED[store.kind](store.place)
        s2.begin(wait=10)
        got.append(time.monotonic())
        s2.rollback()
        s2.close()

    waiter = threading.Thread(target=second)
    waiter.start()
    time.sleep(0.3)
    released = time.monotonic()
    store.commit()
    waiter.join()
    assert got and got[0] >= released


def test_a_reader_is_not_blocked_by_a_writer(store):
    if store.kind not in SHARED:
        pytest.skip("one connection only")
    store.begin()
    store.stage(_batch(visits=[_visit()]))
    ro = SHARED[store.kind](store.place, readonly=True)
    assert ro.load([MBI])[MBI].visits == []  # uncommitted: not seen, and no wait
    store.commit()
    assert len(ro.load([MBI])[MBI].visits) == 1
    ro.close()


OTHER = "9ZZ9ZZ9ZZ99"


def test_a_pricing_transaction_waits_for_a_ledger_run_and_is_waited_for(store):
    if store.kind not in SHARED:
        pytest.skip("one connection only")
    other = SHARED[store.kind](store.place)
    try:
        store.begin()  # a ledger run holds the history
        with pytest.raises(HistoryBusy, match="gave up after 0.3 s"):
            other.begin_pricing(wait=0.3)
        store.rollback()
        store.begin_pricing()
        store.load([MBI])
        with pytest.raises(HistoryBusy, match="gave up after 0.3 s"):
            other.begin(wait=0.3)  # and a ledger run waits for every pricing transaction
        store.rollback()
    finally:
        other.close()


def test_pricing_transactions_on_different_beneficiaries_run_at_once(store):
    """Where the store locks beneficiaries (PostgreSQL), two pricing transactions on
    different members both write at once and one on the same member waits for the
    commit, then sees it; elsewhere the second waits for the whole history."""
    if store.kind not in SHARED:
        pytest.skip("one connection only")
    other = SHARED[store.kind](store.place)
    try:
        store.begin_pricing()
        store.load([MBI])
        store.stage(_batch(visits=[_visit(icn="1")], claims=[_claim_row("1", "d1")]))
        if not store.locks_members:
            with pytest.raises(HistoryBusy):
                other.begin_pricing(wait=0.3)
            return
        other.begin_pricing(wait=0.3)  # no wait: the history is only shared
        other.load([OTHER])
        other.stage(_batch(visits=[Visit(OTHER, date(2024, 3, 5), 1, "G0068", NPI, D("300.00"),
                                         "2", 1)]))
        other.commit()
        seen = []

        def same_member():
            s2 = SHARED[store.kind](store.place)
            s2.begin_pricing(wait=10)
            icns = [v.icn for v in s2.load([MBI])[MBI].visits]
            seen.append((time.monotonic(), icns))
            s2.rollback()
            s2.close()

        waiter = threading.Thread(target=same_member)
        waiter.start()
        time.sleep(0.3)
        released = time.monotonic()
        store.commit()
        waiter.join()
        ((when, icns),) = seen
        assert when >= released and icns == ["1"]  # it waited, then read the decision
    finally:
        if store.in_transaction:
            store.rollback()
        other.close()


def test_a_history_file_is_private(tmp_path):
    SQLiteHistory(tmp_path / "new.db").close()
    assert stat.S_IMODE(os.stat(tmp_path / "new.db").st_mode) == 0o600


def test_a_file_of_another_application_is_refused(tmp_path):
    import sqlite3
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(DataError, match="not an edi-hit history database"):
        SQLiteHistory(path)
