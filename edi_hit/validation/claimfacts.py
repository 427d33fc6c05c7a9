# What a claim acknowledgment has to repeat about each 837P claim, read from the file.
#
# Strategy: the ValidationReport holds decisions, not the 837P's names and numbers,
# so the 277CA writer reads the file once more with edi-hit's SegmentReader (fast,
# streaming) and keeps, per 837 transaction set, only what the 277CA echoes: BHT03,
# the submitter (1000A) and receiver (1000B), each billing provider (2010AA NM1*85,
# its REF*EI/SY), and per claim its CLM01/CLM02, the patient (2010CA, else the
# subscriber 2010BA) with the subscriber's member id, 2300 REF*D9, and its lines
# (SV1, DTP*472, REF*6R) with the segment spans that place a finding on a line.
# Segment numbers are the reader's, the same as the report's, so a claim here is
# found by its CLM's segment number. The values are kept as text, as received;
# the writer cleans them. Input the reader gives up on ends the facts there.
# Transaction sets are yielded one at a time as they end, so memory is one set.
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import EdiHitError
from ..x12 import ENVELOPE_IDS, SegmentReader

__all__ = ["Name", "LineFacts", "ProviderFacts", "ClaimFacts", "TransactionFacts",
           "iter_claim_facts", "FactsCursor"]


def _el(seg, n):
    return seg[n] if len(seg) > n else ""


@dataclass(slots=True)
class Name:
    """An NM1: entity type (NM102), names, identifier qualifier and identifier."""

    entity_type: str = ""
    last: str = ""
    first: str = ""
    middle: str = ""
    suffix: str = ""
    id_qualifier: str = ""
    id: str = ""

    @classmethod
    def of(cls, seg) -> "Name":
        return cls(_el(seg, 2), _el(seg, 3), _el(seg, 4), _el(seg, 5), _el(seg, 7),
                   _el(seg, 8), _el(seg, 9))


@dataclass(slots=True)
class LineFacts:
    index: int                      # LX
    end: int                        # last segment of the line
    number: str = ""                # LX01
    procedure: list[str] = field(default_factory=list)   # SV101 components
    charge: str = ""                # SV102
    units: str = ""                 # SV104
    date_format: str = ""           # DTP02 of DTP*472
    date: str = ""                  # DTP03
    control: str = ""               # REF*6R

    def holds(self, index: int) -> bool:
        return self.index <= index <= self.end


@dataclass(slots=True)
class ProviderFacts:
    index: int                      # HL*20
    name: Name = field(default_factory=Name)
    tax_qualifier: str = ""         # REF01 EI/SY of 2010AA
    tax_id: str = ""


@dataclass(slots=True)
class ClaimFacts:
    index: int                      # CLM
    end: int
    pcn: str
    charge: str                     # CLM02 as received
    provider: ProviderFacts | None
    patient: Name
    member: Name                    # 2010BA: its id identifies the patient in the 277CA
    clearinghouse_ref: str = ""     # 2300 REF*D9
    lines: list[LineFacts] = field(default_factory=list)


@dataclass(slots=True)
class TransactionFacts:
    index: int                      # ST
    control: str = ""               # ST02
    batch: str = ""                 # BHT03
    submitter: Name = field(default_factory=Name)
    receiver: Name = field(default_factory=Name)
    claims: dict[int, ClaimFacts] = field(default_factory=dict)   # by CLM index


