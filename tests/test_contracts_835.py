# Payer contract claims through the main job and the CLI: the 835 (pyx12, balancing,
# CLP06 by payer, no sequestration unless the contract says so), the history carrying
# the accumulators across runs and taking them back on a void, and the CLI options.
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from edi_hit.pipeline import adjudicate
from edi_hit.pricing.history import open_history
from edi_hit.x837p import read_837p
from helpers_835 import independent_balance_check, pyx12_errors, segments_of
from helpers_pricing import SYNTHETIC_RATES
from helpers_runs import cli, write_claims
from test_contracts_scenarios import AUTHORIZATIONS, CLAIMS, CONTRACTS

NOW = datetime(2026, 4, 10, 8, 0)
PLAN, YEAR = "acme-commercial-2026", date(2026, 1, 1)
MEMBER_E = "ACM100000005"


def _valid(path) -> bytes:
    """The 835 at `path`, after checking it passes pyx12 and balances."""
    data = path.read_bytes()
    assert pyx12_errors(data) == []
    assert independent_balance_check(data) == []
    return data


def _run(sources, out, **kw):
    """Adjudicate with both sample contracts; the 835 written is checked (_valid)."""
    kw.setdefault("rates", SYNTHETIC_RATES)
    summary = adjudicate(sources, output=out, contracts=[CONTRACTS],
                         authorizations=AUTHORIZATIONS, assume_dme_drug=True, now=NOW, **kw)
    _valid(out)
    return summary


@pytest.fixture(params=["sqlite", "postgresql"])
def history(request, tmp_path):
    """Where the runs keep their history: a SQLite file, or a database of the test's own
    on the test PostgreSQL server (tests/fixtures_postgres.py)."""
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return tmp_path / "h.db"


def _clp(data: bytes) -> dict[str, list[str]]:
    return {s[1]: s for s in segments_of(data) if s[0] == "CLP"}


def test_the_835_passes_pyx12_balances_and_reports_each_payers_filing_indicator(tmp_path):
    out = tmp_path / "remit.835"
    summary = _run([CLAIMS], out)
    data = _valid(out)
    clp = _clp(data)
    # CLP06: the commercial contract says 12 (its claims' SBR09 CI is no CLP06 code), the
    # Medicaid claim's SBR09 MC, the Medicare claim MB, the claim no contract takes ZZ
    assert {pcn: s[6] for pcn, s in clp.items()} == {
        **{p: "12" for p in ("A1", "B1", "C1", "C2", "D1", "D2", "D3", "E1", "E2", "E3", "E4",
                             "E5")}, "F1": "MC", "G1": "MB", "H1": "ZZ"}
    # no sequestration: neither contract asks for it (G1's Medicare money is all deductible)
    assert not [s for s in segments_of(data) if s[0] == "CAS" and "253" in s[2::3]]
    # one transaction per payer (one billing provider): N1*PR of each
    assert [s[2] for s in segments_of(data) if s[:2] == ["N1", "PR"]] == [
        "ACME HEALTH PLAN", "STATE MEDICAID", "MEDICARE PART B", "OTHER HEALTH PLAN"]
    # the commercial transaction: 823.12 + 64 + 150 + 250 + 0 + 416 + 624 + 770 + 110
    assert [t.payment for t in summary.transactions] == [D("3207.12"), D("775.00"), D("0.00"),
                                                         D("0.00")]
    # the copay (PR-3) and the bundled supply (CO-234) as the TR3 writes them
    assert "CAS*PR*3*25~" in data.decode() and "CAS*CO*234*45~" in data.decode()
    # a per diem with days taken out: paid units 1 (SVC05), billed 3 (SVC07)
    assert "SVC*HC:S9501*450*110**1**3~" in data.decode()


