"""`edi-hit batch`: a folder in, a manifest line per file, beneficiaries partitioned over
workers with the same decisions whatever the number of workers, and --resume after
SIGKILL at random points finishing the batch exactly once (real processes)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import pytest

from conftest import ROOT
from edi_hit.batch import run_batch
from edi_hit.errors import EdiHitError
from edi_hit.pipeline import adjudicate
from edi_hit.pricing import SQLiteHistory
from edi_hit.x835 import read_835

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

NOW = "2026-12-01"
CLI = [sys.executable, "-c", "from edi_hit.cli import main; main()"]


def make_inbox(folder, files=4, claims=150, *, bad_claim=True):
    """`files` 837Ps of interleaved beneficiaries (20 each, a seed each: no member in two
    files), a README.txt, and (bad_claim) one claim whose CLM02 is not a number."""
    folder.mkdir()
    for i in range(files):
        write_hit_837(folder / f"claims{i}.837", claims, order="interleaved", beneficiaries=20,
                      seed=i + 1)
    if bad_claim:
        path = folder / "claims0.837"
        data = path.read_bytes()
        assert data.count(b"CLM*PCN00000002*575*") == 1
        path.write_bytes(data.replace(b"CLM*PCN00000002*575*", b"CLM*PCN00000002*5X5*"))
    (folder / "README.txt").write_text("drop 837P files here\n")
    return folder


def clps(outdir) -> Counter:
    """Every CLP of every 835 in outdir: (CLP07 ICN, CLP01, CLP02, CLP03, CLP04)."""
    got: Counter = Counter()
    for name in sorted(os.listdir(outdir)):
        if name.endswith(".835"):
            for r in read_835((outdir / name).read_bytes()):
                for c in r.claims:
                    got[(c.payer_claim_control_number, c.patient_control_number, c.status_code,
                         c.charge, c.paid)] += 1
    return got


def manifest(outdir) -> dict:
    lines = (outdir / "manifest.ndjson").read_text().splitlines()
    return {os.path.basename(m["file"]): m for m in map(json.loads, lines)}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    return make_inbox(tmp_path_factory.mktemp("batch") / "inbox")


def test_every_file_gets_a_result_and_a_stray_file_is_not_fatal(inbox, tmp_path):
    out = tmp_path / "out"
    # --no-tr3: the reader's own reject mode (with TR3 the bad CLM02 rejects its whole
    # transaction set, as a 999 would: tests/test_batch_tr3.py)
    result = run_batch(inbox, out, workers=2, tr3=False, assume_dme_drug=True)
    m = manifest(out)
    assert sorted(m) == ["README.txt", "claims0.837", "claims1.837", "claims2.837",
                         "claims3.837"]
    assert m["README.txt"]["status"] == "not-x12" and "ISA" in m["README.txt"]["reason"]
    assert m["README.txt"]["claims_in"] == 0 and m["README.txt"]["remits"] == []
    bad = m["claims0.837"]
    assert (bad["status"], bad["claims_in"], bad["claims_rejected"], bad["claims_out"]) == (
        "adjudicated", 150, 1, 149)
    assert bad["rejects"][0]["patient_control_number"] == "PCN00000002"
    assert "CLM02" in bad["rejects"][0]["reason"]
    # the CLM's position in the input file (segments counted from 1, ISA = 1)
    segs = [x.strip() for x in (inbox / "claims0.837").read_bytes().split(b"~")]
    assert segs[bad["rejects"][0]["segment_index"] - 1].startswith(b"CLM*PCN00000002*5X5*")
    for name in ("claims1.837", "claims2.837", "claims3.837"):
        assert (m[name]["claims_in"], m[name]["claims_out"]) == (150, 150)
        assert m[name]["remits"] == ["remit.835"]
        assert len(m[name]["sha256"]) == 64
    # 600 claims read, 1 rejected: 599 remitted in one 835 for the whole batch, one
    # transaction per payer x payee (the billing providers of the inbox), whatever the
    # partitions (8 here: 2 workers x 4) each payee's claims came from
    assert sum(r["claims"] for r in result.remits) == 599 == sum(clps(out).values())
    assert [f for f in os.listdir(out) if f.endswith(".835")] == ["remit.835"]
    payees = {s.split(b"*")[9] for p in inbox.glob("*.837") for s in p.read_bytes().split(b"~")
              if s.strip().startswith(b"NM1*85*")}
    (remit,) = result.remits
    remittances = list(read_835((out / "remit.835").read_bytes()))
    assert remit["transactions"] == len(remittances) == len(payees) >= 2
    assert sorted(r.payee.id for r in remittances) == sorted(p.decode() for p in payees)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["by_status"] == {"adjudicated": 4, "not-x12": 1}
    assert (summary["claims_in"], summary["claims_out"], summary["claims_rejected"]) == (
        600, 599, 1)
    assert not (out / ".work").exists()  # the shards (PHI) are gone


def test_decisions_do_not_depend_on_the_workers(inbox, tmp_path):
    got = {}
    for n in (1, 2, 3):
        run_batch(inbox, tmp_path / f"w{n}", workers=n, tr3=False, assume_dme_drug=True)
        got[n] = clps(tmp_path / f"w{n}")
    # the same as one adjudicate run over the X12 files
    whole = tmp_path / "whole.835"
    adjudicate(sorted(str(p) for p in inbox.glob("*.837")), output=str(whole),
               assume_dme_drug=True)
    (tmp_path / "whole").mkdir()
    whole.rename(tmp_path / "whole" / "whole.835")
    want = clps(tmp_path / "whole")
    assert len(want) == 599 and sum(k[4] for k in want) > Decimal("100000")
    assert got[1] == got[2] == got[3] == want


def test_a_batch_is_not_started_twice_and_resume_checks_its_inputs(tmp_path):
    inbox = make_inbox(tmp_path / "in", files=2, claims=20, bad_claim=False)
    out = tmp_path / "out"
    (out / ".work").mkdir(parents=True)
    (out / "batch.json").write_text(json.dumps({"workers": 2, "history": None, "files": []}))
    with pytest.raises(EdiHitError, match="holds a batch already"):
        run_batch(inbox, out, workers=2)
    with pytest.raises(EdiHitError, match="input files changed"):
        run_batch(inbox, out, workers=2, resume=True)
    (out / "batch.json").unlink()
    with pytest.raises(EdiHitError, match="inside"):
        run_batch(inbox, inbox / "out", workers=2)
    first = run_batch(inbox, out, workers=2, assume_dme_drug=True)
    manifest_bytes = (out / "manifest.ndjson").read_bytes()
    again = run_batch(inbox, out, workers=2, resume=True)  # complete: nothing is done again
    assert again.to_dict() == {**first.to_dict(), "resumed": True}
    assert (out / "manifest.ndjson").read_bytes() == manifest_bytes


def test_the_same_content_twice_is_one_input(tmp_path):
    inbox = make_inbox(tmp_path / "in", files=1, claims=30, bad_claim=False)
    (inbox / "copy.837").write_bytes((inbox / "claims0.837").read_bytes())
    out = tmp_path / "out"
    run_batch(inbox, out, workers=2, assume_dme_drug=True)
    m = manifest(out)
    # files go in name order: claims0.837 is adjudicated, copy.837 is its duplicate
    assert m["claims0.837"]["status"] == "adjudicated" and m["claims0.837"]["claims_out"] == 30
    assert m["copy.837"]["status"] == "duplicate" and m["copy.837"]["claims_out"] == 0
    assert "claims0.837" in m["copy.837"]["reason"]
    assert sum(clps(out).values()) == 30


# -- SIGKILL at random points, then --resume -----------------------------------------------

def kill_and_resume(start, rng, whole: float, *, max_kills: int, earliest: float) -> int:
    """Start a batch (start(attempt) -> Popen in its own process group) and SIGKILL its
    whole group at a random point of its run, up to max_kills times, resuming after
    each; then let it finish: it must exit 0. Returns how many times it was killed."""
    kills = 0
    for attempt in range(40):
        proc = start(attempt)
        if kills < max_kills:
            try:  # a random point of the run: split, adjudicate, commit, publish
                proc.wait(timeout=rng.uniform(earliest, 0.8) * whole)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
        rc = proc.wait(timeout=300)
        if rc == 0:
            return kills
        pytest.fail(f"attempt {attempt}: exit {rc}: {proc.stderr.read().decode()}")
    pytest.fail("the batch never finished")  # pragma: no cover


def _batch(inbox, out, db, resume: bool) -> subprocess.Popen:
    args = ["batch", str(inbox), "-o", str(out), "--workers", "2", "--assume-dme-drug",
            "--now", NOW, "--no-tr3", "--allow-rejects"] + (
                ["--history", str(db)] if db else []) + (
            ["--resume"] if resume else [])
    return subprocess.Popen(CLI + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # its own group: kill the workers too


@pytest.mark.parametrize("seed,history", [(3, True), (11, True), (5, False)])
def test_sigkill_at_random_points_then_resume_decides_every_claim_once(tmp_path, seed, history):
    rng = random.Random(seed)
    inbox = make_inbox(tmp_path / "in", files=5, claims=300)
    ref_out, ref_db = tmp_path / "ref", tmp_path / "ref.db"
    done = _batch(inbox, ref_out, ref_db, resume=False)
    start = time.monotonic()
    assert done.wait(timeout=300) == 0, done.stderr.read()
    whole = time.monotonic() - start
    want = clps(ref_out)
    assert sum(want.values()) == 1499  # 1,500 claims, one rejected by the reader

    out, db = tmp_path / "out", tmp_path / "h.db" if history else None
    kills = kill_and_resume(lambda attempt: _batch(inbox, out, db, resume=attempt > 0),
                            rng, whole, max_kills=6, earliest=0.02)
    assert kills >= 1
    # every claim decided once: the 835s carry each claim once and say what the
    # uninterrupted batch said; the ledger holds each claim once
    assert clps(out) == want
    if history:  # (without one a partition is done when its 835 and report are in place)
        with SQLiteHistory(db) as h:
            assert h.check() == []
            assert h.db.execute("SELECT COUNT(*), COUNT(DISTINCT icn) FROM claims"
                                ).fetchone() == (1499, 1499)
            committed = h.db.execute("SELECT COUNT(*) FROM runs WHERE status IN "
                                     "('committed', 'done')").fetchone()[0]
            assert committed == 1  # one ledger run for the batch, whatever the kills
    # the manifest is complete: every file, with its result
    m = manifest(out)
    assert len(m) == 6 and m["README.txt"]["status"] == "not-x12"
    assert [m[f"claims{i}.837"]["claims_out"] for i in range(5)] == [299, 300, 300, 300, 300]
    assert m == {k: v for k, v in manifest(ref_out).items()}
