"""The tokenizer's string forms: segment_texts() (a chunk's segments as strings) and
chunk_texts() (a chunk as one string) give exactly the segments iteration gives, split or
not, on clean files, indented ones, files with line breaks, empty segments, small chunks
and other delimiters; and has_long_run() is exact."""
from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from edi_hit.x12 import SegmentReader
from edi_hit.x12.reader import has_long_run

HIT = (FIXTURES / "837p" / "hit_claims.837").read_bytes()

VARIANTS = {
    "as shipped (line breaks)": HIT,
    "one line": HIT.replace(b"\n", b""),
    "CR LF": HIT.replace(b"~\n", b"~\r\n"),
    "indented": HIT.replace(b"~\n", b"~\n   "),
    "empty segments": HIT.replace(b"~\nHL*", b"~~\nHL*"),
    "other delimiters": HIT.replace(b"*", b"|").replace(b"~", b"!"),
    "no final terminator": HIT.rstrip().rstrip(b"~"),
}


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("chunk_size", [64, 700, 1 << 20])
def test_the_string_forms_give_the_segments_iteration_gives(name, chunk_size):
    data = VARIANTS[name]
    iterated = SegmentReader(data, chunk_size=chunk_size)
    want = list(iterated)
    assert len(want) == 74 and want[-1][0] == "IEA"

    reader = SegmentReader(data, chunk_size=chunk_size)
    got = [p.split(reader.delimiters.element) for parts in reader.segment_texts()
           for p in parts]
    assert got == want

    reader = SegmentReader(data, chunk_size=chunk_size)
    got = []
    for text in reader.chunk_texts():
        d = reader.delimiters
        assert text.endswith(d.segment)
        got += [p.split(d.element) for p in text[:-1].split(d.segment)]
    assert got == want
    assert [f.to_dict() for f in reader.findings] == [f.to_dict() for f in iterated.findings]
    if name == "empty segments":
        assert [f.code for f in reader.findings] == ["empty-segment"] * HIT.count(b"~\nHL*")


def test_a_clean_chunk_is_the_decoded_file_itself():
    data = VARIANTS["one line"]
    texts = list(SegmentReader(data).chunk_texts())
    assert texts == [data.decode()]


def test_iteration_keeps_no_list_per_segment_of_a_chunk():
    reader = iter(SegmentReader(VARIANTS["one line"]))   # 74 segments, one chunk
    before = sum(type(o) is list for o in gc.get_objects())
    kept = [next(reader) for _ in range(10)]
    after = sum(type(o) is list for o in gc.get_objects())
    assert after - before <= len(kept) + 3   # the ten kept, not one per segment (74)


def _naive(text: str, term: str, limit: int) -> bool:
    return any(len(run) > limit for run in text.split(term))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.integers(min_value=0, max_value=1300), min_size=1, max_size=40),
       st.sampled_from([1, 7, 511, 512, 513, 600, 1000, 1023, 1024]))
def test_has_long_run_is_exact(runs, limit):
    text = "~".join("a" * n for n in runs)
    assert has_long_run(text, "~", limit) == _naive(text, "~", limit)
    assert has_long_run("~" + text, "~", limit) == _naive(text, "~", limit)


@pytest.mark.parametrize("limit", [8192, 8193])
def test_has_long_run_at_the_block_edges(limit):
    block = (limit + 2) // 2
    for run in (limit - 1, limit, limit + 1, 2 * block - 1, 2 * block):
        for lead in (0, 1, block - 1, block, block + 1):
            text = "x~" * 3000 + "a" * lead + "~" + "b" * run + "~" + "y~" * 3000
            assert has_long_run(text, "~", limit) == (run > limit), (run, lead)
