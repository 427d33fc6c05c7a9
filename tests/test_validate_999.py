# The 999 to the letter of 005010X231A1: exact IK3/IK4/CTX/IK5/AK9 text for crafted
# faults, the 837P loop ids edi-hit names against pyx12's map, and pyx12 as oracle
# of every 999 written.
from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from conftest import FIXTURES, corpus_files
from edi_hit.errors import X12Error
from edi_hit.validation import validate, write_999
from edi_hit.validation.loops import LoopTracker837
from edi_hit.validation.report import Issue
from edi_hit.validation.tr3 import loop_of_path
from edi_hit.x12 import SegmentReader
from pyx12_oracle import pyx12_errors

HIT = FIXTURES / "validate" / "hit_valid.837"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 30)


def ack_body(text: str, levels=(1, 2, 3, 4)) -> list[str]:
    """The 999 of `text` between ST and SE, after checking pyx12 finds it valid."""
    data = write_999(validate(text.encode(), name="t.837", levels=levels, today=TODAY), now=NOW)
    assert pyx12_errors(data) == [], data.decode()
    segs = [s for s in data.decode().replace("\n", "").split("~") if s]
    return segs[3:-3]


def hit(*edits: str) -> str:
    text = HIT.read_text()
    for old, new in zip(edits[::2], edits[1::2]):
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_bad_sv102_is_an_element_error_in_loop_2400_of_its_claim():
    # pyx12 (invalid character, 6) and level 3 (not an amount, 6) agree: one IK4.
    assert ack_body(hit("SV1*HC:G0068*300*", "SV1*HC:G0068*3X0*")) == [
        "AK1*HC*7*005010X222A1", "AK2*837*0001*005010X222A1",
        "IK3*SV1*21*2400*8", "CTX*CLM01:HIT-7-1", "IK4*2*782*6*3X0",
        "IK5*R*I5", "AK9*R*1*1*0"]


def test_claim_level_hit_edit_names_the_component():
    # An unknown G-code: SV101-2 (IK401 1:2), element 234 from the map, code 7.
    assert ack_body(hit("SV1*HC:G0068*", "SV1*HC:G0067*"))[2:] == [
        "IK3*SV1*21*2400*8", "CTX*CLM01:HIT-7-1", "IK4*1:2*234*7*G0067",
        "IK5*E*I5", "AK9*E*1*1*1"]


def test_wrong_se01_is_ik502_4():
    # 618 code 4: number of included segments does not match actual count.
    assert ack_body(hit("SE*38*0001", "SE*36*0001"))[2:] == ["IK5*R*4", "AK9*R*1*1*0"]


def test_se02_mismatch_is_ik502_3():
    assert ack_body(hit("SE*38*0001", "SE*38*0002"), (1, 3, 4))[2:] == ["IK5*R*3", "AK9*R*1*1*0"]


def test_missing_required_segment_in_2010aa():
    # pyx12: mandatory N3 missing, noticed at N4 (position 8). IK303 stays empty:
    # "2010AA" is longer than element 447 allows (AN 1/4 in 005010).
    assert ack_body(hit("N3*100 MAIN ST~\n", "", "SE*38*0001", "SE*37*0001"))[2:] == [
        "IK3*N3*8**3", "IK5*R*I5", "AK9*R*1*1*0"]


def test_missing_service_date_is_required_segment_missing_in_2400():
    # Level 3 and pyx12 report it at the same place: one IK3, inside the claim.
    text = hit("DTP*472*D8*20260203~\nSE", "SE", "SE*38*0001", "SE*37*0001")
    assert ack_body(text)[2:] == ["IK3*DTP*37*2400*3", "CTX*CLM01:HIT-7-2", "IK5*R*I5",
                                  "AK9*R*1*1*0"]
    # without pyx12 the claim alone is rejected
    assert ack_body(text, (1, 3, 4))[2:] == ["IK3*DTP*37*2400*3", "CTX*CLM01:HIT-7-2",
                                             "IK5*E*I5", "AK9*E*1*1*1"]


def test_hl_out_of_sequence_is_an_hl01_element_error():
    body = ack_body(hit("HL*3*1*22*0", "HL*4*1*22*0"))
    assert "IK3*HL*26**8" in body
    assert body[body.index("IK3*HL*26**8") + 1] == "IK4*1*628*I12*4"


