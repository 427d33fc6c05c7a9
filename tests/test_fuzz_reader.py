# Hardening: mutated valid files never crash the reader, the envelope checks, the 837P
# reader or validate(), and reading time grows linearly with the input.
#
# Hypothesis mutates real files (the HIT fixture, a corpus 835): truncation, dropped or
# doubled terminators, swapped delimiters, random bytes, huge elements, non-ASCII and
# control bytes. The only exceptions allowed out of the x12 layer and the 837P reader
# are edi-hit's own (EdiHitError); validate() lets nothing out at all. Example counts
# are kept moderate so the suite stays fast; tools/fuzz.py runs long campaigns.
from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, FIXTURES
from edi_hit.errors import EdiHitError
from edi_hit.validation import validate
from edi_hit.x12 import SegmentReader, check_envelopes

SEEDS = [
    (FIXTURES / "validate" / "hit_valid.837").read_bytes(),
    (FIXTURES / "validate" / "hit_valid.837").read_bytes().replace(b"~\n", b"~"),
]
_835 = CORPUS / "835" / "kputnam__stupidedi__secondary-payment-with-higher-fee-schedule.edi"
if _835.exists():
    SEEDS.append(_835.read_bytes())

ODD_BYTES = [b"\xc3\xa9", b"\xff\xfe", b"\x00", b"\x1b", b"\x85", b"\xe2\x80\xa8", b"\r", b"\n",
             b"\xef\xbb\xbf", b"ISA", b"~~", b"**", b"::", b"^"]
DELIMS = [b"*", b"~", b":", b"^", b"\n"]

position = st.integers(min_value=0, max_value=1 << 20)
mutation = st.one_of(
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("drop_term"), position),
    st.tuples(st.just("double_term"), position),
    st.tuples(st.just("swap"), st.sampled_from(DELIMS), st.sampled_from(DELIMS)),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("odd"), position, st.sampled_from(ODD_BYTES)),
    st.tuples(st.just("huge"), position, st.integers(min_value=1_000, max_value=300_000)),
    st.tuples(st.just("flip"), position, st.integers(min_value=0, max_value=255)),
)
mutated_files = st.tuples(st.sampled_from(range(len(SEEDS))),
                          st.lists(mutation, min_size=1, max_size=4))


def mutate(data: bytes, ops) -> bytes:
    for op in ops:
        kind, *args = op
        at = args[0] % (len(data) + 1) if kind not in ("swap",) else 0
        if kind == "truncate":
            data = data[:at]
        elif kind in ("drop_term", "double_term"):
            hits = [i for i in range(len(data)) if data[i:i + 1] == b"~"]
            if hits:
                i = hits[at % len(hits)]
                data = data[:i] + (b"~~" if kind == "double_term" else b"") + data[i + 1:]
        elif kind == "swap":
            a, b = args
            data = data.replace(a, b"\x01").replace(b, a).replace(b"\x01", b)
        elif kind in ("insert", "odd"):
            data = data[:at] + args[1] + data[at:]
        elif kind == "huge":
            data = data[:at] + b"A" * args[1] + data[at:]
        elif kind == "flip":
            if data:
                i = at % len(data)
                data = data[:i] + bytes([args[1]]) + data[i + 1:]
    return data


FUZZ = settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)


@FUZZ
@given(mutated_files)
def test_segment_reader_and_envelopes_raise_only_edi_hit_errors(case):
    seed, ops = case
    data = mutate(SEEDS[seed], ops)
    try:
        reader = SegmentReader(data, name="fuzz.x12")
        findings = check_envelopes(reader)
    except EdiHitError as exc:
        assert str(exc)       # a message, not an empty error
        return
    for f in findings:
        assert f.severity in ("error", "warning", "info") and f.message
    if reader.index:
        reader.position(reader.index)   # positions are computable for what was read


@FUZZ
@given(mutated_files)
def test_837p_reader_raises_only_edi_hit_errors(case):
    read_837p = pytest.importorskip("edi_hit.x837p").read_837p
    seed, ops = case
    data = mutate(SEEDS[seed], ops)
    try:
        for claim in read_837p(data, name="fuzz.837"):
            claim.to_dict()
    except EdiHitError:
        pass


@settings(max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(mutated_files)
def test_validate_never_raises_and_counts_every_claim(case):
    seed, ops = case
    data = mutate(SEEDS[seed], ops)
    report = validate(data, name="fuzz.x12", levels=(1, 3, 4), today=date(2026, 6, 1))
    c = report.counts()
    assert c["claims_accepted"] + c["claims_rejected"] == c["claims"]
    report.to_dict()
    if data.strip() and not report.interchanges:
        assert report.errors


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(mutated_files)
def test_validate_with_pyx12_never_raises(case):
    seed, ops = case
    ops = [op for op in ops if op[0] != "huge"]   # pyx12 is slow: keep its files small
    validate(mutate(SEEDS[seed], ops), name="fuzz.x12", today=date(2026, 6, 1))


# -- linear time ------------------------------------------------------------------------
ISA = SEEDS[0].split(b"~", 1)[0] + b"~"
SHAPES = {
    "segments": lambda n: ISA + b"NM1*85*2*NAME*****XX*1234567893~" * (n // 32),
    "no terminator": lambda n: ISA + b"A*" * (n // 2),
    "one huge element": lambda n: ISA + b"NTE*ADD*" + b"X" * n + b"~",
    "many ISA": lambda n: ISA + b"ISA*00*X~" * (n // 9),
    "empty segments": lambda n: ISA + b"~" * n,
    "line breaks": lambda n: ISA + b"\r\n" * (n // 2),
    "non-utf8": lambda n: ISA + b"N3*\xff\xfe~" * (n // 7),
}


def _seconds(data: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        try:
            check_envelopes(SegmentReader(data, chunk_size=4096))
        except EdiHitError:
            pass
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_reading_time_is_linear(shape):
    small, large = SHAPES[shape](50_000), SHAPES[shape](400_000)
    t_small, t_large = _seconds(small), _seconds(large)
    # 8x the input: linear is ~8x the time; quadratic would be ~64x.
    assert t_large < max(24 * t_small, 0.05), (shape, t_small, t_large)


def test_empty_segments_do_not_pile_up_findings():
    reader = SegmentReader(ISA + b"~" * 100_000)
    for _ in reader:
        pass
    assert len(reader.findings) <= 20


def test_validate_counts_every_issue_and_caps_only_the_listing():
    data = ISA + b"GS*HC*A*B*20260101*1200*1*X*005010X222A1~ST*837*0001*005010X222A1~" + \
        b"DTP*472*D8*20261399~" * 3_000
    report = validate(data, levels=(1, 3, 4), today=date(2026, 6, 1))
    bad = [i for i in report.issues if i.code == "date-invalid"]
    assert len(bad) == 3000                  # every one counts
    listed = report.to_dict()
    assert sum(f["code"] == "date-invalid" for f in listed["findings"]) == 1000
    assert ("2,000 more 'date-invalid' findings not listed (the first 1,000 are; "
            "--all-findings lists every one)") in listed["notes"]
    assert sum(f["code"] == "date-invalid"
               for f in report.to_dict(all_findings=True)["findings"]) == 3000
