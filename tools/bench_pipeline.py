"""Benchmark: adjudicate a synthetic HIT 837P end to end (837P -> price -> 835).

For each --claims-per-st value, writes a synthetic file of --claims claims
(tools/synth.py: three G-code lines a claim, about 21 segments a claim, three
suppliers), then runs `edi_hit.pipeline` on it in a fresh child process and
reports input segments per second and the child's peak RSS. The child prices with an
in-memory history and assume_dme_drug (so lines are paid and the full money path runs).
The time includes the whole run: the pre-scan of the file, reading it (the 837P
reader in reject mode), pricing, the 835.

--contract PATH (repeatable) loads payer contracts into the run (e.g. fixtures/contracts/):
the synthetic claims are Medicare Part B claims (SBR09 MB) no contract selects, so this
measures the cost of the contract engine loaded but not selected (issue 12: within 10%).

--history adds, for each file, a run with a history file (created fresh): the
exactly-once run with its ledger - inputs hashed, history and ledger rows (claims,
lines, visits, deductible, remittance positions) staged under the write lock, the 835
fsynced, hashed and kept compressed in the ledger, one commit, the rename. It also
reports the history file's size.

    python tools/bench_pipeline.py [--claims 100000] [--claims-per-st 0 5000] [--batch-size N]
                                   [--history] [--contract PATH ...] [--gc-tuned]

0 claims per ST means one ST for the whole file. Targets (issue 4): >= 150,000 input
segments/s on one core, peak RSS under 150 MB, both independent of claims per ST.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import write_hit_837  # noqa: E402

SRC = str(Path(__file__).resolve().parents[1])

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
from datetime import datetime
from edi_hit.pipeline import adjudicate
t0 = time.perf_counter()
kw = {{}} if {batch} is None else {{"batch_size": {batch}}}
if {history!r}:
    kw["history"] = {history!r}
if {contracts!r}:
    kw["contracts"] = {contracts!r}
import contextlib
from edi_hit.cli.common import gc_tuned
with gc_tuned() if {gc!r} else contextlib.nullcontext():
    s = adjudicate([{path!r}], output={out!r}, assume_dme_drug=True,
                   now=datetime(2026, 12, 1), control_number=1, **kw)
dt = time.perf_counter() - t0
print(json.dumps({{"seconds": dt, "claims": s.claims, "lines_paid": s.lines_paid,
                  "lines_denied": s.lines_denied, "paid": str(s.total_paid),
                  "transactions": len(s.transactions),
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


GC_TUNED = False   # --gc-tuned: the collector as `edi-hit adjudicate` sets it


def run(path: str, out: str, batch: int | None, history: str | None = None,
        contracts: list[str] | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.format(src=SRC, path=path, out=out, batch=batch,
                                            history=history, contracts=contracts or [],
                                            gc=GC_TUNED)],
        capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _remove_history(path: str | None) -> None:
    for suffix in ("", "-wal", "-shm") if path else ():
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--claims-per-st", type=int, nargs="+", default=[0, 5000],
                    help="claims per ST in the input (0: one ST for the whole file)")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="beneficiaries priced together (default: adjudicate's)")
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    ap.add_argument("--history", action="store_true",
                    help="also run each file with a fresh history file (ledger, exactly once)")
    ap.add_argument("--contract", action="append", default=[],
                    help="payer contract file or folder loaded into every run (repeatable)")
    ap.add_argument("--gc-tuned", action="store_true",
                    help="tune the garbage collector around the run as `edi-hit adjudicate` "
                         "does (edi_hit.cli.common.gc_tuned); the library never does")
    args = ap.parse_args(argv)
    global GC_TUNED
    GC_TUNED = args.gc_tuned

    results = []
    for per_st in args.claims_per_st:
        path = os.path.join(args.workdir, f"edi-hit-pipeline-{args.claims}-{per_st}.837")
        out = path[:-4] + ".835"
        segments = write_hit_837(path, args.claims, claims_per_st=per_st or None)
        variants = [("in-memory history", None)]
        if args.history:
            variants.append(("history file", os.path.join(args.workdir, "edi-hit-bench-hist.db")))
        for label, hist in variants:
            _remove_history(hist)
            r = run(path, out, args.batch_size, hist,
                    [os.path.abspath(c) for c in args.contract])
            rate = segments / r["seconds"]
            out_size = os.path.getsize(out)
            extra = f"; history file {os.path.getsize(hist) / 1e6:.1f} MB" if hist else ""
            print(f"claims/ST {per_st or 'all':>6}, {label}: {args.claims:,} claims, "
                  f"{segments:,} segments in {r['seconds']:.2f} s = {rate:,.0f} input segments/s; "
                  f"peak RSS {r['rss_kb'] / 1024:.1f} MB; 835 {out_size / 1e6:.1f} MB in "
                  f"{r['transactions']} transaction(s); lines paid {r['lines_paid']:,}, "
                  f"denied {r['lines_denied']:,}{extra}")
            if hist is None:
                results.append((rate, r["rss_kb"] / 1024))
            _remove_history(hist)
            os.unlink(out)
        os.unlink(path)
    ok = all(rate >= 150_000 and rss < 150 for rate, rss in results)
    print("targets (>= 150,000 segments/s, < 150 MB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
