# edi-hit price / rates import / history import-dme through click's CliRunner.
from __future__ import annotations

import json

from click.testing import CliRunner

from edi_hit.cli import main
from helpers_pricing import SCENARIOS, SYNTHETIC_RATES

WORKED = str(SCENARIOS / "worked_example.837")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_price_writes_priced_claims_json(tmp_path):
    out = tmp_path / "priced.json"
    db = tmp_path / "hit.db"
    r = invoke("history", "deductible", "--history", db, "--mbi", "1EG4TE5MK73", "--year", "2023",
               "--met", "226.00")
    assert r.exit_code == 0, r.output
    dme = tmp_path / "dme-lines.csv"   # the DME MAC's claim lines: J1170 covered
    dme.write_text("MBI,Date,HCPCS,Status,Allowed\n1EG4TE5MK73,2023-03-01,J1170,paid,42.10\n")
    r = invoke("price", WORKED, "--rates", SYNTHETIC_RATES, "--history", db, "--dme-drugs", dme,
               "-o", out)
    assert r.exit_code == 0, r.output
    assert "dme-lines.csv: 1 covered DME drug lines" in r.stderr
    doc = json.loads(out.read_text())
    assert doc["schema"] == "edi-hit/priced-claims/1"
    hit = doc["claims"][1]
    assert hit["total_paid"] == "117.60"
    assert [a["amount"] for a in hit["lines"][0]["adjustments"]] == ["150.00", "30.00", "2.40"]
    assert "ILLUSTRATIVE rate table" in r.stderr


def test_price_explain_shows_the_working(tmp_path):
    # the DME supplier's J1170 claim in the same file counts only in the billed simulation
    r = invoke("price", WORKED, "--rates", SYNTHETIC_RATES, "--explain", "--dme-evidence", "billed")
    assert r.exit_code == 0
    assert "P1 allowed = min(charge 300.00, rate 150.00) = 150.00" in r.stdout
    assert ("E4 DME drug J1170 (category 1) on 2023-03-01, 14 days before the visit (billed DME "
            "claim, simulation)") in r.stdout
    assert "billed - SIMULATION" in r.stderr
    assert not r.stdout.lstrip().startswith("{")


def test_price_assume_dme_drug_says_so(tmp_path):
    r = invoke("price", SCENARIOS / "dme_31_days.837", "--rates", SYNTHETIC_RATES,
               "--assume-dme-drug", "-o", tmp_path / "p.json")
    assert r.exit_code == 0
    assert "--assume-dme-drug" in r.stderr
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["claims"][1]["lines"][0]["status"] == "paid"


def test_price_default_rates_are_illustrative(tmp_path):
    r = invoke("price", WORKED, "-o", tmp_path / "p.json")
    assert r.exit_code == 0
    assert "ILLUSTRATIVE" in r.stderr
    assert json.loads((tmp_path / "p.json").read_text())["claims"][1]["illustrative_rates"] is True


def test_price_bad_input_exit_1_without_traceback(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_text("this is not X12")
    r = CliRunner().invoke(main, ["price", str(bad)])
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    rates = tmp_path / "r.json"
    rates.write_text('{"illustrative": "yes"}')
    r = CliRunner().invoke(main, ["price", WORKED, "--rates", str(rates)])
    # a rate table that fails its schema is a configuration mistake: exit 2 (issue 13)
    assert r.exit_code == 2 and "does not match the rates schema" in r.stderr


def test_price_usage_error_exit_2():
    assert CliRunner().invoke(main, ["price"]).exit_code == 2


def test_rates_import(tmp_path):
    src = tmp_path / "rates.csv"
    src.write_text("CARRIER,LOCALITY,G0068,G0088\nNATIONAL,,150.00,190.00\n01112,05,171.25,210.10\n")
    out = tmp_path / "rates.json"
    r = invoke("rates", "import", src, "--year", "2024", "-o", out, "--source", "test")
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["provenance"]["source"] == "test"
    assert {(x["code"], x.get("carrier"), x["amount"]) for x in doc["rates"]} == {
        ("G0068", None, "150.00"), ("G0088", None, "190.00"),
        ("G0068", "01112", "171.25"), ("G0088", "01112", "210.10")}
    r = CliRunner().invoke(main, ["rates", "import", str(src), "-o", str(out)])
    assert r.exit_code == 1 and "no year" in r.stderr


def test_history_import_dme_then_price(tmp_path):
    db = tmp_path / "hit.db"
    csv = tmp_path / "dme.csv"
    csv.write_text("MBI,Date,HCPCS\n1EG4TE5MK73,2023-03-01,J1170\n")
    r = invoke("history", "import-dme", csv, "--history", db)
    assert r.exit_code == 0 and "1 added to the history" in r.stderr
    assert "no status column: every row taken as covered" in r.stderr
    r = invoke("history", "import-dme", csv, "--history", db)
    assert "0 added to the history, 1 already present" in r.stderr
    # dme_31_days has its own drug 31 days before; the imported one (14 days) qualifies
    r = invoke("price", SCENARIOS / "dme_31_days.837", "--rates", SYNTHETIC_RATES, "--history", db,
               "-o", tmp_path / "p.json")
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["claims"][1]["lines"][0]["status"] == "paid"
