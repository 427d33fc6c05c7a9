# Segment writer with envelopes.
#
# Strategy: the writer owns the envelope arithmetic so no caller ever counts by
# hand. `begin_interchange` / `begin_group` / `begin_transaction` open the three
# envelopes, `write` emits one segment, and the matching `end_*` call writes the
# trailer with the count it kept (SE01 = segments from ST to SE inclusive, GE01 =
# transaction sets, IEA01 = groups) and the same control number as the header.
# A value that contains one of the delimiters would silently change the meaning of
# the file, so it is refused with an X12Error that names the segment and element; so
# is a control character (NUL, 0x1C, DEL, a line break: no X12 character set has
# them, and readers drop or choke on them), a lone surrogate (not text: it cannot be
# encoded) and a value longer than max_element_length (the reader's own limit, so
# whatever is written can be read back). One set lookup per character finds all of
# them. The message names the character and its place, never the value itself (it
# may be a name or a member id).
from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import IO, Iterable, NoReturn, Sequence

from ..errors import X12Error
from ..formats import x12_amount
from .delimiters import Delimiters
from .reader import MAX_ELEMENT_LENGTH

__all__ = ["SegmentWriter", "format_amount"]

Element = str | Sequence[str] | None

# Characters no X12 value may hold, whatever the delimiters.
_CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F))
_SURROGATES = frozenset(chr(c) for c in range(0xD800, 0xE000))
_UNWRITABLE = _CONTROL | _SURROGATES


# A Decimal as an X12 R (real) value ("117.6", "150"): edi_hit.formats, the one module
# of money formatters.
format_amount = x12_amount


