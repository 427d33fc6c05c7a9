# 837P writer: Claim objects in, one complete interchange out.
#
# Strategy: claims are grouped as they come (consecutive claims with the same
# submitter/receiver share a transaction set, the same billing provider an HL 20,
# the same subscriber and payer an HL 22, the same patient an HL 23), so the order of
# claims is kept and a read -> write -> read round trip gives the same claims. Each
# loop is written as the segments the model names plus the RawSegments kept for that
# loop, stably sorted by the loop's TR3 segment order (loops.SEGMENT_ORDER); raw
# sub-loops (2320/2330x, 2430/2440) follow at their TR3 place. HL numbers, parent ids
# and child codes, LX numbers (where a line has none), SE01/GE01/IEA01 and the control numbers are computed.
# Every segment the model names is built with its layout (elements.py), the table the
# reader takes its positions from. Output is deterministic for the same claims,
# control number and `now`.
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import groupby
from datetime import date
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from ..errors import ArgumentError
from ..claims import (Address, BillingProvider, Claim, Contact, Diagnosis, Dtp, Party,
                      Patient, Payer, RawSegment, Ref, ServiceLine, Subscriber)
from ..x12 import Delimiters, SegmentWriter
from . import elements as L
from .loops import SEGMENT_ORDER

__all__ = ["write_837p", "claim_segments", "VERSION"]

VERSION = "005010X222A1"

Seg = list[Any]   # a segment to write: id, then elements (a composite is a list)

_NON_DIAGNOSIS = {"BP": 1, "BO": 1, "BG": 2}
# REF qualifiers that the TR3 puts after REF*6R in loop 2400.
_AFTER_6R = frozenset({"EW", "X4", "F4", "BT", "9F"})


def _amount(v: Decimal | None) -> str | None:
    if v is None:
        return None
    text = format(v, "f")
    return text


