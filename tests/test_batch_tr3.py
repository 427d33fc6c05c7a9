"""`edi-hit batch --tr3` (the default): each file is validated at levels 1-2 with
edi-hit's own TR3 engine in the split; a transaction set a 999 would reject is not
priced (its claims are listed rejected with the finding code and segment position,
no PHI), the file's other sets are priced exactly as `adjudicate` prices them alone;
`--no-tr3` prices every set as before."""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter

import pytest
from click.testing import CliRunner

from conftest import ROOT
from edi_hit.batch import run_batch
from edi_hit.cli import main
from edi_hit.errors import EdiHitError
from edi_hit.pipeline import adjudicate
from edi_hit.pricing import SQLiteHistory
from edi_hit.x835 import read_835
from pyx12_oracle import pyx12_errors
from test_batch import kill_and_resume

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

# BHT02 (Transaction Set Purpose Code) must be 00 or 18 in 005010X222A1: 99 is outside
# the code list, a TR3 (level 2) error the reader itself does not reject.
GOOD_BHT, BAD_BHT = b"BHT*0019*00*SYN2*", b"BHT*0019*99*SYN2*"
REASON = ("transaction set ST02 0002 rejected by validation (levels 1-2): tr3-element at "
          "segment {index} (BHT BHT02)")


def bad_second_st(path) -> None:
    data = path.read_bytes()
    assert data.count(GOOD_BHT) == 1  # the BHT of ST 0002 (BHT03 is SYN<ST02>)
    path.write_bytes(data.replace(GOOD_BHT, BAD_BHT))


def segments(path) -> list[bytes]:
    return [s.strip() for s in path.read_bytes().split(b"~") if s.strip()]


def set_of(path, st02: str) -> tuple[list[str], int]:
    """The CLM01s of transaction set st02, and the 1-based position of its BHT."""
    segs = segments(path)
    start = segs.index(f"ST*837*{st02}*005010X222A1".encode())
    end = next(i for i in range(start, len(segs)) if segs[i].startswith(b"SE*"))
    pcns = [s.split(b"*")[1].decode() for s in segs[start:end] if s.startswith(b"CLM*")]
    return pcns, start + 2


def without_set(path, st02: str, out) -> None:
    """The file with transaction set st02 removed (GE01 one less): what TR3 lets through."""
    segs = segments(path)
    start = segs.index(f"ST*837*{st02}*005010X222A1".encode())
    end = next(i for i in range(start, len(segs)) if segs[i].startswith(b"SE*"))
    kept = segs[:start] + segs[end + 1:]
    ge = next(i for i, s in enumerate(kept) if s.startswith(b"GE*"))
    n, control = kept[ge].split(b"*")[1:]
    kept[ge] = b"GE*%d*%s" % (int(n) - 1, control)
    out.write_bytes(b"~\n".join(kept) + b"~\n")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """clean.837 (one ST, 40 claims), mixed.837 (three STs of 10 claims; the second
    with a TR3 error), allbad.837 (one ST of 12 claims, with the TR3 error).
    Different seeds: no beneficiary in two files."""
    folder = tmp_path_factory.mktemp("tr3") / "inbox"
    folder.mkdir()
    write_hit_837(folder / "clean.837", 40, order="interleaved", beneficiaries=8, seed=1)
    write_hit_837(folder / "mixed.837", 30, claims_per_st=10, order="interleaved",
                  beneficiaries=6, seed=7)
    bad_second_st(folder / "mixed.837")
    # a one-set file: its BHT03 is SYN1; put the bad code in BHT02 all the same
    write_hit_837(folder / "allbad.837", 12, order="interleaved", beneficiaries=3, seed=9)
    data = (folder / "allbad.837").read_bytes()
    assert data.count(b"BHT*0019*00*SYN1*") == 1
    (folder / "allbad.837").write_bytes(data.replace(b"BHT*0019*00*SYN1*",
                                                     b"BHT*0019*99*SYN1*"))
    return folder


