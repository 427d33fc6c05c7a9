# Rate tables: amount per HCPCS x effective date range x locality, GAFs, ZIP -> locality.
#
# Strategy: a rate table is one JSON document (schemas/rates.schema.json) with its
# provenance and an "illustrative" flag. It is indexed once into dicts keyed by
# (code, carrier, locality) -> dated rows, so a lookup is a dict hit plus a short scan.
# Which amount applies follows the conventions: "locality_file" (C8, default) takes a
# locality row when the table has one, else national x GAF(locality), else national;
# "national_x_gaf" ignores locality rows. Every quote carries a trace line naming the
# table, the row and the locality. import_cms_csv() turns a CMS-style locality file
# (carrier, locality, one column per G-code) into the same document shape.
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from edi_hit.errors import DataError
from edi_hit.pricing.money import decimal_value, money_value, round_money
from edi_hit.pricing.tables import Provenance, in_range, load_json, package_json, parse_date

__all__ = ["Locality", "RateQuote", "RateTable", "default_rates", "load_rates", "import_cms_csv",
           "HIT_CODES"]

HIT_CODES = ("G0068", "G0069", "G0070", "G0088", "G0089", "G0090")
NATIONAL = (None, None)


@dataclass(slots=True, frozen=True)
class Locality:
    carrier: str
    locality: str
    via: str  # how it was found, for the trace: "ZIP 10001 (billing provider)"

    @property
    def key(self) -> str:
        return f"{self.carrier}-{self.locality}"


@dataclass(slots=True, frozen=True)
class RateQuote:
    amount: Decimal
    trace: str


def _money(value, where):
    """A rate: a non-negative amount in plain decimal notation (money.money_value)."""
    return money_value(value, f"{where}: amount")


def shown_zip(digits: str, who: str) -> str:
    """A ZIP as a trace may show it: a beneficiary's ZIP is PHI (HIPAA safe harbor keeps
    at most its first three digits), a provider's is not."""
    return digits[:5] if who != "beneficiary" else digits[:3] + "x" * len(digits[3:5])


