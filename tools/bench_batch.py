"""Benchmark: `edi-hit batch` over a folder, one worker against two, in one run.

Writes --files synthetic 837Ps (tools/synth.py) of --claims claims each, order
interleaved, every file drawing its members from one seed so that --beneficiaries
beneficiaries have claims in every file (each file's claims are otherwise its own).
Then runs each runner as a child process on the same folder and reports wall time,
claims/s, the peak RSS of the largest process of the run (ru_maxrss of the child's
waited-for descendants: the batch process or its largest worker) and the money: the
payment total and a digest of every CLP (ICN, CLP01, status, charge, paid) of the 835s
written. The digests must be equal across runners (identical decisions).

Runners: batch-1, batch-2 (`batch --workers N`, in-memory history per partition),
batch-1-history, batch-2-history (one SQLite history and ledger for the batch: the
partitions price side by side, the batch's process commits one run) and spark-local2
(`spark-adjudicate --master local[2]`). Another runner plugs in as
RUNNERS[name] = function(indir, outdir) -> argv of a command that writes its 835s
(*.835) into outdir; then `--runner name`.

    python tools/bench_batch.py [--files 20] [--claims 10000] [--beneficiaries 1000]
                                [--runner batch-1 --runner batch-2 ...] [--workdir DIR]

Targets (issue 11): batch-2 >= 1.6x batch-1 in claims/s; peak RSS per worker < 200 MB;
identical 835 amounts.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import write_hit_837  # noqa: E402

SRC = str(Path(__file__).resolve().parents[1])
CLI = [sys.executable, "-c", f"import sys; sys.path.insert(0, {SRC!r}); "
                             "from edi_hit.cli import main; main()"]
COMMON = ["--assume-dme-drug", "--now", "2026-12-01"]


def _batch(workers: int, history: bool, tr3: bool = True) -> Callable[[str, str], list[str]]:
    def argv(indir: str, outdir: str) -> list[str]:
        extra = ["--history", os.path.join(outdir + ".db")] if history else []
        extra += [] if tr3 else ["--no-tr3"]
        return CLI + ["batch", indir, "-o", outdir, "--workers", str(workers), *COMMON, *extra]
    return argv


def _spark(indir: str, outdir: str) -> list[str]:
    return CLI + ["spark-adjudicate", os.path.join(indir, "*.837"), "-o", outdir,
                  "--master", "local[2]", *COMMON]


#: name -> function(indir, outdir) -> argv of a command writing its 835s into outdir.
RUNNERS: dict[str, Callable[[str, str], list[str]]] = {
    "batch-1": _batch(1, False),
    "batch-2": _batch(2, False),
    "batch-1-no-tr3": _batch(1, False, tr3=False),   # the same work as spark-local2
    "batch-2-no-tr3": _batch(2, False, tr3=False),
    "batch-1-history": _batch(1, True),
    "batch-2-history": _batch(2, True),
    "spark-local2": _spark,  # edi-hit spark-adjudicate on local[2] (pip install 'edi-hit[spark]')
}

CHILD = """
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t
print(r.returncode, dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, sep="\\t")
sys.stderr.write(r.stderr[-2000:])
"""


def make_inbox(folder: str, files: int, claims: int, beneficiaries: int) -> int:
    os.makedirs(folder, exist_ok=True)
    for i in range(files):
        write_hit_837(os.path.join(folder, f"claims{i:02d}.837"), claims, order="interleaved",
                      beneficiaries=beneficiaries, seed=i + 1, member_seed=1)
    return files * claims


def money(outdir: str) -> tuple[str, int, str]:
    """(payment total, CLPs, digest of the sorted CLPs) of the 835s in outdir."""
    sys.path.insert(0, SRC)
    from decimal import Decimal

    from edi_hit.x835.read import stream_835

    rows, paid = [], Decimal(0)
    for name in sorted(os.listdir(outdir)):
        if name.endswith(".835"):
            for ev in stream_835(os.path.join(outdir, name)):  # a claim at a time
                c = ev.claim
                if c is None:
                    paid += ev.remittance.signed_payment
                else:
                    rows.append(f"{c.payer_claim_control_number}|{c.patient_control_number}|"
                                f"{c.status_code}|{c.charge}|{c.paid}")
    rows.sort()
    return f"{paid:.2f}", len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def run(name: str, indir: str, workdir: str, claims: int) -> dict:
    outdir = os.path.join(workdir, f"out-{name}")
    shutil.rmtree(outdir, ignore_errors=True)
    for leftover in (outdir + ".db",):
        if os.path.exists(leftover):
            os.unlink(leftover)
    argv = RUNNERS[name](indir, outdir)
    proc = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True)
    rc, seconds, rss = proc.stdout.strip().split("\t")
    if rc != "0":
        raise SystemExit(f"{name} failed ({rc}): {proc.stderr}")
    paid, clps, digest = money(outdir)
    return {"runner": name, "seconds": round(float(seconds), 1),
            "claims_per_s": round(claims / float(seconds)), "peak_rss_mb": round(int(rss) / 1024),
            "payment": paid, "clps": clps, "digest": digest}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--claims", type=int, default=10_000)
    ap.add_argument("--beneficiaries", type=int, default=1000)
    ap.add_argument("--runner", action="append", choices=sorted(RUNNERS), default=None)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args(argv)
    runners = args.runner or ["batch-1", "batch-2"]
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-batch-")
    indir = os.path.join(workdir, "inbox")
    shutil.rmtree(indir, ignore_errors=True)
    total = make_inbox(indir, args.files, args.claims, args.beneficiaries)
    print(f"{args.files} files x {args.claims:,} claims, interleaved, {args.beneficiaries} "
          f"beneficiaries in every file ({total:,} claims); workdir {workdir}", flush=True)
    results = []
    width = max(map(len, runners))
    for name in runners:
        r = run(name, indir, workdir, total)
        results.append(r)
        print(f"{r['runner']:<{width}}  {r['seconds']:>7.1f} s  {r['claims_per_s']:>7,} claims/s"
              f"  peak RSS {r['peak_rss_mb']:>4} MB  payment {r['payment']}  "
              f"{r['clps']:,} CLPs  digest {r['digest']}", flush=True)
    by = {r["runner"]: r for r in results}
    for one, two in (("batch-1", "batch-2"), ("batch-1-no-tr3", "batch-2-no-tr3"),
                     ("batch-1-history", "batch-2-history")):
        if one in by and two in by:
            print(f"speed-up {two} / {one}: "
                  f"{by[two]['claims_per_s'] / by[one]['claims_per_s']:.2f}x (target 1.6x)")
    same = len({r["digest"] for r in results}) == 1
    print("identical 835 amounts across runners:", "yes" if same else "NO")
    print(json.dumps(results))
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
