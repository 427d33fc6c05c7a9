# What validation found, as data.
#
# Strategy: a ValidationReport is a tree that mirrors the file (interchanges ->
# groups -> transaction sets -> claims) plus one flat list of Issues. An Issue is
# the shared Finding record with a few more fields: the level that found it
# (1 syntax/envelope, 2 TR3, 3 balancing/cross-field, 4 HIT edits), the 999 error
# codes it maps to, and the claim it belongs to. Decisions (accepted/rejected) are
# computed once, after every level has run, by `decide()`; the acknowledgment
# writers and the CLI only read them. Every issue is kept, so the decisions and the
# counts are exact; a listing (to_dict) shows at most MAX_LISTED_PER_CODE issues of
# one code unless asked for all, and says how many it left out.
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, fields

from ..errors import Finding
from ..x12.envelope import InterchangeHeader
from .claimlog import ClaimLog, ClaimSpool

__all__ = ["Issue", "ValidationReport", "InterchangeResult", "GroupResult",
           "TransactionResult", "ClaimResult", "LEVEL_NAMES", "MAX_LISTED_PER_CODE"]

MAX_LISTED_PER_CODE = 1000   # findings of one code a listing shows (all_findings: no limit)

LEVEL_NAMES = {
    1: "syntax and envelope",
    2: "implementation guide (TR3)",
    3: "balancing and cross-field",
    4: "HIT edits (payer rules)",
}

# Findings whose reach is the whole interchange or group (a broken envelope rejects
# everything inside it). Codes of the x12 layer's EnvelopeTracker and of syntax.py.
INTERCHANGE_CODES = frozenset({
    "isa-width", "isa-field", "iea01-count", "iea02-control", "missing-iea",
    "iea-outside-isa", "not-x12", "x12-read", "tr3-interchange",
})
GROUP_CODES = frozenset({
    "gs-field", "ge01-count", "ge02-control", "missing-ge", "ge-outside-gs",
    "gs-outside-isa", "gs01-mismatch", "unsupported-version",
})


@dataclass(slots=True)
class Issue(Finding):
    """A Finding with the level that found it and what a 999 needs to report it."""

    level: int = 1
    claim: str | None = None          # CLM01 (837) or CLP01 (835) of the claim it concerns
    segment_error: str | None = None  # IK304 code
    element_error: str | None = None  # IK403 code
    element_ref: str | None = None    # data element reference number (IK402)
    bad_value: str | None = None      # IK404: copy of the bad element
    repetition: int | None = None     # IK401-3: which repeat of a repeating element
    loop: str | None = None           # IK303: loop id of the segment (837P: 2010BA, 2400, ...)
    # CTX situational trigger: (segment id, segment index, loop id) of the segment whose
    # content made the situational segment/element in error required or not used.
    trigger: tuple | None = None

    @classmethod
    def from_finding(cls, f: Finding, level: int = 1) -> "Issue":
        if isinstance(f, Issue):
            return f
        return cls(f.severity, f.code, f.message, f.file, f.segment_index, f.segment_id,
                   f.element, f.interchange_control, f.group_control, f.transaction_control,
                   level=level)


@dataclass(slots=True)
class ClaimResult:
    claim_id: str           # CLM01 / CLP01
    segment_index: int      # the CLM / CLP segment
    end_index: int = 0
    accepted: bool = True
    reasons: list[str] | tuple[()] = ()   # codes of its error issues (shared empty tuple)

    def to_dict(self) -> dict:
        d = {"claim_id": self.claim_id, "segment_index": self.segment_index,
             "status": "accepted" if self.accepted else "rejected"}
        if self.reasons:
            d["reasons"] = list(self.reasons)
        return d


@dataclass(slots=True)
class TransactionResult:
    set_id: str
    control_number: str
    version: str
    segment_index: int          # ST
    end_index: int = 0          # SE (or the last segment before the next envelope)
    interchange_control: str | None = None
    group_control: str | None = None
    accepted: bool = True
    # 999 IK5: transaction-level syntax codes (IK502..) found in the envelope.
    syntax_errors: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # Packed, spilled to the report's temporary file past a few thousand (claimlog.py).
    claims: ClaimLog = field(default_factory=ClaimLog)
    issues: list[Issue] = field(default_factory=list)   # error/warning issues inside it

    def contains(self, index: int | None) -> bool:
        return index is not None and self.segment_index <= index <= self.end_index

    def to_dict(self) -> dict:
        d = {"set_id": self.set_id, "control_number": self.control_number,
             "version": self.version, "segment_index": self.segment_index,
             "end_index": self.end_index,
             "status": "accepted" if self.accepted else "rejected"}
        if self.reasons:
            d["reasons"] = self.reasons
        if self.claims:
            d["claims"] = [c.to_dict() for c in self.claims]
        return d


