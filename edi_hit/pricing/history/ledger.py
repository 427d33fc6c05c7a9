# The ledger of runs: what each adjudication run read, decided, wrote and where.
#
# Strategy: plain value objects the store reads and writes, with no behaviour of their
# own. A run is opened inside the store's write transaction, and it is committed in
# that same transaction together with the history and claim rows it staged, its input
# files (their sha256 is unique among committed runs: a file is adjudicated once), its
# outputs (path, the temporary file it was written to, sha256) and its totals. After
# the outputs are renamed into place the run is marked done; a committed run that is
# not done is repaired by the next run. Money owed back by a provider is a journal of
# balance entries per payee and reference (the reversed claim's ICN): positive when a
# reversal opens a debt, negative when a later 835 recoups it; the open balance is the
# sum.
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = ["InputFile", "OutputFile", "RunRecord", "Remit", "OpenBalance", "BalanceEntry",
           "ClaimTrail", "OPEN", "COMMITTED", "DONE", "ABORTED"]

# Run status. OPEN exists only inside the run's own transaction (never seen by others).
OPEN, COMMITTED, DONE, ABORTED = "open", "committed", "done", "aborted"


@dataclass(slots=True)
class InputFile:
    """An input file as the ledger knows it (its content, not its name, identifies it)."""

    path: str
    size: int
    sha256: str
    sender: str | None = None    # ISA06
    control: str | None = None   # ISA13

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256,
                "sender": self.sender, "control": self.control}

    @classmethod
    def from_dict(cls, d: dict) -> "InputFile":
        return cls(d["path"], int(d["size"]), d["sha256"], d.get("sender"), d.get("control"))


@dataclass(slots=True)
class OutputFile:
    """An output of a run: role (835, report, manifest), where it goes, and what it holds.

    temp: the temporary file beside `path` it was completed in (None when it is
    written through: stdout, a device or a FIFO, delivered after the commit).
    state: pending (committed, not yet in place), placed, or lost (the repair found
    neither the file nor its temporary; an 835 can still be replayed from the ledger).
    """

    role: str
    path: str
    sha256: str
    size: int
    temp: str | None = None
    state: str = "pending"


@dataclass(slots=True)
class RunRecord:
    id: int
    started: datetime
    status: str
    finished: datetime | None = None
    inputs: list[InputFile] = field(default_factory=list)
    outputs: list[OutputFile] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    pid: int | None = None    # the process that ran it, and where (a repair leaves a run
    host: str | None = None   # alone while that process still puts its outputs in place)

    def output(self, role: str) -> OutputFile | None:
        return next((o for o in self.outputs if o.role == role), None)


@dataclass(slots=True)
class Remit:
    """Where a claim was remitted: the 835 transaction's trace number (TRN02) and the
    claim's position (1-based) in it; icn is CLP07 as written (a reversal carries the
    ICN of the claim it reverses)."""

    trn: str
    position: int
    icn: str
    status: str
    paid: Decimal


@dataclass(slots=True)
class OpenBalance:
    """Money a payee owes back, by the ICN of the reversed claim that created it."""

    payee: str
    reference: str
    amount: Decimal
    since_run: int | None = None


@dataclass(slots=True)
class BalanceEntry:
    """A move on a balance: +amount opens (carried forward), -amount recoups."""

    payee: str
    reference: str
    amount: Decimal


@dataclass(slots=True)
class ClaimTrail:
    """One ledger claim with where it went, for `edi-hit ledger claim`."""

    icn: str
    pcn: str
    npi: str
    frequency: str
    outcome: str
    state: str
    charge: Decimal
    paid: Decimal
    run_id: int | None
    original_icn: str | None
    replaced_by: str | None
    remits: list[tuple[int, Remit]] = field(default_factory=list)  # (run id, where)