class SegmentWriter:
    """Write segments to a binary stream (or to memory when `stream` is None).

    >>> w = SegmentWriter(None, Delimiters(), line_break=True)
    >>> w.begin_interchange("ZZ", "SENDER", "ZZ", "RECEIVER", 1, now=datetime(2026, 1, 2, 3, 4))
    >>> w.begin_group("HC", "SENDER", "RECEIVER", 1, "005010X222A1")
    >>> w.begin_transaction("837", "0001", "005010X222A1")
    >>> w.write(["BHT", "0019", "00", "1", "20260102", "0304", "CH"])
    >>> w.end_transaction(); w.end_group(); w.end_interchange()
    >>> data = w.getvalue()
    """

    def __init__(self, stream: IO[bytes] | None = None, delimiters: Delimiters = Delimiters(),
                 *, line_break: bool = False, encoding: str = "utf-8",
                 max_element_length: int = MAX_ELEMENT_LENGTH):
        self._stream = stream if stream is not None else io.BytesIO()
        self._owned = stream is None
        self.delimiters = delimiters
        self._end = delimiters.segment + ("\n" if line_break else "")
        self._encoding = encoding
        self._delimiters = frozenset(delimiters.chars())
        self._forbidden = self._delimiters | _UNWRITABLE
        self.max_element_length = max_element_length
        self._buffer: list[str] = []
        self._buffered = 0
        self.segments_written = 0
        self._st_start: int | None = None
        self._st_control: str | None = None
        self._gs_control: str | None = None
        self._isa_control: str | None = None
        self._st_count = 0
        self._gs_count = 0
        self._now: datetime | None = None

    # -- single segments ----------------------------------------------------
    def write(self, elements: Sequence[Element]) -> None:
        """Write one segment. An element is a str, None (empty), or a sequence of
        components (a composite). Trailing empty elements and components are dropped."""
        d = self.delimiters
        forbidden = self._forbidden
        limit = self.max_element_length
        out = []
        for pos, value in enumerate(elements):
            if value is None:
                out.append("")
                continue
            if not isinstance(value, str):
                comps = [("" if c is None else str(c)) for c in value]
                while comps and comps[-1] == "":
                    comps.pop()
                for c in comps:
                    if not forbidden.isdisjoint(c):
                        self._refuse(elements, pos, c)
                value = d.component.join(comps)
            elif not forbidden.isdisjoint(value):
                self._refuse(elements, pos, value)
            if len(value) > limit:
                self._too_long(elements, pos, value)
            out.append(value)
        while len(out) > 1 and out[-1] == "":
            out.pop()
        self._buffer.append(d.element.join(out) + self._end)
        self.segments_written += 1
        if len(self._buffer) >= 4096:
            self.flush()

    def _refuse(self, elements: Sequence[Element], pos: int, value: str) -> NoReturn:
        seg_id = str(elements[0]) if elements else "?"
        at = next(i for i, ch in enumerate(value) if ch in self._forbidden)
        ch = value[at]
        if ch in self._delimiters:
            what = (f"value contains {ch!r} (character {at + 1}), a delimiter of this file "
                    f"({self.delimiters.chars()!r})")
        elif ch in _SURROGATES:
            what = f"value contains a lone surrogate U+{ord(ch):04X} (character {at + 1}), not text"
        else:
            what = (f"value contains the control character {ch!r} (character {at + 1}), which "
                    "X12 cannot carry")
        raise X12Error(what, segment_index=self.segments_written + 1, segment_id=seg_id,
                       element=f"{seg_id}{pos:02d}")

    def _too_long(self, elements: Sequence[Element], pos: int, value: str) -> NoReturn:
        seg_id = str(elements[0]) if elements else "?"
        raise X12Error(
            f"value is {len(value):,} characters long, more than the {self.max_element_length:,} "
            "an element may have (max_element_length)",
            segment_index=self.segments_written + 1, segment_id=seg_id,
            element=f"{seg_id}{pos:02d}")

    def write_raw(self, segments: Iterable[Sequence[Element]]) -> None:
        for seg in segments:
            self.write(seg)

    def flush(self) -> None:
        if self._buffer:
            self._stream.write("".join(self._buffer).encode(self._encoding))
            self._buffer.clear()

    def getvalue(self) -> bytes:
        self.flush()
        if not self._owned:
            raise ValueError("getvalue() is only for a writer that writes to memory")
        assert isinstance(self._stream, io.BytesIO)
        return self._stream.getvalue()

    # -- envelopes ------------------------------------------------------------
    def begin_interchange(self, sender_qualifier: str, sender_id: str, receiver_qualifier: str,
                          receiver_id: str, control_number: int | str, *, now: datetime | None = None,
                          usage: str = "P", ack_requested: str = "0", version: str = "00501",
                          authorization: tuple[str, str] = ("00", ""),
                          security: tuple[str, str] = ("00", "")) -> None:
        if self._isa_control is not None:
            raise X12Error("an interchange is already open; call end_interchange() first")
        now = now or datetime.now()
        self._now = now
        d = self.delimiters
        control = str(control_number).zfill(9)
        if len(control) != 9 or not control.isdigit():
            raise X12Error("interchange control number must be 1 to 9 digits", segment_id="ISA",
                           element="ISA13", got=str(control_number))
        isa = [
            "ISA", authorization[0], authorization[1].ljust(10)[:10], security[0],
            security[1].ljust(10)[:10], sender_qualifier, sender_id.ljust(15)[:15],
            receiver_qualifier, receiver_id.ljust(15)[:15], now.strftime("%y%m%d"),
            now.strftime("%H%M"), d.repetition or "U", version, control, ack_requested, usage,
            d.component,
        ]
        # ISA11 and ISA16 carry delimiters themselves: write the ISA by hand.
        for pos, value in enumerate(isa[:11]):
            if pos and not self._forbidden.isdisjoint(value):
                self._refuse(isa, pos, value)
        for pos, value in enumerate(isa[12:16], start=12):
            if not self._forbidden.isdisjoint(value):
                self._refuse(isa, pos, value)
        self._buffer.append(d.element.join(isa) + self._end)
        self.segments_written += 1
        self._isa_control = control
        self._gs_count = 0

    def begin_group(self, functional_id: str, sender_code: str, receiver_code: str,
                    control_number: int | str, version: str, *, now: datetime | None = None) -> None:
        if self._isa_control is None:
            raise X12Error("begin_interchange() must come before begin_group()")
        now = now or self._now or datetime.now()
        self._gs_control = str(int(control_number)) if str(control_number).isdigit() else str(control_number)
        self.write(["GS", functional_id, sender_code, receiver_code, now.strftime("%Y%m%d"),
                    now.strftime("%H%M"), self._gs_control, "X", version])
        self._gs_count += 1
        self._st_count = 0

    def begin_transaction(self, set_id: str, control_number: int | str,
                          implementation_reference: str | None = None) -> None:
        if self._gs_control is None:
            raise X12Error("begin_group() must come before begin_transaction()")
        control = str(control_number)
        if control.isdigit():
            control = control.zfill(4)
        self._st_control = control
        self._st_start = self.segments_written
        self.write(["ST", set_id, control, implementation_reference])
        self._st_count += 1

    def end_transaction(self) -> None:
        if self._st_start is None:
            raise X12Error("no transaction set is open")
        count = self.segments_written - self._st_start + 1
        self.write(["SE", str(count), self._st_control])
        self._st_start = None

    def end_group(self) -> None:
        if self._st_start is not None:
            self.end_transaction()
        self.write(["GE", str(self._st_count), self._gs_control])
        self._gs_control = None

    def end_interchange(self) -> None:
        if self._gs_control is not None:
            self.end_group()
        self.write(["IEA", str(self._gs_count), self._isa_control])
        self._isa_control = None
        self.flush()

    @property
    def transaction_segment_count(self) -> int:
        """Segments written since ST (inclusive), for callers that need it."""
        return 0 if self._st_start is None else self.segments_written - self._st_start