class RateTable:
    __slots__ = ("name", "illustrative", "provenance", "doc", "_rates", "_gaf", "_zips", "_zip_lengths")

    def __init__(self, doc: dict, where: str = "rates.json"):
        self.doc = doc
        self.name = doc.get("name") or where
        self.illustrative = doc.get("illustrative")
        if not isinstance(self.illustrative, bool):
            raise DataError(f"{where}: 'illustrative' must be true or false")
        self.provenance = Provenance.from_dict(doc.get("provenance"), where)
        self._rates: dict[tuple, list[tuple]] = {}
        self._gaf: dict[tuple, list[tuple]] = {}
        rows = doc.get("rates")
        if not isinstance(rows, list):
            raise DataError(f"{where}: 'rates' must be a list of rows")
        try:
            for i, r in enumerate(rows):
                w = f"{where}: rates[{i}]"
                carrier, locality = r.get("carrier"), r.get("locality")
                if (carrier is None) != (locality is None):
                    raise DataError(f"{w}: give both carrier and locality, or neither (national)")
                key = (str(r["code"]).upper(), carrier, locality)
                self._rates.setdefault(key, []).append((
                    parse_date(r.get("effective_from"), w), parse_date(r.get("effective_to"), w),
                    _money(r["amount"], w), i))
            for i, r in enumerate(doc.get("gaf", [])):
                w = f"{where}: gaf[{i}]"
                gaf = decimal_value(r["gaf"], f"{w}: gaf", what="a geographic adjustment factor")
                if not gaf > 0:
                    raise DataError(f"{w}: gaf must be greater than zero, got {gaf}")
                self._gaf.setdefault((r["carrier"], r["locality"]), []).append((
                    parse_date(r.get("effective_from"), w), parse_date(r.get("effective_to"), w),
                    gaf, i))
            zips = doc.get("zip_localities")
            if zips is None:
                zips = package_json("rates_illustrative.json")["zip_localities"]
            self._zips = {str(z["zip_prefix"]): (z["carrier"], z["locality"]) for z in zips}
        except (KeyError, TypeError, AttributeError) as e:
            raise DataError(f"{where}: missing or malformed field {e}") from None
        self._zip_lengths = sorted({len(p) for p in self._zips}, reverse=True)

    @classmethod
    def load(cls, path: str | Path) -> "RateTable":
        """A rate table file, checked against schemas/rates.schema.json first (a wrong or
        misspelt key is a ConfigError naming its JSON path)."""
        return cls(load_json(path, schema="rates"), str(path))

    def to_dict(self) -> dict:
        return self.doc

    # -- locality -----------------------------------------------------------------
    def locality_for_zip(self, postal_code: str | None, who: str) -> Locality | None:
        """Carrier/locality of a ZIP by longest prefix in the table's ZIP map."""
        if not postal_code:
            return None
        digits = postal_code.strip()[:5]
        for n in self._zip_lengths:
            hit = self._zips.get(digits[:n])
            if hit is not None:
                shown = shown_zip(digits, who)
                return Locality(hit[0], hit[1], f"ZIP {shown} ({who}) prefix {shown[:n]}")
        return None

    # -- rates --------------------------------------------------------------------
    @staticmethod
    def _find(rows, day):
        for start, end, value, index in rows or ():
            if in_range(day, start, end):
                return value, index
        return None

    def national(self, code: str, day: date) -> tuple[Decimal, int] | None:
        return self._find(self._rates.get((code, None, None)), day)

    def quote(self, code: str, day: date, locality: Locality | None,
              mode: str = "locality_file") -> RateQuote | None:
        """The rate for the code on the date of service in the locality, or None."""
        code = code.upper()
        if locality is not None:
            if mode == "locality_file":
                hit = self._find(self._rates.get((code, locality.carrier, locality.locality)), day)
                if hit:
                    return RateQuote(hit[0], f"rate {code} {day.isoformat()} locality {locality.key} "
                                             f"= {hit[0]} ({self.name}, rates[{hit[1]}])")
            nat = self.national(code, day)
            gaf = self._find(self._gaf.get((locality.carrier, locality.locality)), day)
            if nat and gaf:
                amount = round_money(nat[0] * gaf[0])
                return RateQuote(amount, f"rate {code} {day.isoformat()} national {nat[0]} x GAF "
                                         f"{gaf[0]} ({locality.key}) = {amount} ({self.name}, "
                                         f"rates[{nat[1]}], gaf[{gaf[1]}])")
            if nat:
                return RateQuote(nat[0], f"rate {code} {day.isoformat()} national {nat[0]}: no rate "
                                         f"or GAF for locality {locality.key}, national fallback "
                                         f"({self.name}, rates[{nat[1]}])")
            return None
        nat = self.national(code, day)
        if nat:
            return RateQuote(nat[0], f"rate {code} {day.isoformat()} national {nat[0]} "
                                     f"({self.name}, rates[{nat[1]}])")
        return None


@cache
def default_rates() -> RateTable:
    """The shipped rate table (illustrative values, see its provenance)."""
    return RateTable(package_json("rates_illustrative.json"), "edi_hit/data/rates_illustrative.json")


def load_rates(source=None) -> RateTable:
    """A RateTable from None (the shipped illustrative table), a RateTable, a dict or a path."""
    if source is None:
        return default_rates()
    if isinstance(source, RateTable):
        return source
    if isinstance(source, dict):
        return RateTable(source, "rates")
    return RateTable.load(source)


# -- CMS CSV import ---------------------------------------------------------------

