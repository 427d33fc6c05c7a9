# Envelope tracking: ISA/IEA, GS/GE, ST/SE.
#
# Strategy: a small state machine fed only the envelope segments (the consumer
# dispatches ISA, GS, ST, SE, GE and IEA here, everything else it handles itself).
# It keeps the open headers, so any stage can say which interchange, group and
# transaction set a segment belongs to, and it checks the trailers against them:
# ISA13 = IEA02, GS06 = GE02, ST02 = SE02, SE01 = segments from ST to SE,
# GE01 = transaction sets, IEA01 = groups. A mismatch is a Finding with its position,
# never an exception: the data between the envelopes is still readable. A lenient
# tracker (for converting imperfect files) reports the count and control-number
# mismatches (SE01, SE02, GE01, GE02, IEA01, IEA02) as warnings, which condemn nothing.
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import Finding

__all__ = ["EnvelopeTracker", "InterchangeHeader", "GroupHeader", "TransactionHeader",
           "TransactionSets", "ENVELOPE_IDS", "SET_BOUNDARY_IDS", "MISMATCH_CODES",
           "check_envelopes"]

ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})
# The segments that open or close a transaction set (TA1 does neither).
SET_BOUNDARY_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
# Trailer findings that condemn the transaction set they close (when errors).
SET_REJECTING = frozenset({"se01-count", "se02-control"})
# Count and control-number mismatches: warnings for a lenient tracker.
MISMATCH_CODES = frozenset({"se01-count", "se02-control", "ge01-count", "ge02-control",
                            "iea01-count", "iea02-control"})


def _el(seg: list[str], n: int) -> str:
    return seg[n].strip() if len(seg) > n else ""


