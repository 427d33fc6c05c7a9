# A folder of 837P files in, 835s and a per-file manifest out: `edi-hit batch`.
#
# Strategy: two phases over the main job (edi_hit.pipeline), in N processes, resumable.
#
#   1. split (N processes, one file at a time): hash each file (sha256), set aside what
#      is not X12 or cannot be read (reported in the manifest with why, never fatal),
#      validate it at levels 1-2 with edi-hit's own TR3 engine (--tr3, the default;
#      validation/gate.py): a transaction set a 999 would reject (IK5*R) is not priced,
#      its claims are listed rejected with the finding code and segment position, the
#      file's other sets go on), read its claims with the 837P reader in reject mode,
#      and write the accepted ones to partition shards: a claim goes to partition member_key(member id) mod N (the
#      run plan's stable 64-bit key, plan.py), so every beneficiary belongs to exactly
#      one partition. A shard is an 837P (.work/fNNNNN-pP-cK.837, 0600) of at most
#      SHARD_CLAIMS claims in input order, written deterministically (fixed envelope
#      date and control numbers): the same input gives the same shard bytes, so a
#      resumed batch hands the ledger the same inputs again. A file's split is recorded
#      (.work/fNNNNN.json) once all its shards are in place.
#   2. adjudicate (N processes, one partition each): pipeline.adjudicate over the
#      partition's shards, in file order, as one run: one 835 per partition
#      (remit-P-of-N.835; a transaction per payee inside it). Within a partition each
#      beneficiary's claims are priced in date order exactly as one process would (its
#      claims keep their relative input order), so the decisions do not depend on N.
#
# Exactly once: a batch is one ledger run per partition (with --history). The ledger's
# invariants hold as they are: an input sha256 is adjudicated once (the inputs are the
# shards, and a resumed batch recreates the same shards), a claim is decided once (it
# is in exactly one shard of one partition). --resume after a kill redoes only what is
# not recorded: splits without their record, partitions whose 835 is not in place (a
# partition the ledger committed is refused as adjudicated; the ledger's repair put its
# outputs in place, or --replay writes its 835 again). Without a history each partition
# prices with a private in-memory history (correct: no beneficiary spans partitions) and
# a partition is done when its 835 and report are in place. batch.json records N and
# the files' sha256: a resume with other inputs or another N is refused.
#
# Parallelism: the split runs on N cores. With one SQLite history the ledger holds the
# history's lock for each partition's whole run, so partitions adjudicate one after the
# other (they wait for each other: never on the same rows, since no beneficiary is in
# two partitions); without a history they run side by side.
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from edi_hit.errors import EdiHitError

__all__ = ["run_batch", "BatchResult", "FileResult", "SHARD_CLAIMS", "MANIFEST", "STATE"]

#: Claims in one partition shard (the split holds at most this many per partition).
SHARD_CLAIMS = 2000
MANIFEST = "manifest.ndjson"
SUMMARY = "summary.json"
STATE = "batch.json"
WORK = ".work"
_SHARD_NOW = datetime(2000, 1, 1)  # a fixed envelope date: the same input, the same shard
_SHARD = re.compile(r"f(\d+)-p(\d+)-c(\d+)\.837$")
_CHUNK = 1 << 20


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
              **adjudicate_options: Any) -> BatchResult:
    """Adjudicate every file of `indir` into `outdir` (module comment); return the result.

    history: the SQLite history and ledger every partition's run is recorded in.
    tr3: validate each file at levels 1-2 (edi-hit's TR3 engine) in the split; the
    claims of a transaction set it rejects are rejected, not priced.
    progress(label, total, unit): a context manager with advance(n) (the CLI's bar).
    adjudicate_options: passed to edi_hit.pipeline.adjudicate (rates, conventions,
    assume_dme_drug, suppliers, dme_evidence, dme_drugs, now, payer, spill_after ...);
    control_number is the first partition's (the others follow it).
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
    work = os.path.join(outdir, WORK)
    os.makedirs(work, mode=0o700, exist_ok=True)
    hashes = [_sha256(n) for n in names]
    workers = _state(outdir, names, hashes, workers, resume, history, tr3)
    tasks = [(i, n, h, workers, work, tr3) for i, (n, h) in enumerate(zip(names, hashes))]
    with progress("batch: split", len(tasks), "files") as bar:
        splits = list(_map(_split, tasks, workers, bar))
    files = [FileResult(**{k: v for k, v in s.items() if k != "shards"}) for s in splits]
    remits = _adjudicate_all(splits, files, outdir, workers, history, adjudicate_options,
                             progress)
    result = BatchResult(files, remits, workers, resumed=resume)
    _write(os.path.join(outdir, SUMMARY), json.dumps(result.to_dict(), indent=1) + "\n")
    _write(os.path.join(outdir, MANIFEST),  # last: its presence says the batch is complete
           "".join(json.dumps(f.to_dict(), separators=(",", ":")) + "\n" for f in files))
    _clean(work)
    return result


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


def _sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None  # reported by the split as unreadable
    return digest.hexdigest()


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
    _write(path, json.dumps({"workers": workers, "files": files, "history": _where(history),
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


def _write(path: str, text: str) -> None:
    """Write a small file whole (temporary name, fsync, rename)."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _clean(work: str) -> None:
    for name in os.listdir(work):
        os.unlink(os.path.join(work, name))
    os.rmdir(work)


