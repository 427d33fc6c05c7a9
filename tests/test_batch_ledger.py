"""`edi-hit batch --history`: the whole batch is one ledger run, priced by N workers and
committed once by the batch's process (edi_hit/batch/remit.py): its inputs are the
files, a rerun of them pays nothing, two partitions that give one ICN are sorted out in
the run's transaction, and the same batch on PostgreSQL decides the same."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from edi_hit.batch import run_batch
from edi_hit.pipeline import adjudicate
from edi_hit.pricing import SQLiteHistory
from edi_hit.pricing.history import open_history
from test_batch import clps, make_inbox, manifest


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    return make_inbox(tmp_path_factory.mktemp("ledger") / "inbox", files=3, claims=120,
                      bad_claim=False)


def _payments(counter: Counter) -> Counter:
    """(CLP01, CLP02, CLP03, CLP04) of every claim: what was decided, whatever ICN it
    got (CLP01 repeats across the files)."""
    out: Counter = Counter()
    for k, n in counter.items():
        out[k[1:]] += n
    return out


def test_one_run_for_the_batch_and_a_rerun_pays_nothing(inbox, tmp_path):
    db = tmp_path / "h.db"
    result = run_batch(inbox, tmp_path / "out", workers=2, history=str(db), tr3=False,
                       assume_dme_drug=True)
    got = clps(tmp_path / "out")
    assert sum(got.values()) == 360 and result.remits[0]["claims"] == 360
    with SQLiteHistory(db) as h:
        assert h.check() == []
        (run,) = h.runs()
        assert run.status == "done" and run.id == result.remits[0]["run_id"]
        # the run's inputs are the batch's X12 files (README.txt is not one)
        assert sorted(i.path.rsplit("/", 1)[1] for i in run.inputs) == [
            "claims0.837", "claims1.837", "claims2.837"]
        assert h.db.execute("SELECT COUNT(*), COUNT(DISTINCT icn) FROM claims").fetchone() == (
            360, 360)
        # every claim's place in the 835 is recorded: 360 remits, each TRN02 of the 835
        assert h.db.execute("SELECT COUNT(*) FROM remits").fetchone()[0] == 360
    # the same decisions as one `adjudicate` over the files on a history of its own
    whole = tmp_path / "whole"
    whole.mkdir()
    adjudicate(sorted(str(p) for p in inbox.glob("*.837")), output=str(whole / "a.835"),
               history=str(tmp_path / "a.db"), assume_dme_drug=True)
    assert got == clps(whole)

    # the same inbox again, on the same history: every file was adjudicated by run 1
    again = run_batch(inbox, tmp_path / "again", workers=2, history=str(db), tr3=False,
                      assume_dme_drug=True)
    m = manifest(tmp_path / "again")
    for name in ("claims0.837", "claims1.837", "claims2.837"):
        assert m[name]["status"] == "duplicate"
        assert m[name]["reason"].startswith(f"adjudicated already, in run {run.id} on ")
        assert m[name]["claims_out"] == 0 and m[name]["remits"] == []
    assert again.remits == [] and not (tmp_path / "again" / "remit.835").exists()
    with SQLiteHistory(db) as h:
        assert len(h.runs()) == 1 and h.check() == []


def test_two_partitions_giving_one_icn_are_sorted_out_in_the_run(inbox, tmp_path,
                                                                 monkeypatch):
    """ICNs squeezed into 60 numbers: partitions (priced apart) give the same ICN to
    claims of different members; the second to be staged is priced again in the run's
    transaction and takes other numbers. Decisions are those of one worker."""
    import edi_hit.pricing.pricer as pricer_module
    import edi_hit.pricing.lifecycle as lifecycle_module
    from edi_hit.pricing.run import claim_icn as real

    def squeezed(fingerprint: str, variant: int = 0) -> str:
        return real(fingerprint, variant) if variant else str(int(fingerprint[:8], 16) % 60
                                                              ).zfill(13)

    monkeypatch.setattr(pricer_module, "claim_icn", squeezed)   # the workers are forked:
    monkeypatch.setattr(lifecycle_module, "claim_icn", squeezed)  # they price squeezed too
    one = run_batch(inbox, tmp_path / "one", workers=1, history=str(tmp_path / "one.db"),
                    tr3=False, assume_dme_drug=True)
    two = run_batch(inbox, tmp_path / "two", workers=2, history=str(tmp_path / "two.db"),
                    tr3=False, assume_dme_drug=True)
    report = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert report["claims_out"] == 360
    got = clps(tmp_path / "two")
    assert sum(got.values()) == 360 and len({k[0] for k in got}) == 360  # ICNs unique
    assert _payments(got) == _payments(clps(tmp_path / "one"))
    with SQLiteHistory(tmp_path / "two.db") as h:
        assert h.check() == []
        (run,) = h.runs()
        notes = run.totals["notes"]
    assert any("priced again in the run's transaction" in n for n in notes), notes
    assert one.remits[0]["payment"] == two.remits[0]["payment"]


def test_a_batch_on_postgresql_decides_what_it_decides_on_sqlite(inbox, tmp_path, pg_url):
    run_batch(inbox, tmp_path / "sq", workers=2, history=str(tmp_path / "h.db"), tr3=False,
              assume_dme_drug=True)
    result = run_batch(inbox, tmp_path / "pg", workers=2, history=pg_url, tr3=False,
                       assume_dme_drug=True)
    assert clps(tmp_path / "pg") == clps(tmp_path / "sq")
    with open_history(pg_url) as h:
        assert h.check() == []
        (run,) = h.runs()
        assert run.id == result.remits[0]["run_id"] and len(run.inputs) == 3


@pytest.mark.parametrize("step", ["locked", "priced", "written", "committed", "published",
                                  "done"])
def test_killed_at_each_step_of_the_run_then_resumed_pays_once(inbox, tmp_path, step):
    """SIGKILL at each step of the batch's run (EDI_HIT_FAULT, pipeline/faults.py), then
    --resume: before the commit nothing was decided and the batch prices again; after
    it the ledger's repair puts remit.835 in place and the batch finishes from its run."""
    from helpers_runs import cli_process as cli

    common = ["batch", str(inbox), "--workers", "2", "--no-tr3", "--assume-dme-drug",
              "--now", "2026-12-01", "--allow-rejects"]
    ref = cli(*common, "-o", str(tmp_path / "ref"), "--history", str(tmp_path / "ref.db"))
    assert ref.returncode == 0, ref.stderr
    out, db = tmp_path / "out", tmp_path / "h.db"
    killed = cli(*common, "-o", str(out), "--history", str(db), env={"EDI_HIT_FAULT":
                                                                       f"{step}:kill"})
    assert killed.returncode == -9
    assert not (out / "manifest.ndjson").exists()
    resumed = cli(*common, "-o", str(out), "--history", str(db), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "remit.835").read_bytes() == (tmp_path / "ref" / "remit.835").read_bytes()
    assert manifest(out) == manifest(tmp_path / "ref")
    with SQLiteHistory(db) as h:
        assert h.check() == []
        runs = [r for r in h.runs() if r.status in ("committed", "done")]
        assert len(runs) == 1 and runs[0].status == "done"
        assert h.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 360


