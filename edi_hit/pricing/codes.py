# Code tables: the six HIT G-codes and the J-code -> payment category map, dated.
#
# Strategy: one JSON table (edi_hit/data/hit_codes.json) read into two dicts keyed
# by HCPCS, each holding the code's dated rows. A lookup takes the code and the date
# of service and returns the row in force, or None: "not an HIT code" and "not valid
# on that date" are told apart by hit_code_known(). A G-code row also says which
# contractor it is billed to on those dates (the 2019-2020 transitional G0068-G0070
# went to the DME MACs, C25), and a drug row whether it qualifies only with its
# modifier (JB for the subcutaneous drugs, C27). The subsequent-visit code of a
# category is looked up for the "reprice as subsequent" convention (C4).
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from edi_hit.errors import DataError
from edi_hit.pricing.tables import Provenance, in_range, load_json, package_json, parse_date

__all__ = ["HitCode", "DrugCode", "CodeTable", "default_codes", "AB_MAC", "CONTRACTORS"]

AB_MAC = "A/B MAC"  # who prices HIT visit lines (the permanent benefit, from 2021)
CONTRACTORS = (AB_MAC, "DME MAC")


@dataclass(slots=True, frozen=True)
class HitCode:
    code: str
    category: int
    initial: bool
    start: date | None
    end: date | None
    status: str
    contractor: str = AB_MAC


@dataclass(slots=True, frozen=True)
class DrugCode:
    code: str
    category: int | None
    start: date | None
    end: date | None
    modifier: str | None
    requires_modifier: bool
    disputed: bool
    status: str


class CodeTable:
    __slots__ = ("name", "provenance", "_hit", "_drug")

    def __init__(self, doc: dict, where: str = "hit_codes.json"):
        self.name = doc.get("name", where)
        self.provenance = Provenance.from_dict(doc.get("provenance"), where)
        self._hit: dict[str, list[HitCode]] = {}
        self._drug: dict[str, list[DrugCode]] = {}
        try:
            for i, r in enumerate(doc["hit_codes"]):
                w = f"{where}: hit_codes[{i}]"
                if r["visit"] not in ("initial", "subsequent") or int(r["category"]) not in (1, 2, 3):
                    raise DataError(f"{w}: visit must be initial|subsequent and category 1|2|3")
                contractor = r.get("contractor", AB_MAC)
                if contractor not in CONTRACTORS:
                    raise DataError(f"{w}: contractor must be one of {', '.join(CONTRACTORS)}")
                self._hit.setdefault(r["code"].upper(), []).append(HitCode(
                    r["code"].upper(), int(r["category"]), r["visit"] == "initial",
                    parse_date(r.get("effective_from"), w), parse_date(r.get("effective_to"), w),
                    r.get("status", ""), contractor))
            for i, r in enumerate(doc.get("drug_codes", [])):
                w = f"{where}: drug_codes[{i}]"
                cat = r.get("category")
                self._drug.setdefault(r["code"].upper(), []).append(DrugCode(
                    r["code"].upper(), None if cat is None else int(cat),
                    parse_date(r.get("effective_from"), w), parse_date(r.get("effective_to"), w),
                    r.get("modifier"), bool(r.get("requires_modifier", False)),
                    bool(r.get("disputed", False)), r.get("status", "")))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise DataError(f"{where}: missing or malformed field {e}") from None

    @classmethod
    def load(cls, path: str | Path) -> "CodeTable":
        return cls(load_json(path), str(path))

    def hit_code_known(self, code: str) -> bool:
        return code.upper() in self._hit

    def hit_code(self, code: str, day: date) -> HitCode | None:
        for row in self._hit.get(code.upper(), ()):
            if in_range(day, row.start, row.end):
                return row
        return None

    def subsequent_code(self, category: int, day: date) -> HitCode | None:
        for rows in self._hit.values():
            for row in rows:
                if (row.category == category and not row.initial and row.contractor == AB_MAC
                        and in_range(day, row.start, row.end)):
                    return row
        return None

    def drug_code_known(self, code: str) -> bool:
        return code.upper() in self._drug

    def drug_code(self, code: str, day: date) -> DrugCode | None:
        for row in self._drug.get(code.upper(), ()):
            if in_range(day, row.start, row.end):
                return row
        return None

    def drug_category(self, code: str, day: date, modifiers=()) -> int | None:
        """Payment category of a drug J-code on a date; None when not a qualifying
        drug then, or when it lacks the modifier it qualifies only with (JB: C13, C27)."""
        row = self.drug_code(code, day)
        if row is None:
            return None
        if row.requires_modifier and row.modifier not in {m.upper() for m in modifiers}:
            return None
        return row.category


@cache
def default_codes() -> CodeTable:
    return CodeTable(package_json("hit_codes.json"), "edi_hit/data/hit_codes.json")
