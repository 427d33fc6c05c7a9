import io

import pytest

from conftest import CORPUS, corpus_files
from edi_hit.errors import EdiHitError, X12Error
from edi_hit.x12 import Delimiters, SegmentReader, check_envelopes

ISA = ("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
       "*261101*1200*^*00501*000000007*0*T*:~")
BODY = ("GS*HC*S*R*20261101*1200*7*X*005010X222A1~ST*837*0001*005010X222A1~"
        "BHT*0019*00*1*20261101*1200*CH~SE*3*0001~GE*1*7~IEA*1*000000007~")


def seg_ids(data, **kw):
    return [s[0] for s in SegmentReader(data, **kw)]


def test_segments_and_elements_of_a_plain_file():
    r = SegmentReader((ISA + BODY).encode())
    segs = list(r)
    assert [s[0] for s in segs] == ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]
    assert segs[3] == ["BHT", "0019", "00", "1", "20261101", "1200", "CH"]
    assert segs[0][16] == ":"
    assert r.delimiters == Delimiters("*", "^", ":", "~")
    assert r.index == 7


def test_delimiters_come_from_the_isa():
    text = (ISA + BODY).replace("*", "|").replace("~", "!\r\n").replace("|:!", "|>!")
    text = text.replace("|^|", "|`|")
    r = SegmentReader(text.encode())
    segs = list(r)
    assert r.delimiters == Delimiters("|", "`", ">", "!")
    assert segs[3] == ["BHT", "0019", "00", "1", "20261101", "1200", "CH"]


def test_bom_leading_space_indentation_and_crlf():
    text = "\ufeff  \r\n" + (ISA + BODY).replace("~", "~\r\n    ")
    assert seg_ids(text.encode("utf-8")) == ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]


def test_newline_as_segment_terminator():
    text = ISA[:-1] + "\n" + BODY.replace("~", "\n")
    r = SegmentReader(text.encode())
    assert [s[0] for s in r] == ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]
    assert r.delimiters.segment == "\n"


def test_small_chunks_give_the_same_segments():
    data = (ISA + BODY * 1).encode() * 50
    whole = list(SegmentReader(data))
    chunked = list(SegmentReader(data, chunk_size=17))
    assert chunked == whole
    assert len(whole) == 350


def test_second_interchange_with_other_delimiters():
    second = (ISA + BODY).replace("*", "|").replace("~", "!").replace("|^|", "|`|")
    r = SegmentReader((ISA + BODY + "\n" + second).encode(), chunk_size=64)
    segs = list(r)
    assert len(segs) == 14
    assert segs[10] == ["BHT", "0019", "00", "1", "20261101", "1200", "CH"]
    assert r.delimiters.element == "|"


def test_isa_that_is_not_fixed_width_is_read_with_a_finding():
    short = ISA.replace("*SENDER         *", "*SENDER*")
    r = SegmentReader((short + BODY).encode())
    assert len(list(r)) == 7
    assert [f.code for f in r.findings] == ["isa-width"]
    assert "ISA is 96 characters long" in r.findings[0].message


def test_text_before_isa_is_skipped_with_a_warning():
    r = SegmentReader(("Some prose about the file.\r\n\r\n" + ISA + BODY).encode())
    assert len(list(r)) == 7
    assert r.findings[0].code == "text-before-isa"


@pytest.mark.parametrize("data, sentence", [
    (b"", "the file is empty"),
    (b"%PDF-1.7 ...", "PDF document"),
    (b"PK\x03\x04rest", "zip archive"),
    (b'{"claims": []}', "looks like JSON"),
    (b"GS*HC*A*B~ST*837*1~", "no ISA interchange header"),
    (b"hello world", "no ISA segment found"),
])
def test_input_that_is_not_x12_gets_one_sentence(data, sentence):
    with pytest.raises(X12Error) as err:
        list(SegmentReader(data, name="in.dat"))
    assert sentence in str(err.value)
    assert str(err.value).startswith("in.dat: ")


def test_empty_segments_are_skipped_with_a_finding():
    r = SegmentReader((ISA + BODY.replace("BHT", "~BHT")).encode())
    assert [s[0] for s in r] == ["ISA", "GS", "ST", "BHT", "SE", "GE", "IEA"]
    assert [f.code for f in r.findings] == ["empty-segment"]


def test_position_gives_byte_offsets_on_demand():
    data = ("\ufeff" + ISA + BODY.replace("~", "~\n")).encode("utf-8")
    r = SegmentReader(data)
    list(r)
    pos = r.position(4)
    assert data[pos.byte_offset:pos.byte_offset + 3] == b"BHT"
    assert pos.segment_index == 4


def test_non_utf8_bytes_fall_back_to_latin1_with_a_finding():
    data = (ISA + BODY).encode().replace(b"BHT*0019*00*1", b"BHT*0019*00*\xe9")
    segs = list(r := SegmentReader(data))
    assert segs[3][3] == "\u00e9"
    assert r.findings[0].code == "encoding"


def test_reads_a_binary_file_object():
    segs = list(SegmentReader(io.BytesIO((ISA + BODY).encode())))
    assert len(segs) == 7


@pytest.mark.parametrize("path", corpus_files("837p") + corpus_files("835"), ids=lambda p: p.name)
def test_every_corpus_file_reads_with_the_documented_counts(path):
    text = path.read_bytes()
    r = SegmentReader(path)
    segs = list(r)
    ids = [s[0] for s in segs]
    assert all(2 <= len(i) <= 3 and i.isalnum() for i in ids)
    assert ids[0] == "ISA" and ids[-1] == "IEA"
    assert ids.count("CLM") == text.count(b"CLM" + r.delimiters.element.encode())
    assert ids.count("ISA") == ids.count("IEA")


def test_corpus_segment_counts_match_sources_md(corpus):
    counts = {
        "837p/imsweb__x12-parser__x12_many_claims.txt": (11490, "CLM", 820),
        "835/tastypackets__x12-parser__profee-multiple.edi": (10764, "CLP", 468),
        "837p/Inteligenz__X12Parser__ST1309-XX.txt": (56, "CLM", 1),
        "835/tastypackets__x12-parser__multi-line-not-delimited.edi": (69, "CLP", 3),
        "837p/imsweb__x12-parser__x12_valid_different_separators.txt": (38, "CLM", 2),
    }
    for rel, (n, sid, k) in counts.items():
        ids = [s[0] for s in SegmentReader(corpus / rel)]
        assert (len(ids), ids.count(sid)) == (n, k), rel


def test_envelope_findings_on_badx12(corpus):
    f = corpus / "invalid" / "albmarin__badX12__error_validation.edi"
    codes = [x.code for x in check_envelopes(SegmentReader(f))]
    assert codes == ["se01-count", "se02-control", "ge01-count", "ge02-control",
                     "iea01-count", "iea02-control"]


@pytest.mark.parametrize("path", corpus_files("invalid"), ids=lambda p: p.name)
def test_invalid_files_end_in_findings_or_a_clear_error(path):
    try:
        findings = check_envelopes(SegmentReader(path))
    except EdiHitError as exc:
        assert path.name in str(exc)
    else:
        assert all(f.message for f in findings)
