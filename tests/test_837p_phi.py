"""The 837P reader's rejection reasons and findings name file, segment, element and the
claim's CLM01 - never the value of a PHI element (names, birth date, member id,
address)."""
from __future__ import annotations

import pytest

from conftest import FIXTURES
from edi_hit.errors import X12Error
from edi_hit.x837p import read_837p

HIT = (FIXTURES / "837p" / "hit_claims.837").read_bytes().replace(b"\n", b"")
# The first subscriber's PHI as the fixture carries it.
PHI = ["DOE", "JANE", "1EG4TE5MK73", "1948", "0412", "12 OAK AVE", "627020000"]


def everything_said(data: bytes) -> str:
    reader = read_837p(data, name="p.837", errors="reject")
    items = list(reader)
    said = [str(f) for f in reader.all_findings]
    for i in items:
        if hasattr(i, "reason"):
            said.append(i.reason)
            said.extend(str(f) for f in i.findings)
    try:
        list(read_837p(data, name="p.837"))
    except X12Error as exc:
        said.append(str(exc))
    return "\n".join(said)


@pytest.mark.parametrize("old, new", [
    (b"DMG*D8*19480412*F", b"DMG*D8*19481412*F"),                        # a bad birth date
    (b"DMG*D8*19480412*F", b"DMG*D8*19480412*F~DMG*D8*19480412*F"),      # twice
    (b"NM1*IL*1*DOE*JANE****MI*1EG4TE5MK73",
     b"NM1*IL*1*DOE*JANE****MI*1EG4TE5MK73***DOE*JANE"),                  # too many elements
    (b"N3*12 OAK AVE~N4*SPRINGFIELD*IL*627020000",
     b"N3*12 OAK AVE~N3*12 OAK AVE~N4*SPRINGFIELD*IL*627020000"),        # an address twice
    (b"N4*SPRINGFIELD*IL*627020000~DMG", b"N4*SPRINGFIELD*IL*627020000*US*X*Y*Z*1948~DMG"),
])
def test_no_phi_value_is_quoted(old, new):
    assert HIT.count(old) >= 1
    data = HIT.replace(old, new, 1)
    said = everything_said(data)
    assert said                          # something was found ...
    for value in PHI:                    # ... and none of it quotes the PHI
        assert value not in said, (value, said)
