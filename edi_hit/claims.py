# The claim model: what one 837P 005010X222A1 claim carries, as typed dataclasses.
#
# Strategy: the segments a pricer or a person asks about (CLM, HI, SV1, DTP*472, REF,
# NM1/N3/N4/PER/PRV/DMG/SBR of the parties, LIN/CTP) get named, typed fields; money is
# Decimal, dates are date. Nothing else is dropped: elements the TR3 marks "not used"
# land in an `unused` dict keyed by element reference ("SV106", "SV101-8"), and whole
# segments the model does not name (CR1, PWK, AMT, K3, HCP, the 2320/2330x COB loops,
# 2430/2440 ...) are kept in order as RawSegment(loop, elements) on the object whose
# loop they came from. A read -> write -> read round trip therefore loses nothing.
#
# Context objects (billing provider, subscriber, patient, payer, submitter, receiver,
# envelope) may be shared by many claims. Empty elements are None, never "".
#
# Every class has to_dict() (JSON-able: Decimal as its string, date as "YYYY-MM-DD",
# fields equal to their default left out) and from_dict(); from_dict(to_dict(x)) == x.
# The converters are built once per class from its type hints. from_dict checks what
# it is given (an object, known fields, a string where the model has a string, an
# amount as an X12 real - digits, one optional point, an optional minus, never an
# exponent, NaN or a float -, a real YYYY-MM-DD date, null only where the model
# allows None) and raises DataError naming the field ("lines[0].charge"); it never
# quotes a value other than an amount (a name or a birth date is PHI).
from __future__ import annotations

import dataclasses
import re
import sys
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import DataError

__all__ = [
    "Address", "BillingProvider", "Claim", "Contact", "Diagnosis", "DrugIdentification",
    "Dtp", "Envelope", "Note", "Party", "Patient", "Payer", "RawSegment", "Ref",
    "ServiceLine", "Subscriber", "MODEL_CLASSES", "RejectedClaim",
]


def _list() -> Any:
    return field(default_factory=list)


def _dict() -> Any:
    return field(default_factory=dict)


class Codec:
    """to_dict / from_dict of every model class (installed from the type hints below)."""

    __slots__ = ()

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover - replaced by _install_codec

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> Any:
        raise NotImplementedError  # pragma: no cover - replaced by _install_codec


# -- small value types ---------------------------------------------------------

@dataclass(slots=True)
class RawSegment:
    """A segment kept as it came: elements[0] is the segment id; a composite element
    is a list of its components. `loop` is the TR3 loop it was read in ("2320")."""

    loop: str
    elements: list[Any] = _list()

    @property
    def segment_id(self) -> str:
        return self.elements[0] if self.elements else ""

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        return {"loop": self.loop, "elements": [e if isinstance(e, str) else list(e)
                                                for e in self.elements]}

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> "RawSegment":
        where = path or "segment"
        if not isinstance(d, dict):
            raise DataError(f"{where}: expected an object, got {_type_name(d)}")
        unknown = set(d) - {"loop", "elements"}
        if unknown:
            raise DataError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        loop, elements = d.get("loop"), d.get("elements", [])
        if not isinstance(loop, str):
            raise DataError(f"{where}.loop: expected a string, got {_type_name(loop)}")
        if not isinstance(elements, list) or not elements:
            raise DataError(f"{where}.elements: expected a non-empty array of strings")
        out: list[Any] = []
        for n, e in enumerate(elements):
            if isinstance(e, str):
                out.append(e)
            elif isinstance(e, list) and all(isinstance(c, str) for c in e):
                out.append(list(e))
            else:
                raise DataError(f"{where}.elements[{n}]: expected a string or an array of "
                                f"strings, got {_type_name(e)}")
        return cls(loop, out)


@dataclass(slots=True)
class Address(Codec):
    """N3 + N4."""

    line1: str | None = None            # N301
    line2: str | None = None            # N302
    city: str | None = None             # N401
    state: str | None = None            # N402
    postal_code: str | None = None      # N403
    country: str | None = None          # N404
    location_qualifier: str | None = None  # N405 (not used in 837P)
    location_id: str | None = None      # N406 (not used in 837P)
    subdivision: str | None = None      # N407 country subdivision