_GCODE = re.compile(r"G0?0(68|69|70|88|89|90)", re.I)


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _classify(headers: list[str]) -> dict | None:
    """Column roles of a header row, or None if it is not the header."""
    roles: dict = {"codes": {}}
    for i, h in enumerate(headers):
        n = _norm(h)
        m = _GCODE.search(h.replace(" ", ""))
        if m:
            roles["codes"].setdefault("G00" + m.group(1), i)
        elif "name" in n or "description" in n:
            roles.setdefault("name", i)
        elif n.startswith(("carrier", "contractor", "mac")):
            roles.setdefault("carrier", i)
        elif n.startswith(("locality", "loc")):
            roles.setdefault("locality", i)
        elif n in ("year", "cy", "calendaryear"):
            roles.setdefault("year", i)
        elif n in ("effectivefrom", "effectivedate", "startdate", "from"):
            roles.setdefault("from", i)
        elif n in ("effectiveto", "enddate", "to", "through"):
            roles.setdefault("to", i)
    if "carrier" in roles and "locality" in roles and roles["codes"]:
        return roles
    return None


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def import_cms_csv(path: str | Path, *, year: int | None = None, name: str | None = None,
                   source: str | None = None, source_date: str | None = None,
                   illustrative: bool = False) -> dict:
    """A rate-table document from a CMS-style locality-adjusted HIT rate CSV.

    The file has a header row (title rows above it are skipped) with a carrier column,
    a locality column and one column per G-code, in any order and spelling
    ("Carrier", "CONTRACTOR", "Locality Number", "G0068 Payment Rate", ...). A row with
    carrier "NATIONAL" (or empty/00000) is the national rate. The year comes from
    year=, else a Year column, else a 4-digit year in the file name.
    """
    path = Path(path)
    rows = list(csv.reader(io.StringIO(_read_text(path))))
    roles = None
    for hi, row in enumerate(rows):
        roles = _classify(row)
        if roles:
            break
    if not roles:
        raise DataError(f"{path}: no header row with a carrier column, a locality column and "
                        f"G-code columns (G0068 ... G0090) found")
    if year is None and "year" not in roles:
        m = re.search(r"(?<!\d)(20[1-9]\d)(?!\d)", path.name)
        if not m:
            raise DataError(f"{path}: no year: give --year, a Year column or a year in the file name")
        year = int(m.group(1))
    out, gaf = [], []
    for li, row in enumerate(rows[hi + 1:], start=hi + 2):
        if not any(cell.strip() for cell in row):
            continue
        def cell(role):
            i = roles.get(role)
            return row[i].strip() if i is not None and i < len(row) else ""
        carrier, locality = cell("carrier"), cell("locality")
        national = carrier.upper() in ("", "NATIONAL", "00000") and locality.upper() in (
            "", "NATIONAL", "00", "0")
        if not national and not (carrier.isdigit() and locality.isdigit()):
            if not any(_GCODE.search(c) is None and re.search(r"\d", c) for c in row):
                continue  # a footnote or subtitle row
            raise DataError(f"{path}: line {li}: expected numeric carrier and locality, "
                            f"got {carrier!r} and {locality!r}")
        y = year
        if "year" in roles and cell("year"):
            try:
                y = int(cell("year"))
            except ValueError:
                raise DataError(f"{path}: line {li}: year {cell('year')!r} is not a year") from None
        start = cell("from") or f"{y}-01-01"
        end = cell("to") or f"{y}-12-31"
        for code, i in sorted(roles["codes"].items()):
            raw = row[i].strip() if i < len(row) else ""
            raw = raw.replace("$", "").replace(",", "").strip()
            if not raw:
                continue
            amount = money_value(raw, f"{path}: line {li}: {code} amount")
            r = {"code": code, "effective_from": start, "effective_to": end, "amount": str(amount)}
            if not national:
                r = {"code": code, "carrier": carrier.zfill(5), "locality": locality.zfill(2),
                     **{k: v for k, v in r.items() if k != "code"}}
                if "name" in roles and cell("name"):
                    r["name"] = cell("name")
            out.append(r)
    if not out:
        raise DataError(f"{path}: no rate rows found under the header on line {hi + 1}")
    doc = {
        "schema": "edi-hit/rates/1",
        "name": name or f"HIT rates imported from {path.name}",
        "illustrative": illustrative,
        "provenance": {"source": source or f"imported from {path.name}",
                       "date": source_date or date.today().isoformat()},
        "rates": out,
    }
    if gaf:
        doc["gaf"] = gaf
    RateTable(doc, str(path))  # the document must load
    return doc
