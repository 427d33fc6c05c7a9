# The 277CA (005010X214) written from a ValidationReport: exact segments for small
# cases, pyx12's X214 map as oracle, and an independent segment-level check (counts,
# HL parents, totals, one 2000D per claim with the report's decision).
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, corpus_files
from edi_hit.cli import main
from edi_hit.errors import X12Error
from edi_hit.validation import validate, write_277ca
from pyx12_oracle import pyx12_errors

HIT = FIXTURES / "validate" / "hit_valid.837"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, 30)


def segments(data: bytes) -> list[list[str]]:
    return [s.split("*") for s in data.decode().replace("\n", "").split("~") if s]


def texts(data: bytes) -> list[str]:
    return ["*".join(s) for s in segments(data)]


def body(data: bytes) -> list[str]:
    """The 277 between ST and SE (one transaction set)."""
    t = texts(data)
    return t[t.index(next(s for s in t if s.startswith("ST*"))) + 1:-3]


def check_277ca(data: bytes, report) -> None:
    """An independent reading of a 277CA against the report it answers: envelopes and
    counts, the HL tree (20 > 21 > 19 > PT), one 2000D per 837 claim in order with the
    report's decision, and the QTY/AMT totals at 2200B and 2200C."""
    segs = segments(data)
    claims = [c for t in report.transactions if t.set_id == "837" for c in t.claims]
    seen_claims = []
    st_start = None
    isa = st_count = 0
    for k, s in enumerate(segs):
        sid = s[0]
        if sid == "ISA":
            isa, isa_ctl = isa + 1, s[13]
            groups_in_isa = 0
        elif sid == "GS":
            assert s[1] == "HN" and s[8] == "005010X214"
            groups_in_isa += 1
            gs_ctl, st_count = s[6], 0
        elif sid == "ST":
            assert s[1] == "277" and s[3] == "005010X214"
            st_start, st_count = k, st_count + 1
            hls: dict[str, str] = {}
            level: dict[str, dict] = {}
            current = None
        elif sid == "SE":
            assert int(s[1]) == k - st_start + 1            # SE01 counts ST..SE
            _check_totals(level, hls)
        elif sid == "GE":
            assert int(s[1]) == st_count and s[2] == gs_ctl
        elif sid == "IEA":
            assert int(s[1]) == groups_in_isa and s[2] == isa_ctl
        elif sid == "HL":
            hid, parent, code = s[1], s[2], s[3]
            assert hid == str(len(hls) + 1)
            want = {"20": None, "21": "20", "19": "21", "PT": "19"}[code]
            assert (parent == "") if want is None else (hls[parent] == want)
            hls[hid] = code
            current = level[hid] = {"code": code, "parent": parent, "stc": [], "qty": {},
                                    "amt": {}, "trn": None}
        elif sid == "TRN":
            current["trn"] = s[2]
            if current["code"] == "PT":
                seen_claims.append(s[2])
        elif sid == "STC" and current is not None and "svc" not in current:
            current["stc"].append(s)
        elif sid == "SVC":
            current["svc"] = True
        elif sid == "QTY":
            current["qty"][s[1]] = int(s[2])
        elif sid == "AMT":
            current["amt"][s[1]] = D(s[2])
    assert isa >= 1
    assert seen_claims == [c.claim_id for c in claims]
    statuses = [d["stc"][0][1].split(":")[:2] for d in _all_levels(segs) if d["code"] == "PT"]
    for claim, (category, code) in zip(claims, statuses):
        if claim.accepted:
            assert (category, code) == ("A1", "20")
        else:
            assert category in ("A3", "A6", "A7", "A8") and code != "20"


def _all_levels(segs):
    out, current = [], None
    for s in segs:
        if s[0] == "HL":
            current = {"code": s[3], "stc": []}
            out.append(current)
        elif s[0] == "SVC":
            current = {"code": "SVC", "stc": []}
        elif s[0] == "STC" and current is not None:
            current["stc"].append(s)
    return out


