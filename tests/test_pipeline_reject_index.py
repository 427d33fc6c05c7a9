"""A claim the 835 cannot carry (x835/carry.py: a control character, an over-long value)
is rejected before pricing with its CLM's segment index and file, like a claim the
reader rejects: in `adjudicate --report`, the summary table and `--manifest`."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from edi_hit.pipeline import adjudicate
from edi_hit.x12.reader import find_segments

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "fixtures" / "837p" / "hit_claims.837"
CTL = "NM103 (patient last name) contains a control character, which no 835 can carry"
LONG = "NM103 (patient last name) is 61 characters long; the 835 allows 1 to 60"


def _clm_index(text: str, pcn: str) -> int:
    """The 1-based position of CLM*pcn among the file's segments, counted by hand."""
    segments = [s.strip() for s in text.split("~") if s.strip()]
    return next(n for n, s in enumerate(segments, 1) if s.startswith(f"CLM*{pcn}*"))


def _poisoned(tmp_path: Path, name: str, *, first: str | None = None,
              second: str | None = None) -> Path:
    """hit_claims.837 with the subscriber name of HIT-2026-0001 (DOE, segment 18) and/or
    HIT-2026-0002 (ROE, segment 44) replaced."""
    text = GOOD.read_text()
    if first is not None:
        text = text.replace("NM1*IL*1*DOE*JANE", f"NM1*IL*1*{first}*JANE", 1)
    if second is not None:
        text = text.replace("NM1*IL*1*ROE*RICHARD", f"NM1*IL*1*{second}*RICHARD", 1)
    path = tmp_path / name
    path.write_text(text)
    return path


def _run(tmp_path: Path, *inputs, stdin: bytes | None = None):
    from click.testing import CliRunner

    from edi_hit.cli import main

    args = ["adjudicate", *map(str, inputs), "--assume-dme-drug", "--now", "2026-03-01",
            "-o", str(tmp_path / "out.835"), "--report", str(tmp_path / "r.json"),
            "--manifest", str(tmp_path / "m.ndjson")]
    r = CliRunner().invoke(main, args, input=stdin)
    report = json.loads((tmp_path / "r.json").read_text())
    manifest = [json.loads(x) for x in (tmp_path / "m.ndjson").read_text().splitlines()]
    return r, report, [m for m in manifest if m["status"] == "rejected"]


def test_a_control_character_in_a_name_gives_the_clm_index_everywhere(tmp_path):
    src = _poisoned(tmp_path, "ctl.837", second="RO\x01E")
    assert _clm_index(src.read_text(), "HIT-2026-0002") == 51
    r, report, rejected = _run(tmp_path, src)
    assert r.exit_code == 1, r.output
    assert report["rejects"] == [{"file": str(src), "patient_control_number": "HIT-2026-0002",
                                  "segment_index": 51, "reason": CTL, "findings": []}]
    assert [(m["file"], m["segment_index"], m["patient_control_number"], m["reason"])
            for m in rejected] == [(str(src), 51, "HIT-2026-0002", CTL)]
    assert f"  HIT-2026-0002 ({src}, CLM at segment 51): {CTL}" in r.stderr.splitlines()
    assert "RO\x01E" not in r.output   # the value is PHI: only its element is named


def test_two_refused_claims_of_one_file_each_get_their_own_index(tmp_path):
    src = _poisoned(tmp_path, "two.837", first="D" * 61, second="RO\x01E")
    text = src.read_text()
    assert (_clm_index(text, "HIT-2026-0001"), _clm_index(text, "HIT-2026-0002")) == (24, 51)
    r, report, rejected = _run(tmp_path, src)
    assert r.exit_code == 1, r.output
    assert [(x["patient_control_number"], x["segment_index"], x["reason"])
            for x in report["rejects"]] == [("HIT-2026-0001", 24, LONG), ("HIT-2026-0002", 51, CTL)]
    assert [m["segment_index"] for m in rejected] == [24, 51]


def test_the_index_is_counted_within_its_own_file(tmp_path):
    # the refused claim is in the second file: its index is that file's, not the run's
    good = tmp_path / "good.837"
    good.write_bytes(GOOD.read_bytes().replace(b"HIT-2026-000", b"OTHER-000"))
    src = _poisoned(tmp_path, "long.837", second="R" * 61)
    r, report, rejected = _run(tmp_path, good, src)
    assert r.exit_code == 1, r.output
    assert [(x["file"], x["segment_index"]) for x in report["rejects"]] == [(str(src), 51)]
    assert [(m["file"], m["segment_index"]) for m in rejected] == [(str(src), 51)]


def test_stdin_is_spooled_and_located_too(tmp_path):
    src = _poisoned(tmp_path, "long.837", second="R" * 61)
    r, report, _ = _run(tmp_path, "-", stdin=src.read_bytes())
    assert r.exit_code == 1, r.output
    assert [(x["patient_control_number"], x["segment_index"], x["reason"])
            for x in report["rejects"]] == [("HIT-2026-0002", 51, LONG)]


def test_a_binary_file_object_read_from_where_it_stood(tmp_path):
    # the library takes open files: the index counts from where the read began, and
    # the file is put back where the read left it
    src = _poisoned(tmp_path, "long.837", second="R" * 61)
    data = b"junk before the interchange" + src.read_bytes()
    fh = io.BytesIO(data)
    fh.seek(len(b"junk before the interchange"))
    summary = adjudicate([fh], output=tmp_path / "o.835", assume_dme_drug=True)
    assert [(r["patient_control_number"], r["segment_index"]) for r in summary.rejects] == [
        ("HIT-2026-0002", 51)]
    assert fh.tell() == len(data)


def test_a_gzip_file_is_located_by_its_content(tmp_path):
    src = _poisoned(tmp_path, "long.837", second="R" * 61)
    packed = tmp_path / "long.837.gz"
    packed.write_bytes(gzip.compress(src.read_bytes()))
    summary = adjudicate([packed], output=tmp_path / "o.835", assume_dme_drug=True)
    assert [(r["file"], r["segment_index"]) for r in summary.rejects] == [(str(packed), 51)]


def test_find_segments_counts_as_the_reader_does(tmp_path):
    # the reader's own rejection of HIT-2026-0002 (a bad SV102) names its CLM: 51
    from edi_hit.x837p import read_837p

    bad = tmp_path / "bad.837"
    bad.write_text(GOOD.read_text().replace("SV1*HC:G0088*425.50*", "SV1*HC:G0088*4X5.50*"))
    (rej,) = [c for c in read_837p(bad, errors="reject") if c.__class__.__name__ ==
              "RejectedClaim"]
    found = find_segments(bad, "CLM", [1, 2])
    assert rej.segment_index == found[1][0] == 51
    assert found[1][1][1] == "HIT-2026-0002"
    assert found[2][0] == 66 and found[2][1][1] == "HIT-2026-0003"
    assert find_segments(bad, "CLM", [7]) == {}   # there are three