def _map(fn, tasks: list, workers: int, bar) -> Iterator:
    """fn over tasks, in order, in `workers` processes (in this one for 1)."""
    if workers == 1 or len(tasks) <= 1:
        for t in tasks:
            yield fn(t)
            bar.advance()
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        for out in pool.map(fn, tasks):
            yield out
            bar.advance()


# -- phase 1: split ------------------------------------------------------------------------

def _split(task) -> dict:
    """One input file to partition shards (module comment); its manifest fields and
    the shards written, [(partition, path, claims)]."""
    index, name, sha, workers, work, tr3 = task
    record = os.path.join(work, f"f{index:05d}.json")
    if os.path.exists(record):  # split before a kill: the same shards are in place
        with open(record, encoding="utf-8") as fh:
            return json.load(fh)
    out = _split_file(index, name, sha, workers, work, tr3)
    _write(record, json.dumps(out))
    return out


def _split_file(index: int, name: str, sha: str | None, workers: int, work: str,
                tr3: bool = True) -> dict:
    from edi_hit.claims import RejectedClaim
    from edi_hit.pipeline.inputs import isa_header
    from edi_hit.pricing.plan import member_key, plan_run
    from edi_hit.pricing.run import member_id
    from edi_hit.validation.gate import TR3Gate, tr3_gate
    from edi_hit.x837p.read import read_837p

    out: dict[str, Any] = {"file": name, "sha256": sha, "shards": []}
    try:
        out["size"] = os.path.getsize(name)
        with open(name, "rb") as fh:
            head = fh.read(256)
    except OSError as exc:
        return {**out, "status": "unreadable", "reason": f"cannot read: {exc.strerror}"}
    if isa_header(head) == (None, None):
        return {**out, "status": "not-x12", "reason": "not X12: the file does not begin "
                                                      "with an ISA segment"}
    shards = _Shards(index, workers, work)
    rejects: list[dict] = []
    claims_in = 0
    try:
        gate = tr3_gate(name, name=name) if tr3 else TR3Gate({})
        plan = plan_run([name], [name])
        for item in read_837p(name, name=name, errors="reject",
                              envelope_verdicts=plan.verdicts[0]):
            claims_in += 1
            if isinstance(item, RejectedClaim):
                rejects.append({"patient_control_number": item.patient_control_number,
                                "reason": item.reason})
                continue
            if (rejected := gate.rejection(item)) is not None:
                rejects.append({"patient_control_number": item.patient_control_number,
                                **rejected.to_dict()})
                continue
            shards.add(member_key(member_id(item)) % workers, item)
        shards.flush_all()
    except (EdiHitError, OSError) as exc:
        shards.discard()
        why = str(exc) if isinstance(exc, EdiHitError) else f"cannot read: {exc.strerror}"
        return {**out, "status": "unreadable", "reason": why}
    out.update(claims_in=claims_in, claims_rejected=len(rejects), rejects=rejects,
               shards=shards.written, status="empty" if not claims_in else "pending")
    return out


