# The claims of one transaction set, as validate() found them, in bounded memory.
#
# Strategy: a report keeps every claim of a set (claim id, first and last segment) for
# the decisions, the counts and the per-claim outputs (JSON, 277CA). Kept as objects,
# 100,000 claims pinned about 100 MB (an object, a string and two integers each,
# scattered over the allocator's arenas). ClaimLog keeps them as fixed-size packed
# records instead: up to MEMORY_RECORDS in a bytearray, then in a ClaimSpool, a private
# temporary file (created 0600 in TMPDIR and already unlinked: it holds claim ids,
# nobody else can open it, and nothing is left behind however the process ends) that
# all the sets of one report share (one file descriptor, however many sets). A log
# knows its runs of records in the spool (extents); random access is one pread per
# record; memory is the in-memory tail whatever the number of claims.
#
# The claim the checker is reading is still an object (it learns its last segment at
# the next claim); it is packed when the next one comes or when the log is read.
# Decisions are stored apart: the positions of claims with issues of their own and
# their reasons (few), and the set's verdict, which every other claim shares.
# Claim ids longer than a record holds (a CLM01 is at most 38 characters; broken input
# may carry more) are kept whole in a dict beside the records.
from __future__ import annotations

import os
import struct
import tempfile
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from .report import ClaimResult

__all__ = ["ClaimLog", "ClaimSpool", "MEMORY_RECORDS"]

_ID_BYTES = 38                          # CLM01 / CLP01: AN 1-38
_RECORD = struct.Struct(f"<qqB{_ID_BYTES}s")
_PACK = _RECORD.pack
MEMORY_RECORDS = 4096                   # records held in memory before the log spills
_READ_RECORDS = 1024                    # records read from the file at a time