class _Collector:
    def __init__(self):
        self.done: list[TransactionFacts] = []     # sets ended, not yet handed out
        self.tx: TransactionFacts | None = None
        self.provider: ProviderFacts | None = None
        self.member = Name()
        self.patient: Name | None = None
        self.claim: ClaimFacts | None = None
        self.line: LineFacts | None = None
        self.hl_level = ""
        self.component = ":"

    def feed(self, seg, index) -> None:
        sid = seg[0]
        if sid in ENVELOPE_IDS:
            self._close()
            if sid == "ST" and _el(seg, 1) == "837":
                self.tx = TransactionFacts(index, _el(seg, 2))
            return
        if self.tx is None:
            return
        handler = _HANDLERS.get(sid)
        if handler is not None:
            handler(self, seg, index)
        if self.line is not None:
            self.line.end = index
        if self.claim is not None:
            self.claim.end = index

    def _close(self) -> None:
        if self.tx is not None:
            self.done.append(self.tx)
        self.tx = self.claim = self.line = self.provider = None

    def _bht(self, seg, index):
        assert self.tx is not None  # handlers run inside a transaction set only
        self.tx.batch = _el(seg, 3)

    def _hl(self, seg, index):
        self.claim = self.line = None
        self.hl_level = _el(seg, 3)
        if self.hl_level == "20":
            self.provider = ProviderFacts(index)
        elif self.hl_level == "22":
            self.member, self.patient = Name(), None

    def _nm1(self, seg, index):
        code = _el(seg, 1)
        assert self.tx is not None
        if code == "41" and not self.provider:
            self.tx.submitter = Name.of(seg)
        elif code == "40" and not self.provider:
            self.tx.receiver = Name.of(seg)
        elif code == "85" and self.provider and self.hl_level == "20" and self.claim is None:
            self.provider.name = Name.of(seg)
        elif code == "IL" and self.claim is None:
            self.member = Name.of(seg)
        elif code == "QC" and self.claim is None:
            self.patient = Name.of(seg)

    def _ref(self, seg, index):
        q = _el(seg, 1)
        if self.line is not None:
            if q == "6R":
                self.line.control = _el(seg, 2)
        elif self.claim is not None:
            if q == "D9":
                self.claim.clearinghouse_ref = _el(seg, 2)
        elif self.provider is not None and self.hl_level == "20" and q in ("EI", "SY"):
            self.provider.tax_qualifier, self.provider.tax_id = q, _el(seg, 2)

    def _clm(self, seg, index):
        self.line = None
        self.claim = ClaimFacts(index, index, _el(seg, 1), _el(seg, 2), self.provider,
                                self.patient or self.member, self.member)
        assert self.tx is not None
        self.tx.claims[index] = self.claim

    def _lx(self, seg, index):
        if self.claim is not None:
            self.line = LineFacts(index, index, _el(seg, 1))
            self.claim.lines.append(self.line)

    def _sv1(self, seg, index):
        if self.line is not None:
            self.line.procedure = _el(seg, 1).split(self.component)
            self.line.charge, self.line.units = _el(seg, 2), _el(seg, 4)

    def _dtp(self, seg, index):
        if self.line is not None and _el(seg, 1) == "472":
            self.line.date_format, self.line.date = _el(seg, 2), _el(seg, 3)


_HANDLERS = {"BHT": _Collector._bht, "HL": _Collector._hl, "NM1": _Collector._nm1,
             "REF": _Collector._ref, "CLM": _Collector._clm, "LX": _Collector._lx,
             "SV1": _Collector._sv1, "DTP": _Collector._dtp}


def iter_claim_facts(source, name: str | None = None) -> Iterator[TransactionFacts]:
    """The 837 transaction sets of `source` (a path or bytes), in file order."""
    reader = SegmentReader(source, name)
    c = _Collector()
    try:
        for seg in reader:
            if reader.delimiters is not None:
                c.component = reader.delimiters.component
            c.feed(seg, reader.index)
            if c.done:
                yield from c.done
                c.done.clear()
    except EdiHitError:
        pass     # the report already says where the input broke; keep what came before
    c._close()
    yield from c.done


class FactsCursor:
    """The facts of the sets in file order, asked for by their ST's segment number
    (in increasing order, as the report lists them)."""

    def __init__(self, sets: Iterator[TransactionFacts]):
        self._sets = sets
        self._next: TransactionFacts | None = None

    def get(self, st_index: int) -> TransactionFacts | None:
        while self._next is None or self._next.index < st_index:
            self._next = next(self._sets, None)
            if self._next is None:
                return None
        return self._next if self._next.index == st_index else None
