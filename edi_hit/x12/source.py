# Opening an X12 source: a path, bytes or a binary stream, gzip-compressed or not.
#
# Strategy: compression is known by its magic bytes (1F 8B), never by the file's name,
# so `claims.837.gz`, a `.837` that is really gzip and `cat x.gz | edi-hit ... -` read
# the same. The check looks ahead without consuming: peek() on a buffered stream
# (stdin), tell/read/seek on a seekable one; a stream it cannot look into is taken as
# plain. A gzip source is read through gzip.GzipFile, which decompresses as it is read:
# memory stays bounded (the reader's chunk, not the file). Byte offsets in messages are
# then offsets in the decompressed text. Every reader of X12 opens through here
# (SegmentReader, the envelope pre-scan), so the library reads .gz as the CLI does.
from __future__ import annotations

import gzip
import io
import os
import zlib
from typing import IO, Any, BinaryIO, cast

from ..errors import X12Error

__all__ = ["GZIP_MAGIC", "is_gzip", "open_path", "gunzipped"]

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(head: bytes) -> bool:
    """True when `head` (the first bytes of a source) starts with gzip's magic."""
    return head[:2] == GZIP_MAGIC


def _peek(fh: Any, n: int) -> bytes:
    """The next n bytes of fh (fewer at the end), leaving its position where it was."""
    peek = getattr(fh, "peek", None)
    if peek is not None:
        data = peek(n)
        if len(data) >= n or not getattr(fh, "seekable", lambda: False)():
            return bytes(data[:n])
    if getattr(fh, "seekable", lambda: False)():
        where = fh.tell()
        data = fh.read(n)
        fh.seek(where)
        return bytes(data)
    return b""


class _Gunzip(gzip.GzipFile):
    """A GzipFile whose broken input (truncated, not deflate, a bad CRC) is an X12Error
    naming the file, one line like every bad input, instead of EOFError or zlib.error."""

    def read(self, size: int | None = -1) -> bytes:
        try:
            return super().read(size)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise X12Error(f"the input is gzip-compressed but cannot be decompressed: {exc}",
                           file=_name(self)) from None

    def read1(self, size: int = -1) -> bytes:
        try:
            return super().read1(size)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise X12Error(f"the input is gzip-compressed but cannot be decompressed: {exc}",
                           file=_name(self)) from None


def _name(fh: Any) -> str | None:
    name = getattr(getattr(fh, "fileobj", None), "name", None)
    return name if isinstance(name, str) else None


def open_path(path: str | os.PathLike[str]) -> BinaryIO:
    """A path opened to read, decompressed when it is gzip (OSError as open raises)."""
    fh = open(path, "rb")
    if not is_gzip(fh.peek(2)[:2]):
        return fh
    return cast(BinaryIO, _Owning(fh))


class _Owning(_Gunzip):
    """A _Gunzip that closes the file it reads (it opened it)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def gunzipped(fh: IO[bytes]) -> tuple[IO[bytes], bool]:
    """(stream to read, whether it is a new wrapper): fh itself, or a GzipFile reading
    it when its next bytes are gzip's magic. Closing the wrapper leaves fh open."""
    if is_gzip(_peek(fh, 2)):
        return cast(IO[bytes], _Gunzip(fileobj=fh, mode="rb")), True
    return fh, False


def gunzipped_bytes(data: bytes) -> IO[bytes]:
    """A stream of `data`, decompressed as it is read when it is gzip."""
    stream: IO[bytes] = io.BytesIO(data)
    return gunzipped(stream)[0]
