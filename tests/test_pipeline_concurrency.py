"""Concurrent runs on one history serialize where their decisions depend on it: 40 pairs
of real processes, started together, with overlapping beneficiaries - never a double
payment, the deductible taken once, never a traceback."""
from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal as D

from edi_hit.pricing.history import SQLiteHistory, open_history
from edi_hit.x835 import read_835
from helpers_pricing import claim, dme, drug, line
from helpers_runs import adjudicate_args, finish_fork, start_fork, write_claims

PAIRS = 40
_AT_ONCE = 5  # pairs started together (each pair on its own history)
M1, M2 = "1AA1AA1AA11", "2BB2BB2BB22"


def _files(folder):
    """A: M1 and M2 on 03-05. B: M1 on 03-06 (the deductible is shared) and M2 on 03-05
    again under another CLM01 (same member, day and category: one of them is paid)."""
    drugs = [drug("2024-03-01", pcn=f"DME-{m}", mbi=m) for m in (M1, M2)]
    a = write_claims(folder / "a.837", [*drugs, claim(line("G0068", "2024-03-05"), pcn="A1", mbi=M1),
                                        claim(line("G0068", "2024-03-05"), pcn="A2", mbi=M2)], 1)
    b = write_claims(folder / "b.837", [*drugs, claim(line("G0068", "2024-03-06"), pcn="B1", mbi=M1),
                                        claim(line("G0068", "2024-03-05"), pcn="B2", mbi=M2)], 2)
    return a, b


def _readonly_sqlite(hist):
    return SQLiteHistory(hist, readonly=True)


def _check(folder, hist, results, open_store=_readonly_sqlite):
    for code, err in results:
        assert code == 0 and "Traceback" not in err, err
    # from the 835s on disk, not from the ledger: per member, paid lines per day and
    # category, and the deductible (PR-1) taken
    paid_days = defaultdict(int)
    pr1 = defaultdict(D)
    for name in ("a.835", "b.835"):
        for remit in read_835(folder / name):
            for c in remit.claims:
                for ln in c.lines:
                    if ln.code == "G0068" and (ln.allowed or 0) > 0:  # paid, maybe all PR-1
                        paid_days[(c.patient_id, ln.service_date)] += 1
                    pr1[c.patient_id] += sum((x.amount for x in ln.adjustments
                                              if (x.group, x.reason) == ("PR", "1")), D(0))
    assert max(paid_days.values()) == 1, (folder, paid_days)
    assert len(paid_days) == 3, (folder, paid_days)  # M1 on 03-05 and 03-06, M2 on 03-05
    # the 2024 deductible is 240.00: M1's two visits (allowed 160.00 each) take 160.00
    # then 80.00, whichever run came first; M2's one paid visit takes 160.00
    assert pr1[M1] == D("240.00") and pr1[M2] == D("160.00"), (folder, pr1)
    with open_store(hist) as h:
        assert h.check() == []
        assert [r.status for r in h.runs()] == ["done", "done"]


def run_pairs(tmp_path, pairs, new_history=lambda folder: folder / "h.db",
              open_store=_readonly_sqlite, done=lambda history: None) -> int:
    """`pairs` pairs of real processes, _AT_ONCE pairs at a time, each pair's two runs
    started together on a history of its own (new_history(folder): a path or URL; done:
    called when its pair is checked); every pair checked; how many pairs waited."""
    waited = 0
    for first in range(0, pairs, _AT_ONCE):
        started = []
        for n in range(first, min(first + _AT_ONCE, pairs)):
            folder = tmp_path / f"pair{n}"
            folder.mkdir()
            hist = new_history(folder)
            a, b = _files(folder)
            # the DME MAC covered both members' drug (C26); closed before the fork
            with open_history(hist) as h:
                h.import_dme([dme("2024-03-01", mbi=m) for m in (M1, M2)])
            gate, go = os.pipe()
            # every other pair holds the lock a moment once taken, so that the second run
            # surely waits (on a loaded machine the two may not overlap by themselves);
            # the other pairs race as they come
            env = {"EDI_HIT_FAULT": "locked:sleep=0.3"} if n % 2 == 0 else None
            procs = [start_fork(*adjudicate_args([src], folder / f"{src.stem}.835", hist),
                                gate=gate, env=env) for src in (a, b)]
            started.append((folder, hist, procs, gate, go))
        for *_, gate, go in started:  # each pair's two runs start together
            os.write(go, b"xx")
            os.close(gate)
            os.close(go)
        for folder, hist, procs, _, _ in started:
            results = [finish_fork(p)[::2] for p in procs]  # (code, stderr)
            waited += any("waiting for it to finish" in err for _, err in results)
            _check(folder, hist, results, open_store)
            done(hist)
    return waited


def test_forty_concurrent_pairs_never_pay_twice(tmp_path):
    # the runs overlapped: in some pairs the second run had to wait for the first
    assert run_pairs(tmp_path, PAIRS) > 0