@dataclass(slots=True)
class GroupResult:
    functional_id: str
    sender_code: str
    receiver_code: str
    control_number: str
    version: str
    segment_index: int
    end_index: int = 0
    declared_sets: int | None = None     # GE01
    accepted: bool = True
    syntax_errors: list[str] = field(default_factory=list)  # AK905..
    transactions: list[TransactionResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"functional_id": self.functional_id, "control_number": self.control_number,
                "version": self.version, "segment_index": self.segment_index,
                "status": "accepted" if self.accepted else "rejected",
                "transactions": [t.to_dict() for t in self.transactions]}


@dataclass(slots=True)
class InterchangeResult(InterchangeHeader):
    """An interchange's header, as the envelope tracker read it, and its verdict."""

    end_index: int = 0
    accepted: bool = True
    note_code: str = "000"      # TA105
    groups: list[GroupResult] = field(default_factory=list)

    @classmethod
    def of(cls, header: InterchangeHeader) -> "InterchangeResult":
        return cls(*(getattr(header, f.name) for f in fields(InterchangeHeader)))

    def to_dict(self) -> dict:
        return {"control_number": self.control_number, "sender_id": self.sender_id,
                "receiver_id": self.receiver_id, "segment_index": self.segment_index,
                "status": "accepted" if self.accepted else "rejected",
                "note_code": self.note_code,
                "groups": [g.to_dict() for g in self.groups]}


