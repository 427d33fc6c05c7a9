# The segment handlers of a claim: loop 2300 (CLM, HI), 2400 (LX, SV1, DTP, REF) and
# 2410 (LIN, CTP); the other loops' handlers and the shared machinery are in
# handlers.py.
#
# Strategy: as in handlers.py, each handler fills the object of its loop straight from
# the element list, with its element positions from the layout table (elements.py),
# amounts as X12 reals (never negative where X12 RFI 2499 says a negative one is not
# compliant: CLM02, SV102, SV104, CTP04) and refuses a bad value by raising Bad.
from __future__ import annotations

from ..claims import Claim, Diagnosis, DrugIdentification, ServiceLine
from . import elements as L
from .handlers import (_DATE, _DEC, _DTP_FORMAT, _DTP_MAX, _DTP_QUALIFIER, _DTP_VALUE, _NEW,
                       _PAD, _PAD_DTP, ABSENT, Bad, State, _negative, _pointers, _too_many,
                       _trim, _twice, _unused, date8, decimal, make_dtp, make_ref)

__all__ = ["clm", "hi", "lx", "sv1", "line_dtp", "line_ref", "lin", "ctp"]


# -- 2300 ------------------------------------------------------------------------

_CLM_UNUSED = L.CLM.unused_positions(13)   # CLM13-CLM19 (CLM03/CLM04 apart)
_CLM_EARLY_UNUSED = tuple(p for p in L.CLM.unused_positions() if p < 13)   # CLM03, CLM04
_CLM_PCN, _CLM_CHARGE, _CLM_FACILITY, _CLM_SIGNATURE, _CLM_ASSIGNMENT, _CLM_BENEFITS, \
    _CLM_RELEASE, _CLM_SOURCE, _CLM_CAUSES, _CLM_PROGRAM, _CLM_DELAY = L.CLM.positions(
        "patient_control_number", "total_charge", "facility", "provider_signature",
        "assignment", "benefits_assignment", "release_of_information",
        "patient_signature_source", "related_causes", "special_program", "delay_reason")
_POS_OF_SERVICE, _FACILITY_QUALIFIER, _FREQUENCY = (
    p - 1 for p in L.CLM05.positions("place_of_service", "facility_code_qualifier",
                                     "frequency_code"))


def clm(st: State, seg: list[str], loop: str) -> str:
    if st.subscriber is None:
        raise Bad(None, "an HL*22 subscriber level before the claim", seg[0],
                  "claim outside a subscriber")
    e = seg + _PAD
    comp = st.comp
    facility = e[_CLM_FACILITY].split(comp) if e[_CLM_FACILITY] else _PAD
    c5 = facility + _PAD if len(facility) < L.CLM05.size else facility
    v = e[_CLM_CHARGE]
    if not v or v[0] == "-":
        raise _negative(v, "CLM02") if v else Bad("CLM02", "a decimal amount", v)
    charge = _DEC.get(v)
    if charge is None:
        charge = decimal(v, "CLM02")
    causes = e[_CLM_CAUSES]
    c = st.target or _NEW(Claim)   # (a lazy claim being decoded: lazy.py)
    type(c).__init__(c,
        e[_CLM_PCN] or None, charge, c5[_POS_OF_SERVICE] or None,
        c5[_FACILITY_QUALIFIER] or None, c5[_FREQUENCY] or None, [], [], [], st.billing,
        st.subscriber, st.patient, st.payer, st.submitter, st.receiver, st.envelope,
        e[_CLM_SIGNATURE] or None, e[_CLM_ASSIGNMENT] or None, e[_CLM_BENEFITS] or None,
        e[_CLM_RELEASE] or None, e[_CLM_SOURCE] or None,
        _trim(causes.split(comp)) if causes else [], e[_CLM_PROGRAM] or None,
        e[_CLM_DELAY] or None)
    if e[3] or e[4]:
        _unused(c, e, "CLM", _CLM_EARLY_UNUSED)
    if len(seg) > 13:
        _unused(c, e, "CLM", _CLM_UNUSED)
        if len(seg) > L.CLM.size + 1:
            raise _too_many(seg, L.CLM)
    if len(facility) > L.CLM05.size:
        for i, v in enumerate(facility[L.CLM05.size:], start=L.CLM05.size + 1):
            if v:
                c.unused[f"CLM05-{i}"] = v
    st.claim = c
    st.line = ABSENT
    st.cur = c
    st.other = c.other
    return "2300"


def hi(st: State, seg: list[str], loop: str) -> None:
    comp = st.comp
    add = st.claim.diagnoses.append
    for x in seg[1:]:
        if not x:
            continue
        parts = x.split(comp)
        n = len(parts)
        if n == 2:
            add(Diagnosis(parts[0] or None, parts[1] or None, []))
        elif n == 1:
            add(Diagnosis(parts[0] or None, None, []))
        else:
            add(Diagnosis(parts[0] or None, parts[1] or None, _trim(parts[2:])))


# -- 2400 ------------------------------------------------------------------------

def lx(st: State, seg: list[str], loop: str) -> None:
    """The line number; the line itself is built by the SV1 that must follow (the loop
    machine refuses an LX without one), with every value at once."""
    n = seg[1] if len(seg) > 1 else ""
    if not (n.isascii() and n.isdigit()):
        raise Bad("LX01", "a line number", n)
    if len(seg) > L.LX.size + 1:
        raise _too_many(seg, L.LX)
    st.line_number = int(n)


_SV1_UNUSED = tuple(p for p in L.SV1.unused_positions(8) if p not in L.SV1.names)
_SV1_MAX = L.SV1.size + 1
_PROCEDURE, _CHARGE, _BASIS, _UNITS, _POS, _POINTERS = L.SV1.positions(
    "procedure", "charge", "unit_basis", "units", "place_of_service", "diagnosis_pointers")
