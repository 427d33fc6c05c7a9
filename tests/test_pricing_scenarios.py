# fixtures/scenarios: each 837P priced with its setup must give its expected result exactly.
from __future__ import annotations

import json

import pytest

from edi_hit.schemas import errors as schema_errors
from helpers_pricing import SCENARIOS, price_scenario, scenario_names, summarize

NAMES = scenario_names()


def test_the_issue_scenarios_are_all_there():
    assert {"worked_example", "day60_initial", "day61_initial", "dme_30_days", "dme_31_days",
            "same_category_same_day", "two_categories_same_day", "units_1_vs_8",
            "deductible_across_claims", "coinsurance_rounding", "sequestration_2022",
            "replacement", "void", "year_boundary", "wrong_place_of_service",
            "code_not_yet_valid"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_scenario(name):
    expected = json.loads((SCENARIOS / f"{name}.expected.json").read_text())["claims"]
    priced = price_scenario(name)
    for pc in priced:
        pc.check()
    got = summarize(priced)
    assert len(got) == len(expected), name
    for g, e in zip(got, expected):
        assert g == e, f"{name}: claim {e['patient_control_number']} (frequency {e['frequency']})"


@pytest.mark.parametrize("name", NAMES)
def test_scenario_output_matches_the_priced_claim_schema(name):
    for pc in price_scenario(name):
        assert schema_errors(pc.to_dict(), "priced-claim") == []


def test_priced_claim_round_trips_through_dict():
    from edi_hit.pricing.model import PricedClaim
    for pc in price_scenario("replacement"):
        again = PricedClaim.from_dict(json.loads(json.dumps(pc.to_dict())))
        assert again.to_dict() == pc.to_dict()
