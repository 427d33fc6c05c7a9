"""`edi-hit adjudicate --strict`: the first rejected claim (the reader's, or one no 835
can carry) stops the run before anything is committed: exit 1, one line naming file,
CLM segment index, segment id, CLM01 and the reason; no output, and with a history the
ledger run is aborted and nothing else in the history changes."""
from __future__ import annotations

from pathlib import Path

import pytest

from edi_hit.pipeline import adjudicate
from edi_hit.pricing.history import SQLiteHistory
from edi_hit.pricing.stream import StrictStop
from helpers_runs import cli, counts, one_line_error, temp_files

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "fixtures" / "837p" / "hit_claims.837"
LONG = "NM103 (patient last name) is 61 characters long; the 835 allows 1 to 60"
STOPPED = "(--strict: the run stopped there; nothing was committed and no output was written)"


def _file(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = GOOD.read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text)
    return path


def _long(tmp_path: Path) -> Path:
    """HIT-2026-0002 (CLM at segment 51) with a 61-character subscriber last name."""
    return _file(tmp_path, "long.837", ("NM1*IL*1*ROE*RICHARD", f"NM1*IL*1*{'R' * 61}*RICHARD"))


def _args(src, tmp_path: Path, *extra):
    return ["adjudicate", src, "--assume-dme-drug", "--now", "2026-03-01",
            "-o", tmp_path / "out.835", "--report", tmp_path / "r.json",
            "--manifest", tmp_path / "m.ndjson", *extra]


def _no_outputs(tmp_path: Path) -> None:
    for name in ("out.835", "r.json", "m.ndjson"):
        assert not (tmp_path / name).exists(), name
    assert temp_files(tmp_path) == []


def test_a_claim_no_835_can_carry_stops_the_run(tmp_path):
    src = _long(tmp_path)
    r = cli(*_args(src, tmp_path, "--strict"))
    assert r.exit_code == 1, r.output
    assert one_line_error(r.stderr)
    (error,) = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
    assert error == (f"Error: {src}: segment 51 (CLM): claim HIT-2026-0002 rejected: {LONG} "
                     f"{STOPPED}")
    assert "input claims" not in r.stderr      # no summary: the run did not finish
    assert "RRRRRRRRRR" not in r.output        # the name is PHI
    _no_outputs(tmp_path)


def test_without_strict_the_same_file_is_adjudicated_with_one_reject(tmp_path):
    r = cli(*_args(_long(tmp_path), tmp_path))
    assert r.exit_code == 1, r.output
    assert "(accepted 2, rejected 1)" in r.stderr
    assert (tmp_path / "out.835").exists()


def test_the_readers_rejection_stops_it_too_naming_the_bad_segment(tmp_path):
    # HIT-2026-0001 (CLM at 24) has SV102 '3O0.00' at segment 29: the first claim read
    # stops the run, the carry refusal of HIT-2026-0002 after it is never reached
    src = _file(tmp_path, "both.837", ("SV1*HC:G0068*300.00*", "SV1*HC:G0068*3O0.00*"),
                ("NM1*IL*1*ROE*RICHARD", f"NM1*IL*1*{'R' * 61}*RICHARD"))
    r = cli(*_args(src, tmp_path, "--strict"))
    assert r.exit_code == 1, r.output
    (error,) = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
    assert error.startswith(f"Error: {src}: segment 24 (CLM): claim HIT-2026-0001 rejected: "
                            f"segment 29 (SV1), element SV102: ")
    assert error.endswith(STOPPED)
    _no_outputs(tmp_path)


def test_with_a_history_the_run_aborts_and_nothing_is_recorded(tmp_path):
    hist = tmp_path / "h.db"
    first = cli("adjudicate", GOOD, "--assume-dme-drug", "--now", "2026-03-01",
                "-o", tmp_path / "first.835", "--history", hist)
    assert first.exit_code == 0, first.output
    before = counts(hist)
    assert (before["claims"], before["committed"]) == (3, 1)
    # the same claims under other numbers, one of them poisoned: a new file
    src = _file(tmp_path, "long.837", ("NM1*IL*1*ROE*RICHARD", f"NM1*IL*1*{'R' * 61}*RICHARD"),
                ("BHT*0019*00*HIT0001", "BHT*0019*00*HIT0002"))
    r = cli(*_args(src, tmp_path, "--strict", "--history", hist))
    assert r.exit_code == 1, r.output
    (error,) = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
    assert error == (f"Error: {src}: segment 51 (CLM): claim HIT-2026-0002 rejected: {LONG} "
                     f"{STOPPED}")
    _no_outputs(tmp_path)
    assert counts(hist) == before     # claims, visits, deductible, remits, balances, runs
    with SQLiteHistory(hist, readonly=True) as h:
        statuses = [row[0] for row in h.db.execute("SELECT status FROM runs ORDER BY id")]
        assert h.check() == []
    assert statuses == ["done", "aborted"]
    # the file was not adjudicated: without --strict it runs (and its reject is kept)
    again = cli(*_args(src, tmp_path, "--history", hist))
    assert again.exit_code == 1 and "(accepted 2, rejected 1)" in again.stderr, again.output
    assert counts(hist)["committed"] == 2


def test_strict_on_a_good_file_changes_nothing(tmp_path):
    plain = cli("adjudicate", GOOD, "--assume-dme-drug", "--now", "2026-03-01",
                "-o", tmp_path / "plain.835")
    strict = cli("adjudicate", GOOD, "--assume-dme-drug", "--now", "2026-03-01",
                 "-o", tmp_path / "strict.835", "--strict")
    assert plain.exit_code == strict.exit_code == 0, strict.output
    assert (tmp_path / "plain.835").read_bytes() == (tmp_path / "strict.835").read_bytes()


def test_the_library_raises_strict_stop_with_the_position(tmp_path):
    src = _long(tmp_path)
    with pytest.raises(StrictStop) as caught:
        adjudicate([src], output=tmp_path / "o.835", assume_dme_drug=True, strict=True)
    e = caught.value
    assert (e.file, e.segment_index, e.segment_id) == (str(src), 51, "CLM")
    assert e.message == f"claim HIT-2026-0002 rejected: {LONG}"
    assert not (tmp_path / "o.835").exists() and temp_files(tmp_path) == []
