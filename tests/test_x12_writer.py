from datetime import datetime
from decimal import Decimal

import pytest

from edi_hit.errors import X12Error
from edi_hit.x12 import Delimiters, SegmentReader, SegmentWriter, check_envelopes, format_amount

NOW = datetime(2026, 11, 1, 9, 5)


def envelope(delims=Delimiters(), line_break=False, body=(("BHT", "0019", "00", "7", "20261101", "0905", "CH"),)):
    w = SegmentWriter(None, delims, line_break=line_break)
    w.begin_interchange("ZZ", "SENDER", "ZZ", "RECEIVER", 42, now=NOW, usage="T")
    w.begin_group("HC", "SENDER", "RECEIVER", 42, "005010X222A1")
    w.begin_transaction("837", 1, "005010X222A1")
    for seg in body:
        w.write(seg)
    w.end_interchange()
    return w.getvalue()


def test_a_complete_interchange_with_counts_and_control_numbers():
    data = envelope().decode()
    assert data == (
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261101*0905*^*00501"
        "*000000042*0*T*:~GS*HC*SENDER*RECEIVER*20261101*0905*42*X*005010X222A1~"
        "ST*837*0001*005010X222A1~BHT*0019*00*7*20261101*0905*CH~SE*3*0001~GE*1*42~"
        "IEA*1*000000042~")
    assert len(data.split("~")[0]) == 105
    assert check_envelopes(SegmentReader(data.encode())) == []


def test_other_delimiters_and_line_breaks_read_back():
    d = Delimiters("|", "`", ">", "!")
    data = envelope(d, line_break=True,
                    body=[("SV1", ("HC", "G0068", "", "", "", "", "Visit"), "150", "UN", "4")])
    r = SegmentReader(data)
    segs = list(r)
    assert r.delimiters == d
    assert segs[3] == ["SV1", "HC>G0068>>>>>Visit", "150", "UN", "4"]
    assert data.count(b"!\n") == 7


def test_trailing_empty_elements_and_components_are_dropped():
    w = SegmentWriter(None)
    w.write(["NM1", "85", "2", "ACME", "", None, "", "", "XX", "1234567893", "", ""])
    w.write(["SV1", ("HC", "G0068", "", ""), "150"])
    assert w.getvalue() == b"NM1*85*2*ACME*****XX*1234567893~SV1*HC:G0068*150~"


@pytest.mark.parametrize("value", ["A*B", "A~B", "A:B", "A^B"])
def test_a_value_containing_a_delimiter_is_refused(value):
    w = SegmentWriter(None)
    with pytest.raises(X12Error) as err:
        w.write(["NM1", "85", "2", value])
    assert "segment 1 (NM1), element NM103" in str(err.value)
    assert f"value contains {value[1]!r} (character 2), a delimiter" in str(err.value)
    assert repr(value) not in str(err.value)  # the value itself may be PHI


def test_component_containing_a_delimiter_is_refused():
    with pytest.raises(X12Error, match="element SV101"):
        SegmentWriter(None).write(["SV1", ("HC", "G00:68"), "1"])


@pytest.mark.parametrize("amount, text", [
    (Decimal("117.60"), "117.6"), (Decimal("150.00"), "150"), (Decimal("0.00"), "0"),
    (Decimal("-2.40"), "-2.4"), (Decimal("1E+2"), "100"), (Decimal("0.05"), "0.05"),
])
def test_amounts_are_written_as_x12_reals(amount, text):
    assert format_amount(amount) == text


def test_two_transactions_in_one_group_count_correctly():
    w = SegmentWriter(None)
    w.begin_interchange("ZZ", "S", "ZZ", "R", 1, now=NOW)
    w.begin_group("HC", "S", "R", 9, "005010X222A1")
    for n in (1, 2):
        w.begin_transaction("837", n, "005010X222A1")
        w.write(["BHT", "0019", "00", str(n), "20261101", "0905", "CH"])
        w.end_transaction()
    w.end_interchange()
    text = w.getvalue().decode()
    assert "SE*3*0002~GE*2*9~IEA*1*000000001~" in text
    assert check_envelopes(SegmentReader(text.encode())) == []
