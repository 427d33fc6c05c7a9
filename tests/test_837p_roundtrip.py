"""read -> write -> read over every 837P file of the shared corpus."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from conftest import corpus_files
from edi_hit.x12 import SegmentReader
from edi_hit.x837p import read_837p, write_837p

FILES = corpus_files("837p")
NOW = datetime(2026, 1, 2, 3, 4)


def _without_envelope(claims):
    # The writer makes its own envelope (sender, control numbers, time); everything
    # else must come back equal.
    return [dataclasses.replace(c, envelope=None) for c in claims]


def _clm_count(path) -> int:
    return sum(1 for seg in SegmentReader(path) if seg[0] == "CLM")


@pytest.mark.parametrize("path", FILES, ids=[p.name[:70] for p in FILES])
def test_round_trip(path):
    claims = list(read_837p(path, envelope="warn"))  # the imsweb counts are wrong
    assert len(claims) == _clm_count(path) > 0
    data = write_837p(claims, sender_id="SENDER", receiver_id="RECEIVER", now=NOW)
    again = list(read_837p(data))
    assert len(again) == len(claims)
    for before, after in zip(_without_envelope(claims), _without_envelope(again)):
        assert before == after, before.patient_control_number
    # and the second write is byte for byte the first
    assert write_837p(again, sender_id="SENDER", receiver_id="RECEIVER", now=NOW) == data


@pytest.mark.parametrize("path", FILES, ids=[p.name[:70] for p in FILES])
def test_dict_round_trip(path):
    for claim in read_837p(path, envelope="warn"):
        assert type(claim).from_dict(claim.to_dict()) == claim


def test_envelope_round_trip_single_transaction(corpus):
    path = corpus / "837p" / "UHIN__x12-parser-library__837.edi"
    (claim,) = read_837p(path)
    env = claim.envelope
    data = write_837p([claim], sender_id=env.sender_id, receiver_id=env.receiver_id,
                      control_number=int(env.interchange_control_number), usage="T",
                      now=datetime(2024, 11, 4, 19, 21))
    (again,) = read_837p(data)
    e2 = again.envelope
    assert (e2.sender_id, e2.receiver_id, e2.interchange_control_number, e2.usage_indicator) == \
        ("HT000000-716", "UHIN", "800000372", "T")
    assert (e2.bht_purpose, e2.bht_reference, e2.bht_type) == ("00", "1609", "CH")
    assert e2.version == e2.implementation_reference == "005010X222A1"
