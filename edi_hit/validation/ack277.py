# The 277CA claim acknowledgment (005010X214), from a ValidationReport.
#
# Strategy: the report already holds every decision (report.decide: which sets and
# claims are accepted); this module spells them as a 277CA with the writer helpers
# the 999 uses (respond.py: swapped envelope, cleaned values). What the 277CA must
# repeat about each claim (submitter, billing provider, patient, CLM01, charges,
# dates) is not in the report, so claimfacts.py reads it from the 837P once more.
#
# One response interchange per received interchange, one GS*HN per received group
# with 837s, one 277 transaction set per 837 transaction set (X12 RFI 2815: 2200B
# TRN02 is the 837's BHT03). Inside, the hierarchy of X214:
#   2000A information source (the 837's receiver, 1000B; NM101 AY or PR), TRN, the
#         receipt (DTP*050) and processing (DTP*009) dates;
#   2000B information receiver (the submitter, 1000A), TRN*2 = BHT03, one STC for the
#         batch (A1:19 WQ when the 999 accepts the set, A3 U when it rejects it), and
#         QTY*90/AA, AMT*YU/YY: claims and charges accepted and rejected;
#   2000C each billing provider (2010AA) with the same status and totals for its claims;
#   2000D each claim: the patient, TRN*2 = CLM01, its status: A1:20 WQ accepted,
#         else one STC per distinct reason (status277.py) with U and, in STC12, the
#         segment in error; REF*1K (the payer's claim number, when given), REF*D9
#         (the 837's own, echoed), DTP*472 (first to last line date); and for a line
#         whose finding rejected the claim a 2220D (SVC, STC, REF*FJ, DTP*472).
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ..errors import X12Error
from ..x12 import Delimiters, format_amount
from .claimfacts import (ClaimFacts, FactsCursor, LineFacts, Name, ProviderFacts, TransactionFacts,
                         iter_claim_facts)
from .report import ClaimResult, Issue
from .respond import Clean, begin_response, finish, open_writer
from .status277 import ACCEPTED, FORMAT_INVALID, Status, received, statuses
from .syntax import parse_date8
from .x837 import parse_amount

__all__ = ["write_277ca", "control_numbers_used", "VERSION"]

VERSION = "005010X214"
_MAX_CLAIM_STC = 5        # distinct reasons written per claim (one STC each)
_ZERO = Decimal(0)
_UNKNOWN = "UNKNOWN"
# SVC01-1 product/service id qualifiers X214 allows (pyx12's map of the TR3).
_SVC_QUALIFIERS = frozenset({"AD", "ER", "HC", "HP", "IV", "NU", "WK"})


@dataclass(slots=True)
class _Claim:
    """One claim to acknowledge: the report's decision, the file's facts, the reasons."""

    result: ClaimResult
    facts: ClaimFacts | None
    charge: Decimal
    reasons: list[tuple[Status, Issue | None]]    # (status, issue) claim level, distinct
    lines: list[tuple[LineFacts, list[tuple[Status, Issue | None]]]]   # (line, reasons)

    @property
    def accepted(self) -> bool:
        return self.result.accepted


def write_277ca(report, source, stream=None, *, control_number: int = 1,
                now: datetime | None = None, received_on: date | None = None,
                delimiters: Delimiters = Delimiters(), line_break: bool = True,
                sender: tuple[str, str] | None = None, receiver: tuple[str, str] | None = None,
                source_entity: str = "AY",
                payer_claim_number: Callable[[str], str | None] | None = None):
    """Write a 277CA for every 837 transaction set of `report`. Returns bytes when
    stream is None.

    source: the validated file again (a path or its bytes): the 277CA repeats names
    and numbers of the 837P that the report does not keep. source_entity: NM101 of
    the information source, "AY" (clearinghouse, the default) or "PR" (payer); its
    name and id are the 837's receiver (1000B). received_on: DTP*050 (default: the
    date of `now`). payer_claim_number: CLM01 -> the payer's claim control number
    for REF*1K of an accepted claim (none written without it).
    """
    if source_entity not in ("AY", "PR"):
        raise ValueError("source_entity must be 'AY' or 'PR'")
    targets = _targets(report)
    if not targets:
        raise X12Error("nothing to acknowledge with a 277CA: the file has no 837 transaction set",
                       file=report.file)
    now = now or datetime.now()
    facts = FactsCursor(iter_claim_facts(source, report.file))
    ctx = _Context(Clean(delimiters), now, received_on or now.date(), source_entity,
                   payer_claim_number)
    w = open_writer(stream, delimiters, line_break)
    # One counter numbers the interchanges (ISA13) and the groups (GS06), so both are
    # unique in the response; control_numbers_used() says how many were drawn.
    group_control = control_number
    for ic, groups in targets:
        begin_response(w, ic, ctx.clean, group_control, now, sender, receiver)
        for g in groups:
            w.begin_group("HN", ctx.clean(g.receiver_code or ic.receiver_id, 15) or _UNKNOWN,
                          ctx.clean(g.sender_code or ic.sender_id, 15) or _UNKNOWN,
                          group_control, VERSION, now=now)
            for n, t in enumerate((t for t in g.transactions if t.set_id == "837"), start=1):
                w.begin_transaction("277", n, VERSION)
                _transaction(w, ctx, t, facts.get(t.segment_index), group_control, n)
                w.end_transaction()
            w.end_group()
            group_control += 1
        w.end_interchange()
    return finish(w, stream)


