# Money arithmetic for the pricer: Decimal in, Decimal out, one rounding function.
#
# Strategy: every computed amount (coinsurance, sequestration, national x GAF) passes
# through round_money() exactly once, at the step that produces it (convention C6).
# Amounts read from tables or claims are parsed with to_money(), never via float.
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["CENT", "ZERO", "round_money", "to_money", "to_decimal"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(amount: Decimal) -> Decimal:
    """Round half-up to cents: 0.125 -> 0.13, 2.345 -> 2.35."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value) -> Decimal:
    """A Decimal from a str/int/Decimal (floats are refused: they carry binary noise)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"refusing {type(value).__name__} {value!r} as money; use a string")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None


def to_money(value) -> Decimal:
    """A cents-exact Decimal amount from a str/int/Decimal."""
    return round_money(to_decimal(value))
