# Input files as the ledger knows them: content, not names.
#
# Strategy: a file is identified by its sha256 and size (and, for messages, the ISA06
# sender and ISA13 control number of its first interchange), read once in 1 MB chunks
# before the run takes the history lock. Input that cannot be read twice (a pipe, a
# stream) is spooled to an unlinked 0600 temporary file first, and hashed as it is
# copied. The same content given twice in one run is refused: it is one input.
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from typing import IO, Any

from edi_hit.errors import EdiHitError, UnreadableInput
from edi_hit.pricing.history import InputFile

__all__ = ["identify", "isa_header", "Source"]

# An 837P input as callers give it: a path, its bytes, or a file (binary, or text with
# a .buffer such as sys.stdin).
Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[Any]

_CHUNK = 1 << 20


def _isa(head: bytes) -> tuple[str | None, str | None]:
    """ISA06 and ISA13 from the first bytes of a file (None when it is not X12)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("latin-1")
    if not text.startswith("ISA") or len(text) < 4:
        return None, None
    parts = text.split(text[3], 16)
    if len(parts) < 14:
        return None, None
    return parts[6].strip() or None, parts[13].strip() or None


def isa_header(head: bytes) -> tuple[str | None, str | None]:
    """ISA06 and ISA13 from the first bytes of a file; (None, None) when it is not X12."""
    return _isa(head)


def _hash_stream(read: Callable[[int], bytes]) -> tuple[str, int, bytes]:
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := read(_CHUNK):
        if len(head) < 256:
            head += chunk[:256]
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size, head


def identify(sources: list[Source], names: list[str],
             ) -> tuple[list[Source], list[InputFile], list[IO[bytes]]]:
    """(sources to read, their InputFile records, temporary files to close)."""
    out: list[Source] = []
    records: list[InputFile] = []
    temps: list[IO[bytes]] = []
    seen: dict[str, str] = {}
    for src, name in zip(sources, names):
        if isinstance(src, (str, os.PathLike)):
            try:
                with open(src, "rb") as fh:
                    sha, size, head = _hash_stream(fh.read)
            except OSError as e:
                raise UnreadableInput(f"cannot read: {e.strerror}", file=name) from None
            out.append(src)
        elif isinstance(src, (bytes, bytearray, memoryview)):
            data = bytes(src)
            sha, size, head = hashlib.sha256(data).hexdigest(), len(data), data[:256]
            out.append(src)
        else:
            tmp = _copy(src)
            temps.append(tmp)
            sha, size, head = _hash_stream(tmp.read)
            tmp.seek(0)
            out.append(tmp)
        if sha in seen:
            raise EdiHitError(f"{name} has the same content as {seen[sha]}: give each input "
                              f"once")
        seen[sha] = name
        sender, control = _isa(head)
        records.append(InputFile(name, size, sha, sender, control))
    return out, records, temps


def _copy(source: IO[Any]) -> IO[bytes]:
    """A re-readable copy of a stream (0600, unlinked)."""
    tmp = tempfile.TemporaryFile()
    read = getattr(getattr(source, "buffer", source), "read")
    while chunk := read(_CHUNK):
        tmp.write(chunk)
    tmp.seek(0)
    return tmp