@dataclass(slots=True)
class Ref(Codec):
    """REF: qualifier (REF01) and value (REF02)."""

    qualifier: str | None = None
    value: str | None = None
    description: str | None = None      # REF03
    identifiers: list[str] = _list()    # REF04 components


@dataclass(slots=True)
class Contact(Codec):
    """PER: contact function, name and up to three communication numbers."""

    function_code: str | None = "IC"    # PER01
    name: str | None = None             # PER02
    qualifier1: str | None = None       # PER03 (TE, EM, FX, EX)
    number1: str | None = None          # PER04
    qualifier2: str | None = None
    number2: str | None = None
    qualifier3: str | None = None
    number3: str | None = None
    inquiry_reference: str | None = None  # PER09


@dataclass(slots=True)
class Dtp(Codec):
    """DTP: qualifier, format and the date (D8) or range (RD8). Other formats (DT, TM)
    keep their text in `text`."""

    qualifier: str | None = None
    format: str | None = "D8"
    start: date | None = None
    end: date | None = None
    text: str | None = None


@dataclass(slots=True)
class Note(Codec):
    """NTE."""

    code: str | None = None
    text: str | None = None


@dataclass(slots=True)
class Diagnosis(Codec):
    """One HI composite: qualifier (ABK, ABF, BK, BF, BP, BG ...) and code; any further
    components (dates, amounts) in `extra`."""

    qualifier: str | None = None
    code: str | None = None
    extra: list[str] = _list()


@dataclass(slots=True)
class Party(Codec):
    """A generic NM1 loop (1000A/B, 2010AB/AC, 2310A-F, 2420A-H) with its N3/N4, PRV,
    REF and PER segments."""

    loop: str = ""
    entity_code: str | None = None      # NM101
    entity_type: str | None = None      # NM102: 1 person, 2 organisation
    name: str | None = None             # NM103 last or organisation name
    first_name: str | None = None       # NM104
    middle_name: str | None = None      # NM105
    prefix: str | None = None           # NM106
    suffix: str | None = None           # NM107
    id_qualifier: str | None = None     # NM108
    id: str | None = None               # NM109
    address: Address | None = None
    specialty_code: str | None = None   # PRV01 (PE, BI ...)
    taxonomy_qualifier: str | None = None  # PRV02 (PXC)
    taxonomy: str | None = None         # PRV03
    refs: list[Ref] = _list()
    contacts: list[Contact] = _list()
    unused: dict[str, str] = _dict()    # NM110-NM112, PRV04-PRV06 when present
    other: list[RawSegment] = _list()

    @property
    def npi(self) -> str | None:
        return self.id if self.id_qualifier == "XX" else None


# -- context objects -----------------------------------------------------------

@dataclass(slots=True)
class Envelope(Codec):
    """ISA / GS / ST / BHT of the transaction set a claim came in."""

    sender_qualifier: str | None = None          # ISA05
    sender_id: str | None = None                 # ISA06
    receiver_qualifier: str | None = None        # ISA07
    receiver_id: str | None = None               # ISA08
    interchange_date: date | None = None         # ISA09
    interchange_time: str | None = None          # ISA10
    interchange_version: str | None = None       # ISA12
    interchange_control_number: str | None = None  # ISA13
    ack_requested: str | None = None             # ISA14
    usage_indicator: str | None = None           # ISA15 (P, T)
    authorization_qualifier: str | None = None   # ISA01
    authorization: str | None = None             # ISA02
    security_qualifier: str | None = None        # ISA03
    security: str | None = None                  # ISA04
    functional_id: str | None = None             # GS01 (HC)
    application_sender: str | None = None        # GS02
    application_receiver: str | None = None      # GS03
    group_date: date | None = None               # GS04
    group_time: str | None = None                # GS05
    group_control_number: str | None = None      # GS06
    agency: str | None = None                    # GS07
    version: str | None = None                   # GS08 (005010X222A1)
    transaction_set_id: str | None = None        # ST01 (837)
    transaction_control_number: str | None = None  # ST02
    implementation_reference: str | None = None  # ST03
    bht_structure: str | None = None             # BHT01 (0019)
    bht_purpose: str | None = None               # BHT02 (00, 18)
    bht_reference: str | None = None             # BHT03
    bht_date: date | None = None                 # BHT04
    bht_time: str | None = None                  # BHT05
    bht_type: str | None = None                  # BHT06 (CH, RP)
    other: list[RawSegment] = _list()            # header segments the model does not name


