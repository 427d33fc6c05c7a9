# History across claims and runs: idempotent re-pricing, replacements, voids, ordering.
from __future__ import annotations

from decimal import Decimal

from edi_hit.pricing import SQLiteHistory, claim_icn, price
from edi_hit.pricing.pricer import claim_fingerprint
from helpers_pricing import MBI, SYNTHETIC_RATES, claim, d, drug, line


def run(*claims, history=None, **kw):
    # The DME supplier's drug claims (drug()) in these runs count as billed (C26
    # simulation): these tests are about claims and history, not drug evidence.
    kw.setdefault("dme_evidence", "billed")
    out = list(price(list(claims), rates=SYNTHETIC_RATES, history=history, **kw))
    for pc in out:
        pc.check()
    return out


def icn_of(c) -> str:
    return claim_icn(claim_fingerprint(c, MBI, c.billing_provider.npi))


def history_file(tmp_path, **met):
    path = tmp_path / "hit.db"
    with SQLiteHistory(path) as h:
        for year, amount in met.items():
            h.set_deductible_met(MBI, int(year[1:]), Decimal(amount))
    return str(path)


def counts(path):
    with SQLiteHistory(path) as h:
        return {t: h.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("claims", "visits", "drugs", "deductible")}


def test_an_exact_resubmission_in_a_later_run_is_denied_as_a_duplicate(tmp_path):
    # C28: a claim identical to one decided in an earlier run is denied whole, OA-18,
    # with the original's ICN recorded; it is never priced (or paid) again.
    db = history_file(tmp_path)
    c = claim(line("G0068", "2024-02-05"))
    first = run(drug("2024-02-01"), c, history=db)
    original = first[1]
    # allowed 160.00 (synthetic 2024 rate) all to the 2024 deductible: PR-1 160.00, CO-45 140.00
    assert [(a.group, a.reason, a.amount) for a in original.lines[0].adjustments] == [
        ("CO", "45", d("140.00")), ("PR", "1", d("160.00"))]
    before = counts(db)
    (again,) = run(c, history=db)
    assert again.status == "denied" and again.duplicate_of == original.payer_claim_control_number
    assert [(a.group, a.reason, a.amount) for a in again.lines[0].adjustments] == [
        ("OA", "18", d("300.00"))]
    assert again.total_paid == d("0.00")
    assert again.payer_claim_control_number != original.payer_claim_control_number
    assert len(again.payer_claim_control_number) == 13
    assert any(f"exact duplicate of claim ICN {original.payer_claim_control_number}" in t
               for t in again.lines[0].trace)
    # the duplicate is in the ledger; visits, drugs and the deductible did not move
    assert counts(db) == {**before, "claims": before["claims"] + 1}
    (third,) = run(c, history=db)
    assert third.duplicate_of == original.payer_claim_control_number
    assert third.payer_claim_control_number not in (again.payer_claim_control_number,
                                                     original.payer_claim_control_number)


def test_same_claim_twice_in_one_run_is_a_duplicate():
    c = claim(line("G0068", "2024-02-05"))
    out = run(drug("2024-02-01"), c, claim(line("G0068", "2024-02-05")))
    assert out[1].lines[0].status == "paid"
    assert out[2].lines[0].status == "denied"
    assert [(a.group, a.reason) for a in out[2].lines[0].adjustments] == [("OA", "18")]
    assert out[2].duplicate_of == out[1].payer_claim_control_number
    assert out[2].payer_claim_control_number != out[1].payer_claim_control_number


def test_claims_are_applied_in_date_of_service_order():
    # the later visit comes first in the input; the deductible goes to the earlier one
    h = SQLiteHistory()
    out = run(drug("2024-02-01"), claim(line("G0068", "2024-02-20"), pcn="LATE"),
              claim(line("G0068", "2024-02-05"), pcn="EARLY"), history=h)
    late, early = out[1].lines[0], out[2].lines[0]
    assert early.adjustment_total("PR", "1") == d("160.00")
    assert late.adjustment_total("PR", "1") == d("80.00")
    assert [pc.claim.patient_control_number for pc in out] == ["DME1", "LATE", "EARLY"]


