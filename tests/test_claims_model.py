"""The claim model: contract names, helpers, to_dict/from_dict."""
from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

from helpers_837p import hit_claims
from edi_hit.claims import (MODEL_CLASSES, Address, BillingProvider, Claim, Diagnosis,
                            DrugIdentification, RawSegment, Ref, ServiceLine)


def test_all_model_classes_use_slots():
    for cls in MODEL_CLASSES:
        assert dataclasses.is_dataclass(cls) and hasattr(cls, "__slots__"), cls.__name__


def test_contract_field_names():
    names = {f.name for f in dataclasses.fields(Claim)}
    assert {"patient_control_number", "total_charge", "place_of_service", "facility_code_qualifier",
            "frequency_code", "diagnoses", "refs", "lines", "billing_provider", "subscriber",
            "patient", "payer", "submitter", "receiver", "envelope"} <= names
    names = {f.name for f in dataclasses.fields(ServiceLine)}
    assert {"line_number", "qualifier", "code", "modifiers", "description", "charge", "unit_basis",
            "units", "place_of_service", "diagnosis_pointers", "service_date", "service_date_end",
            "control_number", "drug"} <= names
    assert {"npi", "name", "address", "taxonomy", "tax_id", "tax_id_qualifier"} <= \
        {f.name for f in dataclasses.fields(BillingProvider)}
    assert {"ndc_qualifier", "ndc", "quantity", "unit"} <= \
        {f.name for f in dataclasses.fields(DrugIdentification)}


def test_helpers():
    c1, _, c3 = hit_claims()
    assert c1.prior_authorization == "PA20260001" and c1.payer_claim_control_number() is None
    assert c3.frequency_code == "7" and c3.payer_claim_control_number() == "22026040123456"
    line = c1.lines[0]
    assert line.place_of_service is None and c1.line_place_of_service(line) == "12"
    line.place_of_service = "11"
    assert c1.line_place_of_service(line) == "11"
    assert c1.diagnosis_codes() == ["A419", "B20"]
    assert c1.party("DN").npi == "1555555550"


def test_to_dict_is_json_and_reversible():
    for claim in hit_claims():
        d = claim.to_dict()
        assert json.loads(json.dumps(d)) == d
        assert Claim.from_dict(d) == claim


def test_to_dict_formats_and_defaults():
    line = ServiceLine(1, code="G0068", charge=Decimal("300.00"), units=Decimal("8"),
                       service_date=date(2026, 2, 2), diagnosis_pointers=[1])
    assert line.to_dict() == {"line_number": 1, "code": "G0068", "charge": "300.00", "units": "8",
                              "diagnosis_pointers": [1], "service_date": "2026-02-02"}
    full = line.to_dict(full=True)
    assert full["qualifier"] == "HC" and full["unit_basis"] == "UN"
    # a None where the default is not None must survive the trip
    c = Claim("X", Decimal("1"), "12", None, "1")
    assert c.to_dict()["facility_code_qualifier"] is None
    assert Claim.from_dict(c.to_dict()) == c


def test_small_types_round_trip():
    for obj in (Address("1 A ST", None, "X", "IL", "60000"), Ref("G1", "PA1", None, ["a", "b"]),
                Diagnosis("ABK", "A419", ["D8", "20260101"]),
                RawSegment("2320", ["CAS", "PR", "1", "21.89", ["x", "y"]])):
        assert type(obj).from_dict(json.loads(json.dumps(obj.to_dict()))) == obj
