# Beneficiary history and the ledger of runs: what spans claims and runs.
#
# Strategy: rules that span claims (60-day initial gap, DME drug 0-30 days before, one
# payment per category per day, the deductible; under payer contracts the services a
# plan paid and the member's accumulators) read a BeneficiaryHistory, an in-memory
# snapshot of one beneficiary loaded for a set of beneficiaries in one batch of queries
# and updated as the run prices claims; the run's writes are staged into the store's
# open transaction and committed once, with the ledger rows of the run (which files it
# read, which claims it decided and with what ICN, where it remitted them, what it
# wrote). HistoryStore (store.py) is the contract; SQLiteHistory (sqlite.py) implements
# it on a file or in memory, PostgresHistory (postgres.py, psycopg 3: the `postgres`
# extra) on a server shared by many workers; both run the same contract tests.
# model.py: the value objects; ledger.py: runs, outputs and balances; record.py: a
# claim's priced lines as the ledger keeps them; sql.py: the statements both stores
# share. DME drug claims from CSV are read by edi_hit.pricing.dme.
from __future__ import annotations

from .ledger import (ABORTED, COMMITTED, DONE, BalanceEntry, ClaimTrail, InputFile,
                     OpenBalance, OutputFile, Remit, RunRecord)
from .model import (ACTIVE, DUPLICATE, REPLACED, STANDING, VOID, VOIDED, Accumulation,
                    BeneficiaryHistory, DrugClaim, HistoryBatch, Service, StoredClaim, Visit)
from .postgres import PostgresHistory, is_postgres_url
from .sqlite import SQLiteHistory
from .store import HistoryBusy, HistoryStore

__all__ = ["Visit", "DrugClaim", "Service", "Accumulation", "StoredClaim", "BeneficiaryHistory",
           "HistoryBatch", "HistoryStore", "HistoryBusy", "SQLiteHistory", "PostgresHistory",
           "open_history", "is_postgres_url",
           "InputFile", "OutputFile", "RunRecord", "Remit", "OpenBalance", "BalanceEntry",
           "ClaimTrail", "ACTIVE", "REPLACED", "VOIDED", "VOID", "DUPLICATE", "STANDING",
           "COMMITTED", "DONE", "ABORTED"]


def open_history(source=None, *, readonly: bool = False) -> HistoryStore:
    """A HistoryStore from None (new, in memory), a store, a postgresql:// URL or a
    SQLite file path. readonly: look, never decide (`price`, `reconcile`)."""
    if source is None:
        return SQLiteHistory(":memory:")
    if isinstance(source, HistoryStore):
        return source
    if is_postgres_url(source):
        return PostgresHistory(source, readonly=readonly)
    return SQLiteHistory(source, readonly=readonly)