def test_replacement_reverses_the_original_and_replaces_its_history(tmp_path):
    db = history_file(tmp_path, y2024="240.00")
    original = claim(line("G0068", "2024-03-05", "300.00"), pcn="C100")
    (_, orig) = run(drug("2024-03-01"), original, history=db)
    assert orig.lines[0].paid == d("125.44")  # 160 - 32 - 2.56
    repl = claim(line("G0068", "2024-03-05", "150.00"), pcn="C100", freq="7",
                 f8=orig.payer_claim_control_number)
    out = run(repl, history=db)
    reversal, new = out
    assert reversal.status == "reversal"
    assert reversal.payer_claim_control_number == orig.payer_claim_control_number
    assert reversal.total_paid == d("-125.44") and reversal.total_charge == d("-300.00")
    assert [(a.group, a.reason, a.amount) for a in reversal.lines[0].adjustments] == [
        ("CO", "45", d("-140.00")), ("PR", "2", d("-32.00")), ("CO", "253", d("-2.56"))]
    # the replacement is not a duplicate of its own original: paid on 150.00
    assert new.status == "processed" and new.lines[0].paid == d("117.60")
    assert counts(db)["visits"] == 1
    # re-running the replacement is an exact duplicate: nothing is reversed or paid again
    (again,) = run(repl, history=db)
    assert again.duplicate_of == new.payer_claim_control_number and again.total_paid == d("0.00")
    assert counts(db)["visits"] == 1


def test_replacement_found_by_clm01_without_f8():
    out = run(drug("2024-03-01"), claim(line("G0068", "2024-03-05"), pcn="C7"),
              claim(line("G0068", "2024-03-05", "200.00"), pcn="C7", freq="7"))
    assert [pc.status for pc in out] == ["denied", "processed", "reversal", "processed"]
    assert out[3].lines[0].status == "paid"


def test_void_removes_the_original_history(tmp_path):
    db = history_file(tmp_path, y2024="240.00")
    original = claim(line("G0068", "2024-03-05"), pcn="C200")
    (_, orig) = run(drug("2024-03-01"), original, history=db)
    void = claim(line("G0068", "2024-03-05"), pcn="C200", freq="8",
                 f8=orig.payer_claim_control_number)
    (rev,) = run(void, history=db)
    assert rev.status == "reversal" and rev.total_paid == -orig.total_paid
    assert counts(db)["visits"] == 0
    # the day is free again: a new claim for it is paid, not a duplicate
    (new,) = run(claim(line("G0068", "2024-03-05"), pcn="C201"), history=db)
    assert new.lines[0].status == "paid"


def test_void_without_original_is_denied():
    (out,) = run(claim(line("G0068", "2024-03-05"), pcn="NOPE", freq="8", f8="0000000000000"))
    assert out.status == "denied"
    assert [(a.group, a.reason) for a in out.lines[0].adjustments] == [("CO", "16")]
    assert out.lines[0].remarks == ["MA130"]


def test_void_releases_the_deductible(tmp_path):
    db = history_file(tmp_path)
    (_, a) = run(drug("2024-03-01"), claim(line("G0068", "2024-03-05"), pcn="A"), history=db)
    assert a.lines[0].adjustment_total("PR", "1") == d("160.00")
    run(claim(line("G0068", "2024-03-05"), pcn="A", freq="8", f8=a.payer_claim_control_number),
        history=db)
    (b,) = run(claim(line("G0068", "2024-03-06"), pcn="B"), history=db)
    assert b.lines[0].adjustment_total("PR", "1") == d("160.00")


def test_icn_is_deterministic_and_13_digits():
    c = claim(line("G0068", "2024-03-05"))
    (pc,) = run(c, assume_dme_drug=True)
    assert pc.payer_claim_control_number == icn_of(c)
    assert len(pc.payer_claim_control_number) == 13 and pc.payer_claim_control_number.isdigit()


def test_history_store_rejects_a_non_database(tmp_path):
    import pytest
    from edi_hit.errors import DataError
    bad = tmp_path / "x.db"
    bad.write_text("not sqlite at all, just text that is long enough" * 20)
    with pytest.raises(DataError, match="not an edi-hit history database"):
        SQLiteHistory(bad)


def test_import_dme_csv(tmp_path):
    from edi_hit.pricing.dme import read_dme_csv
    f = tmp_path / "dme.csv"
    f.write_text("Date of Service,Beneficiary MBI,HCPCS,Modifier\n"
                 "03/01/2024,1EG4TE5MK73,J1559,JB\n20240302,1EG4TE5MK73,J7799,\n"
                 "2024-03-03,1EG4TE5MK73,J9000,\n")
    rows = read_dme_csv(f).drugs
    assert [(r.code, r.day.isoformat(), r.category) for r in rows] == [
        ("J1559", "2024-03-01", 2), ("J7799", "2024-03-02", None), ("J9000", "2024-03-03", 3)]
