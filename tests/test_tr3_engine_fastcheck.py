# The generated fast element check never passes a segment the exact check faults.
#
# fastcheck.py answers "would elements.py find nothing?"; True must mean exactly that
# (False only costs time). Every segment the engine places in the fixtures and the
# corpus, and element mutations of each, are put to both checks.
from __future__ import annotations

import random

import pytest

from conftest import FIXTURES, corpus_files
from edi_hit.errors import EdiHitError
from edi_hit.validation.tr3map import stream
from edi_hit.validation.tr3map.elements import segment_errors
from edi_hit.validation.tr3map.fastcheck import fast_check
from edi_hit.x12 import SegmentReader

SEEDS = sorted(FIXTURES.glob("*/*.837")) + sorted(FIXTURES.glob("*/*.835"))

# Values that break one rule each: empty, code, length, type, character, separators.
_VALUES = ("", "ZZ", "X" * 90, "9" * 25, "1", "20261341", "12A", "A B ", "\u00c4", ":", "X:Y",
           "^", "A^B", "RD8", "D8", "20260101-20260102-2", "-", "-.5", "1.", "0000")


def placed_segments(path):
    """(node, segment, component separator, repetition separator, icvn) for each segment
    the engine placed in the map."""
    found = []
    original = stream.Tr3Engine._check

    def spy(self, node, seg, sid, index):
        found.append((node, list(seg), self.sep, self.rep, self.icvn_map))
        return original(self, node, seg, sid, index)

    stream.Tr3Engine._check = spy
    try:
        engine = stream.Tr3Engine(lambda *a, **k: None)
        reader = SegmentReader(path)
        for seg in reader:
            engine.feed(seg, reader.index, reader.delimiters)
        engine.finish()
    except EdiHitError:
        pass    # not X12 at all: nothing placed
    finally:
        stream.Tr3Engine._check = original
    return found


def check_contract(node, seg, sep, rep, icvn):
    fast = fast_check(node, sep, rep, icvn)(seg)
    exact = segment_errors(node, seg, sep, rep, icvn)
    assert not (fast and exact), (node.path, seg, exact)
    return fast, exact


@pytest.mark.parametrize("path", SEEDS + corpus_files("837p") + corpus_files("835")
                         + corpus_files("invalid"), ids=lambda p: p.name[:40])
def test_fast_check_never_passes_a_faulty_segment(path):
    rng = random.Random(path.name)
    placed = placed_segments(path)   # empty for a version without a map
    if len(placed) > 400:   # a big corpus file: a sample keeps the test quick
        placed = rng.sample(placed, 400)
    for node, seg, sep, rep, icvn in placed:
        check_contract(node, seg, sep, rep, icvn)
        for k in range(1, len(seg)):
            for value in rng.sample(_VALUES, 6):
                mutated = list(seg)
                mutated[k] = value.replace(":", sep).replace("^", rep or "^")
                check_contract(node, mutated, sep, rep, icvn)
        check_contract(node, seg + ["X"], sep, rep, icvn)
        check_contract(node, seg[:2], sep, rep, icvn)


def test_valid_fixtures_take_the_fast_path_everywhere():
    # The fast check is what makes the engine fast: on valid files it must say yes.
    for path in SEEDS:
        for node, seg, sep, rep, icvn in placed_segments(path):
            fast, exact = check_contract(node, seg, sep, rep, icvn)
            assert fast, (path.name, node.path, seg)
