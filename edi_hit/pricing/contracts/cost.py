# The member's share of a contract line: deductible, copay or coinsurance, out-of-pocket cap.
#
# Strategy: one pure function over the allowed amount and what the member's plan year
# has accumulated so far (history/model.py accumulations), in this order, each step one
# trace line:
#   P2 deductible    PR-1 = min(deductible remaining, allowed)
#   P5 copay         PR-3 = min(copay, allowed - PR-1), for a line the plan charges a
#                    copay per visit or per day (no coinsurance on such a line)
#   P3 coinsurance   PR-2 = coinsurance x (allowed - PR-1), half-up to cents, otherwise
#   P6 out of pocket the member's share PR-1 + PR-3 + PR-2 is capped at what remains of
#                    the out-of-pocket maximum; the excess comes off coinsurance first,
#                    then copay, then deductible (what the member no longer pays).
# The deductible counts toward the out-of-pocket maximum. The result says what the
# line adds to the accumulators (deductible, out of pocket).
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi_hit.pricing.contracts.model import CostSharing
from edi_hit.pricing.money import ZERO, round_money

__all__ = ["Share", "member_share"]


@dataclass(slots=True)
class Share:
    deductible: Decimal = ZERO   # PR-1
    copay: Decimal = ZERO        # PR-3
    coinsurance: Decimal = ZERO  # PR-2
    trace: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.deductible + self.copay + self.coinsurance


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def member_share(allowed: Decimal, cs: CostSharing, period: date, *, copay: Decimal | None,
                 copay_what: str, met_deductible: Decimal, met_out_of_pocket: Decimal) -> Share:
    """The member's share of `allowed` (see the module comment). copay: the line's copay
    (per visit x visits or per day x days) or None when coinsurance applies."""
    s = Share()
    remaining = max(cs.deductible - met_deductible, ZERO)
    s.deductible = min(remaining, allowed)
    s.trace.append(f"P2 deductible {cs.deductible} plan year from {period}, met {met_deductible}, "
                   f"remaining {remaining}: PR-1 {s.deductible}")
    rest = allowed - s.deductible
    if copay is not None:
        s.copay = min(copay, rest)
        s.trace.append(f"P5 copay {copay_what} = {copay}, at most {rest}: PR-3 {s.copay} (no "
                       f"coinsurance on a copay line)")
    else:
        s.coinsurance = round_money(rest * cs.coinsurance)
        s.trace.append(f"P3 coinsurance {_pct(cs.coinsurance)} x {rest} = {s.coinsurance}: "
                       f"PR-2 {s.coinsurance}")
    if cs.out_of_pocket_max is None:
        return s
    left = max(cs.out_of_pocket_max - met_out_of_pocket, ZERO)
    share = s.total
    head = (f"P6 out-of-pocket maximum {cs.out_of_pocket_max}, met {met_out_of_pocket}, "
            f"remaining {left}")
    if share <= left:
        s.trace.append(f"{head}: member's share {share} within it")
        return s
    excess = share - left
    cut = []
    for name, attr in (("PR-2", "coinsurance"), ("PR-3", "copay"), ("PR-1", "deductible")):
        amount = getattr(s, attr)
        take = min(amount, excess)
        if take:
            setattr(s, attr, amount - take)
            cut.append(f"{name} -{take}")
            excess -= take
    s.trace.append(f"{head}: member's share {share} capped at {left} ({', '.join(cut)})")
    return s
