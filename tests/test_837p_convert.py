"""JSON, JSON Schema and XML forms of claims."""
from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, corpus_files
from helpers_837p import hit_claims
from edi_hit.x837p import read_837p
from edi_hit.x837p.convert import claim_schema, claims_from_json, claims_to_json, claims_to_xml

SCHEMA_PATH = ROOT / "schemas" / "claim.schema.json"
FILES = corpus_files("837p")


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_schema_file_matches_model():
    assert json.loads(SCHEMA_PATH.read_text()) == claim_schema()


@pytest.mark.parametrize("path", FILES, ids=[p.name[:70] for p in FILES])
def test_every_corpus_claim_validates(validator, path):
    # envelope="warn": the imsweb samples' SE01/GE01/IEA01 counts are wrong
    for claim in read_837p(path, envelope="warn"):
        errors = [e.message for e in validator.iter_errors(claim.to_dict())]
        assert errors == [], claim.patient_control_number


def test_schema_rejects_bad_values(validator):
    d = hit_claims()[0].to_dict()
    d["total_charge"] = 950.0
    assert not validator.is_valid(d)
    d = hit_claims()[0].to_dict()
    d["lines"][0]["service_date"] = "02/02/2026"
    assert not validator.is_valid(d)
    d = hit_claims()[0].to_dict()
    d["surprise"] = 1
    assert not validator.is_valid(d)


def test_json_fixture_and_round_trip():
    claims = hit_claims()
    assert claims_from_json((FIXTURES / "837p" / "hit_claims.json").read_text()) == claims
    assert claims_from_json(claims_to_json(claims)) == claims
    d = claims[0].to_dict()
    assert d["total_charge"] == "950.00" and d["lines"][0]["service_date"] == "2026-02-02"
    assert d["lines"][2]["drug"] == {"ndc": "00409123401", "quantity": "100", "unit": "ML"}


def test_xml(corpus):
    root = claims_to_xml(hit_claims())
    assert root.tag == "claims" and len(root) == 3
    first = root[0]
    assert first.findtext("patient_control_number") == "HIT-2026-0001"
    assert first.findtext("facility_code_qualifier") == "B"  # defaults are spelled out
    assert [l.findtext("code") for l in first.find("lines")] == ["G0068", "G0068", "J0285"]
    assert first.find("lines/line/qualifier").text == "HC"
    assert first.findtext("lines/line[3]/drug/ndc") == "00409123401"
    (cob,) = read_837p(corpus / "837p" / "kputnam__stupidedi__COB-claim-from-billing-provider-to-payer-b.edi")
    xml = claims_to_xml([cob], as_bytes=True)
    assert xml.startswith(b"<?xml") and b"<loop>2320</loop>" in xml
    assert b"<component>HC</component>" in xml
