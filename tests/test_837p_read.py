"""The typed 837P reader: values, context sharing, versions, raw segments, errors."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from edi_hit.errors import X12Error
from edi_hit.x837p import read_837p

HIT = "kputnam__stupidedi__home-infusion-therapy-pharmacy-(adjudicated-with-HCPCS-in-loop-2400-or-NDC-in-loop-2410).edi"


@pytest.fixture
def hit_claim(corpus):
    (claim,) = read_837p(corpus / "837p" / HIT)
    return claim


def test_hit_claim_values(hit_claim):
    c = hit_claim
    assert c.patient_control_number == "CLMNO12345"
    assert c.total_charge == Decimal("2232.93") and str(c.total_charge) == "2232.93"
    assert (c.place_of_service, c.facility_code_qualifier, c.frequency_code) == ("12", "B", "1")
    assert (c.provider_signature, c.assignment, c.benefits_assignment, c.release_of_information) \
        == ("Y", "A", "Y", "Y")
    assert [(d.qualifier, d.code) for d in c.diagnoses] == [("BK", "4659")]
    assert c.billing_provider.npi == "1234567893"
    assert c.billing_provider.name == "Professional Home IV, LLC"
    assert (c.billing_provider.tax_id_qualifier, c.billing_provider.tax_id) == ("EI", "10-1234567")
    assert c.billing_provider.address.city == "Libertyville"
    assert c.billing_provider.contacts[0].number1 == "8019999999"
    assert c.subscriber.member_id == "MBRID01234"
    assert c.subscriber.birth_date == date(1943, 5, 1) and c.subscriber.gender == "M"
    assert c.subscriber.claim_filing_indicator == "CI" and c.subscriber.payer_responsibility == "P"
    assert (c.payer.name, c.payer.id_qualifier, c.payer.id) == ("R&R Health Plan", "XV", "PLANID12345")
    assert c.patient is None
    assert c.submitter.name == "Quality Billing Service Corporation"
    assert c.receiver.id == "369852758"
    assert len(c.lines) == 6


def test_hit_lines(hit_claim):
    first, second, fourth = hit_claim.lines[0], hit_claim.lines[1], hit_claim.lines[3]
    assert (first.line_number, first.qualifier, first.code, first.charge, first.unit_basis,
            first.units, first.place_of_service, first.diagnosis_pointers) == \
        (1, "HC", "S9500", Decimal("1400.00"), "UN", Decimal("7"), "12", [1])
    assert (first.service_date, first.service_date_end) == (date(2004, 2, 1), date(2004, 2, 7))
    assert first.drug is None
    assert first.parties[0].entity_code == "DK" and first.parties[0].npi == "1112223338"
    assert first.parties[0].loop == "2420E"
    assert second.drug.ndc == "00004196501" and second.drug.quantity == Decimal("7")
    assert second.drug.unit == "UN" and second.drug.refs[0].qualifier == "XZ"
    assert [(d.qualifier, d.format, d.start) for d in second.dates] == [("471", "D8", date(2004, 1, 30))]
    assert fourth.code == "J3490" and fourth.modifiers == []
    assert fourth.description == "Sod Chl 0.9%see NDC#"


def test_context_objects_are_shared(corpus):
    claims = list(read_837p(corpus / "837p" / "imsweb__x12-parser__x12_multiple_st.txt",
                            envelope="warn"))  # its SE01 counts are wrong
    assert len(claims) == 4
    assert claims[0].envelope is claims[1].envelope
    assert claims[0].envelope is not claims[2].envelope
    assert claims[0].billing_provider is claims[1].billing_provider


def test_dependent_patient(corpus):
    (claim,) = read_837p(corpus / "837p" / "kputnam__stupidedi__commercial-health-insurance.edi")
    assert claim.patient is not None and claim.patient.relationship == "19"
    assert claim.patient.first_name == "TED" and claim.patient.birth_date == date(1973, 5, 1)


def test_cob_loops_kept_raw_in_order(corpus):
    (claim,) = read_837p(corpus / "837p" / "kputnam__stupidedi__COB-claim-from-billing-provider-to-payer-b.edi")
    loops = [(r.loop, r.segment_id) for r in claim.other]
    assert loops[:4] == [("2320", "SBR"), ("2320", "CAS"), ("2320", "AMT"), ("2320", "AMT")]
    assert ("2330A", "NM1") in loops and ("2330B", "NM1") in loops
    assert [p.loop for p in claim.parties] == ["2310B", "2310C"]
    svd = claim.lines[0].other[0]
    assert (svd.loop, svd.elements[:3]) == ("2430", ["SVD", "999996666", "40"])
    assert svd.elements[3] == ["HC", "99213"]


def test_versions_warn(corpus):
    reader = read_837p(corpus / "837p" / "LinuxForHealth__x12__demo.drug.example10.2.837")
    claims = list(reader)
    assert len(claims) == 1
    assert [(f.severity, f.code, f.element) for f in reader.findings] == \
        [("warning", "version", "GS08"), ("warning", "version", "ST03")]


def _hit_bytes(corpus) -> bytes:
    return (corpus / "837p" / HIT).read_bytes()


def _error(data: bytes) -> X12Error:
    with pytest.raises(X12Error) as info:
        list(read_837p(data, name="bad.837"))
    return info.value


def test_bad_amount_names_the_element(corpus):
    err = _error(_hit_bytes(corpus).replace(b"SV1*HC:J0696*682.50", b"SV1*HC:J0696*682.5O"))
    assert (err.file, err.segment_id, err.element, err.got) == ("bad.837", "SV1", "SV102", "682.5O")
    assert err.segment_index == 28
    assert str(err) == ("bad.837: segment 28 (SV1), element SV102: bad value: "
                        "expected a decimal amount, got '682.5O'")


def test_bad_date(corpus):
    err = _error(_hit_bytes(corpus).replace(b"DTP*471*D8*20040130", b"DTP*471*D8*20040231", 1))
    assert (err.segment_id, err.element, err.got) == ("DTP", "DTP03", "20040231")


def test_bad_pointer_and_version(corpus):
    err = _error(_hit_bytes(corpus).replace(b"SV1*HC:S9500*1400.00*UN*7*12**1", b"SV1*HC:S9500*1400.00*UN*7*12**A"))
    assert (err.segment_id, err.element) == ("SV1", "SV107")
    err = _error(_hit_bytes(corpus).replace(b"005010X222A1", b"005010X223A2"))
    assert (err.segment_id, err.element, err.got) == ("GS", "GS08", "005010X223A2")


def test_claim_count_matches_clm_segments_in_big_file(corpus):
    claims = list(read_837p(corpus / "837p" / "imsweb__x12-parser__x12_many_claims.txt",
                            envelope="warn"))
    assert len(claims) == 820
    assert sum(len(c.lines) for c in claims) == 820  # one LX per CLM in this file
