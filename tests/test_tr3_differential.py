# The differential test: edi-hit's TR3 engine against pyx12, the reference.
#
# Every fixture and corpus file, and 2,000+ single mutations of valid files, go to
# both engines. Per transaction set the verdict (a level-2 error or not) and the
# first level-2 error (segment position, segment id, element, IK304/IK403 code)
# must be equal, and so must the level-2 errors outside any transaction set; a
# disagreement passes only when an entry of the allow-list in
# tools/tr3_differential.py explains it (each entry says why, and is exercised by a
# test below). The 999 of every invalid corpus file must be the same from both.
# tools/tr3_differential.py runs the larger sweep.
from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime

import pytest

from conftest import ROOT, corpus_files

sys.path.insert(0, str(ROOT / "tools"))
import tr3_differential as diff  # noqa: E402
from edi_hit.validation import validate, write_999  # noqa: E402

MUTATIONS_PER_SEED = 56     # x 37 fixture seeds = 2,072 mutated files, corpus or not
NOW = datetime(2026, 6, 1, 12, 0)


@pytest.fixture(scope="module", autouse=True)
def fast_reference():
    with diff.reference_speed():
        yield


def explain(cases) -> tuple[Counter, list]:
    allowed, unexplained = Counter(), []
    for case in cases:
        entry = diff.classify(case)
        if entry is None:
            unexplained.append(case)
        else:
            allowed[entry.id] += 1
    return allowed, unexplained


def test_every_fixture_and_corpus_file():
    paths = diff.FIXTURE_SEEDS + corpus_files("837p") + corpus_files("835") + \
        corpus_files("invalid")
    cases = [c for p in paths if (c := diff.compare(p.name, p.read_bytes())) is not None]
    # Not even an allowed difference: where pyx12 has no map (five corpus files) both
    # engines fail closed (tr3-incomplete); where there is no ISA to read (two), neither
    # reports a level-2 error.
    assert not cases, "\n".join(c.describe() for c in cases)


def test_two_thousand_mutations_of_valid_files():
    seeds = diff.FIXTURE_SEEDS
    assert len(seeds) * MUTATIONS_PER_SEED >= 2000
    compared, cases = 0, []
    for path in seeds:
        data = path.read_bytes()
        for what, blob in diff.mutations(data, MUTATIONS_PER_SEED, path.name):
            compared += 1
            case = diff.compare(path.name, blob, what)
            if case is not None:
                cases.append(case)
    allowed, unexplained = explain(cases)
    assert compared >= 2000
    assert not unexplained, f"{len(unexplained)} of {compared} unexplained:\n" + \
        "\n".join(c.describe() for c in unexplained[:10])
    # Most mutations agree outright; the allow-list explains a few pyx12 crashes.
    assert sum(allowed.values()) < compared // 20, allowed


def test_corpus_seeds_mutated():
    seeds = [p for p in corpus_files("837p") + corpus_files("835")]
    if not seeds:
        pytest.skip("../shared/corpus is not beside the checkout")
    cases = [c for p in seeds for what, blob in diff.mutations(p.read_bytes(), 8, p.name)
             if (c := diff.compare(p.name, blob, what)) is not None]
    allowed, unexplained = explain(cases)
    assert not unexplained, "\n".join(c.describe() for c in unexplained[:10])


def test_999_acknowledgments_and_their_mutations():
    # edi-hit's own 999s (005010X231A1): one that accepts, one with IK3/IK4/CTX errors.
    text = _hit()
    bad = text.replace("N4*SPRINGFIELD*IL*627010001~\n", "").replace(
        "DTP*472*D8*20260202", "DTP*472*D8*20260230")
    cases = []
    for body in (text, bad):
        ack = write_999(validate(body.encode(), name="t.837", today=NOW.date()),
                        control_number=3, now=NOW)
        assert diff.compare("999", ack) is None
        cases += [c for what, blob in diff.mutations(ack, 60, "999")
                  if (c := diff.compare("999", blob, what)) is not None]
    allowed, unexplained = explain(cases)
    assert not unexplained, "\n".join(c.describe() for c in unexplained[:10])