@dataclass(slots=True)
class BillingProvider(Codec):
    """Loop 2000A (PRV, CUR) and 2010AA, with the pay-to loops 2010AB / 2010AC."""

    name: str | None = None                      # NM103
    npi: str | None = None                       # NM109 (NM108 = XX)
    address: Address | None = None
    taxonomy: str | None = None                  # 2000A PRV03
    tax_id: str | None = None                    # REF02 of REF*EI / REF*SY
    tax_id_qualifier: str | None = None          # EI or SY
    entity_type: str | None = "2"                # NM102
    first_name: str | None = None
    middle_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    id_qualifier: str | None = "XX"              # NM108
    specialty_code: str | None = None            # 2000A PRV01 (BI)
    taxonomy_qualifier: str | None = None        # 2000A PRV02 (PXC)
    refs: list[Ref] = _list()                    # other 2010AA REFs (0B, 1G)
    contacts: list[Contact] = _list()            # 2010AA PER
    pay_to: Party | None = None                  # 2010AB
    pay_to_plan: Party | None = None             # 2010AC
    unused: dict[str, str] = _dict()
    other: list[RawSegment] = _list()            # CUR and anything unnamed in 2000A/2010AA


@dataclass(slots=True)
class Subscriber(Codec):
    """Loop 2000B (SBR, PAT) and 2010BA."""

    member_id: str | None = None                 # NM109 (the MBI for Medicare)
    last_name: str | None = None                 # NM103
    first_name: str | None = None
    middle_name: str | None = None
    birth_date: date | None = None               # DMG02
    gender: str | None = None                    # DMG03
    claim_filing_indicator: str | None = None    # SBR09 (MB = Medicare Part B)
    payer_responsibility: str | None = None      # SBR01 (P, S, T ...)
    address: Address | None = None
    relationship: str | None = None              # SBR02 (18 = self)
    group_number: str | None = None              # SBR03
    group_name: str | None = None                # SBR04
    insurance_type: str | None = None            # SBR05
    coordination_of_benefits: str | None = None  # SBR06 (not used)
    condition_response: str | None = None        # SBR07 (not used)
    employment_status: str | None = None         # SBR08 (not used)
    prefix: str | None = None
    suffix: str | None = None
    entity_type: str | None = "1"                # NM102
    id_qualifier: str | None = "MI"              # NM108
    refs: list[Ref] = _list()                    # REF*SY, REF*Y4
    contacts: list[Contact] = _list()
    unused: dict[str, str] = _dict()             # NM110+, DMG04+
    other: list[RawSegment] = _list()            # PAT (2000B) and anything unnamed

    @property
    def mbi(self) -> str | None:
        return self.member_id


@dataclass(slots=True)
class Patient(Codec):
    """Loop 2000C (PAT) and 2010CA, present when the patient is not the subscriber."""

    relationship: str | None = None              # PAT01
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    address: Address | None = None
    prefix: str | None = None
    suffix: str | None = None
    entity_type: str | None = "1"
    id_qualifier: str | None = None
    id: str | None = None
    refs: list[Ref] = _list()
    contacts: list[Contact] = _list()
    unused: dict[str, str] = _dict()             # PAT02-PAT09, NM110+, DMG04+
    other: list[RawSegment] = _list()


