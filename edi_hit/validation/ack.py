# Acknowledgments: the 999 (005010X231A1) and the TA1, from a ValidationReport.
#
# Strategy: the report already holds every decision (report.decide); this module
# only spells them in X12 with edi-hit's own SegmentWriter, which keeps the counts
# and control numbers. One response interchange per received interchange, sender
# and receiver swapped. The 999 has one ST per received functional group: AK1 names
# the group, then per transaction set AK2, one IK3 per segment in error (with a CTX
# naming the claim, CLM01, when the error is inside one), one IK4 per element in
# error, IK5 (A accepted, E accepted with claim-level errors, R rejected) and AK9
# for the group. Level 3 and 4 errors inside a claim reject only that claim, so
# they make IK5 "E"; everything else makes it "R". The TA1 answers the interchange
# envelope alone: A/000, or R with the note code of its first envelope error.
#
# The code tables below map edi-hit finding codes to X12 error codes; pyx12's own
# codes (level 2) are already X12 codes and pass through.
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from ..errors import X12Error
from ..x12 import Delimiters
from .respond import Clean as _Clean, begin_response as _begin, finish as _finish, \
    open_writer as _writer

__all__ = ["write_999", "write_ta1", "ta1_note_code"]

# IK5 (transaction set) codes for envelope findings.
_IK5 = {"se01-count": "4", "se02-control": "3", "missing-se": "2", "unsupported-transaction": "1",
        "st-field": "7", "unsupported-version": "I6", "gs01-mismatch": "6",
        "tr3-transaction": "I5"}
# AK9 (functional group) codes.
_AK9 = {"ge01-count": "5", "ge02-control": "4", "missing-ge": "3", "unsupported-version": "2",
        "gs-field": "1", "gs01-mismatch": "1", "tr3-group": "1"}
# TA105 interchange note codes.
_TA1 = {"iea02-control": "001", "iea01-count": "021", "missing-iea": "023", "isa-width": "022",
        "duplicate-isa13": "025", "gs-outside-isa": "024", "iea-outside-isa": "022",
        "x12-read": "022", "tr3-interchange": "022"}
_TA1_ISA_ELEMENT = {"ISA01": "010", "ISA02": "011", "ISA03": "012", "ISA04": "013",
                    "ISA09": "014", "ISA10": "015", "ISA12": "017", "ISA13": "018",
                    "ISA14": "019", "ISA15": "020", "ISA05": "005", "ISA06": "006",
                    "ISA07": "007", "ISA08": "008"}
_ENVELOPE_SEGMENTS = {"ST", "SE"}
# What a 999 can name (X231A1 code lists of AK101 and AK201).
_AK101 = {"BE", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "RA"}
_AK201 = {"270", "271", "276", "277", "278", "820", "834", "835", "837"}


def ta1_note_code(issue) -> str:
    if issue.code == "isa-field":
        return _TA1_ISA_ELEMENT.get(issue.element or "", "022")
    return _TA1.get(issue.code, "022")


def write_999(report, stream=None, *, control_number: int = 1, now: datetime | None = None,
              delimiters: Delimiters = Delimiters(), line_break: bool = True,
              sender: tuple[str, str] | None = None, receiver: tuple[str, str] | None = None):
    """Write a 999 for every functional group of `report`. Returns bytes when stream is None.

    sender/receiver: (qualifier, id) of the response; by default the received
    interchange's receiver and sender, swapped.
    """
    groups = [(ic, g) for ic in report.interchanges for g in ic.groups if g.functional_id in _AK101]
    if not groups:
        raise X12Error("nothing to acknowledge with a 999: the file has no functional group "
                       "with a GS01 a 999 can name (HC, HP, ...); use --ack ta1",
                       file=report.file)
    now = now or datetime.now()
    clean = _Clean(delimiters)
    w = _writer(stream, delimiters, line_break)
    control = control_number
    for ic in report.interchanges:
        mine = [g for g in ic.groups if g.functional_id in _AK101]
        if not mine:
            continue
        _begin(w, ic, clean, control, now, sender, receiver)
        w.begin_group("FA", clean(ic.receiver_id or "UNKNOWN", 15), clean(ic.sender_id or "UNKNOWN", 15),
                      control, "005010X231A1", now=now)
        for n, g in enumerate(mine, start=1):
            w.begin_transaction("999", n, "005010X231A1")
            _group_response(w, report, g, clean)
            w.end_transaction()
        w.end_group()
        w.end_interchange()
        control += 1
    return _finish(w, stream)


