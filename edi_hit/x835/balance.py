# The three 835 balancing equations, stated once (hit-rules 12.3).
#
#   line:        SVC02 - sum(2110 CAS amounts)                 = SVC03
#   claim:       CLP03 - sum(2100 CAS + every 2110 CAS amount) = CLP04
#   transaction: BPR02 (signed by BPR03)                       = sum(CLP04) - sum(PLB amounts)
#
# Each function takes plain Decimals and returns the discrepancy (left side minus right
# side): zero means balanced. The builder raises on a non-zero discrepancy; the reader
# turns it into a Finding. Neither rounds: an 835 is balanced to the cent or not at all.

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

_ZERO = Decimal(0)


def line_discrepancy(charge: Decimal, adjustments: Iterable[Decimal], paid: Decimal) -> Decimal:
    return charge - sum(adjustments, _ZERO) - paid


def claim_discrepancy(charge: Decimal, adjustments: Iterable[Decimal], paid: Decimal) -> Decimal:
    """adjustments: the claim's 2100 CAS amounts and all its 2110 CAS amounts."""
    return charge - sum(adjustments, _ZERO) - paid


def transaction_discrepancy(
    payment: Decimal, claim_payments: Iterable[Decimal], provider_adjustments: Iterable[Decimal]
) -> Decimal:
    return payment - (sum(claim_payments, _ZERO) - sum(provider_adjustments, _ZERO))
