# A folder of 837P files in, one 835 and a per-file manifest out: `edi-hit batch`.
#
# Strategy: two phases, N processes each, one ledger run, resumable.
#
#   1. split (split.py; N processes, a file at a time): hash, set aside what is not X12
#      or cannot be read (reported with why, never fatal), TR3-gate, read the claims and
#      write the accepted ones to partition shards: every beneficiary belongs to
#      exactly one of P = N x PARTS_PER_WORKER partitions (more partitions than workers:
#      the pool balances them, and each holds less).
#   2. price and remit (remit.py): the partitions are priced side by side (price.py: the
#      pricing of `adjudicate`, each beneficiary's claims in date order), then one
#      process stages their history, absorbs their 835 fragments into one 835 (a
#      transaction per payer x payee for the whole batch: remit.835) and commits the run.
#      With --history the history's lock is held from before the partitions read it to
#      the commit, so the run is one ledger run, decided exactly once, with the whole
#      batch's files as its inputs (a file adjudicated by an earlier run is listed
#      `duplicate`, naming that run, and not priced again).
#
# Decisions do not depend on N: a beneficiary is priced by one partition, in date order,
# with its history, whatever the partition. --resume after a kill redoes what is not
# recorded: splits without their record (the same input gives the same shards),
# partitions without their Part (no history) or the whole pricing (history: nothing
# was committed), or nothing when the run committed (its outputs are repaired by the
# ledger, its report is the ledger's). batch.json records N, the files' sha256, the
# history and the TR3 choice: a resume with others is refused. The manifest is written
# last: its presence says the batch is complete.
from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

from edi_hit.errors import EdiHitError
from edi_hit.pipeline.atomic import adjudicated_in, file_sha256

from .remit import REMIT, Batch, remit_partitions
from .split import SHARD_CLAIMS, split
from .work import Pool, clean, write_small

__all__ = ["run_batch", "BatchResult", "FileResult", "SHARD_CLAIMS", "MANIFEST", "STATE",
           "PARTS_PER_WORKER"]

MANIFEST = "manifest.ndjson"
SUMMARY = "summary.json"
STATE = "batch.json"
WORK = ".work"
#: partitions per worker (the pool balances them; a partition holds less)
PARTS_PER_WORKER = 4


@dataclass
class FileResult:
    """One input file's line in the manifest."""

    file: str
    sha256: str | None = None
    size: int = 0
    status: str = "pending"   # adjudicated, rejected, empty, not-x12, unreadable, duplicate
    reason: str | None = None
    claims_in: int = 0
    claims_rejected: int = 0
    claims_out: int = 0
    remits: list[str] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)  # patient_control_number, reason

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class BatchResult:
    files: list[FileResult]
    remits: list[dict]         # per partition: output, run_id, claims, payment, ...
    workers: int
    resumed: bool = False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"workers": self.workers, "resumed": self.resumed,
                "files": len(self.files), "by_status": self.counts(),
                "claims_in": sum(f.claims_in for f in self.files),
                "claims_rejected": sum(f.claims_rejected for f in self.files),
                "claims_out": sum(f.claims_out for f in self.files),
                "remits": self.remits}


def _null_progress(label: str, total: int, unit: str) -> AbstractContextManager:
    return nullcontext(_Silent())


class _Silent:
    def advance(self, n: int = 1) -> None:
        pass


