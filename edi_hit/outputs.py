# Safe outputs: one rule for every file an edi-hit command writes.
#
# Strategy: an output name is resolved once (Target): '-' is stdout; a symlink is
# followed to its target, so the link survives and the file it points to is written; an
# existing device, FIFO or socket is written through (never replaced by a plain file);
# anything else is a regular file, written under a temporary name beside it and renamed
# over it only when complete. Before anything is written, check_outputs() refuses
# (OutputConflict, exit status 2) an output that is one of the inputs, the history file
# or another output of the same command.
#
# The temporary file of a regular output has a fixed name, .NAME.edi-hit.tmp, created
# 0600 and held under an exclusive flock while the command runs: a second command
# writing the same path fails at once (OutputBusy) instead of one output silently
# replacing the other, and the leftover of a killed run is taken over (and truncated)
# by the next run instead of piling up. A run that commits to a ledger before its
# outputs appear (edi_hit.pipeline) completes every output first (flushed, fsynced,
# hashed), commits, then publishes: rename for files; for stdout, devices and FIFOs the
# bytes are spooled to an unlinked 0600 file and delivered only after the commit.
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from edi_hit.errors import EdiHitError

__all__ = ["OutputConflict", "OutputBusy", "Target", "StagedOutput", "resolve",
           "check_outputs", "open_output", "temp_name", "FILE", "STREAM", "STDOUT"]

FILE, STREAM, STDOUT = "file", "stream", "stdout"
_SUFFIX = ".edi-hit.tmp"


class OutputConflict(EdiHitError):
    """An output would overwrite an input, the history or another output (usage: exit 2)."""

    exit_code = 2


class OutputBusy(EdiHitError):
    """Another edi-hit command is writing the same output right now."""


Identity = tuple[int, int]  # (st_dev, st_ino): the same file under any name


@dataclass(frozen=True, slots=True)
class Target:
    name: str            # as the user gave it
    path: str | None     # what is written: the real path (symlinks followed); None: stdout
    kind: str            # FILE, STREAM (device, FIFO, socket) or STDOUT
    identity: Identity | None = None  # (st_dev, st_ino) of an existing target
    char_device: bool = False

    @property
    def file_path(self) -> str:
        """The path of a FILE or STREAM target (only stdout has none)."""
        assert self.path is not None, f"{self.name} is stdout, which has no path"
        return self.path


def temp_name(path: str) -> str:
    """The fixed temporary name beside a regular output."""
    folder, base = os.path.split(path)
    return os.path.join(folder, f".{base}{_SUFFIX}")


