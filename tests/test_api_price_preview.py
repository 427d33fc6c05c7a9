"""`edi_hit.price(claims, history=...)`, the library's preview, looks and never decides
(as `edi-hit price --history` does): the history's rows are the same after it, and its
amounts are adjudicate's on the same input. Recording goes through edi_hit.adjudicate
(the ledger run around it: run row, exactly once)."""
from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

import edi_hit
from edi_hit.pricing.history import open_history
from edi_hit.x835.dme import dme_drugs_from_835

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
CLAIMS = DEMO / "hit-supplier.837"


def _rows(path: Path) -> dict[str, int]:
    """Rows of every table of the history file (ledger, visits, deductible, ...)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def _empty_history(path: Path) -> Path:
    open_history(str(path)).close()   # the schema, no rows
    return path


@pytest.fixture
def evidence():
    return dme_drugs_from_835(DEMO / "dme-mac.835").drugs   # the DME MAC's 835 (C26)


def _preview(history: Path, evidence) -> dict[str, Decimal]:
    claims = list(edi_hit.read_837p(CLAIMS))
    return {p.claim.patient_control_number: p.total_paid
            for p in edi_hit.price(claims, history=str(history), dme_drugs=evidence)}


def _adjudicate(history: Path, tmp_path: Path, evidence) -> tuple[dict[str, Decimal], object]:
    entries: list[dict] = []
    summary = edi_hit.adjudicate([CLAIMS], output=tmp_path / "remit.835", history=str(history),
                                 dme_drugs=evidence, manifest=entries.append)
    return {e["patient_control_number"]: Decimal(str(e["paid"])) for e in entries}, summary


def test_a_preview_writes_nothing_and_pays_what_adjudicate_then_pays(tmp_path, evidence):
    hist = _empty_history(tmp_path / "hit.db")
    before = _rows(hist)
    assert before["runs"] == before["claims"] == before["visits"] == 0
    preview = _preview(hist, evidence)
    assert _rows(hist) == before                       # no run, no claim, no visit
    paid, summary = _adjudicate(hist, tmp_path, evidence)
    assert preview == paid
    # the demo pays 239.75 in all (README): 18.98 of it on HIT-26-001's first line
    assert sum(preview.values()) == summary.payment == Decimal("239.75")
    after = _rows(hist)
    assert (after["runs"], after["claims"]) == (1, 4) and after["visits"] > 0


def test_a_preview_after_adjudicate_answers_with_the_recorded_decisions(tmp_path, evidence):
    hist = _empty_history(tmp_path / "hit.db")
    paid, _ = _adjudicate(hist, tmp_path, evidence)
    recorded = _rows(hist)
    again = _preview(hist, evidence)                   # not duplicates: the same decisions
    assert again == paid
    assert _rows(hist) == recorded
    twice = _preview(hist, evidence)
    assert twice == paid and _rows(hist) == recorded


def test_a_preview_without_a_history_file_says_so_and_creates_none(tmp_path):
    claims = list(edi_hit.read_837p(CLAIMS))
    missing = tmp_path / "none.db"
    with pytest.raises(edi_hit.DataError, match="none.db: no such history file"):
        list(edi_hit.price(claims, history=str(missing)))
    assert not missing.exists()


def test_a_writable_store_is_refused_a_read_only_one_is_used(tmp_path, evidence):
    hist = _empty_history(tmp_path / "hit.db")
    claims = list(edi_hit.read_837p(CLAIMS))
    store = open_history(str(hist))
    try:
        with pytest.raises(edi_hit.ArgumentError, match="edi_hit.adjudicate"):
            list(edi_hit.price(claims, history=store))
    finally:
        store.close()
    with open_history(str(hist), readonly=True) as ro:
        priced = list(edi_hit.price(claims, history=ro, dme_drugs=evidence))
    assert sum(p.total_paid for p in priced) == Decimal("239.75")
    assert _rows(hist)["visits"] == 0