def _targets(report):
    """(interchange, its groups holding 837s) for every interchange that has one."""
    targets = [(ic, [g for g in ic.groups if any(t.set_id == "837" for t in g.transactions)])
               for ic in report.interchanges]
    return [(ic, groups) for ic, groups in targets if groups]


def control_numbers_used(report) -> int:
    """How many control numbers write_277ca(report, ...) draws from control_number."""
    return sum(len(groups) for _, groups in _targets(report))


@dataclass(slots=True)
class _Context:
    clean: Clean
    now: datetime
    received_on: date
    entity: str
    payer_claim_number: Callable[[str], str | None] | None

    @property
    def today(self) -> str:
        return self.now.strftime("%Y%m%d")


# -- one transaction set ------------------------------------------------------------
def _transaction(w, ctx: _Context, t, tf: TransactionFacts | None, control: int, n: int):
    tf = tf or TransactionFacts(t.segment_index, t.control_number)
    clean = ctx.clean
    trace = f"{control:09d}{n:04d}"
    w.write(["BHT", "0085", "08", trace, ctx.today, ctx.now.strftime("%H%M"), "TH"])
    claims = [_claim(t, c, tf.claims.get(c.segment_index)) for c in t.claims]
    # 2000A information source
    w.write(["HL", "1", None, "20", "1"])
    _nm1(w, ctx.entity, "2", tf.receiver.last, "", "46", tf.receiver.id, clean)
    w.write(["TRN", "1", trace])
    w.write(["DTP", "050", "D8", ctx.received_on.strftime("%Y%m%d")])
    w.write(["DTP", "009", "D8", ctx.today])
    # 2000B information receiver
    w.write(["HL", "2", "1", "21", "1" if claims else "0"])
    sub = tf.submitter
    person = sub.entity_type == "1"
    w.write(["NM1", "41", "1" if person else "2", clean(sub.last, 60) or _UNKNOWN,
             clean(sub.first, 35) if person else None,
             clean(sub.middle, 25) if person else None, None, None, "46",
             clean(sub.id, 80) or _UNKNOWN])
    w.write(["TRN", "2", clean(tf.batch, 50) or "0"])
    batch = _batch_status(ctx, t)
    _summary(w, ctx, batch, claims, ("90", "AA"), with_date=True)
    hl = 2
    for provider, group in _by_provider(claims):
        hl += 1
        provider_hl = hl
        w.write(["HL", str(provider_hl), "2", "19", "1"])
        _provider(w, provider, clean)
        w.write(["TRN", "1", "0"])
        _summary(w, ctx, batch, group, ("QA", "QC"), with_date=False, provider=provider)
        for claim in group:
            hl += 1
            w.write(["HL", str(hl), str(provider_hl), "PT"])
            _patient(w, claim, clean)
            _claim_status(w, ctx, t, claim)


def _batch_status(ctx: _Context, t) -> tuple[Status, str]:
    """(status, action) of the whole set: received (WQ), or rejected by the 999 (U).
    STC12 is not used at this level nor at the provider's (X214)."""
    if t.accepted:
        return received(ctx.entity), "WQ"
    return Status("A3", FORMAT_INVALID), "U"


