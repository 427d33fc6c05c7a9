# Streaming 837P reader: segments in, Claim objects out, one claim at a time.
#
# Strategy: a loop state machine driven by one dispatch table. The table is compiled
# once from the loop declaration in loops.py: TABLES[current loop][segment id] is
# either (handler, next loop) or, for NM1, a dict keyed by NM101 whose None entry is
# the fallback. HL, CLM, SE ... are just entries like any other. A handler fills the
# object of its loop (claim, line, party ...) straight from the element list: no
# regex, no per-segment logging, Decimals and dates parsed directly (with a small
# cache, since amounts and dates repeat). Segments the model does not name are kept
# as RawSegment in the loop they were read in. A claim is handed out when the next
# CLM, HL or SE shows it is complete; context objects (billing provider, subscriber,
# patient, payer, submitter, receiver, envelope) are shared by the claims under them.
#
# Bad data raises X12Error naming file, segment number, segment id, element, what was
# expected and what was found. Versions 005010X222 and 005010X222A2 are read with a
# warning Finding; other versions are refused.
#
# errors="reject" (partial acceptance) runs the same table in a second loop that
# catches a handler's refusal per segment and hands it to _Rejecting: inside a claim
# the claim becomes a RejectedClaim and the reader skips to the next CLM, HL or
# envelope segment; outside a claim the refusal "taints" its unit (HL level,
# transaction set, group, interchange) and every claim opened under the taint is
# rejected with it. Envelope segments also go to an EnvelopeTracker (through
# x12.envelope.TransactionSets), so a wrong SE01/SE02 or a missing SE rejects every
# claim of its set. When the source can be read twice, the envelope pre-check
# (x12.prescan) gives each set's verdict before the set is read, and claims stream out
# as they complete, already rejected when their set is broken; the reader checks at
# each set's end that its own verdict is the same. Otherwise (a pipe) a set's claims
# are held until it ends, with the cyclic GC paused meanwhile (see _gc_pause): holding
# claims otherwise costs more than parsing them.
from __future__ import annotations

import gc
import threading
from datetime import date
from decimal import Decimal
from typing import Iterator

from ..claims import (Address, BillingProvider, Claim, Contact, Diagnosis, DrugIdentification,
                      Dtp, Envelope, Note, Party, Patient, Payer, RawSegment, Ref, RejectedClaim,
                      ServiceLine, Subscriber)
from ..errors import Finding, X12Error, format_location
from ..x12 import SegmentReader
from ..x12.envelope import EnvelopeTracker, TransactionSets
from ..x12.prescan import check_transaction_sets, rereadable
from .loops import HL_LOOPS, LOOPS, reachable

__all__ = ["read_837p", "ClaimReader", "RejectLog", "VERSION", "TOLERATED_VERSIONS"]

VERSION = "005010X222A1"
TOLERATED_VERSIONS = frozenset({"005010X222", "005010X222A2"})

_PAD = [""] * 24


class _Bad(Exception):
    """Raised by handlers; the reader adds the position and re-raises as X12Error."""

    def __init__(self, element, expected, got, message="bad value"):
        self.element, self.expected, self.got, self.message = element, expected, got, message


# -- value parsers (cached) ----------------------------------------------------

_DEC: dict[str, Decimal] = {}
_DATE: dict[str, date] = {}
_PTR: dict[str, tuple[int, ...]] = {}


def _decimal(text: str, element: str) -> Decimal:
    d = _DEC.get(text)
    if d is not None:
        return d
    body = text[1:] if text[:1] == "-" else text
    digits = body.replace(".", "", 1)
    if not digits or not digits.isascii() or not digits.isdigit():
        raise _Bad(element, "a decimal amount", text)
    d = Decimal(text)
    if len(_DEC) > 20000:
        _DEC.clear()
    _DEC[text] = d
    return d


def _date8(text: str, element: str) -> date:
    d = _DATE.get(text)
    if d is not None:
        return d
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise _Bad(element, "a date CCYYMMDD", text)
    try:
        d = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise _Bad(element, "a real calendar date CCYYMMDD", text) from None
    if len(_DATE) > 20000:
        _DATE.clear()
    _DATE[text] = d
    return d


def _pointers(text: str, comp: str) -> list[int]:
    p = _PTR.get(text)
    if p is None:
        parts = text.split(comp)
        for x in parts:
            if not (x.isascii() and x.isdigit()):
                raise _Bad("SV107", "diagnosis pointers 1-12 separated by " + repr(comp), text)
        p = tuple(int(x) for x in parts)
        _PTR[text] = p
    return list(p)


def _trim(items: list[str]) -> list[str]:
    while items and not items[-1]:
        items.pop()
    return items


def _unused(obj, e, seg_id, positions):
    for i in positions:
        if e[i]:
            obj.unused[f"{seg_id}{i:02d}"] = e[i]


class _State:
    """Mutable reading state; handlers are plain functions taking it first."""

    __slots__ = ("comp", "isa", "gs", "envelope", "submitter", "receiver", "billing",
                 "subscriber", "patient", "payer", "claim", "line", "cur", "other",
                 "ready", "findings", "name", "index")

    def __init__(self, name):
        self.comp = ":"
        self.isa = self.gs = None
        self.envelope = self.submitter = self.receiver = None
        self.billing = self.subscriber = self.patient = self.payer = None
        self.claim = self.line = None
        self.cur = None
        self.other = []
        self.ready = []
        self.findings = []
        self.name = name
        self.index = 0

    def finish(self):
        if self.claim is not None:
            self.ready.append(self.claim)
            self.claim = None
            self.line = None


def _raw(st, seg, loop):
    comp = st.comp
    els = [seg[0]]
    for x in seg[1:]:
        if comp in x:
            els.append(_trim(x.split(comp)))
        else:
            els.append(x)
    _trim(els)
    st.other.append(RawSegment(loop, els))


def _raw_claim(st, seg, loop):
    """Open a raw loop under the claim (2320, 2330x)."""
    if st.claim is None:
        raise _Bad(None, "a CLM before this segment", seg[0], "segment outside a claim")
    st.cur = st.claim
    st.other = st.claim.other
    _raw(st, seg, loop)


def _raw_line(st, seg, loop):
    """Open a raw loop under the service line (2430, 2440)."""
    st.cur = st.line
    st.other = st.line.other
    _raw(st, seg, loop)


# -- envelope --------------------------------------------------------------------

