# edi-hit's TR3 engine on small files: exact findings (segment position, id, element,
# IK304/IK403 code, IK303 loop), the same as pyx12's where pyx12 can say.
from __future__ import annotations

from datetime import date, datetime

import pytest

from conftest import FIXTURES
from edi_hit.validation import validate, write_999

HIT = FIXTURES / "validate" / "hit_valid.837"
TODAY = date(2026, 6, 1)
TODAY_NOON = datetime(2026, 6, 1, 12, 0)
# Segment positions in hit_valid.837: 1 ISA, 2 GS, 3 ST, 4 BHT, 5-7 1000A/B, 8 HL*1,
# 9 NM1*85, 10 N3, 11 N4, 12 REF*EI, 13 HL*2, 14 SBR, 15 NM1*IL, 16 N3, 17 N4, 18 DMG,
# 19 NM1*PR, 20 CLM, 21 HI, 22 LX*1, 23 SV1, 24 DTP, 25 LX*2 ... (a second claim from 28).


def tr3(text: str, engine: str = "edi-hit"):
    report = validate(text.encode("latin-1"), name="t.837", levels=(1, 2), today=TODAY,
                      engine=engine)
    return [(i.code, i.segment_index, i.segment_id, i.element,
             i.segment_error or i.element_error, i.loop)
            for i in report.issues if i.level == 2], report


def text() -> str:
    return HIT.read_text()


CASES = {
    # A required segment left out: reported under its own id where its absence shows.
    "N4 of 2010AA missing": (
        lambda t: t.replace("N4*SPRINGFIELD*IL*627010001~\n", ""),
        [("tr3-segment", 11, "N4", None, "3", "2010AA")]),
    # 60 is the maximum length of NM103 (data element 1035).
    "NM103 too long": (
        lambda t: t.replace("NM1*IL*1*DOE*JANE", "NM1*IL*1*" + "D" * 61 + "*JANE"),
        [("tr3-element", 15, "NM1", "NM103", "5", "2010BA")]),
    # SBR01 Q is no payer responsibility code: SBR is not found where it stands (1),
    # and the required SBR is then missing at the next segment (3); in both claims.
    "SBR01 not a code": (
        lambda t: t.replace("SBR*P*18", "SBR*Q*18"),
        [("tr3-segment", 14, "SBR", None, "1", "2000B"),
         ("tr3-segment", 15, "SBR", None, "3", "2000B"),
         ("tr3-segment", 29, "SBR", None, "1", "2000B"),
         ("tr3-segment", 30, "SBR", None, "3", "2000B")]),
    # REF*EI may appear once in 2010AA (max use 1).
    "REF*EI twice": (
        lambda t: t.replace("REF*EI*371234567~", "REF*EI*371234567~\nREF*EI*371234567~"),
        [("tr3-segment", 13, "REF", None, "5", "2010AA")]),
    # 30 February.
    "DTP03 not a date": (
        lambda t: t.replace("DTP*472*D8*20260202", "DTP*472*D8*20260230"),
        [("tr3-element", 24, "DTP", "DTP03", "8", "2400")]),
    # The second service line numbered 3: pyx12's LX count, as an IK403 I12 on LX01.
    "LX01 out of sequence": (
        lambda t: t.replace("LX*2", "LX*3"),
        [("tr3-element", 25, "LX", "LX01", "I12", "2400")]),
    # SV106 is marked "not used" in 005010X222A1.
    "SV106 not used": (
        lambda t: t.replace("SV1*HC:G0068*300*UN*8***1", "SV1*HC:G0068*300*UN*8**X*1"),
        [("tr3-element", 23, "SV1", "SV106", "10", "2400")]),
    # DMG05 (race or ethnicity, repeatable) is "not used": once, however repeated.
    "DMG05 not used, repeated": (
        lambda t: t.replace("DMG*D8*19480412*F", "DMG*D8*19480412*F**RET:2106-3^RET:2054-5"),
        [("tr3-segment", 18, "DMG", None, "8", "2010BA")]),
}


