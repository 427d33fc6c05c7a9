# An atomic, exactly-once run: outputs staged, ledger committed, outputs published.
#
# Strategy: the order of the steps is the guarantee.
#   1. take the history's write lock (waiting, and saying so, while another run holds it);
#   2. repair: a run that committed but was killed before its outputs were renamed gets
#      them now (its temporary files, checked by sha256; an 835 from the ledger's copy);
#   3. refuse inputs a committed run adjudicated already (or, with --replay, write that
#      run's 835 again, byte for byte, and touch nothing else);
#   4. open the run; price and write every output under its temporary name (the caller);
#   5. complete every output (flushed, fsynced, hashed) - only then commit the history,
#      the ledger rows, the run's inputs, outputs and totals, in one transaction;
#   6. publish (rename into place, or deliver to stdout/devices), then mark the run done.
# Steps 5-6 run with SIGINT and SIGTERM held, so neither cuts them in half; a SIGKILL or
# power loss between 5 and 6 is what step 2 of the next run repairs. Any failure before
# the commit rolls back, removes every temporary file, and records the run as aborted.
from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any, BinaryIO, Protocol

from edi_hit.errors import EdiHitError
from edi_hit.interrupts import deferred
from edi_hit.outputs import (FILE, STDOUT, OutputBusy, StagedOutput, Target, check_outputs,
                             resolve)
from edi_hit.pricing.history import HistoryStore, InputFile, OutputFile, RunRecord

from .faults import point
from .summary import ManifestEntry

__all__ = ["RunOutputs", "LedgerRun", "AlreadyAdjudicated", "repair"]


class AlreadyAdjudicated(EdiHitError):
    """An input was adjudicated by a committed run (use --replay to write its 835 again)."""


# -- outputs -------------------------------------------------------------------------------

class RunOutput(Protocol):
    """One output of a run, as RunOutputs drives it: a StagedOutput (a file, stdout, a
    device) or a _StreamOutput (a caller's binary stream)."""

    target: Target
    temp: str | None
    sha256: str | None
    size: int | None

    def open(self) -> object: ...
    @property
    def stream(self) -> IO[Any]: ...
    def readable_copy(self) -> IO[bytes] | None: ...
    def complete(self, consumer: Callable[[bytes], None] | None = None, *,
                 durable: bool = True) -> tuple[str, int] | None: ...
    def publish(self) -> None: ...
    def discard(self) -> None: ...
    def close(self) -> None: ...


OutputValue = str | os.PathLike[str] | BinaryIO  # what the caller names an output by


class _StreamOutput:
    """A binary stream the library caller gave as the 835 output: written to directly,
    or (when a ledger commit must come first) spooled and delivered after it."""

    def __init__(self, stream: BinaryIO, defer: bool) -> None:
        name = getattr(stream, "name", None)
        self.target = Target(name if isinstance(name, str) else "<stream>", None, STDOUT)
        self._dest = stream
        self._spool = StagedOutput(self.target, binary=True, defer=True) if defer else None
        self.sha256: str | None = None
        self.size: int | None = None
        self.temp: str | None = None

    def open(self) -> _StreamOutput:
        if self._spool is not None:
            self._spool.open()
        return self

    @property
    def stream(self) -> IO[Any]:
        return self._spool.stream if self._spool is not None else self._dest

    def readable_copy(self) -> IO[bytes] | None:
        return None if self._spool is None else self._spool.readable_copy()

    def complete(self, consumer: Callable[[bytes], None] | None = None, *,
                 durable: bool = True) -> tuple[str, int] | None:
        if self._spool is None:
            return None
        result = self._spool.complete(consumer, durable=durable)
        self.sha256, self.size = self._spool.sha256, self._spool.size
        return result

    def publish(self) -> None:
        if self._spool is not None:
            raw = self._spool.readable_copy()  # a deferred spool: always a copy to read
            assert raw is not None, "_StreamOutput.publish() before open()"
            raw.seek(0)
            while chunk := raw.read(1 << 20):
                self._dest.write(chunk)
            self._dest.flush()

    def discard(self) -> None:
        self.close()

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