def _isa(st, seg, loop):
    st.finish()
    if len(seg) < 17:
        raise _Bad("ISA16", "16 ISA elements", str(len(seg) - 1))
    st.isa = [x.strip() for x in seg]
    st.comp = seg[16][:1] or ":"
    st.gs = None
    return "ENV"


def _check_version(st, value, element):
    if value == VERSION:
        return
    if value in TOLERATED_VERSIONS:
        st.findings.append(Finding(
            "warning", "version", f"{element} is {value}, not {VERSION}; read as {VERSION}",
            file=st.name, segment_index=st.index, segment_id=element[:2], element=element))
        return
    raise _Bad(element, f"an 837P version {VERSION}", value, "not an 837P 005010X222A1 file")


def _gs(st, seg, loop):
    st.finish()
    e = seg + _PAD
    if e[1] != "HC":
        raise _Bad("GS01", "'HC' (health care claim)", e[1], "not a claim functional group")
    _check_version(st, e[8], "GS08")
    st.gs = e
    return "ENV"


def _st(st, seg, loop):
    st.finish()
    e = seg + _PAD
    if e[1] != "837":
        raise _Bad("ST01", "'837'", e[1], "not an 837 transaction set")
    if e[3]:
        _check_version(st, e[3], "ST03")
    i = (st.isa or []) + _PAD
    g = st.gs or _PAD
    st.envelope = Envelope(
        sender_qualifier=i[5] or None, sender_id=i[6] or None, receiver_qualifier=i[7] or None,
        receiver_id=i[8] or None, interchange_date=_isa_date(i[9]), interchange_time=i[10] or None,
        interchange_version=i[12] or None, interchange_control_number=i[13] or None,
        ack_requested=i[14] or None, usage_indicator=i[15] or None,
        authorization_qualifier=i[1] or None, authorization=i[2] or None,
        security_qualifier=i[3] or None, security=i[4] or None,
        functional_id=g[1] or None, application_sender=g[2] or None,
        application_receiver=g[3] or None,
        group_date=_date8(g[4], "GS04") if g[4] else None, group_time=g[5] or None,
        group_control_number=g[6] or None, agency=g[7] or None, version=g[8] or None,
        transaction_set_id=e[1], transaction_control_number=e[2] or None,
        implementation_reference=e[3] or None)
    st.submitter = st.receiver = None
    st.billing = st.subscriber = st.patient = st.payer = None
    st.cur = st.envelope
    st.other = st.envelope.other
    return "HEADER"


def _isa_date(text):
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        return None
    yy = int(text[:2])
    try:
        return date((1900 if yy >= 70 else 2000) + yy, int(text[2:4]), int(text[4:]))
    except ValueError:
        raise _Bad("ISA09", "a date YYMMDD", text) from None


def _se(st, seg, loop):
    st.finish()
    st.envelope = None
    st.other = []
    return "ENV"


def _bht(st, seg, loop):
    env = st.envelope
    e = seg + _PAD
    env.bht_structure = e[1] or None
    env.bht_purpose = e[2] or None
    env.bht_reference = e[3] or None
    env.bht_date = _date8(e[4], "BHT04") if e[4] else None
    env.bht_time = e[5] or None
    env.bht_type = e[6] or None
    if len(seg) > 7:
        _raw(st, ["BHT", "", "", "", "", "", "", *seg[7:]], loop)


# -- shared segment readers --------------------------------------------------------

def _nm1_into(obj, e, name_attr):
    """NM102..NM109 into an object with the usual name fields."""
    obj.entity_type = e[2] or None
    setattr(obj, name_attr, e[3] or None)
    obj.first_name = e[4] or None
    obj.middle_name = e[5] or None
    obj.prefix = e[6] or None
    obj.suffix = e[7] or None


def _party(st, seg, loop):
    e = seg + _PAD
    p = Party(loop, e[1] or None, e[2] or None, e[3] or None, e[4] or None, e[5] or None,
              e[6] or None, e[7] or None, e[8] or None, e[9] or None)
    if len(seg) > 10:
        _unused(p, e, "NM1", (10, 11, 12))
    st.cur = p
    st.other = p.other
    return p


def _submitter(st, seg, loop):
    st.submitter = _party(st, seg, loop)


def _receiver(st, seg, loop):
    st.receiver = _party(st, seg, loop)


def _pay_to(st, seg, loop):
    st.billing.pay_to = _party(st, seg, loop)


def _pay_to_plan(st, seg, loop):
    st.billing.pay_to_plan = _party(st, seg, loop)


def _claim_party(st, seg, loop):
    st.claim.parties.append(_party(st, seg, loop))


def _line_party(st, seg, loop):
    st.line.parties.append(_party(st, seg, loop))


def _n3(st, seg, loop):
    obj = st.cur
    a = obj.address
    if a is None:
        a = obj.address = Address()
    elif a.line1 is not None or a.line2 is not None:
        return _raw(st, seg, loop)
    e = seg + _PAD
    a.line1 = e[1] or None
    a.line2 = e[2] or None


def _n4(st, seg, loop):
    obj = st.cur
    a = obj.address
    if a is None:
        a = obj.address = Address()
    elif a.city is not None or a.state is not None or a.postal_code is not None:
        return _raw(st, seg, loop)
    e = seg + _PAD
    a.city = e[1] or None
    a.state = e[2] or None
    a.postal_code = e[3] or None
    a.country = e[4] or None
    a.location_qualifier = e[5] or None
    a.location_id = e[6] or None
    a.subdivision = e[7] or None


def _make_ref(seg, comp):
    n = len(seg)
    if n == 3:
        return Ref(seg[1] or None, seg[2] or None)
    e = seg + _PAD
    return Ref(e[1] or None, e[2] or None, e[3] or None,
               _trim(e[4].split(comp)) if e[4] else [])


def _ref(st, seg, loop):
    st.cur.refs.append(_make_ref(seg, st.comp))


def _per(st, seg, loop):
    e = seg + _PAD
    st.cur.contacts.append(Contact(e[1] or None, e[2] or None, e[3] or None, e[4] or None,
                                   e[5] or None, e[6] or None, e[7] or None, e[8] or None,
                                   e[9] or None))


def _prv(st, seg, loop):
    obj = st.cur
    if obj.taxonomy is not None:
        return _raw(st, seg, loop)
    e = seg + _PAD
    obj.specialty_code = e[1] or None
    obj.taxonomy_qualifier = e[2] or None
    obj.taxonomy = e[3] or None
    if len(seg) > 4:
        _unused(obj, e, "PRV", (4, 5, 6))