def clps(folder) -> Counter:
    """Every CLP of every 835 in folder: (CLP07 ICN, CLP01, CLP02, CLP03, CLP04)."""
    got: Counter = Counter()
    for name in sorted(os.listdir(folder)):
        if name.endswith(".835"):
            data = (folder / name).read_bytes()
            assert pyx12_errors(data) == [], name
            for r in read_835(data):
                for c in r.claims:
                    got[(c.payer_claim_control_number, c.patient_control_number,
                         c.status_code, c.charge, c.paid)] += 1
    return got


def adjudicated(paths, folder) -> Counter:
    """What one `adjudicate` run pays for `paths`, as clps() reads it."""
    folder.mkdir()
    adjudicate([str(p) for p in paths], output=str(folder / "whole.835"),
               assume_dme_drug=True)
    return clps(folder)


def manifest(out) -> dict:
    lines = (out / "manifest.ndjson").read_text().splitlines()
    return {os.path.basename(m["file"]): m for m in map(json.loads, lines)}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_set_tr3_rejects_is_not_priced_and_the_others_are(inbox, tmp_path, workers):
    out = tmp_path / "out"
    result = run_batch(inbox, out, workers=workers, assume_dme_drug=True)
    bad_pcns, bht = set_of(inbox / "mixed.837", "0002")
    assert len(bad_pcns) == 10 and bht == 280  # ISA GS ST(0001) + 275 segments, ST(0002), BHT
    m = manifest(out)
    mixed = m["mixed.837"]
    assert (mixed["status"], mixed["claims_in"], mixed["claims_rejected"],
            mixed["claims_out"]) == ("adjudicated", 30, 10, 20)
    assert [r["patient_control_number"] for r in mixed["rejects"]] == bad_pcns
    for r in mixed["rejects"]:
        assert (r["code"], r["segment_index"], r["transaction_control"]) == (
            "tr3-element", 280, "0002")
        assert r["reason"] == REASON.format(index=280)
    allbad = m["allbad.837"]
    assert (allbad["status"], allbad["claims_in"], allbad["claims_rejected"],
            allbad["claims_out"], allbad["remits"]) == ("rejected", 12, 12, 0, [])
    assert {r["code"] for r in allbad["rejects"]} == {"tr3-element"}
    assert allbad["rejects"][0]["reason"] == (
        "transaction set ST02 0001 rejected by validation (levels 1-2): tr3-element at "
        "segment 4 (BHT BHT02)")  # ISA, GS, ST, BHT
    assert (m["clean.837"]["claims_out"], m["clean.837"]["claims_rejected"]) == (40, 0)
    # 82 claims read, 10 + 12 rejected by TR3: 60 remitted
    assert result.to_dict()["claims_rejected"] == 22
    assert sum(r["claims"] for r in result.remits) == 60

    # paid exactly as adjudicate pays the files without the rejected sets
    without_set(inbox / "mixed.837", "0002", tmp_path / "mixed-ok.837")
    want = adjudicated([inbox / "clean.837", tmp_path / "mixed-ok.837"], tmp_path / "ref")
    got = clps(out)
    assert got == want and sum(got.values()) == 60
    # the rejected set's CLM01s (PCN00000011-20) are remitted once: clean.837's claims
    # of the same numbers, never mixed.837's
    by_pcn = Counter(k[1] for k in got.elements())
    assert [by_pcn[p] for p in bad_pcns] == [1] * 10


def test_no_tr3_prices_every_set_as_before(inbox, tmp_path):
    out = tmp_path / "out"
    run_batch(inbox, out, workers=2, tr3=False, assume_dme_drug=True)
    m = manifest(out)
    assert [(m[f]["claims_in"], m[f]["claims_out"]) for f in
            ("allbad.837", "clean.837", "mixed.837")] == [(12, 12), (40, 40), (30, 30)]
    want = adjudicated(sorted(inbox.glob("*.837")), tmp_path / "ref")
    assert clps(out) == want and sum(want.values()) == 82