class ClaimSpool:
    """One private temporary file that the claim logs of a report append to."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._size = 0

    def write(self, data: bytes | bytearray) -> int:
        """Append `data`; return its offset."""
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="edi-hit-claims-")
        at = self._size
        os.pwrite(self._file.fileno(), data, at)
        self._size += len(data)
        return at

    def read(self, offset: int, size: int) -> bytes:
        assert self._file is not None
        return os.pread(self._file.fileno(), size, offset)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __getstate__(self) -> dict[str, Any]:
        return {}     # a copy in another process starts empty: its logs adopt it

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._file, self._size = None, 0


class ClaimLog:
    """A list-like sequence of ClaimResult, packed; see the module comment."""

    def __init__(self, claims: Iterable[ClaimResult] = (), *,
                 spool: ClaimSpool | None = None) -> None:
        self._tail = bytearray()        # records not (yet) in the spool
        self._spool = spool
        self._extents: list[tuple[int, int]] = []   # (first position, offset in the spool)
        self._in_file = 0               # records in the spool
        self._long: dict[int, str] = {}  # position -> claim id too long for a record
        self._open: ClaimResult | None = None
        self.decided: dict[int, list[str]] = {}   # position -> its own reasons
        self.accepted = True            # the set's verdict: every other claim's
        self._cursor = 0                # last position located (issues come in order)
        self._count = 0                 # records packed (in the spool and the tail)
        for c in claims:
            self.append(c)

    # -- writing ---------------------------------------------------------------------
    def append(self, claim: ClaimResult) -> None:
        if self._open is not None:
            self._seal()
        self._open = claim

    def _seal(self) -> None:
        """Pack the open claim (its last segment is known by now)."""
        c = self._open
        if c is None:
            return
        self._open = None
        raw = c.claim_id.encode("utf-8")
        if len(raw) > _ID_BYTES:
            self._long[self._count] = c.claim_id
            raw = b""
        self._tail += _PACK(c.segment_index, c.end_index, len(raw), raw)
        if c.reasons or not c.accepted:
            self.decided[self._count] = list(c.reasons)
        self._count += 1
        if len(self._tail) >= MEMORY_RECORDS * _RECORD.size:
            self._spill()

    def _spill(self) -> None:
        if self._spool is None:
            self._spool = ClaimSpool()
        self._extents.append((self._in_file, self._spool.write(self._tail)))
        self._in_file += len(self._tail) // _RECORD.size
        self._tail = bytearray()

    # -- reading ---------------------------------------------------------------------
    def __len__(self) -> int:
        return self._count + (self._open is not None)

    def __bool__(self) -> bool:
        return len(self) > 0

    def _records(self, start: int, stop: int) -> bytes:
        """The packed records [start, stop)."""
        self._seal()
        size = _RECORD.size
        out = b""
        if start < self._in_file:
            assert self._spool is not None
            end = min(stop, self._in_file)
            k = bisect_right(self._extents, (start, 1 << 62)) - 1
            while start < end:     # extent k holds [first, the next extent's first)
                first, offset = self._extents[k]
                last = self._extents[k + 1][0] if k + 1 < len(self._extents) else self._in_file
                upto = min(end, last)
                out += self._spool.read(offset + (start - first) * size, (upto - start) * size)
                start, k = upto, k + 1
        if stop > self._in_file:
            first = max(start, self._in_file) - self._in_file
            out += bytes(self._tail[first * size:(stop - self._in_file) * size])
        return out

    def _claim(self, position: int, record: tuple[int, int, int, bytes]) -> ClaimResult:
        from .report import ClaimResult
        start, end, length, raw = record
        claim_id = self._long.get(position)
        if claim_id is None:
            claim_id = raw[:length].decode("utf-8")
        own = self.decided.get(position)
        if own is not None:
            return ClaimResult(claim_id, start, end, self.accepted and not own,
                               own or (["transaction-rejected"] if not self.accepted else ()))
        if self.accepted:
            return ClaimResult(claim_id, start, end)
        return ClaimResult(claim_id, start, end, False, ["transaction-rejected"])

    def __iter__(self) -> Iterator[ClaimResult]:
        n = len(self)
        for start in range(0, n, _READ_RECORDS):
            stop = min(n, start + _READ_RECORDS)
            for k, record in enumerate(_RECORD.iter_unpack(self._records(start, stop))):
                yield self._claim(start + k, record)

    @overload
    def __getitem__(self, position: int) -> ClaimResult: ...
    @overload
    def __getitem__(self, position: slice) -> list[ClaimResult]: ...

    def __getitem__(self, position: int | slice) -> ClaimResult | list[ClaimResult]:
        n = len(self)
        if isinstance(position, slice):
            return [self[k] for k in range(*position.indices(n))]
        if position < 0:
            position += n
        if not 0 <= position < n:
            raise IndexError("claim position out of range")
        return self._claim(position, _RECORD.unpack(self._records(position, position + 1)))

    def span(self, position: int) -> tuple[int, int]:
        """(first segment, last segment) of the claim at `position`."""
        start, end, _, _ = _RECORD.unpack(self._records(position, position + 1))
        return start, end

    def locate(self, index: int) -> int | None:
        """The position of the claim whose segments hold `index`, or None. Issues are
        located in file order: a cursor makes that a step or two, else a binary search."""
        n = len(self)
        if not n:
            return None
        pos = self._cursor if self._cursor < n else n - 1
        start, end = self.span(pos)
        if start <= index:
            while index > end and pos + 1 < n:
                nxt, nxt_end = self.span(pos + 1)
                if nxt > index:
                    break
                pos, start, end = pos + 1, nxt, nxt_end
                if pos - self._cursor > 8:     # far ahead: search instead
                    pos = self._search(index, n)
                    start, end = self.span(pos)
                    break
        else:
            pos = self._search(index, n)
            start, end = self.span(pos)
        self._cursor = pos
        return pos if start <= index <= end else None

    def _search(self, index: int, n: int) -> int:
        """The last position whose claim starts at or before `index` (0 when none does)."""
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.span(mid)[0] <= index:
                lo = mid + 1
            else:
                hi = mid
        return max(lo - 1, 0)

    # -- decisions ---------------------------------------------------------------------
    def decide(self, accepted: bool, own: dict[int, list[str]]) -> None:
        """The set's verdict and the reasons of the claims with issues of their own."""
        self._seal()
        self.accepted = accepted
        self.decided = own

    def rejected(self) -> int:
        return len(self) if not self.accepted else len(self.decided)

    # -- equality, copies, pickling (a shard's claims go back to the parent) -------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ClaimLog, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]   # mutable, like the list it replaces

    def __repr__(self) -> str:
        return f"ClaimLog({len(self)} claims)"

    def __getstate__(self) -> dict[str, Any]:
        n = len(self)
        return {"records": self._records(0, n), "long": self._long, "decided": self.decided,
                "accepted": self.accepted}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # The records stay in memory until the log is adopted by a report (its spool).
        self._tail, self._spool, self._extents, self._in_file = \
            bytearray(state["records"]), None, [], 0
        self._open, self._cursor = None, 0
        self._count = len(self._tail) // _RECORD.size
        self._long, self.decided, self.accepted = state["long"], state["decided"], state["accepted"]

    def adopt(self, spool: ClaimSpool) -> None:
        """Spill into `spool` from now on (an unpickled log joins its report's spool)."""
        if self._spool is spool:
            return
        if self._in_file:   # records already in another spool: read them over
            self._tail = bytearray(self._records(0, self._in_file)) + self._tail
            self._extents, self._in_file = [], 0
        self._spool = spool
        if len(self._tail) >= MEMORY_RECORDS * _RECORD.size:
            self._spill()

    def close(self) -> None:
        """Forget the records (the spool's space is reused only when the spool goes)."""
        self._tail, self._extents, self._in_file, self._count = bytearray(), [], 0, 0
        self._open, self._long, self.decided = None, {}, {}