def _dmg(st, seg, loop):
    obj = st.cur
    e = seg + _PAD
    if e[1] not in ("D8", "") or obj.birth_date is not None or obj.gender is not None:
        return _raw(st, seg, loop)
    obj.birth_date = _date8(e[2], "DMG02") if e[2] else None
    obj.gender = e[3] or None
    if len(seg) > 4:
        for i in range(4, 12):
            if e[i]:
                obj.unused[f"DMG{i:02d}"] = e[i]


def _make_dtp(e, element="DTP03"):
    fmt = e[2]
    v = e[3]
    if fmt == "D8":
        return Dtp(e[1] or None, fmt, _date8(v, element) if v else None)
    if fmt == "RD8":
        a, sep, b = v.partition("-")
        if not sep:
            raise _Bad(element, "a date range CCYYMMDD-CCYYMMDD", v)
        return Dtp(e[1] or None, fmt, _date8(a, element), _date8(b, element))
    return Dtp(e[1] or None, fmt or None, None, None, v or None)


def _dtp(st, seg, loop):
    st.cur.dates.append(_make_dtp(seg + _PAD))


def _nte(st, seg, loop):
    e = seg + _PAD
    st.cur.notes.append(Note(e[1] or None, e[2] or None))


# -- 2000A / 2010AA ----------------------------------------------------------------

def _hl(st, seg, loop):
    code = seg[3] if len(seg) > 3 else ""
    nl = HL_LOOPS.get(code)
    if nl is None:
        raise _Bad("HL03", "hierarchical level code 20, 22 or 23", code)
    st.finish()
    if code == "20":
        st.billing = obj = BillingProvider()
        st.subscriber = st.patient = st.payer = None
    elif code == "22":
        st.subscriber = obj = Subscriber()
        st.patient = st.payer = None
    else:
        st.patient = obj = Patient()
    st.cur = obj
    st.other = obj.other
    return nl


def _billing_nm1(st, seg, loop):
    b = st.billing
    e = seg + _PAD
    _nm1_into(b, e, "name")
    b.id_qualifier = e[8] or None
    b.npi = e[9] or None
    if len(seg) > 10:
        _unused(b, e, "NM1", (10, 11, 12))
    st.cur = b


def _billing_ref(st, seg, loop):
    b = st.billing
    q = seg[1] if len(seg) > 1 else ""
    if (q == "EI" or q == "SY") and b.tax_id is None and len(seg) == 3:
        b.tax_id_qualifier = q
        b.tax_id = seg[2] or None
    else:
        b.refs.append(_make_ref(seg, st.comp))


# -- 2000B / 2010BA / 2010BB ---------------------------------------------------------

def _sbr(st, seg, loop):
    s = st.subscriber
    if s.payer_responsibility is not None or s.claim_filing_indicator is not None:
        return _raw(st, seg, loop)
    e = seg + _PAD
    s.payer_responsibility = e[1] or None
    s.relationship = e[2] or None
    s.group_number = e[3] or None
    s.group_name = e[4] or None
    s.insurance_type = e[5] or None
    s.coordination_of_benefits = e[6] or None
    s.condition_response = e[7] or None
    s.employment_status = e[8] or None
    s.claim_filing_indicator = e[9] or None


def _subscriber_nm1(st, seg, loop):
    s = st.subscriber
    e = seg + _PAD
    _nm1_into(s, e, "last_name")
    s.id_qualifier = e[8] or None
    s.member_id = e[9] or None
    if len(seg) > 10:
        _unused(s, e, "NM1", (10, 11, 12))
    st.cur = s


def _payer_nm1(st, seg, loop):
    e = seg + _PAD
    p = Payer(e[3] or None, e[8] or None, e[9] or None, None, e[2] or None, e[4] or None,
              e[5] or None, e[6] or None, e[7] or None)
    if len(seg) > 10:
        _unused(p, e, "NM1", (10, 11, 12))
    st.payer = p
    st.cur = p
    st.other = p.other


# -- 2000C / 2010CA ----------------------------------------------------------------

def _pat(st, seg, loop):
    p = st.patient
    if p.relationship is not None:
        return _raw(st, seg, loop)
    e = seg + _PAD
    p.relationship = e[1] or None
    if len(seg) > 2:
        _unused(p, e, "PAT", range(2, 10))


def _patient_nm1(st, seg, loop):
    p = st.patient
    e = seg + _PAD
    _nm1_into(p, e, "last_name")
    p.id_qualifier = e[8] or None
    p.id = e[9] or None
    if len(seg) > 10:
        _unused(p, e, "NM1", (10, 11, 12))
    st.cur = p


# -- 2300 ------------------------------------------------------------------------

def _clm(st, seg, loop):
    st.finish()
    if st.subscriber is None:
        raise _Bad(None, "an HL*22 subscriber level before the claim", seg[0],
                   "claim outside a subscriber")
    e = seg + _PAD
    comp = st.comp
    c5 = e[5].split(comp) + _PAD if e[5] else _PAD
    if not e[2]:
        raise _Bad("CLM02", "a decimal amount", e[2])
    c = Claim(e[1] or None, _decimal(e[2], "CLM02"), c5[0] or None, c5[1] or None, c5[2] or None,
              [], [], [], st.billing, st.subscriber, st.patient, st.payer, st.submitter,
              st.receiver, st.envelope, e[6] or None, e[7] or None, e[8] or None, e[9] or None,
              e[10] or None, _trim(e[11].split(comp)) if e[11] else [], e[12] or None,
              e[20] or None)
    if e[3] or e[4]:
        _unused(c, e, "CLM", (3, 4))
    if len(seg) > 13:
        _unused(c, e, "CLM", range(13, 20))
        if len(seg) > 21:
            raise _Bad("CLM21", "at most 20 CLM elements", e[21])
    if len(c5) > 3 and any(c5[3:len(c5)]):
        for i, v in enumerate(c5[3:], start=4):
            if v:
                c.unused[f"CLM05-{i}"] = v
    st.claim = c
    st.line = None
    st.cur = c
    st.other = c.other
    return "2300"


