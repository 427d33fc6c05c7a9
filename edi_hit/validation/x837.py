# Levels 3 and 4 for an 837P transaction set, straight from its segments.
#
# Strategy: one pass, one small state: the HL tree seen so far, the subscriber in
# force (SBR09, MBI, birth date), the claim being read (CLM and its LX/SV1/DTP
# lines) and the (beneficiary, code, day) keys already billed. A claim ends at the
# next CLM, HL or SE; then its cross-field checks run and its span is recorded, so
# memory is one claim whatever the file size. Nothing here needs the claim model:
# the checks are about what the segments say, so they also work on files the 837P
# reader would refuse.
#
#   level 3: HL ids sequential and parents valid (HL03 20 > 22 > 23, HL04 child codes),
#            CLM02 = sum of SV102, dates real (D8/RD8, DMG02, BHT04), ranges ordered,
#            service and birth dates not in the future, line dates not before birth.
#   level 4: every NPI (NM108 XX) passes its check digit; the MBI (NM1*IL, NM108 MI,
#            SBR09 MB) has the CMS format; on HIT claims the pricer's own rules
#            (edi_hit.pricing.rules, in the Medicare HIT profile's order) that need
#            nothing but the file: code valid on the date and billed to the A/B MAC
#            (E1, E11), home place of service (E2, conventions C2), whole units (E9),
#            one day a line (E8) on each line; then, when the transaction set ends,
#            one payment per category per day (E6, E7) and the initial-visit gap (E5)
#            over the lines that passed, beneficiary by beneficiary in the pricer's
#            order (claims by first date of service, lines by date), with the file's
#            own lines as the visit history. A replacement or void (CLM05-3 7, 8) is
#            checked line by line only: its visit edits depend on the original the
#            payer holds. Supplier enrolment (E3), the DME drug (E4) and the rate (E12)
#            need inputs a file does not carry: `price` runs them.
#            Memory for these: one small record per HIT line that passed.
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from collections.abc import Callable
from typing import NamedTuple

from edi_hit.pricing.conventions import load_conventions
from edi_hit.pricing.history import BeneficiaryHistory, Visit
from edi_hit.pricing.profile import LINE, VISITS, medicare_hit
from edi_hit.pricing.rules import LineView, Tables
from edi_hit.x12.delimiters import Delimiters

from .hit import FINDINGS, mbi_problem
from .report import ClaimResult
from .visits import SPILL_AT, VisitQueue
from .syntax import parse_date8

__all__ = ["Checker837", "parse_amount"]

_AMOUNT = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_HL_PARENT_LEVEL = {"20": None, "22": "20", "23": "22"}


def parse_amount(text: str) -> Decimal | None:
    """An X12 R value as a Decimal, or None when it is not one."""
    text = text.strip()
    if len(text) > 18 or not _AMOUNT.fullmatch(text):
        return None
    return Decimal(text)


def _el(seg, n):
    return seg[n] if len(seg) > n else ""


@dataclass
class _Line:
    index: int
    number: str
    code: str = ""
    modifiers: tuple[str, ...] = ()
    charge: Decimal | None = None
    units: str = ""
    pos: str = ""
    start: date | None = None
    end: date | None = None
    date_index: int | None = None
    last_index: int = 0   # its last segment


@dataclass
class _Claim:
    result: ClaimResult
    charge: Decimal | None
    charge_text: str
    pos: str
    member: str
    medicare: bool
    birth: date | None
    lines: list[_Line] = field(default_factory=list)
    admission: date | None = None
    discharge: date | None = None
    discharge_index: int | None = None
    frequency: str = "1"   # CLM05-3: 7 replaces, 8 voids an earlier claim


class _ClaimRef(NamedTuple):
    """What a level-4 finding names of its claim: kept per queued visit instead of the
    whole claim (the visit queue pickles it when it spills)."""
    member: str
    claim_id: str
    segment_index: int
    pos: str


@dataclass(slots=True)
class _LineRef:
    """What a level-4 finding names of its line: kept per queued visit instead of the
    whole _Line (its charge, dates and modifiers are in the LineView beside it)."""
    index: int
    number: str
    code: str
    pos: str
    units: str
    date_index: int | None