@dataclass(slots=True)
class Payer(Codec):
    """Loop 2010BB."""

    name: str | None = None
    id_qualifier: str | None = "PI"
    id: str | None = None
    address: Address | None = None
    entity_type: str | None = "2"
    first_name: str | None = None
    middle_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    refs: list[Ref] = _list()
    unused: dict[str, str] = _dict()
    other: list[RawSegment] = _list()


# -- claim and lines -------------------------------------------------------------

@dataclass(slots=True)
class DrugIdentification(Codec):
    """Loop 2410: LIN (NDC), CTP (quantity and unit), REF (VY / XZ)."""

    ndc_qualifier: str | None = "N4"             # LIN02
    ndc: str | None = None                       # LIN03
    quantity: Decimal | None = None              # CTP04
    unit: str | None = None                      # CTP05-1 (F2, GR, ME, ML, UN)
    refs: list[Ref] = _list()
    unused: dict[str, str] = _dict()             # LIN01, LIN04+, CTP01-03, CTP05-2+, CTP06+
    other: list[RawSegment] = _list()


@dataclass(slots=True)
class ServiceLine(Codec):
    """Loop 2400 with its 2410 drug and 2420A-H parties; 2430/2440 are kept raw."""

    line_number: int = 0                          # LX01
    qualifier: str | None = "HC"                  # SV101-1
    code: str | None = None                       # SV101-2
    modifiers: list[str] = _list()                # SV101-3..6
    description: str | None = None                # SV101-7
    charge: Decimal = Decimal(0)                  # SV102
    unit_basis: str | None = "UN"                 # SV103 (UN, MJ)
    units: Decimal | None = None                  # SV104
    place_of_service: str | None = None           # SV105
    diagnosis_pointers: list[int] = _list()       # SV107
    service_date: date | None = None              # DTP*472 (D8 date, or RD8 start)
    service_date_end: date | None = None          # DTP*472 RD8 end; None for D8
    control_number: str | None = None             # REF*6R
    drug: DrugIdentification | None = None        # 2410
    emergency: str | None = None                  # SV109
    epsdt: str | None = None                      # SV111
    family_planning: str | None = None            # SV112
    copay_status: str | None = None               # SV115
    dates: list[Dtp] = _list()                    # other DTPs (471, 607 ...)
    refs: list[Ref] = _list()                     # other REFs
    notes: list[Note] = _list()
    parties: list[Party] = _list()                # 2420A-H
    unused: dict[str, str] = _dict()              # SV101-8, SV106, SV108, SV110, SV113 ...
    other: list[RawSegment] = _list()             # SV5, PWK, CR1, CR3, QTY, HCP, 2430, 2440 ...

    def party(self, entity_code: str) -> Party | None:
        for p in self.parties:
            if p.entity_code == entity_code:
                return p
        return None


@dataclass(slots=True)
class Claim(Codec):
    """Loop 2300 and everything under it, with references to its context."""

    patient_control_number: str | None = None     # CLM01
    total_charge: Decimal = Decimal(0)            # CLM02
    place_of_service: str | None = None           # CLM05-1
    facility_code_qualifier: str | None = "B"     # CLM05-2
    frequency_code: str | None = "1"              # CLM05-3 (1, 7, 8)
    diagnoses: list[Diagnosis] = _list()          # every HI composite, in order
    refs: list[Ref] = _list()                     # 2300 REF (G1 prior auth, F8 original claim)
    lines: list[ServiceLine] = _list()
    billing_provider: BillingProvider | None = None
    subscriber: Subscriber | None = None
    patient: Patient | None = None
    payer: Payer | None = None
    submitter: Party | None = None                # 1000A
    receiver: Party | None = None                 # 1000B
    envelope: Envelope | None = None
    provider_signature: str | None = None         # CLM06
    assignment: str | None = None                 # CLM07 (A, B, C)
    benefits_assignment: str | None = None        # CLM08 (Y, N, W)
    release_of_information: str | None = None     # CLM09 (I, Y)
    patient_signature_source: str | None = None   # CLM10
    related_causes: list[str] = _list()           # CLM11 components (causes, state, country)
    special_program: str | None = None            # CLM12
    delay_reason: str | None = None               # CLM20
    dates: list[Dtp] = _list()                    # 2300 DTP
    notes: list[Note] = _list()                   # 2300 NTE
    parties: list[Party] = _list()                # 2310A-F
    unused: dict[str, str] = _dict()              # CLM03, CLM04, CLM13-CLM19
    other: list[RawSegment] = _list()             # CR1, PWK, AMT, K3, HCP, 2320/2330x ...

    def ref(self, qualifier: str) -> str | None:
        for r in self.refs:
            if r.qualifier == qualifier:
                return r.value
        return None

    def payer_claim_control_number(self) -> str | None:
        """REF*F8: the payer's control number of the claim a 7/8 frequency replaces."""
        return self.ref("F8")

    @property
    def prior_authorization(self) -> str | None:
        return self.ref("G1")

    def line_place_of_service(self, line: ServiceLine) -> str | None:
        return line.place_of_service or self.place_of_service

    def party(self, entity_code: str) -> Party | None:
        for p in self.parties:
            if p.entity_code == entity_code:
                return p
        return None

    def diagnosis_codes(self) -> list[str | None]:
        """Codes of the diagnosis HI composites (ABK/ABF/BK/BF ...), pointer order."""
        return [d.code for d in self.diagnoses if d.qualifier not in _NON_DIAGNOSIS]


