"""Benchmark: adjudicate a synthetic HIT 837P end to end (837P -> price -> 835).

For each --claims-per-st value, writes a synthetic file of --claims claims
(tools/synth.py: three G-code lines a claim, about 21 segments a claim, three
suppliers), then runs `edi_hit.pipeline` on it in a fresh child process and
reports input segments per second and the child's peak RSS. The child prices with an
in-memory history and assume_dme_drug (so lines are paid and the full money path runs).
The time includes the whole run: the pre-scan of the file, reading it (the 837P
reader in reject mode), pricing, the 835.

    python tools/bench_pipeline.py [--claims 100000] [--claims-per-st 0 5000] [--batch-size N]

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
s = adjudicate([{path!r}], output={out!r}, assume_dme_drug=True,
               now=datetime(2026, 12, 1), control_number=1, **kw)
dt = time.perf_counter() - t0
print(json.dumps({{"seconds": dt, "claims": s.claims, "lines_paid": s.lines_paid,
                  "lines_denied": s.lines_denied, "paid": str(s.total_paid),
                  "transactions": len(s.transactions),
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def run(path: str, out: str, batch: int | None) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.format(src=SRC, path=path, out=out, batch=batch)],
        capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"child failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--claims-per-st", type=int, nargs="+", default=[0, 5000],
                    help="claims per ST in the input (0: one ST for the whole file)")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="beneficiaries priced together (default: adjudicate's)")
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    args = ap.parse_args(argv)

    results = []
    for per_st in args.claims_per_st:
        path = os.path.join(args.workdir, f"edi-hit-pipeline-{args.claims}-{per_st}.837")
        out = path[:-4] + ".835"
        segments = write_hit_837(path, args.claims, claims_per_st=per_st or None)
        r = run(path, out, args.batch_size)
        rate = segments / r["seconds"]
        out_size = os.path.getsize(out)
        print(f"claims/ST {per_st or 'all':>6}: {args.claims:,} claims, {segments:,} segments in "
              f"{r['seconds']:.2f} s = {rate:,.0f} input segments/s; peak RSS "
              f"{r['rss_kb'] / 1024:.1f} MB; 835 {out_size / 1e6:.1f} MB in "
              f"{r['transactions']} transaction(s); lines paid {r['lines_paid']:,}, "
              f"denied {r['lines_denied']:,}")
        results.append((rate, r["rss_kb"] / 1024))
        os.unlink(path)
        os.unlink(out)
    ok = all(rate >= 150_000 and rss < 150 for rate, rss in results)
    print("targets (>= 150,000 segments/s, < 150 MB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