def test_two_batches_of_one_inbox_on_one_history_pay_once(inbox, tmp_path):
    """Two clearinghouse workers start the same inbox on one history at once: the first
    holds the lock (held 3 s at `locked`, whatever the machine's speed) and pays; the
    second waits, saying so, then finds every file adjudicated by the first's run."""
    import subprocess
    import sys
    import os

    db = tmp_path / "h.db"

    def start(out, env):
        return subprocess.Popen(
            [sys.executable, "-c", "from edi_hit.cli import main; main()", "batch", str(inbox),
             "-o", str(out), "--workers", "2", "--no-tr3", "--assume-dme-drug", "--now",
             "2026-12-01", "--history", str(db), "--allow-rejects"],
            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)

    first = start(tmp_path / "a", {"EDI_HIT_FAULT": "locked:sleep=3"})
    import time
    deadline = time.monotonic() + 60
    while not db.exists() and time.monotonic() < deadline:  # the first has the history open
        time.sleep(0.05)
    time.sleep(1.0)
    second = start(tmp_path / "b", {})
    out_a, err_a = first.communicate(timeout=300)
    out_b, err_b = second.communicate(timeout=300)
    assert first.returncode == 0, err_a
    assert second.returncode == 0, err_b
    assert "another run is using the history; waiting" in err_b
    assert err_a.count("ILLUSTRATIVE") == 1  # said once, not once per partition
    assert sum(clps(tmp_path / "a").values()) == 360
    assert not (tmp_path / "b" / "remit.835").exists()
    assert {m["status"] for m in manifest(tmp_path / "b").values()} == {"duplicate", "not-x12"}
    with SQLiteHistory(db) as h:
        assert h.check() == [] and len(h.runs()) == 1
        assert h.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 360
