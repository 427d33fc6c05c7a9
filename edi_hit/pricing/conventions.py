# The convention table: which codes an edit produces and how open questions are settled.
#
# Strategy: the defaults ship as edi_hit/data/conventions.json (hit-rules.md section 2).
# A user file given with --conventions is merged over them key by key (an "edits"
# entry replaces that edit's codes only), so a one-line file can change one choice.
# The result is validated here once and read as plain attributes by the rules.
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from edi_hit.errors import DataError
from edi_hit.pricing.tables import Provenance, load_json, package_json

__all__ = ["EditCodes", "Conventions", "default_conventions", "load_conventions"]

GROUPS = {"CO", "PR", "OA", "PI"}
CHOICES = {
    "multiple_categories_same_day": {"pay_each", "highest_only"},
    "initial_visit_too_soon": {"deny", "reprice_subsequent"},
    "dme_drug_category_match": {"same_category", "any"},
    "dme_drug_evidence": {"covered", "billed"},
    "locality_source": {"billing_provider_zip", "beneficiary_zip", "national"},
    "locality_rate": {"locality_file", "national_x_gaf"},
    "rounding": {"half_up_each_amount"},
}
REQUIRED_EDITS = ("E1", "E2", "E3", "E4", "E5", "E6", "E6_duplicate", "E7", "E8", "E9", "E11",
                  "E12", "C28", "K0", "K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9")


@dataclass(slots=True, frozen=True)
class EditCodes:
    edit: str
    group: str
    reason: str
    remarks: tuple[str, ...]
    title: str = ""

    def label(self) -> str:
        text = f"{self.group}-{self.reason}"
        return text + ("+" + "+".join(self.remarks) if self.remarks else "")


class Conventions:
    __slots__ = ("name", "provenance", "edits", "accepted_pos", "multiple_categories_same_day",
                 "initial_visit_too_soon", "initial_visit_gap_days", "dme_drug_window_days",
                 "dme_drug_category_match", "dme_drug_evidence", "locality_source",
                 "locality_rate", "rounding", "doc")
    # set from CHOICES and the day counts in __init__ (declared for type checkers)
    multiple_categories_same_day: str
    initial_visit_too_soon: str
    dme_drug_category_match: str
    dme_drug_evidence: str
    locality_source: str
    locality_rate: str
    rounding: str
    initial_visit_gap_days: int
    dme_drug_window_days: int

    def __init__(self, doc: dict, where: str = "conventions.json"):
        self.doc = doc
        self.name = doc.get("name", where)
        self.provenance = Provenance.from_dict(doc.get("provenance"), where)
        self.edits: dict[str, EditCodes] = {}
        edits = doc.get("edits")
        if not isinstance(edits, dict):
            raise DataError(f"{where}: 'edits' must be an object of edit id -> codes")
        for eid in REQUIRED_EDITS:
            if eid not in edits:
                raise DataError(f"{where}: edits.{eid} is missing")
        for eid, e in edits.items():
            w = f"{where}: edits.{eid}"
            if not isinstance(e, dict) or e.get("group") not in GROUPS or not e.get("reason"):
                raise DataError(f"{w}: needs group (one of {sorted(GROUPS)}) and reason (a CARC)")
            remarks = e.get("remarks", [])
            if not isinstance(remarks, list) or not all(isinstance(r, str) and r for r in remarks):
                raise DataError(f"{w}: remarks must be a list of RARC strings")
            self.edits[eid] = EditCodes(eid, e["group"], str(e["reason"]), tuple(remarks),
                                        e.get("title", ""))
        pos = doc.get("accepted_place_of_service")
        if not isinstance(pos, list) or not pos or not all(isinstance(p, str) for p in pos):
            raise DataError(f"{where}: accepted_place_of_service must be a non-empty list of codes "
                            f"as strings, e.g. [\"12\"]")
        self.accepted_pos = frozenset(p.zfill(2) for p in pos)
        for key, allowed in CHOICES.items():
            value = doc.get(key)
            if value not in allowed:
                raise DataError(f"{where}: {key} must be one of {sorted(allowed)}, got {value!r}")
            setattr(self, key, value)
        for key in ("initial_visit_gap_days", "dme_drug_window_days"):
            value = doc.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise DataError(f"{where}: {key} must be a whole number of days, got {value!r}")
            setattr(self, key, value)

    def edit(self, eid: str) -> EditCodes:
        return self.edits[eid]

    def merged(self, override: dict, where: str) -> "Conventions":
        """These conventions with a partial document laid over them."""
        doc = copy.deepcopy(self.doc)
        for key, value in override.items():
            if key == "edits" and isinstance(value, dict):
                for eid, codes in value.items():
                    base = doc["edits"].get(eid, {})
                    doc["edits"][eid] = {**base, **codes} if isinstance(codes, dict) else codes
            elif key not in ("schema",):
                doc[key] = value
        if "provenance" not in override:
            doc["provenance"] = {**doc["provenance"],
                                 "notes": f"defaults overridden by {where}"}
        if "name" not in override:
            doc["name"] = f"{doc.get('name', 'conventions')} + {where}"
        return Conventions(doc, where)


@cache
def default_conventions() -> Conventions:
    return Conventions(package_json("conventions.json"), "edi_hit/data/conventions.json")


def load_conventions(source=None) -> Conventions:
    """Conventions from None (defaults), a Conventions, a dict or a JSON file path.
    A dict or file is a partial override of the defaults."""
    if source is None:
        return default_conventions()
    if isinstance(source, Conventions):
        return source
    if isinstance(source, dict):
        return default_conventions().merged(source, "conventions override")
    path = Path(source)
    return default_conventions().merged(load_json(path, schema="conventions"), str(path))
