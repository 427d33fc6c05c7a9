# X12 835 (005010X221A1) -> Remittance objects, with the balancing checked.
#
# Strategy: a small state machine over the segment stream. The current loop (header,
# 1000A, 1000B, 2000, 2100, 2110, footer) and the segment id pick the handler from one
# table (_HANDLERS); a handler fills the Remittance being built and returns the loop
# that follows. At SE the three balancing equations (balance.py) are checked and every
# violation becomes a Finding that names the segment (CLP, SVC or BPR), its number in
# the file and the element; then the Remittance is yielded. A balancing violation is a
# finding, never an exception; an amount that is not a number is an X12Error (the
# equations cannot even be stated).
#
# Envelopes (ISA/GS/ST counts and control numbers) are checked by the x12 layer's
# EnvelopeTracker; its findings go to the transaction they concern, or to the reader's
# own `findings` when they concern the file (GE/IEA).
#
# Two ways out of one loop. events() streams: each claim is handed out (with the header
# of its transaction) as soon as the next CLP, LX, PLB or SE shows it is complete, and
# is not kept; the transaction keeps only running totals (the sum of CLP04 for the
# BPR equation) and its findings, so memory holds one claim whatever the size of the
# transaction set. Iterating the reader (read_835) collects the claims of each
# transaction into its Remittance and yields that at SE, as before; the generator
# holds nothing of a Remittance once it has handed it out.

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from edi_hit.errors import Finding, X12Error
from edi_hit.x12 import ENVELOPE_IDS, EnvelopeTracker, SegmentReader

from .balance import claim_discrepancy, line_discrepancy, transaction_discrepancy
from .model import CasAdjustment, Party, ProviderAdjustment, RemitClaim, RemitLine, Remittance

__all__ = ["RemittanceReader", "RemitEvent", "read_835", "stream_835", "check_balancing"]

_ZERO = Decimal(0)
_REAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")

# Loop names used as states.
OUTSIDE, HEADER, L1000A, L1000B, L2000, L2100, L2110, FOOTER = (
    "outside", "header", "1000A", "1000B", "2000", "2100", "2110", "footer")


def _el(seg: list[str], n: int) -> str:
    return seg[n] if len(seg) > n else ""


def _context(remit: Remittance) -> dict[str, Any]:
    return dict(file=remit.file, interchange_control=remit.interchange_control_number,
                group_control=remit.group_control_number,
                transaction_control=remit.transaction_control_number)


def _claim_balance(claim: RemitClaim, ctx: dict[str, Any]) -> list[Finding]:
    """The line and claim equations of one claim, as Findings."""
    out: list[Finding] = []
    adjustments = [a.amount for a in claim.adjustments]
    for n, line in enumerate(claim.lines, start=1):
        line_adj = [a.amount for a in line.adjustments]
        adjustments.extend(line_adj)
        off = line_discrepancy(line.charge, line_adj, line.paid)
        if off:
            out.append(Finding(
                "error", "balance-line",
                f"claim {claim.patient_control_number} line {n} ({line.code}): SVC02 "
                f"{line.charge} - CAS {sum(line_adj, _ZERO)} = {line.charge - sum(line_adj, _ZERO)}"
                f", but SVC03 is {line.paid} (off by {off})",
                segment_index=line.segment_index, segment_id="SVC", element="SVC03", **ctx))
    off = claim_discrepancy(claim.charge, adjustments, claim.paid)
    if off:
        out.append(Finding(
            "error", "balance-claim",
            f"claim {claim.patient_control_number}: CLP03 {claim.charge} - CAS (claim and "
            f"lines) {sum(adjustments, _ZERO)} = {claim.charge - sum(adjustments, _ZERO)}, "
            f"but CLP04 is {claim.paid} (off by {off})",
            segment_index=claim.segment_index, segment_id="CLP", element="CLP04", **ctx))
    return out