def _d8(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _unused_into(elements: Seg, unused: dict[str, str], seg_id: str) -> Seg:
    """Put `unused` values of this segment id back at their positions."""
    n = len(seg_id)
    for key, value in unused.items():
        if key.startswith(seg_id) and key[n:].isdigit():
            pos = int(key[n:])
            while len(elements) <= pos:
                elements.append(None)
            elements[pos] = value
    return elements


def _sorted(loop: str, modelled: list[Seg], raws: Iterable[RawSegment]) -> list[Seg]:
    """Modelled segments and this loop's raw segments in TR3 order (stable)."""
    order = SEGMENT_ORDER.get(loop, {})
    items = [(order.get(s[0], 99), i, s) for i, s in enumerate(modelled)]
    base = len(items)
    for j, r in enumerate(raws):
        items.append((order.get(r.elements[0], 99), base + j, r.elements))
    items.sort(key=lambda t: (t[0], t[1]))
    return [s for _, _, s in items]


def _split_raw(other: list[RawSegment], main_loops: tuple[str, ...]
               ) -> tuple[dict[str, list[RawSegment]], list[RawSegment]]:
    """(raws of the main loops by loop id, raws of sub-loops in order)."""
    main: dict[str, list[RawSegment]] = {}
    sub: list[RawSegment] = []
    for r in other:
        if r.loop in main_loops or not r.loop:
            main.setdefault(r.loop or main_loops[0], []).append(r)
        else:
            sub.append(r)
    return main, sub


# -- segment builders ----------------------------------------------------------

def _nm1(code: str | None, entity_type: str | None, name: str | None, first: str | None,
         middle: str | None, prefix: str | None, suffix: str | None, id_qual: str | None,
         ident: str | None, unused: dict[str, str] | None = None) -> Seg:
    seg = L.NM1.build(entity_code=code, entity_type=entity_type, name=name, first_name=first,
                      middle_name=middle, prefix=prefix, suffix=suffix, id_qualifier=id_qual,
                      id=ident)
    if unused:
        _unused_into(seg, unused, "NM1")
    return seg


def _address(a: Address | None) -> list[Seg]:
    if a is None:
        return []
    out = []
    if a.line1 is not None or a.line2 is not None:
        out.append(L.N3.build(line1=a.line1, line2=a.line2))
    if any(x is not None for x in (a.city, a.state, a.postal_code, a.country,
                                    a.location_qualifier, a.location_id, a.subdivision)):
        out.append(L.N4.build(city=a.city, state=a.state, postal_code=a.postal_code,
                              country=a.country, location_qualifier=a.location_qualifier,
                              location_id=a.location_id, subdivision=a.subdivision))
    return out


def _ref(r: Ref) -> Seg:
    return L.REF.build(qualifier=r.qualifier, value=r.value, description=r.description,
                       identifiers=r.identifiers or None)


def _per(c: Contact) -> Seg:
    return L.PER.build(function_code=c.function_code, name=c.name, qualifier1=c.qualifier1,
                       number1=c.number1, qualifier2=c.qualifier2, number2=c.number2,
                       qualifier3=c.qualifier3, number3=c.number3,
                       inquiry_reference=c.inquiry_reference)


def _dtp(d: Dtp) -> Seg:
    if d.format == "D8":
        value = _d8(d.start) if d.start else None
    elif d.format == "RD8":
        value = f"{_d8(d.start)}-{_d8(d.end)}" if d.start and d.end else d.text
    else:
        value = d.text
    return L.DTP.build(qualifier=d.qualifier, format=d.format, value=value)


def _prv(code: str | None, qualifier: str | None, taxonomy: str | None,
         unused: dict[str, str]) -> Seg:
    seg = L.PRV.build(specialty_code=code, taxonomy_qualifier=qualifier, taxonomy=taxonomy)
    if unused:
        _unused_into(seg, unused, "PRV")
    return seg


def _dmg(birth_date: date | None, gender: str | None, unused: dict[str, str]) -> Seg | None:
    if birth_date is None and gender is None and not any(k.startswith("DMG") for k in unused):
        return None
    seg = L.DMG.build(format="D8" if birth_date is not None else None,
                      birth_date=_d8(birth_date) if birth_date is not None else None,
                      gender=gender)
    return _unused_into(seg, unused, "DMG")


def _party_segments(p: Party) -> list[Seg]:
    segs = [_nm1(p.entity_code, p.entity_type, p.name, p.first_name, p.middle_name, p.prefix,
                 p.suffix, p.id_qualifier, p.id, p.unused)]
    segs += _address(p.address)
    if p.taxonomy is not None or p.specialty_code is not None:
        segs.append(_prv(p.specialty_code, p.taxonomy_qualifier, p.taxonomy, p.unused))
    segs += [_ref(r) for r in p.refs]
    segs += [_per(c) for c in p.contacts]
    return _sorted(p.loop, segs, [r for r in p.other])


def _billing_segments(b: BillingProvider, hl: int) -> list[Seg]:
    main, sub = _split_raw(b.other, ("2000A", "2010AA"))
    segs = [L.HL.build(id=str(hl), level="20", children="1")]
    if b.taxonomy is not None or b.specialty_code is not None:
        segs.append(_prv(b.specialty_code or "BI", b.taxonomy_qualifier or "PXC", b.taxonomy,
                         b.unused))
    out = _sorted("2000A", segs, main.get("2000A", ()))
    segs = [_nm1("85", b.entity_type, b.name, b.first_name, b.middle_name, b.prefix, b.suffix,
                 b.id_qualifier, b.npi, b.unused)]
    segs += _address(b.address)
    if b.tax_id is not None or b.tax_id_qualifier is not None:
        segs.append(L.REF.build(qualifier=b.tax_id_qualifier or "EI", value=b.tax_id))
    segs += [_ref(r) for r in b.refs]
    segs += [_per(c) for c in b.contacts]
    out += _sorted("2010AA", segs, main.get("2010AA", ()))
    for r in sub:
        out.append(r.elements)
    if b.pay_to is not None:
        out += _party_segments(b.pay_to)
    if b.pay_to_plan is not None:
        out += _party_segments(b.pay_to_plan)
    return out


def _subscriber_segments(s: Subscriber, payer: Payer | None, hl: int, parent: int,
                         has_patients: bool) -> list[Seg]:
    main, sub = _split_raw(s.other, ("2000B", "2010BA"))
    segs = [L.HL.build(id=str(hl), parent=str(parent), level="22",
                       children="1" if has_patients else "0"),
            L.SBR.build(payer_responsibility=s.payer_responsibility, relationship=s.relationship,
                        group_number=s.group_number, group_name=s.group_name,
                        insurance_type=s.insurance_type,
                        coordination_of_benefits=s.coordination_of_benefits,
                        condition_response=s.condition_response,
                        employment_status=s.employment_status,
                        claim_filing_indicator=s.claim_filing_indicator)]
    out = _sorted("2000B", segs, main.get("2000B", ()))
    segs = [_nm1("IL", s.entity_type, s.last_name, s.first_name, s.middle_name, s.prefix,
                 s.suffix, s.id_qualifier, s.member_id, s.unused)]
    segs += _address(s.address)
    dmg = _dmg(s.birth_date, s.gender, s.unused)
    if dmg:
        segs.append(dmg)
    segs += [_ref(r) for r in s.refs]
    segs += [_per(c) for c in s.contacts]
    out += _sorted("2010BA", segs, main.get("2010BA", ()))
    for r in sub:
        out.append(r.elements)
    if payer is not None:
        segs = [_nm1("PR", payer.entity_type, payer.name, payer.first_name, payer.middle_name,
                     payer.prefix, payer.suffix, payer.id_qualifier, payer.id, payer.unused)]
        segs += _address(payer.address)
        segs += [_ref(r) for r in payer.refs]
        out += _sorted("2010BB", segs, payer.other)
    return out


def _patient_segments(p: Patient, hl: int, parent: int) -> list[Seg]:
    main, sub = _split_raw(p.other, ("2000C", "2010CA"))
    pat = _unused_into(L.PAT.build(relationship=p.relationship), p.unused, "PAT")
    hl_seg = L.HL.build(id=str(hl), parent=str(parent), level="23", children="0")
    out = _sorted("2000C", [hl_seg, pat], main.get("2000C", ()))
    segs = [_nm1("QC", p.entity_type, p.last_name, p.first_name, p.middle_name, p.prefix,
                 p.suffix, p.id_qualifier, p.id, p.unused)]
    segs += _address(p.address)
    dmg = _dmg(p.birth_date, p.gender, p.unused)
    if dmg:
        segs.append(dmg)
    segs += [_ref(r) for r in p.refs]
    segs += [_per(c) for c in p.contacts]
    out += _sorted("2010CA", segs, main.get("2010CA", ()))
    for r in sub:
        out.append(r.elements)
    return out


def _hi_segments(diagnoses: list[Diagnosis]) -> list[Seg]:
    out: list[Seg] = []
    for _, same_kind in groupby(diagnoses, key=lambda d: _NON_DIAGNOSIS.get(d.qualifier or "", 0)):
        group = list(same_kind)
        for i in range(0, len(group), 12):
            seg: Seg = ["HI"]
            for d in group[i:i + 12]:
                seg.append([d.qualifier or "", d.code or "", *d.extra])
            out.append(seg)
    return out


def claim_segments(claim: Claim) -> list[Seg]:
    """The segments of loop 2300 and everything under it (2310x, 2320, 2400 ...)."""
    c = claim
    main, sub = _split_raw(c.other, ("2300",))
    facility = L.CLM05.build(place_of_service=c.place_of_service or "",
                             facility_code_qualifier=c.facility_code_qualifier or "",
                             frequency_code=c.frequency_code or "")
    facility += [c.unused.get(f"CLM05-{i}", "") for i in range(4, 8) if f"CLM05-{i}" in c.unused]
    clm = L.CLM.build(patient_control_number=c.patient_control_number,
                      total_charge=_amount(c.total_charge), facility=facility,
                      provider_signature=c.provider_signature, assignment=c.assignment,
                      benefits_assignment=c.benefits_assignment,
                      release_of_information=c.release_of_information,
                      patient_signature_source=c.patient_signature_source,
                      related_causes=c.related_causes or None,
                      special_program=c.special_program, delay_reason=c.delay_reason)
    _unused_into(clm, c.unused, "CLM")
    segs = [clm]
    segs += [_dtp(d) for d in c.dates]
    segs += [_ref(r) for r in c.refs]
    segs += [L.NTE.build(code=n.code, text=n.text) for n in c.notes]
    segs += _hi_segments(c.diagnoses)
    out = _sorted("2300", segs, main.get("2300", ()))
    for p in c.parties:
        out += _party_segments(p)
    for r in sub:
        out.append(r.elements)
    for n, line in enumerate(c.lines, start=1):
        out += _line_segments(line, line.line_number or n)
    return out


def _line_segments(line: ServiceLine, number: int) -> list[Seg]:
    main, sub = _split_raw(line.other, ("2400",))
    u = line.unused
    sv101 = [line.qualifier or "", line.code or ""]
    mods = list(line.modifiers)
    if line.description is not None or "SV101-8" in u:
        mods += [""] * (4 - len(mods))
        sv101 += mods + [line.description or "", u.get("SV101-8", "")]
    else:
        sv101 += mods
    sv1 = L.SV1.build(procedure=sv101, charge=_amount(line.charge), unit_basis=line.unit_basis,
                      units=_amount(line.units), place_of_service=line.place_of_service,
                      diagnosis_pointers=[str(p) for p in line.diagnosis_pointers] or None,
                      emergency=line.emergency, epsdt=line.epsdt,
                      family_planning=line.family_planning, copay_status=line.copay_status)
    _unused_into(sv1, u, "SV1")
    segs = [L.LX.build(line_number=str(number)), sv1]
    if line.service_date is not None:
        if line.service_date_end is not None:
            segs.append(L.DTP.build(qualifier="472", format="RD8",
                                    value=f"{_d8(line.service_date)}-{_d8(line.service_date_end)}"))
        else:
            segs.append(L.DTP.build(qualifier="472", format="D8", value=_d8(line.service_date)))
    segs += [_dtp(d) for d in line.dates]
    refs = [_ref(r) for r in line.refs]
    if line.control_number is not None:
        at = next((i for i, r in enumerate(line.refs) if r.qualifier in _AFTER_6R), len(refs))
        refs.insert(at, L.REF.build(qualifier="6R", value=line.control_number))
    segs += refs
    segs += [L.NTE.build(code=n.code, text=n.text) for n in line.notes]
    out = _sorted("2400", segs, main.get("2400", ()))
    d = line.drug
    if d is not None:
        lin = _unused_into(L.LIN.build(ndc_qualifier=d.ndc_qualifier, ndc=d.ndc), d.unused, "LIN")
        dsegs = [lin]
        if d.quantity is not None or d.unit is not None or any(
                k.startswith("CTP") for k in d.unused):
            unit = [d.unit or ""] + [d.unused.get(f"CTP05-{i}", "") for i in range(2, 16)]
            ctp = L.CTP.build(quantity=_amount(d.quantity), unit=unit)
            _unused_into(ctp, d.unused, "CTP")
            dsegs.append(ctp)
        dsegs += [_ref(r) for r in d.refs]
        out += _sorted("2410", dsegs, d.other)
    for p in line.parties:
        out += _party_segments(p)
    for r in sub:
        out.append(r.elements)
    return out


# -- the interchange ---------------------------------------------------------------

def _same(a: object, b: object) -> bool:
    return a is b or a == b


def _consecutive(items: Iterable[Claim], key: Callable[[Claim], Any]
                 ) -> Iterator[tuple[Any, list[Claim]]]:
    """Group consecutive items whose keys are equal (identity first, then ==)."""
    group: list[Claim] = []
    current = None
    for it in items:
        k = key(it)
        if group and _same(k, current):
            group.append(it)
        else:
            if group:
                yield current, group
            group, current = [it], k
    if group:
        yield current, group


def _header_segments(claim: Claim | None, sender_id: str, receiver_id: str, reference: str,
                     now: datetime) -> list[Seg]:
    env = claim.envelope if claim is not None else None
    out = [L.BHT.build(structure=(env and env.bht_structure) or "0019",
                       purpose=(env and env.bht_purpose) or "00",
                       reference=(env and env.bht_reference) or reference,
                       date=now.strftime("%Y%m%d"), time=now.strftime("%H%M"),
                       type=(env and env.bht_type) or "CH")]
    if env is not None:
        out = _sorted("HEADER", out, env.other)
    sub = claim.submitter if claim is not None else None
    if sub is None:
        sub = Party("1000A", "41", "2", sender_id, id_qualifier="46", id=sender_id,
                    contacts=[Contact("IC", sender_id)])
    rec = claim.receiver if claim is not None else None
    if rec is None:
        rec = Party("1000B", "40", "2", receiver_id, id_qualifier="46", id=receiver_id)
    out += _party_segments(sub)
    out += _party_segments(rec)
    return out


def _claims_only(claims: object) -> Iterator[Claim]:
    if isinstance(claims, (str, bytes, dict, Claim)) or not isinstance(claims, Iterable):
        raise TypeError(f"write_837p: claims must be an iterable of Claim objects, not "
                        f"{type(claims).__name__}")
    for n, c in enumerate(claims):
        if not isinstance(c, Claim):
            raise TypeError(f"write_837p: claims[{n}] is a {type(c).__name__}, not a Claim")
        yield c


def _check_arguments(stream: object, sender_id: object, receiver_id: object,
                     control_number: object, now: object, delimiters: object) -> None:
    if stream is not None and not callable(getattr(stream, "write", None)):
        raise TypeError(f"write_837p: stream must be a binary file object or None, not "
                        f"{type(stream).__name__}")
    for arg, value in (("sender_id", sender_id), ("receiver_id", receiver_id)):
        if not isinstance(value, str):
            raise TypeError(f"write_837p: {arg} must be a str, not {type(value).__name__}")
        if not value or len(value) > 15:
            raise ArgumentError(f"write_837p: {arg} must be 1 to 15 characters (ISA06/ISA08)")
    if not isinstance(control_number, int) or isinstance(control_number, bool):
        raise TypeError(f"write_837p: control_number must be an int, not "
                        f"{type(control_number).__name__}")
    if not 1 <= control_number <= 999_999_999:
        raise ArgumentError("write_837p: control_number must be 1 to 999999999 (ISA13)")
    if now is not None and not isinstance(now, datetime):
        raise TypeError(f"write_837p: now must be a datetime or None, not {type(now).__name__}")
    if not isinstance(delimiters, Delimiters):
        raise TypeError(f"write_837p: delimiters must be a Delimiters, not "
                        f"{type(delimiters).__name__}")


def write_837p(claims: Iterable[Claim], stream: BinaryIO | None = None, *, sender_id: str,
               receiver_id: str, sender_qualifier: str = "ZZ", receiver_qualifier: str = "ZZ",
               control_number: int = 1, now: datetime | None = None,
               delimiters: Delimiters = Delimiters(), line_break: bool = True,
               usage: str = "P") -> bytes | None:
    """Write claims as one 837P interchange (ISA..IEA with one GS).

    Consecutive claims with the same submitter and receiver share a transaction set
    (normally there is one). Returns the bytes when `stream` is None.
    """
    _check_arguments(stream, sender_id, receiver_id, control_number, now, delimiters)
    claims = _claims_only(claims)
    now = now or datetime.now()
    w = SegmentWriter(stream, delimiters, line_break=line_break)
    w.begin_interchange(sender_qualifier, sender_id, receiver_qualifier, receiver_id,
                        control_number, now=now, usage=usage)
    w.begin_group("HC", sender_id, receiver_id, control_number, VERSION, now=now)
    st_number = 0
    for _, st_claims in _consecutive(claims, lambda c: (c.submitter, c.receiver)):
        st_number += 1
        w.begin_transaction("837", st_number, VERSION)
        for seg in _header_segments(st_claims[0], sender_id, receiver_id, str(control_number), now):
            w.write(seg)
        hl = 0
        for bp, bp_claims in _consecutive(st_claims, lambda c: c.billing_provider):
            hl += 1
            bp_hl = hl
            for seg in _billing_segments(bp or BillingProvider(), bp_hl):
                w.write(seg)
            for (sub, payer, has_pat), s_claims in _consecutive(
                    bp_claims, lambda c: (c.subscriber, c.payer, c.patient is not None)):
                hl += 1
                sub_hl = hl
                for seg in _subscriber_segments(sub or Subscriber(), payer, sub_hl, bp_hl,
                                                has_pat):
                    w.write(seg)
                if has_pat:
                    for pat, p_claims in _consecutive(s_claims, lambda c: c.patient):
                        hl += 1
                        for seg in _patient_segments(pat, hl, sub_hl):
                            w.write(seg)
                        for c in p_claims:
                            for seg in claim_segments(c):
                                w.write(seg)
                else:
                    for c in s_claims:
                        for seg in claim_segments(c):
                            w.write(seg)
        w.end_transaction()
    if st_number == 0:
        w.begin_transaction("837", 1, VERSION)
        for seg in _header_segments(None, sender_id, receiver_id, str(control_number), now):
            w.write(seg)
        w.end_transaction()
    w.end_group()
    w.end_interchange()
    return w.getvalue() if stream is None else None