def _group_response(w, report, g, clean):
    w.write(["AK1", clean(g.functional_id, 2), clean(g.control_number, 9), clean(g.version, 12)])
    accepted = 0
    partial = False
    for t in g.transactions:
        if t.set_id not in _AK201:
            continue   # a transaction set a 999 cannot name: counted as received, not accepted
        w.write(["AK2", clean(t.set_id, 3), clean(t.control_number, 9), clean(t.version, 35) or None])
        errors = [i for i in t.issues if i.severity == "error"]
        segment_errors = [i for i in errors if i.segment_index is not None
                          and i.segment_id not in _ENVELOPE_SEGMENTS
                          and t.segment_index < i.segment_index < t.end_index + 1
                          and i.code not in _IK5]
        _ik3_loops(w, t, segment_errors, clean)
        codes = []
        for i in errors:
            code = _IK5.get(i.code)
            if code and code not in codes:
                codes.append(code)
        for i in report.issues:   # group-level version problems apply to each set
            if i.severity == "error" and i.code == "unsupported-version" and \
                    i.segment_index == g.segment_index and "I6" not in codes:
                codes.append("I6")
        # IK502: 5 "one or more segments in error" for X12 syntax (level 1), I5 for the
        # implementation guide and edi-hit's edits (levels 2-4); an "E" names it too.
        if segment_errors:
            code = "5" if any(i.level == 1 for i in segment_errors) else "I5"
            if code not in codes:
                codes.append(code)
        if t.accepted:
            accepted += 1
            status = "E" if errors else "A"
            partial = partial or bool(errors)
            codes = [] if status == "A" else codes
        else:
            status = "R"
        w.write(["IK5", status, *codes[:5]])
    received = len(g.transactions)
    group_codes = []
    for i in report.issues:
        if i.severity == "error" and i.code in _AK9 and i.segment_index is not None and \
                g.segment_index <= i.segment_index <= g.end_index + 1 and \
                i.segment_id in ("GS", "GE", None, "IEA", "ST"):
            code = _AK9[i.code]
            if code not in group_codes:
                group_codes.append(code)
    if not g.accepted or accepted == 0:
        status = "R"
        accepted = 0 if not g.accepted else accepted
    elif accepted < received:
        status = "P"
    else:
        status = "E" if partial else "A"
    # AK902 the sets the group says it holds (GE01), AK903 the sets received, AK904
    # the sets accepted (with or without errors).
    declared = g.declared_sets if g.declared_sets is not None else received
    w.write(["AK9", status, str(declared), str(received), str(accepted), *group_codes[:5]])


# Implementation-dependent codes: the segment or element is situational, and the
# segment that decides it (the situational trigger) is elsewhere. X231A1 2100 CTX
# "Segment Context" and 2110 CTX "Element Context" name that trigger:
# CTX*SITUATIONAL TRIGGER*<segment id>*<position in set>*<loop>*<element position>*<ref>.
_SITUATIONAL_SEGMENT = {"I6", "I9"}      # dependent segment missing / "not used" present
_SITUATIONAL_ELEMENT = {"I9", "I13"}     # dependent element missing / "not used" present


def _ik3_loops(w, t, issues, clean):
    """One 2100 loop per segment in error, in file order.

    IK301 segment id, IK302 its position counting ST as 1, IK303 the loop it is in
    (the acknowledged TR3's loop id; empty for header segments, when unknown, and
    when longer than the 4 characters element 447 allows: see _loop_id),
    IK304 the segment's own error code, else 8 "segment has data element errors".
    A missing segment is reported under its own id at the position where its absence
    was found, so one position can carry two IK3s (the missing one and the one there).
    """
    by_segment: dict[tuple, list] = {}
    for i in issues:
        by_segment.setdefault((i.segment_index, i.segment_id or ""), []).append(i)
    for index, raw_sid in sorted(by_segment):
        items = by_segment[(index, raw_sid)]
        sid = raw_sid if re.fullmatch(r"[A-Z0-9]{2,3}", raw_sid) else (clean(raw_sid, 3).upper() or "UNK")
        codes = [i.segment_error for i in items if i.segment_error]
        seg_code = next((c for c in codes if c != "8"), None) or "8"
        loop = next((i.loop for i in items if i.loop), None)
        position = str(index - t.segment_index + 1)
        w.write(["IK3", sid, position, _loop_id(loop), seg_code])
        # Business unit (X231A1 2100 CTX): the claim the error is in, by its CLM01,
        # when known; an identifier the 999 cannot copy (a delimiter in it) is unknown.
        # Both 2100 CTXs sit at position 0500, so X12 does not order them; the business
        # unit comes first because pyx12 accepts only that order.
        claim = next((i.claim for i in items if i.claim), None)
        if claim and t.set_id == "837" and clean.copyable(claim):
            w.write(["CTX", ["CLM01", claim[:35]]])
        if seg_code in _SITUATIONAL_SEGMENT:
            trigger = next((i.trigger for i in items if i.trigger and i.segment_error == seg_code), None)
            if trigger:
                _write_trigger(w, t, trigger)
        written = set()
        # one IK4 per element and code; the finding that kept the bad value speaks
        for i in sorted(items, key=lambda i: (_order(i.element, raw_sid), i.bad_value is None)):
            if not i.element:
                continue
            pos = _position(i.element, raw_sid)
            code = i.element_error or "I12"
            key = (pos, code)
            if pos is None or key in written:
                continue
            written.add(key)
            element_pos, component = pos
            composite = [str(element_pos), str(component) if component else None,
                         str(i.repetition) if i.repetition else None]
            ref = i.element_ref or _element_ref(t.set_id, raw_sid, element_pos, component)
            w.write(["IK4", composite, clean(ref, 4) or None, code,
                     _bad_copy(i.bad_value, code, clean)])
            if code in _SITUATIONAL_ELEMENT and i.trigger:
                _write_trigger(w, t, i.trigger)