def resolve(name: str) -> Target:
    """Where an output name really goes (see the module comment)."""
    if name == "-":
        return Target(name, None, STDOUT)
    real = os.path.realpath(name)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return Target(name, real, FILE)
    except OSError as e:
        raise EdiHitError(f"{name}: cannot write: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputConflict(f"{name}: is a directory; name a file to write")
    kind = FILE if stat.S_ISREG(st.st_mode) else STREAM
    return Target(name, real, kind, (st.st_dev, st.st_ino), stat.S_ISCHR(st.st_mode))


def _identity(path: str) -> Identity | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def check_outputs(outputs: Iterable[tuple[str, Target]], *, inputs: Iterable[object] = (),
                  history: str | None = None) -> None:
    """Refuse an output that is an input, the history or another output.

    outputs: (label, target) pairs, label as the user would say it ("-o remit.835");
    inputs: input paths (other sources are ignored); history: the history file path."""
    known: dict[Identity | str, str] = {}
    for src in inputs:
        if isinstance(src, (str, os.PathLike)) and os.fspath(src) != "-":
            path = os.fspath(src)
            for key in (_identity(path), os.path.realpath(path)):
                if key is not None:
                    known[key] = f"the input {path}"
    if history:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = history + suffix
            for key in (_identity(path), os.path.realpath(path)):
                if key is not None:
                    known.setdefault(key, f"the history {history}")
    for label, target in outputs:
        keys: list[Identity | str]
        if target.kind == STDOUT:
            keys = ["stdout"]
        elif target.char_device:
            continue  # /dev/null and the like may take several outputs
        else:
            keys = [k for k in (target.identity, target.path) if k is not None]
        for key in keys:
            other = known.get(key)
            if other is not None:
                raise OutputConflict(f"{label} {target.name} is {other}: refusing to "
                                     f"overwrite it (choose another output)")
        for key in keys:
            known[key] = f"also the output {label} {target.name}"


class StagedOutput:
    """One output being written (see the module comment).

        out = StagedOutput(resolve("remit.835"), binary=True).open()
        out.stream.write(...)
        sha256, size = out.complete()   # flushed and fsynced, not yet visible
        out.publish()                   # renamed into place (or delivered)
        out.close()                     # or out.discard() to leave nothing behind
    """

    def __init__(self, target: Target, *, binary: bool = False, defer: bool = False,
                 label: str = "-o") -> None:
        self.target = target
        self.binary = binary
        self.label = label
        self.defer = defer and target.kind != FILE
        self.temp: str | None = None
        self.sha256: str | None = None
        self.size: int | None = None
        self._fd: int | None = None
        self._raw: IO[bytes] | None = None  # what we write to (temp, spool or target)
        self._text: IO[str] | None = None
        self._placed = False
        self._created = False   # we made the temporary file (or only reserved a leftover)
        self._opened = False    # its old content is gone: it is ours to remove

    # -- opening ------------------------------------------------------------------
    def reserve(self) -> "StagedOutput":
        """Take the temporary file's lock now (fail fast when another command writes the
        same output) without touching what it holds: a run that must first repair an
        earlier, interrupted run (which may have left this very file) reserves, repairs,
        then opens."""
        if self.target.kind == FILE and self._fd is None:
            self._lock_temp()
        return self

    def open(self) -> "StagedOutput":
        t = self.target
        if t.kind == FILE:
            if self._fd is not None and not self._still_ours():
                os.close(self._fd)  # a repair put the file we reserved in place
                self._fd = None
            fd = self._fd if self._fd is not None else self._lock_temp()
            os.ftruncate(fd, 0)
            os.fchmod(fd, 0o600)
            self._raw = os.fdopen(fd, "r+b", closefd=False)
            self._opened = True
        elif self.defer:
            self._raw = tempfile.TemporaryFile()  # 0600, unlinked: delivered after the commit
        elif t.kind == STDOUT:
            self._raw = sys.stdout.buffer
        else:
            try:
                self._raw = open(t.file_path, "wb")  # a device or FIFO: write through
            except OSError as e:
                raise EdiHitError(f"{t.name}: cannot write: {e.strerror}") from None
        if not self.binary:
            if t.kind == STDOUT and not self.defer:
                self._text = sys.stdout
            else:
                self._text = io.TextIOWrapper(self._raw, encoding="utf-8", newline="",
                                              write_through=False)
        return self

    def _still_ours(self) -> bool:
        return self._fd is not None and self.temp is not None and _identity(self.temp) == (
            os.fstat(self._fd).st_dev, os.fstat(self._fd).st_ino)

    def _lock_temp(self) -> int:
        """Create or take over the temporary file and lock it; its descriptor."""
        t = self.target
        path = t.file_path
        self.temp = temp = temp_name(path)
        cloexec = getattr(os, "O_CLOEXEC", 0)
        for _ in range(20):
            try:
                try:
                    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | cloexec, 0o600)
                    created = True
                except FileExistsError:
                    fd = os.open(temp, os.O_RDWR | cloexec)
                    created = False
            except FileNotFoundError:
                if not os.path.isdir(os.path.dirname(path) or "."):
                    raise EdiHitError(f"{t.name}: cannot write: the folder "
                                      f"{os.path.dirname(path) or '.'} does not exist") from None
                continue  # the leftover we saw was renamed or removed meanwhile
            except OSError as e:
                raise EdiHitError(f"{t.name}: cannot write: {e.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise OutputBusy(f"{t.name}: another edi-hit command is writing it right "
                                     f"now; run again when it has finished") from None
                raise
            self._fd, self._created = fd, created
            if self._still_ours():
                return fd
            os.close(fd)  # renamed away by the run that held it: take the new name
            self._fd = None
        raise OutputBusy(f"{t.name}: its temporary file keeps changing; is another program "
                         f"writing it?")

    @property
    def stream(self) -> IO[Any]:
        """The open output: bytes when binary, else str."""
        stream: IO[Any] | None = self._raw if self.binary else self._text
        assert stream is not None, "StagedOutput.stream before open()"
        return stream

    # -- finishing ----------------------------------------------------------------
    def complete(self, consumer: Callable[[bytes], None] | None = None, *,
                 durable: bool = True) -> tuple[str, int] | None:
        """Flush what was written; when durable (a ledger commit follows), also fsync and
        hash it (handing each chunk to consumer). Written-through outputs have nothing to
        hash: None."""
        if self._text is not None:  # our wrapper, or stdout itself
            self._text.flush()
        raw = self._raw
        assert raw is not None, "StagedOutput.complete() before open()"
        if (self.target.kind != FILE and not self.defer) or not durable:
            raw.flush()
            return None
        raw.flush()
        os.fsync(raw.fileno())
        digest, size = hashlib.sha256(), 0
        raw.seek(0)
        while chunk := raw.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            if consumer is not None:
                consumer(chunk)
        self.sha256, self.size = digest.hexdigest(), size
        return self.sha256, size

    def readable_copy(self) -> IO[bytes] | None:
        """The completed bytes as a seekable binary file (a temporary or a spool), or None
        for an output written through."""
        if self.target.kind != FILE and not self.defer:
            return None
        return self._raw

    def publish(self) -> None:
        """Put the completed output in place: rename over the target, or deliver the
        spooled bytes to stdout, the device or the FIFO."""
        t = self.target
        if t.kind == FILE:
            path, temp = t.file_path, self.temp
            assert temp is not None, "StagedOutput.publish() before open()"
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode)
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            os.chmod(temp, mode)
            os.replace(temp, path)
            _fsync_dir(os.path.dirname(path))
        elif self.defer:
            raw = self._raw
            assert raw is not None, "StagedOutput.publish() before open()"
            raw.seek(0)
            dest = sys.stdout.buffer if t.kind == STDOUT else open(t.file_path, "wb")
            try:
                while chunk := raw.read(1 << 20):
                    dest.write(chunk)
                dest.flush()
            finally:
                if dest is not sys.stdout.buffer:
                    dest.close()
        self._placed = True

    def discard(self) -> None:
        """Leave nothing behind: remove the temporary file if it is ours (made or written
        by us, not a leftover only reserved, which a repair may still need), close."""
        if self.temp and not self._placed and (self._created or self._opened):
            try:
                if self._still_ours():
                    os.unlink(self.temp)
            except OSError:
                pass
        self.close()

    def close(self) -> None:
        text = self._text
        if text is not sys.stdout and isinstance(text, io.TextIOWrapper):
            with contextlib.suppress(Exception):
                text.detach()  # the wrapper must not close the raw file for us
        self._text = None
        if self._raw is not None and self._raw is not sys.stdout.buffer:
            with contextlib.suppress(Exception):
                self._raw.close()
        self._raw = None
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_output(name: str, *, binary: bool = False, label: str = "-o",
                inputs: Iterable[object] = (), history: str | None = None,
                others: Iterable[tuple[str, str]] = ()) -> Iterator[IO[Any]]:
    """Yield a writable stream for output `name` under the one rule (module comment);
    the output appears only when the block completes. others: (label, name) of the
    command's other outputs, which this one must not be."""
    target = resolve(name)
    check_outputs([*((lbl, resolve(n)) for lbl, n in others if n), (label, target)],
                  inputs=inputs, history=history)
    out = StagedOutput(target, binary=binary, label=label).open()
    try:
        yield out.stream
        out.complete(durable=False)
        out.publish()
    except BaseException:
        out.discard()
        raise
    out.close()
