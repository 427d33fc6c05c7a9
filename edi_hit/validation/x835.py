# Level 3 for an 835 transaction set: the three balancing equations and real dates.
#
# Strategy: one pass over the segments between ST and SE, keeping only running sums:
# the open claim (CLP03, CLP04, its CAS total), the open service line (SVC02, SVC03,
# its CAS total), the sum of CLP04 and of PLB amounts. The equations themselves are
# helper C's (edi_hit.x835.balance), so the reader and the validator cannot disagree
# about what "balanced" means; the finding codes are the reader's too (balance-line,
# balance-claim, balance-transaction). Unlike the reader, an amount that is not a
# number is a finding here and checking goes on.
from __future__ import annotations

from decimal import Decimal

from ..x835.balance import claim_discrepancy, line_discrepancy, transaction_discrepancy
from .report import ClaimResult
from .syntax import parse_date8
from .x837 import parse_amount

__all__ = ["Checker835"]

_ZERO = Decimal(0)
_CAS_AMOUNTS = (3, 6, 9, 12, 15, 18)
_PLB_AMOUNTS = (4, 6, 8, 10, 12, 14)


def _el(seg, n):
    return seg[n] if len(seg) > n else ""


class Checker835:
    def __init__(self, add, *, tx, levels, today):
        self.add = add
        self.tx = tx
        self.levels = levels
        self.today = today
        self.delims = None
        self.payment: Decimal | None = None
        self.bpr_index: int | None = None
        self.claim = None      # [ClaimResult, charge, paid, adjustments, ok]
        self.line = None       # [index, charge, paid, adjustments, ok, code]
        self.claim_paid: list[Decimal] = []
        self.plb: list[Decimal] = []
        self.sums_ok = True
        self._prev = 0

    def feed(self, seg, index):
        self._prev = index - 1
        handler = getattr(self, "_" + seg[0].lower(), None)
        if handler is not None and 3 in self.levels:
            handler(seg, index)

    def _amount(self, seg, n, index, *, required=True):
        text = _el(seg, n)
        if not text and not required:
            return _ZERO
        value = parse_amount(text)
        if value is None:
            self.add("error", "amount-invalid",
                     f"{seg[0]}{n:02d} {text!r} is not an amount; balancing cannot be checked",
                     index, seg[0], f"{seg[0]}{n:02d}", level=3, element_error="6" if text else "1",
                     bad_value=text or None,
                     claim=self.claim[0].claim_id if self.claim else None)
            self.sums_ok = False
        return value

    def _bpr(self, seg, index):
        amount = self._amount(seg, 2, index)
        if amount is not None and _el(seg, 3) == "D":
            amount = -amount
        self.payment = amount
        self.bpr_index = index
        self._date(seg, 16, index)

    def _clp(self, seg, index):
        self._end_claim()
        result = ClaimResult(_el(seg, 1), index, index)
        self.tx.claims.append(result)
        self.claim = [result, None, None, [], True]
        charge = self._amount(seg, 3, index)
        paid = self._amount(seg, 4, index)
        self.claim[1:3] = [charge, paid]
        self.claim[4] = charge is not None and paid is not None
        if paid is not None:
            self.claim_paid.append(paid)

    def _svc(self, seg, index):
        self._end_line()
        if self.claim is None:
            return
        charge = self._amount(seg, 2, index)
        paid = self._amount(seg, 3, index)
        self.line = [index, charge, paid, [], charge is not None and paid is not None,
                     _el(seg, 1).split(self.delims.component if self.delims else ":")[-1]]

    def _cas(self, seg, index):
        amounts = []
        for n in _CAS_AMOUNTS:
            if _el(seg, n - 1) or _el(seg, n):
                value = self._amount(seg, n, index)
                if value is None:
                    target = self.line if self.line is not None else self.claim
                    if target is not None:
                        target[4] = False
                    continue
                amounts.append(value)
        if self.line is not None:
            self.line[3].extend(amounts)
        elif self.claim is not None:
            self.claim[3].extend(amounts)

    def _plb(self, seg, index):
        self._end_claim()
        for n in _PLB_AMOUNTS:
            if _el(seg, n - 1) or _el(seg, n):
                value = self._amount(seg, n, index)
                if value is not None:
                    self.plb.append(value)

    def _dtm(self, seg, index):
        self._date(seg, 2, index, future=_el(seg, 1) in ("472", "150", "151"))

    def _date(self, seg, n, index, *, future=False):
        text = _el(seg, n)
        if not text:
            return
        day = parse_date8(text)
        claim = self.claim[0].claim_id if self.claim else None
        if day is None:
            self.add("error", "date-invalid", f"{seg[0]}{n:02d} {text!r} is not a real CCYYMMDD date",
                     index, seg[0], f"{seg[0]}{n:02d}", level=3, element_error="8",
                     bad_value=text, claim=claim)
        elif future and day > self.today:
            self.add("error", "date-future", f"{seg[0]}{n:02d} {day} is a service date in the "
                     f"future (today is {self.today})", index, seg[0], f"{seg[0]}{n:02d}",
                     level=3, element_error="8", bad_value=text, claim=claim)

    def _end_line(self):
        line, claim = self.line, self.claim
        self.line = None
        if line is None or claim is None:
            return
        index, charge, paid, adjustments, ok, code = line
        claim[3].extend(adjustments)
        if not ok:
            claim[4] = False
            return
        off = line_discrepancy(charge, adjustments, paid)
        if off:
            cas = sum(adjustments, _ZERO)
            self.add("error", "balance-line",
                     f"claim {claim[0].claim_id} line {code}: SVC02 {charge} - CAS {cas} = "
                     f"{charge - cas}, but SVC03 is {paid} (off by {off})", index, "SVC", "SVC03",
                     level=3, claim=claim[0].claim_id, element_error="I12", bad_value=str(paid))

    def _end_claim(self):
        self._end_line()
        claim = self.claim
        self.claim = None
        if claim is None:
            return
        result, charge, paid, adjustments, ok = claim
        result.end_index = max(result.segment_index, self._prev)
        if not ok:
            return
        off = claim_discrepancy(charge, adjustments, paid)
        if off:
            cas = sum(adjustments, _ZERO)
            self.add("error", "balance-claim",
                     f"claim {result.claim_id}: CLP03 {charge} - CAS (claim and lines) {cas} = "
                     f"{charge - cas}, but CLP04 is {paid} (off by {off})", result.segment_index,
                     "CLP", "CLP04", level=3, claim=result.claim_id, element_error="I12",
                     bad_value=str(paid))

    def finish(self, index):
        self._prev = index - 1
        self._end_claim()
        if 3 not in self.levels or not self.sums_ok or self.payment is None:
            return
        off = transaction_discrepancy(self.payment, self.claim_paid, self.plb)
        if off:
            total = sum(self.claim_paid, _ZERO)
            plb = sum(self.plb, _ZERO)
            self.add("error", "balance-transaction",
                     f"BPR02 {self.payment} but sum of CLP04 {total} - sum of PLB {plb} = "
                     f"{total - plb} (off by {off})", self.bpr_index, "BPR", "BPR02", level=3,
                     element_error="I12")