def run_batch(indir: str | os.PathLike, outdir: str | os.PathLike, *, workers: int = 1,
              history: str | None = None, resume: bool = False, tr3: bool = True,
              progress: Callable[[str, int, str], AbstractContextManager] = _null_progress,
              notify: Callable[[str], None] | None = None, wait: float | None = None,
              on_wait: Callable[[str], None] | None = None,
              control_number: int = 1, **options: Any) -> BatchResult:
    """Adjudicate every file of `indir` into `outdir` (module comment); return the result.

    history: the SQLite file or postgresql:// URL of the history and ledger the batch's
    run is recorded in (None: each partition prices with a private history in memory).
    tr3: validate each file at levels 1-2 (edi-hit's TR3 engine) in the split; the
    claims of a transaction set it rejects are rejected, not priced.
    progress(label, total, unit): a context manager with advance(n) (the CLI's bar).
    notify(message): one-line notes (a repaired run); wait, on_wait: as for adjudicate.
    control_number: ISA13 of the 835. options: rates, conventions, assume_dme_drug,
    suppliers, dme_evidence, dme_drugs, contracts, authorizations, payer, now,
    spill_after, batch_size (as for edi_hit.pipeline.adjudicate).
    """
    if workers < 1:
        raise EdiHitError(f"--workers must be 1 or more, got {workers}")
    indir, outdir = os.path.abspath(indir), os.path.abspath(outdir)
    if os.path.commonpath([indir, outdir]) == indir:
        raise EdiHitError(f"{outdir} is inside {indir}: the batch's outputs would become its "
                          f"inputs; give an output folder outside it")
    if resume and os.path.exists(os.path.join(outdir, MANIFEST)):
        return _recorded(outdir)  # complete before the kill (or run twice): nothing to do
    names = _inputs(indir)
    options["rates"] = _rates(options.get("rates"))
    work = os.path.join(outdir, WORK)
    os.makedirs(work, mode=0o700, exist_ok=True)
    hashes = [file_sha256(n) for n in names]  # None: unreadable (the split says why)
    workers = _state(outdir, names, hashes, workers, resume, history, tr3)
    parts = workers * PARTS_PER_WORKER
    tasks = [(i, n, h, parts, work, tr3) for i, (n, h) in enumerate(zip(names, hashes))]
    with progress("batch: split", len(tasks), "files") as bar, Pool(workers, len(tasks)) as pool:
        splits = list(pool.map(split, tasks, bar))
    files = [FileResult(**{k: v for k, v in s.items() if k not in _SPLIT_ONLY}) for s in splits]
    batch = _batch(splits, files, outdir, work, workers, parts, history, options,
                   control_number)
    outcome = remit_partitions(batch, resume=resume, progress=progress,
                               notify=notify or (lambda m: None), wait=wait, on_wait=on_wait)
    remits = _results(splits, files, outcome)
    result = BatchResult(files, remits, workers, resumed=resume)
    write_small(os.path.join(outdir, SUMMARY), json.dumps(result.to_dict(), indent=1) + "\n")
    write_small(os.path.join(outdir, MANIFEST),  # last: its presence says the batch is complete
                "".join(json.dumps(f.to_dict(), separators=(",", ":")) + "\n" for f in files))
    clean(work)
    return result


def _rates(source):
    """The rate table, loaded once for every partition; the warning about illustrative
    rates said once, here, as `adjudicate` says it."""
    from edi_hit.pricing.pricer import warn_if_illustrative
    from edi_hit.pricing.rates import load_rates

    return warn_if_illustrative(load_rates(source), stacklevel=3)  # run_batch's caller


#: what the split records beside the manifest's fields
_SPLIT_ONLY = ("shards", "sender", "control")


def _batch(splits: list[dict], files: list[FileResult], outdir: str, work: str, workers: int,
           parts: int, history: str | None, options: dict, control_number: int) -> Batch:
    """What phase 2 prices: the X12 files (an identical copy of another is one input,
    the other listed `duplicate`), their shards by partition, the split's rejects."""
    from edi_hit.pricing.history import InputFile

    seen: dict[str, str] = {}
    inputs: list[InputFile] = []
    rejected: list[dict] = []
    by_part: list[list[str]] = [[] for _ in range(parts)]
    shard_sha: dict[str, str] = {}
    for s, f in zip(splits, files):
        if f.sha256 is None or f.status not in ("pending", "empty"):
            continue
        if f.sha256 in seen:
            f.status, f.reason = "duplicate", f"the same content as {seen[f.sha256]}"
            continue
        seen[f.sha256] = f.file
        inputs.append(InputFile(f.file, f.size, f.sha256, s.get("sender"), s.get("control")))
        rejected.extend({**r, "file": f.file, "sha256": f.sha256} for r in f.rejects)
        for p, path, _ in s["shards"]:
            by_part[p].append(path)
            shard_sha[path] = f.sha256
    return Batch(names=[f.file for f in files], inputs=inputs,
                 partitions=[(p, shards) for p, shards in enumerate(by_part) if shards],
                 shard_sha=shard_sha, rejected=rejected, outdir=outdir, work=work,
                 workers=workers, options=options, history=_where(history),
                 control_number=control_number)