def _hi(st, seg, loop):
    comp = st.comp
    diags = st.claim.diagnoses
    for x in seg[1:]:
        if not x:
            continue
        parts = x.split(comp)
        n = len(parts)
        if n == 2:
            diags.append(Diagnosis(parts[0] or None, parts[1] or None))
        elif n == 1:
            diags.append(Diagnosis(parts[0] or None))
        else:
            diags.append(Diagnosis(parts[0] or None, parts[1] or None, _trim(parts[2:])))


# -- 2400 ------------------------------------------------------------------------

def _lx(st, seg, loop):
    c = st.claim
    if c is None:
        raise _Bad(None, "a CLM before LX", seg[0], "service line outside a claim")
    n = seg[1] if len(seg) > 1 else ""
    if not (n.isascii() and n.isdigit()):
        raise _Bad("LX01", "a line number", n)
    line = ServiceLine(int(n))
    c.lines.append(line)
    st.line = line
    st.cur = line
    st.other = line.other


_SV1_UNUSED = (8, 10, 13, 14, 16, 17, 18, 19, 20, 21)


def _sv1(st, seg, loop):
    line = st.line
    if line.code is not None:
        return _raw(st, seg, loop)
    comp = st.comp
    e = seg + _PAD
    c = e[1].split(comp) + _PAD
    line.qualifier = c[0] or None
    line.code = c[1] or None
    if c[2] or c[3] or c[4] or c[5]:
        line.modifiers = _trim(c[2:6])
    else:
        line.modifiers = []
    line.description = c[6] or None
    if c[7]:
        line.unused["SV101-8"] = c[7]
    v = e[2]
    if not v:
        raise _Bad("SV102", "a decimal amount", v)
    line.charge = _decimal(v, "SV102")
    line.unit_basis = e[3] or None
    v = e[4]
    line.units = _decimal(v, "SV104") if v else None
    line.place_of_service = e[5] or None
    if e[6]:
        line.unused["SV106"] = e[6]
    v = e[7]
    if v:
        line.diagnosis_pointers = _pointers(v, comp)
    if len(seg) > 8:
        line.emergency = e[9] or None
        line.epsdt = e[11] or None
        line.family_planning = e[12] or None
        line.copay_status = e[15] or None
        for i in _SV1_UNUSED:
            if e[i]:
                line.unused[f"SV1{i:02d}"] = e[i]
        if len(seg) > 22:
            raise _Bad("SV122", "at most 21 SV1 elements", e[22])


def _line_dtp(st, seg, loop):
    line = st.line
    e = seg + _PAD
    if e[1] == "472" and line.service_date is None:
        fmt = e[2]
        v = e[3]
        if fmt == "D8" and v:
            line.service_date = _date8(v, "DTP03")
            return
        if fmt == "RD8":
            a, sep, b = v.partition("-")
            if not sep:
                raise _Bad("DTP03", "a date range CCYYMMDD-CCYYMMDD", v)
            line.service_date = _date8(a, "DTP03")
            line.service_date_end = _date8(b, "DTP03")
            return
    line.dates.append(_make_dtp(e))


def _line_ref(st, seg, loop):
    line = st.line
    if len(seg) == 3 and seg[1] == "6R" and line.control_number is None and seg[2]:
        line.control_number = seg[2]
    else:
        line.refs.append(_make_ref(seg, st.comp))


def _lin(st, seg, loop):
    line = st.line
    if line.drug is not None:
        return _raw(st, seg, loop)
    e = seg + _PAD
    d = DrugIdentification(e[2] or None, e[3] or None)
    if e[1]:
        d.unused["LIN01"] = e[1]
    if len(seg) > 4:
        for i in range(4, 32):
            if e[i] if i < len(e) else False:
                d.unused[f"LIN{i:02d}"] = e[i]
        if len(seg) > 32:
            raise _Bad("LIN32", "at most 31 LIN elements", seg[32])
    line.drug = d
    st.cur = d
    st.other = d.other


def _ctp(st, seg, loop):
    d = st.cur
    if d.quantity is not None or d.unit is not None:
        return _raw(st, seg, loop)
    e = seg + _PAD
    v = e[4]
    d.quantity = _decimal(v, "CTP04") if v else None
    if e[5]:
        c = e[5].split(st.comp)
        d.unit = c[0] or None
        for i, x in enumerate(c[1:], start=2):
            if x:
                d.unused[f"CTP05-{i}"] = x
    for i in (1, 2, 3, 6, 7, 8, 9, 10, 11):
        if e[i]:
            d.unused[f"CTP{i:02d}"] = e[i]


# -- the dispatch table ------------------------------------------------------------

_MEMBER = {
    # (loop or "*", segment id) -> handler for segments the model names
    ("HEADER", "BHT"): _bht,
    ("1000A", "PER"): _per,
    ("2000A", "PRV"): _prv,
    ("2010AA", "N3"): _n3, ("2010AA", "N4"): _n4, ("2010AA", "REF"): _billing_ref,
    ("2010AA", "PER"): _per,
    ("2000B", "SBR"): _sbr,
    ("2000C", "PAT"): _pat,
    ("2300", "DTP"): _dtp, ("2300", "REF"): _ref, ("2300", "NTE"): _nte, ("2300", "HI"): _hi,
    ("2400", "SV1"): _sv1, ("2400", "DTP"): _line_dtp, ("2400", "REF"): _line_ref,
    ("2400", "NTE"): _nte,
    ("2410", "CTP"): _ctp, ("2410", "REF"): _ref,
    ("*", "N3"): _n3, ("*", "N4"): _n4, ("*", "REF"): _ref, ("*", "PER"): _per,
    ("*", "PRV"): _prv, ("*", "DMG"): _dmg,
}

_START = {
    "1000A": _submitter, "1000B": _receiver, "2010AA": _billing_nm1, "2010AB": _pay_to,
    "2010AC": _pay_to_plan, "2010BA": _subscriber_nm1, "2010BB": _payer_nm1,
    "2010CA": _patient_nm1, "2300": _clm, "2400": _lx, "2410": _lin,
}

_ENVELOPE = {"ISA": _isa, "GS": _gs, "ST": _st, "SE": _se, "GE": _se, "IEA": _se, "HL": _hl}


def _compile():
    tables: dict[str, dict] = {}
    decls = {d.loop: d for d in LOOPS}
    for d in LOOPS:
        table: dict = {}
        # 1. segments of the loop itself (modelled, else raw)
        for sid in d.segments:
            if d.raw or sid not in d.modelled:
                table[sid] = (_raw, d.loop)
            else:
                h = _MEMBER.get((d.loop, sid)) or _MEMBER.get(("*", sid))
                if h is not None:
                    table[sid] = (h, d.loop)
        # 2. loops the segment may open, nearest first
        for target in reachable(d.loop):
            t = decls[target]
            if t.raw:
                start = _raw_line if target.startswith("24") else _raw_claim
            elif target.startswith("231"):
                start = _claim_party
            elif target.startswith("242"):
                start = _line_party
            else:
                start = _START[target]
            # Handlers that may complete a claim decide the next loop themselves
            # (entry (handler, None)); only then does the reader look for ready claims.
            entry = (start, None if target == "2300" else target)
            if t.qualifiers:
                cur = table.get(t.trigger)
                if not isinstance(cur, dict):
                    cur = {None: cur}
                    table[t.trigger] = cur
                for q in t.qualifiers:
                    cur.setdefault(q, entry)
            else:
                cur = table.get(t.trigger)
                if cur is None or (isinstance(cur, tuple) and cur[1] == d.loop):
                    table[t.trigger] = entry
        # 3. envelope and HL, from anywhere
        for sid, h in _ENVELOPE.items():
            table[sid] = (h, None)
        tables[d.loop] = table
    tables["ENV"] = {sid: (h, None) for sid, h in _ENVELOPE.items()}
    return tables


TABLES = _compile()


# -- reject mode (errors="reject") -----------------------------------------------------

# After a bad value the reader skips to the next segment that starts a claim, a
# hierarchical level or an envelope.
_RESUME = frozenset({"CLM", "HL", "SE", "ST", "GS", "GE", "ISA", "IEA"})

# Units, outermost first. A bad value outside a claim "taints" the unit it was read in
# (the interchange, group, transaction set or HL level); every claim opened while a
# taint is active is rejected with it. A taint lasts until the next segment that
# starts a unit at the same or an outer level.
_ST_LEVEL = 2
_LEVEL = {"ISA": 0, "IEA": 0, "GS": 1, "GE": 1, "ST": 2, "SE": 2}
_HL_LEVEL = {"20": 3, "22": 4, "23": 5}
_HEADER_LOOPS = frozenset({"ENV", "HEADER", "1000A", "1000B"})

# Envelope findings that taint the unit they open (those that reject the claims of
# their transaction set are decided by x12.envelope.TransactionSets).
_UNIT_TAINTING = frozenset({"gs-outside-isa", "st-outside-gs"})


def _out_of_place() -> dict[str, frozenset]:
    """Per loop, the segment ids that are out of place in it (reject mode only).

    In a modelled loop: every segment the 837P declares in some loop but not in this
    one (an LX in a subscriber loop, an SV1 before any LX). The raw loops (2320,
    2330x, 2430, 2440) are kept verbatim, so there only the segments of the claim
    and its lines are out of place (an SV1 after a COB SBR); a stray DMG stays raw.
    In raise mode such segments are kept raw, as they always were.
    """
    declared = set()
    claim = set()
    in_raw = set()
    for d in LOOPS:
        declared.update(d.segments)
        if d.loop in ("2300", "2400", "2410"):
            claim.update(d.segments)
        if d.raw:
            in_raw.update(d.segments)
    return {d.loop: frozenset((claim - in_raw if d.raw else declared) - set(d.segments))
            for d in LOOPS}


_OUT_OF_PLACE = _out_of_place()

_NO_VERDICT = object()  # the pre-check's verdicts ran out


class _PrecheckMismatch(X12Error):
    """The envelope pre-check and the read disagree (the file changed in between?): the
    claims already handed out cannot be taken back, so the read stops."""


# Holding a transaction set of claims (about 43 GC-tracked objects each) makes
# CPython's cyclic collector rescan them: a clean 10,000-claim set read in reject mode
# took 2.5x the time of raise mode, and still 1.3x when the collector only resumed
# before the hand-out (its next young collection walks every held claim once). The
# parser makes no reference cycles, so the collector stays paused while a set is
# read and while its claims are handed out (each dropped from the reader as it
# goes), and resumes before the set's last claim, at the end and on close(). Nested
# or concurrent readers share one pause; the collector's previous state is restored.
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


def _gc_pause() -> None:
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1


def _gc_resume() -> None:
    global _gc_depth
    with _gc_lock:
        _gc_depth -= 1
        if _gc_depth == 0 and _gc_was_enabled:
            gc.enable()


def _reason(f: Finding) -> str:
    """One line: 'segment 57 (SV1), element SV102: bad value: expected ..., got ...'."""
    loc = format_location(None, f.segment_index, f.segment_id, f.element)
    return f"{loc}: {f.message}" if loc else f.message