def test_a_contract_that_asks_for_sequestration_gets_co_253(tmp_path):
    text = (CONTRACTS / "medicaid-hit-plus-30.json").read_text()
    doc = json.loads(text)
    doc["remit"] = {"sequestration": True}
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "medicaid.json").write_text(json.dumps(doc))
    claims = [c for c in read_837p(CLAIMS) if c.patient_control_number == "F1"]
    out = tmp_path / "remit.835"
    adjudicate([write_claims(tmp_path / "f1.837", claims)], output=out, contracts=[folder],
               rates=SYNTHETIC_RATES, now=NOW)
    data = _valid(out)
    # 2026 sequestration 2%: G0088 286.00 x 2% = 5.72 -> paid 280.28; G0068 234.00 x 2% = 4.68
    # -> 229.32; S9328 (through 03-04) 255.00 x 2% = 5.10 -> 249.90
    assert "SVC*HC:G0088*400*280.28**4~" in data.decode()
    assert "CAS*CO*45*114**253*5.72~" in data.decode()
    assert "SVC*HC:G0068*300*229.32**8~" in data.decode()
    assert "SVC*HC:S9328*300*249.9**3~" in data.decode()


def _member_e(claims, *pcns):
    return [c for c in claims if c.patient_control_number in pcns]


def test_accumulators_carry_across_runs_and_a_void_takes_its_share_back(tmp_path, history):
    db = history
    claims = list(read_837p(CLAIMS))
    first = write_claims(tmp_path / "e12.837", _member_e(claims, "E1", "E2"), 1)
    second = write_claims(tmp_path / "e34.837", _member_e(claims, "E3", "E4"), 2)
    _run([first], tmp_path / "one.835", history=db)
    with open_history(db) as h:
        # E1 220.00 deductible; E2 30.00 deductible + 104.00 coinsurance: 250.00, 354.00
        assert h.load([MEMBER_E])[MEMBER_E].accumulated(PLAN, YEAR) == (D("250.00"), D("354.00"))
    _run([second], tmp_path / "two.835", history=db)
    data = (tmp_path / "two.835").read_bytes()
    # the same money as in one run: E3 capped at the out-of-pocket maximum, E4 all paid
    assert _clp(data)["E3"][4] == "624" and _clp(data)["E4"][4] == "770"
    with open_history(db) as h:
        bh = h.load([MEMBER_E])[MEMBER_E]
        assert bh.accumulated(PLAN, YEAR) == (D("250.00"), D("500.00"))
        assert len([s for s in bh.services if s.code == "S9500"]) == 2 + 5 + 7 + 7
        e3 = next(c.icn for c in bh.claims.values() if c.pcn == "E3")
    # void E3 (frequency 8, REF*F8 its ICN): its 146.00 and 7 days are taken back
    (e3_claim,) = _member_e(claims, "E3")
    void = replace(e3_claim, frequency_code="8", refs=[*e3_claim.refs, type(e3_claim.refs[0])("F8", e3)])
    _run([write_claims(tmp_path / "void.837", [void], 3)], tmp_path / "three.835", history=db)
    with open_history(db) as h:
        bh = h.load([MEMBER_E])[MEMBER_E]
        assert bh.accumulated(PLAN, YEAR) == (D("250.00"), D("354.00"))  # 500.00 - 146.00
        assert len([s for s in bh.services if s.code == "S9500"]) == 2 + 5 + 7
        assert h.check() == []
    data = _valid(tmp_path / "three.835")
    assert _clp(data)["E3"][2] == "22"  # a reversal


def test_accumulation_met_outside_the_store_counts(tmp_path, history):
    db = history
    with open_history(db) as h:  # the member met the deductible and 400.00 elsewhere
        h.set_accumulation(MEMBER_E, PLAN, YEAR, D("250.00"), D("400.00"))
    claims = _member_e(list(read_837p(CLAIMS)), "E2")
    _run([write_claims(tmp_path / "e2.837", claims)], tmp_path / "e2.835", history=db)
    # E2: 550.00 allowed, no deductible left; 20% x 550.00 = 110.00 but 100.00 left of the
    # maximum: PR-2 100.00, paid 450.00
    assert _clp((tmp_path / "e2.835").read_bytes())["E2"][4:6] == ["450", "100"]


# -- the CLI -----------------------------------------------------------------------------------

