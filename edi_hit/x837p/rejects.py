# The bookkeeping of one 837P read: which claims go out, which are rejected and why.
#
# Strategy: the loop machine (machine.py) calls in here only at the segments that
# open or close something (CLM, HL, the envelope segments) and when a segment is
# refused, so a clean file costs little. A refusal inside a claim rejects that claim
# (the reader skips to the next CLM, HL or envelope segment); a refusal outside a claim
# "taints" its unit (HL level, transaction set, group, interchange) and every claim
# opened under the taint is rejected with it. An out-of-place segment inside a claim
# also taints the claim's HL level: the structure is broken there, so the claims that
# follow under the same level may carry the wrong subscriber. A loop left without what
# the TR3 requires (an LX without SV1, a claim without lines, a subscriber without
# NM1*IL) is found when the file moves on, from the loop table (loops.missing). The
# envelope segments also go to an EnvelopeTracker (x12.envelope.TransactionSets): a
# wrong SE01/SE02 or a missing SE rejects every claim of its set (as warnings that
# reject nothing when the read is lenient about the envelope).
#
# When the source can be read twice the envelope pre-check (x12.prescan) gives each
# set's verdict before the set is read and claims stream out as they complete, already
# rejected when their set is broken; the book checks at each set's end that its own
# verdict is the same. Otherwise (a pipe) a set's claims are held until it ends.
#
# Raise mode is this same bookkeeping: the machine raises the first rejection (or
# error finding) as an X12Error instead of handing it out.
from __future__ import annotations

from typing import Any, Callable, Iterator


from ..claims import Claim, RejectedClaim
from ..errors import Finding, X12Error, format_location
from ..x12.envelope import EnvelopeTracker, TransactionSets
from ..x12.prescan import Verdict
from .handlers import ABSENT, Bad, OutOfPlace, in_raw_loop, outside
from .loops import BY_ID, CLAIM_LOOPS

__all__ = ["RejectBook", "RejectLog", "PrecheckMismatch", "reason"]

# Units, outermost first. A taint lasts until the next segment that starts a unit at
# the same or an outer level.
_ST_LEVEL = 2
_LEVEL = {"ISA": 0, "IEA": 0, "GS": 1, "GE": 1, "ST": 2, "SE": 2}
_HL_LEVEL = {"20": 3, "22": 4, "23": 5}
_UNIT_LEVEL = {"HEADER": 2, "2000A": 3, "2000B": 4, "2000C": 5}
_HEADER_LOOPS = frozenset({"ENV", "HEADER", "HEADER@", "1000A", "1000B"})

# Envelope findings that taint the unit they open (those that reject the claims of
# their transaction set are decided by x12.envelope.TransactionSets).
_UNIT_TAINTING = frozenset({"gs-outside-isa", "st-outside-gs"})

_NO_VERDICT: Any = object()  # the pre-check's verdicts ran out
Held = tuple["Claim | RejectedClaim", int, "int | None"]
MAX_OUTSIDE = 20        # segments outside a transaction set listed one by one


class PrecheckMismatch(X12Error):
    """The envelope pre-check and the read disagree (the file changed in between?): the
    claims already handed out cannot be taken back, so the read stops."""


def reason(f: Finding) -> str:
    """One line: 'segment 57 (SV1), element SV102: bad value: expected ..., got ...'."""
    loc = format_location(None, f.segment_index, f.segment_id, f.element)
    return f"{loc}: {f.message}" if loc else f.message


def _describe_loop(loop: str) -> str:
    """'2010BA (NM1*IL)', '2400 (LX)'."""
    d = BY_ID.get(loop)
    if d is None or d.trigger is None:
        return loop
    q = f"*{d.qualifiers[0]}" if d.qualifiers else ""
    return f"{loop} ({d.trigger}{q})"


