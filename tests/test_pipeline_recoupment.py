"""Recoupment across runs: a void owed back by the provider becomes an open balance in the
ledger, and later 835s to that payee take it back with PLB FB referencing the original
ICN until it is settled; `ledger balances` shows it and `reconcile` explains it."""
from __future__ import annotations

import json
from decimal import Decimal as D

from edi_hit.pricing.history import SQLiteHistory
from edi_hit.x835 import read_835
from helpers_835 import independent_balance_check, pyx12_errors
from helpers_pricing import NPI, claim, line
from helpers_runs import (adjudicate_args, cli, drugs, history_with_deductible_met, paid_visit,
                          write_claims)


def _adjudicate(tmp_path, hist, name, claims, control):
    src = write_claims(tmp_path / f"{name}.837", claims, control)
    out = tmp_path / f"{name}.835"
    r = cli(*adjudicate_args([src], out, hist, "--control-number", control,
                             "--report", tmp_path / f"{name}.json"))
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert pyx12_errors(data) == [] and independent_balance_check(data) == []
    (remit,) = [r for r in read_835(data) if r.payee.id == NPI]  # the HIT supplier's
    return remit, json.loads((tmp_path / f"{name}.json").read_text())


def _plb(remit):
    return [(p.reason, p.reference, p.amount) for p in remit.provider_adjustments]


def test_a_void_is_recouped_from_the_next_835s_until_settled(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    # run 1: C1 paid 125.44 (allowed 160.00 - PR-2 32.00 - CO-253 2.56)
    r1, _ = _adjudicate(tmp_path, hist, "run1", [*drugs(), paid_visit("C1")], 1)
    icn = r1.claims[0].payer_claim_control_number
    assert r1.payment_amount == D("125.44")
    # run 2: the void alone: CLP04 -125.44; nothing to pay, the debt carried by C1's ICN
    void = claim(line("G0068", "2024-03-05"), pcn="C1", freq="8", f8=icn)
    r2, rep2 = _adjudicate(tmp_path, hist, "run2", [void], 2)
    assert r2.payment_amount == D("0") and _plb(r2) == [("FB", icn, D("-125.44"))]
    assert rep2["carried_forward"] == "125.44"
    r = cli("ledger", "balances", "--history", hist)
    assert f"{NPI:<12} {icn:<16} {'125.44':>12}  2" in r.output, r.output
    # run 3: C2 pays 125.44 (its own day, nothing duplicated) and all of it is recouped:
    # BPR02 = 125.44 - 125.44 = 0
    r3, rep3 = _adjudicate(tmp_path, hist, "run3", [paid_visit("C2", "2024-03-12")], 3)
    assert _plb(r3) == [("FB", icn, D("125.44"))] and r3.payment_amount == D("0")
    assert rep3["recouped"] == "125.44"
    # run 4: settled; C3 is paid in full
    r4, _ = _adjudicate(tmp_path, hist, "run4", [paid_visit("C3", "2024-03-19")], 4)
    assert _plb(r4) == [] and r4.payment_amount == D("125.44")
    assert "no open balances" in cli("ledger", "balances", "--history", hist).output
    # the money: sum of BPR02 on disk = the ledger's claims (125.44 - 125.44 + 125.44 +
    # 125.44) + what is still owed (0)
    paid = sum((r.payment_amount for r in (r1, r2, r3, r4)), D(0))
    assert paid == D("250.88")
    with SQLiteHistory(hist, readonly=True) as h:
        assert h.check() == []
        assert sum((D(r.totals["payment"]) for r in h.runs()), D(0)) == paid


def test_a_partial_recoupment_leaves_the_rest_open(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    r1, _ = _adjudicate(tmp_path, hist, "run1", [*drugs(), paid_visit("C1")], 1)
    icn = r1.claims[0].payer_claim_control_number
    void = claim(line("G0068", "2024-03-05"), pcn="C1", freq="8", f8=icn)
    _adjudicate(tmp_path, hist, "run2", [void], 2)
    # a cheaper visit: charge 150.00 < rate 160.00, allowed 150.00, PR-2 30.00,
    # CO-253 2% x 120.00 = 2.40, paid 117.60; all of it recouped, 7.84 stays open
    r3, _ = _adjudicate(tmp_path, hist, "run3", [paid_visit("C2", "2024-03-12", charge="150.00")], 3)
    assert _plb(r3) == [("FB", icn, D("117.60"))] and r3.payment_amount == D("0")
    with SQLiteHistory(hist, readonly=True) as h:
        (owed,) = h.open_balances([NPI])[NPI]
        assert (owed.reference, owed.amount) == (icn, D("7.84"))
        assert h.check() == []
    trail = cli("ledger", "claim", "C1", "--history", hist).output
    assert f"ICN {icn}  CLM01 C1" in trail and "voided by ICN" in trail
    assert "reverses ICN " + icn in trail


def test_reconcile_explains_the_provider_level_adjustments(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    r1, _ = _adjudicate(tmp_path, hist, "run1", [*drugs(), paid_visit("C1")], 1)
    icn = r1.claims[0].payer_claim_control_number
    void = claim(line("G0068", "2024-03-05"), pcn="C1", freq="8", f8=icn)
    _adjudicate(tmp_path, hist, "run2", [void], 2)
    r = cli("reconcile", tmp_path / "run2.837", tmp_path / "run2.835", "--history", hist,
            "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (plb,) = doc["provider_adjustments"]
    assert plb == {"provider_id": NPI, "reason": "FB", "reference": icn, "amount": "-125.44",
                   "meaning": "carried forward (debt)", "patient_control_number": "C1",
                   "file": str(tmp_path / "run2.835")}
    assert doc["totals"]["provider_adjustments"] == "-125.44"
    assert doc["totals"]["payments"] == "0.00"
    text = cli("reconcile", tmp_path / "run2.837", tmp_path / "run2.835", "--history", hist).output
    assert f"PLB FB:{icn} (claim C1) -125.44: carried forward (debt)" in text
