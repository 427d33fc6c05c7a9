"""Bounded input: segment and element length limits, memory, and the pre-check agreeing
with the read."""
from __future__ import annotations

import io
import tracemalloc

import pytest

from conftest import FIXTURES
from edi_hit.claims import RejectedClaim
from edi_hit.errors import LimitError, X12Error
from edi_hit.x12 import SegmentReader, check_transaction_sets
from edi_hit.x12.reader import MAX_ELEMENT_LENGTH, MAX_SEGMENT_LENGTH
from edi_hit.x837p import read_837p

HIT = (FIXTURES / "837p" / "hit_claims.837").read_bytes().replace(b"\n", b"")
ISA = HIT[:HIT.index(b"~") + 1]


class Endless(io.RawIOBase):
    """`size` bytes of `fill` after `head`, produced as read, never held."""

    def __init__(self, head: bytes, size: int, fill: bytes = b"A"):
        self.head, self.left, self.fill = head, size, fill

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        if self.head:
            n = min(len(buf), len(self.head))
            buf[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        n = min(len(buf), self.left)
        buf[:n] = self.fill * n
        self.left -= n
        return n


def test_the_defaults_are_far_above_any_837p_segment():
    assert MAX_SEGMENT_LENGTH == 65_536 and MAX_ELEMENT_LENGTH == 8_192


def test_no_terminator_is_refused_at_the_limit_naming_the_byte_offset():
    data = ISA + b"GS*" + b"A" * 3_000_000
    for chunk in (1 << 20, 17):
        with pytest.raises(LimitError) as info:
            list(SegmentReader(data, chunk_size=chunk))
        assert str(info.value) == (
            "segment 2: segment starting at byte 106 has no segment terminator '~' within "
            "65,536 characters (max_segment_length)")


def test_memory_stays_flat_without_terminators():
    # 40 MB without a terminator after a good ISA: refused having held a chunk or two
    tracemalloc.start()
    try:
        with pytest.raises(LimitError):
            list(SegmentReader(io.BufferedReader(Endless(ISA, 40 << 20), 1 << 16)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak:,} bytes"


def test_a_long_segment_comes_after_the_segments_before_it():
    data = HIT.replace(b"REF*G1*PA20260001", b"REF*G1*" + b"1*" * 40_000)
    reader = SegmentReader(data)
    seen = []
    with pytest.raises(LimitError) as info:
        for seg in reader:
            seen.append(seg[0])
    assert len(seen) == 24 and seen[-1] == "CLM"
    err = info.value
    assert (err.segment_index, err.segment_id) == (25, "REF")
    at = data.index(b"REF*G1*")
    assert f"segment at byte {at} is 80,007 characters long, more than the 65,536 allowed" in \
        str(err)


def test_a_short_file_with_an_unterminated_tail_is_refused_too():
    with pytest.raises(LimitError, match="segment at byte 106 is 300,003 characters long"):
        list(SegmentReader(ISA + b"GS*" + b"A" * 300_000))


def test_a_long_element_is_refused_with_its_position():
    data = HIT.replace(b"REF*G1*PA20260001", b"REF*G1*" + b"9" * 9_000)
    with pytest.raises(LimitError) as info:
        list(SegmentReader(data))
    assert (info.value.segment_index, info.value.segment_id, info.value.element) == \
        (25, "REF", "REF02")
    assert "9,000 characters long, more than the 8,192 allowed (max_element_length)" in \
        str(info.value)
    assert "999" not in str(info.value)       # the value itself is never quoted


def test_the_limits_are_configurable():
    data = HIT.replace(b"REF*G1*PA20260001", b"REF*G1*" + b"9" * 300)
    assert len(list(SegmentReader(data))) == 74
    with pytest.raises(LimitError, match="more than the 200 allowed"):
        list(SegmentReader(data, max_element_length=200))
    with pytest.raises(LimitError, match="more than the 250 allowed"):
        list(SegmentReader(data, max_segment_length=250))
    with pytest.raises(TypeError, match="max_segment_length must be a positive int"):
        SegmentReader(data, max_segment_length=0)


def test_the_837p_reader_raises_or_rejects_the_open_set_and_the_precheck_agrees():
    data = HIT.replace(b"REF*G1*PA20260001", b"REF*G1*" + b"9" * 9_000)
    with pytest.raises(LimitError):
        list(read_837p(data))
    (verdict,) = check_transaction_sets(data)
    assert [f.code for f in verdict] == ["unreadable"]
    reader = read_837p(data, errors="reject")
    items = list(reader)          # streamed on the pre-check's verdict: no disagreement
    assert reader.streaming is True
    assert len(items) == 1 and isinstance(items[0], RejectedClaim)
    assert "max_element_length" in items[0].reason
    assert items[0].findings[-1].code == "unreadable"


def test_a_read_that_holds_the_set_rejects_it_the_same_way():
    data = HIT.replace(b"REF*G1*PA20260001", b"REF*G1*" + b"9" * 9_000)

    class Pipe(io.RawIOBase):
        def __init__(self, b):
            self._b = io.BytesIO(b)

        def readable(self):
            return True

        def readinto(self, buf):
            return self._b.readinto(buf)

    reader = read_837p(Pipe(data), errors="reject")
    items = list(reader)
    assert reader.streaming is False
    assert [i.reason for i in items] == [i.reason for i in read_837p(data, errors="reject")]


def test_loops_are_bounded_too():
    lines = b"".join(b"NTE*ADD*NOTE %d~" % n for n in range(300))
    data = HIT.replace(b"HI*ABK:A419*ABF:B20~", b"HI*ABK:A419*ABF:B20~" + lines) \
        .replace(b"SE*70*0001", b"SE*370*0001")
    assert len(list(read_837p(data))) == 3            # 300 NTE: a long claim, but one
    items = list(read_837p(data, errors="reject", max_loop_segments=100))
    assert [type(i).__name__ for i in items] == ["RejectedClaim", "Claim", "Claim"]
    assert items[0].reason == ("segment 24 (CLM): loop 2300 is too long: expected at most 100 "
                               "segments in one loop (max_loop_segments)")
    with pytest.raises(X12Error, match="at most 100 segments in one loop"):
        list(read_837p(data, max_loop_segments=100))
    # the same outcome whether the read meets the limit inside a chunk or at its end
    small = list(read_837p(data, errors="reject", max_loop_segments=100))
    reader = read_837p(data, errors="reject", max_loop_segments=100)
    reader._segments.chunk_size = 512
    assert [(type(i).__name__, getattr(i, "reason", None)) for i in reader] == \
        [(type(i).__name__, getattr(i, "reason", None)) for i in small]
