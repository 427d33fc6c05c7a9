# One large file on several processes, cut between transaction sets (shards.py): the
# report is the same as with one process, issue for issue (codes, positions, order),
# claim for claim, and the acknowledgments are the same bytes.
from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import ROOT
from edi_hit.validation import shards, validate, write_999, write_277ca

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

TODAY = date(2027, 6, 1)


def _set(text: str, n: int) -> tuple[int, int]:
    """(start, end) of the n-th transaction set (1-based) in text."""
    at = -1
    for _ in range(n):
        at = text.index("ST*837*", at + 1)
    return at, text.index("SE*", at)


def _in_set(text: str, n: int, old: str, new: str) -> str:
    start, end = _set(text, n)
    assert old in text[start:end], (n, old)
    return text[:start] + text[start:end].replace(old, new, 1) + text[end:]


def multi_set_file(tmp_path: Path, *, line_break: bool = True) -> str:
    """24 claims in 8 sets of 3, with errors in five of them:
    set 2 an NPI check digit (level 4), set 3 an N301 of 56 characters (level 2, at
    most 55), set 5 a CLM02 that is not the sum of its lines (level 3), set 6 an SE01
    count (level 1, the envelope's), set 7 a control character (level 1, syntax)."""
    path = tmp_path / "multi.837"
    write_hit_837(str(path), 24, claims_per_st=3, line_break=line_break)
    text = path.read_text()
    text = _in_set(text, 2, "XX*1234567810", "XX*1234567811")
    text = _in_set(text, 3, "N3*1 ELM STREET", "N3*" + "A" * 56)
    text = _in_set(text, 5, "*800***", "*801***") if "*800***" in text[slice(*_set(text, 5))] \
        else _in_set(text, 5, "CLM*PCN00000013*", "CLM*PCN00000013*1")
    start, end = _set(text, 6)
    se = text.index("SE*", start)
    count = text[se + 3:text.index("*", se + 3)]
    text = text[:se] + f"SE*{int(count) + 1}" + text[text.index("*", se + 3):]
    text = _in_set(text, 7, "N3*1 ELM STREET", "N3*1 ELM\x01STREET")
    path.write_text(text)
    return str(path)


@pytest.fixture
def small_is_large(monkeypatch):
    """Let a test file of a few KB count as large enough to cut."""
    monkeypatch.setattr(shards, "SHARD_MIN_BYTES", 0)


def _same(a, b) -> None:
    assert [i.to_dict() for i in a.issues] == [i.to_dict() for i in b.issues]
    assert a.to_dict(all_findings=True) == b.to_dict(all_findings=True)
    assert a.counts() == b.counts()
    assert a.segments == b.segments


def _ack(report, writer, source=None) -> bytes:
    out = io.BytesIO()
    if source is None:
        writer(report, out, control_number=1)
    else:
        writer(report, source, out, control_number=1)
    return out.getvalue()


@pytest.mark.parametrize("jobs", [2, 3, 5])
@pytest.mark.parametrize("line_break", [True, False])
def test_cut_between_sets_gives_the_same_report(tmp_path, small_is_large, jobs, line_break):
    path = multi_set_file(tmp_path, line_break=line_break)
    plan = shards.plan(path, jobs)
    assert plan is not None and len(plan.runs) == jobs
    assert all(r.prime.startswith(b"ISA*") for r in plan.runs[1:])
    one = validate(path, today=TODAY, jobs=1)
    many = validate(path, today=TODAY, jobs=jobs)
    _same(one, many)
    codes = {(i.level, i.code) for i in one.issues if i.severity == "error"}
    # one error of each level, in five different sets
    assert {(4, "npi-check-digit"), (1, "se01-count"), (1, "invalid-character")} <= codes
    assert {lvl for lvl, _ in codes} == {1, 2, 3, 4}
    rejected_sets = [t.control_number for t in one.transactions if not t.accepted]
    assert len(rejected_sets) >= 3
    assert _ack(one, write_999) == _ack(many, write_999)
    now = dict(now=None)
    assert _ack(one, lambda r, s, o, **k: write_277ca(r, s, o, **k, **now), path) == \
        _ack(many, lambda r, s, o, **k: write_277ca(r, s, o, **k, **now), path)


