# The 999 and TA1 written from a ValidationReport: exact segments, and pyx12 as oracle.
from __future__ import annotations

from datetime import date, datetime

import pytest

from conftest import CORPUS, FIXTURES, corpus_files
from edi_hit.errors import X12Error
from edi_hit.validation import validate, write_999, write_ta1
from edi_hit.x12 import SegmentReader, check_envelopes
from pyx12_oracle import pyx12_errors

HIT = FIXTURES / "validate" / "hit_valid.837"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 30)


def report_of(text: str, levels=(1, 2, 3, 4)):
    return validate(text.encode(), name="t.837", levels=levels, today=TODAY)


def segments(data: bytes) -> list[str]:
    return [s for s in data.decode().replace("\n", "").split("~") if s]


def body(data: bytes) -> list[str]:
    """The 999 between ST and SE."""
    segs = segments(data)
    return segs[segs.index(next(s for s in segs if s.startswith("ST*"))) + 1:-3]


def test_999_accepting_a_clean_file():
    data = write_999(validate(HIT, today=TODAY), now=NOW)
    assert segments(data)[0] == ("ISA*00*          *00*          *ZZ*MACJ6          *ZZ*"
                                 "SUNRISE01      *260601*1230*^*00501*000000001*0*T*:")
    assert body(data) == ["AK1*HC*7*005010X222A1", "AK2*837*0001*005010X222A1", "IK5*A",
                          "AK9*A*1*1*1"]
    assert pyx12_errors(data) == []


def test_999_claim_level_error_accepts_with_errors():
    text = HIT.read_text().replace("CLM*HIT-7-1*550*", "CLM*HIT-7-1*560*")
    data = write_999(report_of(text), now=NOW)
    assert body(data) == ["AK1*HC*7*005010X222A1", "AK2*837*0001*005010X222A1",
                          "IK3*CLM*18*2300*8", "CTX*CLM01:HIT-7-1", "IK4*2*782*I12*560",
                          "IK5*E*I5", "AK9*E*1*1*1"]
    assert pyx12_errors(data) == []


def test_999_rejects_a_set_with_a_tr3_error_and_an_npi_error():
    text = HIT.read_text().replace("N3*100 MAIN ST~\n", "").replace(
        "SE*38*0001", "SE*37*0001").replace("XX*1234567893", "XX*1234567890")
    data = write_999(report_of(text), now=NOW)
    b = body(data)
    assert b[:4] == ["AK1*HC*7*005010X222A1", "AK2*837*0001*005010X222A1",
                     "IK3*NM1*7**8", "IK4*9*67*I12*1234567890"]
    assert "IK3*N3*8**3" in b    # pyx12: mandatory N3 missing (noticed at segment 10)
    assert b[-2:] == ["IK5*R*I5", "AK9*R*1*1*0"]
    assert pyx12_errors(data) == []


def test_999_envelope_count_error():
    text = HIT.read_text().replace("SE*38*0001", "SE*36*0001")
    b = body(write_999(report_of(text, (1, 3, 4)), now=NOW))
    assert b[-2:] == ["IK5*R*4", "AK9*R*1*1*0"]


def test_999_for_835_and_multiple_groups():
    path = CORPUS / "837p" / "imsweb__x12-parser__x12_multiple_gs.txt"
    if not path.exists():
        pytest.skip("corpus not present")
    data = write_999(validate(path, today=TODAY), now=NOW)
    assert sum(s.startswith("ST*999") for s in segments(data)) == 3
    assert pyx12_errors(data) == []


@pytest.mark.parametrize("path", corpus_files("invalid") + corpus_files("835")[:4],
                         ids=lambda p: p.name[:50])
def test_999_from_every_file_is_valid_x231a1(path):
    report = validate(path, today=TODAY)
    try:
        data = write_999(report, now=NOW)
    except X12Error as exc:
        # no ISA, or a GS01 a 999 cannot name: the TA1 is the answer then
        assert "nothing to acknowledge" in str(exc)
        return
    assert pyx12_errors(data) == [], data.decode()
    assert check_envelopes(SegmentReader(data)) == []


def test_ta1_accepts_and_rejects():
    ok = write_ta1(validate(HIT, levels=(1,), today=TODAY), now=NOW)
    assert segments(ok)[1:] == ["TA1*000000007*260302*0930*A*000", "IEA*0*000000001"]
    bad = HIT.read_text().replace("IEA*1*000000007", "IEA*1*000000008")
    data = write_ta1(report_of(bad, (1,)), now=NOW, control_number=42)
    assert segments(data)[1:] == ["TA1*000000007*260302*0930*R*001", "IEA*0*000000042"]
    assert check_envelopes(SegmentReader(data)) == []


def test_ta1_for_a_non_fixed_width_isa():
    path = CORPUS / "invalid" / "affect-therapeutics__edi-835-parser__nevada_medicaid.txt"
    if not path.exists():
        pytest.skip("corpus not present")
    data = write_ta1(validate(path, levels=(1,), today=TODAY), now=NOW)
    assert segments(data)[1] == "TA1*100000300*180613*1230*R*022"


def test_no_ack_for_a_file_without_interchange():
    report = validate(b"%PDF-1.4", today=TODAY)
    with pytest.raises(X12Error, match="no ISA interchange header"):
        write_ta1(report)
    with pytest.raises(X12Error, match="nothing to acknowledge"):
        write_999(report)


def test_values_with_the_response_delimiters_are_not_copied():
    # A CLM01 the 999 cannot copy exactly is an unknown business unit (X12 RFI 2293):
    # no CTX, rather than a mangled identifier; the IK3/IK4 are still written.
    text = HIT.read_text().replace("*", "|").replace("ISA|", "ISA|", 1)
    text = text.replace("CLM|HIT-7-1|550|", "CLM|HIT*7^1|560|")
    data = write_999(report_of(text, (1, 3, 4)), now=NOW)
    assert body(data)[2:] == ["IK3*CLM*18*2300*8", "IK4*2*782*I12*560", "IK5*E*I5",
                              "AK9*E*1*1*1"]
    assert pyx12_errors(data) == []
