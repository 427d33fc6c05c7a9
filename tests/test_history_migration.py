"""A history file of schema version 1 (written by edi-hit 4746fa5, before the ledger) is
upgraded in place, not refused: claims become ledger rows, the PHI-carrying JSON goes."""
from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal as D

import pytest

from edi_hit.errors import DataError
from edi_hit.pricing import price
from edi_hit.pricing.history import SQLiteHistory
from edi_hit.pricing.history.record import decode_lines
from helpers_pricing import FIXTURES, MBI, SYNTHETIC_RATES, claim, line

V1 = FIXTURES / "history" / "v1-main-4746fa5.db"


@pytest.fixture
def v1(tmp_path):
    path = tmp_path / "v1.db"
    shutil.copy(V1, path)
    return path


def test_a_version_1_file_is_upgraded(v1):
    assert b"DOE" in v1.read_bytes()  # v1 kept whole claims with names
    with SQLiteHistory(v1) as store:
        notes = store.notes
        version = store.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]
        rows = {r[0]: r[1:] for r in store.db.execute(
            "SELECT icn, pcn, frequency, state, outcome, replaced_by, original_icn FROM claims")}
        assert store.check() == []
        bh = store.load([MBI])[MBI]
    assert version == "3"
    assert any("upgraded from schema version 1 to 2 (5 claims" in n for n in notes)
    assert any("removed 1 deductible row(s)" in n for n in notes)  # the NaN
    # version 1 kept the visit of REPL-1's original after replacing it in the same run
    # (and so denied VOID-1 on that day as a duplicate line); the upgrade removes it
    assert any("removed 1 history entry of claims already replaced or voided" in n
               for n in notes)
    assert rows == {
        "9028106892514": ("DME-1", "1", "active", "denied", None, None),
        "8432160740590": ("REPL-1", "1", "replaced", "processed", "6937256267931", None),
        "6937256267931": ("REPL-1", "7", "active", "processed", None, "8432160740590"),
        "3671645050176": ("VOID-1", "1", "voided", "denied", "8070572142060", None),
        "8070572142060": ("VOID-1", "8", "void", "reversal", None, "3671645050176"),
    }
    # what stands: the DME claim, the replacement and the void (a second copy of any of
    # them would be a duplicate)
    assert sorted(c.icn for c in bh.standing.values()) == [
        "6937256267931", "8070572142060", "9028106892514"]
    assert bh.deductible_met(2024) == D("240.00")
    # the priced-claim JSON (names, birth dates, addresses) is gone from the file
    data = v1.read_bytes()
    assert b"DOE" not in data and b"JANE" not in data
    import os
    import stat
    assert stat.S_IMODE(os.stat(v1).st_mode) == 0o644  # an existing file keeps its mode


def test_the_upgraded_lines_reverse_a_later_void(v1):
    # replacement.837 paid REPL-1 (frequency 7) 117.60 on a 150.00 charge; a void of it
    # in a new run reverses exactly that, from the lines the migration kept
    with SQLiteHistory(v1) as store:
        (kept,) = decode_lines(store.claim_lines("6937256267931"))
    assert (kept.charge, kept.paid) == (D("150.00"), D("117.60"))
    void = claim(line("G0068", "2024-03-05", "150.00"), pcn="REPL-1", freq="8",
                 f8="6937256267931")
    (rev,) = list(price([void], rates=SYNTHETIC_RATES, history=str(v1)))
    assert rev.status == "reversal" and rev.payer_claim_control_number == "6937256267931"
    assert rev.total_paid == D("-117.60") and rev.total_charge == D("-150.00")
    with SQLiteHistory(v1) as store:
        assert store.load([MBI])[MBI].visits == []
        assert store.check() == []


def test_a_file_from_a_newer_edi_hit_is_refused(tmp_path):
    path = tmp_path / "new.db"
    SQLiteHistory(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    db.commit()
    db.close()
    with pytest.raises(DataError, match="schema version 99 is not one this edi-hit knows"):
        SQLiteHistory(path)