class RunOutputs:
    """The outputs of one run, by role: '835' (required), 'report', 'manifest'."""

    def __init__(self) -> None:
        self.items: dict[str, RunOutput] = {}
        self.labels: dict[str, str] = {}

    @classmethod
    def plan(cls, output: OutputValue | None, report: OutputValue | None,
             manifest: OutputValue | Callable[[ManifestEntry], None] | None, *,
             inputs: Iterable[object], history: str | None, defer: bool) -> RunOutputs:
        """Resolve and check the outputs before anything is written (OutputConflict).
        A callable manifest is no output (the caller takes each line)."""
        outs = cls()
        named: list[tuple[str, Target]] = []
        for role, label, value, binary in (("835", "-o", output, True),
                                           ("report", "--report", report, False),
                                           ("manifest", "--manifest", manifest, False)):
            if value is None or callable(value):
                continue
            if isinstance(value, (str, os.PathLike)):
                target = resolve(os.fspath(value))
                named.append((label, target))
                outs.items[role] = StagedOutput(target, binary=binary, defer=defer, label=label)
            else:
                outs.items[role] = _StreamOutput(value, defer)
            outs.labels[role] = label
        check_outputs(named, inputs=inputs, history=history)
        for label, target in named:  # fail before the history lock, not after pricing
            if target.kind != FILE:
                continue
            folder = os.path.dirname(target.file_path)
            if not os.path.isdir(folder):
                raise EdiHitError(f"{target.name}: cannot write: the folder {folder} does not "
                                  f"exist")
            if not os.access(folder, os.W_OK):
                raise EdiHitError(f"{target.name}: cannot write: the folder {folder} is not "
                                  f"writable")
        return outs

    def reserve(self) -> None:
        """Take the temporary files' locks now: a second command writing the same output
        fails at once instead of after waiting for the history."""
        for out in self.items.values():
            if isinstance(out, StagedOutput):
                out.reserve()

    def reserved(self) -> frozenset[str]:
        """The temporary files this run holds (a repair knows their writer is gone)."""
        return frozenset(out.temp for out in self.items.values()
                         if isinstance(out, StagedOutput) and out.temp)

    def open(self) -> None:
        """Create (or take over) the temporary files: fail fast if busy."""
        for out in self.items.values():
            out.open()

    def stream(self, role: str) -> IO[Any] | None:
        """The open stream of an output, or None when the run has none in that role."""
        out = self.items.get(role)
        return None if out is None else out.stream

    def required(self, role: str) -> IO[Any]:
        """The open stream of an output the caller planned (KeyError when it did not)."""
        return self.items[role].stream

    def chunks(self, role: str) -> Iterator[bytes]:
        """The bytes of a completed output, read back in chunks (for the ledger's copy)."""
        out = self.items.get(role)
        raw = None if out is None else out.readable_copy()
        if raw is None:
            return
        raw.seek(0)
        while chunk := raw.read(1 << 20):
            yield chunk

    def complete(self, durable: bool = True) -> list[OutputFile]:
        """Every output flushed (durable: fsynced and hashed too); what the ledger records
        of them."""
        records: list[OutputFile] = []
        for role, out in self.items.items():
            out.complete(durable=durable)
            t = out.target
            if out.sha256 is None or out.size is None:  # written through: nothing kept
                continue
            records.append(OutputFile(role, t.path or t.name, out.sha256, out.size,
                                      out.temp if t.kind == FILE else None))
        return records

    def publish(self) -> None:
        for role, out in self.items.items():
            out.publish()
            if role == "835":
                point("published-835")

    def discard(self) -> None:
        for out in self.items.values():
            out.discard()

    def close(self) -> None:
        for out in self.items.values():
            out.close()