@dataclass
class ValidationReport:
    """Everything `validate()` found in one file."""

    file: str | None
    levels: tuple[int, ...]
    issues: list[Issue] = field(default_factory=list)
    interchanges: list[InterchangeResult] = field(default_factory=list)
    segments: int = 0
    notes: list[str] = field(default_factory=list)   # what was done to the input, levels skipped
    # Where the transaction sets' claim logs spill (one private temporary file).
    spool: ClaimSpool = field(default_factory=ClaimSpool, repr=False, compare=False)

    def __setstate__(self, state: dict) -> None:
        """Unpickled (from a worker process): the claim logs join this report's spool."""
        self.__dict__.update(state)
        for t in self.transactions:
            t.claims.adopt(self.spool)

    # -- views ---------------------------------------------------------------
    @property
    def findings(self) -> list[Issue]:
        return self.issues

    @property
    def transactions(self) -> list[TransactionResult]:
        return [t for i in self.interchanges for g in i.groups for t in g.transactions]

    @property
    def claims(self) -> list[ClaimResult]:
        """Every claim, as objects (a list as long as the file has claims: the counts
        and the per-set iteration do not need it)."""
        return [c for t in self.transactions for c in t.claims]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict:
        txs = self.transactions
        claims = sum(len(t.claims) for t in txs)
        rejected = sum(t.claims.rejected() for t in txs)
        by_sev = {"error": 0, "warning": 0, "info": 0}
        for i in self.issues:
            by_sev[i.severity] = by_sev.get(i.severity, 0) + 1
        return {
            "segments": self.segments,
            "interchanges": len(self.interchanges),
            "groups": sum(len(i.groups) for i in self.interchanges),
            "transactions": len(txs),
            "transactions_accepted": sum(t.accepted for t in txs),
            "transactions_rejected": sum(not t.accepted for t in txs),
            "claims": claims,
            "claims_accepted": claims - rejected,
            "claims_rejected": rejected,
            "errors": by_sev["error"], "warnings": by_sev["warning"], "info": by_sev["info"],
        }

    def listed(self, all_findings: bool = False) -> tuple[list[Issue], list[str]]:
        """The issues a listing shows (at most MAX_LISTED_PER_CODE of each code unless
        all_findings) and a note per code it leaves out."""
        if all_findings:
            return list(self.issues), []
        shown: list[Issue] = []
        per_code: dict[str, int] = {}
        for i in self.issues:
            n = per_code[i.code] = per_code.get(i.code, 0) + 1
            if n <= MAX_LISTED_PER_CODE:
                shown.append(i)
        notes = [f"{n - MAX_LISTED_PER_CODE:,} more '{code}' findings not listed (the first "
                 f"{MAX_LISTED_PER_CODE:,} are; --all-findings lists every one)"
                 for code, n in per_code.items() if n > MAX_LISTED_PER_CODE]
        return shown, notes

    def to_dict(self, all_findings: bool = False) -> dict:
        shown, left_out = self.listed(all_findings)
        return {
            "file": self.file,
            "levels": list(self.levels),
            "valid": self.ok,
            "counts": self.counts(),
            "notes": list(self.notes) + left_out,
            "findings": [i.to_dict() for i in shown],
            "interchanges": [i.to_dict() for i in self.interchanges],
        }

    # -- decisions -------------------------------------------------------------
    def sort_issues(self) -> None:
        """File order; at one segment, lower levels first."""
        self.issues.sort(key=lambda i: (i.segment_index if i.segment_index is not None else 1 << 62,
                                        i.level))

    def attribute(self) -> None:
        """Give every issue the control numbers (and claim) of the envelope it lies in."""
        txs = self.transactions
        starts = [t.segment_index for t in txs]
        for issue in self.issues:
            if issue.segment_index is None:
                continue
            tx = self._transaction_of(issue, txs, starts)
            if tx is not None:
                issue.interchange_control = issue.interchange_control or tx.interchange_control
                issue.group_control = issue.group_control or tx.group_control
                issue.transaction_control = issue.transaction_control or tx.control_number
                tx.issues.append(issue)
                if issue.claim is None and issue.level >= 2:
                    at = tx.claims.locate(issue.segment_index)
                    if at is not None:
                        issue.claim = tx.claims[at].claim_id
            elif issue.interchange_control is None:
                for ic in self.interchanges:
                    if ic.segment_index <= issue.segment_index <= (ic.end_index or 1 << 62):
                        issue.interchange_control = ic.control_number
                        for g in ic.groups:
                            if g.segment_index <= issue.segment_index <= (g.end_index or 1 << 62):
                                issue.group_control = issue.group_control or g.control_number

    @staticmethod
    def _transaction_of(issue, txs, starts):
        pos = bisect_right(starts, issue.segment_index) - 1
        if pos < 0:
            return None
        if issue.segment_id in ("GS", "GE", "ISA", "IEA"):
            return None
        if issue.transaction_control is not None:
            # The tracker reports a missing SE at the next ST: walk back to the set it names.
            for k in range(pos, max(pos - 3, -1), -1):
                t = txs[k]
                if t.control_number == issue.transaction_control and \
                        (issue.group_control is None or issue.group_control == t.group_control):
                    return t
        t = txs[pos]
        return t if t.contains(issue.segment_index) else None

    def decide(self) -> None:
        """Accept or reject each interchange, group, transaction set and claim."""
        errors = [i for i in self.issues if i.severity == "error"]
        ic_codes = [i for i in errors if i.code in INTERCHANGE_CODES]
        group_codes = [i for i in errors if i.code in GROUP_CODES]
        for ic in self.interchanges:
            ic_errors = [i for i in ic_codes if i.interchange_control == ic.control_number
                         and (i.segment_index is None or ic.segment_index <= i.segment_index
                              <= (ic.end_index or 1 << 62))]
            if ic_errors:
                ic.accepted = False
                from .ack import ta1_note_code
                ic.note_code = ta1_note_code(ic_errors[0])
            for g in ic.groups:
                g_errors = [i for i in group_codes if i.segment_index is not None
                            and g.segment_index <= i.segment_index <= (g.end_index or 1 << 62) + 1]
                if g_errors:
                    g.accepted = False
                for t in g.transactions:
                    self._decide_transaction(t, ic, g, g_errors or ic_errors)

    @staticmethod
    def _decide_transaction(t, ic, g, envelope_errors):
        own = [i for i in t.issues if i.severity == "error"]
        # Levels 1-2, and levels 3-4 outside any claim, reject the whole transaction
        # set; a level 3-4 error inside a claim rejects only that claim.
        set_level = [i for i in own if i.level <= 2 or i.claim is None]
        if envelope_errors:
            t.accepted = False
            t.reasons = sorted({i.code for i in envelope_errors})
        if set_level:
            t.accepted = False
            t.reasons = sorted(set(t.reasons) | {i.code for i in set_level})
        # A claim's own issues: those that name it and lie in its segments, or at the
        # segment after it (a segment missing at its end is reported where its absence
        # shows). Only the claims with issues are looked at; the others share the set's
        # verdict (ClaimLog).
        claims = t.claims
        mine: dict[int, set[str]] = {}
        for i in own:
            if i.claim is None:
                continue
            index = i.segment_index or 0
            for at in {claims.locate(index), claims.locate(index - 1)}:
                if at is None:
                    continue
                start, end = claims.span(at)
                if start <= index <= end + 1 and claims[at].claim_id == i.claim:
                    mine.setdefault(at, set()).add(i.code)
        claims.decide(t.accepted, {at: sorted(codes) for at, codes in mine.items()})
