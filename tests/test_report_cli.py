# `edi-hit report`: files and stdin in, one HTML page out; --claims adds expected
# against paid from the 837P, priced with the same options as reconcile.
from __future__ import annotations

from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main
from test_report_html import Page

pytest.importorskip("matplotlib")

DEMO = FIXTURES / "demo"
EVIDENCE = ["--dme-drugs", str(DEMO / "dme-mac.835"), "--suppliers", str(DEMO / "hit-suppliers.csv")]
WORKED = FIXTURES / "scenarios" / "worked_example.835"


def run(args, **kw):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kw)


def test_report_to_a_file_and_a_line_on_stderr(tmp_path):
    out = tmp_path / "report.html"
    result = run(["report", str(WORKED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = Page(out.read_text(encoding="utf-8"))
    assert page.totals["bpr02"] == "117.60" and len(page.claims) == 2
    assert f"wrote {out}: 2 payment(s), 2 claim(s), BPR02 total 117.60" in result.output


def test_report_from_stdin_to_stdout():
    result = CliRunner().invoke(main, ["report", "-", "--no-phi"], input=WORKED.read_bytes())
    assert result.exit_code == 0
    page = Page(result.stdout)
    assert page.totals["clp04"] == "117.60" and "<stdin>" in page.text


@pytest.fixture(scope="module")
def demo_835(tmp_path_factory):
    """The demo's two 837Ps adjudicated with the shipped defaults (illustrative rates), the
    DME MAC's 835 as drug evidence and the supplier enrolment list."""
    out = tmp_path_factory.mktemp("demo") / "demo.835"
    result = run(["adjudicate", str(DEMO / "dme-supplier.837"), str(DEMO / "hit-supplier.837"),
                  *EVIDENCE, "-o", str(out), "--now", "2026-06-01"])
    assert result.exit_code == 0, result.output
    return out


def test_claims_priced_the_same_way_match_to_the_cent(demo_835, tmp_path):
    out = tmp_path / "r.html"
    result = run(["report", str(demo_835), "--claims", str(DEMO / "dme-supplier.837"),
                  "--claims", str(DEMO / "hit-supplier.837"), *EVIDENCE, "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = Page(out.read_text(encoding="utf-8"))
    assert page.totals["expected"] == page.totals["remitted"] == page.totals["bpr02"]
    assert page.totals["difference"].startswith("0.00")
    assert "Lines not paid as expected" not in page.text


def test_an_underpaid_line_shows_up(demo_835, tmp_path):
    # Take 10.00 off the first paid G-code line (SVC03) and off its claim (CLP04) and the
    # payment (BPR02): the 837 still expects the original, so that line is underpaid by
    # paid - 10.00 - paid = -10.00.
    text = demo_835.read_text()
    segs = text.split("~")
    i = next(k for k, s in enumerate(segs) if s.strip().startswith("SVC*HC:G")
             and D(s.split("*")[3]) > 0)
    svc = segs[i].split("*")
    paid = D(svc[3])
    svc[3] = str(paid - 10)
    segs[i] = "*".join(svc)
    c = max(k for k in range(i) if segs[k].strip().startswith("CLP*"))
    clp = segs[c].split("*")
    clp[4] = str(D(clp[4]) - 10)
    segs[c] = "*".join(clp)
    b = max(k for k in range(c) if segs[k].strip().startswith("BPR*"))
    bpr = segs[b].split("*")
    bpr[2] = str(D(bpr[2]) - 10)
    segs[b] = "*".join(bpr)
    short = tmp_path / "short.835"
    short.write_text("~".join(segs))
    out = tmp_path / "r.html"
    result = run(["report", str(short), "--claims", str(DEMO / "dme-supplier.837"),
                  "--claims", str(DEMO / "hit-supplier.837"), *EVIDENCE, "-o", str(out)])
    assert result.exit_code == 1, result.output     # the edited 835 does not balance
    assert "does not balance: claim HIT-26-001" in result.output
    page = Page(out.read_text(encoding="utf-8"))
    assert page.totals["difference"].startswith("-10.00")
    assert D(page.totals["expected"]) - D(page.totals["remitted"]) == D("10.00")
    assert "Lines not paid as expected" in page.text and "underpaid" in page.cells
    assert "-10.00" in page.cells


def test_a_file_that_is_not_an_835_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["report", str(DEMO / "hit-supplier.837"),
                                       "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "not an 835 transaction set" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.html").exists()
