# Loading the pricer's JSON tables, and the Part B cost-sharing table.
#
# Strategy: every table is a JSON document with "schema", "name" and "provenance"
# (source, date). Shipped tables live in edi_hit/data/ and are read once per process
# (functools.cache); a user file is read from its path. Rows with effective dates are
# kept sorted and looked up by date; an open end is None. Bad files raise DataError
# naming the file and the row, never a KeyError traceback.
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

from edi_hit.errors import ConfigError, DataError
from edi_hit.schemas import check as schema_check
from edi_hit.pricing.money import decimal_value, money_value

__all__ = ["Provenance", "PartB", "load_json", "package_json", "parse_date", "part_b"]


@dataclass(slots=True, frozen=True)
class Provenance:
    source: str
    date: str
    notes: str = ""

    @classmethod
    def from_dict(cls, d: dict | None, where: str) -> "Provenance":
        if not isinstance(d, dict) or not d.get("source") or not d.get("date"):
            raise DataError(f"{where}: 'provenance' needs 'source' and 'date'")
        return cls(str(d["source"]), str(d["date"]), str(d.get("notes", "")))

    def to_dict(self) -> dict:
        d = {"source": self.source, "date": self.date}
        if self.notes:
            d["notes"] = self.notes
        return d


def load_json(path: str | Path, schema: str | None = None) -> dict:
    """A JSON object from a user file, with DataError for anything unreadable; with
    `schema`, checked against schemas/<schema>.schema.json (ConfigError naming the file
    and the JSON path of the offending key: a configuration mistake, exit status 2)."""
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path}: expected a JSON object at the top level")
    if schema is not None:
        schema_check(doc, schema, source=str(path), error=ConfigError)
    return doc


@cache
def package_json(name: str) -> dict:
    """A shipped table from edi_hit/data/ (read once per process; do not mutate)."""
    with resources.files("edi_hit.data").joinpath(name).open("rb") as f:
        return json.load(f)


def parse_date(value, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DataError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None


def _rate(value, where: str) -> Decimal:
    """A fraction from 0 to 1 in plain decimal notation (coinsurance, sequestration)."""
    rate = decimal_value(value, where, what="a rate")
    if rate > 1:
        raise DataError(f"{where}: a rate is a fraction from 0 to 1, got {rate}")
    return rate


def in_range(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


@dataclass(slots=True, frozen=True)
class SequestrationPeriod:
    start: date | None
    end: date | None
    rate: Decimal


class PartB:
    """Part B deductible by year, coinsurance rate and the sequestration schedule."""

    __slots__ = ("name", "provenance", "coinsurance_rate", "deductibles", "sequestration")

    def __init__(self, doc: dict, where: str = "part_b.json"):
        try:
            self.name = doc.get("name", where)
            self.provenance = Provenance.from_dict(doc.get("provenance"), where)
            self.coinsurance_rate = _rate(doc["coinsurance_rate"], f"{where}: coinsurance_rate")
            self.deductibles: dict[int, Decimal] = {}
            for i, row in enumerate(doc["deductibles"]):
                self.deductibles[int(row["year"])] = money_value(
                    row["amount"], f"{where}: deductibles[{i}]")
            self.sequestration = []
            for i, row in enumerate(doc["sequestration"]):
                w = f"{where}: sequestration[{i}]"
                self.sequestration.append(SequestrationPeriod(
                    parse_date(row.get("effective_from"), w), parse_date(row.get("effective_to"), w),
                    _rate(row["rate"], w)))
        except (KeyError, TypeError) as e:
            raise DataError(f"{where}: missing or malformed field {e}") from None

    def deductible(self, year: int) -> Decimal | None:
        return self.deductibles.get(year)

    def sequestration_rate(self, day: date) -> Decimal:
        """The reduction in force on the date of service; 0 outside every period."""
        for p in self.sequestration:
            if in_range(day, p.start, p.end):
                return p.rate
        return Decimal("0")


@cache
def part_b() -> PartB:
    """The shipped Part B table."""
    return PartB(package_json("part_b.json"), "edi_hit/data/part_b.json")
