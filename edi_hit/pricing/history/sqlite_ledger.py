# The ledger side of the SQLite history store: runs, their inputs and outputs, where
# claims were remitted, balances, a claim's trail, and the integrity check.
#
# Strategy: a mixin of SQLiteHistory (sqlite.py), which owns the connection and the
# transactions; every method here runs inside them. Rows are plain SQL on the tables
# of sqlite_schema.py; money is exact decimal text, summed in Python; the 835 copy is
# one zlib stream written in slices.
from __future__ import annotations

import json
import os
import socket
import sqlite3
import tempfile
import zlib
from datetime import datetime
from decimal import Decimal, InvalidOperation

from edi_hit.errors import DataError

from .ledger import (ABORTED, COMMITTED, DONE, OPEN, ClaimTrail, InputFile, OpenBalance,
                     OutputFile, Remit, RunRecord)
from .sql import ENTRY_TABLES, entries_not_standing

__all__ = ["SQLiteLedger"]

_ZLIB_LEVEL = 1  # X12 text shrinks about 4-8x even at the fastest level


def _money(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        value = None
    if value is None or not value.is_finite():
        raise DataError(f"{where}: an amount in the history is not a number ({text!r})")
    return value



class SQLiteLedger:
    """The ledger methods of SQLiteHistory (see store.py for the contract)."""

    def committed_inputs(self, sha256s):
        out: dict[str, RunRecord] = {}
        runs: dict[int, RunRecord] = {}
        for part, marks in self._chunks(sha256s):
            for sha, run_id in self.db.execute(
                    f"SELECT sha256, run_id FROM run_inputs WHERE sha256 IN ({marks})", part):
                if run_id not in runs:
                    runs[run_id] = self.run(run_id)
                out[sha] = runs[run_id]
        return out

    def open_run(self, started, inputs):
        if self.readonly:
            raise RuntimeError("a read-only history cannot open a run")
        cur = self.db.execute(
            "INSERT INTO runs (started, status, pid, host, inputs) VALUES (?,?,?,?,?)",
            (started.isoformat(timespec="seconds"), OPEN, os.getpid(), socket.gethostname(),
             json.dumps([i.to_dict() for i in inputs])))
        self._run_id = cur.lastrowid
        return self._run_id

    def stage_remits(self, run_id, remits):
        if self.readonly:
            return
        self.db.executemany("INSERT INTO remits VALUES (?,?,?,?,?,?)",
                            [(run_id, r.trn, r.position, r.icn, r.status, str(r.paid))
                             for r in remits])

    def open_balances(self, payees):
        out: dict[str, list[OpenBalance]] = {}
        sums: dict[tuple[str, str], list] = {}
        for part, marks in self._chunks(payees):
            for payee, ref, run_id, amount in self.db.execute(
                    f"SELECT payee, reference, run_id, amount FROM balances WHERE payee IN "
                    f"({marks}) ORDER BY id", part):
                entry = sums.setdefault((payee, ref), [Decimal("0.00"), run_id])
                entry[0] += _money(amount, self.location)
        for (payee, ref), (amount, since) in sums.items():
            if amount > 0:
                out.setdefault(payee, []).append(OpenBalance(payee, ref, amount, since))
        for balances in out.values():
            balances.sort(key=lambda b: (b.since_run or 0, b.reference))
        return out

    def stage_balances(self, run_id, entries):
        if self.readonly:
            return
        self.db.executemany(
            "INSERT INTO balances (payee, reference, run_id, amount) VALUES (?,?,?,?)",
            [(e.payee, e.reference, run_id, str(e.amount)) for e in entries])

    def commit_run(self, run_id, finished, inputs, outputs, totals, blobs):
        db = self.db
        try:
            db.executemany(
                "INSERT INTO run_inputs VALUES (?,?,?,?,?,?,?)",
                [(i.sha256, run_id, n, i.path, i.size, i.sender, i.control)
                 for n, i in enumerate(inputs, start=1)])
        except sqlite3.IntegrityError:
            self.rollback()
            raise DataError(f"{self.location}: an input of this run was adjudicated by another "
                            f"run meanwhile; nothing was committed") from None
        db.executemany("INSERT INTO run_outputs VALUES (?,?,?,?,?,?,?)",
                       [(run_id, o.role, o.path, o.temp, o.sha256, o.size, o.state)
                        for o in outputs])
        for role, data in blobs.items():
            self._store_blob(run_id, role, data)
        db.execute("UPDATE runs SET status = ?, finished = ?, totals = ? WHERE id = ?",
                   (COMMITTED, finished.isoformat(timespec="seconds"),
                    json.dumps(dict(totals), separators=(",", ":")), run_id))
        self.commit()

    def _store_blob(self, run_id: int, role: str, data) -> None:
        """bytes, or an iterable of byte chunks, stored as one zlib stream; compressed
        to a temporary file first and written in slices, so memory holds neither the
        output nor its compressed copy."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = (bytes(data),)
        co = zlib.compressobj(_ZLIB_LEVEL)
        with tempfile.TemporaryFile() as tmp:
            for chunk in data:
                tmp.write(co.compress(chunk))
            tmp.write(co.flush())
            size = tmp.tell()
            tmp.seek(0)
            cur = self.db.execute("INSERT INTO run_blobs VALUES (?, ?, zeroblob(?))",
                                  (run_id, role, size))
            with self.db.blobopen("run_blobs", "data", cur.lastrowid) as blob:
                while chunk := tmp.read(1 << 20):
                    blob.write(chunk)

    def mark_done(self, run_id, outputs):
        with self._own_transaction() as db:
            db.executemany("UPDATE run_outputs SET state = ? WHERE run_id = ? AND role = ?",
                           [(o.state, run_id, o.role) for o in outputs])
            db.execute("UPDATE runs SET status = ? WHERE id = ? AND status = ?",
                       (DONE, run_id, COMMITTED))

    def record_aborted(self, started, error, inputs):
        with self._own_transaction(wait=5.0) as db:
            cur = db.execute(
                "INSERT INTO runs (started, finished, status, pid, host, error, inputs) "
                "VALUES (?,?,?,?,?,?,?)",
                (started.isoformat(timespec="seconds"),
                 datetime.now().isoformat(timespec="seconds"), ABORTED, os.getpid(),
                 socket.gethostname(), error, json.dumps([i.to_dict() for i in inputs])))
            return cur.lastrowid

    def unfinished_runs(self):
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM runs WHERE status = ? ORDER BY id", (COMMITTED,))]
        return [self.run(i) for i in ids]

    def _record(self, row) -> RunRecord:
        run_id, started, finished, status, totals, error, inputs, pid, host = row
        rec = RunRecord(run_id, datetime.fromisoformat(started), status,
                        datetime.fromisoformat(finished) if finished else None,
                        totals=json.loads(totals) if totals else {}, error=error, pid=pid,
                        host=host)
        if status in (COMMITTED, DONE):
            rec.inputs = [InputFile(p, s, h, snd, ctl) for h, p, s, snd, ctl in self.db.execute(
                "SELECT sha256, path, size, sender, control FROM run_inputs WHERE run_id = ? "
                "ORDER BY seq", (run_id,))]
        elif inputs:
            rec.inputs = [InputFile.from_dict(d) for d in json.loads(inputs)]
        rec.outputs = [OutputFile(*r) for r in self.db.execute(
            "SELECT role, path, sha256, size, temp, state FROM run_outputs WHERE run_id = ? "
            "ORDER BY rowid", (run_id,))]
        return rec

    _RUN = "SELECT id, started, finished, status, totals, error, inputs, pid, host FROM runs"

    def runs(self, limit=None):
        sql = f"{self._RUN} WHERE status != '{OPEN}' ORDER BY id DESC"
        rows = self.db.execute(sql + (" LIMIT ?" if limit else ""),
                               (limit,) if limit else ()).fetchall()
        return [self._record(r) for r in rows]

    def run(self, run_id):
        row = self.db.execute(f"{self._RUN} WHERE id = ?", (run_id,)).fetchone()
        return self._record(row) if row else None

    def run_blob(self, run_id, role):
        row = self.db.execute("SELECT data FROM run_blobs WHERE run_id = ? AND role = ?",
                              (run_id, role)).fetchone()
        return zlib.decompress(row[0]) if row else None

    def claim_trail(self, reference):
        rows = self.db.execute(
            "SELECT icn, pcn, npi, frequency, outcome, state, charge, paid, run_id, original_icn, "
            "replaced_by FROM claims WHERE icn = ? OR pcn = ? ORDER BY seq, rowid",
            (reference, reference)).fetchall()
        out = []
        for icn, pcn, npi, freq, outcome, state, charge, paid, run_id, orig, by in rows:
            trail = ClaimTrail(icn, pcn, npi, freq, outcome, state, _money(charge, self.location),
                               _money(paid, self.location), run_id, orig, by)
            remitted = {icn} | ({orig} if freq in ("7", "8") and orig else set())
            for r_run, trn, pos, r_icn, status, r_paid in self.db.execute(
                    "SELECT run_id, trn, position, icn, status, paid FROM remits WHERE icn IN "
                    f"({','.join('?' * len(remitted))}) AND run_id IS ? ORDER BY trn, position",
                    (*sorted(remitted), run_id)):
                trail.remits.append((r_run, Remit(trn, pos, r_icn, status,
                                                  _money(r_paid, self.location))))
            out.append(trail)
        return out

    def check(self):
        db, problems = self.db, []
        for digest, n in db.execute(
                "SELECT digest, COUNT(*) FROM claims WHERE state IN ('active', 'void') "
                "GROUP BY digest HAVING COUNT(*) > 1"):
            problems.append(f"{n} standing claims with one digest {digest[:12]}")
        for day, category, n, icns in db.execute(
                "SELECT day, category, COUNT(*), group_concat(icn) FROM visits "
                "GROUP BY mbi, day, category HAVING COUNT(*) > 1"):
            problems.append(f"{n} paid visits of one member on {day} in category {category} "
                            f"(ICNs {icns})")
        for table in ENTRY_TABLES:
            for icn, n in db.execute(entries_not_standing(table)):
                problems.append(f"{n} {table} row(s) of ICN {icn}, which is not a standing claim")
        paid: dict[int, Decimal] = {}
        for run_id, amount in db.execute("SELECT run_id, paid FROM remits"):
            paid[run_id] = paid.get(run_id, Decimal(0)) + _money(amount, self.location)
        moves: dict[int, Decimal] = {}
        balance: dict[tuple, Decimal] = {}
        for run_id, payee, ref, amount in db.execute(
                "SELECT run_id, payee, reference, amount FROM balances ORDER BY id"):
            value = _money(amount, self.location)
            moves[run_id] = moves.get(run_id, Decimal(0)) + value
            balance[(payee, ref)] = balance.get((payee, ref), Decimal(0)) + value
        for (payee, ref), amount in balance.items():
            if amount < 0:
                problems.append(f"balance of payee {payee} for ICN {ref} is below zero ({amount})")
        for run_id, status, totals in db.execute(
                "SELECT id, status, totals FROM runs WHERE status IN (?, ?)", (COMMITTED, DONE)):
            payment = Decimal(json.loads(totals or "{}").get("payment", "0"))
            expected = paid.get(run_id, Decimal(0)) + moves.get(run_id, Decimal(0))
            if payment != expected:
                problems.append(f"run {run_id}: payment {payment} != claims paid + balance moves "
                                f"{expected}")
            if status == COMMITTED:
                problems.append(f"run {run_id} is committed but its outputs are not all in place "
                                f"(edi-hit ledger repair)")
        return problems
