"""Benchmark: how fast edi-hit turns 837P bytes into typed claims, against the ceiling.

In one run, on one synthetic HIT 837P (tools/synth.py, default 10,000 claims, about
210,000 segments, no line breaks):
  (a) ceiling: raw `bytes.split` of the file into segments and each into elements,
      nothing kept;
  (b) edi-hit's tokenizer (SegmentReader: each segment split into its elements, as the
      typed parse reads them);
  (c) edi-hit's typed parse (read_837p -> Claim objects, each claim's lines counted);
  (d) edi-hit's lazy parse (read_837p(lazy=True): every claim decided, none decoded);
  (e) the lazy parse with every claim then decoded (its lines counted);
in segments per second of CPU time (time.process_time, so a busy machine distorts less),
the median of --repeat rounds (each round runs every job once, in turn), and the ratio
of each to (a). Then the peak RSS of a child
process that parses a 1,000,000-claim file eagerly, and of one that parses it lazily
(--big 0 skips them).

    python tools/bench_parse.py [--claims 10000] [--big 1000000] [--repeat 3]

Targets (issue 14): (c) >= 0.15 of (a), (d) >= 0.45 of (a); peak RSS < 100 MB both ways.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import repeat
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth import write_hit_837  # noqa: E402


def medians(jobs, path, runs):
    """Each job's (median CPU seconds, its result), the jobs run in turn, `runs` rounds:
    a machine that slows down meanwhile slows every job alike."""
    times = [[] for _ in jobs]
    results = [None] * len(jobs)
    for _ in range(runs):
        for i, job in enumerate(jobs):
            t0 = time.process_time()
            results[i] = job(path)
            times[i].append(time.process_time() - t0)
    return [(statistics.median(t), r) for t, r in zip(times, results)]


def raw_split(path):
    data = Path(path).read_bytes()
    n = 0
    for seg in data.split(b"~"):
        seg.split(b"*")
        n += 1
    return n - 1  # the piece after the last terminator


def tokenize(path):
    from edi_hit.x12 import SegmentReader
    reader = SegmentReader(path)
    n = 0
    for parts in reader.segment_texts():
        for _ in map(str.split, parts, repeat(reader.delimiters.element)):
            n += 1
    return n


def typed_parse(path):
    from edi_hit.x837p import read_837p
    claims = lines = 0
    for claim in read_837p(path):
        claims += 1
        lines += len(claim.lines)
    return claims, lines


def lazy_parse(path):
    from edi_hit.x837p import read_837p
    claims = 0
    for _ in read_837p(path, lazy=True):
        claims += 1
    return claims, None


def lazy_decoded(path):
    from edi_hit.x837p import read_837p
    claims = lines = 0
    for claim in read_837p(path, lazy=True):
        claims += 1
        lines += len(claim.lines)
    return claims, lines


CHILD = """
import resource, sys, time
sys.path.insert(0, {src!r})
from edi_hit.x837p import read_837p
t0 = time.process_time(); n = 0
for claim in read_837p({path!r}, lazy={lazy!r}):
    n += 1
dt = time.process_time() - t0
print(n, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def big_run(path, lazy, segments):
    src = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", CHILD.format(src=src, path=path, lazy=lazy)],
                         capture_output=True, text=True, check=True).stdout.split()
    n, dt, rss_kb = int(out[0]), float(out[1]), int(out[2])
    label = "lazy" if lazy else "typed"
    print(f"big {label + ' parse:':12s} {n:,} claims in {dt:.1f} s CPU "
          f"({segments / dt:,.0f} segments/s), peak RSS {rss_kb / 1024:.1f} MB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=10_000)
    ap.add_argument("--big", type=int, default=1_000_000, help="claims in the RSS file (0 skips)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    args = ap.parse_args(argv)

    path = os.path.join(args.workdir, f"edi-hit-bench-{args.claims}-{os.getpid()}.837")
    segments = write_hit_837(path, args.claims, line_break=False)
    size = os.path.getsize(path)
    print(f"file: {args.claims:,} claims, {segments:,} segments, {size / 1e6:.1f} MB; "
          f"CPU time, median of {args.repeat}")
    jobs = [("(a) ceiling, bytes.split:", raw_split), ("(b) edi-hit tokenizer:", tokenize),
            ("(c) edi-hit typed parse:", typed_parse), ("(d) edi-hit lazy parse:", lazy_parse),
            ("(e) lazy, then decoded:", lazy_decoded)]
    try:
        measured = medians([job for _, job in jobs], path, args.repeat)
    finally:
        os.unlink(path)
    t_raw = measured[0][0]
    for (label, _), (t, result) in zip(jobs, measured):
        if isinstance(result, int):    # (a), (b): segments
            assert result == segments, (label, result, segments)
            note = ""
        else:
            claims, lines = result
            assert claims == args.claims, (label, claims)
            note = f"  [{claims:,} claims" + (f", {lines:,} lines]" if lines else "]")
        print(f"{label:27s} {segments / t:12,.0f} segments/s  ({t_raw / t:.3f} of ceiling){note}")

    if args.big:
        big = os.path.join(args.workdir, f"edi-hit-bench-{args.big}-{os.getpid()}.837")
        t0 = time.perf_counter()
        big_segments = write_hit_837(big, args.big, line_break=False)
        print(f"big file: {args.big:,} claims, {big_segments:,} segments, "
              f"{os.path.getsize(big) / 1e9:.2f} GB (written in {time.perf_counter() - t0:.0f} s)")
        try:
            big_run(big, False, big_segments)
            big_run(big, True, big_segments)
        finally:
            os.unlink(big)


if __name__ == "__main__":
    main()