def test_situational_trigger_context():
    # An implementation-dependent error (I6) names the segment that made it required:
    # after the business unit CTX (both at position 0500; pyx12 accepts this order).
    report = validate(HIT, today=TODAY)
    t = report.transactions[0]
    t.issues.append(Issue("error", "test-situational", "DMG required when the patient is "
                          "the subscriber", None, 35, "CLM", None, level=3, claim="HIT-7-2",
                          segment_error="I6", loop="2300", trigger=("SBR", 29, "2000B", "SBR02")))
    t.accepted = False
    data = write_999(report, now=NOW)
    assert pyx12_errors(data) == []
    segs = [s for s in data.decode().replace("\n", "").split("~") if s]
    i = segs.index("IK3*CLM*33*2300*I6")
    assert segs[i + 1:i + 3] == ["CTX*CLM01:HIT-7-2", "CTX*SITUATIONAL TRIGGER*SBR*27**2*1069"]


@pytest.mark.parametrize("path", ["/ISA_LOOP/GS_LOOP/ST_LOOP/HEADER/BHT",
                                  "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A/2000B/2300/2400/SV1"])
def test_loop_of_path(path):
    assert loop_of_path(path) == (None if path.endswith("BHT") else "2400")


def _pyx12_loops(data: bytes) -> dict[int, str | None]:
    """Segment index -> pyx12's loop for it, from the map node pyx12 walks to.
    Skips the file when pyx12 finds it invalid: it then places segments where it can."""
    import logging

    import pyx12.error_handler
    import pyx12.errors
    import pyx12.params
    import pyx12.x12n_document

    seen: dict[int, str | None] = {}
    base = pyx12.error_handler.err_handler

    class Record(base):
        def add_seg(self, map_node, seg_data, seg_count, cur_line, ls_id):
            # a missing segment is added first at the line where it was noticed; the
            # segment actually there comes last
            seen[cur_line] = loop_of_path(map_node.get_path())
            super().add_seg(map_node, seg_data, seg_count, cur_line, ls_id)

    class Errors(logging.Handler):
        count = 0

        def emit(self, record):
            Errors.count += 1

    logger = logging.getLogger("pyx12")
    handler, old = Errors(logging.ERROR), (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    pyx12.error_handler.err_handler = Record
    try:
        text = "".join(f"{'*'.join(s)}~" for s in SegmentReader(data))
        ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None)
    finally:
        pyx12.error_handler.err_handler = base
        logger.removeHandler(handler)
        logger.level, logger.propagate = old
    # Only files pyx12 accepts are compared: on an invalid file it places segments
    # wherever it can, not by the TR3.
    assert ok and not Errors.count, "pyx12 does not accept this file"
    return seen


# The corpus 837P files pyx12 accepts as they are (../shared/corpus/SOURCES.md; the
# others are invalid for pyx12 or carry a version it has no map for).
PYX12_VALID = {"Inteligenz__X12Parser__ST1309-XX.txt", "UHIN__x12-parser-library__837.edi"}


@pytest.mark.parametrize("path", [HIT, FIXTURES / "837p" / "hit_claims.837"] + [
    p for p in corpus_files("837p")
    if p.name in PYX12_VALID or (p.name.startswith("kputnam__") and "oxygen" not in p.name)],
    ids=lambda p: p.name[:50])
def test_loop_tracker_agrees_with_pyx12(path):
    data = path.read_bytes()
    expected = _pyx12_loops(data)
    tracker = None
    checked = 0
    reader = SegmentReader(data)
    for seg in reader:
        sid = seg[0]
        if sid == "ST":
            tracker = LoopTracker837() if seg[1] == "837" else None
            continue
        if sid in ("SE", "GE", "IEA", "ISA", "GS") or tracker is None:
            continue
        loop = tracker.feed(seg, reader.index)
        if reader.index in expected:
            assert loop == expected[reader.index], f"segment {reader.index} ({sid})"
            checked += 1
    assert checked or not expected


@pytest.mark.parametrize("path", [HIT, FIXTURES / "837p" / "hit_claims.837"]
                         + sorted((FIXTURES / "demo").glob("*.837")), ids=lambda p: p.name[:50])
def test_999_of_every_fixture_is_valid_x231a1(path):
    # (every file of the corpus's invalid/ folder: test_validate_ack.py)
    try:
        data = write_999(validate(path, today=TODAY), now=NOW)
    except X12Error as exc:
        assert "nothing to acknowledge" in str(exc)
        return
    assert pyx12_errors(data) == [], data.decode()