def test_cli_reports_the_rejected_set_and_a_resume_keeps_the_setting(inbox, tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["batch", str(inbox), "-o", str(out), "--workers", "2",
                                  "--assume-dme-drug", "--now", "2026-12-01"])
    # rejected claims (and the all-bad file): exit 1, the house rule; every file's
    # result is in the manifest; --allow-rejects makes it 0
    assert r.exit_code == 1, r.output
    assert re.search(r"claims: 82 in, 60 remitted, 22 rejected", r.output)
    assert manifest(out)["mixed.837"]["claims_rejected"] == 10
    summary = json.loads((out / "summary.json").read_text())
    assert summary["by_status"] == {"adjudicated": 2, "rejected": 1}
    # a batch begun with --tr3 is not finished with --no-tr3 (the shards differ)
    (out / "manifest.ndjson").unlink()
    with pytest.raises(EdiHitError, match="began with --tr3"):
        run_batch(inbox, out, workers=2, resume=True, tr3=False)
    r = CliRunner().invoke(main, ["batch", str(inbox), "-o", str(tmp_path / "o2"),
                                  "--no-tr3", "--assume-dme-drug"])
    assert r.exit_code == 0 and "82 in, 82 remitted, 0 rejected" in r.output
    r = CliRunner().invoke(main, ["batch", str(inbox), "-o", str(tmp_path / "o3"),
                                  "--assume-dme-drug", "--allow-rejects"])
    assert r.exit_code == 0 and "82 in, 60 remitted, 22 rejected" in r.output


def test_rejects_name_positions_never_phi(inbox, tmp_path):
    """The manifest names the code and segment of the TR3 error, not the patient's
    name, member id or birth date (all in the rejected claims' 2010BA)."""
    out = tmp_path / "out"
    run_batch(inbox, out, workers=1, assume_dme_drug=True)
    text = (out / "manifest.ndjson").read_text()
    segs = segments(inbox / "mixed.837")
    members = {s.split(b"*")[9].decode() for s in segs if s.startswith(b"NM1*IL*")}
    names = {s.split(b"*")[3].decode() for s in segs if s.startswith(b"NM1*IL*")}
    assert members and names
    for phi in members | names:
        assert phi not in text


def test_sigkill_then_resume_with_tr3_decides_every_claim_once(inbox, tmp_path):
    """The shards stay deterministic with the TR3 gate: a batch killed at random points
    and resumed (on a ledger) remits what an uninterrupted one does, each claim once."""
    rng = random.Random(17)
    cli = [sys.executable, "-c", "from edi_hit.cli import main; main()"]

    def batch(out, db, resume):
        return subprocess.Popen(cli + ["batch", str(inbox), "-o", str(out), "--workers", "2",
                                       "--assume-dme-drug", "--now", "2026-12-01",
                                       "--history", str(db), "--allow-rejects"]
                                + (["--resume"] * resume),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)

    ref = batch(tmp_path / "ref", tmp_path / "ref.db", False)
    start = time.monotonic()
    assert ref.wait(timeout=300) == 0, ref.stderr.read()
    whole = time.monotonic() - start
    kills = kill_and_resume(lambda attempt: batch(tmp_path / "out", tmp_path / "h.db",
                                                  attempt > 0),
                            rng, whole, max_kills=4, earliest=0.05)
    assert kills >= 1
    assert clps(tmp_path / "out") == clps(tmp_path / "ref")
    assert sum(clps(tmp_path / "out").values()) == 60
    assert manifest(tmp_path / "out") == manifest(tmp_path / "ref")
    with SQLiteHistory(tmp_path / "h.db") as h:
        assert h.check() == []
        assert h.db.execute("SELECT COUNT(*), COUNT(DISTINCT icn) FROM claims").fetchone() == (
            60, 60)
