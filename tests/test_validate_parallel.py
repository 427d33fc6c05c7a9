# validate on every core: files in a pool of processes, level 2 of a large file in a
# child process; the reports are the same as in one process, in the same order.
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main as cli
from edi_hit.validation import parallel, validate
from edi_hit.validation.tr3map import remote

TODAY = date(2026, 6, 1)
HIT = FIXTURES / "validate" / "hit_valid.837"


@pytest.fixture
def small_is_large(monkeypatch):
    """Let the test files, a few KB each, count as large enough to parallelise."""
    monkeypatch.setattr(remote, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)


def files(tmp_path):
    """Four files: valid, TR3 errors (both subscribers' N301 56 characters, at most 55),
    a level 4 error (an NPI check digit), not X12."""
    text = HIT.read_text()
    made = {"a.837": text, "b.837": text.replace("N3*12 OAK AVE", "N3*" + "A" * 56),
            "c.837": text.replace("XX*1234567893", "XX*1234567890"), "d.837": "{}"}
    paths = []
    for name, body in made.items():
        (tmp_path / name).write_text(body)
        paths.append(str(tmp_path / name))
    return paths


def test_pool_gives_the_same_reports_in_order(tmp_path, small_is_large):
    paths = files(tmp_path)
    one = [r.to_dict() for r in parallel.validate_files(paths, jobs=1, today=TODAY)]
    two = [r.to_dict() for r in parallel.validate_files(paths, jobs=2, today=TODAY)]
    assert two == one
    assert [r["file"] for r in two] == paths
    assert [r["valid"] for r in two] == [True, False, False, False]
    assert [f["code"] for f in two[1]["findings"]] == ["tr3-element", "tr3-element"]


def test_level_2_in_a_child_gives_the_same_report(tmp_path, small_is_large):
    bad = files(tmp_path)[1]
    inline = validate(bad, today=TODAY)
    split = validate(bad, today=TODAY, jobs=2)
    assert split.to_dict() == inline.to_dict()
    assert [(i.code, i.segment_index, i.element) for i in split.issues] == \
        [("tr3-element", 16, "N301"), ("tr3-element", 31, "N301")]


def test_small_file_stays_in_one_process(monkeypatch):
    monkeypatch.setattr(remote, "RemoteTr3", lambda *a, **k: pytest.fail("forked"))
    assert validate(HIT, today=TODAY, jobs=2).ok


def test_a_failed_child_fails_closed_not_a_crash(tmp_path, small_is_large, monkeypatch):
    # level 2 did not run: the file is not valid, and the one error says why
    def broken(*args, **kw):
        raise MemoryError("out of memory")
    monkeypatch.setattr(remote, "run_tr3_engine", broken)
    report = validate(files(tmp_path)[1], today=TODAY, jobs=2)
    level2 = [i for i in report.issues if i.level == 2]
    assert [(i.severity, i.code) for i in level2] == [("error", "tr3-incomplete")]
    assert "MemoryError: out of memory" in level2[0].message and not report.ok


def test_cli_jobs_prints_in_order_and_exits_the_same(tmp_path, small_is_large):
    paths = files(tmp_path)
    runs = [CliRunner().invoke(cli, ["validate", "--format", "json", "--today", "2026-06-01",
                                     "-j", jobs, *paths]) for jobs in ("1", "2")]
    assert [r.exit_code for r in runs] == [1, 1]
    docs = [json.loads(r.stdout) for r in runs]
    assert docs[0] == docs[1] and [f["file"] for f in docs[0]["files"]] == paths


def test_a_child_sends_every_issue_back(tmp_path, small_is_large):
    # the report keeps every issue (exact counts): the child process must send them all
    bad = files(tmp_path)[1]       # two tr3-element issues
    inline, split = validate(bad, today=TODAY), validate(bad, today=TODAY, jobs=2)
    assert split.to_dict(all_findings=True) == inline.to_dict(all_findings=True)
    assert [i.code for i in split.issues] == ["tr3-element", "tr3-element"]