"""One output rule for every command: never overwrite an input, the history or another
output (exit 2, one line); write through to devices and FIFOs; follow symlinks; a
second writer of the same file fails fast; a failure leaves nothing behind."""
from __future__ import annotations

import fcntl
import os
import stat
import threading

import pytest

from edi_hit.outputs import OutputBusy, open_output, temp_name
from helpers_pricing import SCENARIOS, SYNTHETIC_RATES
from helpers_runs import (adjudicate_args, cli, drugs, history_with_deductible_met,
                          one_line_error, paid_visit, temp_files, write_claims)

WORKED = SCENARIOS / "worked_example.837"
WORKED_835 = SCENARIOS / "worked_example.835"


def _input_837(tmp_path):
    src = tmp_path / "in.837"
    src.write_bytes(WORKED.read_bytes())
    return src


def _commands(tmp_path):
    """(command line writing to X, where X is an input) for every command with outputs."""
    src = _input_837(tmp_path)
    remit = tmp_path / "in.835"
    remit.write_bytes(WORKED_835.read_bytes())
    csv = tmp_path / "r.csv"
    csv.write_text("CARRIER,LOCALITY,G0068\nNATIONAL,,150.00\n")
    js = tmp_path / "c.json"
    assert cli("parse", src, "-o", js).exit_code == 0
    return {
        "parse": (["parse", src, "-o", src], src),
        "parse --reject-report": (["parse", src, "-o", tmp_path / "p.json", "--reject-report", src],
                                  src),
        "generate": (["generate", js, "-o", js], js),
        "price": (["price", src, "--rates", SYNTHETIC_RATES, "-o", src], src),
        "rates import": (["rates", "import", csv, "--year", "2024", "-o", csv], csv),
        "read-835": (["read-835", remit, "-o", remit], remit),
        "reconcile": (["reconcile", src, remit, "--rates", SYNTHETIC_RATES, "-o", remit], remit),
        "validate --ack": (["validate", src, "--ack", "999", "-o", src], src),
        "adjudicate": (["adjudicate", src, "-o", src, "--rates", SYNTHETIC_RATES], src),
        "adjudicate --report": (["adjudicate", src, "-o", tmp_path / "o.835", "--report", src,
                                 "--rates", SYNTHETIC_RATES], src),
    }


def test_no_command_overwrites_its_input(tmp_path):
    for name, (args, victim) in _commands(tmp_path).items():
        before = victim.read_bytes()
        r = cli(*args)
        assert r.exit_code == 2, (name, r.output)
        assert one_line_error(r.output) and "refusing to overwrite it" in r.output, name
        assert victim.read_bytes() == before, name
        assert temp_files(tmp_path) == [], name


def test_the_history_and_other_outputs_are_refused(tmp_path):
    src = _input_837(tmp_path)
    hist = history_with_deductible_met(tmp_path / "h.db")
    before = hist.read_bytes()
    r = cli("adjudicate", src, "-o", hist, "--history", hist, "--rates", SYNTHETIC_RATES)
    assert r.exit_code == 2 and f"is the history {hist}" in r.output
    assert hist.read_bytes() == before
    r = cli("adjudicate", src, "-o", tmp_path / "x.835", "--report", tmp_path / "x.835",
            "--rates", SYNTHETIC_RATES)
    assert r.exit_code == 2 and "is also the output -o" in r.output
    r = cli("price", src, "--history", hist, "-o", hist)
    assert r.exit_code == 2 and "is the history" in r.output
    # through a symlink, the history is still the history
    os.symlink(hist, tmp_path / "alias.db")
    r = cli("adjudicate", src, "-o", tmp_path / "alias.db", "--history", hist,
            "--rates", SYNTHETIC_RATES)
    assert r.exit_code == 2 and hist.read_bytes() == before


def test_a_device_is_written_through(tmp_path):
    r = cli("adjudicate", _input_837(tmp_path), "-o", "/dev/null", "--rates", SYNTHETIC_RATES,
            "--report", "/dev/null")
    assert r.exit_code == 0, r.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still the device (we run as root)


def test_a_symlink_is_followed_and_kept(tmp_path):
    (tmp_path / "real.835").write_text("old")
    os.symlink("real.835", tmp_path / "link.835")
    r = cli("adjudicate", _input_837(tmp_path), "-o", tmp_path / "link.835",
            "--rates", SYNTHETIC_RATES)
    assert r.exit_code == 0, r.output
    assert os.path.islink(tmp_path / "link.835")
    assert (tmp_path / "real.835").read_bytes().startswith(b"ISA*")


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "out.835"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    r = cli("adjudicate", _input_837(tmp_path), "-o", fifo, "--rates", SYNTHETIC_RATES)
    reader.join(10)
    assert r.exit_code == 0, r.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got[0].startswith(b"ISA*")


def test_a_second_writer_of_the_same_output_fails_fast(tmp_path):
    out = tmp_path / "x.835"
    # another edi-hit command is writing x.835: it holds the lock on its temporary file
    fd = os.open(temp_name(str(out)), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        r = cli("adjudicate", _input_837(tmp_path), "-o", out, "--rates", SYNTHETIC_RATES)
        assert r.exit_code == 1 and one_line_error(r.output)
        assert "another edi-hit command is writing it right now" in r.output
        with pytest.raises(OutputBusy):
            with open_output(str(out)):
                pass
    finally:
        os.close(fd)
    assert not out.exists()
    # a leftover of a killed run (no lock held) is taken over, and cleaned up
    r = cli("adjudicate", _input_837(tmp_path), "-o", out, "--rates", SYNTHETIC_RATES)
    assert r.exit_code == 0 and out.exists() and temp_files(tmp_path) == []


def test_an_existing_output_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path):
    out = tmp_path / "x.json"
    out.write_text("{}")
    os.chmod(out, 0o640)
    with open_output(str(out)) as fh:
        fh.write("[]")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640 and out.read_text() == "[]"
    old = os.umask(0o022)
    try:
        with open_output(str(tmp_path / "new.json")) as fh:
            fh.write("[]")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o644


def test_a_failed_command_leaves_no_output_and_no_temporary_file(tmp_path):
    out = tmp_path / "x.json"
    with pytest.raises(RuntimeError):
        with open_output(str(out)) as fh:
            fh.write("half")
            assert stat.S_IMODE(os.stat(temp_name(str(out))).st_mode) == 0o600
            raise RuntimeError("boom")
    assert not out.exists() and temp_files(tmp_path) == []


def test_adjudicate_outputs_appear_together_or_not_at_all(tmp_path):
    hist = history_with_deductible_met(tmp_path / "h.db")
    src = write_claims(tmp_path / "in.837", [*drugs(), paid_visit()])
    args = adjudicate_args([src], tmp_path / "o.835", hist, "--report", tmp_path / "r.json",
                           "--manifest", "-")
    r = cli(*args)
    assert r.exit_code == 0, r.output
    # the manifest went to stdout after the commit, before the summary
    first = r.stdout.splitlines()[0]
    assert first.startswith('{"patient_control_number":"DME-1"')
