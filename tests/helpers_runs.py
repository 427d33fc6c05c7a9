# Helpers for tests of whole adjudication runs: 837 files made from Claim objects, the
# CLI in-process or as a real process, and what a history and a folder hold afterwards.
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from edi_hit.cli import main
from edi_hit.pricing.history import SQLiteHistory
from edi_hit.x837p import write_837p
from helpers_pricing import MBI, SYNTHETIC_RATES, claim, dme, drug, line

NOW = datetime(2025, 1, 2, 9, 30)
ROOT = Path(__file__).resolve().parents[1]


def write_claims(path: Path, claims, control_number: int = 1) -> Path:
    """An 837P file of these claims (the control number makes the bytes differ)."""
    path.write_bytes(write_837p(claims, sender_id="TESTSENDER", receiver_id="MEDICARE",
                                control_number=control_number, now=NOW))
    return path


def paid_visit(pcn: str = "C1", day: str = "2024-03-05", mbi: str = MBI, charge="300.00"):
    """A G0068 visit that pays with the synthetic rate (drug on file, deductible met):
    allowed 160.00, PR-2 32.00, CO-253 2.56, paid 125.44."""
    return claim(line("G0068", day, charge), pcn=pcn, mbi=mbi)


def history_with_deductible_met(path: Path, *mbis: str) -> Path:
    """A history where each member has met the 2024 deductible and the DME MAC covered a
    J1170 on 2024-03-01 (the drug evidence E4 needs, C26)."""
    with SQLiteHistory(path) as h:
        for m in mbis or (MBI,):
            h.set_deductible_met(m, 2024, Decimal("240.00"))
        h.import_dme([dme("2024-03-01", mbi=m) for m in mbis or (MBI,)])
    return path


def drugs(*mbis: str):
    return [drug("2024-03-01", pcn=f"DME-{n}", mbi=m) for n, m in enumerate(mbis or (MBI,), 1)]


def cli(*args, env=None, catch=True):
    """edi-hit in this process (CliRunner); env: extra environment variables."""
    runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=catch)


def cli_process(*args, env=None, timeout=60, **popen):
    """edi-hit as a real process (signals, SIGKILL, locks across processes)."""
    full = dict(os.environ)
    full.pop("EDI_HIT_FAULT", None)
    full.update(env or {})
    return subprocess.run([sys.executable, "-c", "from edi_hit.cli import main; main()",
                           *[str(a) for a in args]], env=full, capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT), **popen)


def start_fork(*args, env=None, gate: int | None = None):
    """edi-hit in a forked child process: a real process (real locks, real SIGKILL) that
    starts in milliseconds because the parent has imported everything already. The child
    waits for a byte on `gate` (a pipe's read end) when one is given. Returns a handle
    for finish_fork. Never fork while this process has a history open: the child would
    inherit SQLite's in-process lock bookkeeping (use cli_process then)."""
    import tempfile

    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.stdout = open(1, "w", closefd=False)  # pytest's capture objects are not fds
            sys.stderr = open(2, "w", closefd=False)
            os.environ.pop("EDI_HIT_FAULT", None)
            os.environ.update(env or {})
            if gate is not None:
                os.read(gate, 1)
            main([str(a) for a in args], standalone_mode=True)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid, out, err


def finish_fork(handle):
    """(returncode, stdout, stderr) of a start_fork child, -N for death by signal N."""
    pid, out, err = handle
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    out.seek(0)
    err.seek(0)
    return code, out.read().decode(), err.read().decode()


def cli_fork(*args, env=None):
    """edi-hit in a forked child, waited for: (returncode, stdout, stderr)."""
    return finish_fork(start_fork(*args, env=env))


def adjudicate_args(inputs, out: Path, history: Path, *extra):
    return ["adjudicate", *inputs, "-o", out, "--history", history, "--rates", SYNTHETIC_RATES,
            "--now", "2025-01-02T09:30", *extra]


def counts(path: Path) -> dict:
    with SQLiteHistory(path, readonly=True) as h:
        out = {t: h.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
               for t in ("claims", "visits", "drugs", "deductible", "remits", "balances")}
        out["committed"] = h.db.execute(
            "SELECT COUNT(*) FROM runs WHERE status IN ('committed', 'done')").fetchone()[0]
        return out


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".edi-hit.tmp"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(text: str) -> bool:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return len(lines) >= 1 and "Traceback" not in text and lines[-1].startswith("Error: ")


__all__ = ["write_claims", "paid_visit", "history_with_deductible_met", "drugs", "cli",
           "cli_process", "cli_fork", "start_fork", "finish_fork", "adjudicate_args", "counts", "temp_files", "sha256", "NOW",
           "one_line_error", "SYNTHETIC_RATES", "MBI"]
