"""Claim decisions against the ledger: in-run reversals leave no history behind, a
resubmission after a void is a new claim, ICNs never collide, read-only answers."""
from __future__ import annotations

from decimal import Decimal as D

from edi_hit.pricing import price
from edi_hit.pricing.history import SQLiteHistory, StoredClaim
from edi_hit.pricing.history.record import encode_lines
from edi_hit.pricing.run import claim_fingerprint, claim_icn
from helpers_pricing import MBI, NPI, SYNTHETIC_RATES, claim, dme, line


def run(*claims, history):
    out = list(price(list(claims), rates=SYNTHETIC_RATES, history=history))
    for pc in out:
        pc.check()
    return out


def _history(tmp_path):
    path = tmp_path / "h.db"
    with SQLiteHistory(path) as h:
        h.set_deductible_met(MBI, 2024, D("240.00"))
        h.import_dme([dme("2024-03-01")])  # the DME MAC covered the drug (C26)
    return str(path)


def _visits(path):
    with SQLiteHistory(path) as h:
        return [r[0] for r in h.db.execute("SELECT icn FROM visits ORDER BY day")]


def test_a_claim_replaced_in_the_run_that_decided_it_leaves_no_visit(tmp_path):
    db = _history(tmp_path)
    out = run(claim(line("G0068", "2024-03-05"), pcn="R1"),
              claim(line("G0068", "2024-03-05", "150.00"), pcn="R1", freq="7"), history=db)
    assert [pc.status for pc in out] == ["processed", "reversal", "processed"]
    replacement = out[2].payer_claim_control_number
    assert _visits(db) == [replacement]
    with SQLiteHistory(db) as h:
        assert h.check() == []


def test_a_resubmission_after_a_void_is_priced_again_with_an_icn_of_its_own(tmp_path):
    db = _history(tmp_path)
    original = claim(line("G0068", "2024-03-05"), pcn="V1")
    (first,) = run(original, history=db)
    run(claim(line("G0068", "2024-03-05"), pcn="V1", freq="8",
              f8=first.payer_claim_control_number), history=db)
    (again,) = run(original, history=db)
    # not a duplicate: what it repeated was voided; paid as new: 160 allowed,
    # deductible met, PR-2 = 32.00, CO-253 = 2% x 128.00 = 2.56, paid 125.44
    assert again.duplicate_of is None and again.total_paid == D("125.44")
    assert again.payer_claim_control_number != first.payer_claim_control_number
    fp = claim_fingerprint(original, MBI, NPI)
    assert first.payer_claim_control_number == claim_icn(fp)
    assert again.payer_claim_control_number == claim_icn(fp, 1)
    with SQLiteHistory(db) as h:
        assert h.check() == []


def test_an_icn_taken_by_another_claim_moves_to_the_next_variant(tmp_path):
    db = _history(tmp_path)
    c = claim(line("G0068", "2024-03-05"), pcn="NEW", mbi="9OTHER9MBI9")
    base = claim_icn(claim_fingerprint(c, "9OTHER9MBI9", NPI))
    with SQLiteHistory(db) as h:  # another member's claim already holds that number
        h.begin()
        from edi_hit.pricing.history import HistoryBatch
        b = HistoryBatch()
        b.claims.append(StoredClaim(base, NPI, "X", "another digest", MBI, "1", lines=encode_lines([])))
        h.stage(b)
        h.commit()
    (pc,) = list(price([c], rates=SYNTHETIC_RATES, history=db, assume_dme_drug=True))
    assert pc.payer_claim_control_number == claim_icn(claim_fingerprint(c, "9OTHER9MBI9", NPI), 1)
    with SQLiteHistory(db) as h:
        assert h.check() == []


def test_a_read_only_history_answers_a_decided_claim_with_its_decision(tmp_path):
    db = _history(tmp_path)
    c = claim(line("G0068", "2024-03-05"), pcn="RO1")
    (decided,) = run(c, history=db)
    with SQLiteHistory(db, readonly=True) as ro:
        (again,) = list(price([c], rates=SYNTHETIC_RATES, history=ro))
    assert again.duplicate_of is None
    assert again.payer_claim_control_number == decided.payer_claim_control_number
    assert again.total_paid == decided.total_paid == D("125.44")
    assert [a for pl in again.lines for a in pl.adjustments] == [
        a for pl in decided.lines for a in pl.adjustments]
    assert "the recorded decision" in again.lines[0].trace[0]
    with SQLiteHistory(db) as h:  # and nothing was written
        assert h.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 1


def test_a_void_and_the_resubmission_in_one_run(tmp_path):
    # found by tools/chaos.py: the resubmission's row was written while the voided
    # original still stood in the ledger (one standing claim per digest)
    db = _history(tmp_path)
    original = claim(line("G0068", "2024-03-05"), pcn="VR")
    (first,) = run(original, history=db)
    void = claim(line("G0068", "2024-03-05"), pcn="VR", freq="8",
                 f8=first.payer_claim_control_number)
    rev, again = run(void, original, history=db)
    assert rev.status == "reversal" and rev.total_paid == D("-125.44")
    assert again.duplicate_of is None and again.total_paid == D("125.44")
    assert _visits(db) == [again.payer_claim_control_number]
    with SQLiteHistory(db) as h:
        assert h.check() == []
