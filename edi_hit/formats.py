# How edi-hit writes values and documents as text: money (X12, JSON, plain, display),
# JSON (indented documents, compact NDJSON lines) and CSV.
#
# Strategy: one module, so that an amount is written the same way wherever it goes and
# a reader learns one style. Money is a Decimal in and text out, never a float; none of
# these functions rounds (rounding is pricing.money.round_money's, once, where an amount
# is computed) except plain_amount, which shows two places and says so. JSON: a
# document a person reads is indented by JSON_INDENT; a stream is one compact object a
# line (NDJSON), so a million claims never sit in memory and `jq -c` reads it as is.
# CSV: a header row, money as plain decimals (no currency sign, no grouping), lists
# joined with spaces, "\n" line ends (RFC 4180 allows either; spreadsheets take both).
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

__all__ = ["x12_amount", "json_amount", "plain_amount", "display_amount", "JSON_INDENT",
           "dump_document", "dump_line", "write_csv"]

_CENT = Decimal("0.01")
JSON_INDENT = 2


# -- money ------------------------------------------------------------------------
def x12_amount(value: Decimal | None) -> str:
    """An X12 R (real) value: no exponent, no trailing zeros ("117.6", "150", "-5")."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def json_amount(value: Decimal | None) -> str | None:
    """Money in JSON: a string, at least two decimals ("117.60"), more only when the
    amount has them (an 835 may carry "0.125"); None stays None (null)."""
    if value is None:
        return None
    if value.as_tuple().exponent >= -2:  # type: ignore[operator]
        return f"{value:.2f}"
    return format(value, "f")


def plain_amount(value: Decimal | None) -> str:
    """Two places, no grouping ("1234.50"; '' for no value): CSV cells and the HTML
    report. Shown half-up to the cent (display only)."""
    if value is None:
        return ""
    text = f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):f}"
    return "0.00" if text == "-0.00" else text


def display_amount(value: Decimal | None) -> str:
    """Two places with thousands grouped ("1,234.50"; '' for no value): terminal tables."""
    if value is None:
        return ""
    return f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}".replace("-0.00", "0.00")


# -- JSON ---------------------------------------------------------------------------
def dump_document(doc: Any, stream: IO[str]) -> None:
    """One JSON document for a person to read: indented, a final newline."""
    json.dump(doc, stream, indent=JSON_INDENT)
    stream.write("\n")


def dump_line(obj: Any) -> str:
    """One NDJSON line: compact, no spaces, ends with a newline."""
    return json.dumps(obj, separators=(",", ":")) + "\n"


# -- CSV ----------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain_amount(value)
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if value is None:
        return ""
    return value


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
              stream: IO[str]) -> int:
    """A header row of `columns`, then one row per mapping (Decimal as a plain amount,
    lists joined with spaces, None empty); returns the number of rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
        n += 1
    return n