# -- the ledger side -----------------------------------------------------------------------

class LedgerRun:
    """One run's conversation with the history store (see the module comment)."""

    def __init__(self, store: HistoryStore, inputs: list[InputFile], *, started: datetime,
                 notify: Callable[[str], None]) -> None:
        self.store = store
        self.inputs = inputs
        self.started = started
        self.notify = notify
        self.run_id: int | None = None
        self.notes: list[str] = []
        self.committed = False

    def begin(self, wait: float | None, on_wait: Callable[[str], None] | None,
              held: frozenset[str] = frozenset()) -> dict[str, RunRecord]:
        """Steps 1-3 (the caller refuses or replays): take the lock, repair, and return
        the committed runs that adjudicated any of the inputs, by input sha256. held: the
        temporary files this run has reserved (their earlier writer is gone)."""
        store = self.store
        store.begin(wait, on_wait)
        try:
            point("locked")
            self.notes = repair(store, held)
            for note in self.notes:
                self.notify(note)
            if self.notes:
                store.commit()
                store.begin(wait, on_wait)
            return store.committed_inputs([i.sha256 for i in self.inputs])
        except BaseException as exc:
            if store.in_transaction:
                self.abort(exc)
            raise

    def refuse(self, done: dict[str, RunRecord]) -> AlreadyAdjudicated:
        """Release the lock; the error that names the first input adjudicated before."""
        self.store.rollback()
        first = next(i for i in self.inputs if i.sha256 in done)
        return AlreadyAdjudicated(_already(first, done[first.sha256]))

    def open(self) -> int:
        self.run_id = self.store.open_run(self.started, self.inputs)
        return self.run_id

    @property
    def opened(self) -> int:
        """The id of the run open() opened (its rows are staged under it)."""
        run_id = self.run_id
        assert run_id is not None, "the ledger run was used before open()"
        return run_id

    def commit(self, outputs: RunOutputs, totals: Mapping[str, Any],
               records: list[OutputFile]) -> None:
        """Steps 5-6 (the outputs are complete): commit, publish, mark done. The ledger
        keeps the 835's bytes (read back from its completed temporary file) for
        --replay and for a repair that finds the temporary file gone."""
        store = self.store
        with deferred():
            store.commit_run(self.opened, datetime.now(), self.inputs, records, totals,
                             {"835": outputs.chunks("835")})  # chunks: the 835 read back
            self.committed = True
            try:
                point("committed")
                outputs.publish()
                point("published")
            except BaseException as exc:
                raise EdiHitError(
                    f"run {self.run_id} is committed but its outputs could not all be put in "
                    f"place ({_why(exc)}); the next run on {store.location}, or `edi-hit "
                    f"ledger repair --history {store.location}`, finishes it") from None
            for r in records:
                r.state = "placed"
            store.mark_done(self.opened, records)
            point("done")

    def abort(self, exc: BaseException) -> None:
        """The run failed before its commit: roll back; keep a record of the failure."""
        store = self.store
        store.rollback()
        try:
            store.record_aborted(self.started, _why(exc), self.inputs)
        except Exception:  # noqa: BLE001 - the record is a courtesy; the rollback is what counts
            pass


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return f"interrupted ({'SIGTERM' if type(exc).__name__ == 'Terminated' else 'SIGINT'})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__


def adjudicated_in(rec: RunRecord) -> str:
    """'adjudicated already, in run R on DATE; its 835: PATH': how an input a committed
    run adjudicated is named (adjudicate's refusal, batch's manifest)."""
    out = rec.output("835")
    where = f"; its 835: {out.path}" if out is not None else ""
    return f"adjudicated already, in run {rec.id} on {rec.started:%Y-%m-%d %H:%M}{where}"


def _already(inp: InputFile, rec: RunRecord) -> str:
    return (f"{inp.path} was {adjudicated_in(rec)}. Nothing was done; --replay writes that "
            f"run's 835 again (a corrected file is a new input)")