_NON_DIAGNOSIS = frozenset({"BP", "BO", "BG"})  # anesthesia procedures, condition codes

MODEL_CLASSES = (RawSegment, Address, Ref, Contact, Dtp, Note, Diagnosis, Party, Envelope,
                 BillingProvider, Subscriber, Patient, Payer, DrugIdentification,
                 ServiceLine, Claim)


# -- to_dict / from_dict, built from the type hints ----------------------------

def _kind(tp: Any) -> tuple[Any, ...]:
    """A converter description for one annotated type."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
        return _kind(inner[0]) if len(inner) == 1 else ("plain",)
    if origin is list:
        return ("list", _kind(args[0]) if args else ("plain",))
    if origin is dict:
        return ("plain_dict",)
    if tp is Decimal:
        return ("decimal",)
    if tp is date:
        return ("date",)
    if tp is str:
        return ("plain", str)
    if tp is int:
        return ("plain", int)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return ("model", tp)
    return ("plain",)


def _optional(tp: Any) -> bool:
    return type(None) in typing.get_args(tp)


def _type_name(v: object) -> str:
    return "null" if v is None else {dict: "an object", list: "an array", str: "a string",
                                     bool: "a boolean", int: "a number", float: "a number"}.get(
        type(v), type(v).__name__)


_REAL = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def _dump(kind: tuple[Any, ...], v: Any, full: bool = False) -> Any:
    k = kind[0]
    if k == "plain":
        return v
    if k == "decimal":
        return str(v)
    if k == "date":
        return v.isoformat()
    if k == "model":
        return v.to_dict(full=full)
    if k == "list":
        return [_dump(kind[1], x, full) for x in v]
    if k == "plain_dict":
        return dict(v)
    raise AssertionError(kind)


def _load(kind: tuple[Any, ...], v: Any, path: str) -> Any:
    k = kind[0]
    if v is None:
        return None
    if k == "plain":
        want = kind[1] if len(kind) > 1 else None
        if want is not None and (type(v) is not want):
            raise DataError(f"{path}: expected {'a string' if want is str else 'an integer'}, "
                            f"got {_type_name(v)}")
        return v
    if k == "decimal":
        if isinstance(v, Decimal):
            v = format(v, "f") if v.is_finite() else str(v)
        if type(v) is int:
            v = str(v)
        if not isinstance(v, str) or not _REAL.fullmatch(v):
            got = f"{v!r}" if isinstance(v, str) else _type_name(v)
            raise DataError(f"{path}: expected an amount as a string of digits with at most "
                            f"one decimal point and an optional minus (no exponent), got {got}")
        return Decimal(v)
    if k == "date":
        if isinstance(v, str) and len(v) == 10:
            try:
                return date.fromisoformat(v)
            except ValueError:
                pass
        raise DataError(f"{path}: expected a real date YYYY-MM-DD")
    if k == "model":
        return kind[1].from_dict(v, path)
    if k == "list":
        if not isinstance(v, list):
            raise DataError(f"{path}: expected an array, got {_type_name(v)}")
        if kind[1][0] in ("decimal", "date", "model", "plain"):
            for n, x in enumerate(v):
                if x is None:
                    raise DataError(f"{path}[{n}]: expected a value, got null")
        return [_load(kind[1], x, f"{path}[{n}]") for n, x in enumerate(v)]
    if k == "plain_dict":
        if not isinstance(v, dict) or not all(isinstance(a, str) and isinstance(b, str)
                                              for a, b in v.items()):
            raise DataError(f"{path}: expected an object of strings")
        return dict(v)
    raise AssertionError(kind)


_MISSING = dataclasses.MISSING


def _install_codec(cls: Any) -> None:
    hints = typing.get_type_hints(cls, vars(sys.modules[__name__]))
    spec = []
    for f in dataclasses.fields(cls):
        if f.default is not _MISSING:
            default, factory = f.default, None
        else:
            default, factory = _MISSING, f.default_factory
        spec.append((f.name, _kind(hints[f.name]), default, factory))
    nullable = {f.name for f in dataclasses.fields(cls) if _optional(hints[f.name])}
    names = {f.name for f in dataclasses.fields(cls)}

    def to_dict(self: Any, full: bool = False) -> dict[str, Any]:
        out = {}
        for name, kind, default, factory in spec:
            v = getattr(self, name)
            if factory is not None:
                if not v:
                    continue
            elif v is None:
                if default is None:
                    continue
            elif type(v) is str and v == default and not full:
                continue
            out[name] = None if v is None else _dump(kind, v, full)
        return out

    def from_dict(klass: Any, d: Any, path: str = "") -> Any:
        where = path or klass.__name__
        if not isinstance(d, dict):
            raise DataError(f"{where}: expected an object, got {_type_name(d)}")
        for key in d:
            if key not in names:
                raise DataError(f"{where}: unknown field {key!r}"
                                if isinstance(key, str) else f"{where}: a key that is not a string")
        kwargs = {}
        for name, kind, default, factory in spec:
            if name in d:
                v = d[name]
                field_path = f"{path}.{name}" if path else name
                if v is None and name not in nullable:
                    raise DataError(f"{field_path}: expected a value, got null")
                kwargs[name] = _load(kind, v, field_path)
        return klass(**kwargs)

    to_dict.__doc__ = ("JSON-able dict (Decimal as str, date as YYYY-MM-DD). Fields equal to "
                       "their default are left out unless full=True; None and empty lists always.")
    cls.to_dict = to_dict
    cls.from_dict = classmethod(from_dict)


for _cls in MODEL_CLASSES:
    if _cls is not RawSegment:
        _install_codec(_cls)
del _cls


# -- claims that could not be read ------------------------------------------------

@dataclass(slots=True)
class RejectedClaim:
    """A claim the reader could not accept; the other claims of the file go on.

    `read_837p(..., errors="reject")` yields one of these in place of the claim (or
    one for each claim of a transaction set whose envelope is broken). Every claim
    that enters is counted once: as a Claim (accepted) or as a RejectedClaim.
    """

    file: str | None
    reason: str                                  # one line: what is wrong, where
    patient_control_number: str | None = None    # CLM01 when it could be read
    segment_index: int | None = None             # first segment of the claim (its CLM)
    end_index: int | None = None                 # last segment that belonged to it
    interchange_control: str | None = None
    group_control: str | None = None
    transaction_control: str | None = None
    findings: list[Any] = _list()                # edi_hit.errors.Finding

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "file", "reason", "patient_control_number", "segment_index", "end_index",
            "interchange_control", "group_control", "transaction_control")
            if getattr(self, k) is not None}
        out["findings"] = [f.to_dict() for f in self.findings]
        return out
