# validate(): levels 1-4 on small files, the corpus, and input that is not X12.
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import CORPUS, FIXTURES, corpus_files
from edi_hit.validation import validate
from edi_hit.validation.hit import luhn_ok, mbi_problem, npi_problem

HIT = FIXTURES / "validate" / "hit_valid.837"
REMIT = CORPUS / "835" / "kputnam__stupidedi__secondary-payment-with-higher-fee-schedule.edi"
TODAY = date(2026, 6, 1)
FAST = (1, 3, 4)


def hit_text() -> str:
    return HIT.read_text()


def run(text: str, levels=FAST, **kw):
    return validate(text.encode("latin-1"), name="t.837", levels=levels,
                    today=kw.pop("today", TODAY), **kw)


def codes(report, severity="error"):
    return [(i.code, i.segment_index, i.element) for i in report.issues if i.severity == severity]


# -- identifiers ---------------------------------------------------------------------------
@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1679576722"])
def test_npi_valid(npi):
    assert npi_problem(npi) is None


@pytest.mark.parametrize("npi,words", [
    ("1234567890", "fails its check digit"), ("123456789", "not 10 digits"),
    ("12345678AB", "not 10 digits"), ("１２３４５６７８９３", "not 10 digits")])
def test_npi_invalid(npi, words):
    assert words in npi_problem(npi)


def test_luhn_with_prefix_matches_cms_example():
    # CMS worked example: NPI base 123456789 -> check digit 3.
    assert luhn_ok("80840" + "1234567893")
    assert not any(luhn_ok("80840123456789" + str(d)) for d in range(10) if d != 3)


def test_mbi_valid():
    assert mbi_problem("1EG4TE5MK73") is None
    assert mbi_problem("9AA0AA0AA00") is None


@pytest.mark.parametrize("mbi,words", [
    ("1EG4TE5MK7", "10 characters"), ("0EG4TE5MK73", "position 1 is '0', expected a digit 1-9"),
    ("1SG4TE5MK73", "position 2 is 'S'"), ("1ELATE5MK73", "position 3 is 'L'"),
    ("1EGATE5MK73", "position 4 is 'A', expected a digit"), ("1EG4TE5MK7B", "position 11"),
    ("1EG4T05MK73", "position 6 is '0'") if False else ("1EG41E5MK73", "position 5 is '1'"),
    ("1eg4te5mk73", "position 2 is 'e'")])
def test_mbi_invalid(mbi, words):
    assert words in mbi_problem(mbi)


# -- a clean HIT file --------------------------------------------------------------------
def test_clean_hit_file_passes_all_four_levels():
    report = validate(HIT, today=TODAY)
    assert report.issues == []
    assert report.notes == []
    c = report.counts()
    assert (c["transactions_accepted"], c["claims_accepted"], c["claims_rejected"]) == (1, 2, 0)
    assert [cl.claim_id for cl in report.claims] == ["HIT-7-1", "HIT-7-2"]


def test_bom_is_stripped_before_pyx12():
    report = validate(b"\xef\xbb\xbf" + HIT.read_bytes(), today=TODAY, engine="pyx12")
    assert report.ok and not [i for i in report.issues if i.code == "tr3-skipped"]


def test_text_before_isa_and_line_breaks_reach_pyx12_aligned():
    data = b"Batch of 2026-03-02\r\n\r\n" + HIT.read_bytes().replace(b"~", b"~\r\n")
    report = validate(data, today=TODAY, engine="pyx12")
    assert [i.code for i in report.issues] == ["text-before-isa"]
    assert any("before pyx12" in n for n in report.notes)


# -- level 3 ----------------------------------------------------------------------------------
def test_claim_total_rejects_only_that_claim():
    report = run(hit_text().replace("CLM*HIT-7-1*550*", "CLM*HIT-7-1*560*"))
    assert codes(report) == [("claim-total", 20, "CLM02")]
    issue = report.errors[0]
    assert issue.claim == "HIT-7-1" and issue.transaction_control == "0001"
    assert "CLM02 560 is not the sum of its 2 SV102 line charges (550)" in issue.message
    claims = {c.claim_id: c.accepted for c in report.claims}
    assert claims == {"HIT-7-1": False, "HIT-7-2": True}
    assert report.transactions[0].accepted


