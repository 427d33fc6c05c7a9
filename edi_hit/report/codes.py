# Code texts for people: what CARC 45, RARC M77, CLP02 4 or PLB WO mean.
#
# Strategy: one shipped JSON table (edi_hit/data/remittance_codes.json, checked
# against schemas/remittance-codes.schema.json when it is loaded) with a text and a
# source for every code. A code the table does not hold gets no guessed text: the
# report prints the code and NOT_IN_TABLE, so a reader knows to look it up. The
# table is read once per process.
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..schemas import check

__all__ = ["CodeTexts", "CodeText", "default_code_texts", "NOT_IN_TABLE"]

NOT_IN_TABLE = "text not in edi-hit's table"

_KINDS = ("group", "carc", "rarc", "claim_status", "plb_reason")


@dataclass(frozen=True, slots=True)
class CodeText:
    code: str
    text: str
    source: str
    known: bool = True


class CodeTexts:
    """Look-ups by kind: group (CAS01), carc, rarc, claim_status (CLP02), plb_reason."""

    def __init__(self, doc: dict[str, Any], where: str = "remittance_codes.json"):
        check(doc, "remittance-codes", source=where)
        self.name: str = doc["name"]
        self.provenance: dict[str, str] = dict(doc["provenance"])
        self.sources: dict[str, str] = dict(doc["sources"])
        self._tables = {kind: dict(doc[kind]) for kind in _KINDS}

    def lookup(self, kind: str, code: str) -> CodeText:
        row = self._tables[kind].get(code.strip().upper())
        if row is None:
            return CodeText(code, NOT_IN_TABLE, "", known=False)
        return CodeText(code, row["text"], row["source"])

    def text(self, kind: str, code: str) -> str:
        return self.lookup(kind, code).text

    def codes(self, kind: str) -> list[str]:
        return list(self._tables[kind])


@cache
def default_code_texts() -> CodeTexts:
    with resources.files("edi_hit.data").joinpath("remittance_codes.json").open("rb") as f:
        return CodeTexts(json.load(f), "edi_hit/data/remittance_codes.json")
