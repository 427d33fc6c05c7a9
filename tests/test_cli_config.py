# Configuration (issue 13): edi-hit.toml, --config, EDI_HIT_* variables, and every data
# file checked against its shipped JSON Schema on load, naming the JSON path at fault.
# Precedence is observed on real output: ISA13 of the 835 adjudicate writes (the
# control number) and the rate table named in price's JSON.
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi_hit.cli import main
from edi_hit.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
HIT = ROOT / "fixtures" / "837p" / "hit_claims.837"
SYNTHETIC = ROOT / "fixtures" / "rates" / "synthetic.json"


def run(*argv, env=None):
    result = CliRunner().invoke(main, [str(a) for a in argv], env=env)
    assert "Traceback" not in result.output
    return result


def isa13(text: str) -> str:
    return text.split("~", 1)[0].split("*")[13]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDI_HIT_ADJUDICATE_CONTROL_NUMBER", raising=False)
    monkeypatch.delenv("EDI_HIT_RATES", raising=False)
    return tmp_path


def adjudicate(*extra, env=None):
    r = run("adjudicate", HIT, "--assume-dme-drug", "--now", "2026-03-01", *extra, env=env)
    assert r.exit_code == 0, r.output
    return isa13(r.stdout)


def test_command_line_beats_environment_beats_file_beats_default(workdir):
    assert adjudicate() == "000000001"                                # the default
    (workdir / "edi-hit.toml").write_text("[adjudicate]\ncontrol-number = 7\n")
    assert adjudicate() == "000000007"                                # the file
    env = {"EDI_HIT_ADJUDICATE_CONTROL_NUMBER": "9"}
    assert adjudicate(env=env) == "000000009"                         # the environment
    assert adjudicate("--control-number", "11", env=env) == "000000011"   # the command line


def test_shared_rates_from_the_file_relative_to_it_and_from_the_environment(workdir):
    conf = workdir / "conf"
    conf.mkdir()
    (conf / "rates.json").write_text(SYNTHETIC.read_text())
    (conf / "edi-hit.toml").write_text('rates = "rates.json"\n')
    r = run("--config", conf / "edi-hit.toml", "price", HIT)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["rate_table"]["name"] == "edi-hit test rates (synthetic)"
    r = run("price", HIT)                                           # no file here: illustrative
    assert json.loads(r.stdout)["rate_table"]["name"].startswith("edi-hit illustrative")
    r = run("price", HIT, env={"EDI_HIT_RATES": str(SYNTHETIC)})
    assert json.loads(r.stdout)["rate_table"]["name"] == "edi-hit test rates (synthetic)"


@pytest.mark.parametrize("text, message", [
    ('rate = "x.json"\n', "edi-hit.toml: does not match the config schema: rate: unexpected key"),
    ('rates = 5\n', "edi-hit.toml: does not match the config schema: rates: 5 is not of type"),
    ('[adjudicate]\ncontrl-number = 7\n',
     "edi-hit.toml: adjudicate.contrl-number: `edi-hit adjudicate` has no option --contrl-number"),
    ('rates = "x\n', "edi-hit.toml: not valid TOML"),
])
def test_a_wrong_configuration_is_one_line_and_exit_2(workdir, text, message):
    (workdir / "edi-hit.toml").write_text(text)
    r = run("adjudicate", HIT)
    assert r.exit_code == 2, r.output
    assert message in r.stderr and r.stderr.count("\n") == 1


def test_a_missing_config_file_is_a_usage_error(workdir):
    r = run("--config", workdir / "nope.toml", "price", HIT)
    assert r.exit_code == 2 and "nope.toml" in r.stderr


def refused(workdir, command, option, text) -> str:
    """stderr of `command HIT option FILE` with FILE holding `text`: exit 2, one line."""
    bad = workdir / "data.json"
    bad.write_text(text)
    r = run(command, HIT, option, bad)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.output
    return r.stderr.replace(str(bad), "FILE")


def test_conventions_with_an_unknown_key_fail_naming_it(workdir):
    assert refused(workdir, "price", "--conventions", '{"pos": 5}') == (
        "Error: FILE: does not match the conventions schema: pos: unexpected key (not in the "
        "schema)\n")
    nested = '{"provenance": {"source": "x", "date": "2026-01-01", "note": "y"}}'
    assert "provenance.note: unexpected key" in refused(workdir, "price", "--conventions", nested)


def test_a_rates_file_with_a_misspelt_key_fails_naming_it(workdir):
    doc = json.loads(SYNTHETIC.read_text())
    doc["localitys"] = {}
    bad = workdir / "rates.json"
    bad.write_text(json.dumps(doc))
    for argv in (["price", HIT], ["adjudicate", HIT], ["reconcile", HIT, HIT]):
        r = run(*argv, "--rates", bad)
        assert r.exit_code == 2, (argv, r.output)
        assert f"{bad}: does not match the rates schema: localitys: unexpected key" in r.stderr


def test_a_payer_file_is_checked_against_its_schema(workdir):
    assert "does not match the payer schema: trace_id: '12345' does not match" in refused(
        workdir, "adjudicate", "--payer", '{"name": "MEDICARE", "trace_id": "12345"}')
    assert "adress_line1: unexpected key" in refused(
        workdir, "adjudicate", "--payer", '{"name": "MEDICARE", "adress_line1": "1 MAIN ST"}')


def test_the_library_raises_config_error_too(tmp_path):
    from edi_hit.pricing import load_conventions, load_rates

    bad = tmp_path / "c.json"
    bad.write_text('{"pos": 5}')
    with pytest.raises(ConfigError, match=r"c.json: does not match the conventions schema: pos"):
        load_conventions(bad)
    doc = json.loads(SYNTHETIC.read_text())
    doc["localitys"] = {}
    bad.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="localitys: unexpected key"):
        load_rates(bad)


def test_config_after_the_command_name_is_the_groups_config(workdir):
    conf = workdir / "conf"
    conf.mkdir()
    (conf / "seven.toml").write_text("[adjudicate]\ncontrol-number = 7\n")
    (workdir / "edi-hit.toml").write_text("[adjudicate]\ncontrol-number = 5\n")
    assert adjudicate() == "000000005"                                    # found in cwd
    assert adjudicate("--config", conf / "seven.toml") == "000000007"     # after the name
    r = run("--config", conf / "seven.toml", "adjudicate", HIT, "--assume-dme-drug",
            "--now", "2026-03-01")
    assert r.exit_code == 0 and isa13(r.stdout) == "000000007"           # before it
    assert adjudicate("--config", conf / "seven.toml", "--control-number", "3") == "000000003"


def test_config_after_a_subcommand_name_reaches_its_table(workdir):
    (workdir / "h.toml").write_text(f'history = "{workdir / "from-config.db"}"\n')
    csv = workdir / "dme.csv"
    csv.write_text("MBI,Date,HCPCS,Modifier,Status,Allowed\n"
                   "1EG4TE5MK73,2024-03-01,J1559,JB,paid,1480.00\n")
    r = run("history", "import-dme", csv, "--config", workdir / "h.toml")
    assert r.exit_code == 0, r.output
    assert (workdir / "from-config.db").exists()


def test_a_bad_config_after_the_command_is_one_line_and_exit_2(workdir):
    (workdir / "bad.toml").write_text("[adjudicate]\nno-such = 1\n")
    r = run("adjudicate", HIT, "--config", workdir / "bad.toml")
    assert r.exit_code == 2, r.output
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")] == [
        f"Error: {workdir / 'bad.toml'}: adjudicate.no-such: `edi-hit adjudicate` has no "
        f"option --no-such"]
