# The ledger side of the PostgreSQL history store: runs, their inputs and outputs, where
# claims were remitted, balances, a claim's trail, and the integrity check.
#
# Strategy: a mixin of PostgresHistory (postgres.py), which owns the connection and the
# transactions. Money is NUMERIC, so sums run in SQL and stay exact; sets of keys go to
# the server as one array (= ANY), not in chunks; the 835 copy is one zlib stream
# stored in parts of about a megabyte, so neither the output nor its compressed copy
# is held whole in memory on the way in.
from __future__ import annotations

import json
import os
import socket
import zlib
from datetime import datetime
from decimal import Decimal

from edi_hit.errors import DataError

from .ledger import (ABORTED, COMMITTED, DONE, OPEN, ClaimTrail, InputFile, OpenBalance,
                     OutputFile, Remit, RunRecord)
from .sql import ENTRY_TABLES, entries_not_standing

__all__ = ["PostgresLedger"]

_ZLIB_LEVEL = 1
_PART = 1 << 20  # bytes of compressed 835 per row of run_blobs
_RUN = "SELECT id, started, finished, status, totals, error, inputs, pid, host FROM runs"


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _inputs_json(inputs) -> str:
    return json.dumps([i.to_dict() for i in inputs])


class PostgresLedger:
    """The ledger methods of PostgresHistory (see store.py for the contract)."""

    def committed_inputs(self, sha256s):
        out: dict[str, RunRecord] = {}
        runs: dict[int, RunRecord] = {}
        for sha, run_id in self.db.execute(
                "SELECT sha256, run_id FROM run_inputs WHERE sha256 = ANY(%s)",
                (sorted(set(sha256s)),)).fetchall():
            if run_id not in runs:
                runs[run_id] = self.run(run_id)
            out[sha] = runs[run_id]
        return out

    def open_run(self, started, inputs):
        if self.readonly:
            raise RuntimeError("a read-only history cannot open a run")
        self._run_id = self.db.execute(
            "INSERT INTO runs (started, status, pid, host, inputs) VALUES (%s, %s, %s, %s, %s) "
            "RETURNING id", (_seconds(started), OPEN, os.getpid(), socket.gethostname(),
                             _inputs_json(inputs))).fetchone()[0]
        return self._run_id

    def stage_remits(self, run_id, remits):
        if self.readonly:
            return
        with self.db.cursor().copy("COPY remits (run_id, trn, position, icn, status, paid) "
                                   "FROM STDIN") as copy:
            for r in remits:
                copy.write_row((run_id, r.trn, r.position, r.icn, r.status, r.paid))

    def open_balances(self, payees):
        out: dict[str, list[OpenBalance]] = {}
        for payee, ref, since, amount in self.db.execute(
                "SELECT payee, reference, (array_agg(run_id ORDER BY id))[1], SUM(amount) "
                "FROM balances WHERE payee = ANY(%s) GROUP BY payee, reference "
                "HAVING SUM(amount) > 0", (sorted(set(payees)),)):
            out.setdefault(payee, []).append(OpenBalance(payee, ref, amount, since))
        for balances in out.values():
            balances.sort(key=lambda b: (b.since_run or 0, b.reference))
        return out

    def stage_balances(self, run_id, entries):
        if self.readonly:
            return
        self.db.cursor().executemany(
            "INSERT INTO balances (payee, reference, run_id, amount) VALUES (%s, %s, %s, %s)",
            [(e.payee, e.reference, run_id, e.amount) for e in entries])

    def commit_run(self, run_id, finished, inputs, outputs, totals, blobs):
        db = self.db
        try:
            db.cursor().executemany(
                "INSERT INTO run_inputs VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [(i.sha256, run_id, n, i.path, i.size, i.sender, i.control)
                 for n, i in enumerate(inputs, start=1)])
        except self._pg.errors.UniqueViolation:
            self.rollback()
            raise DataError(f"{self.location}: an input of this run was adjudicated by another "
                            f"run meanwhile; nothing was committed") from None
        db.cursor().executemany(
            "INSERT INTO run_outputs (run_id, role, path, temp, sha256, size, state) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(run_id, o.role, o.path, o.temp, o.sha256, o.size, o.state) for o in outputs])
        for role, data in blobs.items():
            self._store_blob(run_id, role, data)
        db.execute("UPDATE runs SET status = %s, finished = %s, totals = %s WHERE id = %s",
                   (COMMITTED, _seconds(finished),
                    json.dumps(dict(totals), separators=(",", ":")), run_id))
        self.commit()

    def _store_blob(self, run_id: int, role: str, data) -> None:
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = (bytes(data),)
        co = zlib.compressobj(_ZLIB_LEVEL)
        pending: list[bytes] = []
        size = part = 0

        def flush(final: bool = False) -> None:
            nonlocal pending, size, part
            if pending or (final and part == 0):
                part += 1
                self.db.execute("INSERT INTO run_blobs VALUES (%s, %s, %s, %s)",
                                (run_id, role, part, b"".join(pending)))
                pending, size = [], 0

        for chunk in data:
            out = co.compress(chunk)
            if out:
                pending.append(out)
                size += len(out)
                if size >= _PART:
                    flush()
        pending.append(co.flush())
        flush(final=True)

    def mark_done(self, run_id, outputs):
        with self._own_transaction() as db:
            db.cursor().executemany(
                "UPDATE run_outputs SET state = %s WHERE run_id = %s AND role = %s",
                [(o.state, run_id, o.role) for o in outputs])
            db.execute("UPDATE runs SET status = %s WHERE id = %s AND status = %s",
                       (DONE, run_id, COMMITTED))

    def record_aborted(self, started, error, inputs):
        with self._own_transaction(wait=5.0) as db:
            return db.execute(
                "INSERT INTO runs (started, finished, status, pid, host, error, inputs) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (_seconds(started), _seconds(datetime.now()), ABORTED, os.getpid(),
                 socket.gethostname(), error, _inputs_json(inputs))).fetchone()[0]

    def unfinished_runs(self):
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM runs WHERE status = %s ORDER BY id", (COMMITTED,)).fetchall()]
        return [self.run(i) for i in ids]

    def _record(self, row) -> RunRecord:
        run_id, started, finished, status, totals, error, inputs, pid, host = row
        rec = RunRecord(run_id, started, status, finished, totals=totals or {}, error=error,
                        pid=pid, host=host)
        if status in (COMMITTED, DONE):
            rec.inputs = [InputFile(p, s, h, snd, ctl) for h, p, s, snd, ctl in self.db.execute(
                "SELECT sha256, path, size, sender, control FROM run_inputs WHERE run_id = %s "
                "ORDER BY seq", (run_id,)).fetchall()]
        elif inputs:
            rec.inputs = [InputFile.from_dict(d) for d in inputs]
        rec.outputs = [OutputFile(*r) for r in self.db.execute(
            "SELECT role, path, sha256, size, temp, state FROM run_outputs WHERE run_id = %s "
            "ORDER BY n", (run_id,)).fetchall()]
        return rec

    def runs(self, limit=None):
        rows = self.db.execute(f"{_RUN} WHERE status != %s ORDER BY id DESC LIMIT %s",
                               (OPEN, limit)).fetchall()
        return [self._record(r) for r in rows]

    def run(self, run_id):
        row = self.db.execute(f"{_RUN} WHERE id = %s", (run_id,)).fetchone()
        return self._record(row) if row else None

    def run_blob(self, run_id, role):
        parts = self.db.execute("SELECT data FROM run_blobs WHERE run_id = %s AND role = %s "
                                "ORDER BY part", (run_id, role)).fetchall()
        if not parts:
            return None
        do = zlib.decompressobj()
        return b"".join(do.decompress(p[0]) for p in parts) + do.flush()

    def claim_trail(self, reference):
        rows = self.db.execute(
            "SELECT icn, pcn, npi, frequency, outcome, state, charge, paid, run_id, original_icn, "
            "replaced_by FROM claims WHERE icn = %s OR pcn = %s ORDER BY seq, n",
            (reference, reference)).fetchall()
        out = []
        for row in rows:
            trail = ClaimTrail(*row)
            icn, freq, orig, run_id = trail.icn, trail.frequency, trail.original_icn, trail.run_id
            remitted = {icn} | ({orig} if freq in ("7", "8") and orig else set())
            for r_run, trn, pos, r_icn, status, r_paid in self.db.execute(
                    "SELECT run_id, trn, position, icn, status, paid FROM remits WHERE "
                    "icn = ANY(%s) AND run_id IS NOT DISTINCT FROM %s ORDER BY trn, position",
                    (sorted(remitted), run_id)).fetchall():
                trail.remits.append((r_run, Remit(trn, pos, r_icn, status, r_paid)))
            out.append(trail)
        return out

    def check(self):
        db, problems = self.db, []
        for digest, n in db.execute(
                "SELECT digest, COUNT(*) FROM claims WHERE state IN ('active', 'void') "
                "GROUP BY digest HAVING COUNT(*) > 1 ORDER BY digest"):
            problems.append(f"{n} standing claims with one digest {digest[:12]}")
        for day, category, n, icns in db.execute(
                "SELECT day, category, COUNT(*), string_agg(icn, ',' ORDER BY n) FROM visits "
                "GROUP BY mbi, day, category HAVING COUNT(*) > 1 ORDER BY day, category"):
            problems.append(f"{n} paid visits of one member on {day} in category {category} "
                            f"(ICNs {icns})")
        for table in ENTRY_TABLES:
            for icn, n in db.execute(entries_not_standing(table)):
                problems.append(f"{n} {table} row(s) of ICN {icn}, which is not a standing claim")
        for payee, ref, amount in db.execute(
                "SELECT payee, reference, SUM(amount) FROM balances GROUP BY payee, reference "
                "HAVING SUM(amount) < 0 ORDER BY payee, reference"):
            problems.append(f"balance of payee {payee} for ICN {ref} is below zero ({amount})")
        for run_id, status, payment, expected in db.execute(
                "SELECT r.id, r.status, r.totals->>'payment', "
                "COALESCE(p.paid, 0) + COALESCE(b.moves, 0) FROM runs r "
                "LEFT JOIN (SELECT run_id, SUM(paid) AS paid FROM remits GROUP BY run_id) p "
                "ON p.run_id = r.id "
                "LEFT JOIN (SELECT run_id, SUM(amount) AS moves FROM balances GROUP BY run_id) b "
                "ON b.run_id = r.id WHERE r.status IN (%s, %s) ORDER BY r.id",
                (COMMITTED, DONE)):
            if Decimal(payment or "0") != expected:
                problems.append(f"run {run_id}: payment {payment or 0} != claims paid + balance "
                                f"moves {expected}")
            if status == COMMITTED:
                problems.append(f"run {run_id} is committed but its outputs are not all in place "
                                f"(edi-hit ledger repair)")
        return problems
