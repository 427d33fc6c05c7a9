"""Benchmark: the HTML remittance report of a big 835, time and peak memory.

Writes a synthetic HIT 837P (tools/synth.py, --claims claims, --providers billing
providers), adjudicates it into an 835 (one transaction set per provider, so each
transaction holds claims/providers claims), then in fresh child processes:
  (a) report: edi_hit.report.write_report(read_835(835)) to an HTML file;
  (b) for comparison, what `edi-hit read-835` does: every Remittance as one JSON
      document in memory.
and prints seconds, peak RSS and output size of each. The report reads one
Remittance (one transaction set) at a time, so its memory follows the largest
transaction set, not the file: run with more --providers to see it fall.

    python tools/bench_report.py [--claims 143000] [--providers 3 50]

The default makes an 835 of about 64 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import write_hit_837  # noqa: E402

SRC = str(Path(__file__).resolve().parents[1])

REPORT = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
from edi_hit.x835 import read_835
from edi_hit.report import write_report
t0 = time.perf_counter()
with open({out!r}, "w", encoding="utf-8") as out:
    tally = write_report(read_835({path!r}), out)
print(json.dumps({{"seconds": time.perf_counter() - t0, "claims": tally.claims,
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""

WHOLE_JSON = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
from edi_hit.x835 import read_835
t0 = time.perf_counter()
doc = {{"remittances": [r.to_dict() for r in read_835({path!r})]}}
with open({out!r}, "w", encoding="utf-8") as out:
    json.dump(doc, out, indent=1)
print(json.dumps({{"seconds": time.perf_counter() - t0,
                  "claims": sum(len(r["claims"]) for r in doc["remittances"]),
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""

MAKE_835 = """
import sys
sys.path.insert(0, {src!r})
from datetime import datetime
from edi_hit.pipeline import adjudicate
adjudicate([{path!r}], output={out!r}, assume_dme_drug=True, now=datetime(2026, 12, 1),
           control_number=1)
"""


def child(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"child failed:\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=143_000)
    ap.add_argument("--providers", type=int, nargs="+", default=[3, 50])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="edi-hit-bench-report-") as tmp:
        for providers in args.providers:
            src837 = os.path.join(tmp, f"p{providers}.837")
            src835 = os.path.join(tmp, f"p{providers}.835")
            write_hit_837(src837, args.claims, providers=providers)
            child(MAKE_835.format(src=SRC, path=src837, out=src835))
            mb = os.path.getsize(src835) / 1e6
            print(f"835: {mb:.1f} MB, {args.claims:,} claims, {providers} transaction sets "
                  f"(about {args.claims // providers:,} claims each)")
            for name, code, ext in (("report (HTML)", REPORT, "html"),
                                    ("whole JSON (read-835)", WHOLE_JSON, "json")):
                out = os.path.join(tmp, f"out.{ext}")
                r = child(code.format(src=SRC, path=src835, out=out))
                print(f"  {name:22s} {r['seconds']:7.1f} s  peak RSS {r['rss_kb'] / 1024:7.0f} MB"
                      f"  output {os.path.getsize(out) / 1e6:6.1f} MB  ({r['claims']:,} claims)")
                os.unlink(out)
            os.unlink(src837)
            os.unlink(src835)


if __name__ == "__main__":
    main()
