"""The 837P writer: envelopes, HL tree, determinism, and pyx12 as the oracle."""
from __future__ import annotations

import re

import pytest

from conftest import CORPUS, FIXTURES, corpus_files
from helpers_837p import NOW, hit_claims, npi_is_valid
from pyx12_oracle import pyx12_errors
from edi_hit.x12 import Delimiters, SegmentReader
from edi_hit.x837p import read_837p, write_837p


def _valid_corpus_files():
    """837P files that SOURCES.md marks valid under pyx12."""
    sources = CORPUS / "SOURCES.md"
    if not sources.is_file():
        return []
    names = set()
    for line in sources.read_text().splitlines():
        m = re.match(r"\| `([^`]+)` \|", line)
        if m and "**valid**" in line:
            names.add(m.group(1))
    return [p for p in corpus_files("837p") if p.name in names]


VALID = _valid_corpus_files()


def _segments(data: bytes) -> list[list[str]]:
    return list(SegmentReader(data))


def test_ten_valid_corpus_files_are_known():
    assert len(VALID) == 10


@pytest.mark.parametrize("path", VALID, ids=[p.name[:70] for p in VALID])
def test_pyx12_accepts_what_we_write_for_valid_corpus_claims(path):
    claims = list(read_837p(path))
    data = write_837p(claims, sender_id="SENDER", receiver_id="RECEIVER", now=NOW, usage="T")
    assert pyx12_errors(data) == []


def test_pyx12_accepts_hit_fixture():
    data = (FIXTURES / "837p" / "hit_claims.837").read_bytes()
    assert pyx12_errors(data) == []


def test_pyx12_oracle_reports_errors():
    data = write_837p(hit_claims(), sender_id="S", receiver_id="R", now=NOW)
    broken = data.replace(b"CLM*HIT-2026-0001*950.00***12:B:1", b"CLM*HIT-2026-0001*950.00***12::1")
    errors = pyx12_errors(broken)
    assert any("CLM05-02" in e for e in errors)


def test_fixture_is_what_the_writer_makes_today():
    data = write_837p(hit_claims(), sender_id="SUNRISE01", receiver_id="MACJ6", now=NOW, usage="T")
    assert data == (FIXTURES / "837p" / "hit_claims.837").read_bytes()


def test_fixture_npis_and_mbis():
    for claim in hit_claims():
        assert npi_is_valid(claim.billing_provider.npi)
        assert re.fullmatch(r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]"
                            r"[AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}",
                            claim.subscriber.member_id)


def test_envelope_counts_and_hl_tree():
    segs = _segments(write_837p(hit_claims(), sender_id="S", receiver_id="R", now=NOW,
                                control_number=42))
    ids = [s[0] for s in segs]
    assert ids[:3] == ["ISA", "GS", "ST"] and ids[-3:] == ["SE", "GE", "IEA"]
    isa, gs, st, se, ge, iea = segs[0], segs[1], segs[2], segs[-3], segs[-2], segs[-1]
    assert isa[13] == "000000042" and iea == ["IEA", "1", "000000042"]
    assert gs[6] == "42" and ge == ["GE", "1", "42"] and gs[8] == "005010X222A1"
    assert st == ["ST", "837", "0001", "005010X222A1"]
    assert se == ["SE", str(ids.index("SE") - ids.index("ST") + 1), "0001"]
    hls = [s[1:] for s in segs if s[0] == "HL"]
    # one billing provider, three subscriber levels (claims 1 and 3 share a subscriber but
    # are not consecutive, so each gets its own HL 22 and the claim order is kept)
    assert hls == [["1", "", "20", "1"], ["2", "1", "22", "0"], ["3", "1", "22", "0"],
                   ["4", "1", "22", "0"]]
    assert [s[1] for s in segs if s[0] == "LX"] == ["1", "2", "3", "1", "1"]


def test_patient_levels(corpus):
    claims = list(read_837p(corpus / "837p" / "kputnam__stupidedi__commercial-health-insurance.edi"))
    segs = _segments(write_837p(claims, sender_id="S", receiver_id="R", now=NOW))
    assert [s[1:] for s in segs if s[0] == "HL"] == [["1", "", "20", "1"], ["2", "1", "22", "1"],
                                                    ["3", "2", "23", "0"]]


def test_deterministic_and_delimiters():
    a = write_837p(hit_claims(), sender_id="S", receiver_id="R", now=NOW)
    assert a == write_837p(hit_claims(), sender_id="S", receiver_id="R", now=NOW)
    d = Delimiters(element="|", repetition="^", component=">", segment="!")
    b = write_837p(hit_claims(), sender_id="S", receiver_id="R", now=NOW, delimiters=d,
                   line_break=False)
    assert b"\n" not in b and b"SV1|HC>G0068|300.00|UN|8|||1!" in b
    assert [c.to_dict() for c in read_837p(b)] == [c.to_dict() for c in read_837p(a)]


def test_stream_output(tmp_path):
    path = tmp_path / "out.837"
    with open(path, "wb") as fh:
        assert write_837p(hit_claims(), fh, sender_id="S", receiver_id="R", now=NOW) is None
    assert path.read_bytes() == write_837p(hit_claims(), sender_id="S", receiver_id="R", now=NOW)


def test_raw_segments_are_written_in_tr3_order(corpus):
    (claim,) = read_837p(corpus / "837p" / "kputnam__stupidedi__ambulance.edi")
    segs = _segments(write_837p([claim], sender_id="S", receiver_id="R", now=NOW))
    ids = [s[0] for s in segs]
    clm = ids.index("CLM")
    assert ids[clm:clm + 6] == ["CLM", "DTP", "CR1", "CRC", "CRC", "HI"]
    lx = ids.index("LX")
    assert ids[lx:lx + 6] == ["LX", "SV1", "DTP", "QTY", "REF", "NTE"]