def test_hl_parent_must_exist():
    report = run(hit_text().replace("HL*3*1*22*0", "HL*3*5*22*0"))
    assert ("hl-parent", 28, "HL02") in codes(report)
    assert not report.transactions[0].accepted


def test_hl_parent_level_and_ids():
    report = run(hit_text().replace("HL*3*1*22*0", "HL*4*2*22*0"))
    found = codes(report)
    assert ("hl-id", 28, "HL01") in found and ("hl-parent", 28, "HL02") in found


@pytest.mark.parametrize("old,new,code,element", [
    ("DTP*472*D8*20260202", "DTP*472*D8*20260230", "date-invalid", "DTP03"),
    ("DTP*472*D8*20260202", "DTP*472*RD8*20260205-20260202", "date-order", "DTP03"),
    ("DMG*D8*19480412", "DMG*D8*19481312", "date-invalid", "DMG02"),
    ("DMG*D8*19480412", "DMG*D8*20260205", "date-before-birth", "DTP03"),
])
def test_dates(old, new, code, element):
    report = run(hit_text().replace(old, new, 1))
    assert any(c == code and e == element for c, _, e in codes(report)), codes(report)


def test_future_service_date():
    report = run(hit_text(), today=date(2026, 2, 2))
    assert codes(report) == [("date-future", 27, "DTP03"), ("date-future", 39, "DTP03")]
    assert "2026-02-03 is in the future (today is 2026-02-02)" in report.errors[0].message


def test_bad_amount_is_a_finding_not_a_crash():
    report = run(hit_text().replace("SV1*HC:G0068*300*", "SV1*HC:G0068*3OO*"))
    assert ("amount-invalid", 23, "SV102") in codes(report)


# -- level 4 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("old,new,code,index,element", [
    ("XX*1234567893", "XX*1234567890", "npi-check-digit", 9, "NM109"),
    ("MI*1EG4TE5MK73", "MI*1EG4TE5MK7S", "mbi-format", 15, "NM109"),
    ("12:B:1*Y*A*Y*Y~HI*ABK:A419", "11:B:1*Y*A*Y*Y~HI*ABK:A419", "pos-not-home", 20, "CLM05-1"),
    ("SV1*HC:G0068*300*UN*8***1", "SV1*HC:G0068*300*UN****1", "units-missing", 23, "SV104"),
    ("SV1*HC:G0068*300*UN*8***1", "SV1*HC:G0068*300*UN*0***1", "units-missing", 23, "SV104"),
    ("SV1*HC:G0068*300*UN*8***1", "SV1*HC:G0068*300*UN*8*11**1", "pos-not-home", 23, "SV105"),
    ("SV1*HC:G0069*250*UN*6***1~DTP*472*D8*20260203", "SV1*HC:G0068*250*UN*6***1~DTP*472*D8*20260202",
     "same-category-day", 26, "SV101-2"),
    ("SV1*HC:G0069*250*UN*6***1~DTP*472*D8*20260203", "SV1*HC:G0068*300*UN*6***1~DTP*472*D8*20260202",
     "duplicate-code-day", 26, "SV101-2"),
    ("SV1*HC:G0069*250", "SV1*HC:G0091*250", "hit-code", 26, "SV101-2"),
    ("DTP*472*D8*20260203~SE", "DTP*472*D8*20200203~SE", "hit-code", 38, "SV101-2"),
    ("DTP*472*D8*20260203~SE", "DTP*472*RD8*20260203-20260204~SE", "hit-line-span", 39, "DTP03"),
])
def test_hit_edits(old, new, code, index, element):
    text = hit_text().replace("~\n", "~")
    assert old in text
    report = run(text.replace(old, new, 1))
    assert (code, index, element) in codes(report), codes(report)


def test_g0088_before_2021_names_the_date():
    text = hit_text().replace("~\n", "~").replace("DTP*472*D8*20260203~SE", "DTP*472*D8*20200203~SE")
    msg = [i.message for i in run(text).errors if i.code == "hit-code"][0]
    assert msg == ("claim HIT-7-2 line 1: E1 code G0088 is not valid on 2020-02-03 "
                   "(payer: CO-16 M51)")