@pytest.mark.parametrize("name", CASES)
def test_finding_is_exact_and_pyx12s(name):
    change, expected = CASES[name]
    mutated = change(text())
    assert mutated != text()
    ours, report = tr3(mutated)
    assert ours == expected
    assert tr3(mutated, "pyx12")[0] == expected
    assert not report.transactions[0].accepted


def test_clean_file_has_no_level_2_finding_and_no_note():
    ours, report = tr3(text())
    assert ours == [] and report.notes == [] and report.transactions[0].accepted


def test_too_many_components_is_ik403_13_where_pyx12_crashes():
    # CLM05 (C023) has three components; pyx12 4.0.0 raises IndexError on a fourth.
    mutated = text().replace("12:B:1*Y", "12:B:1:9*Y")
    ours, _ = tr3(mutated)
    assert ours == [("tr3-element", 20, "CLM", "CLM05", "13", "2300"),
                    ("tr3-element", 35, "CLM", "CLM05", "13", "2300")]
    theirs, _ = tr3(mutated, "pyx12")
    assert [t[0] for t in theirs] == ["tr3-incomplete"]


def test_repetition_separator_in_an_element_that_may_not_repeat_is_ik403_12():
    # ISA11 is ^: PER02 "EDI^DESK" is two repetitions of an element that has one.
    # pyx12 never reads ISA11 and takes ^ for a data character (allow-listed).
    ours, _ = tr3(text().replace("PER*IC*EDI DESK", "PER*IC*EDI^DESK"))
    assert ours == [("tr3-element", 6, "PER", "PER02", "12", "1000A")]


def test_group_without_a_map_is_skipped_alone():
    # Two groups: the first with a version pyx12 has no map for, the second valid.
    # pyx12 gives up the whole file; edi-hit skips the first group and checks the second.
    body = text()
    isa, rest = body.split("\n", 1)
    inner = rest.rsplit("IEA*", 1)[0]
    second = inner.replace("GS*HC*SUNRISE01*MACJ6*20260302*0930*7*", "GS*HC*SUNRISE01*MACJ6*"
                           "20260302*0930*8*").replace("GE*1*7", "GE*1*8").replace(
        "N3*12 OAK AVE", "N3*" + "A" * 56)
    first = inner.replace("005010X222A1", "005010X222A2")
    both = f"{isa}\n{first}{second}IEA*2*000000007~\n"
    ours, report = tr3(both)
    skipped = [i for i in report.issues if i.code == "tr3-incomplete"]
    assert [(i.segment_index, i.segment_id) for i in skipped] == [(2, "GS")]
    assert "no implementation guide map for 005010X222A2" in skipped[0].message
    n = len([s for s in first.split("~") if s.strip()])
    assert ("tr3-element", n + 16, "N3", "N301", "5", "2010BA") in ours
    theirs, _ = tr3(both, "pyx12")
    assert [t[0] for t in theirs] == ["tr3-incomplete"]


def test_999_from_either_engine_is_the_same():
    mutated = text().replace("N4*SPRINGFIELD*IL*627010001~\n", "").replace(
        "DTP*472*D8*20260202", "DTP*472*D8*20260230")
    acks = []
    for engine in ("edi-hit", "pyx12"):
        report = validate(mutated.encode(), name="t.837", today=TODAY, engine=engine)
        acks.append(write_999(report, control_number=5, now=TODAY_NOON))
    assert acks[0] == acks[1]
    body = acks[0].decode()
    assert "IK3*N4*9**3~" in body and "IK4*3*1251*8*20260230~" in body
    # IK5: rejected; 4, the SE01 count no longer matches (a segment is gone); I5, the
    # implementation guide errors.
    assert "IK5*R*4*I5~" in body


def test_messages_name_the_place_never_the_value():
    # A name too long: the message says which element and how long, not the name.
    ours, report = tr3(text().replace("NM1*IL*1*DOE*JANE", "NM1*IL*1*" + "Q" * 61 + "*JANE"))
    issue = next(i for i in report.issues if i.code == "tr3-element")
    assert "NM103" in issue.message and "61" in issue.message and "QQQ" not in issue.message
    assert issue.bad_value == "Q" * 61   # kept apart, for the 999's IK404