def _check_totals(level, hls):
    """2200B and 2200C QTY/AMT equal what their claims say (STC03 WQ/U, STC04)."""
    def claims_under(hid):
        kids = [k for k, v in level.items() if v["parent"] == hid]
        if level[hid]["code"] == "PT":
            return [level[hid]]
        return [c for k in kids for c in claims_under(k)]

    for hid, lv in level.items():
        if lv["code"] not in ("21", "19"):
            continue
        under = claims_under(hid)
        acc = [c for c in under if c["stc"][0][3] == "WQ"]
        rej = [c for c in under if c["stc"][0][3] == "U"]
        q_acc, q_rej = ("90", "AA") if lv["code"] == "21" else ("QA", "QC")
        assert lv["qty"].get(q_acc, 0) == len(acc)
        assert lv["qty"].get(q_rej, 0) == len(rej)
        assert lv["amt"].get("YU", D(0)) == sum((D(c["stc"][0][4]) for c in acc), D(0))
        assert lv["amt"].get("YY", D(0)) == sum((D(c["stc"][0][4]) for c in rej), D(0))
        assert D(lv["stc"][0][4]) == sum((D(c["stc"][0][4]) for c in under), D(0))


def report_of(text: str, levels=(1, 2, 3, 4)):
    return validate(text.encode(), name="t.837", levels=levels, today=TODAY)


def ack(text: str, **kw) -> tuple[bytes, object]:
    report = report_of(text)
    data = write_277ca(report, text.encode(), now=NOW, **kw)
    return data, report


# -- exact segments -------------------------------------------------------------------
def test_accepting_a_clean_file_segment_by_segment():
    data, report = ack(HIT.read_text())
    assert texts(data)[:2] == [
        "ISA*00*          *00*          *ZZ*MACJ6          *ZZ*SUNRISE01      *260601*1230*^*"
        "00501*000000001*0*T*:",
        "GS*HN*MACJ6*SUNRISE01*20260601*1230*1*X*005010X214"]
    # charges: claim HIT-7-1 300 + 250 = 550, claim HIT-7-2 425.50; batch 550 + 425.50 = 975.50
    assert body(data) == [
        "BHT*0085*08*0000000010001*20260601*1230*TH",
        "HL*1**20*1", "NM1*AY*2*MEDICARE PART B MAC*****46*MACJ6", "TRN*1*0000000010001",
        "DTP*050*D8*20260601", "DTP*009*D8*20260601",
        "HL*2*1*21*1", "NM1*41*2*SUNRISE HOME INFUSION*****46*SUNRISE01", "TRN*2*HIT0007",
        "STC*A1:19:AY*20260601*WQ*975.5", "QTY*90*2", "AMT*YU*975.5",
        "HL*3*2*19*1", "NM1*85*2*SUNRISE HOME INFUSION*****XX*1234567893", "TRN*1*0",
        "STC*A1:19:AY**WQ*975.5", "REF*TJ*371234567", "QTY*QA*2", "AMT*YU*975.5",
        "HL*4*3*PT", "NM1*QC*1*DOE*JANE****MI*1EG4TE5MK73", "TRN*2*HIT-7-1",
        "STC*A1:20*20260601*WQ*550", "DTP*472*RD8*20260202-20260203",
        "HL*5*3*PT", "NM1*QC*1*ROE*RICHARD****MI*2AC3CD4EF56", "TRN*2*HIT-7-2",
        "STC*A1:20*20260601*WQ*425.5", "DTP*472*D8*20260203"]
    assert texts(data)[-3:] == ["SE*31*0001", "GE*1*1", "IEA*1*000000001"]
    assert pyx12_errors(data) == []
    check_277ca(data, report)


def test_claim_level_rejection_in_an_accepted_set():
    # CLM02 550 -> 560: 560 is not 300 + 250, a level-3 error inside claim HIT-7-1: the
    # 999 says E (set accepted), the 277CA rejects that claim (A8:400, the claim is out of
    # balance, found at CLM, segment 18 of the set) and accepts HIT-7-2.
    text = HIT.read_text().replace("CLM*HIT-7-1*550*", "CLM*HIT-7-1*560*")
    data, report = ack(text, payer_claim_number=lambda pcn: f"ICN-{pcn}")
    b = body(data)
    assert b[9:12] == ["STC*A1:19:AY*20260601*WQ*985.5", "QTY*90*1", "QTY*AA*1"]
    assert b[12:14] == ["AMT*YU*425.5", "AMT*YY*560"]
    i = b.index("TRN*2*HIT-7-1")
    assert b[i + 1:i + 3] == [
        "STC*A8:400*20260601*U*560********LOOP 2300 SEGMENT 18 CLM ELEMENT CLM02",
        "DTP*472*RD8*20260202-20260203"]
    j = b.index("TRN*2*HIT-7-2")
    assert b[j + 1:j + 3] == ["STC*A1:20*20260601*WQ*425.5", "REF*1K*ICN-HIT-7-2"]
    assert pyx12_errors(data) == []
    check_277ca(data, report)


