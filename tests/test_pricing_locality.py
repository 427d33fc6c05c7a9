# Convention C5 (where the locality comes from) and C8 (locality file row, else
# national x GAF), on the synthetic table: ZIP prefix 999 -> carrier 99999 locality 01,
# which has a file row for G0068 in 2023 (125.31); prefix 998 -> locality 02, which has
# only a GAF (1.0333); national G0068 2023 = 150.00.
from decimal import Decimal

import pytest

from edi_hit.claims import Address
from edi_hit.pricing import price
from helpers_pricing import SYNTHETIC_RATES, claim, line


def priced_line(provider_zip, beneficiary_zip, conventions=None):
    c = claim(line("G0068", "2023-03-15", "300.00", "4"), zip_code=provider_zip)
    c.subscriber.address = Address("2 ELM ST", None, "SOMEWHERE", "ZZ", beneficiary_zip)
    (pc,) = price([c], rates=SYNTHETIC_RATES, assume_dme_drug=True, conventions=conventions)
    return pc.lines[0]


@pytest.mark.parametrize("conventions, allowed, trace", [
    (None, "125.31", "locality 99999-01"),                                    # billing provider ZIP
    ({"locality_source": "beneficiary_zip"}, "155.00", "locality 99999-02"),  # 150.00 x 1.0333
    ({"locality_source": "national"}, "150.00", "locality national"),
])
def test_locality_source_picks_the_rate(conventions, allowed, trace):
    pl = priced_line("999011234", "998015678", conventions)
    assert pl.status == "paid"
    assert pl.allowed == Decimal(allowed)
    assert any(trace in t for t in pl.trace), pl.trace
    # CO-45 is the charge above the allowed amount, to the cent.
    co45 = [a.amount for a in pl.adjustments if (a.group, a.reason) == ("CO", "45")]
    assert co45 == [Decimal("300.00") - Decimal(allowed)]


def test_zip_outside_the_map_falls_back_to_national():
    pl = priced_line("631011234", "631011234")
    assert pl.allowed == Decimal("150.00")
    assert any("not in the ZIP map" in t for t in pl.trace)


def test_a_beneficiary_zip_is_never_whole_in_the_trace():
    # HIPAA safe harbor: at most the first three digits of a beneficiary's ZIP; a
    # provider's ZIP is not PHI and is shown whole
    pl = priced_line("999011234", "998015678", {"locality_source": "beneficiary_zip"})
    text = " ".join(pl.trace)
    assert "ZIP 998xx (beneficiary) prefix 998" in text and "99801" not in text
    pl = priced_line("999011234", "631015678", {"locality_source": "beneficiary_zip"})
    text = " ".join(pl.trace)
    assert "ZIP 631xx (beneficiary) not in the ZIP map" in text and "63101" not in text
    pl = priced_line("999011234", "998015678")
    assert any("ZIP 99901 (billing provider) prefix 999" in t for t in pl.trace), pl.trace
