# Money arithmetic for the pricer: Decimal in, Decimal out, one rounding function.
#
# Strategy: every computed amount (coinsurance, sequestration, national x GAF) passes
# through round_money() exactly once, at the step that produces it (convention C6).
# Amounts read from tables or claims are parsed with to_money(), never via float.
# Where money enters from a person or a file (history, rate tables, CMS CSVs), it goes
# through money_value(): plain decimal notation only - no exponent, NaN, infinity, sign
# '+' or thousands separator - at most two decimal places, and no negative amount where
# the rule allows none; anything else is a DataError naming the source.
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from edi_hit.errors import DataError

__all__ = ["CENT", "ZERO", "round_money", "to_money", "to_decimal", "money_value",
           "decimal_value"]

_PLAIN = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")

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


def decimal_value(value, where: str, *, negative: bool = False, places: int | None = None,
                  what: str = "an amount") -> Decimal:
    """A Decimal from text (or int / Decimal) written in plain notation; DataError naming
    `where` for NaN, infinity, exponents, a '+' sign, more than `places` decimals, or a
    negative value when `negative` is False."""
    if isinstance(value, bool) or isinstance(value, float):
        raise DataError(f"{where}: expected {what} as text (e.g. \"150.00\"), got a "
                        f"{type(value).__name__}")
    text = str(value).strip() if not isinstance(value, Decimal) else format(value, "f") \
        if value.is_finite() else str(value)
    if not _PLAIN.fullmatch(text):
        raise DataError(f"{where}: {text!r} is not {what} in plain decimal notation "
                        f"(digits, one '.', a leading '-' at most; no exponent, NaN or "
                        f"infinity)")
    amount = Decimal(text)
    if amount < 0 and not negative:
        raise DataError(f"{where}: {what} cannot be negative, got {text}")
    if places is not None and amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise DataError(f"{where}: {what} has more than {places} decimal places: {text}")
    return amount


def money_value(value, where: str, *, negative: bool = False) -> Decimal:
    """A cents-exact amount of money entering from a person or a file (see the module
    comment): "150", "150.5" and "150.50" are 150.00, 150.50, 150.50."""
    return round_money(decimal_value(value, where, negative=negative, places=2,
                                     what="an amount of money"))