def test_line_level_reasons_get_a_2220d():
    # HIT-7-1 line 2 without units (SV104 empty): the TR3 rejects the set (A3); the line
    # is named in 2220D (SVC, STC, DTP). HIT-7-2 billed from an office (POS 11): A7:249 at
    # the claim's CLM05-1. Both claims rejected: totals 0 accepted, 550 + 425.50 rejected.
    text = HIT.read_text().replace("SV1*HC:G0069*250*UN*6***1", "SV1*HC:G0069*250*UN****1") \
        .replace("CLM*HIT-7-2*425.5***12:B:1", "CLM*HIT-7-2*425.5***11:B:1")
    data, report = ack(text)
    b = body(data)
    assert "STC*A3:481*20260601*U*975.5" in b and "QTY*AA*2" in b and "AMT*YY*975.5" in b
    i = b.index("TRN*2*HIT-7-1")
    assert b[i + 1:i + 6] == [
        "STC*A3:476*20260601*U*550********LOOP 2400 SEGMENT 24 SV1 ELEMENT SV104",
        "DTP*472*RD8*20260202-20260203",
        "SVC*HC:G0069*250", "STC*A3:476*20260601*U", "DTP*472*D8*20260203"]
    j = b.index("TRN*2*HIT-7-2")
    assert b[j + 1] == "STC*A7:249*20260601*U*425.5********LOOP 2300 SEGMENT 33 CLM ELEMENT CLM05-1"
    assert pyx12_errors(data) == []
    check_277ca(data, report)


@pytest.mark.parametrize("edit, expected", [
    # units 0 (not missing): invalid units, at the line
    (("SV1*HC:G0068*300*UN*8***1", "SV1*HC:G0068*300*UN*0***1"), "A7:476"),
    # a G-code that is not an HIT code: procedure code (the 999 has accepted the set)
    (("SV1*HC:G0068*300*UN*8***1", "SV1*HC:G9999*300*UN*8***1"), "A7:454"),
    # the same line twice on one day for one beneficiary: duplicate line (relational)
    (("SV1*HC:G0069*250*UN*6***1~\nDTP*472*D8*20260203", "SV1*HC:G0068*300*UN*8***1~\nDTP*472*D8*20260202",
      "CLM*HIT-7-1*550*", "CLM*HIT-7-1*600*"), "A8:54"),
    # another line of the same payment category on that day: the procedure code set
    # against the other line (relational)
    (("SV1*HC:G0069*250*UN*6***1~\nDTP*472*D8*20260203", "SV1*HC:G0088*250*UN*6***1~\nDTP*472*D8*20260202"),
     "A8:454"),
    # a date of service in the future: the date (187) and "future date" (510)
    (("DTP*472*D8*20260202", "DTP*472*D8*20270202"), "A7:187"),
])
def test_payer_edit_reasons(edit, expected):
    text = HIT.read_text()
    for old, new in zip(edit[::2], edit[1::2]):
        assert old in text
        text = text.replace(old, new)
    report = validate(text.encode(), name="t.837", levels=(1, 3, 4), today=TODAY)
    data = write_277ca(report, text.encode(), now=NOW)
    b = body(data)
    i = b.index("TRN*2*HIT-7-1")
    assert b[i + 1].startswith(f"STC*{expected}*20260601*U*"), b[i + 1]
    if expected == "A7:187":
        assert b[i + 2].startswith("STC*A7:510*20260601*U*")
    assert "STC*A1:20*20260601*WQ*425.5" in b          # the other claim is accepted
    assert pyx12_errors(data) == []
    check_277ca(data, report)


