# DME drug claims from a CSV file (edi-hit history import-dme).
#
# Strategy: find the columns by what their headers say (any order, spelling tolerated),
# read each row into a DrugClaim, and say which line is wrong when one is. A row without
# a payment category takes it from the code table on its date (J7799 needs JB, C13).
# Messages name the file and line, never the member id.
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

from edi_hit.errors import DataError

from .model import DrugClaim

__all__ = ["read_dme_csv"]


def _dme_role(header: str) -> str | None:
    """Which column of a DME drug CSV a header names, by its letters only."""
    n = re.sub(r"[^a-z0-9]", "", header.lower())
    if "category" in n or n == "cat":
        return "category"
    if "modifier" in n or n in ("mod", "mods"):
        return "modifiers"
    if "mbi" in n or "hicn" in n or "memberid" in n or n in ("beneficiary", "beneficiaryid",
                                                               "medicareid", "subscriberid"):
        return "mbi"
    if "date" in n or n in ("dos", "from"):
        return "day"
    if "hcpcs" in n or "jcode" in n or n in ("code", "procedure", "procedurecode", "drug"):
        return "code"
    return None


def _parse_day(text: str) -> date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_dme_csv(path: str | Path, codes=None) -> list[DrugClaim]:
    """DME drug claims from a CSV with columns MBI, date, HCPCS J-code and optionally
    category and modifier(s) (any order; header spelling tolerated). A row without a
    category takes it from the code table on its date (J7799 needs JB, C13)."""
    from edi_hit.pricing.codes import default_codes

    codes = codes or default_codes()
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise DataError(f"{path}: empty file")
    cols: dict[str, int] = {}
    for i, h in enumerate(rows[0]):
        role = _dme_role(h)
        if role and role not in cols:
            cols[role] = i
    missing = [r for r in ("mbi", "day", "code") if r not in cols]
    if missing:
        raise DataError(f"{path}: line 1: no column for {', '.join(missing)} (expected a header "
                        f"like MBI,Date,HCPCS[,Category][,Modifier])")
    out = []
    for li, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        def cell(role):
            i = cols.get(role)
            return row[i].strip() if i is not None and i < len(row) else ""
        mbi, code, day = cell("mbi"), cell("code").upper(), _parse_day(cell("day"))
        if not mbi or not code:
            raise DataError(f"{path}: line {li}: MBI and HCPCS are required")
        if day is None:
            raise DataError(f"{path}: line {li}: date {cell('day')!r} is not YYYY-MM-DD, YYYYMMDD "
                            f"or MM/DD/YYYY")
        cat_text = cell("category")
        if cat_text:
            if cat_text not in ("1", "2", "3"):
                raise DataError(f"{path}: line {li}: category must be 1, 2 or 3, got {cat_text!r}")
            category = int(cat_text)
        else:
            mods = [m for m in re.split(r"[\s:;,]+", cell("modifiers")) if m]
            category = codes.drug_category(code, day, mods)
        out.append(DrugClaim(mbi, day, code, category, "", f"{path.name}:{li}"))
    return out