# -- repair ------------------------------------------------------------------------------------

def file_sha256(path: str) -> str | None:
    """The file's sha256 (hex), or None when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            digest = hashlib.sha256()
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
            return digest.hexdigest()
    except OSError:
        return None


def _restore(store: HistoryStore, rec: RunRecord, o: OutputFile) -> str:
    if o.temp is None:
        return "lost"  # it went to stdout, a device or a FIFO of a process now gone
    if file_sha256(o.path) == o.sha256:
        return "placed"
    if file_sha256(o.temp) == o.sha256:
        try:
            mode = stat.S_IMODE(os.stat(o.path).st_mode)
        except OSError:
            mask = os.umask(0)
            os.umask(mask)
            mode = 0o666 & ~mask
        os.chmod(o.temp, mode)
        os.replace(o.temp, o.path)
        return "placed"
    if o.role == "835":
        data = store.run_blob(rec.id, "835")
        if data is not None and hashlib.sha256(data).hexdigest() == o.sha256:
            _place(StagedOutput(resolve(o.path), binary=True), data)
            return "placed"
    return "lost"


def _in_progress(rec: RunRecord, held: frozenset[str] = frozenset()) -> bool:
    """Whether the run that committed is still putting its outputs in place: it holds the
    lock on its temporary files until it is done (the kernel drops it when a process
    dies), or, for outputs written through, its process is still alive on this host."""
    for o in rec.outputs:
        if o.temp is None or o.temp in held:
            continue
        try:
            fd = os.open(o.temp, os.O_RDONLY)
        except OSError:
            continue  # renamed into place already, or gone
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
    if any(o.temp is None for o in rec.outputs) and rec.pid and rec.host == socket.gethostname():
        try:
            os.kill(rec.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return rec.pid != os.getpid()
    return False


def repair(store: HistoryStore, held: frozenset[str] = frozenset()) -> list[str]:
    """Put in place the outputs of committed runs that were not marked done (inside the
    caller's write transaction); one note per run repaired. A run still putting its
    outputs in place (its process alive: it committed, then released the history's lock
    before renaming) is left to finish. held: temporary files the caller has locked
    itself (reserved outputs): their writer is gone."""
    notes: list[str] = []
    for rec in store.unfinished_runs():
        if _in_progress(rec, held):
            continue
        try:
            states = [(o, _restore(store, rec, o)) for o in rec.outputs]
        except OutputBusy:
            continue  # another command holds the output; the next run tries again
        for o, state in states:
            o.state = state
        store.mark_done(rec.id, rec.outputs)
        told = ", ".join(f"{o.role} {o.path} {o.state}" for o in rec.outputs) or "no outputs"
        notes.append(f"run {rec.id} was committed but interrupted before its outputs were in "
                     f"place; repaired: {told}"
                     + ("; an 835 marked lost can be written again with --replay"
                        if any(o.state == "lost" for o in rec.outputs) else ""))
    return notes


def replay(store: HistoryStore, rec: RunRecord, output: OutputValue, *,
           inputs: Iterable[object], history: str | None) -> None:
    """Write a committed run's 835 again, byte for byte (the caller holds no lock)."""
    data = store.run_blob(rec.id, "835")
    out_rec = rec.output("835")
    if data is None or (out_rec is not None and hashlib.sha256(data).hexdigest() != out_rec.sha256):
        raise EdiHitError(f"run {rec.id}: the ledger has no copy of its 835 to replay")
    outs = RunOutputs.plan(output, None, None, inputs=inputs, history=history, defer=False)
    _place(outs.items["835"], data)


def _place(out: RunOutput, data: bytes) -> None:
    """Write bytes to one output (a StagedOutput or a caller's stream) and put them in
    place, or leave nothing behind."""
    out.open()
    try:
        out.stream.write(data)
        out.complete()
        out.publish()
    except BaseException:
        out.discard()
        raise
    out.close()
