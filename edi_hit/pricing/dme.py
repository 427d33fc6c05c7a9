# DME drug evidence: which drug claim lines say the DME benefit covered the drug.
#
# Strategy: HIT payment "is contingent upon a corresponding home infusion drug being
# covered and paid for under the DME benefit" (hit-rules 4.8, C18, C26), so drug
# history comes from the DME side: the DME MAC's 835 (edi_hit.x835.dme reads it) or
# a CSV of its claim lines with their status (read here). Such lines become
# DrugClaims with no ICN of ours (icn ''), which is what E4's window
# (rules.drugs_in_window) takes as covered; they are imported into the history store
# (`edi-hit history import-dme` / `import-835`) or given to one run (--dme-drugs
# FILE). A J-code line on an 837P sent to the A/B contractor is never evidence; only
# the `billed` simulation counts a DME supplier's billed drug-only claims in the run.
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from edi_hit.errors import DataError
from edi_hit.pricing.csvfile import parse_day, read_rows
from edi_hit.pricing.history import DrugClaim
from edi_hit.pricing.money import ZERO, to_decimal

__all__ = ["DmeEvidence", "read_dme_csv", "COVERED_STATUS", "NOT_COVERED_STATUS"]

COVERED_STATUS = frozenset({"paid", "allowed", "approved", "covered"})
NOT_COVERED_STATUS = frozenset({"denied", "rejected", "pending", "suspended", "void", "voided",
                                "reversed", "returned", "unprocessable", "rtp"})


@dataclass(slots=True)
class DmeEvidence:
    """The covered drug lines of one source, and what was left out."""

    source: str
    drugs: list[DrugClaim] = field(default_factory=list)
    not_covered: int = 0     # lines the DME benefit did not cover (denied, no allowed amount)
    status_given: bool = True  # False: a file without status: every row taken as covered

    @property
    def uncategorized(self) -> int:
        """Covered lines of a drug with no HIT payment category (they never qualify)."""
        return sum(1 for d in self.drugs if d.category is None)

    def describe(self) -> str:
        text = f"{self.source}: {len(self.drugs)} covered DME drug lines"
        if self.not_covered:
            text += f", {self.not_covered} not covered (left out)"
        if self.uncategorized:
            text += f"; {self.uncategorized} without an HIT payment category (never qualify)"
        if not self.status_given:
            text += "; no status column: every row taken as covered"
        return text


def _role(h: str) -> str | None:
    if "category" in h or h == "cat":
        return "category"
    if "modifier" in h or h in ("mod", "mods"):
        return "modifiers"
    if "status" in h:
        return "status"
    if "allowed" in h:
        return "allowed"
    if "mbi" in h or "hicn" in h or "memberid" in h or h in (
            "beneficiary", "beneficiaryid", "medicareid", "subscriberid"):
        return "mbi"
    if "date" in h or h in ("dos", "from"):
        return "day"
    if "hcpcs" in h or "jcode" in h or h in ("code", "procedure", "procedurecode", "drug"):
        return "code"
    return None


def _covered(cell: dict[str, str], where: str) -> bool:
    """Did the DME benefit cover this line? Its status says so, else an allowed amount
    above zero; a file with neither column is taken as a list of covered lines."""
    status = cell.get("status", "").lower()
    if status and status not in COVERED_STATUS and status not in NOT_COVERED_STATUS:
        raise DataError(f"{where}: status {cell['status']!r} is not one of "
                        f"{', '.join(sorted(COVERED_STATUS | NOT_COVERED_STATUS))}")
    if status in NOT_COVERED_STATUS:
        return False
    text = cell.get("allowed", "")
    if text:
        try:
            return to_decimal(text) > ZERO
        except ValueError:
            raise DataError(f"{where}: allowed amount {text!r} is not an amount") from None
    return "status" not in cell or status in COVERED_STATUS


def read_dme_csv(path: str | Path, codes=None) -> DmeEvidence:
    """The covered lines of a CSV of DME MAC drug claim lines: columns MBI, date, HCPCS
    J-code and optionally status (paid/allowed/approved/covered count; denied,
    rejected, pending ... do not), allowed amount (must be above zero), category and
    modifier(s), in any order, header spelling tolerated. Without a category a line
    takes the code table's on its date (JB where the code needs it: C13, C27)."""
    from edi_hit.pricing.codes import default_codes

    codes = codes or default_codes()
    path = Path(path)
    out = DmeEvidence(path.name)
    for li, cell in read_rows(path, _role, ("mbi", "day", "code"),
                              "MBI,Date,HCPCS[,Modifier][,Status][,Allowed][,Category]"):
        where = f"{path}: line {li}"
        out.status_given = out.status_given and ("status" in cell or "allowed" in cell)
        mbi, code, day = cell["mbi"], cell["code"].upper(), parse_day(cell["day"])
        if not mbi or not code:
            raise DataError(f"{where}: MBI and HCPCS are required")
        if day is None:
            raise DataError(f"{where}: date {cell['day']!r} is not YYYY-MM-DD, YYYYMMDD or "
                            f"MM/DD/YYYY")
        if not _covered(cell, where):
            out.not_covered += 1
            continue
        cat_text = cell.get("category", "")
        if cat_text:
            if cat_text not in ("1", "2", "3"):
                raise DataError(f"{where}: category must be 1, 2 or 3, got {cat_text!r}")
            category = int(cat_text)
        else:
            mods = re.split(r"[\s:;,]+", cell.get("modifiers", "").strip())
            category = codes.drug_category(code, day, mods)
        out.drugs.append(DrugClaim(mbi, day, code, category, "", f"{path.name}:{li}"))
    return out
