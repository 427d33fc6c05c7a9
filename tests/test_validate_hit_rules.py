# validate's HIT level (4) runs the pricer's own rules: the home POS set of the
# conventions (C2), whole units (C24), one day a line (C23), the transitional G-codes
# (C25), one payment per category per day and the initial-visit gap over the file's
# own visits in the pricer's order.
from __future__ import annotations

from datetime import date

import pytest

from conftest import FIXTURES
from edi_hit.validation import validate
from edi_hit.validation.report import TransactionResult
from edi_hit.validation.x837 import Checker837
from edi_hit.pricing.codes import default_codes
from edi_hit.x12 import SegmentReader

HIT = FIXTURES / "validate" / "hit_valid.837"
TODAY = date(2026, 6, 1)


def text() -> str:
    return HIT.read_text().replace("~\n", "~")


def findings(data: str, **kw):
    report = validate(data.encode(), name="t.837", levels=(1, 3, 4), today=TODAY, **kw)
    return [(i.severity, i.code, i.segment_index, i.element) for i in report.issues]


def test_the_fixture_is_clean():
    assert findings(text()) == []


@pytest.mark.parametrize("pos", ["13", "14", "33", "04"])
def test_home_pos_set_is_the_conventions(pos):
    assert findings(text().replace("*12:B:1*", f"*{pos}:B:1*")) == []


def test_office_is_not_home_and_names_the_payer_codes():
    data = text().replace("SV1*HC:G0068*300*UN*8***1", "SV1*HC:G0068*300*UN*8*31**1")
    report = validate(data.encode(), name="t.837", levels=(1, 3, 4), today=TODAY)
    (issue,) = report.issues
    assert (issue.code, issue.segment_index, issue.element, issue.bad_value) == (
        "pos-not-home", 23, "SV105", "31")
    assert issue.message == ("claim HIT-7-1 line 1: E2 place of service 31 (SV105) is not in the "
                             "home set {04,12,13,14,32,33,54,55,56} (payer: CO-5 M77)")


@pytest.mark.parametrize("units", ["0.5", "1.25"])
def test_fractional_units(units):
    data = text().replace("SV1*HC:G0068*300*UN*8***1", f"SV1*HC:G0068*300*UN*{units}***1")
    assert findings(data) == [("error", "units-missing", 23, "SV104")]


def test_a_line_over_several_days():
    data = text().replace("DTP*472*D8*20260202", "DTP*472*RD8*20260202-20260206")
    report = validate(data.encode(), name="t.837", levels=(1, 3, 4), today=TODAY)
    (issue,) = report.issues
    assert (issue.code, issue.segment_index, issue.element) == ("hit-line-span", 24, "DTP03")
    assert "E8 dates 2026-02-02..2026-02-06 span 5 days" in issue.message


def test_transitional_g_code_is_the_wrong_contractor():
    data = text().replace("DTP*472*D8*20260202", "DTP*472*D8*20200202")
    assert findings(data) == [("error", "hit-wrong-contractor", 23, "SV101-2")]


def test_initial_visit_too_soon_in_the_file():
    # claim 2's beneficiary gets a second, earlier-dated claim 20 days before its G0088:
    # in the pricer's order (claims by first date) the later G0088 is within 60 days
    data = text()
    second = data[data.index("HL*3*1*22*0"):data.index("SE*")]
    earlier = (second.replace("HL*3*", "HL*4*").replace("HIT-7-2*425.5", "HIT-7-3*300")
               .replace("SV1*HC:G0088*425.5*UN*10", "SV1*HC:G0068*300*UN*4")
               .replace("DTP*472*D8*20260203", "DTP*472*D8*20260114"))
    count = data[data.index("ST*"):data.index("SE*")].count("~") + earlier.count("~") + 1
    data = (data[:data.index("SE*")] + earlier + f"SE*{count}*0001~"
            + data[data.index("GE*"):])
    (issue,) = validate(data.encode(), name="t.837", levels=(1, 3, 4), today=TODAY).issues
    assert (issue.code, issue.claim, issue.segment_index) == ("initial-visit-too-soon", "HIT-7-2",
                                                              38)
    assert "last HIT visit G0068 on 2026-01-14 (20 days before" in issue.message


def check_with(data: str, **kw) -> list[tuple[str, int]]:
    """Checker837 on the segments of one transaction set, with keyword options."""
    found = []

    def add(severity, code, message, index, sid, element=None, **more):
        found.append((code, index))

    reader = SegmentReader(data.encode(), "t.837")
    checker = Checker837(add, tx=TransactionResult("837", "0001", "005010X222A1", 2),
                         levels=(3, 4), today=TODAY, codes=default_codes(), **kw)
    for seg in reader:
        if seg[0] in ("ISA", "GS", "ST", "GE", "IEA"):
            continue
        if seg[0] == "SE":
            checker.finish(reader.index)
            break
        checker.delims = reader.delimiters
        checker.feed(seg, reader.index)
    return found


def test_the_checker_reads_the_pos_set_from_conventions():
    data = text().replace("*12:B:1*", "*13:B:1*")
    assert check_with(data) == []
    strict = {"accepted_place_of_service": ["12"]}     # C2 alternative
    # both lines of claim 1 and the line of claim 2 take the claim's POS (CLM05-1)
    assert check_with(data, conventions=strict) == [("pos-not-home", 20), ("pos-not-home", 20),
                                                    ("pos-not-home", 35)]
    assert check_with(data, home_pos=frozenset({"12"})) == check_with(data, conventions=strict)


def test_validate_takes_the_pricers_conventions(tmp_path):
    # POS 13 (assisted living) is home under the shipped conventions (C2); a conventions
    # file with the C2 alternative {12} makes it an E2 finding, in validate() and in the CLI
    data = text().replace("*12:B:1*", "*13:B:1*")
    strict = tmp_path / "c.json"
    strict.write_text('{"accepted_place_of_service": ["12"]}')
    assert findings(data) == []
    found = findings(data, conventions=str(strict))
    assert found and {f[1] for f in found} == {"pos-not-home"}
    assert findings(data, conventions={"accepted_place_of_service": ["12"]}) == found
    from click.testing import CliRunner
    from edi_hit.cli import main
    claims = tmp_path / "c.837"
    claims.write_text(data)
    base = ["validate", "--levels", "1,3,4", "--today", "2026-06-01", str(claims)]
    assert CliRunner().invoke(main, base).exit_code == 0
    result = CliRunner().invoke(main, base[:1] + ["--conventions", str(strict)] + base[1:])
    assert result.exit_code == 1
    assert "pos-not-home" in result.output and "not in the home set {12}" in result.output
