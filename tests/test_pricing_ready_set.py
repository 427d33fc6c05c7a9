"""A pricing run prices ready beneficiaries in sets of at most READY_CLAIMS claims (the
peak of the pricing phase when claims come back from the spill): the size of a set, like
the spill threshold, changes no decision and no byte of the 835."""
from __future__ import annotations

import io
import sys
from datetime import datetime

import pytest

from conftest import ROOT
from edi_hit.pipeline import adjudicate
from edi_hit.pricing import Pricer, SQLiteHistory
from edi_hit.pricing import run as run_module
from edi_hit.pricing.plan import plan_run
from edi_hit.x835 import read_835

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0)


def remit(path, history=None, **kw) -> bytes:
    out = io.BytesIO()
    adjudicate([path], output=out, assume_dme_drug=True, now=NOW, history=history, **kw)
    return out.getvalue()


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory):
    """900 claims of 90 beneficiaries (10 each, as in the 1,000,000-claim benchmark),
    each beneficiary's claims spread over the whole file at random."""
    path = tmp_path_factory.mktemp("ready") / "shuffled.837"
    write_hit_837(path, 900, order="shuffled", beneficiaries=90, claims_per_st=300)
    return path


def test_a_ready_set_holds_at_most_ready_claims_or_spill_after_claims(shuffled):
    pricer = Pricer(assume_dme_drug=True)
    plan = plan_run([shuffled])
    try:
        for countdown, want in ((None, 1000), (plan.countdown(), 1000),
                                (plan.countdown(4000), 1000), (plan.countdown(2), 2)):
            run = pricer.run(countdown)
            assert run.ready_claims == want
            run.abort()
    finally:
        pricer.close()


def test_the_835_does_not_depend_on_the_ready_set_size_with_a_tiny_spill(shuffled, monkeypatch):
    want = remit(shuffled, spill_after=None)  # every claim waits in memory, sets of 1,000
    claims = [c for r in read_835(want) for c in r.claims]
    assert len(claims) == 900
    for ready in (1, 3, 64):
        monkeypatch.setattr(run_module, "READY_CLAIMS", ready)
        for spill_after in (2, 4000):  # a tiny threshold: nearly every claim on disk
            assert remit(shuffled, spill_after=spill_after) == want, (ready, spill_after)


def test_a_history_file_gets_the_same_rows_whatever_the_ready_set_size(shuffled, tmp_path,
                                                                         monkeypatch):
    rows = []
    out = []
    # sets of up to 1,000 claims, nothing spilled; sets of 3 claims, nearly all spilled
    for ready, spill_after in ((1000, None), (7, 3)):
        monkeypatch.setattr(run_module, "READY_CLAIMS", ready)
        db = tmp_path / f"h{ready}.db"
        out.append(remit(shuffled, history=str(db), spill_after=spill_after))
        with SQLiteHistory(db) as h:
            rows.append((
                h.db.execute("SELECT mbi, day, category, code, icn, line_number FROM visits "
                             "ORDER BY icn, line_number").fetchall(),
                h.db.execute("SELECT icn, state, outcome, paid, lines FROM claims "
                             "ORDER BY icn").fetchall(),
                h.db.execute("SELECT mbi, year, icn, amount FROM deductible "
                             "ORDER BY mbi, year, icn").fetchall(),
                h.db.execute("SELECT trn, position, icn, status, paid FROM remits "
                             "ORDER BY trn, position").fetchall()))
    assert out[0] == out[1]
    assert rows[0] == rows[1]
    visits, claims, deductible, remits = rows[0]
    assert len(claims) == 900 and len(remits) == 900
    assert len(deductible) > 0 and len(visits) > 0