class RejectBook:
    """State of one read: the claims not yet handed out (the open transaction set's when
    holding; when streaming on the pre-check's verdicts, only the claim that completed
    last), the active taints, the claim being read and the counts."""

    __slots__ = ("accepted", "claim_start", "claim_taint", "errors", "findings", "held", "hl_ids",
                 "hl_level", "last_boundary", "last_boundary_id", "max_loop_segments", "name",
                 "opened_at", "out", "outside_count", "precheck", "raising", "refused_unit",
                 "rejected_count", "seen", "sets", "skipped", "st", "tainted", "taints",
                 "tracker", "verdict")

    def __init__(self, reader: Any, verdicts: list[Verdict] | None = None, *,
                 lenient_envelope: bool = False,
                 raising: bool = False, max_loop_segments: int = 1 << 62):
        self.name = reader.name
        self.raising = raising        # raise mode: the first error finding is raised
        self.st = reader._state
        self.findings: list[Finding] = self.st.findings
        self.seen = self.accepted = self.rejected_count = 0   # every CLM, once
        self.tracker = EnvelopeTracker(file=self.name, findings=self.findings,
                                       lenient=lenient_envelope)
        self.sets = TransactionSets(self.tracker)
        self.held: list[Held] = []    # (Claim | RejectedClaim, CLM index, end index)
        self.out: list[Claim | RejectedClaim] = []   # ready to hand out
        # The pre-check's verdicts, one per ST (None: hold each set until it ends), and
        # the findings that reject every claim handed out now (None: hold them).
        self.precheck = iter(verdicts) if verdicts is not None else None
        self.verdict: list[Finding] | None = [] if verdicts is not None else None
        self.taints: list[Finding | None] = [None] * 6
        self.tainted = False
        self.claim_start = 0          # CLM index of the claim being read
        self.claim_taint: list[Finding] | None = None  # what rejects the claim being read
        self.skipped: RejectedClaim | None = None  # waits for its end_index
        self.hl_ids: list[str | None] = [None] * 6  # HL01 of the open HL at each level
        self.hl_level: int | None = None           # level of the latest HL
        self.opened_at: dict[int, int] = {}   # unit level -> index of its HL (ST: level 2)
        self.last_boundary = 0        # index of the last CLM, HL or envelope segment
        self.last_boundary_id: str | None = None
        self.max_loop_segments = max_loop_segments
        self.refused_unit = -1        # the last_boundary of a loop refused as too long
        self.errors: dict[int, X12Error] = {}      # id(finding) -> the error it came from
        self.outside_count = 0

    # -- taints ------------------------------------------------------------------
    def record(self, finding: Finding) -> None:
        self.findings.append(finding)
        if self.raising and finding.severity == "error":
            raise self.error_for(finding)

    def taint(self, level: int, finding: Finding, record: bool = True) -> None:
        if record:
            self.record(finding)
        if self.taints[level] is None:
            self.taints[level] = finding
            self.tainted = True

    def clear(self, level: int) -> None:
        t = self.taints
        for i in range(level, 6):
            t[i] = None
        self.tainted = any(t)

    def active(self) -> list[Finding] | None:
        return [f for f in self.taints if f is not None] if self.tainted else None

    # -- the segments that open or close something ------------------------------------
    def boundary(self, handler: Callable[..., Any], seg: list[str], index: int, loop: str,
                 missing: tuple[str, str] | None) -> str:
        """CLM, HL or an envelope segment: settle what it ends, then run its handler."""
        if handler is outside or handler is in_raw_loop:  # not a boundary: a stray segment
            return self.outside(seg, index) if handler is outside else \
                self.unexpected(seg, index, loop)
        st = self.st
        st.index = index
        if index - self.last_boundary > self.max_loop_segments and loop != "SKIP" and \
                loop != "ENV":
            self.too_long(loop)
        if missing is not None:
            self.missing(missing, index, loop)
        c = st.claim
        if c is not None:
            if self.claim_taint is None and self.verdict == [] and not self.held:
                st.claim = st.line = ABSENT   # streaming a sound set: the common case
                self.out.append(c)
                self.accepted += 1
            else:
                self.close_claim(index - 1)
        if self.skipped is not None:
            self.end_skip(index - 1)
        self.last_boundary = index
        sid = self.last_boundary_id = seg[0]
        nl: str
        if sid == "CLM":
            nl = handler(st, seg, loop)
            self.seen += 1  # the claim is open: what rejects it so far?
            self.claim_start = index
            self.claim_taint = self.active() if self.tainted else None
            return nl
        if sid == "HL":
            self.hl(seg, index)
        else:
            self.envelope(seg, index)
        nl = handler(st, seg, loop)
        return nl

    # -- a lazy read's runs of clean claims ----------------------------------------------
    def clean(self) -> bool:
        """Whether an HL*22 or a CLM that came now would change nothing but what
        take_run does: no taint, no claim being rejected or held, a sound transaction
        set streamed on its verdict."""
        return not self.tainted and self.claim_taint is None and self.verdict == [] \
            and not self.held and self.skipped is None and self.sets.open

    def take_run(self, run: Any, index: int) -> None:
        """A lazy read's Run (lazy.Run), starting at segment `index` right after a claim
        while the read is clean(): the bookkeeping of its HL and CLM segments, as
        boundary() would do it for each. The claim before it and each of its claims but
        the last go out; the last one is being read."""
        st = self.st
        out = self.out
        claims = run.claims
        out.append(st.claim)
        out.extend(claims[:-1])
        n = len(claims)
        self.seen += n
        self.accepted += n
        last = index + run.last_clm
        self.last_boundary = self.claim_start = st.index = last
        self.last_boundary_id = "CLM"
        if run.last_hl >= 0:
            self.hl_ids[4] = run.hl_id
            self.hl_level = 4
            self.opened_at[4] = index + run.last_hl
        st.subscriber, st.payer, st.patient = run.subscriber, run.payer, run.patient
        st.claim = st.cur = claims[-1]
        st.line = ABSENT

    def missing(self, what: tuple[str, str], index: int, loop: str) -> None:
        """The file moved on while `loop` still owed a required segment or loop."""
        unit, needed = what
        if loop.endswith("@"):  # the segment right after the loop's first one
            at, sid = index - 1, BY_ID[unit].segments[0] if unit != "HEADER" else "ST"
            text = f"loop {unit} has no {needed}, which must follow its {sid}"
        else:
            text = f"loop {unit} has no {_describe_loop(needed)}, which it requires"
            if unit in CLAIM_LOOPS:
                at, sid = self.claim_start, "CLM"
            else:
                level = _UNIT_LEVEL[unit]
                at = self.opened_at.get(level, index)
                sid = "ST" if level == _ST_LEVEL else "HL"
        err = X12Error(text, segment_index=at, segment_id=sid)
        finding = self._finding(err)
        if unit in CLAIM_LOOPS:
            c = self.st.claim
            if c is not None:
                self.st.claim = self.st.line = ABSENT
                self.reject_open(c.patient_control_number, self.claim_start, finding,
                                 self.claim_taint)
        else:
            self.taint(_UNIT_LEVEL[unit], finding)

    def too_long(self, loop: str) -> str:
        """The loop opened at the last boundary has more than max_loop_segments
        segments: reject its claim (or taint its unit) once; the read skips on."""
        at = self.last_boundary
        if self.refused_unit == at:
            return "SKIP"
        self.refused_unit = at
        limit = self.max_loop_segments
        if self.st.claim is not None:
            loop = "2300"   # the claim with all its loops
        else:
            loop = {_UNIT_LEVEL[u]: u for u in _UNIT_LEVEL}.get(self.hl_level or _ST_LEVEL, loop)
        finding = self._finding(X12Error(
            f"loop {loop} is too long", segment_index=at or None,
            segment_id=self.last_boundary_id,
            expected=f"at most {limit:,} segments in one loop (max_loop_segments)"))
        st = self.st
        if st.claim is not None:
            c = st.claim
            st.claim = st.line = ABSENT
            self.reject_open(c.patient_control_number, self.claim_start, finding,
                             self.claim_taint)
        else:
            self.taint(self.hl_level if self.hl_level is not None else _ST_LEVEL, finding)
        return "SKIP"

    def close_claim(self, end: int) -> None:
        """The claim being read is complete: hand it out, held, or rejected."""
        st = self.st
        c = st.claim
        st.claim = st.line = ABSENT
        if self.claim_taint:
            self.held.append((self.rejected(c.patient_control_number, self.claim_start, end,
                                            self.claim_taint), self.claim_start, end))
        elif self.verdict is not None and not self.verdict and not self.held:
            self.out.append(c)          # streaming a sound set: the common case
            self.accepted += 1
            return
        else:
            self.held.append((c, self.claim_start, end))
        if self.verdict is not None:
            self.flush(self.verdict, None)

    def hl(self, seg: list[str], index: int) -> None:
        """Before an HL: its level ends the taints at that level and below."""
        n = len(seg)
        level = _HL_LEVEL.get(seg[3]) if n > 3 else None
        ids = self.hl_ids
        if level is None:  # unknown HL03: one level below its parent (HL02), if open
            parent = seg[2] if n > 2 else ""
            level = next((min(k + 1, 5) for k in range(5, 2, -1) if parent and ids[k] == parent),
                         3)
        ids[level] = seg[1] if n > 1 else None  # (deeper ids go stale: HL ids are unique)
        self.hl_level = level
        self.opened_at[level] = index
        if self.tainted:
            self.clear(level)
        if not self.sets.open and self.taints[_ST_LEVEL] is None:
            self.taint(_ST_LEVEL, Finding(
                "error", "outside-transaction",
                "hierarchical level outside a transaction set (no ST before it)",
                file=self.name, segment_index=index, segment_id="HL",
                interchange_control=self.controls()[0], group_control=self.controls()[1]))

    def envelope(self, seg: list[str], index: int) -> None:
        """Before ISA, GS, ST, SE, GE or IEA: close the open set, track the envelope."""
        sid = seg[0]
        controls = self.controls()
        new, ended = self.sets.feed(seg, index)
        if self.raising:
            for f in new:
                if f.severity == "error":
                    raise self.error_for(f)
        if ended is not None:
            self.end_set(ended, controls, index)
        elif self.held:
            self.flush([], controls)
        if sid == "ST":
            self.hl_ids = [None] * 6
            self.hl_level = None
            self.opened_at = {_ST_LEVEL: index}
            self.start_set(index)
        if self.tainted:
            self.clear(_LEVEL[sid])
        for f in new:
            if f.code in _UNIT_TAINTING:
                self.taint(_LEVEL[sid], f, record=False)

    def outside(self, seg: list[str], index: int) -> str:
        """A segment outside any transaction set: skipped, with an error finding (the
        first MAX_OUTSIDE of them; then one that counts them all, at the end)."""
        self.outside_count += 1
        if self.outside_count <= MAX_OUTSIDE:
            self.record(Finding(
                "error", "outside-transaction",
                f"segment {seg[0]} outside a transaction set was skipped",
                file=self.name, segment_index=index, segment_id=seg[0],
                interchange_control=self.controls()[0], group_control=self.controls()[1]))
        return "ENV"

    def unexpected(self, seg: list[str], index: int, loop: str) -> str:
        """A stray segment in a raw loop: kept raw with a warning (or out of place)."""
        in_raw_loop(self.st, seg, loop)  # raises OutOfPlace for a segment of the claim loops
        self.findings.append(Finding(
            "warning", "unexpected-segment",
            f"segment {seg[0]} is not a segment of loop {loop}; kept as it came",
            file=self.name, segment_index=index, segment_id=seg[0],
            interchange_control=self.controls()[0], group_control=self.controls()[1],
            transaction_control=self.controls()[2]))
        return loop

    def finish(self, index: int, cause: Finding | None = None) -> None:
        """End of input (or an unreadable rest): close what is open."""
        st = self.st
        if st.claim is not None:
            self.close_claim(index)
        self.end_skip(index)
        if self.outside_count > MAX_OUTSIDE:
            self.findings.append(Finding(
                "error", "outside-transaction",
                f"{self.outside_count} segments outside a transaction set were skipped in all "
                f"(the first {MAX_OUTSIDE} are listed)", file=self.name))
        controls = self.controls()
        n = len(self.findings)
        ended = self.sets.finish(index, cause)
        if self.raising:
            for f in self.findings[n:]:
                if f.severity == "error":
                    raise self.error_for(f)
        if ended is not None:
            self.end_set(ended, controls, index)
        else:
            self.flush([], controls)
        if self.precheck is not None and next(self.precheck, _NO_VERDICT) is not _NO_VERDICT:
            raise PrecheckMismatch("the envelope pre-check found more transaction sets than "
                                   "the read: did the file change while it was read?",
                                   file=self.name, segment_index=index)

    # -- claims ------------------------------------------------------------------
    def controls(self) -> tuple[str | None, str | None, str | None]:
        return self.sets.controls()

    def rejected(self, pcn: str | None, start: int, end: int | None, findings: list[Finding],
                 controls: tuple[str | None, str | None, str | None] | None = None
                 ) -> RejectedClaim:
        return RejectedClaim(self.name, reason(findings[0]), pcn, start, end,
                             *(controls or self.controls()), list(findings))

    def reject_open(self, pcn: str | None, start: int, finding: Finding,
                    taint: list[Finding] | None) -> None:
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

    def flush(self, envelope_findings: list[Finding],
              controls: tuple[str | None, str | None, str | None] | None) -> None:
        """Hand out the held claims; a broken envelope rejects the claims it holds."""
        out = self.out
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
        self.accepted += accepted
        self.rejected_count += rejected

    # -- transaction sets: held, or streamed on the pre-check's verdict ---------------
    def start_set(self, index: int) -> None:
        if self.precheck is None:
            return  # held until the set ends
        verdict = next(self.precheck, _NO_VERDICT)
        if verdict is _NO_VERDICT:
            raise PrecheckMismatch("the envelope pre-check found fewer transaction sets "
                                   "than the read: did the file change while it was read?",
                                   file=self.name, segment_index=index, segment_id="ST")
        self.verdict = list(verdict or ())

    def end_set(self, ended: list[Finding],
                controls: tuple[str | None, str | None, str | None], index: int) -> None:
        """A set ended: hand out what it holds, or check the verdict its claims got."""
        verdict = self.verdict
        if verdict is None:
            self.flush(ended, controls)
        else:
            if ended != verdict:
                raise PrecheckMismatch(
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

    # -- refused segments ------------------------------------------------------------
    def _finding(self, err: X12Error) -> Finding:
        ctl = self.controls()
        finding = err.to_finding("bad-value", interchange_control=ctl[0], group_control=ctl[1],
                                 transaction_control=ctl[2])
        finding.file = self.name
        err.file = self.name
        self.errors[id(finding)] = err
        return finding

    def refused(self, bad: Bad, seg: list[str], index: int, loop: str) -> str:
        """A segment was refused: reject its claim, or taint its unit. Returns the state
        the reader goes on in (skipping to the next CLM, HL or envelope segment)."""
        st = self.st
        sid = seg[0]
        finding = self._finding(X12Error(bad.message, segment_index=index, segment_id=sid,
                                         element=bad.element, expected=bad.expected,
                                         got=bad.got))
        if sid == "CLM":  # the claim this CLM opens
            if st.claim is not None:
                self.close_claim(index - 1)
            self.seen += 1
            pcn = seg[1] if len(seg) > 1 and seg[1] else None
            self.reject_open(pcn, index, finding, self.active())
        elif sid == "HL" or sid in _LEVEL:  # the unit this segment opens
            if st.claim is not None:
                self.close_claim(index - 1)
            self.taint(self.hl_level if sid == "HL" and self.hl_level is not None
                       else _LEVEL.get(sid, _ST_LEVEL), finding)
        elif st.claim is not None:  # inside a claim
            c = st.claim
            st.claim = st.line = ABSENT
            self.reject_open(c.patient_control_number, self.claim_start, finding,
                             self.claim_taint)
            if bad.__class__ is OutOfPlace and self.hl_level is not None:
                # The structure is broken here: what follows under this HL level may
                # belong elsewhere (a lost HL), so its claims are rejected too.
                self.taint(self.hl_level, finding, record=False)
        else:  # in a context loop: every claim under it
            level = _ST_LEVEL if loop in _HEADER_LOOPS or self.hl_level is None else self.hl_level
            self.taint(level, finding)
        return "SKIP"

    # -- raise mode --------------------------------------------------------------
    def error_for(self, item: RejectedClaim | Finding) -> X12Error:
        """The X12Error a rejection or an error finding stands for."""
        f: Finding = item.findings[0] if isinstance(item, RejectedClaim) else item
        err = self.errors.get(id(f))
        if err is None:
            err = X12Error(f.message, file=f.file or self.name, segment_index=f.segment_index,
                           segment_id=f.segment_id, element=f.element)
        return err


class RejectLog:
    """What reject-mode readers set aside, over one or more files: the counts, the
    rejected claims and the findings, ready for a reject report.

    >>> log = RejectLog()
    >>> for claim in log.accepted(read_837p("a.837", errors="reject")):
    ...     ...                                   # only Claim objects arrive here
    >>> log.counts, log.to_dict(), log.summary("parse", "rejects.json")
    """

    def __init__(self) -> None:
        self.counts = {"seen": 0, "accepted": 0, "rejected": 0}
        self.rejected: list[RejectedClaim] = []
        self.findings: list[Finding] = []

    def accepted(self, reader: Any) -> Iterator[Claim]:
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
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def clean(self) -> bool:
        return not self.counts["rejected"] and not self.errors

    def to_dict(self) -> dict[str, Any]:
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
