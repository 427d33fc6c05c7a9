# The public API in edi_hit/__init__.py: every name resolves, and the README's
# library example runs as written.
from decimal import Decimal

import pytest

import edi_hit
from conftest import FIXTURES


@pytest.mark.parametrize("name", edi_hit.__all__)
def test_every_public_name_resolves(name):
    assert getattr(edi_hit, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        edi_hit.no_such_thing


def test_readme_library_example(tmp_path):
    path = FIXTURES / "demo" / "hit-supplier.837"
    claims = list(edi_hit.read_837p(path))
    assert [c.patient_control_number for c in claims] == [
        "HIT-26-001", "HIT-26-002", "HIT-26-003", "HIT-26-004"]
    assert [(l.code, l.charge) for l in claims[0].lines] == [
        ("G0089", Decimal("310.00")), ("G0069", Decimal("240.00")), ("G0069", Decimal("240.00"))]

    data = edi_hit.write_837p(claims, sender_id="ME", receiver_id="MEDICARE")
    assert data.count(b"CLM*") == 4

    # the DME MAC's 835 says which drugs the DME benefit covered (C26)
    from edi_hit.x835.dme import dme_drugs_from_835
    evidence = dme_drugs_from_835(FIXTURES / "demo" / "dme-mac.835")
    summary = edi_hit.adjudicate([path], output=tmp_path / "remit.835",
                                 history=str(tmp_path / "hit.db"), dme_drugs=evidence.drugs)
    assert summary.payment == Decimal("239.75")   # decided and recorded, exactly once
    # the preview reads the history and writes nothing: the recorded decisions
    priced = list(edi_hit.price(claims, history=str(tmp_path / "hit.db"), dme_drugs=evidence.drugs))
    by_pcn = {p.claim.patient_control_number: p for p in priced}
    first = by_pcn["HIT-26-001"].lines[0]
    assert (first.status, first.paid) == ("paid", Decimal("18.98"))
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [
        ("CO", "45", Decimal("2.79")), ("PR", "1", Decimal("283.00")),
        ("PR", "2", Decimal("4.84")), ("CO", "253", Decimal("0.39"))]

    remit = edi_hit.build_835(priced)
    remits = list(edi_hit.read_835(remit))
    assert sum(r.payment_amount for r in remits) == Decimal("239.75")

    report = edi_hit.validate(FIXTURES / "demo" / "hit-supplier.837", levels=(1, 3, 4))
    # The demo's deliberate faults are exactly what validation reports.
    assert [(f.segment_index, f.code, f.claim) for f in report.findings if f.severity == "error"] == [
        (34, "duplicate-code-day", "HIT-26-001"), (68, "pos-not-home", "HIT-26-003")]
    assert [(f.segment_index, f.code) for f in report.findings if f.severity == "warning"] == [
        (87, "hit-other-code")]   # the J1170 on the HIT supplier's own claim
