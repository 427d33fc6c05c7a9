"""Benchmark: memory of parse, validate and adjudicate on input without terminators.

Writes an ISA (with its terminator) followed by --mb megabytes of text that holds no
segment terminator (default 200 MB), then runs each command as its own process and
prints its peak RSS (the child's ru_maxrss), its exit status and the one line it
printed. Without bounds the reader buffered the whole rest looking for a terminator
(about 2 GB for 200 MB); the target is < 100 MB for every command.

    python tools/bench_bounded.py [--mb 200] [--workdir /tmp]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

ISA = (b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
       b"*261101*1200*^*00501*000000001*0*T*:~")

CHILD = """
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
line = (r.stderr.strip().splitlines() or r.stdout.strip().splitlines() or [''])[-1]
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, line[:160], sep='\\t')
"""


def write_file(path: str, megabytes: int) -> None:
    block = b"A" * (1 << 20)
    with open(path, "wb") as fh:
        fh.write(ISA)
        for _ in range(megabytes):
            fh.write(block)


def peak(cmd: list[str]) -> tuple[int, float, str]:
    out = subprocess.run([sys.executable, "-c", CHILD, *cmd], capture_output=True, text=True,
                         check=True).stdout.strip().split("\t")
    return int(out[0]), int(out[1]) / 1024, out[2] if len(out) > 2 else ""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    args = ap.parse_args(argv)
    path = os.path.join(args.workdir, f"edi-hit-unterminated-{args.mb}mb.837")
    write_file(path, args.mb)
    out = os.path.join(args.workdir, "edi-hit-bench-bounded.out")
    exe = [sys.executable, "-c", "from edi_hit.cli import main; main()"]
    commands = {
        "parse": [*exe, "parse", path, "-o", out],
        "validate (all levels)": [*exe, "validate", path],
        "validate --no-tr3": [*exe, "validate", path, "--no-tr3"],
        "adjudicate": [*exe, "adjudicate", path, "-o", out],
    }
    print(f"file: ISA + {args.mb} MB without a segment terminator "
          f"({os.path.getsize(path) / 1e6:.0f} MB)")
    try:
        for label, cmd in commands.items():
            status, rss, line = peak(cmd)
            print(f"{label:22} exit {status}  peak RSS {rss:6.1f} MB  | {line}")
    finally:
        os.unlink(path)
        if os.path.exists(out):
            os.unlink(out)


if __name__ == "__main__":
    main()
