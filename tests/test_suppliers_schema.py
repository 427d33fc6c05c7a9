"""The --suppliers CSV has a JSON schema (schemas/suppliers.schema.json) for its rows,
checked where the CSV is loaded: a bad row refuses the file (ConfigError, exit 2) with
file, row and column; the shipped fixtures and CMS's list as it is published pass."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from edi_hit import schemas
from edi_hit.errors import ConfigError
from edi_hit.pricing.suppliers import load_suppliers
from helpers_runs import cli

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
HEADER = "NPI,Legal Business Name,State,Specialty,Effective From,Effective To\n"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hit-suppliers.csv"
    path.write_text(text)
    return path


def test_the_schema_is_a_valid_schema_and_describes_a_row():
    schema = schemas.load_schema("suppliers")
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["npi"]
    assert sorted(schema["properties"]) == ["end", "npi", "specialty", "start"]
    check = schemas.validator("suppliers")
    assert check.is_valid({"npi": "1234567893", "specialty": "D6", "start": "2021-01-01",
                           "end": ""})
    for day in ("20210101", "01/31/2021", ""):
        assert check.is_valid({"npi": "1234567893", "start": day})
    for bad in ({"npi": "123456789"}, {"npi": "12345678901"}, {"npi": "123456789X"},
                {"npi": "1234567893", "start": "2021/01/01"}, {"specialty": "D6"},
                {"npi": "1234567893", "status": "active"}):
        assert not check.is_valid(bad), bad


def test_the_shipped_fixture_and_cms_list_pass(tmp_path):
    demo = load_suppliers(DEMO / "hit-suppliers.csv")
    e = demo.enrolment("1234567893", date(2026, 3, 1))
    assert e is not None and (e.start, e.end, e.source) == (date(2021, 1, 1), None,
                                                            "hit-suppliers.csv:2")
    cms = _csv(tmp_path, "ENRLMT_ID,NPI,LGL_BUS_NAME,STATE_CD\n"
                         "O20210101000001,1234567893,SYNTHETIC HOME INFUSION,MO\n")
    assert load_suppliers(cms).enrolment("1234567893", date(2019, 1, 1)) is not None


@pytest.mark.parametrize("row,message", [
    ("12345,X,MD,D6,2021-01-01,", "row 3, column 'NPI': expected the billing provider's NPI: "
                                  "10 digits, got '12345'"),
    ("123456789O,X,MD,D6,,", "row 3, column 'NPI': expected the billing provider's NPI: 10 "
                             "digits, got '123456789O'"),
    ("1245319599,X,MD,D6,2021/01/01,", "row 3, column 'Effective From': expected the first "
                                       "day of the enrolment: YYYY-MM-DD, YYYYMMDD or "
                                       "MM/DD/YYYY; empty: open, got '2021/01/01'"),
    ("1245319599,X,MD,D6,,Dec 2024", "row 3, column 'Effective To': expected the last day "
                                     "of the enrolment: YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY; "
                                     "empty: open, got 'Dec 2024'"),
    ("1245319599,X,MD,D6,02/30/2024,", "row 3, column 'Effective From': '02/30/2024' is not "
                                       "a day of the calendar"),
    ("1245319599,X,MD,D6,2024-03-01,2024-02-29", "row 3, column 'Effective To': the "
                                                 "enrolment ends (2024-02-29) before it "
                                                 "starts (2024-03-01)"),
])
def test_a_bad_row_names_file_row_and_column(tmp_path, row, message):
    path = _csv(tmp_path, HEADER + "1234567893,GOOD ONE,MD,D6,2021-01-01,\n" + row + "\n")
    with pytest.raises(ConfigError) as caught:
        load_suppliers(path)
    assert str(caught.value) == f"{path}: {message}"


def test_the_command_line_refuses_the_file_with_exit_2(tmp_path):
    path = _csv(tmp_path, HEADER + "12345,X,MD,D6,,\n")
    r = cli("adjudicate", DEMO / "hit-supplier.837", "--suppliers", path, "--assume-dme-drug",
            "-o", tmp_path / "o.835")
    assert r.exit_code == 2, r.output
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
    assert errors == [f"Error: {path}: row 2, column 'NPI': expected the billing provider's "
                      f"NPI: 10 digits, got '12345'"]
    assert not (tmp_path / "o.835").exists()
