"""RemittanceBuilder fragments: claims rendered by several builders (a batch's
partitions) and absorbed, in order, by the one that writes the 835 give the same bytes
as one builder adding every claim in that order, and the positions move as absorb says."""
from __future__ import annotations

import io
from datetime import datetime

import pytest

from conftest import ROOT
from edi_hit.pricing import Pricer
from edi_hit.x835.build import RemittanceBuilder
from edi_hit.x837p import read_837p

NOW = datetime(2026, 12, 1, 9, 30)


@pytest.fixture(scope="module")
def priced():
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    from synth import write_hit_837
    import tempfile, os
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.837")
        # two billing providers (payees) interleaved: every fragment touches both
        write_hit_837(path, 120, order="interleaved", beneficiaries=15, seed=4)
        claims = list(read_837p(path))
    pcs = list(Pricer(assume_dme_drug=True).price(claims))
    assert len({pc.claim.billing_provider.npi for pc in pcs}) >= 2
    return pcs


def test_absorbed_fragments_write_the_bytes_of_one_builder(priced, tmp_path):
    whole = RemittanceBuilder(now=NOW, control_number=42)
    where = [whole.add(pc) for pc in priced]
    want = io.BytesIO()
    whole_summaries = whole.finish(want)

    cuts = [0, 37, 38, 120]  # a fragment of one claim among them
    merged = RemittanceBuilder(now=NOW, control_number=42)
    got_where = []
    for i, (a, b) in enumerate(zip(cuts, cuts[1:])):
        part = RemittanceBuilder(now=NOW, control_number=999)  # its numbers are its own
        placed = [part.add(pc) for pc in priced[a:b]]
        state = part.fragment(tmp_path / f"f{i}")
        moved = merged.absorb(state, tmp_path / f"f{i}")
        got_where += [(moved[n][0], moved[n][1] + k) for n, k in placed]
    got = io.BytesIO()
    summaries = merged.finish(got)
    assert got.getvalue() == want.getvalue()
    assert got_where == where
    assert [(s.payee_id, s.claims, s.payment) for s in summaries] == [
        (s.payee_id, s.claims, s.payment) for s in whole_summaries]
    assert merged.claims == whole.claims == 120


def test_a_fragment_whose_bytes_do_not_match_its_state_is_refused(priced, tmp_path):
    part = RemittanceBuilder(now=NOW)
    part.add(priced[0])
    state = part.fragment(tmp_path / "f")
    (tmp_path / "f").write_bytes((tmp_path / "f").read_bytes()[:-5])
    with pytest.raises(Exception, match="fragment holds"):
        RemittanceBuilder(now=NOW).absorb(state, tmp_path / "f")
