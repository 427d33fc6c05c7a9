# Logging and warnings (issue 13): the library logs (logger `edi_hit`) and warns
# (IllustrativeRatesWarning), never prints and never changes process-wide state such
# as the garbage collector's settings; the command line shows warnings as one stderr
# line each and has -v / -q.
from __future__ import annotations

import gc
import io
import json
import logging
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import edi_hit
from edi_hit.cli import main
from edi_hit.errors import EdiHitWarning, IllustrativeRatesWarning
from edi_hit.pipeline import adjudicate

ROOT = Path(__file__).resolve().parent.parent
HIT = ROOT / "fixtures" / "837p" / "hit_claims.837"
SYNTHETIC = ROOT / "fixtures" / "rates" / "synthetic.json"


def real_rates(tmp_path) -> Path:
    """The synthetic table, not marked illustrative (as an imported CMS table is not)."""
    doc = json.loads(SYNTHETIC.read_text())
    doc["illustrative"] = False
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(doc))
    return path


def test_pricing_with_the_illustrative_table_warns(tmp_path):
    assert issubclass(IllustrativeRatesWarning, EdiHitWarning)
    assert issubclass(EdiHitWarning, UserWarning)
    with pytest.warns(IllustrativeRatesWarning, match="ILLUSTRATIVE rate table"):
        priced = list(edi_hit.price(edi_hit.read_837p(HIT)))
    assert len(priced) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllustrativeRatesWarning)   # a real table: no warning
        list(edi_hit.price(edi_hit.read_837p(HIT), rates=str(real_rates(tmp_path))))


def test_the_library_prints_nothing_and_logs_through_edi_hit(tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="edi_hit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllustrativeRatesWarning)
        summary = adjudicate([str(HIT)], output=str(tmp_path / "out.835"),
                             assume_dme_drug=True, now=None)
    assert summary.claims_in == 3
    out, err = capsys.readouterr()
    assert (out, err) == ("", "")
    assert [r.name for r in caplog.records] == ["edi_hit.pipeline.job"]
    assert caplog.records[0].getMessage() == "adjudicating 1 input file(s) (history in memory)"


def test_the_library_leaves_the_garbage_collector_alone(tmp_path, monkeypatch):
    def refuse(*_args):
        raise AssertionError("the library changed the garbage collector's settings")

    for name in ("freeze", "unfreeze", "set_threshold", "disable", "collect"):
        monkeypatch.setattr(gc, name, refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllustrativeRatesWarning)
        summary = adjudicate([str(HIT)], output=io.BytesIO(), assume_dme_drug=True)
    assert summary.claims_in == 3


def test_the_cli_shows_the_warning_once_as_one_line_and_q_hides_notes(tmp_path):
    r = CliRunner().invoke(main, ["price", str(HIT), "-o", str(tmp_path / "p.json")])
    assert r.exit_code == 0
    lines = r.stderr.splitlines()
    assert [ln for ln in lines if "ILLUSTRATIVE" in ln] == [
        "edi-hit: warning: pricing with an ILLUSTRATIVE rate table (edi-hit illustrative HIT "
        "rates 2021-2026); amounts are not CMS rates: pass a real table (--rates)"]
    assert any(ln.startswith("edi-hit: note: supplier enrolment (E3)") for ln in lines)
    r = CliRunner().invoke(main, ["-q", "price", str(HIT), "-o", str(tmp_path / "q.json")])
    assert r.exit_code == 0 and r.stderr == ""
    # -q hides notes and warnings, never errors
    r = CliRunner().invoke(main, ["-q", "price", str(tmp_path / "missing.837")])
    assert r.exit_code == 2 and "missing.837" in r.stderr


def test_v_shows_the_library_log(tmp_path):
    argv = ["adjudicate", str(HIT), "--assume-dme-drug", "-o", str(tmp_path / "o.835")]
    r = CliRunner().invoke(main, argv)
    assert "adjudicating 1 input file(s)" not in r.stderr
    r = CliRunner().invoke(main, ["-v", *argv])
    assert "edi-hit: adjudicating 1 input file(s) (history in memory)" in r.stderr
