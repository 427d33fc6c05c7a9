"""Bounded memory for any claim order: a pricing run spills waiting claims to disk and
prices a beneficiary with very many claims a month at a time, and none of it changes a
decision or a byte of the 835, whatever spill_after is."""
from __future__ import annotations

import gc
import io
import os
import random
import sys
from datetime import datetime
from decimal import Decimal

import pytest

from conftest import ROOT
from edi_hit.pipeline import adjudicate
from edi_hit.pricing import Pricer, SQLiteHistory
from edi_hit.pricing import run as run_module
from edi_hit.pricing.plan import member_key, plan_run
from edi_hit.pricing.run import ClaimItem
from edi_hit.pricing.stream import PricedFeed
from edi_hit.x835 import read_835
from edi_hit.x837p import write_837p
from helpers_pricing import claim, line

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0)


def remit(paths, history=None, **kw) -> bytes:
    out = io.BytesIO()
    adjudicate(paths, output=out, assume_dme_drug=True, now=NOW, history=history, **kw)
    return out.getvalue()


def decisions(data: bytes) -> dict:
    """CLP01 -> (CLP02, CLP04, every line's SVC03 and CAS), for comparing 835s."""
    return {c.patient_control_number: (c.status_code, c.paid, [
        (ln.code, ln.paid, [(a.group, a.reason, a.amount) for a in ln.adjustments])
        for ln in c.lines]) for r in read_835(data) for c in r.claims}


@pytest.fixture(scope="module")
def orders(tmp_path_factory):
    """The same 1,500 claims of 30 beneficiaries in three orders (tools/synth.py)."""
    folder = tmp_path_factory.mktemp("orders")
    out = {}
    for order in ("friendly", "shuffled", "interleaved"):
        path = folder / f"{order}.837"
        write_hit_837(path, 1500, order=order, beneficiaries=30, claims_per_st=400)
        out[order] = path
    return out


@pytest.mark.parametrize("order", ["shuffled", "interleaved"])
def test_the_835_does_not_depend_on_spill_after(orders, order):
    want = remit([orders[order]], spill_after=None)  # everything waits in memory
    for n in (1, 7, 120, 4000):
        assert remit([orders[order]], spill_after=n) == want, n


def test_every_order_gives_the_same_decisions(orders):
    got = {o: decisions(remit([p], spill_after=50)) for o, p in orders.items()}
    assert len(got["friendly"]) == 1500
    # claims of one beneficiary on one day tie on date and go in input order (the pricer
    # pays the first G-code of a category on a day, E6), so orders may differ there only:
    same = [k for k in got["friendly"] if got["friendly"][k] == got["shuffled"][k]]
    assert len(same) > 1200
    assert sum(v[1] for v in got["friendly"].values()) > 0


def test_spill_after_with_a_history_file_gives_the_same_835_and_a_sound_ledger(orders, tmp_path):
    out = []
    for n in (None, 25):
        db = tmp_path / f"h{n}.db"
        out.append(remit([orders["interleaved"]], history=str(db), spill_after=n))
        with SQLiteHistory(db) as h:
            assert h.check() == []
            assert h.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 1500
    assert out[0] == out[1]


def test_the_spill_leaves_no_file_behind(orders, tmp_path, monkeypatch):
    import tempfile

    spill_dir = tmp_path / "tmp"
    spill_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill_dir))
    seen = []
    pricer = Pricer(assume_dme_drug=True)

    def watch(items):
        for n, item in enumerate(items):
            if n % 300 == 0:
                seen.append(sorted(os.listdir(spill_dir)))
            yield item

    feed = PricedFeed(pricer, [orders["interleaved"]], progress=watch, spill_after=40)
    assert sum(1 for _ in feed) == 1500
    assert feed.spilled > 1000  # it did spill ...
    assert seen and all(names == [] for names in seen)  # ... into a file no one can see
    assert os.listdir(spill_dir) == []


def test_memory_holds_spill_after_claims_not_the_run(tmp_path):
    path = tmp_path / "il.837"
    write_hit_837(path, 2000, order="interleaved", beneficiaries=40)  # 50 claims each
    pricer = Pricer(assume_dme_drug=True)
    most = [0]

    def sample(items):
        for n, item in enumerate(items):
            if n % 250 == 0:
                gc.collect()
                most[0] = max(most[0], sum(1 for o in gc.get_objects() if type(o) is ClaimItem))
            yield item

    feed = PricedFeed(pricer, [path], progress=sample, spill_after=100)
    priced = sum(1 for _ in feed)
    assert priced == 2000 and feed.spilled >= 1800
    # waiting: at most spill_after (100) + one; a ready set: at most 100 claims
    assert 0 < most[0] <= 250


# -- a beneficiary with very many claims: a month at a time --------------------------------