def _order(element, sid):
    pos = _position(element or "", sid) if element else None
    return (pos[0], pos[1] or 0) if pos else (99, 0)


def _loop_id(loop):
    """IK303/CTX04: data element 447 is AN 1/4 in 005010, so a loop id is written when
    it fits (2300, 2320, 2400, ...). The 837P's longer ids (2000A, 2010AA, 1000A) cannot
    be written without making the 999 itself invalid; IK303 is situational, so it is
    left empty for them."""
    return loop if loop and re.fullmatch(r"[A-Z0-9]{1,4}", loop) else None


def _write_trigger(w, t, trigger):
    sid, index, loop, *element = trigger
    seg = ["CTX", ["SITUATIONAL TRIGGER"], sid, str(index - t.segment_index + 1), _loop_id(loop)]
    if element and element[0]:
        pos = _position(element[0], sid)
        if pos:
            seg.append([str(pos[0]), str(pos[1]) if pos[1] else None])
            ref = element[1] if len(element) > 1 and element[1] else \
                _element_ref(t.set_id, sid, *pos)
            if ref:
                seg.append([ref])
    w.write(seg)


def _bad_copy(value, code, clean):
    """IK404: a copy of the bad element, only when there is one (not for a missing
    element) and it can be copied exactly (no delimiter in it, at most 99 characters)."""
    if code in ("1", "2", "I9") or value is None:
        return None
    text = str(value)
    return text if clean.copyable(text) and len(text) <= 99 else None


def _position(element: str, sid: str):
    if not element.startswith(sid):
        return None
    rest = element[len(sid):]
    m = re.fullmatch(r"(\d{2})(?:-(\d{1,2}))?", rest)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


# IK402 data element reference numbers, read from pyx12's map of the acknowledged
# implementation guide (the same numbers the TR3 prints beside each element).
_MAPS = {"837": "837.5010.X222.A1.xml", "835": "835.5010.X221.A1.xml"}


@lru_cache(maxsize=None)
def _element_refs(set_id: str) -> dict:
    refs: dict[str, str] = {}
    name = _MAPS.get(set_id)
    if not name:
        return refs
    try:
        from importlib.resources import files
        import xml.etree.ElementTree as ET
        root = ET.parse(str(files("pyx12") / "map" / name)).getroot()
    except Exception:  # pragma: no cover - pyx12 is a dependency
        return refs
    for el in root.iter("element"):
        xid, ref = el.get("xid"), el.findtext("data_ele")
        if xid and ref and xid not in refs:
            refs[xid] = ref
    return refs


def _element_ref(set_id, sid, pos, component=None):
    xid = f"{sid}{pos:02d}" + (f"-{component:02d}" if component else "")
    return _element_refs(set_id).get(xid)


def write_ta1(report, stream=None, *, control_number: int = 1, now: datetime | None = None,
              delimiters: Delimiters = Delimiters(), line_break: bool = True,
              sender: tuple[str, str] | None = None, receiver: tuple[str, str] | None = None):
    """Write a TA1 for every interchange of `report`. Returns bytes when stream is None."""
    interchanges = [ic for ic in report.interchanges if ic.control_number]
    if not interchanges:
        raise X12Error("nothing to acknowledge with a TA1: the file has no ISA interchange header",
                       file=report.file)
    now = now or datetime.now()
    clean = _Clean(delimiters)
    w = _writer(stream, delimiters, line_break)
    for k, ic in enumerate(interchanges):
        _begin(w, ic, clean, control_number + k, now, sender, receiver)
        warnings = [i for i in report.issues if i.severity == "warning" and i.code in _TA1
                    and i.interchange_control == ic.control_number]
        if not ic.accepted:
            status, note = "R", ic.note_code
        elif warnings:
            status, note = "E", ta1_note_code(warnings[0])
        else:
            status, note = "A", "000"
        date_ = ic.date if re.fullmatch(r"\d{6}", ic.date) else now.strftime("%y%m%d")
        time_ = ic.time if re.fullmatch(r"\d{4}", ic.time) else now.strftime("%H%M")
        control = ic.control_number if re.fullmatch(r"\d{9}", ic.control_number) else \
            (clean(ic.control_number, 9).zfill(9) if clean(ic.control_number).isdigit() else "000000000")
        w.write(["TA1", control, date_, time_, status, note])
        w.end_interchange()
    return _finish(w, stream)
