#!/usr/bin/env python3
# Long fuzz campaigns against edi-hit's readers (the test suite runs short ones).
#
# Strategy: take valid X12 files as seeds, mutate them (truncate, drop or double a
# terminator, swap delimiters, insert random or non-ASCII/control bytes, a huge
# element, flip a byte) and feed the result to a target. A target may raise only
# edi-hit's own errors (EdiHitError); anything else, or a run slower than --slow
# seconds, is a crash: the input is saved under --crashes and the campaign goes on.
# With atheris installed (`pip install atheris`) and --atheris, libFuzzer drives the
# mutations with coverage feedback instead.
#
#   python tools/fuzz.py --seconds 600                     all targets, random mutations
#   python tools/fuzz.py --target validate --seconds 3600 fixtures/validate/*.837
#   python tools/fuzz.py --atheris --target reader -- -max_total_time=600
from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import traceback
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edi_hit.errors import EdiHitError  # noqa: E402

ODD = [b"\xc3\xa9", b"\xff\xfe", b"\x00", b"\x1b", b"\x85", b"\xe2\x80\xa8", b"\r", b"\n",
       b"\xef\xbb\xbf", b"ISA", b"~~", b"**", b"::", b"^"]
DELIMS = [b"*", b"~", b":", b"^", b"\n", b"|", b">"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["truncate", "drop", "double", "swap", "insert", "odd", "huge", "flip"])
        at = rng.randint(0, len(data))
        if kind == "truncate":
            data = data[:at]
        elif kind in ("drop", "double"):
            i = data.find(b"~", at)
            if i >= 0:
                data = data[:i] + (b"~~" if kind == "double" else b"") + data[i + 1:]
        elif kind == "swap":
            a, b = rng.sample(DELIMS, 2)
            data = data.replace(a, b"\x01").replace(b, a).replace(b"\x01", b)
        elif kind == "insert":
            data = data[:at] + rng.randbytes(rng.randint(1, 16)) + data[at:]
        elif kind == "odd":
            data = data[:at] + rng.choice(ODD) + data[at:]
        elif kind == "huge":
            data = data[:at] + b"A" * rng.randint(1_000, 2_000_000) + data[at:]
        elif kind == "flip" and data:
            i = min(at, len(data) - 1)
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    return data


def target_reader(data: bytes) -> None:
    from edi_hit.x12 import SegmentReader, check_envelopes
    check_envelopes(SegmentReader(data, name="fuzz"))


def target_837p(data: bytes) -> None:
    from edi_hit.x837p import read_837p
    for claim in read_837p(data, name="fuzz"):
        claim.to_dict()


def target_835(data: bytes) -> None:
    from edi_hit.x835 import read_835
    for remit in read_835(data, name="fuzz"):
        remit.to_dict()


def target_validate(data: bytes) -> None:
    from edi_hit.validation import validate, write_999, write_ta1
    report = validate(data, name="fuzz", levels=(1, 3, 4), today=date(2026, 6, 1))
    report.to_dict()
    if report.interchanges:
        for writer in (write_999, write_ta1):
            try:
                writer(report)
            except EdiHitError:
                pass


def target_validate_tr3(data: bytes) -> None:
    from edi_hit.validation import validate
    validate(data[:20_000], name="fuzz", today=date(2026, 6, 1))


TARGETS = {"reader": target_reader, "837p": target_837p, "835": target_835,
           "validate": target_validate, "tr3": target_validate_tr3}


def default_seeds() -> list[Path]:
    seeds = sorted((ROOT / "fixtures").rglob("*.837"))
    corpus = ROOT.parent / "shared" / "corpus"
    for kind in ("837p", "835"):
        if (corpus / kind).is_dir():
            seeds += sorted(p for p in (corpus / kind).iterdir() if p.stat().st_size < 50_000)
    return seeds


def run_one(fn, data: bytes, slow: float, crashes: Path, name: str) -> bool:
    start = time.perf_counter()
    try:
        fn(data)
        problem = None
    except EdiHitError:
        problem = None
    except Exception:
        problem = traceback.format_exc()
    took = time.perf_counter() - start
    if problem is None and took > slow:
        problem = f"slow: {took:.2f} s for {len(data)} bytes"
    if problem is None:
        return True
    crashes.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    (crashes / f"{name}-{digest}.x12").write_bytes(data)
    (crashes / f"{name}-{digest}.txt").write_text(problem)
    print(f"\n[{name}] {problem.strip().splitlines()[-1]} -> {crashes / (name + '-' + digest)}.x12",
          file=sys.stderr)
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("seeds", nargs="*", type=Path, help="valid X12 files to mutate")
    ap.add_argument("--target", choices=sorted(TARGETS) + ["all"], default="all")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=None, help="random seed (reproducible runs)")
    ap.add_argument("--slow", type=float, default=5.0, help="seconds after which a run is a hang")
    ap.add_argument("--crashes", type=Path, default=Path("fuzz-crashes"))
    ap.add_argument("--atheris", action="store_true", help="use atheris (libFuzzer) if installed")
    args, rest = ap.parse_known_args(argv)
    seeds = [p.read_bytes() for p in (args.seeds or default_seeds())]
    if not seeds:
        ap.error("no seed files")
    names = sorted(TARGETS) if args.target == "all" else [args.target]
    if args.atheris:
        try:
            import atheris
        except ImportError:
            print("atheris is not installed: pip install atheris (falling back to random "
                  "mutations)", file=sys.stderr)
        else:
            fn = TARGETS[names[0]]

            def one(data: bytes) -> None:
                try:
                    fn(data)
                except EdiHitError:
                    pass
            atheris.Setup([sys.argv[0], *rest], one)
            atheris.Fuzz()
            return 0
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds
    runs = failures = 0
    while time.monotonic() < deadline:
        data = mutate(rng.choice(seeds), rng)
        for name in names:
            runs += 1
            failures += not run_one(TARGETS[name], data, args.slow, args.crashes, name)
        if runs % 500 < len(names):
            print(f"\r{runs} runs, {failures} failures", end="", file=sys.stderr)
    print(f"\r{runs} runs, {failures} failures", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