def _results(splits: list[dict], files: list[FileResult], outcome) -> list[dict]:
    """Each file's line from the run: rejects found in pricing (by the shard that held
    the claim), claims out, the 835, status; files a committed run had adjudicated."""
    shard_file = {path: i for i, s in enumerate(splits) for _, path, _ in s["shards"]}
    summary = outcome.summary
    for f in files:
        rec = outcome.before.get(f.sha256) if f.status in ("pending", "empty") else None
        if rec is not None:
            f.status, f.reason = "duplicate", adjudicated_in(rec)
            f.claims_rejected, f.rejects = 0, []
    if summary is not None:
        for r in summary.rejects:
            i = shard_file.get(r.get("file"))
            if i is not None:  # rejected in pricing (the split's own are counted already)
                files[i].claims_rejected += 1
                files[i].rejects.append({"patient_control_number":
                                         r.get("patient_control_number"), "reason": r["reason"]})
    for f in files:
        if f.status == "pending":
            f.claims_out = f.claims_in - f.claims_rejected
            f.status = "adjudicated" if f.claims_out else "rejected"
            f.remits = [REMIT] if f.claims_out else []
    if summary is None:
        return []
    return [{"output": REMIT, "run_id": summary.run_id, "claims": summary.claims,
             "payment": str(summary.payment), "transactions": len(summary.transactions)}]


# -- inputs and the batch's record ---------------------------------------------------------

def _inputs(indir: str) -> list[str]:
    if not os.path.isdir(indir):
        raise EdiHitError(f"{indir}: not a directory")
    found: list[str] = []
    for root, dirs, files in os.walk(indir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(root, n) for n in sorted(files) if not n.startswith("."))
    if not found:
        raise EdiHitError(f"{indir}: the directory holds no files")
    return found


def _state(outdir: str, names: list[str], hashes: list, workers: int, resume: bool,
           history: str | None, tr3: bool) -> int:
    """Record the batch (or check it against its record when resuming); the workers."""
    path = os.path.join(outdir, STATE)
    files = [{"file": n, "sha256": h} for n, h in zip(names, hashes)]
    if os.path.exists(path):
        if not resume:
            raise EdiHitError(f"{outdir} holds a batch already ({STATE}); --resume finishes "
                              f"it, or give another output folder")
        with open(path, encoding="utf-8") as fh:
            state = json.load(fh)
        if state["files"] != files:
            raise EdiHitError(f"cannot resume: the input files changed since the batch began "
                              f"({STATE} lists {len(state['files'])}; give the same inputs)")
        if state.get("history") != _where(history):
            raise EdiHitError("cannot resume: the batch began with another --history")
        if state.get("tr3", False) != tr3:  # the shards depend on it
            raise EdiHitError(f"cannot resume: the batch began with "
                              f"{'--tr3' if state.get('tr3', False) else '--no-tr3'}")
        return int(state["workers"])  # the shards depend on it
    write_small(path, json.dumps({"workers": workers, "files": files, "history": _where(history),
                                 "tr3": tr3}, indent=1) + "\n")
    return workers


def _where(history: str | None) -> str | None:
    """The history as the batch records it: a file's absolute path, a URL as given."""
    if not history:
        return None
    return history if "://" in history else os.path.abspath(history)


def _recorded(outdir: str) -> BatchResult:
    """The result of a complete batch, as its manifest and summary recorded it."""
    with open(os.path.join(outdir, MANIFEST), encoding="utf-8") as fh:
        files = [FileResult(**json.loads(line)) for line in fh]
    with open(os.path.join(outdir, SUMMARY), encoding="utf-8") as fh:
        summary = json.load(fh)
    return BatchResult(files, summary["remits"], summary["workers"], resumed=True)