def _transaction_balance(remit: Remittance, claims_paid: Decimal, bpr_index: int | None,
                         ctx: dict[str, Any]) -> list[Finding]:
    """The BPR equation, given the sum of the transaction's CLP04."""
    plb = [p.amount for p in remit.provider_adjustments]
    off = transaction_discrepancy(remit.signed_payment, [claims_paid], plb)
    if not off:
        return []
    expected = claims_paid - sum(plb, _ZERO)
    return [Finding(
        "error", "balance-transaction",
        f"BPR02 {remit.signed_payment} but sum of CLP04 {claims_paid} - sum of "
        f"PLB {sum(plb, _ZERO)} = {expected} (off by {off})",
        segment_index=bpr_index, segment_id="BPR", element="BPR02", **ctx)]


def check_balancing(remit: Remittance, *, bpr_index: int | None = None) -> list[Finding]:
    """The three balancing equations as Findings (empty when the transaction balances)."""
    ctx = _context(remit)
    out = [f for claim in remit.claims for f in _claim_balance(claim, ctx)]
    paid = sum((c.paid for c in remit.claims), _ZERO)
    return out + _transaction_balance(remit, paid, bpr_index, ctx)


class RemitEvent(NamedTuple):
    """What the streaming reader hands out: a claim as soon as it is complete, with the
    transaction it belongs to (header read; claims not kept), or, with claim None, the
    transaction itself at its SE (payment, PLB and every finding; its claims came
    before). `claim_findings`: the claim's balancing findings (also in the
    transaction's findings at its SE)."""

    remittance: Remittance
    claim: RemitClaim | None = None
    claim_findings: tuple[Finding, ...] = ()