@pytest.mark.parametrize("path", corpus_files("invalid"), ids=lambda p: p.name[:50])
def test_999_of_invalid_corpus_file_is_the_same(path):
    acks = []
    for engine in ("edi-hit", "pyx12"):
        report = validate(path, today=NOW.date(), engine=engine)
        try:
            acks.append(write_999(report, control_number=1, now=NOW))
        except Exception as exc:   # no group a 999 can name: the same for both engines
            acks.append(type(exc).__name__)
    if acks[0] != acks[1]:
        case = diff.compare(path.name, path.read_bytes())
        assert case is not None and diff.classify(case) is not None, (acks[0], acks[1])


# -- each allow-list entry, on a file made to show it ----------------------------------
def _hit() -> str:
    return (ROOT / "fixtures" / "validate" / "hit_valid.837").read_text()


def _case(text: str) -> diff.Case:
    case = diff.compare("made", text.encode("latin-1"))
    assert case is not None, "the engines agree on this file"
    return case


def _two_groups() -> str:
    """A group whose GS08 pyx12 has no map for, then a group with an N301 too long."""
    isa, rest = _hit().split("\n", 1)
    inner = rest.rsplit("IEA*", 1)[0]
    first = inner.replace("005010X222A1", "005010X222A2")
    second = inner.replace("*0930*7*X*", "*0930*8*X*").replace("GE*1*7", "GE*1*8").replace(
        "N3*12 OAK AVE", "N3*" + "A" * 56)
    return f"{isa}\n{first}{second}IEA*2*000000007~\n"


ENTRY_FILES = {
    "pyx12-no-map": _two_groups,
    "pyx12-envelope-underflow": lambda: _hit().replace("SE*", "SE*1*X~\nSE*", 1),
    "pyx12-too-many-components": lambda: _hit().replace("12:B:1*Y", "12:B:1:9*Y"),
    "pyx12-rd8-two-dashes": lambda: _hit().replace(
        "CLM*HIT-7-1*550***12:B:1*Y*A*Y*Y~", "CLM*HIT-7-1*550***12:B:1*Y*A*Y*Y~\n"
        "DTP*454*RD8*20260101-20260102-20260103~"),
    # 20,000 characters: past pyx12's 8 KB read buffer and the 8 KB read after it.
    "pyx12-long-segment": lambda: _hit().replace("NM1*IL*1*DOE*JANE",
                                                 "NM1*IL*1*DOE" + " " * 20000 + "*JANE"),
    "pyx12-st-without-elements": lambda: _hit().replace("ST*837*0001*005010X222A1~", "ST~", 1),
    "repetition-separator": lambda: _hit().replace("PER*IC*EDI DESK", "PER*IC*EDI^DESK"),
    # A 4010 interchange and group: pyx12 checks it with its 4010 837P map.
    "not-5010": lambda: _hit().replace("*00501*", "*00401*").replace("005010X222A1",
                                                                    "004010X098A1"),
    # ISA06 one character over its fixed width of 15: the pyx12 path cannot re-pad it.
    "pyx12-unreadable": lambda: _hit().replace("*ZZ*SUNRISE01      *", "*ZZ*SUNRISE01XXXXXXX*",
                                               1).replace("N3*12 OAK AVE", "N3*" + "A" * 56),
}


def test_every_allow_list_entry_has_a_reason_and_a_file_that_shows_it():
    assert {e.id for e in diff.ALLOW_LIST} == set(ENTRY_FILES)
    for entry in diff.ALLOW_LIST:
        assert len(entry.reason) > 80, entry.id
        case = _case(ENTRY_FILES[entry.id]())
        assert diff.classify(case) is entry, (entry.id, case.describe())
