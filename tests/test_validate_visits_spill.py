# The visit edits (E5, E6/E7) read a transaction set's HIT lines in the pricer's order;
# beyond a threshold the queue of those lines spills to a private temporary SQLite.
# Whether and when it spills must not change a single finding.
from __future__ import annotations

import os
from datetime import date

import pytest

from test_validate_hit_rules import TODAY, check_with, text
from edi_hit.validation.visits import VisitQueue


def _with_more_claims(data: str) -> str:
    """The fixture's set plus: an earlier G0068 for claim 2's beneficiary (E5: the later
    G0088 comes within 60 days) and a second claim for that beneficiary on the same day
    and category as the earlier one (E6: one payment per category per day)."""
    second = data[data.index("HL*3*1*22*0"):data.index("SE*")]
    earlier = (second.replace("HL*3*", "HL*4*").replace("HIT-7-2*425.5", "HIT-7-3*300")
               .replace("SV1*HC:G0088*425.5*UN*10", "SV1*HC:G0068*300*UN*4")
               .replace("DTP*472*D8*20260203", "DTP*472*D8*20260114"))
    same_day = earlier.replace("HL*4*", "HL*5*").replace("HIT-7-3*", "HIT-7-4*")
    body = earlier + same_day
    count = data[data.index("ST*"):data.index("SE*")].count("~") + body.count("~") + 1
    return data[:data.index("SE*")] + body + f"SE*{count}*0001~" + data[data.index("GE*"):]


@pytest.mark.parametrize("spill_at", [1, 2, 3])
def test_findings_do_not_depend_on_spilling(spill_at):
    data = _with_more_claims(text())
    in_memory = check_with(data)
    # E6 at the second same-day G0068 (HIT-7-4, its SV1 is segment 62); E5 at claim 2's
    # G0088 (segment 38), 20 days after the earlier G0068
    assert in_memory == [("duplicate-code-day", 62), ("initial-visit-too-soon", 38)]
    assert check_with(data, spill_at=spill_at) == in_memory


def test_the_queue_sorts_the_same_on_disk_and_in_memory():
    keys = [(m, (date(2026, 1, d), s), (date(2026, 1, d + k), k))
            for m in ("M2", "M10", "m1", "Ä") for d, s in ((5, 3), (1, 9), (5, 1))
            for k in (1, 0)]
    import random
    random.Random(7).shuffle(keys)
    held, spilled = VisitQueue(spill_at=10_000), VisitQueue(spill_at=5)
    for i, key in enumerate(keys):
        held.append(key, (key, i))
        spilled.append(key, (key, i))
    assert spilled.spilled == 20 and len(spilled) == 24
    want = sorted((key, i) for i, key in enumerate(keys))
    assert list(held.drain()) == want
    assert list(spilled.drain()) == want
    assert len(spilled) == 0


def test_the_spill_file_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    queue = VisitQueue(spill_at=1)
    queue.append(("M", (date(2026, 1, 1), 1), (date(2026, 1, 1), 0)), "x")
    assert queue.spilled == 1
    assert os.listdir(tmp_path) == []   # unlinked as soon as it was opened
    assert list(queue.drain()) == ["x"]
