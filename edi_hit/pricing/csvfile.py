# The small CSV inputs of the pricer: DME drug claim lines, supplier enrolment.
#
# Strategy: these files come from other systems with their own header spellings, so
# a column is found by its role: the caller's function maps a header (lower case,
# letters and digits only) to a role name, and rows come back as (line number,
# {role: text}). Dates are read in the three spellings such files use. Every error
# names the file and the line.
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator

from edi_hit.errors import DataError

__all__ = ["read_rows", "parse_day", "DAY_FORMATS"]

DAY_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y")


def parse_day(text: str) -> date | None:
    """A date written YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY; None when it is none of them."""
    text = text.strip()
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_rows(path: str | Path, role_of: Callable[[str], str | None], required: tuple[str, ...],
              example: str, columns: dict[str, str] | None = None
              ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {role: stripped text}) for each non-blank data row of a CSV whose
    header names at least the `required` roles (the first column of a role wins).
    `columns`, when given, is filled with the header of each role's column (for
    messages that name the column as the file spells it)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None:
        raise DataError(f"{path}: empty file")
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        role = role_of(re.sub(r"[^a-z0-9]", "", h.lower()))
        if role and role not in cols:
            cols[role] = i
            if columns is not None:
                columns[role] = h.strip()
    missing = [r for r in required if r not in cols]
    if missing:
        raise DataError(f"{path}: line 1: no column for {', '.join(missing)} (expected a header "
                        f"like {example})")
    for line_no, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        yield line_no, {role: (row[i].strip() if i < len(row) else "") for role, i in cols.items()}
