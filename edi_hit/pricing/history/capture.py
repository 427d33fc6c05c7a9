# A history for a worker that prices while another process holds the history's lock.
#
# Strategy: reads go to the history through a read-only connection, writes are captured.
# The process that will commit (edi_hit.batch) takes the history's write lock and keeps
# it until its commit, so what the workers read is the state the run commits on: a
# SQLite WAL reader sees the last commit, a PostgreSQL REPEATABLE READ snapshot the
# same, and nobody else can write in between. Each HistoryBatch the worker's pricer
# stages is pickled to a file, in order; frames() gives them back to the committing
# process, which stages them into its own transaction. The ICNs the worker has given
# are remembered, so icns_in_use() answers for them as the store would have (two
# workers may still give one ICN to claims of different members: the store's unique
# constraint finds that when the batches are staged; edi_hit.batch then prices that
# partition again inside the transaction). The ledger's own writes (runs, remits,
# balances, imports) are not a pricing worker's business: they raise.
from __future__ import annotations

import os
import pickle
from typing import Any, Iterator

from .model import HistoryBatch
from .store import HistoryStore

__all__ = ["CapturedHistory", "frames"]


def frames(path: str | os.PathLike) -> Iterator[Any]:
    """The objects pickled one after another into `path`, in order: the batches a
    CapturedHistory wrote, in the order they were staged."""
    with open(path, "rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


class CapturedHistory(HistoryStore):
    """Reads from `history` (opened read-only by the caller), writes to `path`."""

    def __init__(self, history: HistoryStore, path: str | os.PathLike):
        self.inner = history
        self.location = history.location
        self.path = history.path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # member ids
        self._out = os.fdopen(fd, "wb")
        self._given: set[str] = set()
        self.batches = 0

    # -- transactions: a read snapshot ----------------------------------------------------------
    def begin(self, wait=None, on_wait=None) -> None:
        self.inner.begin(wait, on_wait)

    @property
    def in_transaction(self) -> bool:
        return self.inner.in_transaction

    def commit(self) -> None:
        self._out.flush()
        self.inner.commit()

    def rollback(self) -> None:
        self.inner.rollback()

    def close(self) -> None:
        self._out.close()
        self.inner.close()

    # -- pricing: read through, write aside --------------------------------------------------
    def load(self, mbis, since=None):
        return self.inner.load(mbis, since)

    def stage(self, batch: HistoryBatch) -> None:
        if not batch:
            return
        pickle.dump(batch, self._out, protocol=pickle.HIGHEST_PROTOCOL)
        self._given.update(c.icn for c in batch.claims)
        self.batches += 1

    def icns_in_use(self, icns):
        icns = set(icns)
        return self.inner.icns_in_use(icns) | (icns & self._given)

    def claim_lines(self, icn):
        return self.inner.claim_lines(icn)

    # -- the ledger: read through; its writes belong to the committing process ---------------
    def committed_inputs(self, sha256s):
        return self.inner.committed_inputs(sha256s)

    def open_balances(self, payees):
        return self.inner.open_balances(payees)

    def unfinished_runs(self):
        return self.inner.unfinished_runs()

    def runs(self, limit=None):
        return self.inner.runs(limit)

    def run(self, run_id):
        return self.inner.run(run_id)

    def run_blob(self, run_id, role):
        return self.inner.run_blob(run_id, role)

    def claim_trail(self, reference):
        return self.inner.claim_trail(reference)

    def check(self):
        return self.inner.check()

    def _writes_elsewhere(self, *args, **kwargs):
        raise RuntimeError("a pricing worker's history only stages pricing; the ledger is "
                           "written by the process that commits the run")

    import_dme = set_deductible_met = set_accumulation = open_run = stage_remits = \
        stage_balances = commit_run = mark_done = record_aborted = _writes_elsewhere