def _summary(w, ctx, batch, claims, qualifiers, *, with_date: bool, provider=None):
    status, action = batch
    total = sum((c.charge for c in claims), _ZERO)
    w.write(["STC", status.composite(), ctx.today if with_date else None, action,
             format_amount(total)])
    if provider is not None and provider.tax_id:
        w.write(["REF", "TJ" if provider.tax_qualifier == "EI" else "SY",
                 ctx.clean(provider.tax_id, 50)])
    accepted = [c for c in claims if c.accepted]
    rejected = [c for c in claims if not c.accepted]
    if accepted:
        w.write(["QTY", qualifiers[0], str(len(accepted))])
    if rejected:
        w.write(["QTY", qualifiers[1], str(len(rejected))])
    if accepted:
        w.write(["AMT", "YU", format_amount(sum((c.charge for c in accepted), _ZERO))])
    if rejected:
        w.write(["AMT", "YY", format_amount(sum((c.charge for c in rejected), _ZERO))])


def _by_provider(claims):
    """Claims grouped by billing provider (2000A HL of the 837), in file order."""
    groups: list[tuple[ProviderFacts | None, list[_Claim]]] = []
    for c in claims:
        provider = c.facts.provider if c.facts else None
        if groups and groups[-1][0] is provider:
            groups[-1][1].append(c)
        else:
            groups.append((provider, [c]))
    return groups


def _nm1(w, entity, kind, last, first, qualifier, ident, clean):
    w.write(["NM1", entity, kind, clean(last, 60) or _UNKNOWN, clean(first, 35) or None, None,
             None, None, qualifier, clean(ident, 80) or _UNKNOWN])


def _provider(w, provider: ProviderFacts | None, clean):
    name = provider.name if provider else Name()
    person = name.entity_type == "1"
    qualifier = name.id_qualifier if name.id_qualifier in ("FI", "SV", "XX") else "XX"
    w.write(["NM1", "85", "1" if person else "2", clean(name.last, 60) or _UNKNOWN,
             clean(name.first, 35) if person else None, clean(name.middle, 25) if person else None,
             None, clean(name.suffix, 10) if person else None, qualifier,
             clean(name.id, 80) or _UNKNOWN])


def _patient(w, claim: _Claim, clean):
    f = claim.facts
    patient, member = (f.patient, f.member) if f else (Name(), Name())
    qualifier = member.id_qualifier if member.id_qualifier in ("II", "MI") else "MI"
    w.write(["NM1", "QC", "1", clean(patient.last, 60) or _UNKNOWN, clean(patient.first, 35),
             clean(patient.middle, 25), None, clean(patient.suffix, 10), qualifier,
             clean(member.id, 80) or _UNKNOWN])


# -- one claim ---------------------------------------------------------------------
def _claim_issues(t, c):
    """The claim's own error findings: the rule report.decide() uses."""
    return [i for i in t.issues if i.severity == "error" and i.claim == c.claim_id
            and c.segment_index <= (i.segment_index or 0) <= c.end_index + 1]


def _claim(t, c, facts: ClaimFacts | None) -> _Claim:
    charge = (parse_amount(facts.charge) if facts else None) or _ZERO
    claim = _Claim(c, facts, charge, [], [])
    if c.accepted:
        return claim
    by_line: dict[int, tuple] = {}
    for issue in _claim_issues(t, c):      # file order; at one segment, lower levels first
        line = _line_of(facts, issue)
        for status in statuses(issue):
            _add_reason(claim.reasons, status, issue)
            if line is not None:
                _add_reason(by_line.setdefault(id(line), (line, []))[1], status, issue)
    claim.reasons = _specific(claim.reasons)
    claim.lines = sorted(((line, _specific(r)) for line, r in by_line.values()),
                         key=lambda lr: lr[0].index)
    return claim


def _add_reason(reasons: list, status: Status, issue) -> None:
    """One reason per status code: the first finding that gives it (the TR3's A3 before
    a payer edit's A6/A7 on the same element)."""
    if all(s.code != status.code for s, _ in reasons):
        reasons.append((status, issue))


def _specific(reasons: list) -> list:
    """'Claim/submission format is invalid' only when nothing more specific is known."""
    named = [r for r in reasons if r[0].code != FORMAT_INVALID]
    return named or reasons[:1]