@dataclass(slots=True)
class InterchangeHeader:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    version: str
    control_number: str
    ack_requested: str
    usage: str
    segment_index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class GroupHeader:
    functional_id: str
    sender_code: str
    receiver_code: str
    date: str
    time: str
    control_number: str
    agency: str
    version: str
    segment_index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class TransactionHeader:
    set_id: str
    control_number: str
    implementation_reference: str
    segment_index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EnvelopeTracker:
    """Feed it the envelope segments in order; read `findings` at the end."""

    file: str | None = None
    findings: list[Finding] = field(default_factory=list)
    lenient: bool = False
    interchange: InterchangeHeader | None = None
    group: GroupHeader | None = None
    transaction: TransactionHeader | None = None
    interchanges: int = 0
    _groups_in_isa: int = 0
    _sets_in_gs: int = 0
    _seen_isa13: set[str] = field(default_factory=set)

    # -- findings -------------------------------------------------------------
    def _find(self, severity: str, code: str, message: str, index: int | None,
              seg_id: str | None, element: str | None = None) -> None:
        if self.lenient and code in MISMATCH_CODES:
            severity = "warning"
        self.findings.append(Finding(
            severity, code, message, file=self.file, segment_index=index, segment_id=seg_id,
            element=element,
            interchange_control=self.interchange.control_number if self.interchange else None,
            group_control=self.group.control_number if self.group else None,
            transaction_control=self.transaction.control_number if self.transaction else None))

    # -- dispatch ---------------------------------------------------------------
    def feed(self, seg: list[str], index: int) -> None:
        getattr(self, seg[0].lower())(seg, index)

    def isa(self, seg: list[str], index: int) -> None:
        if self.interchange is not None:
            self._find("error", "missing-iea",
                       f"interchange {self.interchange.control_number} has no IEA before the next ISA",
                       index, "ISA")
            self._close_open(index)
        self.interchange = InterchangeHeader(
            _el(seg, 5), _el(seg, 6), _el(seg, 7), _el(seg, 8), _el(seg, 9), _el(seg, 10),
            _el(seg, 12), _el(seg, 13), _el(seg, 14), _el(seg, 15), index)
        self.interchanges += 1
        ctl = self.interchange.control_number
        if ctl in self._seen_isa13:
            self._find("warning", "duplicate-isa13",
                       f"interchange control number {ctl} is used more than once in this file",
                       index, "ISA", "ISA13")
        self._seen_isa13.add(ctl)
        self._groups_in_isa = 0

    def gs(self, seg: list[str], index: int) -> None:
        if self.interchange is None:
            self._find("error", "gs-outside-isa", "GS outside an interchange (no ISA before it)",
                       index, "GS")
        if self.group is not None:
            self._find("error", "missing-ge",
                       f"group {self.group.control_number} has no GE before the next GS", index, "GS")
        self.group = GroupHeader(_el(seg, 1), _el(seg, 2), _el(seg, 3), _el(seg, 4), _el(seg, 5),
                                 _el(seg, 6), _el(seg, 7), _el(seg, 8), index)
        self._groups_in_isa += 1
        self._sets_in_gs = 0

    def st(self, seg: list[str], index: int) -> None:
        if self.group is None:
            self._find("error", "st-outside-gs", "ST outside a functional group (no GS before it)",
                       index, "ST")
        if self.transaction is not None:
            self._find("error", "missing-se",
                       f"transaction set {self.transaction.control_number} has no SE before the next ST",
                       index, "ST")
        self.transaction = TransactionHeader(_el(seg, 1), _el(seg, 2), _el(seg, 3), index)
        self._sets_in_gs += 1
        if self.group and self.transaction.implementation_reference and \
                self.group.version and self.transaction.implementation_reference != self.group.version:
            self._find("warning", "version-mismatch",
                       f"ST03 {self.transaction.implementation_reference} differs from GS08 "
                       f"{self.group.version}", index, "ST", "ST03")

    def se(self, seg: list[str], index: int) -> None:
        t = self.transaction
        if t is None:
            self._find("error", "se-outside-st", "SE without a matching ST", index, "SE")
            return
        count = index - t.segment_index + 1
        if _el(seg, 1) != str(count):
            self._find("error", "se01-count",
                       f"SE01 says {_el(seg, 1) or 'nothing'} segments but the transaction set has "
                       f"{count} (ST to SE)", index, "SE", "SE01")
        if _el(seg, 2) != t.control_number:
            self._find("error", "se02-control",
                       f"SE02 {_el(seg, 2)!r} does not match ST02 {t.control_number!r}",
                       index, "SE", "SE02")
        self.transaction = None

    def ge(self, seg: list[str], index: int) -> None:
        g = self.group
        if self.transaction is not None:
            self._find("error", "missing-se",
                       f"transaction set {self.transaction.control_number} has no SE before GE",
                       index, "GE")
            self.transaction = None
        if g is None:
            self._find("error", "ge-outside-gs", "GE without a matching GS", index, "GE")
            return
        if _el(seg, 1) != str(self._sets_in_gs):
            self._find("error", "ge01-count",
                       f"GE01 says {_el(seg, 1) or 'nothing'} transaction sets but the group has "
                       f"{self._sets_in_gs}", index, "GE", "GE01")
        if _el(seg, 2) != g.control_number:
            self._find("error", "ge02-control",
                       f"GE02 {_el(seg, 2)!r} does not match GS06 {g.control_number!r}",
                       index, "GE", "GE02")
        self.group = None

    def iea(self, seg: list[str], index: int) -> None:
        i = self.interchange
        if self.group is not None:
            self._find("error", "missing-ge", f"group {self.group.control_number} has no GE before IEA",
                       index, "IEA")
            self.group = None
            self.transaction = None
        if i is None:
            self._find("error", "iea-outside-isa", "IEA without a matching ISA", index, "IEA")
            return
        if _el(seg, 1) != str(self._groups_in_isa):
            self._find("error", "iea01-count",
                       f"IEA01 says {_el(seg, 1) or 'nothing'} functional groups but the interchange "
                       f"has {self._groups_in_isa}", index, "IEA", "IEA01")
        if _el(seg, 2) != i.control_number:
            self._find("error", "iea02-control",
                       f"IEA02 {_el(seg, 2)!r} does not match ISA13 {i.control_number!r}",
                       index, "IEA", "IEA02")
        self.interchange = None

    def ta1(self, seg: list[str], index: int) -> None:
        pass  # interchange acknowledgment: allowed between ISA and GS

    def _close_open(self, index: int) -> None:
        self.transaction = None
        self.group = None
        self.interchange = None

    def finish(self, last_index: int) -> None:
        """Call at end of input: reports envelopes left open."""
        if self.transaction is not None:
            self._find("error", "missing-se",
                       f"file ends inside transaction set {self.transaction.control_number} (no SE)",
                       last_index, None)
        if self.group is not None:
            self._find("error", "missing-ge",
                       f"file ends inside group {self.group.control_number} (no GE)", last_index, None)
        if self.interchange is not None:
            self._find("error", "missing-iea",
                       f"file ends inside interchange {self.interchange.control_number} (no IEA)",
                       last_index, None)
        self._close_open(last_index)