def test_cli_price_explain_names_the_term_and_adjudicate_writes_the_835(tmp_path):
    r = cli("price", CLAIMS, "--contract", CONTRACTS, "--authorizations", AUTHORIZATIONS,
            "--rates", SYNTHETIC_RATES, "--explain", "--assume-dme-drug")
    assert r.exit_code == 0, r.output
    assert "Claim A1" in r.output and "contract acme-commercial-2026" in r.output
    assert "K1 S9500: term anti-infective-per-diem of contract acme-commercial-2026" in r.output
    assert "payer contracts: 2 (acme-commercial-2026" in r.output
    out = tmp_path / "r.835"
    r = cli("adjudicate", CLAIMS, "--contract", CONTRACTS / "commercial-per-diem.toml",
            "--contract", CONTRACTS / "medicaid-hit-plus-30.json", "--authorizations",
            AUTHORIZATIONS, "--rates", SYNTHETIC_RATES, "--assume-dme-drug", "-o", out,
            "--now", "2026-04-10")
    assert r.exit_code == 0, r.output
    assert "1  CO-197" in r.output
    _valid(out)


def test_cli_price_json_carries_the_contract(tmp_path):
    out = tmp_path / "p.json"
    r = cli("price", CLAIMS, "--contract", CONTRACTS, "--rates", SYNTHETIC_RATES, "-o", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    by = {c["patient_control_number"]: c for c in doc["claims"]}
    assert by["A1"]["contract"] == "acme-commercial-2026" and by["A1"]["filing_indicator"] == "12"
    assert "contract" not in by["G1"] and "filing_indicator" not in by["G1"]


def test_cli_authorizations_without_a_contract_is_refused():
    r = cli("price", CLAIMS, "--authorizations", AUTHORIZATIONS)
    assert r.exit_code == 1
    assert "an authorization file applies to payer contracts: give --contract too" in r.output


def test_cli_a_contract_that_breaks_the_schema_is_named_by_its_path(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((CONTRACTS / "commercial-per-diem.toml").read_text().replace(
        'rate = "60.00"', "rate = 60.00"))
    r = cli("price", CLAIMS, "--contract", bad)
    assert r.exit_code == 2          # a data file that fails its schema (issue 13)
    assert "bad.toml: does not match the contract schema: terms[2].rate: 60.0 is not of type " \
           "'string'" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("command", ["reconcile", "report"])
def test_the_other_pricing_commands_take_the_contract(tmp_path, command):
    remit = tmp_path / "r.835"
    _run([CLAIMS], remit)
    if command == "reconcile":
        r = cli("reconcile", CLAIMS, remit, "--contract", CONTRACTS, "--authorizations",
                AUTHORIZATIONS, "--rates", SYNTHETIC_RATES, "--assume-dme-drug", "--format",
                "json")
        assert r.exit_code == 0, r.output
        totals = json.loads(r.stdout)["totals"]
        assert totals["expected_paid"] == totals["remitted_paid"]
    else:
        r = cli("report", remit, "--claims", CLAIMS, "--contract", CONTRACTS, "--authorizations",
                AUTHORIZATIONS, "--rates", SYNTHETIC_RATES, "--assume-dme-drug", "-o",
                tmp_path / "r.html")
        assert r.exit_code == 0, r.output
        page = (tmp_path / "r.html").read_text()
        assert "Precertification/authorization/notification/pre-treatment absent." in page


def test_cli_history_accumulation_records_what_was_met_elsewhere(tmp_path, history):
    db = history
    r = cli("history", "accumulation", "--history", db, "--member", MEMBER_E, "--plan", PLAN,
            "--plan-year", "2026-01-01", "--deductible", "250", "--out-of-pocket", "400.00")
    assert r.exit_code == 0, r.output
    assert MEMBER_E not in r.output  # no member id in messages
    with open_history(db) as h:
        assert h.load([MEMBER_E])[MEMBER_E].accumulated(PLAN, YEAR) == (D("250.00"), D("400.00"))
    r = cli("history", "accumulation", "--history", db, "--member", MEMBER_E, "--plan", PLAN,
            "--plan-year", "2026-01-01", "--deductible", "-1")
    assert r.exit_code == 1 and "--deductible: an amount of money cannot be negative" in r.output
