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

from ..errors import X12Error
from ..x12 import Delimiters, SegmentWriter

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


class _Clean:
    """Values copied from the input must not carry the response's delimiters."""

    def __init__(self, delimiters: Delimiters):
        bad = set(delimiters.chars())
        self._table = {ord(c): " " for c in bad}

    def __call__(self, value, limit=None) -> str:
        text = "" if value is None else str(value)
        text = "".join(c if " " <= c <= "~" else " " for c in text).translate(self._table)
        text = text.strip()
        return text[:limit] if limit else text


def _writer(stream, delimiters, line_break):
    return SegmentWriter(stream, delimiters, line_break=line_break)


def _finish(writer, stream):
    writer.flush()
    return writer.getvalue() if stream is None else None


def _begin(writer, ic, clean, control, now, sender, receiver):
    s_q, s_id = sender or (ic.receiver_qualifier or "ZZ", ic.receiver_id)
    r_q, r_id = receiver or (ic.sender_qualifier or "ZZ", ic.sender_id)
    writer.begin_interchange(clean(s_q, 2) or "ZZ", clean(s_id, 15) or "UNKNOWN",
                             clean(r_q, 2) or "ZZ", clean(r_id, 15) or "UNKNOWN", control,
                             now=now, usage=ic.usage if ic.usage in ("P", "T") else "P")


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
        if segment_errors and not t.accepted:
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
    declared = g.declared_sets if g.declared_sets is not None else received
    w.write(["AK9", status, str(declared), str(received), str(accepted), *group_codes[:5]])


def _ik3_loops(w, t, issues, clean):
    by_segment: dict[int, list] = {}
    for i in issues:
        by_segment.setdefault(i.segment_index, []).append(i)
    for index in sorted(by_segment):
        items = by_segment[index]
        sid = items[0].segment_id or ""
        sid = sid if re.fullmatch(r"[A-Z0-9]{2,3}", sid) else (clean(sid, 3).upper() or "UNK")
        seg_code = next((i.segment_error for i in items if i.segment_error), None)
        elements = [i for i in items if i.element]
        if seg_code is None:
            seg_code = "8"
        w.write(["IK3", sid, str(index - t.segment_index + 1), None, seg_code])
        claim = next((i.claim for i in items if i.claim), None)
        if claim and t.set_id == "837":
            w.write(["CTX", ["CLM01", clean(claim, 35) or "UNKNOWN"]])
        written = set()
        for i in elements:
            pos = _position(i.element, sid)
            key = (pos, i.element_error, i.bad_value)
            if pos is None or key in written:
                continue
            written.add(key)
            element_pos, component = pos
            composite = [str(element_pos), str(component) if component else None,
                         str(i.repetition) if i.repetition else None]
            w.write(["IK4", composite, clean(i.element_ref, 4) or None,
                     i.element_error or "I12", clean(i.bad_value, 99) or None])


def _position(element: str, sid: str):
    if not element.startswith(sid):
        return None
    rest = element[len(sid):]
    m = re.fullmatch(r"(\d{2})(?:-(\d{1,2}))?", rest)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


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