def test_hit_mode_all_and_none():
    text = hit_text().replace("HC:G0088", "HC:99211")
    auto = run(text)
    assert auto.ok    # claim 2 has no HIT code: not an HIT claim
    assert codes(run(text, hit="all")) == [("hit-code", 38, "SV101-2")]
    assert run(text.replace("CLM*HIT-7-1*550***12", "CLM*HIT-7-1*550***11"), hit="none").ok


# -- level 1 ----------------------------------------------------------------------------------
def test_bad_segment_id_and_control_character():
    text = hit_text().replace("LX*2~", "lx*2~").replace("N3*100 MAIN ST", "N3*100 MAIN\x07ST")
    found = codes(run(text))
    assert ("segment-id", 25, None) in found
    assert ("invalid-character", 10, "N301") in found


def test_unsupported_version_fails_tr3_closed_with_reason():
    text = hit_text().replace("005010X222A1", "005010X222A2")
    report = run(text, levels=(1, 2, 3, 4))
    assert ("unsupported-version", 2, "GS08") in codes(report)
    (incomplete,) = [i for i in report.issues if i.code == "tr3-incomplete"]
    assert incomplete.severity == "error" and incomplete.level == 2
    assert "no implementation guide map for 005010X222A2" in incomplete.message


def test_levels_are_optional():
    text = hit_text().replace("XX*1234567893", "XX*1234567890")
    assert not run(text, levels=(1, 4)).ok
    report = run(text, levels=(1, 3))
    assert report.ok and "TR3 level (2) not run" in report.notes


# -- 835 balancing ------------------------------------------------------------------------
def remit_text() -> str:
    return REMIT.read_text()


@pytest.mark.skipif(not REMIT.exists(), reason="corpus not present")
def test_835_balanced():
    assert validate(REMIT, levels=FAST, today=TODAY).ok


@pytest.mark.skipif(not REMIT.exists(), reason="corpus not present")
def test_835_line_claim_and_transaction_equations():
    text = remit_text().replace("SVC*HC:55669*541*34**1", "SVC*HC:55669*541*35**1")
    found = codes(run(text))
    assert ("balance-line", 22, "SVC03") in found
    assert run(text).errors[0].message == \
        "claim 0001000055 line 55669: SVC02 541 - CAS 507 = 34, but SVC03 is 35 (off by -1)"
    text = remit_text().replace("BPR*I*34.00*C", "BPR*I*43.00*C")
    assert codes(run(text)) == [("balance-transaction", 4, "BPR02")]
    text = remit_text().replace("CLP*0001000055*2*541*34", "CLP*0001000055*2*541*30")
    assert [c for c, _, _ in codes(run(text))] == ["balance-transaction", "balance-claim"]


@pytest.mark.skipif(not REMIT.exists(), reason="corpus not present")
def test_835_bad_cas_amount_is_a_finding():
    text = remit_text().replace("CAS*OA*94*-9", "CAS*OA*94*-9X")
    assert codes(run(text)) == [("amount-invalid", 25, "CAS03")]