def _line_of(facts: ClaimFacts | None, issue):
    """The 837 line a finding is on; a missing segment is reported at the segment
    after the line it is missing from."""
    if facts is None or issue.segment_index is None:
        return None
    for line in facts.lines:
        if line.holds(issue.segment_index):
            if issue.segment_error == "3" and issue.segment_index == line.index:
                continue     # the LX of the next line: the segment is missing from the last
            return line
        if issue.segment_error == "3" and issue.segment_index == line.end + 1:
            return line
    return None


def _claim_status(w, ctx: _Context, t, claim: _Claim):
    clean = ctx.clean
    f = claim.facts
    w.write(["TRN", "2", clean(claim.result.claim_id, 50) or "0"])
    charge = format_amount(claim.charge)
    if claim.accepted:
        w.write(["STC", ACCEPTED.composite(), ctx.today, "WQ", charge])
    else:
        # a claim with no error of its own, in a set the 999 rejects
        reasons = claim.reasons or [(Status("A3", FORMAT_INVALID), None)]
        for status, issue in reasons[:_MAX_CLAIM_STC]:
            text = _where(issue, t) if issue is not None else "TRANSACTION SET REJECTED, SEE 999"
            w.write(["STC", status.composite(), ctx.today, "U", charge, None, None, None,
                     None, None, None, None, _clip(clean, text)])
    if claim.accepted and ctx.payer_claim_number is not None:
        icn = ctx.payer_claim_number(claim.result.claim_id)
        if icn:
            w.write(["REF", "1K", clean(icn, 50)])
    if f is not None and f.clearinghouse_ref:
        w.write(["REF", "D9", clean(f.clearinghouse_ref, 50)])
    dates = _claim_dates(f)
    if dates:
        w.write(["DTP", "472", *dates])
    for line, reasons in claim.lines:
        _line(w, ctx, line, reasons)


def _claim_dates(f: ClaimFacts | None):
    days: list[date] = []
    for line in (f.lines if f else ()):
        days.extend(d for d in _line_days(line) if d)
    if not days:
        return None
    lo, hi = min(days), max(days)
    if lo == hi:
        return ["D8", lo.strftime("%Y%m%d")]
    return ["RD8", f"{lo:%Y%m%d}-{hi:%Y%m%d}"]


def _line_days(line: LineFacts) -> list[date | None]:
    if line.date_format == "D8":
        return [parse_date8(line.date)]
    if line.date_format == "RD8" and "-" in line.date:
        a, _, b = line.date.partition("-")
        start, end = parse_date8(a), parse_date8(b)
        if start and end and start <= end:
            return [start, end]
    return []


def _line(w, ctx: _Context, line, reasons):
    clean = ctx.clean
    proc = [clean(p, 48) for p in line.procedure[:6]]
    if len(proc) < 2 or proc[0] not in _SVC_QUALIFIERS or not proc[1]:
        return      # no procedure to name the line by (the claim-level STC says why)
    charge = parse_amount(line.charge)
    units = parse_amount(line.units) if line.units else None
    w.write(["SVC", proc, format_amount(charge if charge is not None else _ZERO), None, None,
             None, None, format_amount(units) if units is not None else None])
    first, *more = [s for s, _ in reasons]
    w.write(["STC", first.composite(), ctx.today, "U", None, None, None, None, None, None,
             more[0].composite() if more else None,
             more[1].composite() if len(more) > 1 else None])
    if line.control:
        w.write(["REF", "FJ", clean(line.control, 50)])
    days = [d for d in _line_days(line) if d]
    if days:
        w.write(["DTP", "472", "D8", days[0].strftime("%Y%m%d")] if len(days) == 1 or
                days[0] == days[-1] else
                ["DTP", "472", "RD8", f"{days[0]:%Y%m%d}-{days[-1]:%Y%m%d}"])


def _where(issue, t) -> str:
    """STC12: where the finding is, by position in the set (ST = 1), loop and element."""
    parts = []
    if issue.loop:
        parts.append(f"LOOP {issue.loop}")
    if issue.segment_index is not None and t.segment_index <= issue.segment_index:
        parts.append(f"SEGMENT {issue.segment_index - t.segment_index + 1}")
    if issue.segment_id:
        parts.append(issue.segment_id)
    if issue.element:
        parts.append(f"ELEMENT {issue.element}")
    return " ".join(parts) or "TRANSACTION SET REJECTED, SEE 999"


def _clip(clean, text: str) -> str:
    return clean(text.upper(), 264)
