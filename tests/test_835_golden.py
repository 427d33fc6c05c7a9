"""Golden files: fixtures/scenarios/NAME.837 adjudicated -> NAME.835, byte for byte.

Each scenario is adjudicated with its setup (NAME.expected.json: rates, deductible met,
DME drugs on file) through edi_hit.pipeline, with fixed --now and control number.
Regenerate deliberately after a reviewed change:

    UPDATE_GOLDEN=1 /tmp/venv/bin/pytest -q tests/test_835_golden.py
"""
from __future__ import annotations

import io
import json
import os
from datetime import date, datetime
from decimal import Decimal

import pytest

from edi_hit.x835 import read_835
from edi_hit.pipeline import adjudicate
from helpers_835 import independent_balance_check, pyx12_errors
from helpers_pricing import SCENARIOS, scenario_names

NOW = datetime(2025, 1, 2, 9, 30)
NAMES = scenario_names()


def adjudicate_scenario(name: str) -> tuple[bytes, object]:
    from edi_hit.pricing import SQLiteHistory
    from edi_hit.pricing.history import DrugClaim

    setup = json.loads((SCENARIOS / f"{name}.expected.json").read_text())["setup"]
    store = SQLiteHistory()
    for m in setup.get("deductible_met", []):
        store.set_deductible_met(m["mbi"], m["year"], Decimal(m["amount"]))
    store.import_dme(DrugClaim(x["mbi"], date.fromisoformat(x["date"]), x["code"],
                               x.get("category")) for x in setup.get("dme_drugs", []))
    out = io.BytesIO()
    summary = adjudicate([SCENARIOS / f"{name}.837"], output=out, rates=SCENARIOS / setup["rates"],
                         history=store, assume_dme_drug=setup.get("assume_dme_drug", False),
                         now=NOW, control_number=1)
    return out.getvalue(), summary


@pytest.mark.parametrize("name", NAMES)
def test_golden_835(name):
    data, _ = adjudicate_scenario(name)
    golden = SCENARIOS / f"{name}.835"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(data)
    assert golden.is_file(), f"{golden.name} missing: run with UPDATE_GOLDEN=1 to create it"
    assert data == golden.read_bytes(), f"{name}: 835 differs from {golden.name}"


@pytest.mark.parametrize("name", NAMES)
def test_golden_835_is_valid_and_balanced(name):
    data = (SCENARIOS / f"{name}.835").read_bytes()
    assert pyx12_errors(data) == []
    assert independent_balance_check(data) == []


@pytest.mark.parametrize("name", NAMES)
def test_golden_835_carries_the_expected_priced_claims(name):
    """Each claim of NAME.expected.json appears in the 835 with its status and amounts."""
    expected = json.loads((SCENARIOS / f"{name}.expected.json").read_text())["claims"]
    remitted = [c for r in read_835(SCENARIOS / f"{name}.835") for c in r.claims]
    status = {"processed": "1", "denied": "1", "reversal": "22"}  # CLP02: 4 only for an unknown patient
    assert [(c.patient_control_number, c.status_code, c.payer_claim_control_number, c.paid)
            for c in remitted] == [
        (e["patient_control_number"], status[e["status"]], e["payer_claim_control_number"],
         Decimal(e["total_paid"])) for e in expected]
    for c, e in zip(remitted, expected):
        # a denied line carries no AMT*B6 (hit-rules 11)
        assert [(ln.code, ln.paid, ln.allowed, ln.remarks) for ln in c.lines] == [
            (x["code"], Decimal(x["paid"]),
             None if x["status"] == "denied" else Decimal(x["allowed"]), x["remarks"])
            for x in e["lines"]]
        got_adj = [[f"{a.group}-{a.reason} {a.amount:.2f}" for a in ln.adjustments]
                   for ln in c.lines]
        want_adj = [sorted(a for a in x["adjustments"] if Decimal(a.split()[1]) != 0)
                    for x in e["lines"]]
        assert [sorted(a) for a in got_adj] == want_adj


def test_worked_example_golden_has_the_hit_rules_segments():
    text = (SCENARIOS / "worked_example.835").read_text()
    assert "SVC*HC:G0068*300*117.6**4~\nDTM*472*" in text
    assert "CAS*CO*45*150**253*2.4~\nCAS*PR*2*30~" in text
