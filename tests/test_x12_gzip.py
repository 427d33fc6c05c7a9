# gzip inputs (issue 13): known by their magic bytes, not their name, read in the x12
# layer's source opening, so the library and every command that reads X12 take them,
# from a path, bytes, a stream or stdin, in bounded memory; and `python -m edi_hit`.
from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tracemalloc
from pathlib import Path

from click.testing import CliRunner

from edi_hit import read_835, read_837p
from edi_hit.cli import main

ROOT = Path(__file__).resolve().parent.parent
HIT = ROOT / "fixtures" / "837p" / "hit_claims.837"
D60_835 = ROOT / "fixtures" / "scenarios" / "day60_initial.835"
sys.path.insert(0, str(ROOT / "tools"))


def gz(path: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(path.read_bytes()))
    return target


def claims(source) -> list[dict]:
    return [c.to_dict() for c in read_837p(source)]


def test_the_library_reads_gzip_from_a_path_bytes_and_a_stream(tmp_path):
    plain = claims(HIT)
    assert len(plain) == 3
    packed = gz(HIT, tmp_path / "claims.837")            # no .gz in the name
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert claims(packed) == plain
    assert claims(packed.read_bytes()) == plain
    assert claims(io.BytesIO(packed.read_bytes())) == plain
    remit = gz(D60_835, tmp_path / "remit.835.gz")
    def remits(source):
        return [{k: v for k, v in r.to_dict().items() if k != "file"} for r in read_835(source)]

    assert remits(remit) == remits(D60_835) and len(remits(remit)) == 2


def run(argv, stdin=None):
    r = CliRunner().invoke(main, ["-q", *map(str, argv)], input=stdin)
    assert "Traceback" not in r.output
    return r


def test_every_x12_command_reads_gzip_as_the_plain_file(tmp_path):
    packed = gz(HIT, tmp_path / "hit.837.gz")
    remit = gz(D60_835, tmp_path / "remit.835.gz")
    for argv, plain_argv in [
        (["parse", packed], ["parse", HIT]),
        (["price", "-", "--format", "csv"], ["price", HIT, "--format", "csv"]),
        (["adjudicate", packed, "--now", "2026-03-01"], ["adjudicate", HIT, "--now", "2026-03-01"]),
        (["read-835", remit, "--format", "csv"], ["read-835", D60_835, "--format", "csv"]),
        (["validate", packed, "-j", "1"], ["validate", HIT, "-j", "1"]),
    ]:
        got = run(argv, stdin=packed.read_bytes() if "-" in argv else None)
        want = run(plain_argv)
        assert (got.exit_code, want.exit_code) == (0, 0), (argv, got.output)
        names = (str(packed), str(remit), str(HIT), str(D60_835))
        normal = got.stdout
        for n in names:   # validate and read-835 name the file they read
            normal = normal.replace(n, "FILE")
        expected = want.stdout
        for n in names:
            expected = expected.replace(n, "FILE")
        assert normal == expected, argv


def _peak(source) -> tuple[int, int]:
    tracemalloc.start()
    try:
        n = sum(1 for _ in read_837p(source, lazy=True))
        return n, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gzip_is_read_in_the_memory_the_plain_file_takes(tmp_path):
    from synth import write_hit_837

    plain = tmp_path / "big.837"
    write_hit_837(plain, 20_000, claims_per_st=1000)
    size = plain.stat().st_size
    packed = gz(plain, tmp_path / "big.837.gz")
    (n_plain, plain_peak), (n_gz, gz_peak) = _peak(plain), _peak(packed)
    assert n_plain == n_gz == 20_000
    # decompressed as it is read: the plain read's peak plus gzip's own buffers (< 1 MB);
    # holding the decompressed file would add its 8.5 MB
    assert size > 8_000_000 and gz_peak < plain_peak + 1_000_000, (size, plain_peak, gz_peak)


def test_python_m_edi_hit_is_the_command_line():
    r = subprocess.run([sys.executable, "-m", "edi_hit", "--help"], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.startswith("Usage: edi-hit [OPTIONS] COMMAND")
    r = subprocess.run([sys.executable, "-m", "edi_hit", "parse", str(HIT), "--format",
                        "ndjson"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3
    r = subprocess.run([sys.executable, "-m", "edi_hit", "parse", "missing.837"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_broken_gzip_is_one_line_naming_the_file(tmp_path):
    broken = tmp_path / "cut.837"
    broken.write_bytes(gzip.compress(HIT.read_bytes())[:300])   # cut inside the stream
    r = run(["parse", broken])
    assert r.exit_code == 1
    assert r.stderr == (f"Error: {broken}: the input is gzip-compressed but cannot be "
                        "decompressed: Compressed file ended before the end-of-stream marker "
                        "was reached\n")