def test_the_runs_are_really_other_processes(tmp_path, small_is_large, monkeypatch):
    import os
    path = multi_set_file(tmp_path)
    seen = []
    real = shards._run_one

    def spy(p, k, make, name):
        result = real(p, k, make, name)
        result.issues.append(os.getpid())     # which process ran run k
        return result
    monkeypatch.setattr(shards, "_run_one", spy)
    monkeypatch.setattr(shards, "_merge", lambda p, report, results, add: seen.extend(
        r.issues[-1] for r in results))
    validate(path, today=TODAY, jobs=3)
    assert seen[0] == os.getpid() and len(set(seen)) == 3    # the first run here


def test_one_huge_set_is_not_cut(tmp_path, small_is_large):
    path = tmp_path / "one.837"
    write_hit_837(str(path), 30, line_break=False)
    assert shards.plan(str(path), 2) is None      # nothing to cut between


@pytest.mark.parametrize("change", ["duplicate ST02", "text between sets", "empty segment"])
def test_what_cannot_be_cut_runs_whole_and_agrees(tmp_path, small_is_large, change):
    path = Path(multi_set_file(tmp_path))
    text = path.read_text()
    if change == "duplicate ST02":
        text = text.replace("ST*837*0003*", "ST*837*0002*").replace("SE*87*0003", "SE*87*0002")
    elif change == "text between sets":
        se = text.index("SE*", text.index("ST*837*0002"))
        after = text.index("~", se) + 2
        text = text[:after] + "NTE*ADD*STRAY~\n" + text[after:]
    else:
        text = text.replace("~\nHI*", "~\n~\nHI*", 1)
    path.write_text(text)
    assert shards.plan(str(path), 2) is None
    _same(validate(str(path), today=TODAY, jobs=1), validate(str(path), today=TODAY, jobs=2))


def test_a_failed_run_sends_the_file_back_to_one_pass(tmp_path, small_is_large, monkeypatch):
    path = multi_set_file(tmp_path)
    one = validate(path, today=TODAY, jobs=1)
    real = shards._run_one

    def failing(p, k, make, name):
        result = real(p, k, make, name)
        if k == 0:
            result.failed = "a segment could not be read"
        return result
    monkeypatch.setattr(shards, "_run_one", failing)
    _same(one, validate(path, today=TODAY, jobs=2))


def test_more_than_twenty_control_characters_are_capped_across_runs(tmp_path, small_is_large):
    path = Path(tmp_path / "ctl.837")
    write_hit_837(str(path), 30, claims_per_st=3)
    path.write_text(path.read_text().replace("N3*1 ELM STREET", "N3*1 ELM\x02STREET"))
    one = validate(str(path), today=TODAY, jobs=1)
    many = validate(str(path), today=TODAY, jobs=3)
    assert sum(i.code == "invalid-character" for i in one.issues) == 20   # 30 in the file
    _same(one, many)


def _x12_files() -> list[Path]:
    from conftest import FIXTURES, corpus_files
    found = sorted(FIXTURES.glob("**/*.8*"))
    return found + [p for kind in ("837p", "835", "invalid") for p in corpus_files(kind)]


def test_every_fixture_and_corpus_file_that_can_be_cut_agrees(small_is_large):
    """837Ps and 835s of the fixtures and ../shared/corpus (when it is there): every file
    with more than one transaction set and plain envelopes is cut, and agrees."""
    cut = 0
    for path in _x12_files():
        if shards.plan(str(path), 2) is None:
            continue
        cut += 1
        _same(validate(str(path), today=TODAY, jobs=1), validate(str(path), today=TODAY, jobs=2))
    assert cut >= 3    # the fixtures alone hold several multi-set files


def test_an_interrupt_leaves_no_run_behind(tmp_path, small_is_large, monkeypatch):
    import multiprocessing
    import time
    path = multi_set_file(tmp_path)

    def slow_or_interrupted(p, k, make, name):
        if k == 0:
            raise KeyboardInterrupt   # Ctrl-C while this process runs the first run
        time.sleep(60)                # the others would still be running
    monkeypatch.setattr(shards, "_run_one", slow_or_interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        validate(path, today=TODAY, jobs=3)
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == []
