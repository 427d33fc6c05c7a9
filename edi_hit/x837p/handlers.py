# The 837P segment handlers: one small function per segment the claim model names.
#
# Strategy: a handler fills the object of its loop (claim, line, party ...) straight
# from the element list: no regex, no per-segment logging, Decimals and dates parsed
# directly (with a small cache, since amounts and dates repeat). Element positions come
# from elements.py, the table the writer builds with. Segments the model does not name
# are kept as RawSegment in the loop they were read in. Handlers never decide where a
# segment belongs: the loop machine (machine.py) only calls a handler for a segment the
# loop table places, so a handler may rely on its object being there. A handler refuses
# a value by raising Bad (element, what was expected, what was found); the machine adds
# the position. A value of a PHI element (a birth date) is never quoted. A segment with
# more elements than its layout allows, or a second copy of a segment the model holds
# once (two N3 in one loop), is refused too: nothing the file carries is dropped.
#
# Handlers take (state, segment, loop). Those of the boundary segments (ISA, GS, ST,
# SE, GE, IEA, HL, CLM) return the loop that follows; the others return nothing. The
# claim's own loops (2300, 2400, 2410) are in claim_handlers.py.
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable

from ..claims import (Address, BillingProvider, Claim, Contact, Dtp, Envelope, Note, Party,
                      Patient, Payer, RawSegment, Ref, ServiceLine, Subscriber)
from ..errors import Finding
from . import elements as L
from .loops import BY_ID, HL_LOOPS, LOOPS

__all__ = ["Bad", "OutOfPlace", "State", "VERSION", "TOLERATED_VERSIONS", "PHI_ELEMENTS"]

VERSION = "005010X222A1"
TOLERATED_VERSIONS = frozenset({"005010X222", "005010X222A2"})
# Elements whose value is protected health information: never quoted in a message.
PHI_ELEMENTS = frozenset({"DMG02", "DMG03"})

_PAD = [""] * 24
_NEW = object.__new__


def _pad(layout: L.Layout) -> list[str]:
    """What a segment of `layout` is padded with: every position can then be indexed."""
    return [""] * layout.size


_PAD_NM1, _PAD_N4, _PAD_PER, _PAD_PRV, _PAD_DMG, _PAD_DTP, _PAD_NTE, _PAD_SBR, _PAD_PAT, \
    _PAD_BHT = map(_pad, (L.NM1, L.N4, L.PER, L.PRV, L.DMG, L.DTP, L.NTE, L.SBR, L.PAT, L.BHT))
ABSENT: Any = None   # a loop object that is not there (see State)
Handler = Callable[["State", list[str], str], Any]


class Bad(Exception):
    """Raised by handlers; the machine adds the position and makes it an X12Error."""

    def __init__(self, element: str | None, expected: str, got: str | None,
                 message: str = "bad value"):
        super().__init__(message)
        self.element, self.expected, self.message = element, expected, message
        self.got = None if element in PHI_ELEMENTS else got


class OutOfPlace(Bad):
    """A segment the loop table cannot place where it stands."""


def _too_many(seg: list[str], layout: L.Layout) -> Bad:
    n = layout.size + 1   # the first element too many (its value is not quoted: may be PHI)
    return Bad(f"{layout.id}{n:02d}", f"at most {layout.size} {layout.id} elements, not "
               f"{len(seg) - 1}", None, "too many elements")


def _twice(seg_id: str, loop: str) -> Bad:
    return Bad(None, f"one {seg_id} in loop {loop} (a second one would replace the first)",
               seg_id, "segment repeats")


# -- value parsers (cached) ----------------------------------------------------

_DEC: dict[str, Decimal] = {}
_DATE: dict[str, date] = {}
_PTR: dict[str, tuple[int, ...]] = {}


def decimal(text: str, element: str) -> Decimal:
    """An X12 R value: optional minus, digits, at most one decimal point; no exponent."""
    d = _DEC.get(text)
    if d is not None:
        return d
    body = text[1:] if text[:1] == "-" else text
    digits = body.replace(".", "", 1)
    if not digits or not digits.isascii() or not digits.isdigit():
        raise Bad(element, "a decimal amount", text)
    d = Decimal(text)
    if len(_DEC) > 20000:
        _DEC.clear()
    _DEC[text] = d
    return d


def _negative(text: str, element: str) -> Bad:
    return Bad(element, "an amount of zero or more (a negative one is not compliant, "
               "X12 RFI 2499)", text)


def date8(text: str, element: str) -> date:
    d = _DATE.get(text)
    if d is not None:
        return d
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise Bad(element, "a date CCYYMMDD", text)
    try:
        d = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise Bad(element, "a real calendar date CCYYMMDD", text) from None
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
                raise Bad("SV107", "diagnosis pointers 1-12 separated by " + repr(comp), text)
        p = tuple(int(x) for x in parts)
        if len(_PTR) > 20000:
            _PTR.clear()
        _PTR[text] = p
    return list(p)


def _trim(items: list[Any]) -> list[Any]:
    while items and not items[-1]:
        items.pop()
    return items


def _unused(obj: Any, e: list[str], seg_id: str, positions: Iterable[int]) -> None:
    for i in positions:
        if e[i]:
            obj.unused[f"{seg_id}{i:02d}"] = e[i]


class State:
    """Mutable reading state; handlers are plain functions taking it first. `cur` is the
    object of the loop being read (its N3/N4/REF/PER/... go there), `other` the list its
    raw segments go to."""

    __slots__ = ("comp", "isa", "gs", "envelope", "submitter", "receiver", "billing",
                 "subscriber", "patient", "payer", "claim", "line", "cur", "other",
                 "findings", "name", "index", "line_number", "target")

    def __init__(self, name: str | None):
        # The objects of the loops: None until the loop is read. A handler runs only
        # where the loop table places its segment, inside its loop, so they are typed
        # as present; code that may meet them absent checks for None.
        self.comp = ":"
        self.isa: list[str] | None = None
        self.gs: list[str] | None = None
        self.envelope: Envelope = ABSENT
        self.submitter: Party | None = None
        self.receiver: Party | None = None
        self.billing: BillingProvider = ABSENT
        self.subscriber: Subscriber = ABSENT
        self.patient: Patient = ABSENT
        self.payer: Payer | None = None
        self.claim: Claim = ABSENT
        self.line: ServiceLine = ABSENT
        self.line_number = 0   # LX01 of the line whose SV1 comes next
        # The object the next CLM, HL*22 or NM1*PR builds into instead of a new one (a
        # lazy object being decoded: lazy.py); None in a read.
        self.target: Any = None
        self.cur: Any = None
        self.other: list[RawSegment] = []
        self.findings: list[Finding] = []
        self.name = name
        self.index = 0


def raw(st: State, seg: list[str], loop: str) -> None:
    comp = st.comp
    els: list[Any] = [seg[0]]
    for x in seg[1:]:
        if comp in x:
            els.append(_trim(x.split(comp)))
        else:
            els.append(x)
    _trim(els)
    st.other.append(RawSegment(loop, els))


def raw_claim(st: State, seg: list[str], loop: str) -> None:
    """Open a raw loop under the claim (2320, 2330x)."""
    st.cur = st.claim
    st.other = st.claim.other
    raw(st, seg, loop)


def raw_line(st: State, seg: list[str], loop: str) -> None:
    """Open a raw loop under the service line (2430, 2440)."""
    st.cur = st.line
    st.other = st.line.other
    raw(st, seg, loop)


def outside(st: State, seg: list[str], loop: str) -> str:
    """A segment between transaction sets (RejectBook.boundary records it)."""
    return "ENV"


# -- segments the loop table cannot place -------------------------------------------

def out_of_place(st: State, seg: list[str], loop: str) -> None:
    sid = seg[0]
    d = BY_ID.get(loop)
    if d is not None and sid in d.segments[:d.leading]:
        raise OutOfPlace(None, f"one {sid} in loop {loop}", sid, "segment repeats")
    raise OutOfPlace(None, f"a segment of loop {loop}", sid, "segment out of place")


# Segment ids of the modelled claim loops that no raw loop declares: out of place in a
# raw loop (an SV1 after a COB SBR). Any other stray segment there is kept raw.
_CLAIM_ONLY = frozenset(
    sid for d in LOOPS if d.loop in ("2300", "2400", "2410") for sid in d.segments) - \
    frozenset(sid for d in LOOPS if d.raw for sid in d.segments) | {"HL", "CLM"}


def in_raw_loop(st: State, seg: list[str], loop: str) -> str:
    """A segment a raw loop (2320, 2330x, 2430, 2440) does not declare but no modelled
    loop of the claim owns either (a DMG after a COB SBR, as in 5010 drafts): kept as
    it came, in that loop (RejectBook.unexpected adds a warning)."""
    if seg[0] in _CLAIM_ONLY:
        out_of_place(st, seg, loop)
    raw(st, seg, loop)
    return loop


def ignore(st: State, seg: list[str], loop: str) -> None:
    """TA1 between ISA and GS: an interchange acknowledgment, nothing of a claim."""


# -- envelope --------------------------------------------------------------------

def isa(st: State, seg: list[str], loop: str) -> str:
    if len(seg) < 17:
        raise Bad("ISA16", "16 ISA elements", str(len(seg) - 1))
    st.isa = [x.strip() for x in seg]
    st.comp = seg[16][:1] or ":"
    st.gs = None
    return "ENV"


def _check_version(st: State, value: str, element: str) -> None:
    if value == VERSION:
        return
    if value in TOLERATED_VERSIONS:
        st.findings.append(Finding(
            "warning", "version", f"{element} is {value}, not {VERSION}; read as {VERSION}",
            file=st.name, segment_index=st.index, segment_id=element[:2], element=element))
        return
    raise Bad(element, f"an 837P version {VERSION}", value, "not an 837P 005010X222A1 file")


def gs(st: State, seg: list[str], loop: str) -> str:
    e = seg + _PAD
    if e[1] != "HC":
        raise Bad("GS01", "'HC' (health care claim)", e[1], "not a claim functional group")
    _check_version(st, e[8], "GS08")
    st.gs = e
    return "ENV"


def st_(st: State, seg: list[str], loop: str) -> str:
    e = seg + _PAD
    if e[1] != "837":
        raise Bad("ST01", "'837'", e[1], "not an 837 transaction set")
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
        group_date=date8(g[4], "GS04") if g[4] else None, group_time=g[5] or None,
        group_control_number=g[6] or None, agency=g[7] or None, version=g[8] or None,
        transaction_set_id=e[1], transaction_control_number=e[2] or None,
        implementation_reference=e[3] or None)
    st.submitter = st.receiver = None
    st.billing = st.subscriber = st.patient = st.payer = ABSENT
    st.cur = st.envelope
    st.other = st.envelope.other
    return "HEADER@"


def _isa_date(text: str) -> date | None:
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        return None
    yy = int(text[:2])
    try:
        return date((1900 if yy >= 70 else 2000) + yy, int(text[2:4]), int(text[4:]))
    except ValueError:
        raise Bad("ISA09", "a date YYMMDD", text) from None


def se(st: State, seg: list[str], loop: str) -> str:
    st.envelope = ABSENT
    st.other = []
    return "ENV"


_BHT_STRUCTURE, _BHT_PURPOSE, _BHT_REFERENCE, _BHT_DATE, _BHT_TIME, _BHT_TYPE = \
    L.BHT.positions("structure", "purpose", "reference", "date", "time", "type")


def bht(st: State, seg: list[str], loop: str) -> None:
    env = st.envelope
    if len(seg) > L.BHT.size + 1:
        raise _too_many(seg, L.BHT)
    e = seg + _PAD_BHT
    env.bht_structure = e[_BHT_STRUCTURE] or None
    env.bht_purpose = e[_BHT_PURPOSE] or None
    env.bht_reference = e[_BHT_REFERENCE] or None
    env.bht_date = date8(e[_BHT_DATE], "BHT04") if e[_BHT_DATE] else None
    env.bht_time = e[_BHT_TIME] or None
    env.bht_type = e[_BHT_TYPE] or None


# -- shared segment readers --------------------------------------------------------

_NM1_MAX = L.NM1.size + 1
_NM1_UNUSED = L.NM1.unused_positions()
_NM1_CODE, _NM1_TYPE, _NM1_NAME, _NM1_FIRST, _NM1_MIDDLE, _NM1_PREFIX, _NM1_SUFFIX, \
    _NM1_ID_QUALIFIER, _NM1_ID = L.NM1.positions(
        "entity_code", "entity_type", "name", "first_name", "middle_name", "prefix", "suffix",
        "id_qualifier", "id")


def _person(obj: Any, seg: list[str], name_attr: str) -> str | None:
    """NM102..NM108 (and NM110+ as unused) into an object with the usual name fields;
    returns NM109, the identifier (each object names it its own way)."""
    e = seg + _PAD_NM1
    obj.entity_type = e[_NM1_TYPE] or None
    setattr(obj, name_attr, e[_NM1_NAME] or None)
    obj.first_name = e[_NM1_FIRST] or None
    obj.middle_name = e[_NM1_MIDDLE] or None
    obj.prefix = e[_NM1_PREFIX] or None
    obj.suffix = e[_NM1_SUFFIX] or None
    obj.id_qualifier = e[_NM1_ID_QUALIFIER] or None
    if len(seg) > _NM1_ID + 1:
        _nm1_rest(obj, seg, e)
    return e[_NM1_ID] or None


def _nm1_rest(obj: Any, seg: list[str], e: list[str]) -> None:
    if len(seg) > _NM1_MAX:
        raise _too_many(seg, L.NM1)
    _unused(obj, e, "NM1", _NM1_UNUSED)


def _party(st: State, seg: list[str], loop: str) -> Party:
    e = seg + _PAD_NM1
    p = Party(loop, e[_NM1_CODE] or None, e[_NM1_TYPE] or None, e[_NM1_NAME] or None,
              e[_NM1_FIRST] or None, e[_NM1_MIDDLE] or None, e[_NM1_PREFIX] or None,
              e[_NM1_SUFFIX] or None, e[_NM1_ID_QUALIFIER] or None, e[_NM1_ID] or None)
    if len(seg) > _NM1_ID + 1:
        _nm1_rest(p, seg, e)
    st.cur = p
    st.other = p.other
    return p


def submitter(st: State, seg: list[str], loop: str) -> None:
    st.submitter = _party(st, seg, loop)


def receiver(st: State, seg: list[str], loop: str) -> None:
    st.receiver = _party(st, seg, loop)


def pay_to(st: State, seg: list[str], loop: str) -> None:
    st.billing.pay_to = _party(st, seg, loop)


def pay_to_plan(st: State, seg: list[str], loop: str) -> None:
    st.billing.pay_to_plan = _party(st, seg, loop)


def claim_party(st: State, seg: list[str], loop: str) -> None:
    st.claim.parties.append(_party(st, seg, loop))


def line_party(st: State, seg: list[str], loop: str) -> None:
    st.line.parties.append(_party(st, seg, loop))


def _address_part(layout: L.Layout, filled: Callable[[Address], bool]) -> Handler:
    """The handler of N3 or N4: into the address of the loop's object, once a loop."""
    fill = layout.filler()
    most = layout.size + 1
    sid = layout.id

    def address_part(st: State, seg: list[str], loop: str) -> None:
        obj = st.cur
        a = obj.address
        if a is None:
            a = obj.address = Address()
        elif filled(a):
            raise _twice(sid, loop)
        if len(seg) > most:
            raise _too_many(seg, layout)
        fill(a, seg + _PAD_N4)
    address_part.__name__ = sid.lower()
    return address_part


n3 = _address_part(L.N3, lambda a: a.line1 is not None or a.line2 is not None)
n4 = _address_part(L.N4, lambda a: a.city is not None or a.state is not None or
                   a.postal_code is not None)


_REF_QUALIFIER, _REF_VALUE, _REF_DESCRIPTION, _REF_IDS = L.REF.positions(
    "qualifier", "value", "description", "identifiers")


def make_ref(seg: list[str], comp: str) -> Ref:
    n = len(seg)
    if n == _REF_VALUE + 1:
        return Ref(seg[_REF_QUALIFIER] or None, seg[_REF_VALUE] or None)
    if n > L.REF.size + 1:
        raise _too_many(seg, L.REF)
    e = seg + _PAD
    return Ref(e[_REF_QUALIFIER] or None, e[_REF_VALUE] or None, e[_REF_DESCRIPTION] or None,
               _trim(e[_REF_IDS].split(comp)) if e[_REF_IDS] else [])


def ref(st: State, seg: list[str], loop: str) -> None:
    st.cur.refs.append(make_ref(seg, st.comp))


_PER = L.PER.positions("function_code", "name", "qualifier1", "number1", "qualifier2",
                       "number2", "qualifier3", "number3", "inquiry_reference")


def per(st: State, seg: list[str], loop: str) -> None:
    if len(seg) > L.PER.size + 1:
        raise _too_many(seg, L.PER)
    e = seg + _PAD_PER
    st.cur.contacts.append(Contact(*[e[p] or None for p in _PER]))


_PRV_UNUSED = L.PRV.unused_positions()
_PRV_CODE, _PRV_QUALIFIER, _PRV_TAXONOMY = L.PRV.positions(
    "specialty_code", "taxonomy_qualifier", "taxonomy")


def prv(st: State, seg: list[str], loop: str) -> None:
    obj = st.cur
    if obj.taxonomy is not None or obj.specialty_code is not None:
        raise _twice("PRV", loop)
    e = seg + _PAD_PRV
    obj.specialty_code = e[_PRV_CODE] or None
    obj.taxonomy_qualifier = e[_PRV_QUALIFIER] or None
    obj.taxonomy = e[_PRV_TAXONOMY] or None
    if len(seg) > _PRV_TAXONOMY + 1:
        if len(seg) > L.PRV.size + 1:
            raise _too_many(seg, L.PRV)
        _unused(obj, e, "PRV", _PRV_UNUSED)


_DMG_UNUSED = L.DMG.unused_positions()
_DMG_FORMAT, _DMG_BIRTH, _DMG_GENDER = L.DMG.positions("format", "birth_date", "gender")


def dmg(st: State, seg: list[str], loop: str) -> None:
    obj = st.cur
    e = seg + _PAD_DMG
    if obj.birth_date is not None or obj.gender is not None or \
            (obj.unused and any(k.startswith("DMG") for k in obj.unused)):
        raise _twice("DMG", loop)
    if e[_DMG_FORMAT] not in ("D8", ""):
        return raw(st, seg, loop)  # not a plain date: kept as it came
    if len(seg) > L.DMG.size + 1:
        raise _too_many(seg, L.DMG)
    obj.birth_date = date8(e[_DMG_BIRTH], "DMG02") if e[_DMG_BIRTH] else None
    obj.gender = e[_DMG_GENDER] or None
    if len(seg) > _DMG_GENDER + 1:
        _unused(obj, e, "DMG", _DMG_UNUSED)


_DTP_QUALIFIER, _DTP_FORMAT, _DTP_VALUE = L.DTP.positions("qualifier", "format", "value")
_DTP_MAX = L.DTP.size + 1


def make_dtp(e: list[str], element: str = "DTP03") -> Dtp:
    fmt = e[_DTP_FORMAT]
    v = e[_DTP_VALUE]
    if fmt == "D8":
        return Dtp(e[_DTP_QUALIFIER] or None, fmt, date8(v, element) if v else None)
    if fmt == "RD8":
        a, sep, b = v.partition("-")
        if not sep:
            raise Bad(element, "a date range CCYYMMDD-CCYYMMDD", v)
        return Dtp(e[_DTP_QUALIFIER] or None, fmt, date8(a, element), date8(b, element))
    return Dtp(e[_DTP_QUALIFIER] or None, fmt or None, None, None, v or None)


def dtp(st: State, seg: list[str], loop: str) -> None:
    if len(seg) > _DTP_MAX:
        raise _too_many(seg, L.DTP)
    st.cur.dates.append(make_dtp(seg + _PAD_DTP))


_NTE_CODE, _NTE_TEXT = L.NTE.positions("code", "text")


def nte(st: State, seg: list[str], loop: str) -> None:
    if len(seg) > L.NTE.size + 1:
        raise _too_many(seg, L.NTE)
    e = seg + _PAD_NTE
    st.cur.notes.append(Note(e[_NTE_CODE] or None, e[_NTE_TEXT] or None))


# -- 2000A / 2010AA ----------------------------------------------------------------

_HL_LEVEL = L.HL["level"]
# HL03 -> the state after the HL (a subscriber or patient level's second segment is
# required: SBR, PAT).
_HL_NEXT = {code: loop if code == "20" else loop + "@" for code, loop in HL_LOOPS.items()}


def hl(st: State, seg: list[str], loop: str) -> str:
    code = seg[_HL_LEVEL] if len(seg) > _HL_LEVEL else ""
    nl = HL_LOOPS.get(code)
    if nl is None:
        raise Bad("HL03", "hierarchical level code 20, 22 or 23", code)
    if len(seg) > L.HL.size + 1:
        raise _too_many(seg, L.HL)
    obj: BillingProvider | Subscriber | Patient
    if code == "20":
        st.billing = obj = BillingProvider()
        st.subscriber = st.patient = st.payer = ABSENT
    elif code == "22":
        st.subscriber = obj = st.target or _NEW(Subscriber)   # (or a lazy one: lazy.py)
        type(obj).__init__(obj)
        st.patient = st.payer = ABSENT
    else:
        st.patient = obj = Patient()
    st.cur = obj
    st.other = obj.other
    return _HL_NEXT[code]


def billing_nm1(st: State, seg: list[str], loop: str) -> None:
    b = st.cur = st.billing
    b.npi = _person(b, seg, "name")


def billing_ref(st: State, seg: list[str], loop: str) -> None:
    b = st.billing
    q = seg[_REF_QUALIFIER] if len(seg) > _REF_QUALIFIER else ""
    if (q == "EI" or q == "SY") and b.tax_id is None and len(seg) == _REF_VALUE + 1:
        b.tax_id_qualifier = q
        b.tax_id = seg[_REF_VALUE] or None
    else:
        b.refs.append(make_ref(seg, st.comp))


# -- 2000B / 2010BA / 2010BB ---------------------------------------------------------

_fill_sbr = L.SBR.filler()


def sbr(st: State, seg: list[str], loop: str) -> None:
    if len(seg) > L.SBR.size + 1:
        raise _too_many(seg, L.SBR)
    _fill_sbr(st.subscriber, seg + _PAD_SBR)


def subscriber_nm1(st: State, seg: list[str], loop: str) -> None:
    s = st.cur = st.subscriber
    s.member_id = _person(s, seg, "last_name")


def payer_nm1(st: State, seg: list[str], loop: str) -> None:
    e = seg + _PAD_NM1
    p = st.target or _NEW(Payer)   # (a lazy payer being decoded: lazy.py)
    type(p).__init__(p, e[_NM1_NAME] or None, e[_NM1_ID_QUALIFIER] or None,
                     e[_NM1_ID] or None, None, e[_NM1_TYPE] or None, e[_NM1_FIRST] or None,
                     e[_NM1_MIDDLE] or None, e[_NM1_PREFIX] or None, e[_NM1_SUFFIX] or None)
    if len(seg) > _NM1_ID + 1:
        _nm1_rest(p, seg, e)
    st.payer = p
    st.cur = p
    st.other = p.other


# -- 2000C / 2010CA ----------------------------------------------------------------

_PAT_UNUSED = L.PAT.unused_positions()
_PAT_RELATIONSHIP = L.PAT["relationship"]


def pat(st: State, seg: list[str], loop: str) -> None:
    p = st.patient
    e = seg + _PAD_PAT
    p.relationship = e[_PAT_RELATIONSHIP] or None
    if len(seg) > _PAT_RELATIONSHIP + 1:
        if len(seg) > L.PAT.size + 1:
            raise _too_many(seg, L.PAT)
        _unused(p, e, "PAT", _PAT_UNUSED)


def patient_nm1(st: State, seg: list[str], loop: str) -> None:
    p = st.cur = st.patient
    p.id = _person(p, seg, "last_name")
