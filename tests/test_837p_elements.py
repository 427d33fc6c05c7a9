"""One table of element positions (x837p/elements.py) for the reader and the writer: a
value the reader takes from position n is the value the writer puts at position n."""
from __future__ import annotations

import pytest

from conftest import FIXTURES
from edi_hit.x12 import SegmentReader
from edi_hit.x837p import elements as L
from edi_hit.x837p import read_837p, write_837p

HIT = (FIXTURES / "837p" / "hit_claims.837").read_bytes().replace(b"\n", b"")


def with_segment(old: bytes, new: list) -> bytes:
    """The fixture with the first such segment (claim 1's) replaced; SE01 unchanged."""
    text = "*".join(x if isinstance(x, str) else ":".join(x) for x in new)
    assert old + b"~" in HIT, old
    return HIT.replace(old + b"~", text.encode() + b"~", 1)


def tagged(layout: L.Layout, **fixed) -> list:
    """The layout's segment with 'V<n>' at every position it names (fixed ones kept)."""
    return layout.build(**{name: fixed.get(name, f"V{pos}") for name, pos in layout.at.items()})


def written(claims, seg_id: str) -> list[list[str]]:
    data = write_837p(claims, sender_id="S", receiver_id="R")
    return [s for s in SegmentReader(data) if s[0] == seg_id]


# (segment to replace, layout, fixed values, where the reader puts the fields)
CASES = [
    (b"N4*SPRINGFIELD*IL*627020000", L.N4, {},
     lambda c: c.subscriber.address),
    (b"PER*IC*BILLING OFFICE*TE*2175550100", L.PER, {},
     lambda c: c.billing_provider.contacts[0]),
    (b"SBR*P*18*******MB", L.SBR, {}, lambda c: c.subscriber),
    (b"REF*G1*PA20260001", L.REF, {"qualifier": "G1", "identifiers": ["I1", "I2"]},
     lambda c: c.refs[0]),
    (b"NM1*DN*1*SMITH*ALAN****XX*1555555550", L.NM1, {"entity_code": "DN"},
     lambda c: c.parties[0]),
    (b"PRV*BI*PXC*3336H0001X", L.PRV, {}, lambda c: c.billing_provider),
]


@pytest.mark.parametrize("old, layout, fixed, obj", CASES, ids=[c[1].id for c in CASES])
def test_each_named_position_reads_and_writes_through_the_table(old, layout, fixed, obj):
    seg = tagged(layout, **fixed)
    data = with_segment(old, seg)
    claims = list(read_837p(data))
    target = obj(claims[0])
    for name, pos in layout.at.items():
        want = fixed.get(name, f"V{pos}")
        assert getattr(target, name) == want, (layout.id, name, pos)
    # written back at the same positions
    out = [s for s in written(claims[:1], layout.id)
           if s[1:2] == [seg[1] if not isinstance(seg[1], list) else ":".join(seg[1])]]
    assert out, layout.id
    for name, pos in layout.at.items():
        value = fixed.get(name, f"V{pos}")
        got = out[0][pos]
        assert got == (":".join(value) if isinstance(value, list) else value), (name, pos)


def test_the_claim_and_line_segments_use_the_table():
    c = next(iter(read_837p(HIT)))
    (clm,) = written([c], "CLM")
    assert clm[L.CLM["patient_control_number"]] == "HIT-2026-0001"
    assert clm[L.CLM["total_charge"]] == "950.00"
    assert clm[L.CLM["facility"]].split(":") == ["12", "B", "1"]
    sv1 = written([c], "SV1")[0]
    assert sv1[L.SV1["charge"]] == "300.00" and sv1[L.SV1["units"]] == "8"
    assert sv1[L.SV1["procedure"]].split(":")[L.SV101["code"] - 1] == "G0068"


def test_every_layout_names_positions_within_its_size():
    for layout in L.LAYOUTS.values():
        assert all(1 <= p <= layout.size for p in layout.at.values()), layout.id
        assert set(layout.unused_positions()).isdisjoint(layout.at.values())
        assert layout.build()[:1] == [layout.id]