class TransactionSets:
    """Where each transaction set ends, and what (if anything) condemns it.

    Wraps an EnvelopeTracker fed the segments of SET_BOUNDARY_IDS. `feed` returns
    (the tracker's new findings, ended): ended is None when no set ends at the segment,
    else the findings that reject the set that ends there: SE01 or SE02 wrong at its
    SE, or a missing SE when an ST, GS, GE, ISA or IEA (or the end of input, or a rest
    that cannot be read) comes first; [] for a sound set. A missing SE before GS, ISA
    or IEA, which the tracker does not report itself, is added to its findings here.
    The 837P reader (reject mode) and the envelope pre-check (prescan.py) both decide
    with this class, so their verdicts cannot drift apart.
    """

    __slots__ = ("tracker", "open")

    def __init__(self, tracker: EnvelopeTracker):
        self.tracker = tracker
        self.open = False  # an ST was read and its set has not ended

    def controls(self) -> tuple[str | None, str | None, str | None]:
        t = self.tracker
        return (t.interchange.control_number if t.interchange else None,
                t.group.control_number if t.group else None,
                t.transaction.control_number if t.transaction else None)

    def feed(self, seg: list[str], index: int) -> tuple[list[Finding], list[Finding] | None]:
        t = self.tracker
        sid = seg[0]
        controls = self.controls()
        findings = t.findings
        n = len(findings)
        t.feed(seg, index)
        new = findings[n:]
        ended = None
        if sid == "SE":
            if self.open:
                ended = [f for f in new if f.code in SET_REJECTING and f.severity == "error"]
        elif self.open:  # the set ends without its SE
            ended = [f for f in new if f.code == "missing-se"]
            if not ended:
                ended = [Finding(
                    "error", "missing-se", f"transaction set {controls[2]} has no SE before {sid}",
                    file=t.file, segment_index=index, segment_id=sid,
                    interchange_control=controls[0], group_control=controls[1],
                    transaction_control=controls[2])]
                findings.append(ended[0])
            t.transaction = None  # reported here, not again at the next ST
        if ended is not None:
            self.open = False
        if sid == "ST":
            self.open = True
        return new, ended

    def finish(self, index: int, cause: Finding | None = None) -> list[Finding] | None:
        """End of input (cause: why the rest could not be read). Returns what ends the
        open set, None when no set was open."""
        t = self.tracker
        n = len(t.findings)
        if cause is not None:
            t.findings.append(cause)
        t.finish(index)
        ended = None
        if self.open:
            ended = [cause] if cause is not None else \
                [f for f in t.findings[n:] if f.code == "missing-se"]
        self.open = False
        return ended


def check_envelopes(reader: Any) -> list[Finding]:
    """Run a SegmentReader to the end and return its envelope findings (and the reader's own)."""
    tracker = EnvelopeTracker(file=reader.name)
    outside = 0
    for seg in reader:
        sid = seg[0]
        if sid in ENVELOPE_IDS:
            tracker.feed(seg, reader.index)
        elif tracker.transaction is None and outside < 20:
            outside += 1
            tracker._find("error", "outside-transaction",
                          f"segment {sid} is outside a transaction set (no ST before it)",
                          reader.index, sid)
    tracker.finish(reader.index)
    found: list[Finding] = reader.findings + tracker.findings
    return found