def big_member_file(tmp_path, *, extra=()):
    """2,600 claims of one beneficiary (more than BIG_MEMBER) over 2026, interleaved
    with 200 claims of others; visits dated out of order."""
    rng = random.Random(5)
    big = "7QW2XE4RT55"
    claims = []
    for n in range(2600):
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        code = rng.choice(("G0068", "G0069", "G0088", "G0070"))
        claims.append(claim(line(code, f"2026-{month:02d}-{day:02d}", rng.choice(("150.00", "300.00"))),
                            pcn=f"BIG{n}", mbi=big))
        if n % 13 == 0:
            claims.append(claim(line("G0068", f"2026-{month:02d}-{day:02d}"), pcn=f"O{n}",
                                mbi=f"5AB{n:08d}"))
    claims.extend(extra)
    path = tmp_path / "big.837"
    path.write_bytes(write_837p(claims, sender_id="TESTSENDER", receiver_id="MEDICARE", now=NOW))
    return path, big


def test_a_big_beneficiary_is_priced_by_month_with_the_same_decisions(tmp_path, monkeypatch):
    path, big = big_member_file(tmp_path)
    by_month = remit([path], spill_after=300)
    monkeypatch.setattr(run_module, "BIG_MEMBER", 10**9)  # in one piece, input order
    whole = remit([path], spill_after=300)
    assert decisions(by_month) == decisions(whole)
    paid = sum(v[1] for k, v in decisions(whole).items() if k.startswith("BIG"))
    assert paid > Decimal("1000")
    # by month, the big beneficiary's claims come out in date order; the others as before
    order = [c.patient_control_number for r in read_835(by_month) for c in r.claims
             if c.patient_control_number.startswith("BIG")]
    days = [min(ln.service_date for ln in c.lines) for r in read_835(by_month)
            for c in r.claims if c.patient_control_number.startswith("BIG")]
    assert days == sorted(days) and order != sorted(order, key=lambda p: int(p[3:]))
    monkeypatch.undo()
    assert remit([path], spill_after=None) == by_month  # in memory, by month too
    assert remit([path], spill_after=17) == by_month


def test_a_big_beneficiary_with_a_replacement_is_priced_in_one_piece(tmp_path, monkeypatch):
    big = "7QW2XE4RT55"
    replacement = claim(line("G0068", "2026-03-02", "150.00"), pcn="BIG7", mbi=big, freq="7")
    path, _ = big_member_file(tmp_path, extra=[replacement])
    data = remit([path], spill_after=300)
    claims = [c for r in read_835(data) for c in r.claims if c.patient_control_number == "BIG7"]
    # the original, its reversal (the original's lines negated, from this run) just before
    # the replacement: input order, as for any beneficiary priced in one piece
    assert [c.status_code for c in claims] == ["1", "22", "1"]
    assert claims[1].paid == -claims[0].paid and claims[1].charge == -claims[0].charge
    assert claims[1].lines and [ln.paid for ln in claims[1].lines] == [
        -ln.paid for ln in claims[0].lines]
    monkeypatch.setattr(run_module, "BIG_MEMBER", 10**9)
    assert remit([path], spill_after=300) == data


def test_two_member_ids_with_one_key_are_priced_apart(monkeypatch):
    # force a collision: every member id gets key 7
    import edi_hit.pricing.plan as plan_module

    monkeypatch.setattr(plan_module, "member_key", lambda mbi: 7)
    a = [claim(line("G0088", "2026-03-10"), pcn="A-LATE", mbi="7QW2XE4RT55"),
         claim(line("G0088", "2026-03-01"), pcn="A-EARLY", mbi="7QW2XE4RT55")]
    b = [claim(line("G0088", "2026-03-05"), pcn="B", mbi="5AB00000001")]
    data = write_837p([a[0], b[0], a[1]], sender_id="S", receiver_id="R", now=NOW)
    plan = plan_run([data])
    assert plan.beneficiaries == 1 and plan.claims == 3
    collided = remit([data], spill_after=1)
    got = decisions(collided)
    # A-EARLY first (date order within A): allowed 220.26 of 300.00 billed, CO 45 79.74
    # (300.00 - 220.26), all of it to the 2026 deductible (PR 1 220.26), paid 0.00
    lines = lambda pcn: got[pcn][2][0][2]  # noqa: E731
    assert lines("A-EARLY") == [("CO", "45", Decimal("79.74")), ("PR", "1", Decimal("220.26"))]
    assert lines("A-LATE") == [("CO", "151", Decimal("300"))]  # 9 days after A-EARLY: E5
    # B is a beneficiary of its own: its deductible is untouched by A's 220.26, so it
    # takes the same 220.26 (shared with A it would have had 283.00 - 220.26 = 62.74 left)
    assert lines("B") == lines("A-EARLY")
    monkeypatch.undo()  # keys apart again: the same 835, spilled or not
    assert remit([data], spill_after=1) == collided == remit([data], spill_after=None)


def test_member_keys_are_stable_64_bit_numbers():
    assert member_key("1EG4TE5MK73") == member_key("1EG4TE5MK73")
    assert member_key("1EG4TE5MK73") != member_key("1EG4TE5MK74")
    assert -(2**63) <= member_key("") < 2**63
    # the same in every process (blake2b, not Python's salted hash)
    assert member_key("1EG4TE5MK73") == int.from_bytes(
        __import__("hashlib").blake2b(b"1EG4TE5MK73", digest_size=8).digest(), "little",
        signed=True)