def test_transaction_rejected_for_an_envelope_error():
    # SE01 36 for 38 segments: the 999 rejects the set (IK5 R 4); the 277CA rejects the
    # batch (A3:481 U) and each claim with "see the 999" in STC12.
    text = HIT.read_text().replace("SE*38*0001", "SE*36*0001")
    data, report = ack(text)
    b = body(data)
    assert "STC*A3:481*20260601*U*975.5" in b
    i = b.index("TRN*2*HIT-7-2")
    assert b[i + 1] == "STC*A3:481*20260601*U*425.5********TRANSACTION SET REJECTED, SEE 999"
    assert pyx12_errors(data) == []
    check_277ca(data, report)


def test_values_carrying_the_responses_delimiters_are_cleaned():
    # an 837 with | as element separator, so '*' is plain text in it: a last name "DO*E"
    # would be two elements in the 277CA, so the '*' becomes a space there.
    raw = HIT.read_text().replace("*", "|").replace("NM1|IL|1|DOE|JANE", "NM1|IL|1|DO*E|JANE")
    data, report = ack(raw)
    assert "NM1*QC*1*DO E*JANE****MI*1EG4TE5MK73" in body(data)
    assert pyx12_errors(data) == []
    check_277ca(data, report)


def test_an_835_has_nothing_for_a_277ca():
    path = FIXTURES / "scenarios" / "worked_example.835"
    report = validate(path, levels=(1, 3), today=TODAY)
    with pytest.raises(X12Error, match="no 837 transaction set"):
        write_277ca(report, path)


# -- every file we have -----------------------------------------------------------------
ALL_837 = [p for p in corpus_files("837p") + corpus_files("invalid")
           + sorted((FIXTURES / "scenarios").glob("*.837")) + sorted((FIXTURES / "demo").glob("*.837"))]


@pytest.mark.parametrize("path", ALL_837, ids=lambda p: p.name[:50])
def test_277ca_of_every_file_passes_pyx12_and_the_independent_check(path: Path):
    # The TR3 level (pyx12, slow) for the third-party files, whose TR3 errors give the
    # A3 rejections; our own fixtures are TR3-clean.
    third_party = FIXTURES not in path.parents
    levels = (1, 2, 3, 4) if third_party and path.stat().st_size < 100_000 else (1, 3, 4)
    report = validate(path, today=TODAY, levels=levels)
    if not any(t.set_id == "837" for t in report.transactions):
        with pytest.raises(X12Error):
            write_277ca(report, path, now=NOW)
        return
    data = write_277ca(report, path, now=NOW)
    assert pyx12_errors(data) == []
    check_277ca(data, report)


# -- the command line -------------------------------------------------------------------
def test_cli_writes_the_277ca_and_reads_stdin(tmp_path):
    out = tmp_path / "claims.277"
    result = CliRunner().invoke(main, ["validate", str(HIT), "--today", "2026-06-01",
                                       "--ack", "277ca", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert b"ST*277*0001*005010X214~" in data and data.count(b"STC*A1:20*") == 2
    result = CliRunner().invoke(main, ["validate", "-", "--no-tr3", "--today", "2026-06-01",
                                       "--ack", "277ca", "-o", "-"], input=HIT.read_bytes())
    assert result.exit_code == 0
    assert result.stdout.count("STC*A1:20*") == 2 and "TRN*2*HIT-7-2~" in result.stdout


def test_cli_277ca_for_two_files_has_unique_control_numbers(tmp_path):
    out = tmp_path / "both.277"
    other = tmp_path / "other.837"
    other.write_text(HIT.read_text().replace("CLM*HIT-7-1*550*", "CLM*HIT-7-1*560*"))
    result = CliRunner().invoke(main, ["validate", str(HIT), str(other), "--no-tr3",
                                       "--today", "2026-06-01", "--ack", "277ca", "-o", str(out)])
    assert result.exit_code == 1          # the second file has an error
    segs = segments(out.read_bytes())
    assert [s[13] for s in segs if s[0] == "ISA"] == ["000000001", "000000002"]
    assert [s[6] for s in segs if s[0] == "GS"] == ["1", "2"]
    assert pyx12_errors(out.read_bytes()) == []


def test_cli_277ca_for_an_835_says_so_on_one_line(tmp_path):
    out = tmp_path / "x.277"
    result = CliRunner().invoke(main, ["validate", str(FIXTURES / "scenarios" / "worked_example.835"),
                                       "--no-tr3", "--ack", "277ca", "-o", str(out)])
    assert "no 277CA written: " in result.output and "no 837 transaction set" in result.output
    assert "Traceback" not in result.output
