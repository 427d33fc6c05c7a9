# A drug price list the user supplies (AWP, WAC or ASP): price per unit by NDC or HCPCS.
#
# Strategy: one CSV, columns found by their header (csvfile.read_rows): ndc and/or
# hcpcs (one of them per row), unit (what the price is for: ML, GR, ME, F2 or UN, the
# CTP05 units; UN is one package or each), price (plain decimal, up to 5 places: list
# prices are quoted below the cent), and optionally package_size with package_unit (what
# one package holds, e.g. 100 ML), effective_from/effective_to and a description. Rows
# are indexed by NDC and by HCPCS with their dates. convert() turns a claim's quantity
# (CTP04, in CTP05's unit) into the price's unit: the same unit as it is, grams and
# milligrams by 1,000, packages and contents through the package size. A quantity that
# cannot be converted gives None and the rule says why.
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from edi_hit.errors import DataError
from edi_hit.pricing.csvfile import parse_day, read_rows
from edi_hit.pricing.money import decimal_value
from edi_hit.pricing.tables import in_range

__all__ = ["PriceRow", "PriceList", "load_price_list", "UNITS", "valid_ndc"]

# CTP05-1 units of measure on an 837P drug line (005010X222A1)
UNITS = ("F2", "GR", "ME", "ML", "UN")
_MASS = {"GR": Decimal(1000), "ME": Decimal(1)}  # in milligrams


def valid_ndc(ndc: str | None) -> bool:
    """An NDC in the 11-digit 5-4-2 form the 837P carries (LIN03 with LIN02 N4)."""
    return ndc is not None and len(ndc) == 11 and ndc.isdigit()


@dataclass(frozen=True, slots=True)
class PriceRow:
    code: str            # the NDC or the HCPCS
    unit: str
    price: Decimal
    package_size: Decimal | None
    package_unit: str | None
    start: date | None
    end: date | None
    where: str           # "prices.csv:7"

    def describe(self) -> str:
        return f"{self.price:f}/{self.unit} ({self.where})"


class PriceList:
    """Price rows by NDC and by HCPCS, each with its dates."""

    def __init__(self, name: str, basis: str, rows: list[PriceRow], ndc_rows: set[int]):
        self.name, self.basis = name, basis
        self._ndc: dict[str, list[PriceRow]] = {}
        self._hcpcs: dict[str, list[PriceRow]] = {}
        for i, r in enumerate(rows):
            (self._ndc if i in ndc_rows else self._hcpcs).setdefault(r.code, []).append(r)

    def __len__(self) -> int:
        return sum(len(v) for v in self._ndc.values()) + sum(len(v) for v in self._hcpcs.values())

    def ndc(self, ndc: str, day: date) -> PriceRow | None:
        return _dated(self._ndc.get(ndc), day)

    def hcpcs(self, code: str, day: date) -> PriceRow | None:
        return _dated(self._hcpcs.get(code.upper()), day)

    @staticmethod
    def convert(quantity: Decimal, unit: str, row: PriceRow) -> Decimal | None:
        """`quantity` of `unit` in the row's unit, or None when it cannot be done."""
        want = row.unit
        if unit == want:
            return quantity
        if unit in _MASS and want in _MASS:
            return quantity * _MASS[unit] / _MASS[want]
        size, content = row.package_size, row.package_unit
        if size is None or content is None:
            return None
        if want == "UN":  # contents billed, packages priced
            inner = PriceList._same(quantity, unit, content)
            return None if inner is None else inner / size
        if unit == "UN":  # packages billed, contents priced
            return PriceList._same(quantity * size, content, want)
        return None

    @staticmethod
    def _same(quantity: Decimal, unit: str, want: str) -> Decimal | None:
        if unit == want:
            return quantity
        if unit in _MASS and want in _MASS:
            return quantity * _MASS[unit] / _MASS[want]
        return None


def _dated(rows, day: date) -> PriceRow | None:
    for r in rows or ():
        if in_range(day, r.start, r.end):
            return r
    return None


def _role(h: str) -> str | None:
    return {"ndc": "ndc", "ndc11": "ndc", "hcpcs": "hcpcs", "code": "hcpcs", "unit": "unit",
            "uom": "unit", "price": "price", "unitprice": "price", "packagesize": "package_size",
            "packageunit": "package_unit", "effectivefrom": "start", "from": "start",
            "effectiveto": "end", "to": "end", "description": "description"}.get(h)


def load_price_list(path: str | Path, basis: str = "") -> PriceList:
    """Read a price list CSV (see the module comment); DataError naming file and line."""
    path = Path(path)
    rows: list[PriceRow] = []
    ndc_rows: set[int] = set()
    for line, r in read_rows(path, _role, ("unit", "price"),
                             "ndc,hcpcs,unit,price,package_size,package_unit,effective_from,"
                             "effective_to"):
        where = f"{path.name}:{line}"
        ndc = r.get("ndc", "").replace("-", "")
        hcpcs = r.get("hcpcs", "").upper()
        if bool(ndc) == bool(hcpcs):
            raise DataError(f"{path}: line {line}: give an NDC or a HCPCS code (one of them)")
        if ndc and not valid_ndc(ndc):
            raise DataError(f"{path}: line {line}: NDC {ndc!r} is not 11 digits (5-4-2)")
        unit = r["unit"].upper()
        if unit not in UNITS:
            raise DataError(f"{path}: line {line}: unit {unit!r} is not one of {', '.join(UNITS)}")
        price = decimal_value(r["price"], f"{path}: line {line}: price", places=5,
                              what="a unit price")
        size = r.get("package_size", "")
        package_size = decimal_value(size, f"{path}: line {line}: package_size",
                                     what="a package size") if size else None
        package_unit = r.get("package_unit", "").upper() or None
        if (package_size is None) != (package_unit is None) or (
                package_unit is not None and package_unit not in UNITS):
            raise DataError(f"{path}: line {line}: package_size and package_unit go together, "
                            f"the unit one of {', '.join(UNITS)}")
        if package_size is not None and not package_size > 0:
            raise DataError(f"{path}: line {line}: package_size must be greater than zero")
        start, end = (_day(r.get(k, ""), path, line) for k in ("start", "end"))
        if ndc:
            ndc_rows.add(len(rows))
        rows.append(PriceRow(ndc or hcpcs, unit, price, package_size, package_unit, start, end,
                             where))
    if not rows:
        raise DataError(f"{path}: no price rows")
    return PriceList(path.name, basis or path.stem, rows, ndc_rows)


def _day(text: str, path: Path, line: int) -> date | None:
    if not text:
        return None
    day = parse_day(text)
    if day is None:
        raise DataError(f"{path}: line {line}: {text!r} is not a date (YYYY-MM-DD)")
    return day
