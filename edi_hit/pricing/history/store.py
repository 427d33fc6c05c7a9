# The history store contract: beneficiary history and the ledger of runs, behind one
# interface that SQLite implements today and PostgreSQL can implement tomorrow.
#
# Strategy: every write happens inside one explicit transaction that is also the
# serialization primitive. begin() takes the store's write lock (SQLite: BEGIN IMMEDIATE
# in WAL mode; PostgreSQL: a transaction holding an advisory lock) and waits for it up to
# `wait` seconds, calling on_wait once so the caller can say what it waits for; a run
# holds it from before it loads history until it commits, so two runs never decide on
# the same history at once. Pricing stages its writes (stage) into that transaction,
# the pipeline adds the run's ledger rows (open_run, stage_remits, stage_balances) and
# commit_run() commits everything at once. Replays and duplicates are detectable by
# unique constraints, not by luck: an input file's sha256 is unique among committed
# runs, an ICN is unique, and at most one standing claim has a given digest.
#
# begin_pricing() is the narrower primitive for workers that only price (the Spark
# runner's partitions): on a store that can (PostgreSQL), it locks beneficiaries as they
# are loaded instead of the whole history.
#
# Nothing in the interface is SQLite-specific: money crosses it as Decimal, times as
# datetime, JSON-able dicts for totals; the store picks its own representation. A
# read-only store (readonly=True) answers every read and drops every write: `price` and
# `reconcile` look at history without deciding anything. The contract tests in
# tests/test_history_contract.py run against every implementation.
from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, Iterable, Mapping

from edi_hit.errors import DataError

from .ledger import BalanceEntry, ClaimTrail, InputFile, OpenBalance, OutputFile, Remit, RunRecord
from .model import BeneficiaryHistory, DrugClaim, HistoryBatch

#: seconds a store's own short transaction waits for another run holding the history
OWN_TRANSACTION_WAIT = 120.0

__all__ = ["HistoryStore", "HistoryBusy", "check_cents"]


class HistoryBusy(DataError):
    """The write lock was not free within the time allowed (--wait)."""


