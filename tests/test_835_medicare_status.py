# The 835 as Medicare writes it (hit-rules 11): CLP02 by the TR3 note, no AMT*B6 on
# denied lines, unprocessable lines on a claim of their own, ISA15 mirroring the input.
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main
from edi_hit.claims import Envelope
from edi_hit.x835 import PayerInfo, build_835, read_835
from edi_hit.x835.build import split_icn
from helpers_835 import (denied_line, independent_balance_check, make_claim, make_line, paid_line,
                         priced, pyx12_errors)

NOW = datetime(2026, 3, 2, 9, 0)


def build(claims, **kw):
    data = build_835(claims, now=NOW, control_number=9, **kw)
    assert pyx12_errors(data) == [] and independent_balance_check(data) == []
    return data


def clps(data: bytes) -> list[str]:
    return [s for s in data.decode().replace("\n", "").split("~") if s.startswith("CLP*")]


@pytest.mark.parametrize("sbr01,clp02", [("P", "1"), ("S", "2"), ("T", "3"), (None, "1")])
def test_clp02_follows_sbr01_also_when_every_line_is_denied(sbr01, clp02):
    c = make_claim("DENIED", [make_line(1)])
    c.subscriber.payer_responsibility = sbr01
    data = build([priced(c, [denied_line(c.lines[0], "CO", "B15", ())], status="denied")])
    # charge 300, nothing paid, no patient responsibility: CLP05 empty
    assert clps(data) == [f"CLP*DENIED*{clp02}*300*0**MB*ICNDENIED*12*1"]


def test_clp02_4_only_when_the_patient_is_not_recognized():
    c = make_claim("NOBODY", [make_line(1)])
    c.subscriber.member_id = None
    data = build([priced(c, [denied_line(c.lines[0], "CO", "16", ("MA130",))], status="denied")])
    assert clps(data) == ["CLP*NOBODY*4*300*0**MB*ICNNOBODY*12*1"]
    assert "NM1*QC*1*DOE*JANE~" in data.decode()  # no NM108/NM109 without an id


def test_reversal_is_22():
    c = make_claim("VOID", [make_line(1)], frequency="8")
    data = build([priced(c, [paid_line(c.lines[0]).negated()], status="reversal")])
    assert clps(data) == ["CLP*VOID*22*-300*-117.6*-30*MB*ICNVOID*12*8"]


def test_denied_lines_carry_no_allowed_amount():
    c = make_claim("MIX", [make_line(1), make_line(2, code="G0069", control="LINE2")])
    data = build([priced(c, [paid_line(c.lines[0]), denied_line(c.lines[1])])]).decode()
    assert data.count("AMT*B6*") == 1 and "AMT*B6*150~" in data
    (remit,) = read_835(data.encode())
    assert [ln.allowed for ln in remit.claims[0].lines] == [D("150"), None]


def test_unprocessable_lines_come_back_on_a_claim_of_their_own():
    lines = [make_line(1), make_line(2, code="G0070", control="LINE2"),
             make_line(3, code="G0069", control="LINE3")]
    c = make_claim("SPLIT", lines)
    pc = priced(c, [paid_line(lines[0]), denied_line(lines[1], "CO", "16", ("MA130",)),
                    denied_line(lines[2], "CO", "5", ("M77",))])
    data = build([pc])
    split = split_icn("ICNSPLIT")
    assert len(split) == 13 and split.isdigit()
    # processed part: lines 1 and 3, 600.00 billed, 117.60 paid, 30.00 patient
    # responsibility; returned part: line 2 (MA130), 300.00 billed, nothing paid;
    # CLP01 is the claim's own in both
    assert clps(data) == ["CLP*SPLIT*1*600*117.6*30*MB*ICNSPLIT*12*1",
                          f"CLP*SPLIT*1*300*0**MB*{split}*12*1"]
    (remit,) = read_835(data)
    assert [[ln.control_number for ln in rc.lines] for rc in remit.claims] == [
        ["LINE1", "LINE3"], ["LINE2"]]
    assert remit.payment_amount == D("117.60")


def test_a_claim_all_unprocessable_is_not_split():
    c = make_claim("ALLBAD", [make_line(1), make_line(2, control="LINE2")])
    pc = priced(c, [denied_line(ln, "CO", "16", ("MA130",)) for ln in c.lines], status="denied")
    assert clps(build([pc])) == ["CLP*ALLBAD*1*600*0**MB*ICNALLBAD*12*1"]


def test_split_claim_and_its_reversal_share_the_split_icn():
    lines = [make_line(1), make_line(2, control="LINE2")]
    c = make_claim("R", lines, frequency="8")
    original = [paid_line(lines[0]), denied_line(lines[1], "CO", "16", ("MA130",))]
    pc = priced(c, [pl.negated() for pl in original], status="reversal")
    assert clps(build([pc])) == ["CLP*R*22*-300*-117.6*-30*MB*ICNR*12*8",
                                 f"CLP*R*22*-300*0**MB*{split_icn('ICNR')}*12*8"]


@pytest.mark.parametrize("usages,isa15", [(["T"], "T"), (["P"], "P"), ([None], "P"),
                                          (["P", "T"], "T")])
def test_isa15_mirrors_the_input(usages, isa15):
    claims = []
    for i, usage in enumerate(usages):
        c = make_claim(f"U{i}", [make_line(1)])
        c.envelope = Envelope(sender_id="SUBMITTER1", usage_indicator=usage)
        claims.append(priced(c, [paid_line(c.lines[0])]))
    isa = build(claims).split(b"~")[0].decode()
    assert isa.split("*")[15] == isa15


def test_payer_info_can_still_set_isa15():
    c = make_claim("U", [make_line(1)])
    c.envelope = Envelope(sender_id="SUBMITTER1", usage_indicator="T")
    data = build([priced(c, [paid_line(c.lines[0])])], payer=PayerInfo(usage_indicator="P"))
    assert data.split(b"~")[0].split(b"*")[15] == b"P"


def test_generate_honours_the_claims_usage_indicator(tmp_path):
    src = FIXTURES / "837p" / "hit_claims.837"   # ISA15 T
    js = tmp_path / "c.json"
    run = CliRunner().invoke
    assert run(main, ["parse", str(src), "-o", str(js)]).exit_code == 0
    assert json.loads(js.read_text())[0]["envelope"]["usage_indicator"] == "T"
    out = tmp_path / "c.837"
    assert run(main, ["generate", str(js), "-o", str(out), "--now", "2026-03-02"]).exit_code == 0
    assert out.read_bytes().split(b"*")[15] == b"T"
    assert run(main, ["generate", str(js), "-o", str(out), "--now", "2026-03-02",
                      "--usage", "P"]).exit_code == 0
    assert out.read_bytes().split(b"*")[15] == b"P"