class _Rejecting:
    """State of one reject-mode read: the claims not yet handed out (the open
    transaction set's when holding; when streaming on the pre-check's verdicts, only
    the claim that completed last), the active taints, the claim being read and the
    counts.

    The hot loop (ClaimReader._run_reject) only calls in here on CLM, HL, envelope
    segments and bad values, so a clean file costs little more than raise mode.
    """

    def __init__(self, reader: "ClaimReader", verdicts=None):
        self.name = reader.name
        self.st = reader._state
        self.findings = self.st.findings
        self.counts = reader.counts
        self.tracker = EnvelopeTracker(file=self.name, findings=self.findings)
        self.sets = TransactionSets(self.tracker)
        self.held: list = []          # (Claim | RejectedClaim, CLM index, end index)
        self.out: list = []           # ready to hand out
        # The pre-check's verdicts, one per ST (None: hold each set until it ends), and
        # the findings that reject every claim handed out now (None: hold them).
        self.precheck = iter(verdicts) if verdicts is not None else None
        self.verdict: list | None = [] if verdicts is not None else None
        self.taints: list = [None] * 6
        self.tainted = False
        self.claim_start = 0          # CLM index of the claim being read
        self.claim_taint = None       # findings that reject the claim being read
        self.skipped: RejectedClaim | None = None  # waits for its end_index
        self.hl_levels: dict[str, int] = {}        # HL01 -> level, in the open set
        self.hl_level: int | None = None           # level of the latest HL

    # -- taints ------------------------------------------------------------------
    def taint(self, level: int, finding: Finding, record: bool = True) -> None:
        if record:
            self.findings.append(finding)
        if self.taints[level] is None:
            self.taints[level] = finding
            self.tainted = True

    def clear(self, level: int) -> None:
        t = self.taints
        for i in range(level, 6):
            t[i] = None
        self.tainted = any(t)

    def active(self) -> list | None:
        return [f for f in self.taints if f is not None] if self.tainted else None

    # -- claims ------------------------------------------------------------------
    def controls(self) -> tuple:
        return self.sets.controls()

    def rejected(self, pcn, start, end, findings, controls=None) -> RejectedClaim:
        return RejectedClaim(self.name, _reason(findings[0]), pcn, start, end,
                             *(controls or self.controls()), list(findings))

    def opened(self, index: int) -> None:
        """A CLM was read without error."""
        self.counts["seen"] += 1
        self.claim_start = index
        self.claim_taint = self.active() if self.tainted else None

    def drain(self, end: int) -> None:
        """Move the claim the last segment completed into the held set."""
        st = self.st
        for c in st.ready:
            if self.claim_taint:
                c = self.rejected(c.patient_control_number, self.claim_start, end, self.claim_taint)
            self.held.append((c, self.claim_start, end))
        st.ready.clear()
        if self.verdict is not None:
            self.flush(self.verdict, None)

    def reject_open(self, pcn, start, finding, taint) -> None:
        """Reject the claim being read; its end is known when the skip ends."""
        rc = self.rejected(pcn, start, None, (taint or []) + [finding])
        self.held.append((rc, start, None))
        self.skipped = rc

    def end_skip(self, end: int) -> None:
        if self.skipped is not None:
            self.skipped.end_index = end
            self.skipped = None
            if self.verdict is not None:
                self.flush(self.verdict, None)

    def flush(self, envelope_findings: list, controls: tuple) -> None:
        """Hand out the held set; a broken envelope rejects the claims it holds."""
        out = self.out
        counts = self.counts
        accepted = rejected = 0
        for item, start, end in self.held:
            if item.__class__ is RejectedClaim:
                item.findings.extend(envelope_findings)
                rejected += 1
            elif envelope_findings:
                item = self.rejected(item.patient_control_number, start, end, envelope_findings,
                                     controls)
                rejected += 1
            else:
                accepted += 1
            out.append(item)
        self.held.clear()
        counts["accepted"] += accepted
        counts["rejected"] += rejected

    # -- units -------------------------------------------------------------------
    def hl(self, seg: list[str]) -> None:
        """Before an HL: its level ends the taints at that level and below."""
        n = len(seg)
        level = _HL_LEVEL.get(seg[3] if n > 3 else "")
        if level is None:  # unknown HL03: one level below its parent (HL02)
            parent = seg[2] if n > 2 else ""
            level = min(self.hl_levels.get(parent, 3) + 1, 5) if parent else 3
        if n > 1:
            self.hl_levels[seg[1]] = level
        self.hl_level = level
        if self.tainted:
            self.clear(level)
        if not self.sets.open and self.taints[_ST_LEVEL] is None:
            self.taint(_ST_LEVEL, Finding(
                "error", "outside-transaction",
                "hierarchical level outside a transaction set (no ST before it)",
                file=self.name, segment_index=self.st.index, segment_id="HL",
                interchange_control=self.controls()[0], group_control=self.controls()[1]))

    def envelope(self, seg: list[str], index: int) -> None:
        """Before ISA, GS, ST, SE, GE or IEA: close the open set, track the envelope."""
        st = self.st
        sid = seg[0]
        st.finish()
        if st.ready:
            self.drain(index - 1)
        self.end_skip(index - 1)
        controls = self.controls()
        new, ended = self.sets.feed(seg, index)
        if ended is not None:
            self.end_set(ended, controls, index)
        elif self.held:
            self.flush([], controls)
        if sid == "ST":
            self.hl_levels = {}
            self.hl_level = None
            self.start_set(index)
        if self.tainted:
            self.clear(_LEVEL[sid])
        for f in new:
            if f.code in _UNIT_TAINTING:
                self.taint(_LEVEL[sid], f, record=False)

    def finish(self, index: int, cause: Finding | None = None) -> None:
        """End of input (or an unreadable rest): close what is open."""
        st = self.st
        self.end_skip(index)
        st.finish()
        if st.ready:
            self.drain(index)
        controls = self.controls()
        ended = self.sets.finish(index, cause)
        if ended is not None:
            self.end_set(ended, controls, index)
        else:
            self.flush([], controls)
        if self.precheck is not None and next(self.precheck, _NO_VERDICT) is not _NO_VERDICT:
            raise _PrecheckMismatch("the envelope pre-check found more transaction sets than "
                                    "the read: did the file change while it was read?",
                                    file=self.name, segment_index=index)

    # -- transaction sets: held, or streamed on the pre-check's verdict ---------------
    def start_set(self, index: int) -> None:
        if self.precheck is None:
            return  # held until the set ends
        verdict = next(self.precheck, _NO_VERDICT)
        if verdict is _NO_VERDICT:
            raise _PrecheckMismatch("the envelope pre-check found fewer transaction sets "
                                    "than the read: did the file change while it was read?",
                                    file=self.name, segment_index=index, segment_id="ST")
        self.verdict = list(verdict or ())

    def end_set(self, ended: list, controls: tuple, index: int) -> None:
        """A set ended: hand out what it holds, or check the verdict its claims got."""
        verdict = self.verdict
        if verdict is None:
            self.flush(ended, controls)
        else:
            if ended != verdict:
                raise _PrecheckMismatch(
                    "the envelope pre-check disagrees with the read about this transaction "
                    f"set (pre-check: {[f.code for f in verdict] or 'sound'}, read: "
                    f"{[f.code for f in ended] or 'sound'}): did the file change while it "
                    "was read?", file=self.name, segment_index=index)
            # The claims carry the pre-check's findings: list those same objects.
            findings = self.findings
            for got, want in zip(ended, verdict):
                for i in range(len(findings) - 1, -1, -1):
                    if findings[i] is got:
                        findings[i] = want
                        break
            self.flush(verdict, controls)
        self.verdict = [] if self.precheck is not None else None

    # -- bad values ----------------------------------------------------------------
    def bad(self, exc: Exception, seg: list[str], index: int, loop: str) -> None:
        """A handler refused a segment: reject its claim, or taint its unit."""
        st = self.st
        sid = seg[0]
        if isinstance(exc, _Bad):
            err = X12Error(exc.message, segment_index=index, segment_id=sid, element=exc.element,
                           expected=exc.expected, got=exc.got)
        else:
            err = X12Error(f"segment out of place in loop {loop} ({exc.__class__.__name__})",
                           segment_index=index, segment_id=sid)
        ctl = self.controls()
        finding = err.to_finding("bad-value", interchange_control=ctl[0], group_control=ctl[1],
                                 transaction_control=ctl[2])
        finding.file = self.name
        if sid == "CLM":  # the claim this CLM opens
            st.finish()
            if st.ready:
                self.drain(index - 1)
            self.counts["seen"] += 1
            pcn = seg[1] if len(seg) > 1 and seg[1] else None
            self.reject_open(pcn, index, finding, self.active())
        elif sid == "HL" or sid in _LEVEL:  # the unit this segment opens
            st.finish()
            if st.ready:
                self.drain(index - 1)
            self.taint(self.hl_level if sid == "HL" else _LEVEL[sid], finding)
        elif st.claim is not None:  # inside a claim
            c = st.claim
            st.claim = st.line = None
            self.reject_open(c.patient_control_number, self.claim_start, finding,
                             self.claim_taint)
        else:  # in a context loop: every claim under it
            level = _ST_LEVEL if loop in _HEADER_LOOPS or self.hl_level is None else self.hl_level
            self.taint(level, finding)


