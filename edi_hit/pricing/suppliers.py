# Supplier enrolment: which billing NPIs are home infusion therapy suppliers, and when.
#
# Strategy: specialty D6 is an attribute of the billing NPI's Medicare enrolment, not
# something the 837P carries (hit-rules 4.14, 4.15, 6.2, C19): the MAC checks its
# enrolment data, and edi-hit is given that data as a CSV (--suppliers FILE). Columns
# are found by their header: an NPI column is required; specialty and effective
# from/to dates are optional. So CMS's public "Home Infusion Therapy Providers" list
# (data.cms.gov: an NPI per enrolled supplier, no specialty, no dates) reads as it is,
# every row a D6 supplier enrolled on any date, and a fuller file can say D6 or not
# and give enrolment periods. E3 (rules.supplier_enrolled) asks enrolment(npi, day);
# without a file E3 is not run and the run says so. Each row, by role, is checked
# against schemas/suppliers.schema.json (NPI 10 digits, dates in the three spellings);
# a bad row refuses the file (ConfigError, exit 2) naming file, row and column.
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from edi_hit import schemas
from edi_hit.errors import ConfigError
from edi_hit.pricing.csvfile import parse_day, read_rows
from edi_hit.pricing.tables import in_range

__all__ = ["Enrolment", "SupplierTable", "load_suppliers", "HIT_SPECIALTY"]

HIT_SPECIALTY = "D6"  # Medicare specialty: home infusion therapy supplier (MM11880)


@dataclass(slots=True, frozen=True)
class Enrolment:
    npi: str
    specialty: str
    start: date | None
    end: date | None
    source: str  # "file.csv:7"

    @property
    def is_hit(self) -> bool:
        return self.specialty == HIT_SPECIALTY

    def period(self) -> str:
        return f"{self.start or 'open'}..{self.end or 'open'}"


def _role(h: str) -> str | None:
    if h == "npi" or h.endswith("npi") or h.startswith("npi"):
        return "npi"
    if "specialty" in h or "providertype" in h or h in ("spec", "speccd", "specialtycd"):
        return "specialty"
    if h.endswith("to") or "end" in h or "termination" in h or "through" in h or "thru" in h:
        return "end"
    if "from" in h or "start" in h or "effective" in h or "enrollmentdate" in h:
        return "start"
    return None


def _specialty(text: str) -> str:
    """D6 for the code or a description of it ("... HOME INFUSION THERAPY ...")."""
    t = text.strip().upper()
    return HIT_SPECIALTY if t == HIT_SPECIALTY or "HOME INFUSION" in t else t


class SupplierTable:
    """Enrolment periods by NPI."""

    __slots__ = ("name", "_by_npi")

    def __init__(self, rows: list[Enrolment], name: str):
        self.name = name
        self._by_npi: dict[str, list[Enrolment]] = {}
        for r in rows:
            self._by_npi.setdefault(r.npi, []).append(r)

    def __len__(self) -> int:
        return len(self._by_npi)

    def enrolment(self, npi: str, day: date) -> Enrolment | None:
        """The D6 enrolment of this NPI in force on `day`, or None."""
        for e in self._by_npi.get(npi, ()):
            if e.is_hit and in_range(day, e.start, e.end):
                return e
        return None

    def why_not(self, npi: str, day: date) -> str:
        """Why enrolment(npi, day) is None, in words (for the E3 trace)."""
        rows = self._by_npi.get(npi)
        if not rows:
            return f"not in {self.name}"
        hit = [e for e in rows if e.is_hit]
        if not hit:
            return f"specialty {', '.join(sorted({e.specialty or '?' for e in rows}))}, not D6"
        return "enrolled " + ", ".join(e.period() for e in hit)

    @classmethod
    def load(cls, path: str | Path) -> "SupplierTable":
        path = Path(path)
        rows = []
        columns: dict[str, str] = {}
        check = schemas.validator("suppliers")
        for line_no, cell in read_rows(path, _role, ("npi",),
                                       "NPI[,Specialty][,Effective From][,Effective To]",
                                       columns):
            for error in check.iter_errors(cell):
                raise _bad_row(path, line_no, columns, error)
            days = []
            for role in ("start", "end"):
                text = cell.get(role, "")
                day = parse_day(text) if text else None
                if text and day is None:   # the schema's spelling, not a day (02/30/2024)
                    raise ConfigError(f"{path}: row {line_no}, column {columns[role]!r}: "
                                      f"{text!r} is not a day of the calendar")
                days.append(day)
            if days[0] and days[1] and days[1] < days[0]:
                raise ConfigError(f"{path}: row {line_no}, column {columns['end']!r}: the "
                                  f"enrolment ends ({days[1]}) before it starts ({days[0]})")
            npi = cell["npi"]
            specialty = _specialty(cell["specialty"]) if "specialty" in cell else HIT_SPECIALTY
            rows.append(Enrolment(npi, specialty, days[0], days[1], f"{path.name}:{line_no}"))
        return cls(rows, path.name)


def _bad_row(path: Path, row: int, columns: dict[str, str], error) -> ConfigError:
    """'hit-suppliers.csv: row 3, column 'NPI': expected the billing provider's NPI: 10
    digits, got '12345''. The values are enrolment data (NPIs, dates), not PHI."""
    role = error.absolute_path[0] if error.absolute_path else None
    described = schemas.load_schema("suppliers")["properties"].get(role, {})
    what = described.get("description")
    column = columns.get(role, role) if isinstance(role, str) else None
    where = f"{path}: row {row}" + (f", column {column!r}" if column else "")
    if what and isinstance(error.instance, str):
        return ConfigError(f"{where}: expected {what}, got {error.instance!r}")
    return ConfigError(f"{where}: {error.message}")


def load_suppliers(source) -> SupplierTable | None:
    """None (no file: E3 not checked), a SupplierTable, or a CSV path."""
    if source is None or isinstance(source, SupplierTable):
        return source
    return SupplierTable.load(source)