_EMERGENCY, _EPSDT, _FAMILY, _COPAY = L.SV1.positions(
    "emergency", "epsdt", "family_planning", "copay_status")
_SV101_MAX = L.SV101.size
_SV101_QUALIFIER, _SV101_CODE, _SV101_DESCRIPTION = (
    p - 1 for p in L.SV101.positions("qualifier", "code", "description"))
_SV101_MODIFIERS = slice(L.SV101["modifier1"] - 1, L.SV101["modifier4"])


def sv1(st: State, seg: list[str], loop: str) -> None:
    comp = st.comp
    e = seg if len(seg) == 8 else seg + _PAD   # SV101 to SV107: no padding needed
    c = e[_PROCEDURE].split(comp)
    if len(c) == 2:          # HC:code, the common case
        qualifier, code = c
        modifiers: list[str] = []
        description = more = None
    else:
        if len(c) > _SV101_MAX:
            raise Bad("SV101", f"at most {_SV101_MAX} components", e[_PROCEDURE],
                      "too many components")
        c += _PAD
        qualifier, code = c[_SV101_QUALIFIER], c[_SV101_CODE]
        modifiers = _trim(c[_SV101_MODIFIERS]) if c[2] or c[3] or c[4] or c[5] else []
        description, more = c[_SV101_DESCRIPTION] or None, c[7]
    v = e[_CHARGE]
    if not v or v[0] == "-":
        raise _negative(v, "SV102") if v else Bad("SV102", "a decimal amount", v)
    charge = _DEC.get(v)
    if charge is None:
        charge = decimal(v, "SV102")
    v = e[_UNITS]
    if v:
        if v[0] == "-":
            raise _negative(v, "SV104")
        units = _DEC.get(v)
        if units is None:
            units = decimal(v, "SV104")
    else:
        units = None
    v = e[_POINTERS]
    unused = {"SV101-8": more} if more else {}
    if e[6]:
        unused["SV106"] = e[6]
    line = ServiceLine(
        st.line_number, qualifier or None, code or None, modifiers, description, charge,
        e[_BASIS] or None, units, e[_POS] or None, _pointers(v, comp) if v else [],
        None, None, None, None, None, None, None, None, [], [], [], [], unused, [])
    if len(seg) > 8:
        line.emergency = e[_EMERGENCY] or None
        line.epsdt = e[_EPSDT] or None
        line.family_planning = e[_FAMILY] or None
        line.copay_status = e[_COPAY] or None
        for i in _SV1_UNUSED:
            if e[i]:
                unused[f"SV1{i:02d}"] = e[i]
        if len(seg) > _SV1_MAX:
            raise _too_many(seg, L.SV1)
    st.claim.lines.append(line)
    st.line = line
    st.cur = line
    st.other = line.other


def line_dtp(st: State, seg: list[str], loop: str) -> None:
    line = st.line
    if len(seg) == _DTP_MAX:      # DTP01 to DTP03, the common case
        e = seg
    elif len(seg) > _DTP_MAX:
        raise _too_many(seg, L.DTP)
    else:
        e = seg + _PAD_DTP
    if e[_DTP_QUALIFIER] == "472" and line.service_date is None:
        fmt = e[_DTP_FORMAT]
        v = e[_DTP_VALUE]
        if fmt == "D8" and v:
            line.service_date = _DATE.get(v) or date8(v, "DTP03")
            return
        if fmt == "RD8":
            a, sep, b = v.partition("-")
            if not sep:
                raise Bad("DTP03", "a date range CCYYMMDD-CCYYMMDD", v)
            line.service_date = date8(a, "DTP03")
            line.service_date_end = date8(b, "DTP03")
            return
    line.dates.append(make_dtp(e))


def line_ref(st: State, seg: list[str], loop: str) -> None:
    line = st.line
    if len(seg) == 3 and seg[1] == "6R" and line.control_number is None and seg[2]:
        line.control_number = seg[2]
    else:
        line.refs.append(make_ref(seg, st.comp))


_LIN_UNUSED = L.LIN.unused_positions()
_LIN_QUALIFIER, _LIN_NDC = L.LIN.positions("ndc_qualifier", "ndc")


def lin(st: State, seg: list[str], loop: str) -> None:
    line = st.line
    e = seg + _PAD + _PAD
    d = DrugIdentification(e[_LIN_QUALIFIER] or None, e[_LIN_NDC] or None)
    if len(seg) > 4 or e[1]:
        if len(seg) > L.LIN.size + 1:
            raise _too_many(seg, L.LIN)
        _unused(d, e, "LIN", _LIN_UNUSED)
    line.drug = d
    st.cur = d
    st.other = d.other


_CTP_UNUSED = L.CTP.unused_positions()
_QUANTITY, _UNIT = L.CTP.positions("quantity", "unit")


def ctp(st: State, seg: list[str], loop: str) -> None:
    d = st.cur
    if d.quantity is not None or d.unit is not None or any(k.startswith("CTP") for k in d.unused):
        raise _twice("CTP", loop)
    if len(seg) > L.CTP.size + 1:
        raise _too_many(seg, L.CTP)
    e = seg + _PAD
    v = e[_QUANTITY]
    if v[:1] == "-":
        raise _negative(v, "CTP04")
    d.quantity = decimal(v, "CTP04") if v else None
    if e[_UNIT]:
        c = e[_UNIT].split(st.comp)
        d.unit = c[0] or None
        for i, x in enumerate(c[1:], start=2):
            if x:
                d.unused[f"CTP05-{i}"] = x
    _unused(d, e, "CTP", _CTP_UNUSED)