# -- input that is not X12 ----------------------------------------------------------------
@pytest.mark.parametrize("data,sentence", [
    (b"", "the file is empty"),
    (b"   \n", "the file is empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "this is a PDF document, not an X12 file"),
    (b'{"claims": []}', "this looks like JSON, not X12"),
    (b"PK\x03\x04\x14\x00\x00\x00", "this is a zip archive, not an X12 file; unzip it first"),
    (b"\x1f\x8b\x08\x00", "gzip-compressed"),
    (b"<?xml version='1.0'?><claims/>", "XML"),
    (b"hello world\n", "no ISA segment found"),
])
def test_not_x12_gets_one_sentence(data, sentence):
    report = validate(data, name="in.bin", today=TODAY)
    assert [i.code for i in report.issues] == ["not-x12"]
    message = report.issues[0].message
    assert sentence in message and "\n" not in message
    assert str(report.issues[0]).startswith("in.bin: error: ")


# -- the corpus ----------------------------------------------------------------------------
# For each invalid file: a finding that names its real fault (code, segment, words).
INVALID = {
    "affect-therapeutics__edi-835-parser__nevada_medicaid.txt":
        [("isa-width", 1, "71 characters"), ("iea02-control", 67, "'100000301' does not match ISA13")],
    "albmarin__badX12__error_validation.edi":
        [("gs-field", 2, "GS01 'HPO'"), ("gs-field", 2, "GS04 '20080543'"),
         ("se01-count", 29, "SE01 says 30"), ("se02-control", 29, "'112223'"),
         ("ge02-control", 30, "'20213'"), ("iea02-control", 31, "'000010215'")],
    "imsweb__x12-parser__x12_bad_first_line.txt": [("isa-width", 1, "104 characters")],
    "imsweb__x12-parser__x12_bad_segment_identifier.txt":
        [("segment-id", 6, "'(empty)'"), ("segment-id", 11, "'Nd4'"), ("segment-id", 20, "'NM31'")],
    "imsweb__x12-parser__x12_bad_valid_code.txt": [("tr3-segment", 9, "NM1*117 not found")],
    "imsweb__x12-parser__x12_loop_errors1_exceeds_max_1_parent.txt":
        [("tr3-segment", 15, "Loop 2010AA exceeded max count")],
    "imsweb__x12-parser__x12_loop_errors3_missing_loops.txt":
        [("tr3-segment", 9, '"Billing Provider Name" (2010AA) missing')],
    "imsweb__x12-parser__x12_missing_elements.txt":
        [("tr3-element", 7, "(NM102) is missing"), ("tr3-segment", 31, "(CLM05) is missing")],
    "imsweb__x12-parser__x12_no_isa_line.txt": [("not-x12", None, "no ISA interchange header")],
    "imsweb__x12-parser__x12_segment_errors.txt":
        [("tr3-segment", 10, "(N3) missing"), ("tr3-segment", 12, "REF exceeded max count"),
         ("tr3-segment", 22, "(HI) missing")],
    "imsweb__x12-parser__x12_segments_out_of_order.txt": [("tr3-segment", 11, "(N4) missing")],
    "keironstoddart__edi-835-parser__blue_cross_nc_sample.txt":
        [("not-x12", None, "no ISA interchange header")],
    "kputnam__stupidedi__1.edi":
        [("text-before-isa", 1, "474 bytes of text"), ("unsupported-version", 2, "'005010X221'")],
}


@pytest.mark.parametrize("path", corpus_files("invalid"), ids=lambda p: p.name[:50])
def test_invalid_corpus_names_the_fault(path):
    report = validate(path, today=TODAY)
    expected = INVALID[path.name]
    for code, index, words in expected:
        assert any(i.code == code and i.segment_index == index and words in i.message
                   for i in report.issues), (code, index, words, [str(i) for i in report.issues])
    assert report.errors, "an invalid file must give at least one error"
    # Every claim that entered is counted once, accepted or rejected.
    c = report.counts()
    assert c["claims_accepted"] + c["claims_rejected"] == c["claims"]


@pytest.mark.parametrize("path", corpus_files("837p") + corpus_files("835"), ids=lambda p: p.name[:50])
def test_every_claim_counted_once(path):
    report = validate(path, levels=FAST, today=TODAY)
    segments = _segments(path)
    st01 = next(seg[1] for seg in segments if seg[0] == "ST")
    n = sum(1 for seg in segments if seg[0] == ("CLM" if st01 == "837" else "CLP"))
    assert len(report.claims) == n
    c = report.counts()
    assert c["claims_accepted"] + c["claims_rejected"] == n


def _segments(path: Path):
    from edi_hit.x12 import SegmentReader
    return list(SegmentReader(path))


def test_stupidedi_hit_example_is_clean():
    path = CORPUS / "837p" / ("kputnam__stupidedi__home-infusion-therapy-pharmacy-"
                              "(adjudicated-with-NDC-in-loop-2410).edi")
    if not path.exists():
        pytest.skip("corpus not present")
    assert validate(path, today=TODAY).ok