class ClaimReader:
    """Iterator of Claim objects from one 837P source; `findings` holds warnings.

    errors="raise" (default): the first bad value raises X12Error; claims stream one
    at a time. errors="reject": see read_837p.
    """

    def __init__(self, source, *, name: str | None = None, errors: str = "raise",
                 envelope_verdicts: list | None = None):
        if errors not in ("raise", "reject"):
            raise ValueError(f"errors must be 'raise' or 'reject', not {errors!r}")
        self._segments = SegmentReader(source, name)
        self.name = self._segments.name
        self.errors = errors
        self._source = source if errors == "reject" else None  # for the pre-check
        self._verdicts = envelope_verdicts
        self._streaming: bool | None = None
        self._state = _State(self.name)
        self.findings: list[Finding] = self._state.findings
        self.counts = {"seen": 0, "accepted": 0, "rejected": 0}
        self._iter = self._run() if errors == "raise" else self._run_reject()

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._iter)

    def close(self) -> None:
        """Stop reading (closes the file; when holding a set, resumes the GC at once)."""
        self._iter.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def segment_findings(self) -> list[Finding]:
        return self._segments.findings

    @property
    def all_findings(self) -> list[Finding]:
        return self._segments.findings + self.findings

    @property
    def streaming(self) -> bool | None:
        """Reject mode: whether claims are handed out as they complete (on the envelope
        pre-check's verdicts) rather than held until their SE; None before reading."""
        return self._streaming

    def _run(self) -> Iterator[Claim]:
        st = self._state
        ready = st.ready
        counts = self.counts
        tables = TABLES
        loop = "ENV"
        get = tables[loop].get
        index = 0
        seg = None
        try:
            for batch in self._segments.batches():
                for seg in batch:
                    index += 1
                    entry = get(seg[0])
                    if entry is None:
                        if loop == "ENV":
                            st.findings.append(Finding(
                                "warning", "outside-transaction",
                                f"segment {seg[0]} outside a transaction set was skipped",
                                file=self.name, segment_index=index, segment_id=seg[0]))
                            continue
                        _raw(st, seg, loop)
                        continue
                    if entry.__class__ is dict:
                        entry = entry.get(seg[1] if len(seg) > 1 else "") or entry[None]
                        if entry is None:
                            _raw(st, seg, loop)
                            continue
                    h, nl = entry
                    if nl is None:
                        st.index = index
                        nl = h(st, seg, loop)
                        if ready:
                            counts["seen"] += len(ready)
                            counts["accepted"] += len(ready)
                            yield from ready
                            ready.clear()
                    else:
                        h(st, seg, nl)
                    if nl is not loop:
                        loop = nl
                        get = tables[nl].get
            st.finish()
            if ready:
                counts["seen"] += len(ready)
                counts["accepted"] += len(ready)
                yield from ready
                ready.clear()
        except _Bad as bad:
            sid = seg[0] if seg else None
            raise X12Error(bad.message, file=self.name, segment_index=index, segment_id=sid,
                           element=bad.element, expected=bad.expected, got=bad.got) from None
        except (AttributeError, TypeError) as exc:
            sid = seg[0] if seg else None
            raise X12Error(f"segment out of place in loop {loop} ({exc.__class__.__name__})",
                           file=self.name, segment_index=index, segment_id=sid) from None

    def _run_reject(self) -> Iterator[Claim | RejectedClaim]:
        # The same dispatch as _run; bad values are caught per segment (free in
        # CPython 3.11+ when nothing is raised) and handed to _Rejecting.
        verdicts = self._verdicts
        if verdicts is None and rereadable(self._source):
            verdicts = check_transaction_sets(self._source, self.name)
        self._source = None
        self._streaming = verdicts is not None
        rj = _Rejecting(self, verdicts)
        st = self._state
        ready = st.ready
        out = rj.out
        tables = TABLES
        out_of_place = _OUT_OF_PLACE
        loop = "ENV"
        get = tables[loop].get
        index = 0
        skipping = False
        # Holding a set: pause the collector (see _gc_pause). Streaming needs no pause.
        hold = verdicts is None
        if hold:
            _gc_pause()
        paused = hold
        try:
            for batch in self._segments.batches():
                for seg in batch:
                    index += 1
                    sid = seg[0]
                    if skipping:
                        if sid not in _RESUME:
                            continue
                        skipping = False
                        rj.end_skip(index - 1)
                    entry = get(sid)
                    try:
                        if entry is None:
                            if loop == "ENV":
                                if sid == "CLM":
                                    raise _Bad(None, "an ST transaction set header before it", sid,
                                               "claim outside a transaction set")
                                st.findings.append(Finding(
                                    "warning", "outside-transaction",
                                    f"segment {sid} outside a transaction set was skipped",
                                    file=self.name, segment_index=index, segment_id=sid))
                                continue
                            if sid in out_of_place[loop]:
                                raise _Bad(None, f"a segment of loop {loop}", sid,
                                           "segment out of place")
                            _raw(st, seg, loop)
                            continue
                        if entry.__class__ is dict:
                            entry = entry.get(seg[1] if len(seg) > 1 else "") or entry[None]
                            if entry is None:
                                _raw(st, seg, loop)
                                continue
                        h, nl = entry
                        if nl is None:
                            st.index = index
                            if h is _clm:
                                nl = _clm(st, seg, loop)
                                if ready:
                                    rj.drain(index - 1)
                                rj.opened(index)
                                if nl is not loop:
                                    loop = nl
                                    get = tables[nl].get
                                if out:
                                    yield from out
                                    out.clear()
                                continue
                            if h is _hl:
                                rj.hl(seg)
                            else:
                                rj.envelope(seg, index)
                            nl = h(st, seg, loop)
                            if ready:
                                rj.drain(index - 1)
                        else:
                            h(st, seg, nl)
                    except (_Bad, AttributeError, TypeError) as exc:
                        rj.bad(exc, seg, index, loop)
                        skipping = True
                    else:
                        if nl is not loop:
                            loop = nl
                            get = tables[nl].get
                    if out:
                        if not hold:
                            yield from out
                            out.clear()
                            continue
                        # Hand out the set with the collector still paused, dropping
                        # each claim from `out` as it goes; resume it for the last one.
                        last = len(out) - 1
                        for i in range(last + 1):
                            item = out[i]
                            out[i] = None
                            if i == last:
                                _gc_resume()
                                paused = False
                            yield item
                        out.clear()
                        item = None
                        _gc_pause()
                        paused = True
            rj.finish(index)
        except X12Error as exc:  # the segment reader cannot go on (a broken later ISA)
            if index == 0 or exc.__class__ is _PrecheckMismatch:
                raise
            rj.finish(index, exc.to_finding("unreadable"))
        finally:
            if paused:
                _gc_resume()
        yield from out
        out.clear()


