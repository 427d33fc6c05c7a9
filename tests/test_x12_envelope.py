from edi_hit.x12 import SegmentReader, check_envelopes

ISA = ("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
       "*261101*1200*^*00501*000000007*0*T*:~")
GOOD = ISA + ("GS*HC*S*R*20261101*1200*7*X*005010X222A1~ST*837*0001*005010X222A1~"
              "BHT*0019*00*1*20261101*1200*CH~SE*3*0001~GE*1*7~IEA*1*000000007~")


def findings(text):
    return [(f.code, f.segment_index, f.segment_id, f.element) for f in
            check_envelopes(SegmentReader(text.encode(), name="t.837"))]


def test_good_envelope_has_no_findings():
    assert findings(GOOD) == []


def test_wrong_counts_and_control_numbers_are_findings_with_positions():
    bad = GOOD.replace("SE*3*0001", "SE*4*0002").replace("GE*1*7", "GE*2*8").replace(
        "IEA*1*000000007", "IEA*3*000000008")
    assert findings(bad) == [
        ("se01-count", 5, "SE", "SE01"), ("se02-control", 5, "SE", "SE02"),
        ("ge01-count", 6, "GE", "GE01"), ("ge02-control", 6, "GE", "GE02"),
        ("iea01-count", 7, "IEA", "IEA01"), ("iea02-control", 7, "IEA", "IEA02"),
    ]


def test_truncated_file_reports_every_open_envelope():
    cut = GOOD[:GOOD.index("SE*")]
    assert [c for c, *_ in findings(cut)] == ["missing-se", "missing-ge", "missing-iea"]


def test_duplicate_interchange_control_numbers_are_flagged():
    assert findings(GOOD + GOOD) == [("duplicate-isa13", 8, "ISA", "ISA13")]


def test_segments_outside_a_transaction_set():
    text = GOOD.replace("GS*HC", "NM1*85*2*X~GS*HC")
    assert ("outside-transaction", 2, "NM1", None) in findings(text)


def test_finding_message_names_file_and_position():
    f = check_envelopes(SegmentReader(GOOD.replace("SE*3", "SE*9").encode(), name="t.837"))[0]
    assert str(f) == ("t.837: segment 5 (SE), element SE01: error: SE01 says 9 segments but the "
                      "transaction set has 3 (ST to SE)")
    assert f.to_dict()["transaction_control"] == "0001"
