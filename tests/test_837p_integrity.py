"""Nothing a file carries is dropped or moved without a finding.

Every single-segment deletion and duplication of fixtures/837p/hit_claims.837 (SE01
set to the new count, so the envelope does not hide what the reader does) either
reads with every claim and line intact - the claims written back give the same
segments - or yields a finding or rejection that names a segment; raise mode and
reject mode agree on which.
"""
from __future__ import annotations

import pytest

from conftest import FIXTURES
from edi_hit.claims import RejectedClaim
from edi_hit.errors import X12Error
from edi_hit.x12 import SegmentReader
from edi_hit.x837p import read_837p, write_837p

SEGMENTS = (FIXTURES / "837p" / "hit_claims.837").read_bytes().replace(b"\n", b"") \
    .rstrip(b"~").split(b"~")
ENVELOPE = {"ISA", "GS", "ST", "SE", "GE", "IEA"}


def with_se_count(segs: list[bytes]) -> bytes:
    """The segments as a file, SE01 counting ST to SE when both are there once."""
    ids = [s.split(b"*", 1)[0] for s in segs]
    if ids.count(b"ST") == 1 and ids.count(b"SE") == 1 and ids.index(b"ST") < ids.index(b"SE"):
        st, se = ids.index(b"ST"), ids.index(b"SE")
        segs = list(segs)
        segs[se] = b"SE*%d*" % (se - st + 1) + segs[se].split(b"*")[2]
    return b"~".join(segs) + b"~"


def mutations():
    for i, seg in enumerate(SEGMENTS):
        name = seg.split(b"*", 1)[0].decode()
        yield f"delete-{i + 1}-{name}", with_se_count(SEGMENTS[:i] + SEGMENTS[i + 1:])
        yield f"duplicate-{i + 1}-{name}", with_se_count(SEGMENTS[:i + 1] + SEGMENTS[i:])


CASES = list(mutations())


def normalized(data: bytes) -> list:
    """The segments between the envelopes, as the writer can give them back: HL by
    its level only (ids are recomputed), BHT without its date and time (the writer's
    own), the HI composites of consecutive HI segments as one list."""
    out: list = []
    for seg in SegmentReader(data):
        sid = seg[0]
        if sid in ENVELOPE:
            continue
        if sid == "HL":
            seg = ["HL", seg[3] if len(seg) > 3 else ""]
        elif sid == "BHT":
            seg = seg[:4] + seg[6:]
        elif sid == "HI" and out and out[-1][0] == "HI":
            out[-1] = out[-1] + [x for x in seg[1:] if x]
            continue
        while len(seg) > 1 and seg[-1] == "":
            seg = seg[:-1]
        out.append(list(seg))
    return out


def located(f) -> bool:
    return f.segment_index is not None


def read_both(data: bytes):
    """(reject mode: items, reader | the X12Error), (raise mode: claims | the X12Error)."""
    try:
        reader = read_837p(data, name="m.837", errors="reject")
        rejecting = (list(reader), reader)
    except X12Error as exc:
        rejecting = exc
    try:
        raising = list(read_837p(data, name="m.837"))
    except X12Error as exc:
        raising = exc
    return rejecting, raising


@pytest.mark.parametrize("name, data", CASES, ids=[c[0] for c in CASES])
def test_every_deletion_and_duplication(name, data):
    rejecting, raising = read_both(data)
    if isinstance(rejecting, X12Error):   # not X12 at all (no ISA): both modes say so
        assert isinstance(raising, X12Error) and name == "delete-1-ISA"
        return
    items, reader = rejecting
    rejected = [i for i in items if isinstance(i, RejectedClaim)]
    errors = [f for f in reader.all_findings if f.severity == "error"]
    if rejected or errors:
        # every problem names where it is ...
        assert all(located(f) for r in rejected for f in r.findings), name
        assert all(located(f) for f in errors), name
        # ... and raise mode stops at one of them
        assert isinstance(raising, X12Error), name
        assert raising.segment_index is not None
        places = {(f.segment_index, f.segment_id) for r in rejected for f in r.findings} | \
            {(f.segment_index, f.segment_id) for f in errors}
        assert (raising.segment_index, raising.segment_id) in places, name
        # and raise mode handed out only claims reject mode accepted before it
        return
    # nothing found: the same claims in both modes, every claim and line intact
    assert not isinstance(raising, X12Error), (name, str(raising))
    assert raising == items
    ids = [s[0] for s in SegmentReader(data)]
    assert len(items) == ids.count("CLM"), name
    assert sum(len(c.lines) for c in items) == ids.count("LX"), name
    back = write_837p(items, sender_id="S", receiver_id="R")
    assert normalized(back) == normalized(data), name


def test_the_mutations_cover_the_file():
    assert len(CASES) == 2 * len(SEGMENTS) == 148


def _outcome(data: bytes) -> str:
    rejecting, _ = read_both(data)
    if isinstance(rejecting, X12Error):
        return "not X12"
    items, reader = rejecting
    bad = any(isinstance(i, RejectedClaim) for i in items) or \
        any(f.severity == "error" for f in reader.all_findings)
    return "finding" if bad else "intact"


def test_both_outcomes_occur_so_the_test_can_fail_either_way():
    outcomes = [_outcome(data) for _, data in CASES]
    # 54 mutations leave a readable file (a REF, PER, N3, DTP ... less or twice), 93
    # are found (a lost LX, CLM or HL, a repeated SV1, SBR or N3 ...), 1 is not X12
    assert (outcomes.count("intact"), outcomes.count("finding"), outcomes.count("not X12")) \
        == (54, 93, 1)


def test_a_missing_lx_is_found_not_a_line_dropped():
    assert SEGMENTS[27] == b"LX*1"    # segment 28: the first line of claim 1
    data = with_se_count(SEGMENTS[:27] + SEGMENTS[28:])
    (items, reader), raising = read_both(data)
    (r,) = [i for i in items if isinstance(i, RejectedClaim)]
    assert r.patient_control_number == "HIT-2026-0001"
    assert r.reason == ("segment 28 (SV1): segment out of place: expected a segment of loop "
                        "2310A, got 'SV1'")
    assert str(raising) == ("m.837: segment 28 (SV1): segment out of place: expected a segment "
                            "of loop 2310A, got 'SV1'")