class RemittanceReader:
    """Iterate the 835 transactions of a file as Remittance objects.

    >>> reader = RemittanceReader("remit.835")
    >>> for remit in reader: print(remit.payment_amount, remit.balanced)
    >>> reader.findings          # file-level findings (envelopes, encoding)

    Or claim by claim, holding one claim at a time (a transaction set of any size):

    >>> for ev in RemittanceReader("remit.835").events():
    ...     if ev.claim is not None: print(ev.remittance.trace_number, ev.claim.paid)
    """

    def __init__(self, source: Any, name: str | None = None) -> None:
        self._segments = SegmentReader(source, name)
        self.name = self._segments.name
        self.findings: list[Finding] = []
        self._tracker = EnvelopeTracker(file=self.name)
        self._remit: Remittance | None = None

    # -- values -------------------------------------------------------------------
    def _amount(self, seg: list[str], n: int) -> Decimal:
        """An X12 R value: optional '-', digits with at most one '.', at most 18 digits;
        no exponent (R has none), no '+', no NaN or infinity."""
        text = _el(seg, n).strip()
        if not text:
            raise self._error(seg, n, "a required amount is missing", "a decimal amount", "")
        if not _REAL.fullmatch(text):
            exponent = "e" in text.lower() and text.lower() not in ("nan", "-nan")
            raise self._error(seg, n, "X12 R has no exponent notation" if exponent else "",
                              "a decimal amount", text[:40])
        if sum(ch.isdigit() for ch in text) > 18:
            raise self._error(seg, n, "amount too long", "at most the 18 digits X12 R allows",
                              text[:40])
        return Decimal(text)

    def _optional_amount(self, seg: list[str], n: int) -> Decimal | None:
        """An R value that may be left out (None when the element is empty)."""
        return self._amount(seg, n) if _el(seg, n).strip() else None

    def _date(self, seg: list[str], n: int) -> date | None:
        text = _el(seg, n).strip()
        if not text:
            return None
        try:
            if len(text) != 8 or not text.isdigit():
                raise ValueError
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            self._finding("warning", "bad-date", f"not a CCYYMMDD date: {text!r}", seg, n)
            return None

    def _error(self, seg: list[str], n: int, message: str, expected: str, got: str) -> X12Error:
        return X12Error(message, file=self.name, segment_index=self._segments.index,
                        segment_id=seg[0], element=f"{seg[0]}{n:02d}", expected=expected, got=got)

    def _finding(self, severity: str, code: str, message: str, seg: list[str], n: int | None) -> None:
        t = self._tracker
        finding = Finding(
            severity, code, message, file=self.name, segment_index=self._segments.index,
            segment_id=seg[0], element=None if n is None else f"{seg[0]}{n:02d}",
            interchange_control=t.interchange.control_number if t.interchange else None,
            group_control=t.group.control_number if t.group else None,
            transaction_control=t.transaction.control_number if t.transaction else None)
        (self._remit.findings if self._remit is not None else self.findings).append(finding)

    def _cas(self, seg: list[str]) -> list[CasAdjustment]:
        group = _el(seg, 1)
        out: list[CasAdjustment] = []
        for n in range(2, min(len(seg), 20), 3):
            reason = _el(seg, n)
            if not reason:
                continue
            amount = self._amount(seg, n + 1)
            qty = self._optional_amount(seg, n + 2)
            out.append(CasAdjustment(group, reason, amount, qty))
        return out

    # -- iteration ------------------------------------------------------------------
    def __iter__(self) -> Iterator[Remittance]:
        for ev in self._read(keep=True):
            if ev.claim is None:
                yield ev.remittance
            del ev  # nothing of a Remittance handed out stays alive here

    def events(self) -> Iterator[RemitEvent]:
        """Claim by claim (module comment): a RemitEvent per claim as it completes, and
        one per transaction at its SE (claim None)."""
        return self._read(keep=False)

    def _read(self, keep: bool) -> Iterator[RemitEvent]:
        self._keep = keep
        self._remit = None
        self._claim: RemitClaim | None = None
        self._line: RemitLine | None = None
        self._party: Party | None = None
        self._bpr_index: int | None = None
        self._done: list[RemitClaim] = []   # claims complete, not yet handed out
        loop = OUTSIDE
        segments = self._segments
        tracker = self._tracker
        handlers = _HANDLERS
        done = self._done
        for seg in segments:
            sid = seg[0]
            if sid in ENVELOPE_IDS:
                before = len(tracker.findings)
                tracker.feed(seg, segments.index)
                new = tracker.findings[before:]
                del tracker.findings[before:]
                if sid == "ST":
                    self.findings.extend(new)
                    loop = self._start(seg)
                    continue
                if sid == "SE" and (remit := self._remit) is not None:
                    remit.findings.extend(new)
                    self._close_claim()
                    yield from self._hand_out(remit)
                    loop = OUTSIDE
                    yield RemitEvent(self._finish())
                    continue
                self.findings.extend(new)
                continue
            remit = self._remit
            if remit is None:
                self._finding("error", "outside-transaction",
                              f"segment {sid} is outside a transaction set (no ST before it)", seg, None)
                continue
            handler = handlers.get((loop, sid)) or handlers.get((None, sid))
            if handler is None:
                self._finding("warning", "unexpected-segment",
                              f"segment {sid} was not expected in loop {loop}; skipped", seg, None)
                continue
            loop = handler(self, seg, loop)
            if done:
                yield from self._hand_out(remit)
        before = len(tracker.findings)
        tracker.finish(segments.index)
        self.findings.extend(tracker.findings[before:])
        if (remit := self._remit) is not None:  # file ended inside a transaction: report it
            self._close_claim()
            yield from self._hand_out(remit)
            yield RemitEvent(self._finish())
        self.findings[:0] = segments.findings

    def _close_claim(self) -> None:
        """The claim being read is complete (a CLP, LX, PLB or SE follows it)."""
        claim = self._claim
        if claim is None:
            return
        self._claim = self._line = None
        self._paid += claim.paid
        found = _claim_balance(claim, self._ctx)
        if found:
            self._balance.extend(found)
        if self._keep:
            self._open_remit.claims.append(claim)
        else:
            self._done.append(claim)
            self._found.append(tuple(found))

    def _hand_out(self, remit: Remittance) -> Iterator[RemitEvent]:
        done, found = self._done, self._found
        while done:
            yield RemitEvent(remit, done.pop(0), found.pop(0))

    def _start(self, seg: list[str]) -> str:
        if _el(seg, 1) != "835":
            raise X12Error("not an 835 transaction set", file=self.name,
                           segment_index=self._segments.index, segment_id="ST", element="ST01",
                           expected="'835'", got=_el(seg, 1))
        t = self._tracker
        self._remit = Remittance(
            transaction_control_number=_el(seg, 2), handling_code="", payment_amount=_ZERO,
            credit_debit="", payment_method="", payment_date=None, trace_number="",
            trace_payer_id="", payer=Party(""), payee=Party(""),
            interchange_control_number=t.interchange.control_number if t.interchange else None,
            group_control_number=t.group.control_number if t.group else None,
            file=self.name, segment_index=self._segments.index)
        self._claim = self._line = self._party = None
        self._bpr_index = None
        self._ctx = _context(self._remit)
        self._paid = _ZERO                  # sum of CLP04 so far
        self._balance: list[Finding] = []   # the claims' balancing findings
        self._found: list[tuple[Finding, ...]] = []
        return HEADER

    def _finish(self) -> Remittance:
        remit = self._remit
        assert remit is not None
        if self._bpr_index is None:
            remit.findings.append(Finding(
                "error", "missing-bpr", "transaction set has no BPR segment", file=self.name,
                segment_index=remit.segment_index, segment_id="ST",
                transaction_control=remit.transaction_control_number))
        remit.findings.extend(self._balance)
        remit.findings.extend(_transaction_balance(remit, self._paid, self._bpr_index, self._ctx))
        self._remit = self._claim = self._line = self._party = None
        self._balance = []
        return remit

    # -- the open parts: the handler table reaches a loop only after the segment that
    # opens it (ST, N1, CLP, SVC), so each is set whenever a handler asks for it --------
    @property
    def _open_remit(self) -> Remittance:
        remit = self._remit
        assert remit is not None, "a transaction-set handler ran outside ST/SE"
        return remit

    @property
    def _open_party(self) -> Party:
        party = self._party
        assert party is not None, "a 1000A/1000B handler ran before N1"
        return party

    @property
    def _open_claim(self) -> RemitClaim:
        claim = self._claim
        assert claim is not None, "a 2100/2110 handler ran before CLP"
        return claim

    @property
    def _open_line(self) -> RemitLine:
        line = self._line
        assert line is not None, "a 2110 handler ran before SVC"
        return line

    @property
    def _component(self) -> str:
        delimiters = self._segments.delimiters
        assert delimiters is not None, "a handler ran before the ISA"
        return delimiters.component

    # -- handlers: each returns the loop after the segment ----------------------------
    def _bpr(self, seg: list[str], loop: str) -> str:
        r = self._open_remit
        r.handling_code = _el(seg, 1)
        r.payment_amount = self._amount(seg, 2)
        if r.payment_amount < 0:
            raise self._error(seg, 2, "the total payment cannot be negative (BPR03 says "
                              "credit or debit)", "an amount of 0 or more", _el(seg, 2))
        r.credit_debit = _el(seg, 3)
        r.payment_method = _el(seg, 4)
        r.payment_date = self._date(seg, 16)
        self._bpr_index = self._segments.index
        return HEADER

    def _trn(self, seg: list[str], loop: str) -> str:
        self._open_remit.trace_number = _el(seg, 2)
        self._open_remit.trace_payer_id = _el(seg, 3)
        return loop

    def _header_dtm(self, seg: list[str], loop: str) -> str:
        if _el(seg, 1) == "405":
            self._open_remit.production_date = self._date(seg, 2)
        return HEADER

    def _ignore(self, seg: list[str], loop: str) -> str:
        return loop

    def _n1(self, seg: list[str], loop: str) -> str:
        party = Party(_el(seg, 2), _el(seg, 3) or None, _el(seg, 4) or None)
        self._party = party
        if _el(seg, 1) == "PE":
            self._open_remit.payee = party
            return L1000B
        self._open_remit.payer = party
        return L1000A

    def _n3(self, seg: list[str], loop: str) -> str:
        self._open_party.address_lines.extend(v for v in seg[1:3] if v)
        return loop

    def _n4(self, seg: list[str], loop: str) -> str:
        p = self._open_party
        p.city, p.state, p.postal_code = _el(seg, 1) or None, _el(seg, 2) or None, _el(seg, 3) or None
        return loop

    def _party_ref(self, seg: list[str], loop: str) -> str:
        self._open_party.refs.append((_el(seg, 1), _el(seg, 2)))
        return loop

    def _lx(self, seg: list[str], loop: str) -> str:
        self._close_claim()
        return L2000

    def _clp(self, seg: list[str], loop: str) -> str:
        claim = RemitClaim(
            patient_control_number=_el(seg, 1), status_code=_el(seg, 2),
            charge=self._amount(seg, 3), paid=self._amount(seg, 4),
            patient_responsibility=self._optional_amount(seg, 5),
            filing_indicator=_el(seg, 6), payer_claim_control_number=_el(seg, 7),
            facility_code=_el(seg, 8) or None, frequency_code=_el(seg, 9) or None,
            segment_index=self._segments.index)
        self._close_claim()
        self._claim = claim
        self._line = None
        return L2100

    def _claim_cas(self, seg: list[str], loop: str) -> str:
        self._open_claim.adjustments.extend(self._cas(seg))
        return loop

    def _line_cas(self, seg: list[str], loop: str) -> str:
        self._open_line.adjustments.extend(self._cas(seg))
        return loop

    def _claim_nm1(self, seg: list[str], loop: str) -> str:
        if _el(seg, 1) == "QC":
            c = self._open_claim
            c.patient_last_name = _el(seg, 3) or None
            c.patient_first_name = _el(seg, 4) or None
            c.patient_id_qualifier = _el(seg, 8) or None
            c.patient_id = _el(seg, 9) or None
        return loop

    def _moa(self, seg: list[str], loop: str) -> str:
        self._open_claim.remarks.extend(v for v in seg[3:8] if v)
        return loop

    def _mia(self, seg: list[str], loop: str) -> str:
        self._open_claim.remarks.extend(
            v for n in (5, 20, 21, 22, 23) if (v := _el(seg, n)))
        return loop

    def _claim_ref(self, seg: list[str], loop: str) -> str:
        self._open_claim.refs.append((_el(seg, 1), _el(seg, 2)))
        return loop

    def _claim_dtm(self, seg: list[str], loop: str) -> str:
        q = _el(seg, 1)
        if q == "232":
            self._open_claim.statement_from = self._date(seg, 2)
        elif q == "233":
            self._open_claim.statement_to = self._date(seg, 2)
        return loop

    def _claim_amt(self, seg: list[str], loop: str) -> str:
        self._open_claim.amounts[_el(seg, 1)] = self._amount(seg, 2)
        return loop

    def _svc(self, seg: list[str], loop: str) -> str:
        comp = self._component
        parts = _el(seg, 1).split(comp)
        line = RemitLine(
            qualifier=parts[0], code=parts[1] if len(parts) > 1 else "",
            modifiers=[m for m in parts[2:6] if m],
            charge=self._amount(seg, 2), paid=self._amount(seg, 3),
            revenue_code=_el(seg, 4) or None,
            units_paid=self._optional_amount(seg, 5),
            original_units=self._optional_amount(seg, 7),
            segment_index=self._segments.index)
        self._open_claim.lines.append(line)
        self._line = line
        return L2110

    def _line_dtm(self, seg: list[str], loop: str) -> str:
        q = _el(seg, 1)
        line = self._open_line
        if q in ("472", "150"):
            line.service_date = self._date(seg, 2)
        elif q == "151":
            line.service_date_end = self._date(seg, 2)
        return loop

    def _line_ref(self, seg: list[str], loop: str) -> str:
        if _el(seg, 1) == "6R":
            self._open_line.control_number = _el(seg, 2)
        else:
            self._open_line.refs.append((_el(seg, 1), _el(seg, 2)))
        return loop

    def _line_amt(self, seg: list[str], loop: str) -> str:
        amount = self._amount(seg, 2)
        if _el(seg, 1) == "B6":
            self._open_line.allowed = amount
        else:
            self._open_line.amounts[_el(seg, 1)] = amount
        return loop

    def _lq(self, seg: list[str], loop: str) -> str:
        if _el(seg, 1) == "HE":
            self._open_line.remarks.append(_el(seg, 2))
        else:
            self._open_line.refs.append((_el(seg, 1), _el(seg, 2)))
        return loop

    def _plb(self, seg: list[str], loop: str) -> str:
        self._close_claim()
        comp = self._component
        provider = _el(seg, 1)
        period = self._date(seg, 2)
        for n in range(3, min(len(seg), 15), 2):
            ident = _el(seg, n)
            if not ident:
                continue
            reason, _, ref = ident.partition(comp)
            self._open_remit.provider_adjustments.append(ProviderAdjustment(
                provider, period, reason, ref or None, self._amount(seg, n + 1)))
        return FOOTER