class _Shards:
    """Accepted claims of one file by partition, written SHARD_CLAIMS at a time."""

    def __init__(self, index: int, workers: int, work: str):
        self.index, self.work = index, work
        self.pending: list[list] = [[] for _ in range(workers)]
        self.chunks = [0] * workers
        self.written: list[tuple[int, str, int]] = []

    def add(self, partition: int, claim) -> None:
        self.pending[partition].append(claim)
        if len(self.pending[partition]) >= SHARD_CLAIMS:
            self.flush(partition)

    def flush_all(self) -> None:
        for p in range(len(self.pending)):
            if self.pending[p]:
                self.flush(p)

    def flush(self, p: int) -> None:
        from edi_hit.x837p import write_837p

        k = self.chunks[p]
        self.chunks[p] += 1
        path = os.path.join(self.work, f"f{self.index:05d}-p{p}-c{k}.837")
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            write_837p(self.pending[p], fh, sender_id="EDIHITBATCH", receiver_id="EDIHITBATCH",
                       control_number=(self.index % 99_999) * 10_000 + k % 10_000 + 1,
                       now=_SHARD_NOW)
        os.replace(tmp, path)
        self.written.append((p, path, len(self.pending[p])))
        self.pending[p] = []

    def discard(self) -> None:
        for _, path, _ in self.written:
            os.unlink(path)
        self.written = []


# -- phase 2: adjudicate each partition ----------------------------------------------------

def _adjudicate_all(splits: list[dict], files: list[FileResult], outdir: str, workers: int,
                    history: str | None, options: dict, progress) -> list[dict]:
    seen: dict[str, str] = {}
    for s, f in zip(splits, files):  # the same content twice: one input
        if f.sha256 is not None and f.status in ("pending", "empty"):
            if f.sha256 in seen:
                f.status, f.reason = "duplicate", f"the same content as {seen[f.sha256]}"
                s["shards"] = []
            else:
                seen[f.sha256] = f.file
    parts: list[list[str]] = [[] for _ in range(workers)]
    shard_file: dict[str, int] = {}
    for i, s in enumerate(splits):
        for p, path, _ in s["shards"]:
            parts[p].append(path)
            shard_file[path] = i
    first = options.pop("control_number", 1)
    tasks = [(p, workers, shards, outdir, history, {**options, "control_number": first + p})
             for p, shards in enumerate(parts) if shards]
    with progress("batch: adjudicate", len(tasks), "partitions") as bar:
        reports = list(_map(_partition, tasks, workers if history is None else 1, bar))
    remits = []
    for (p, *_), (output, report) in zip(tasks, reports):
        name = os.path.basename(output)
        remits.append({"output": name, "run_id": report.get("run_id") or report.get(
            "replayed_run"), "claims": report["claims"], "payment": report["payment"]})
        for path in parts[p]:
            files[shard_file[path]].remits.append(name)
        for r in report["rejects"]:
            f = files[shard_file[r["file"]]]
            f.claims_rejected += 1
            f.rejects.append({"patient_control_number": r.get("patient_control_number"),
                              "reason": r["reason"]})
    for s, f in zip(splits, files):
        if f.status == "pending":
            f.claims_out = f.claims_in - f.claims_rejected
            f.status = "adjudicated" if f.claims_out else "rejected"
            f.remits = sorted(set(f.remits))
    return remits


def _partition(task) -> tuple[str, dict]:
    """One partition's run (or, when resuming, what a committed run wrote)."""
    from edi_hit.pipeline import AlreadyAdjudicated, adjudicate

    p, workers, shards, outdir, history, options = task
    output = os.path.join(outdir, f"remit-{p + 1}-of-{workers}.835")
    report = os.path.join(outdir, WORK, f"p{p}.report.json")
    if not (os.path.exists(output) and os.path.exists(report)):
        try:
            adjudicate(shards, output=output, report=report, history=history, **options)
        except AlreadyAdjudicated:  # committed before a kill; its outputs were repaired
            if not (os.path.exists(output) and os.path.exists(report)):
                adjudicate(shards, output=output, report=report, history=history,
                           replay=True, **{k: v for k, v in options.items()
                                           if k in ("control_number",)})
    with open(report, encoding="utf-8") as fh:
        return output, json.load(fh)
