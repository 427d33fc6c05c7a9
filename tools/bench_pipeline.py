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
                                   [--order ORDER --beneficiaries B] [--cli] [--keep-input]

--order (tools/synth.py: unique, friendly, shuffled, interleaved) and --beneficiaries
choose the claim order of the synthetic file; --cli runs `edi-hit adjudicate` itself
(`python -m edi_hit adjudicate FILE -o OUT --assume-dme-drug --now 2026-12-01
--allow-rejects [--history DB]`, as users run it) instead of the library in a child, and
reports wall and CPU time, the peak RSS and the bytes written to disk (the 835, the
spill, the history; ru_oublock) of that process (os.wait4). Issue 11's
bounded-memory check (peak RSS under 200 MB for 1,000,000 claims in any order, with and
without history; several minutes a run):

    python tools/bench_pipeline.py --cli --claims 1000000 --claims-per-st 0 \
        --order shuffled --beneficiaries 100000 --history

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
from synth import ORDERS, write_hit_837  # noqa: E402

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


def run_cli(path: str, out: str, history: str | None = None,
            contracts: list[str] | None = None) -> dict:
    """`edi-hit adjudicate` as a process of its own: its wall and CPU time, peak RSS."""
    cmd = [sys.executable, "-m", "edi_hit", "adjudicate", path, "-o", out, "--assume-dme-drug",
           "--now", "2026-12-01", "--allow-rejects"]
    cmd += ["--history", history] if history else []
    for c in contracts or ():
        cmd += ["--contract", c]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=err, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        said = err.read().decode("utf-8", "replace")
    if proc.returncode:
        sys.exit(f"edi-hit adjudicate failed ({proc.returncode}):\n{said[-3000:]}")
    summary = {k: v.strip() for k, _, v in (ln.partition("  ") for ln in said.splitlines())
               if k in ("lines", "paid")}
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_kb": usage.ru_maxrss, "written": usage.ru_oublock * 512,
            "lines": summary.get("lines", "?"),
            "paid": summary.get("paid", "?")}


def _remove_history(path: str | None) -> None:
    for suffix in ("", "-wal", "-shm") if path else ():
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


def _count_segments(path: str) -> int:
    """Segments of a kept synthetic file (tools/synth.py ends each with '~')."""
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"~")
    return n


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
    ap.add_argument("--order", choices=ORDERS, default="unique",
                    help="claim order of the synthetic file (tools/synth.py); default unique")
    ap.add_argument("--beneficiaries", type=int, default=100,
                    help="members of a friendly, shuffled or interleaved file (default 100)")
    ap.add_argument("--cli", action="store_true",
                    help="run `edi-hit adjudicate` as users do (its own process: wall and "
                         "CPU time, peak RSS) instead of the library in a child")
    ap.add_argument("--keep-input", action="store_true",
                    help="keep the synthetic 837P in --workdir (and reuse it when present)")
    args = ap.parse_args(argv)
    global GC_TUNED
    GC_TUNED = args.gc_tuned

    results = []
    for per_st in args.claims_per_st:
        order = args.order if args.order == "unique" else f"{args.order}-{args.beneficiaries}"
        path = os.path.join(args.workdir, f"edi-hit-pipeline-{args.claims}-{per_st}-{order}.837")
        out = path[:-4] + ".835"
        if args.keep_input and os.path.exists(path):
            segments = _count_segments(path)
        else:
            segments = write_hit_837(path, args.claims, claims_per_st=per_st or None,
                                     order=args.order, beneficiaries=args.beneficiaries)
        variants = [("in-memory history", None)]
        if args.history:
            variants.append(("history file", os.path.join(args.workdir, "edi-hit-bench-hist.db")))
        for label, hist in variants:
            _remove_history(hist)
            contracts = [os.path.abspath(c) for c in args.contract]
            if args.cli:
                r = run_cli(path, out, hist, contracts)
                extra = f"; history file {os.path.getsize(hist) / 1e6:.1f} MB" if hist else ""
                print(f"claims/ST {per_st or 'all':>6}, {order}, edi-hit adjudicate, {label}: "
                      f"{args.claims:,} claims, {segments:,} segments in {r['seconds']:.1f} s "
                      f"wall ({segments / r['seconds']:,.0f} segments/s, "
                      f"{args.claims / r['seconds']:,.0f} claims/s), {r['cpu']:.1f} s CPU; "
                      f"peak RSS {r['rss_kb'] / 1024:.1f} MB; written to disk "
                      f"{r['written'] / 1e9:.2f} GB; lines {r['lines']}; "
                      f"paid {r['paid']}{extra}", flush=True)
                results.append((segments / r["cpu"], r["rss_kb"] / 1024))
                _remove_history(hist)
                os.unlink(out)
                continue
            r = run(path, out, args.batch_size, hist, contracts)
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
        if not args.keep_input:
            os.unlink(path)
    if args.cli:
        print("peak RSS under 200 MB (issue 11):",
              "met" if all(rss < 200 for _, rss in results) else "NOT met")
        return
    ok = all(rate >= 150_000 and rss < 150 for rate, rss in results)
    print("targets (>= 150,000 segments/s, < 150 MB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
