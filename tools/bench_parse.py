"""Benchmark: how fast edi-hit turns 837P bytes into typed claims, against the ceiling.

In one run, on one synthetic HIT 837P (tools/synth.py, default 10,000 claims, about
210,000 segments):
  (a) ceiling: raw `bytes.split` of the file into segments and elements;
  (b) edi-hit's tokenizer alone (SegmentReader);
  (c) edi-hit's typed parse (read_837p -> Claim objects);
in segments per second, best of --repeat runs, and the ratio (c)/(a). Then the peak
RSS of a child process that parses a 1,000,000-claim file (--big 0 skips it).

    python tools/bench_parse.py [--claims 10000] [--big 1000000] [--repeat 3]

Targets (issue 2): typed parse >= 400,000 segments/s, ratio >= 0.45, peak RSS < 100 MB.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import write_hit_837  # noqa: E402


def best_of(fn, repeat):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def raw_split(path):
    data = Path(path).read_bytes()
    n = 0
    for seg in data.split(b"~"):
        seg.split(b"*")
        n += 1
    return n - 1  # the piece after the last terminator


def tokenize(path):
    from edi_hit.x12 import SegmentReader
    n = 0
    for batch in SegmentReader(path).batches():
        n += len(batch)
    return n


def typed_parse(path):
    from edi_hit.x837p import read_837p
    claims = lines = 0
    for claim in read_837p(path):
        claims += 1
        lines += len(claim.lines)
    return claims, lines


CHILD = """
import resource, sys, time
sys.path.insert(0, {src!r})
from edi_hit.x837p import read_837p
t0 = time.perf_counter(); n = 0
for claim in read_837p({path!r}):
    n += 1
dt = time.perf_counter() - t0
print(n, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=10_000)
    ap.add_argument("--big", type=int, default=1_000_000, help="claims in the RSS file (0 skips)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    args = ap.parse_args(argv)

    path = os.path.join(args.workdir, f"edi-hit-bench-{args.claims}.837")
    segments = write_hit_837(path, args.claims, line_break=False)
    size = os.path.getsize(path)
    print(f"file: {args.claims:,} claims, {segments:,} segments, {size / 1e6:.1f} MB")

    t_raw, n_raw = best_of(lambda: raw_split(path), args.repeat)
    assert n_raw == segments, (n_raw, segments)
    t_tok, n_tok = best_of(lambda: tokenize(path), args.repeat)
    assert n_tok == segments, (n_tok, segments)
    t_typed, (claims, lines) = best_of(lambda: typed_parse(path), args.repeat)
    assert claims == args.claims, claims
    raw_rate, tok_rate, typed_rate = segments / t_raw, segments / t_tok, segments / t_typed
    print(f"(a) ceiling, bytes.split:   {raw_rate:12,.0f} segments/s")
    print(f"(b) edi-hit tokenizer:      {tok_rate:12,.0f} segments/s  ({tok_rate / raw_rate:.2f} of ceiling)")
    print(f"(c) edi-hit typed parse:    {typed_rate:12,.0f} segments/s  ({typed_rate / raw_rate:.2f} of ceiling)"
          f"  [{claims:,} claims, {lines:,} lines]")
    os.unlink(path)

    if args.big:
        big = os.path.join(args.workdir, f"edi-hit-bench-{args.big}.837")
        t0 = time.perf_counter()
        big_segments = write_hit_837(big, args.big, line_break=False)
        print(f"big file: {args.big:,} claims, {big_segments:,} segments, "
              f"{os.path.getsize(big) / 1e9:.2f} GB (written in {time.perf_counter() - t0:.0f} s)")
        src = str(Path(__file__).resolve().parents[1])
        out = subprocess.run([sys.executable, "-c", CHILD.format(src=src, path=big)],
                             capture_output=True, text=True, check=True).stdout.split()
        n, dt, rss_kb = int(out[0]), float(out[1]), int(out[2])
        os.unlink(big)
        print(f"big parse: {n:,} claims in {dt:.1f} s ({big_segments / dt:,.0f} segments/s), "
              f"peak RSS {rss_kb / 1024:.1f} MB")


if __name__ == "__main__":
    main()