def read_837p(source, *, name: str | None = None, errors: str = "raise",
              envelope_verdicts: list | None = None) -> ClaimReader:
    """Read an 837P file (path, bytes or binary file) and yield its claims one by one.

    The returned iterator has `.findings` (version warnings and the like),
    `.segment_findings` (syntax-level warnings from the segment reader) and `.counts`
    ({"seen", "accepted", "rejected"}, final once the iterator is exhausted).

    errors="raise" (default): the first bad value raises X12Error naming file,
    segment index, segment id, element, what was expected and what was found;
    claims are handed out one at a time as they complete.

    errors="reject": partial acceptance, as a clearinghouse does it. The iterator
    yields Claim objects and, in place of each claim that cannot be accepted, an
    edi_hit.claims.RejectedClaim with a one-line reason and its findings:
      * a bad value (or a segment out of place) inside a claim rejects that claim;
        the reader skips to the next CLM, HL or envelope segment and goes on;
      * a bad value outside a claim (billing provider, subscriber, BHT, a GS08 or
        ST01 that is not 837P ...) rejects every claim of its unit: the HL level up
        to the next HL at the same or a higher level, or the transaction set, group
        or interchange;
      * SE01 or SE02 wrong, or no SE at all (truncated file, an ST/GE/IEA first),
        rejects every claim of the transaction set.
    GE and IEA are checked too, but the claims of their sets were already handed
    out: their problems (and every other envelope finding) are listed in
    `.findings`, not turned into rejections.
    Claims stream one at a time as in raise mode when the source can be read twice
    (a path, bytes, a seekable file): a C-speed envelope pre-check
    (edi_hit.x12.prescan.check_transaction_sets) first gives every transaction set's
    verdict, so the claims of a broken set are handed out already rejected. Pass
    `envelope_verdicts` (that function's result for this source and name) when it was
    computed already. A source that can be read only once (a pipe) has each set's
    claims held until the set ends: memory is then one transaction set.
    Every CLM counts once: counts["seen"] == counts["accepted"] + counts["rejected"].
    Input that is not X12 at all still raises X12Error.
    """
    return ClaimReader(source, name=name, errors=errors, envelope_verdicts=envelope_verdicts)


class RejectLog:
    """What reject-mode readers set aside, over one or more files: the counts, the
    rejected claims and the findings, ready for a reject report.

    >>> log = RejectLog()
    >>> for claim in log.accepted(read_837p("a.837", errors="reject")):
    ...     ...                                   # only Claim objects arrive here
    >>> log.counts, log.to_dict(), log.summary("parse", "rejects.json")
    """

    def __init__(self):
        self.counts = {"seen": 0, "accepted": 0, "rejected": 0}
        self.rejected: list[RejectedClaim] = []
        self.findings: list[Finding] = []

    def accepted(self, reader: ClaimReader) -> Iterator[Claim]:
        """Yield the reader's claims and keep its rejections; once the reader is
        exhausted, add its counts and findings."""
        keep = self.rejected.append
        for item in reader:
            if item.__class__ is RejectedClaim:
                keep(item)
            else:
                yield item
        for key, n in reader.counts.items():
            self.counts[key] += n
        self.findings.extend(reader.all_findings)

    @property
    def errors(self) -> list[Finding]:
        """Error-level findings (envelope trailers, bad values outside a claim ...)."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def clean(self) -> bool:
        return not self.counts["rejected"] and not self.errors

    def to_dict(self) -> dict:
        return {"counts": dict(self.counts),
                "rejected": [r.to_dict() for r in self.rejected],
                "findings": [f.to_dict() for f in self.findings]}

    def summary(self, label: str, report: str | None = None) -> str:
        """'parse: 3 claims, 2 accepted, 1 rejected (see rejects.json)'."""
        c = self.counts
        text = (f"{label}: {c['seen']} claim{'' if c['seen'] == 1 else 's'}, "
                f"{c['accepted']} accepted, {c['rejected']} rejected")
        errors = len(self.errors)
        if errors:
            text += f", {errors} error finding{'' if errors == 1 else 's'}"
        return text + (f" (see {report})" if report else "")

    def lines(self, limit: int = 10) -> list[str]:
        """One line per rejected claim, then per error finding no rejection names."""
        out = []
        for r in self.rejected:
            pcn = f" (claim {r.patient_control_number})" if r.patient_control_number else ""
            out.append(f"rejected{pcn}: {r.file + ': ' if r.file else ''}{r.reason}")
        named = {id(f) for r in self.rejected for f in r.findings}
        out.extend(str(f) for f in self.errors if id(f) not in named)
        if len(out) > limit:
            out[limit:] = [f"... and {len(out) - limit} more"]
        return out