Handler = Callable[[RemittanceReader, list[str], str], str]
R = RemittanceReader
_HANDLERS: dict[tuple[str | None, str], Handler] = {
    (HEADER, "BPR"): R._bpr,
    (HEADER, "TRN"): R._trn,
    (HEADER, "CUR"): R._ignore,
    (HEADER, "REF"): R._ignore,
    (HEADER, "DTM"): R._header_dtm,
    (None, "N1"): R._n1,
    (L1000A, "N3"): R._n3, (L1000B, "N3"): R._n3,
    (L1000A, "N4"): R._n4, (L1000B, "N4"): R._n4,
    (L1000A, "REF"): R._party_ref, (L1000B, "REF"): R._party_ref,
    (L1000A, "PER"): R._ignore, (L1000B, "RDM"): R._ignore,
    (None, "LX"): R._lx,
    (L2000, "TS3"): R._ignore, (L2000, "TS2"): R._ignore,
    (None, "CLP"): R._clp,
    (L2100, "CAS"): R._claim_cas,
    (L2100, "NM1"): R._claim_nm1,
    (L2100, "MIA"): R._mia,
    (L2100, "MOA"): R._moa,
    (L2100, "REF"): R._claim_ref,
    (L2100, "DTM"): R._claim_dtm,
    (L2100, "PER"): R._ignore,
    (L2100, "AMT"): R._claim_amt,
    (L2100, "QTY"): R._ignore,
    (L2100, "SVC"): R._svc, (L2110, "SVC"): R._svc,
    (L2110, "DTM"): R._line_dtm,
    (L2110, "CAS"): R._line_cas,
    (L2110, "REF"): R._line_ref,
    (L2110, "AMT"): R._line_amt,
    (L2110, "QTY"): R._ignore,
    (L2110, "LQ"): R._lq,
    (None, "PLB"): R._plb,
}
del R


def read_835(source: Any, *, name: str | None = None) -> Iterator[Remittance]:
    """Yield one Remittance per 835 transaction set in `source` (path, bytes or binary file).

    Balancing violations and envelope problems are in each Remittance's `findings`;
    use RemittanceReader directly to also get the file-level findings. A transaction set
    is held whole; stream_835 hands out its claims one at a time instead.
    """
    return iter(RemittanceReader(source, name))


def stream_835(source: Any, *, name: str | None = None) -> Iterator[RemitEvent]:
    """Claim by claim, in bounded memory whatever the size of a transaction set: a
    RemitEvent(remittance, claim, claim_findings) as each claim is complete, then
    RemitEvent(remittance) at each SE with the payment, PLB and all findings (its
    `claims` list stays empty). RemittanceReader(source).events() does the same and
    keeps the file-level findings in `reader.findings`."""
    return RemittanceReader(source, name).events()
