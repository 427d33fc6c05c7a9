"""The claim spill pickles the parts many claims share (envelope, submitter, receiver,
billing provider) once, by reference: claims come back equal to what went in, sharing
one object per distinct part as the reader made them, in fewer bytes; past the table's
limit a part is pickled with its claim, and the 835 is the same either way."""
from __future__ import annotations

import io
import sys
from datetime import datetime

import pytest

from conftest import ROOT
from edi_hit.pipeline import adjudicate
from edi_hit.pricing import spill as spill_module
from edi_hit.pricing.spill import ClaimSpill
from edi_hit.x837p import read_837p

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0)


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory):
    """600 claims of 60 beneficiaries in random order, 3 suppliers, 2 transaction sets:
    consecutive claims mostly belong to different 2000A loops."""
    path = tmp_path_factory.mktemp("shared") / "shuffled.837"
    write_hit_837(path, 600, order="shuffled", beneficiaries=60, claims_per_st=300)
    return path


def claims_of(path):
    return list(read_837p(path, errors="reject"))


def test_claims_come_back_equal_and_share_their_parts(shuffled):
    claims = claims_of(shuffled)
    spill = ClaimSpill()
    try:
        spill.put_many([(n % 7, 0, [c]) for n, c in enumerate(claims)])
        back = [c for key in range(7) for c in spill.take(key)]
    finally:
        spill.close()
    want = [c for key in range(7) for n, c in enumerate(claims) if n % 7 == key]
    assert back == want
    # 2 envelopes (ST), 1 submitter and 1 receiver value, 3 billing providers (suppliers)
    assert len({id(c.envelope) for c in back}) == 2
    assert len({id(c.submitter) for c in back}) == 1
    assert len({id(c.receiver) for c in back}) == 1
    assert len({id(c.billing_provider) for c in back}) == 3
    assert len({id(c.subscriber) for c in back}) == 600  # a claim's own parts stay its own
    assert len(spill.shared.data) == 2 + 1 + 1 + 3


def test_shared_parts_make_the_spill_smaller(shuffled, monkeypatch):
    claims = claims_of(shuffled)
    sizes = []
    for limit in (10_000, 0):  # 0: nothing shared, every part pickled with its claim
        monkeypatch.setattr(spill_module, "_SHARED_MAX", limit)
        spill = ClaimSpill()
        try:
            spill.put_many([(n, 0, [c]) for n, c in enumerate(claims)])
            assert spill.take(5) == [claims[5]]
            sizes.append(spill.bytes)
        finally:
            spill.close()
    assert sizes[0] < 0.8 * sizes[1], sizes  # about 1.3 KB a claim instead of 2 KB


@pytest.mark.parametrize("limit", [0, 2])
def test_the_835_is_the_same_whatever_the_table_holds(shuffled, monkeypatch, limit):
    def remit(spill_after):
        out = io.BytesIO()
        adjudicate([shuffled], output=out, assume_dme_drug=True, now=NOW,
                   spill_after=spill_after)
        return out.getvalue()

    want = remit(None)  # nothing spilled
    monkeypatch.setattr(spill_module, "_SHARED_MAX", limit)
    assert remit(3) == want
