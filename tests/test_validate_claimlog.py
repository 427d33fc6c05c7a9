# The claims of a transaction set are kept packed, spilled to a private temporary file
# past MEMORY_RECORDS: the decisions, counts and per-claim outputs must not depend on
# whether or when a log spilled.
from __future__ import annotations

import pickle
from datetime import date

import pytest

from edi_hit.validation import validate
from edi_hit.validation import claimlog
from edi_hit.validation.claimlog import ClaimLog, ClaimSpool
from edi_hit.validation.report import ClaimResult

TODAY = date(2027, 6, 1)


def _log(n, spool=None):
    log = ClaimLog(spool=spool)
    for k in range(n):
        c = ClaimResult(f"PCN{k}", 10 * k + 5, 10 * k + 5)
        log.append(c)
        c.end_index = 10 * k + 12      # learnt at the next claim, as the checker does
    return log


@pytest.mark.parametrize("memory", [1, 3, 1000])
def test_records_read_back_the_same_in_memory_and_spilled(monkeypatch, memory):
    monkeypatch.setattr(claimlog, "MEMORY_RECORDS", memory)
    log = _log(25)
    assert len(log) == 25
    assert [(c.claim_id, c.segment_index, c.end_index) for c in log] == \
        [(f"PCN{k}", 10 * k + 5, 10 * k + 12) for k in range(25)]
    assert log[7] == ClaimResult("PCN7", 75, 82) and log[-1].claim_id == "PCN24"
    # claim k holds segments 10k+5 .. 10k+12; 10k+13 and 10k+14 lie between claims
    assert [log.locate(i) for i in (4, 5, 12, 13, 15, 249, 252, 253)] == \
        [None, 0, 0, None, 1, 24, 24, None]
    assert log.locate(100) == 9 and log.locate(6) == 0    # backwards: a binary search


def test_decisions_are_the_sets_verdict_unless_a_claim_has_its_own():
    log = _log(4)
    log.decide(True, {2: ["units-missing"]})
    assert [(c.accepted, list(c.reasons)) for c in log] == \
        [(True, []), (True, []), (False, ["units-missing"]), (True, [])]
    assert log.rejected() == 1
    log.decide(False, {2: ["units-missing"]})
    assert [(c.accepted, list(c.reasons)) for c in log] == \
        [(False, ["transaction-rejected"])] * 2 + [(False, ["units-missing"])] + \
        [(False, ["transaction-rejected"])]
    assert log.rejected() == 4


def test_a_long_claim_id_is_kept_whole(monkeypatch):
    monkeypatch.setattr(claimlog, "MEMORY_RECORDS", 2)
    log = ClaimLog()
    long_id = "X" * 60                  # CLM01 is at most 38: broken input still reads back
    for k, pcn in enumerate(["A", long_id, "B"]):
        log.append(ClaimResult(pcn, k, k))
    assert [c.claim_id for c in log] == ["A", long_id, "B"]


def test_a_log_pickles_and_joins_the_spool_of_its_new_report(monkeypatch):
    monkeypatch.setattr(claimlog, "MEMORY_RECORDS", 4)
    log = _log(10)
    log.decide(True, {3: ["x"]})
    copy = pickle.loads(pickle.dumps(log))
    spool = ClaimSpool()
    copy.adopt(spool)
    assert list(copy) == list(log) and copy.rejected() == 1
    copy.append(ClaimResult("late", 500, 501))
    assert copy[10].claim_id == "late" and copy[9].claim_id == "PCN9"


def test_a_set_of_many_claims_decides_the_same_spilled(tmp_path, monkeypatch):
    from test_validate_shards import multi_set_file   # errors in several sets
    path = multi_set_file(tmp_path)
    whole = validate(path, today=TODAY)
    monkeypatch.setattr(claimlog, "MEMORY_RECORDS", 2)
    spilled = validate(path, today=TODAY)
    assert spilled.counts() == whole.counts()
    assert [c.to_dict() for c in spilled.claims] == [c.to_dict() for c in whole.claims]
    assert [str(i) for i in spilled.issues] == [str(i) for i in whole.issues]
    assert spilled.counts()["claims_rejected"] > 0


def test_memory_does_not_grow_with_the_claims():
    import tracemalloc
    tracemalloc.start()
    try:
        log = _log(4096)                       # the in-memory tail, full
        held = tracemalloc.get_traced_memory()[0]
        for k in range(4096, 30_000):
            log.append(ClaimResult(f"PCN{k}", 10 * k + 5, 10 * k + 12))
        grown = tracemalloc.get_traced_memory()[0] - held
    finally:
        tracemalloc.stop()
    # 25,904 more claims: as objects about 5 MB; packed and spilled, the tail is at most
    # 4,096 records of 55 bytes (225 KB) and the spool's extents a tuple per 4,096
    assert grown < 400_000, grown
    assert len(log) == 30_000 and log[29_999].claim_id == "PCN29999"
