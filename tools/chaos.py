"""Chaos: kill real `edi-hit adjudicate` and `edi-hit batch` runs at random moments and
check that no money is lost or paid twice.

Each round makes a fresh history and a series of 837P files whose claims overlap on
purpose (shared beneficiaries and days, exact resubmissions, replacements and voids of
earlier claims, two suppliers). Every file is adjudicated by a real process; at random
the process is killed with SIGKILL after a random delay, stopped with SIGTERM, or made
to kill itself at a named step of the run (EDI_HIT_FAULT=STEP:kill), and sometimes two
files run at once on the same history. About one file in three goes through `edi-hit
batch --workers 2` instead (a folder of its own; its pool of workers is killed with it).
After an interrupted run, one recovery run (the same command left alone; a batch with
--resume) follows. At the end of each round the invariants are checked:

  1. each claim is paid at most once: across all 835s on disk, no member is paid twice
     for one day and category (net of reversals), and no ICN is decided twice;
  2. the sum of BPR02 over all 835s on disk equals the ledger's paid total (the sum of
     its committed runs' payments), and every committed run's 835 is on disk, intact;
  3. history integrity checks pass (`edi-hit ledger check`), every input was
     adjudicated exactly once, and no temporary file is left behind.

    python tools/chaos.py --seconds 120 [--seed 7] [--workdir DIR] [--keep]

Prints one line per round and "invariants held" (exit 0) or what broke (exit 1).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edi_hit.claims import (Address, BillingProvider, Claim, Payer, Ref,  # noqa: E402
                            ServiceLine, Subscriber)
from edi_hit.pipeline import FAULT_STEPS  # noqa: E402
from edi_hit.pricing.history import SQLiteHistory  # noqa: E402
from edi_hit.x835 import read_835  # noqa: E402
from edi_hit.x837p import write_837p  # noqa: E402

RATES = ROOT / "fixtures" / "rates" / "synthetic.json"
SUPPLIERS = ("1234567893", "1679576722")
DME = "1245319599"
MEMBERS = ("1EG4TE5MK73", "2FH5UF6NL84", "3GJ6VG7PM95", "4HK7WH8QN06")
CATEGORY = {"G0068": 1, "G0069": 2, "G0070": 3, "G0088": 1, "G0089": 2, "G0090": 3}


def _claim(pcn, member, npi, lines, freq="1", f8=None) -> Claim:
    return Claim(
        patient_control_number=pcn, total_charge=sum((ln.charge for ln in lines), Decimal(0)),
        place_of_service="12", frequency_code=freq, refs=[Ref("F8", f8)] if f8 else [],
        lines=lines,
        billing_provider=BillingProvider(name="CHAOS HOME INFUSION", npi=npi, tax_id="431234567",
                                         tax_id_qualifier="EI",
                                         address=Address("1 MAIN ST", None, "SAINT LOUIS", "MO",
                                                         "63101")),
        subscriber=Subscriber(member_id=member, last_name="DOE", first_name="JANE",
                              claim_filing_indicator="MB"),
        payer=Payer(name="MEDICARE", id="05102",
                    address=Address("PO BOX 1", None, "COLUMBUS", "OH", "43216")))


def _line(n, code, day, charge="300.00", units="4"):
    return ServiceLine(line_number=n, code=code, charge=Decimal(charge), units=Decimal(units),
                       service_date=day, control_number=f"L{n}")


class Round:
    """The files of one round, made so that they collide: the same members and days,
    resubmissions, replacements and voids of earlier claims."""

    def __init__(self, rng: random.Random, folder: Path, files: int):
        self.rng, self.folder = rng, folder
        self.files: list[Path] = []
        self.sent: list[tuple[Claim, int]] = []  # originals sent, with the file number
        start = date(2024, 3, 1)
        for f in range(files):
            claims = [_claim(f"DME{f}-{m}", m, DME, [_line(1, "J1170", start, "50.00", "1")])
                      for m in MEMBERS]
            for k in range(rng.randint(3, 6)):
                claims.append(self._next(f, k, start))
            path = folder / f"in{f:02d}.837"
            path.write_bytes(write_837p(claims, sender_id="CHAOS", receiver_id="MEDICARE",
                                        control_number=f + 1, now=datetime(2025, 1, 2, 9, f)))
            self.files.append(path)

    def _next(self, f, k, start) -> Claim:
        rng = self.rng
        roll = rng.random()
        if self.sent and roll < 0.15:  # an exact resubmission of an earlier claim
            return rng.choice(self.sent)[0]
        if self.sent and roll < 0.30:  # a replacement or a void of an earlier claim
            orig, _ = rng.choice(self.sent)
            freq = rng.choice("78")
            lines = [_line(ln.line_number, ln.code, ln.service_date,
                           rng.choice(("150.00", "300.00"))) for ln in orig.lines]
            return _claim(orig.patient_control_number, orig.subscriber.member_id,
                          orig.billing_provider.npi, lines, freq)
        member = rng.choice(MEMBERS)
        npi = rng.choice(SUPPLIERS)
        days = sorted(rng.sample(range(4, 40), rng.randint(1, 3)))
        lines = [_line(n, rng.choice(("G0068", "G0069", "G0068")), start + timedelta(days=d),
                       rng.choice(("150.00", "300.00")))
                 for n, d in enumerate(days, 1)]
        c = _claim(f"C{f}-{k}", member, npi, lines)
        self.sent.append((c, f))
        return c


def _command(src: Path, hist: Path, batch: bool = False, resume: bool = False) -> list[str]:
    cli = [sys.executable, "-c", "from edi_hit.cli import main; main()"]
    common = ["--history", str(hist), "--rates", str(RATES), "--now", "2025-01-02T09:30",
              "--control-number", str(int(src.stem[2:]) + 1)]
    if batch:  # the file alone in a folder of its own (made by play())
        folder = src.parent / f"{src.stem}.batch"
        return cli + ["batch", str(folder / "in"), "-o", str(folder / "out"), "--workers",
                      "2", "--no-tr3", "--allow-rejects", *common] + ["--resume"] * resume
    return cli + ["adjudicate", str(src), "-o", str(src.with_suffix(".835")), "--report",
                  str(src.with_suffix(".json")), *common]


def _launch(cmd, env=None) -> subprocess.Popen:
    full = dict(os.environ)
    full.pop("EDI_HIT_FAULT", None)
    full.update(env or {})
    return subprocess.Popen(cmd, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _interfere(rng: random.Random, cmd) -> tuple[subprocess.Popen, str]:
    """Start a run and maybe break it; returns the process and what was done to it."""
    roll = rng.random()
    if roll < 0.3:
        step = rng.choice(FAULT_STEPS)
        return _launch(cmd, {"EDI_HIT_FAULT": f"{step}:kill"}), f"killed at {step}"
    proc = _launch(cmd)
    if roll < 0.7:
        time.sleep(rng.uniform(0.05, 0.9))
        sig = signal.SIGKILL if rng.random() < 0.75 else signal.SIGTERM
        if proc.poll() is None:
            os.killpg(proc.pid, sig)  # the run and its workers, as an operator or a crash would
            return proc, f"{'SIGKILL' if sig == signal.SIGKILL else 'SIGTERM'} at random"
        return proc, "finished before the signal"
    return proc, "left alone"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check(folder: Path, hist: Path, files: list[Path]) -> list[str]:
    """The invariants (module docstring); a list of what broke."""
    problems = []
    paid = defaultdict(int)  # (member, day, category) -> net paid lines
    decided: dict[str, int] = defaultdict(int)
    total = Decimal(0)
    for path in sorted(folder.rglob("*.835")):
        for remit in read_835(path):
            total += remit.signed_payment
            for c in remit.claims:
                if c.status_code != "22":
                    decided[c.payer_claim_control_number] += 1
                sign = -1 if c.status_code == "22" else 1
                for ln in c.lines:
                    if CATEGORY.get(ln.code) and (ln.allowed or 0) != 0:
                        paid[(c.patient_id, ln.service_date, CATEGORY[ln.code])] += sign
    for key, n in paid.items():
        if n > 1:
            problems.append(f"member paid {n} times on {key[1]} in category {key[2]}")
    for icn, n in decided.items():
        if n > 1:
            problems.append(f"ICN {icn} decided {n} times in the 835s on disk")
    with SQLiteHistory(hist, readonly=True) as store:
        problems.extend(f"ledger check: {p}" for p in store.check())
        runs = [r for r in store.runs() if r.status in ("committed", "done")]
        ledger_total = sum((Decimal(r.totals.get("payment", "0")) for r in runs), Decimal(0))
        if ledger_total != total:
            problems.append(f"sum of BPR02 on disk {total} != ledger's paid total {ledger_total}")
        for r in runs:
            out = r.output("835")
            if out is None or not Path(out.path).exists() or _sha(Path(out.path)) != out.sha256:
                problems.append(f"run {r.id}: its 835 is not on disk as committed")
        shas = {_sha(f): f for f in files}
        done = store.committed_inputs(shas)
        for sha, f in shas.items():
            if sha not in done:
                problems.append(f"{f.name} was never adjudicated")
        counted = [i.sha256 for r in runs for i in r.inputs]
        if len(counted) != len(set(counted)):
            problems.append("an input was adjudicated twice")
    leftovers = [p.name for p in folder.rglob("*") if p.name.endswith(".edi-hit.tmp")]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    return problems


def play(rng: random.Random, folder: Path, files: int) -> tuple[int, int, list[str]]:
    """One round; (runs started, runs interfered with, problems)."""
    folder.mkdir(parents=True)
    hist = folder / "h.db"
    with SQLiteHistory(hist) as h:
        for m in MEMBERS[:2]:
            h.set_deductible_met(m, 2024, Decimal("240.00"))
    rnd = Round(rng, folder, files)
    started = broken = 0
    queue = list(rnd.files)
    batched = set()
    for src in queue:
        if rng.random() < 0.3:  # this one through `edi-hit batch`
            batched.add(src)
            (src.parent / f"{src.stem}.batch" / "in").mkdir(parents=True)
            shutil.copy(src, src.parent / f"{src.stem}.batch" / "in" / src.name)
    while queue:
        batch = [queue.pop(0)]
        if queue and rng.random() < 0.3:
            batch.append(queue.pop(0))  # two workers on one history at once
        runs = [(_interfere(rng, _command(src, hist, src in batched)), src) for src in batch]
        started += len(runs)
        for (proc, what), src in runs:
            try:
                _, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                return started, broken, [f"{src.name}: a run hung ({what})"]
            if "Traceback" in err:
                return started, broken, [f"{src.name}: traceback ({what}):\n{err}"]
            if what != "left alone" and proc.returncode != 0:
                broken += 1
                # one recovery run: the same command, left alone
                rec = _launch(_command(src, hist, src in batched, resume=True))
                _, rerr = rec.communicate(timeout=120)
                started += 1
                if rec.returncode not in (0, 1) or "Traceback" in rerr:
                    return started, broken, [f"{src.name}: recovery failed:\n{rerr}"]
                if rec.returncode == 1 and "adjudicated already" not in rerr:
                    return started, broken, [f"{src.name}: recovery refused: {rerr.strip()}"]
            elif proc.returncode != 0:
                return started, broken, [f"{src.name}: exit {proc.returncode}: {err.strip()}"]
    return started, broken, check(folder, hist, rnd.files)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--files", type=int, default=6, help="837P files per round")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the rounds' folders")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="edi-hit-chaos-"))
    work.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.seconds
    rounds = runs = broken = 0
    print(f"chaos: seed {seed}, {args.seconds:g} s, work in {work}")
    failed = False
    while time.monotonic() < deadline:
        folder = work / f"round{rounds:03d}"
        started, hit, problems = play(rng, folder, args.files)
        rounds += 1
        runs += started
        broken += hit
        print(f"round {rounds}: {started} runs, {hit} interrupted: "
              + ("invariants held" if not problems else "INVARIANTS BROKEN"))
        if problems:
            failed = True
            for p in problems:
                print(f"  {p}")
            break
        if not args.keep:
            shutil.rmtree(folder)
    print(f"{rounds} rounds, {runs} runs, {broken} interrupted (seed {seed}): "
          + ("INVARIANTS BROKEN" if failed else "invariants held"))
    if not args.keep and not failed:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