def check_cents(amount, what: str) -> None:
    """set_deductible_met and set_accumulation take a finite, non-negative Decimal with
    at most two places; anything else is a DataError saying what it was for."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0 \
            or amount != amount.quantize(Decimal("0.01")):
        raise DataError(f"{what} must be a non-negative amount in cents, got {amount!r}")


class HistoryStore(ABC):
    """Where beneficiary history and the ledger live between runs."""

    #: False for a store discarded after the run (in memory): nothing to keep.
    persistent: bool = True
    #: True: reads only; stage() and the ledger writes are dropped, commit() keeps nothing.
    readonly: bool = False
    #: How messages name the store (a path, or a URL without its password).
    location: str = "history"
    #: A file path to compare outputs against (None when the store is not a file).
    path: str | None = None
    #: True: begin_pricing() locks beneficiaries, not the whole history (PostgreSQL).
    locks_members: bool = False

    # -- transactions: the serialization primitive ---------------------------------------
    @abstractmethod
    def begin(self, wait: float | None = None,
              on_wait: Callable[[str], None] | None = None) -> None:
        """Open the write transaction, waiting up to `wait` seconds (None: no limit) for
        the lock; on_wait(message) is called once if it has to wait. HistoryBusy when
        the time runs out. A read-only store opens a read snapshot instead."""

    def begin_pricing(self, wait: float | None = None,
                      on_wait: Callable[[str], None] | None = None) -> None:
        """Open a write transaction for pricing alone (history and ledger claims, no run
        of the ledger): a store that locks beneficiaries (locks_members) locks each one
        when load() first reads it, so transactions pricing different beneficiaries run
        at once, while begin() still waits for all of them; any other store takes its
        whole write lock (begin)."""
        self.begin(wait, on_wait)

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether begin() was called and neither commit() nor rollback() since."""

    @abstractmethod
    def commit(self) -> None:
        """Make everything staged since begin() durable, at once."""

    @abstractmethod
    def rollback(self) -> None:
        """Forget everything staged since begin()."""

    @contextlib.contextmanager
    def savepoint(self, name: str):
        """Inside the open transaction: what is staged in the block is undone, alone, if
        the block raises (the transaction stays open); a batch stages its partitions one
        by one and may take one back."""
        db = getattr(self, "db")
        db.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            db.execute(f"ROLLBACK TO SAVEPOINT {name}")
            db.execute(f"RELEASE SAVEPOINT {name}")
            raise
        db.execute(f"RELEASE SAVEPOINT {name}")

    @contextlib.contextmanager
    def _own_transaction(self, wait: float | None = OWN_TRANSACTION_WAIT):
        """A short write transaction of its own (import-dme, deductible, accumulation,
        mark done), or a part of the caller's when one is open; yields the store's
        connection (`db`, which every store has)."""
        db = getattr(self, "db")
        if self.in_transaction:
            yield db
            return
        self.begin(wait=wait)
        try:
            yield db
        except BaseException:
            self.rollback()
            raise
        self.commit()

    # -- history for pricing ---------------------------------------------------------------
    @abstractmethod
    def load(self, mbis: Iterable[str], since: date | None = None) -> dict[str, BeneficiaryHistory]:
        """Snapshots for these beneficiaries: visits, drugs and contract services dated
        on or after since, all deductible and accumulation rows, and every ledger claim
        (without its lines)."""

    @abstractmethod
    def stage(self, batch: HistoryBatch) -> None:
        """Write part of a run inside the open transaction (durable only with commit).

        In this order: claim states; new claims; visits, drugs (a row already present is
        ignored), services; deductible rows and accumulations, each keyed by (member,
        year or plan and period, ICN), replacing a row of the same key; last, every
        visit, drug, deductible, service and accumulation row of the ICNs in
        delete_entries."""

    @abstractmethod
    def claim_lines(self, icn: str) -> str | None:
        """The encoded priced lines of a ledger claim (record.encode_lines), or None."""

    @abstractmethod
    def icns_in_use(self, icns: Iterable[str]) -> set[str]:
        """Which of these ICNs the ledger has already given to a claim."""

    @abstractmethod
    def import_dme(self, drugs: Iterable[DrugClaim]) -> int:
        """Add DME drug claims (duplicates ignored) in their own transaction; how many
        were new."""

    @abstractmethod
    def set_deductible_met(self, mbi: str, year: int, amount: Decimal) -> None:
        """Deductible already met outside the claims in this store (C10 input), in its
        own transaction. The amount must be a finite, non-negative number of cents."""

    @abstractmethod
    def set_accumulation(self, mbi: str, plan: str, period: date, deductible: Decimal,
                         out_of_pocket: Decimal) -> None:
        """Cost sharing already met under a contract's plan in the plan year starting on
        `period`, outside the claims in this store (the contract counterpart of
        set_deductible_met), in its own transaction; it replaces an earlier such entry.
        Amounts must be finite, non-negative numbers of cents."""

    # -- the ledger of runs -------------------------------------------------------------------
    @abstractmethod
    def committed_inputs(self, sha256s: Iterable[str]) -> dict[str, RunRecord]:
        """For each of these input digests adjudicated in a committed run: that run."""

    @abstractmethod
    def open_run(self, started: datetime, inputs: list[InputFile]) -> int:
        """Inside the write transaction: a new run; its id. Claims staged from now on
        belong to it."""

    @abstractmethod
    def stage_remits(self, run_id: int, remits: Iterable[Remit]) -> None:
        """Where the run's claims were remitted (835 TRN02 and position)."""

    @abstractmethod
    def open_balances(self, payees: Iterable[str]) -> dict[str, list[OpenBalance]]:
        """Money owed back per payee, oldest first; only balances not settled."""

    @abstractmethod
    def stage_balances(self, run_id: int, entries: Iterable[BalanceEntry]) -> None:
        """Balance moves of the run: +amount carried forward, -amount recouped."""

    @abstractmethod
    def commit_run(self, run_id: int, finished: datetime, inputs: list[InputFile],
                   outputs: list[OutputFile], totals: Mapping,
                   blobs: Mapping[str, bytes | Iterable[bytes]]) -> None:
        """Record the run as committed (inputs, outputs, totals, the 835 bytes under
        blobs['835'], as bytes or an iterable of byte chunks) and commit the transaction with everything it staged. An input
        digest already in a committed run violates the store's unique constraint:
        DataError, nothing committed."""

    @abstractmethod
    def mark_done(self, run_id: int, outputs: list[OutputFile]) -> None:
        """The run's outputs are in place (or known lost): record their state and the
        run as done, in a transaction of its own."""

    @abstractmethod
    def record_aborted(self, started: datetime, error: str, inputs: list[InputFile]) -> int:
        """A run that failed before its commit, for the record (own transaction)."""

    @abstractmethod
    def unfinished_runs(self) -> list[RunRecord]:
        """Committed runs whose outputs were not all put in place (a crash after the
        commit): the next run repairs them."""

    @abstractmethod
    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Runs, newest first."""

    @abstractmethod
    def run(self, run_id: int) -> RunRecord | None:
        """One run with its inputs and outputs."""

    @abstractmethod
    def run_blob(self, run_id: int, role: str) -> bytes | None:
        """The bytes a committed run wrote for an output role ('835')."""

    @abstractmethod
    def claim_trail(self, reference: str) -> list[ClaimTrail]:
        """Every ledger claim whose ICN or CLM01 is `reference`, in decision order,
        with where each was remitted."""

    @abstractmethod
    def check(self) -> list[str]:
        """Integrity problems (empty when the history is sound): one standing claim per
        digest, one paid visit per member, day and category, history entries only of
        standing claims, each run's payment = its claims' payments + its balance moves,
        no balance below zero."""

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.in_transaction:
            self.rollback()
        self.close()
