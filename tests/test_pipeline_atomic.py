"""Atomic runs: a failure at any step before the commit leaves the history as it was and
no output or temporary file behind; a crash after it is repaired by the next run; SIGTERM
is handled like SIGINT. Every step of edi_hit.pipeline.faults is broken on purpose."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from edi_hit.pipeline import FAULT_STEPS
from edi_hit.pricing.history import SQLiteHistory
from helpers_runs import (adjudicate_args, cli, cli_fork, cli_process, counts, drugs,
                          history_with_deductible_met, one_line_error, paid_visit, sha256,
                          temp_files, write_claims)

BEFORE_COMMIT = ("locked", "priced", "remitted", "written")
AFTER_COMMIT = ("committed", "published-835", "published", "done")
assert set(BEFORE_COMMIT + AFTER_COMMIT) == set(FAULT_STEPS)


@pytest.fixture
def job(tmp_path):
    """A history with the deductible met, an 837 (a drug claim and a paid visit), and
    the command that adjudicates it with an 835, a report and a manifest."""
    hist = history_with_deductible_met(tmp_path / "h.db")
    src = write_claims(tmp_path / "in.837", [*drugs(), paid_visit()])
    out = tmp_path / "out.835"
    args = adjudicate_args([src], out, hist, "--report", tmp_path / "r.json",
                           "--manifest", tmp_path / "m.ndjson")
    return tmp_path, hist, out, args


def _outputs(folder):
    return sorted(p.name for p in folder.iterdir() if p.name in ("out.835", "r.json", "m.ndjson"))


def _assert_complete(folder, hist, out):
    """After the run (and any repair): the outputs in place, the ledger's 835 = the file,
    the history sound, nothing temporary left."""
    assert _outputs(folder) == ["m.ndjson", "out.835", "r.json"]
    with SQLiteHistory(hist, readonly=True) as h:
        (run,) = [r for r in h.runs() if r.status in ("committed", "done")]
        assert run.status == "done" and h.check() == []
        assert h.run_blob(run.id, "835") == out.read_bytes()
        assert run.output("835").sha256 == sha256(out)
    assert temp_files(folder) == []


@pytest.mark.parametrize("step", BEFORE_COMMIT)
def test_a_failure_before_the_commit_changes_nothing(job, step):
    folder, hist, out, args = job
    before = counts(hist)
    r = cli(*args, env={"EDI_HIT_FAULT": step})
    assert r.exit_code == 1 and one_line_error(r.output), r.output
    assert f"injected fault at step '{step}'" in r.output
    assert "nothing was committed and no output was written" in r.output
    assert counts(hist) == before
    assert _outputs(folder) == [] and temp_files(folder) == []
    with SQLiteHistory(hist, readonly=True) as h:
        (aborted,) = h.runs()
        assert aborted.status == "aborted" and "injected fault" in aborted.error
    # the same command then runs (a failed run is not a replay)
    r = cli(*args)
    assert r.exit_code == 0, r.output
    _assert_complete(folder, hist, out)


@pytest.mark.parametrize("step", ("committed", "published-835", "published"))
def test_a_failure_after_the_commit_is_finished_by_ledger_repair(job, step):
    folder, hist, out, args = job
    r = cli(*args, env={"EDI_HIT_FAULT": step})
    assert r.exit_code == 1 and one_line_error(r.output), r.output
    assert "is committed but its outputs could not all be put in place" in r.output
    assert "ledger repair" in r.output
    r = cli("ledger", "repair", "--history", hist)
    assert r.exit_code == 0 and "repaired: 835" in r.output, r.output
    _assert_complete(folder, hist, out)


def test_a_failure_after_done_says_the_run_is_complete(job):
    folder, hist, out, args = job
    r = cli(*args, env={"EDI_HIT_FAULT": "done"})
    assert r.exit_code == 1 and "committed and its outputs are in place, but then" in r.output
    _assert_complete(folder, hist, out)


@pytest.mark.parametrize("step", FAULT_STEPS)
def test_a_crash_at_any_step_is_undone_or_repaired_by_the_next_run(job, step):
    folder, hist, out, args = job
    before = counts(hist)
    code, _, _ = cli_fork(*args, env={"EDI_HIT_FAULT": f"{step}:kill"})
    assert code == -signal.SIGKILL
    with SQLiteHistory(hist, readonly=True) as h:
        committed = [r for r in h.runs() if r.status in ("committed", "done")]
    if step in BEFORE_COMMIT:
        assert committed == [] and counts(hist) == before and _outputs(folder) == []
    else:
        assert len(committed) == 1
    # the next run: a new run if nothing was committed; else it repairs the crashed run
    # first and then refuses the input as adjudicated already
    code, _, stderr = cli_fork(*args)
    if step in BEFORE_COMMIT:
        assert code == 0, stderr
    else:
        assert code == 1 and "was adjudicated already" in stderr
        if step != "done":
            assert "repaired" in stderr
    _assert_complete(folder, hist, out)


def test_sigterm_before_the_commit_cleans_up_like_sigint(job):
    folder, hist, out, args = job
    before = counts(hist)
    r = cli_process(*args, env={"EDI_HIT_FAULT": "remitted:term"})
    assert r.returncode == 1 and one_line_error(r.stderr), r.stderr
    assert "interrupted (SIGTERM)" in r.stderr
    assert counts(hist) == before and _outputs(folder) == [] and temp_files(folder) == []


def test_sigterm_during_the_commit_waits_for_it_to_end(job):
    folder, hist, out, args = job
    r = cli_process(*args, env={"EDI_HIT_FAULT": "committed:term"})
    assert r.returncode == 1 and "interrupted after run 1 was committed" in r.stderr, r.stderr
    _assert_complete(folder, hist, out)


def test_sigterm_while_waiting_for_the_history(job):
    folder, hist, out, args = job
    holder = SQLiteHistory(hist)
    holder.begin()  # another run holds the history
    proc = subprocess.Popen([sys.executable, "-c", "from edi_hit.cli import main; main()",
                             *map(str, args)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "waiting" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "another run is using the history; waiting for it to finish" in line
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(20) == 1
    finally:
        holder.rollback()
        holder.close()
        if proc.poll() is None:
            proc.kill()
    assert "interrupted (SIGTERM)" in rest and "Traceback" not in rest
    assert _outputs(folder) == [] and temp_files(folder) == []


def test_wait_gives_up_with_one_line(job):
    folder, hist, out, args = job
    holder = SQLiteHistory(hist)
    holder.begin()
    try:
        r = cli_process(*args, "--wait", "0.5")
    finally:
        holder.rollback()
        holder.close()
    assert r.returncode == 1 and one_line_error(r.stderr)
    assert "gave up after 0.5 s (--wait)" in r.stderr
    assert _outputs(folder) == [] and temp_files(folder) == []


def test_a_missing_folder_fails_before_anything_is_decided(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    src = write_claims(tmp_path / "in.837", [*drugs(), paid_visit()])
    before = counts(hist)
    r = cli(*adjudicate_args([src], tmp_path / "nodir" / "o.835", hist))
    assert r.exit_code == 1 and one_line_error(r.output)
    assert "the folder" in r.output and "does not exist" in r.output
    assert counts(hist) == before
    with SQLiteHistory(hist, readonly=True) as h:
        assert h.runs() == []  # refused before the history was even locked


def test_repair_leaves_a_run_that_is_still_publishing_alone(job):
    # found by tools/chaos.py: a second run took the history lock between the first's
    # commit and its renames, and "repaired" the first while it was still working
    import fcntl
    import os

    from edi_hit.pipeline import repair

    folder, hist, out, args = job
    code, _, _ = cli_fork(*args, env={"EDI_HIT_FAULT": "committed:kill"})
    assert code == -signal.SIGKILL
    temp = folder / ".out.835.edi-hit.tmp"
    fd = os.open(temp, os.O_RDONLY)  # as the run that is still putting it in place would
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with SQLiteHistory(hist) as h:
            h.begin()
            assert repair(h) == []
            h.commit()
            assert [r.status for r in h.runs()] == ["committed"]
    finally:
        os.close(fd)
    with SQLiteHistory(hist) as h:  # the lock is gone: the run is dead; repair it
        h.begin()
        (note,) = repair(h)
        h.commit()
    assert "repaired: 835" in note
    _assert_complete(folder, hist, out)


def test_a_second_run_on_the_same_output_fails_at_once_while_the_first_waits(job):
    import fcntl
    import os

    folder, hist, out, args = job
    holder = SQLiteHistory(hist)
    holder.begin()  # a third run holds the history: the first waits for it
    # real processes (exec, not fork: a forked child would inherit this SQLite connection)
    first = subprocess.Popen([sys.executable, "-c", "from edi_hit.cli import main; main()",
                              *map(str, args)], stderr=subprocess.PIPE, text=True)
    try:
        temp = folder / ".out.835.edi-hit.tmp"
        deadline = time.monotonic() + 20
        reserved = False
        while not reserved and time.monotonic() < deadline:
            try:
                fd = os.open(temp, os.O_RDONLY)
            except FileNotFoundError:
                time.sleep(0.02)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
                time.sleep(0.02)
            except OSError:
                reserved = True  # the first run holds it while it waits
            finally:
                os.close(fd)
        assert reserved
        other = write_claims(folder / "other.837", [paid_visit("C2", "2024-03-12")], 2)
        t0 = time.monotonic()
        second = cli_process(*adjudicate_args([other], out, hist))
        assert second.returncode == 1, second.stderr
        assert "another edi-hit command is writing it right now" in second.stderr
        assert time.monotonic() - t0 < 10  # at once, not after the first run
    finally:
        holder.rollback()
        holder.close()
    assert first.wait(60) == 0, first.stderr.read()
    _assert_complete(folder, hist, out)
