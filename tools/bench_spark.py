"""Benchmark: `edi-hit spark-adjudicate` on local Spark against plain `adjudicate`.

Writes --files synthetic 837P files of --claims claims each (tools/synth.py, three
G-code lines a claim) whose members come from one pool of --members beneficiaries, so
every beneficiary has claims in many files (interleaved). Then runs, each as a whole
process of its own: `edi-hit adjudicate` on all the files (one process, one core) and
`edi-hit spark-adjudicate --master local[2]`; reports claims per second, wall time and
the peak RSS (the sum over the process tree - driver, JVM, Python workers - sampled
every 0.2 s), and checks that the two 835s carry the same amounts (BPR02 per payee,
CLP04 per claim).

    python tools/bench_spark.py [--files 20] [--claims 10000] [--members 2000]
                                [--master local[2]] [--workdir DIR] [--json]

For tools/bench_batch.py's Spark row: spark_row(files, outdir, master="local[2]")
returns {"claims", "seconds", "claims_per_s", "peak_rss_mb", "payment", "output"} for
inputs written already.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import random_mbi, write_hit_837  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-12-01T12:00"
_MEMBER = re.compile(r"(NM1\*IL\*1\*DOE\*PAT\*\*\*\*MI\*)([0-9A-Z]{11})")


def write_inputs(folder: Path, files: int, claims: int, members: int, seed: int = 7) -> list[Path]:
    """`files` synthetic 837Ps of `claims` claims each; every member id drawn from one
    pool of `members` beneficiaries (interleaved across files)."""
    rng = random.Random(seed)
    pool = [random_mbi(rng) for _ in range(members)]
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in range(files):
        path = folder / f"in{f:03d}.837"
        write_hit_837(path, claims, claims_per_st=5000, seed=seed + f)
        text = path.read_text()
        path.write_text(_MEMBER.sub(lambda m: m.group(1) + rng.choice(pool), text))
        out.append(path)
    return out


def _tree_rss_kb(pid: int) -> int:
    """RSS of a process and all its descendants, in kB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, ()))
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def timed(cmd: list[str]) -> dict:
    """Run a command; wall seconds and the peak RSS of its process tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.2)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": round(peak / 1024, 1), "stdout": out}


def amounts(path: Path) -> dict:
    """BPR02 per payee and CLP04 per (CLP01, CLP07): what must be equal."""
    from edi_hit.x835 import read_835

    out: dict = {}
    for remit in read_835(path):
        out[("BPR", remit.payee.id)] = remit.payment_amount
        for c in remit.claims:
            out[(c.patient_control_number, c.payer_claim_control_number)] = (
                c.paid, tuple(ln.paid for ln in c.lines))
    return out


def _edi_hit(*args: str) -> list[str]:
    return [sys.executable, "-c", "from edi_hit.cli import main; main()", *args]


def spark_row(files: list, outdir, master: str = "local[2]") -> dict:
    """The Spark row: spark-adjudicate on these files (a whole process)."""
    got = timed(_edi_hit("spark-adjudicate", *map(str, files), "-o", str(outdir), "--master",
                         master, "--assume-dme-drug", "--now", NOW))
    summary = json.loads((Path(outdir) / "summary.json").read_text())
    claims = summary["claims"]
    return {"claims": claims, "seconds": round(got["seconds"], 2),
            "claims_per_s": round(claims / got["seconds"]),
            "peak_rss_mb": got["peak_rss_mb"], "payment": summary["payment"],
            "output": str(Path(outdir) / "remit.835")}


def plain_row(files: list, output) -> dict:
    got = timed(_edi_hit("adjudicate", *map(str, files), "-o", str(output), "--assume-dme-drug",
                         "--now", NOW, "--report", f"{output}.json"))
    summary = json.loads(Path(f"{output}.json").read_text())
    return {"claims": summary["claims"], "seconds": round(got["seconds"], 2),
            "claims_per_s": round(summary["claims"] / got["seconds"]),
            "peak_rss_mb": got["peak_rss_mb"], "payment": summary["payment"],
            "output": str(output)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--claims", type=int, default=10_000)
    ap.add_argument("--members", type=int, default=2_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--workdir")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="edi-hit-bench-spark-"))
    files = write_inputs(work / "in", args.files, args.claims, args.members)
    plain = plain_row(files, work / "plain.835")
    spark = spark_row(files, work / "spark", args.master)
    same = amounts(Path(plain["output"])) == amounts(Path(spark["output"]))
    rows = {"adjudicate (one process)": plain, f"spark-adjudicate {args.master}": spark}
    if args.json:
        print(json.dumps({"rows": rows, "same_amounts": same}, indent=1))
        return
    print(f"{args.files} files x {args.claims:,} claims, {args.members:,} beneficiaries "
          f"interleaved; {os.cpu_count()} cores")
    print(f"{'what':<28} {'claims':>9} {'seconds':>8} {'claims/s':>9} {'peak RSS':>10} payment")
    for name, r in rows.items():
        print(f"{name:<28} {r['claims']:>9,} {r['seconds']:>8.1f} {r['claims_per_s']:>9,} "
              f"{r['peak_rss_mb']:>7.1f} MB {Decimal(r['payment']):,}")
    print(f"identical 835 amounts (BPR02 per payee, CLP04 and SVC03 per claim): {same}")


if __name__ == "__main__":
    main()