class HlLevels:
    """HL01 -> HL03 of one transaction set, in about a byte per HL: ids that count 1, 2,
    3 ... (as they must) index a bytearray of level codes; any other id, and any level
    past the 255th distinct one, goes to a dict. A set of 100,000 claims would otherwise
    keep two strings and a dict entry per HL to the end of the set."""

    __slots__ = ("_seq", "_codes", "_levels", "_other")

    def __init__(self) -> None:
        self._seq = bytearray()           # level code (1-based) of HL id k + 1
        self._codes: dict[str, int] = {}
        self._levels: list[str] = []
        self._other: dict[str, str] = {}

    def get(self, hid: str) -> str | None:
        if hid.isdecimal() and hid.isascii() and hid[0] != "0":
            k = int(hid) - 1
            if k < len(self._seq):
                return self._levels[self._seq[k] - 1]
        return self._other.get(hid)

    def add(self, hid: str, level: str) -> None:
        """A new id (get(hid) is None)."""
        code = self._codes.get(level)
        if code is None and len(self._levels) < 255:
            self._levels.append(level)
            code = self._codes[level] = len(self._levels)
        if code is not None and hid == str(len(self._seq) + 1):
            self._seq.append(code)
        else:
            self._other[hid] = level


class Checker837:
    """Feed it the segments between ST and SE; call finish() at SE.

    codes: the HIT code table (None: no HIT edits); conventions: as for the pricer (None:
    the shipped defaults), whose POS set and denial codes the HIT edits use; home_pos,
    when given, replaces that POS set."""

    def __init__(self, add, *, tx, levels, today: date, hit_mode: str = "auto", codes=None,
                 home_pos=None, conventions=None, spill_at: int | None = None):
        self.add = add            # add(severity, code, message, index, seg_id, element, level=, ...)
        self.tx = tx              # TransactionResult: claims are appended to it
        self.levels = levels
        self.today = today
        self.hit_mode = hit_mode
        self.codes = codes
        conv = load_conventions(conventions)
        if codes is not None and home_pos is not None and frozenset(home_pos) != conv.accepted_pos:
            conv = conv.merged({"accepted_place_of_service": sorted(home_pos)}, "home_pos")
        self.conv = conv
        self.tables = Tables(codes, conv) if codes is not None else None
        profile = medicare_hit(self.tables) if self.tables is not None else None
        self.line_rules = profile.reading(LINE) if profile else ()
        self.visit_rules = profile.reading(VISITS) if profile else ()
        self.visits = VisitQueue(spill_at or SPILL_AT)
        # segment id -> bound handler, None for the ids without one
        self._handlers: dict[str, Callable[[list[str], int], None] | None] = {}   # HIT lines that passed the line rules (E6/E5 at SE)
        self.claims_seen = 0
        self.delims: Delimiters | None = None   # the reader's, set by validate()
        self.hl = HlLevels()                # HL01 -> HL03
        self.hl_count = 0
        self.prev_hl: tuple[str, str, int] | None = None   # (id, HL04, index)
        self.sbr09 = ""
        self.member = ""
        self.birth: date | None = None
        self.claim: _Claim | None = None
        self.line: _Line | None = None

    # -- dispatch ------------------------------------------------------------
    def feed(self, seg: list[str], index: int) -> None:
        sid = seg[0]
        try:
            handler = self._handlers[sid]
        except KeyError:   # the handler of a segment id, looked up once
            handler = self._handlers[sid] = getattr(self, "_" + sid.lower(), None)
        if handler is not None:
            handler(seg, index)

    def finish(self, index: int) -> None:
        self._end_claim(index - 1)
        self._visit_edits()
        if self.prev_hl and self.prev_hl[1] == "1" and 3 in self.levels:
            self.add("warning", "hl-child",
                     f"HL {self.prev_hl[0]} says it has children (HL04 1) but none follow",
                     self.prev_hl[2], "HL", "HL04", level=3)

    # -- level 3: HL tree ------------------------------------------------------
    def _hl(self, seg, index):
        self._end_claim(index - 1)
        self.line = None
        if 3 not in self.levels:
            return
        hid, parent, level, child = _el(seg, 1), _el(seg, 2), _el(seg, 3), _el(seg, 4)
        self.hl_count += 1
        if hid != str(self.hl_count):
            self.add("error", "hl-id", f"HL01 is {hid!r}; HL ids must count 1, 2, 3 ... "
                     f"(expected {self.hl_count})", index, "HL", "HL01", level=3,
                     element_error="I12", bad_value=hid)
        hl = self.hl
        known = hl.get(hid)
        if known is not None:
            self.add("error", "hl-id", f"HL01 {hid!r} is used twice in this transaction set",
                     index, "HL", "HL01", level=3, element_error="I12", bad_value=hid)
        wanted = _HL_PARENT_LEVEL.get(level, "?")
        if parent:
            parent_level = hl.get(parent)
            if parent_level is None:
                self.add("error", "hl-parent",
                         f"HL02 parent {parent!r} is not an earlier HL of this transaction set",
                         index, "HL", "HL02", level=3, element_error="I12", bad_value=parent)
            elif wanted not in (None, "?") and parent_level != wanted:
                self.add("error", "hl-parent",
                         f"an HL level {level} must have a level {wanted} parent, but HL "
                         f"{parent} is level {parent_level}", index, "HL", "HL02", level=3,
                         element_error="I12", bad_value=parent)
        elif wanted not in (None, "?"):
            self.add("error", "hl-parent", f"an HL level {level} needs a parent in HL02",
                     index, "HL", "HL02", level=3, element_error="1")
        if self.prev_hl:
            pid, pchild, pindex = self.prev_hl
            if pchild == "0" and parent == pid:
                self.add("error", "hl-child",
                         f"HL {pid} says it has no children (HL04 0) but HL {hid} names it as parent",
                         index, "HL", "HL02", level=3, element_error="I12", bad_value=parent)
            elif pchild == "1" and parent != pid:
                self.add("warning", "hl-child",
                         f"HL {pid} says it has children (HL04 1) but the next HL's parent is "
                         f"{parent or 'empty'}", pindex, "HL", "HL04", level=3, element_error="I12",
                         bad_value=pchild)
        if known is None:
            hl.add(hid, level)
        self.prev_hl = (hid, child, index)
        if level == "22":
            self.sbr09 = ""
            self.member = ""
            self.birth = None

    def _sbr(self, seg, index):
        self.sbr09 = _el(seg, 9)

    def _nm1(self, seg, index):
        if _el(seg, 1) == "IL":
            self.member = _el(seg, 9)
            if 4 in self.levels and _el(seg, 8) == "MI" and self.sbr09 == "MB":
                problem = mbi_problem(self.member)
                if problem:
                    self.add("error", "mbi-format", problem, index, "NM1", "NM109", level=4,
                             element_error="I12", bad_value=self.member, element_ref="67")

    def _dmg(self, seg, index):
        if _el(seg, 1) == "D8" and 3 in self.levels:
            born = self._date(seg, 2, index, future="error")
            if born is not None:
                self.birth = born

    def _bht(self, seg, index):
        if 3 in self.levels:
            self._date(seg, 4, index, future="warning")

    # -- claims ---------------------------------------------------------------
    def _clm(self, seg, index):
        self._end_claim(index - 1)
        pcn = _el(seg, 1)
        clm05 = _el(seg, 5).split(self.delims.component) if self.delims else [_el(seg, 5)]
        pos = clm05[0]
        result = ClaimResult(pcn, index, index)
        self.tx.claims.append(result)
        charge = parse_amount(_el(seg, 2))
        if charge is None and 3 in self.levels:
            self.add("error", "amount-invalid", f"CLM02 {_el(seg, 2)!r} is not an amount",
                     index, "CLM", "CLM02", level=3, claim=pcn, element_error="6",
                     bad_value=_el(seg, 2), element_ref="782")
        self.claim = _Claim(result, charge, _el(seg, 2), pos, self.member,
                            self.sbr09 == "MB", self.birth,
                            frequency=clm05[2] if len(clm05) > 2 and clm05[2] else "1")
        self.line = None

    def _lx(self, seg, index):
        if self.line is not None:
            self.line.last_index = index - 1
        if self.claim is not None:
            self.line = _Line(index, _el(seg, 1))
            self.claim.lines.append(self.line)

    def _sv1(self, seg, index):
        line, claim = self.line, self.claim
        if line is None or claim is None:
            return
        comp = self.delims.component if self.delims is not None else ":"
        proc = _el(seg, 1).split(comp)
        line.code = proc[1] if len(proc) > 1 else ""
        line.modifiers = tuple(m for m in proc[2:6] if m)
        line.charge = parse_amount(_el(seg, 2))
        if line.charge is None and 3 in self.levels:
            self.add("error", "amount-invalid", f"SV102 {_el(seg, 2)!r} is not an amount",
                     index, "SV1", "SV102", level=3, claim=claim.result.claim_id,
                     element_error="6" if _el(seg, 2) else "1", bad_value=_el(seg, 2),
                     element_ref="782")
        line.units = _el(seg, 4)
        line.pos = _el(seg, 5)
        line.index = index

    def _dtp(self, seg, index):
        if 3 not in self.levels and 4 not in self.levels:
            return
        qual = _el(seg, 1)
        start, end = self._date_or_range(seg, index, future="error" if qual == "472" else None)
        if self.line is not None and qual == "472":
            self.line.start, self.line.end, self.line.date_index = start, end, index
        elif self.claim is not None and self.line is None:
            if qual == "435":
                self.claim.admission = start
            elif qual == "096":
                self.claim.discharge, self.claim.discharge_index = start, index

    def _end_claim(self, last_index: int) -> None:
        claim = self.claim
        if claim is None:
            return
        self.claim = None
        self.line = None
        claim.result.end_index = max(last_index, claim.result.segment_index)
        if claim.lines:
            claim.lines[-1].last_index = max(last_index, claim.lines[-1].index)
        pcn = claim.result.claim_id
        cl = claim.result.segment_index
        if 3 in self.levels:
            charges = [ln.charge for ln in claim.lines if ln.charge is not None]
            if claim.charge is not None and claim.lines and len(charges) == len(claim.lines):
                total = sum(charges, Decimal(0))
                if total != claim.charge:
                    self.add("error", "claim-total",
                             f"claim {pcn}: CLM02 {claim.charge_text} is not the sum of its "
                             f"{len(charges)} SV102 line charges ({total})", cl, "CLM", "CLM02",
                             level=3, claim=pcn, element_error="I12", bad_value=claim.charge_text,
                             element_ref="782")
            if claim.admission and claim.discharge and claim.discharge < claim.admission:
                self.add("error", "date-order", f"claim {pcn}: discharge date "
                         f"{claim.discharge} is before admission date {claim.admission}",
                         claim.discharge_index, "DTP", "DTP03", level=3, claim=pcn,
                         element_error="I12", element_ref="1251")
            for ln in claim.lines:
                if ln.date_index is None and ln.code:
                    # 2400 DTP*472 is a required segment (X222A1): IK304 3, reported
                    # where its absence shows, the segment after the line (as pyx12 does).
                    self.add("error", "line-date-missing",
                             f"claim {pcn} line {ln.number}: no service date (DTP*472)",
                             max(ln.last_index, ln.index) + 1, "DTP", None, level=3, claim=pcn,
                             segment_error="3", loop="2400")
                if ln.start and claim.birth and ln.start < claim.birth:
                    self.add("error", "date-before-birth",
                             f"claim {pcn} line {ln.number}: service date {ln.start} is before "
                             f"the birth date {claim.birth}", ln.date_index, "DTP", "DTP03",
                             level=3, claim=pcn, element_error="8")
        if 4 in self.levels:
            self._hit_edits(claim)

    # -- level 4: HIT edits --------------------------------------------------
    def _hit_edits(self, claim: _Claim) -> None:
        if self.hit_mode == "none" or self.tables is None:
            return
        codes = self.codes
        is_hit = self.hit_mode == "all" or any(codes.hit_code_known(ln.code) for ln in claim.lines)
        if not is_hit:
            return
        self.claims_seen += 1
        days = [ln.start for ln in claim.lines if ln.start]
        order = (min(days) if days else date.max, self.claims_seen)  # the pricer's claim order
        ref = _ClaimRef(claim.member, claim.result.claim_id, claim.result.segment_index, claim.pos)
        for n, ln in enumerate(claim.lines):
            if not ln.code or ln.start is None:
                continue   # no code, no date: level 3 says so
            view = self._view(claim, ln, n)
            hit_line = (self.hit_mode == "all" or codes.hit_code_known(ln.code)
                        or ln.code.upper().startswith("G"))
            rules = self.line_rules if hit_line else self.line_rules[:1]
            passed, hit = True, None
            for rule in rules:
                d = rule.check(view, hit, (), self.tables)
                if not d.passed:
                    self._report(d, ref, ln, "error" if hit_line else "warning")
                    passed = False
                elif hit is None and d.value is not None:
                    hit = d.value
            if passed and hit is not None and claim.frequency not in ("7", "8"):
                line = _LineRef(ln.index, ln.number, ln.code, ln.pos, ln.units, ln.date_index)
                self.visits.append((claim.member, order, (ln.start, n)), (view, hit, ref, line))

    def _visit_edits(self) -> None:
        """E6/E7 and E5 over the HIT lines that passed, per beneficiary, in the pricer's
        order, the lines found before being the visit history of the later ones."""
        t = self.tables
        bh = None   # the queue is in member order: one beneficiary's history at a time
        for view, hit, claim, ln in self.visits.drain():
            if bh is None or bh.mbi != claim.member:
                bh = BeneficiaryHistory(claim.member)
            for rule in self.visit_rules:   # the VISITS reading: every rule has a window
                assert rule.window is not None
                found = rule.window(view, hit, bh, t)
                d = rule.check(view, hit, found or (), t)
                if not d.passed:
                    self._report(d, claim, ln, "error")
                    break
            else:
                bh.add_visit(Visit(claim.member, view.day, hit.category, hit.code, view.npi,
                                   view.charge, claim.claim_id, view.line_number))

    def _view(self, claim: _Claim, ln: _Line, n: int) -> LineView:
        units = parse_amount(ln.units) if ln.units else None
        return LineView(claim.member, ln.start, ln.code.upper(), ln.charge or Decimal(0), units,
                        ln.pos or claim.pos or None, "SV105" if ln.pos else "CLM05-1", "",
                        int(ln.number) if ln.number.isdigit() else n + 1, ln.modifiers, ln.end)

    def _report(self, d, claim: _ClaimRef, ln: _Line | _LineRef, severity: str) -> None:
        """A denying decision of a HIT rule as a level-4 finding (hit.FINDINGS)."""
        pcn = claim.claim_id
        e = self.conv.edit(d.edit)
        payer = " ".join([f"{e.group}-{e.reason}", *e.remarks])
        message = f"claim {pcn} line {ln.number}: {d.trace} (payer: {payer})"
        code, where, element_error = FINDINGS[d.edit]
        if severity == "warning":
            self.add("warning", "hit-other-code", message, ln.index, "SV1", "SV101-2", level=4,
                     claim=pcn, bad_value=ln.code)
            return
        if where == "pos":
            on_line = bool(ln.pos)
            self.add("error", code, message, ln.index if on_line else claim.segment_index,
                     "SV1" if on_line else "CLM", "SV105" if on_line else "CLM05-1", level=4,
                     claim=pcn, element_error=element_error, bad_value=ln.pos or claim.pos or None,
                     element_ref="1331")
        elif where == "units":
            self.add("error", code, message, ln.index, "SV1", "SV104", level=4, claim=pcn,
                     element_error=element_error if ln.units else "1",
                     bad_value=ln.units or None, element_ref="380")
        elif where == "dates":
            self.add("error", code, message, ln.date_index, "DTP", "DTP03", level=4, claim=pcn,
                     element_error=element_error)
        else:
            self.add("error", code, message, ln.index, "SV1", "SV101-2", level=4, claim=pcn,
                     element_error=element_error, bad_value=ln.code,
                     **({"element_ref": "234"} if element_error == "7" else {}))

    # -- dates -----------------------------------------------------------------
    def _date(self, seg, n, index, *, future=None) -> date | None:
        text = _el(seg, n)
        if not text:
            return None
        day = parse_date8(text)
        sid = seg[0]
        if day is None:
            self.add("error", "date-invalid", f"{sid}{n:02d} {text!r} is not a real CCYYMMDD date",
                     index, sid, f"{sid}{n:02d}", level=3, element_error="8", bad_value=text,
                     claim=self.claim.result.claim_id if self.claim else None)
        elif future and day > self.today:
            self.add(future, "date-future", f"{sid}{n:02d} {day} is in the future "
                     f"(today is {self.today})", index, sid, f"{sid}{n:02d}", level=3,
                     element_error="8", bad_value=text,
                     claim=self.claim.result.claim_id if self.claim else None)
        return day

    def _date_or_range(self, seg, index, *, future=None):
        fmt, text = _el(seg, 2), _el(seg, 3)
        claim = self.claim.result.claim_id if self.claim else None
        if fmt == "D8":
            return (d := self._date(seg, 3, index, future=future)), d
        if fmt == "RD8":
            parts = text.split("-")
            days = [d for d in map(parse_date8, parts) if d is not None]
            if len(parts) != 2 or len(days) != 2:
                self.add("error", "date-invalid",
                         f"DTP03 {text!r} is not a CCYYMMDD-CCYYMMDD range of real dates",
                         index, "DTP", "DTP03", level=3, element_error="8", bad_value=text,
                         claim=claim)
                return None, None
            start, end = days
            if end < start:
                self.add("error", "date-order", f"DTP03 range {text} ends before it starts",
                         index, "DTP", "DTP03", level=3, element_error="8", bad_value=text,
                         claim=claim)
            if future and end > self.today:
                self.add(future, "date-future", f"DTP03 {text} ends in the future "
                         f"(today is {self.today})", index, "DTP", "DTP03", level=3,
                         element_error="8", bad_value=text, claim=claim)
            return start, end
        return None, None
