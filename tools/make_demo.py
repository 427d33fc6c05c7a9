"""Write the demo fixtures: fixtures/demo/dme-supplier.837 and fixtures/demo/hit-supplier.837.

The README's first command adjudicates these two files together. They are made up
(synthetic names, valid-check-digit NPIs, MBI-format ids) and tell a small story:

- the DME supplier bills the infusion drugs (J-codes) to Medicare: the drug claims
  enter the beneficiary history (and, sent to an A/B MAC, are denied CO-109 N104:
  they belong to the DME MAC);
- the HIT supplier bills the professional visits (G-codes): visits with a drug of the
  same category 0-30 days before, at home, are paid; a same-day duplicate, a visit
  with no qualifying drug, and a visit outside the home are denied with their codes.

    python tools/make_demo.py          # rewrites both files deterministically
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from edi_hit.x12 import Delimiters, SegmentWriter  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
NOW = datetime(2026, 7, 1, 9, 30)

# name, MBI, birth date, sex
BENEFICIARIES = {
    "A": ("ALVAREZ", "MARIA", "1EG4TE5MK73", "19460212", "F"),
    "B": ("BROOKS", "HENRY", "2AC3CD4EF56", "19501107", "M"),
    "C": ("CHEN", "LILY", "3HJ5KM6NP78", "19420630", "F"),
    "D": ("DUNN", "OSCAR", "4TC7WX8YV90", "19550918", "M"),
}

# (patient control number, beneficiary, [(code, charge, units, date, pos or None, line id)])
DME_CLAIMS = [
    ("DME-26-001", "A", [("J1569", "1850.00", "20", "20260302", None, "D1-1")]),
    ("DME-26-002", "B", [("J0285", "420.00", "10", "20260301", None, "D2-1")]),
    ("DME-26-003", "C", [("J9190", "96.00", "4", "20260501", None, "D3-1")]),
]
HIT_CLAIMS = [
    ("HIT-26-001", "A", [("G0089", "310.00", "8", "20260304", None, "H1-1"),
                         ("G0069", "240.00", "6", "20260311", None, "H1-2"),
                         ("G0069", "240.00", "6", "20260311", None, "H1-3")]),
    ("HIT-26-002", "B", [("G0088", "300.00", "8", "20260303", None, "H2-1"),
                         ("G0068", "220.00", "4", "20260410", None, "H2-2")]),
    ("HIT-26-003", "C", [("G0090", "420.00", "12", "20260502", "11", "H3-1"),
                         ("G0070", "380.00", "10", "20260505", None, "H3-2")]),
    ("HIT-26-004", "D", [("G0068", "260.00", "5", "20260601", None, "H4-1")]),
]


def write(path: Path, supplier: tuple[str, str, str], taxonomy: str, claims) -> None:
    name, npi, tin = supplier
    w = SegmentWriter(None, Delimiters(), line_break=True)
    w.begin_interchange("ZZ", "DEMOSUBMIT", "ZZ", "MACJL", 1, now=NOW, usage="T")
    w.begin_group("HC", "DEMOSUBMIT", "MACJL", 1, "005010X222A1")
    w.begin_transaction("837", "0001", "005010X222A1")
    w.write(["BHT", "0019", "00", path.stem.upper(), NOW.strftime("%Y%m%d"), "0930", "CH"])
    w.write(["NM1", "41", "2", "DEMO CLEARINGHOUSE", "", "", "", "", "46", "DEMOSUBMIT"])
    w.write(["PER", "IC", "EDI DESK", "TE", "4105550100"])
    w.write(["NM1", "40", "2", "MEDICARE PART B MAC", "", "", "", "", "46", "MACJL"])
    w.write(["HL", "1", "", "20", "1"])
    w.write(["PRV", "BI", "PXC", taxonomy])
    w.write(["NM1", "85", "2", name, "", "", "", "", "XX", npi])
    w.write(["N3", "200 HARBOR DRIVE"])
    w.write(["N4", "BALTIMORE", "MD", "212011234"])
    w.write(["REF", "EI", tin])
    hl = 1
    for pcn, who, lines in claims:
        last, first, mbi, dob, sex = BENEFICIARIES[who]
        hl += 1
        w.write(["HL", str(hl), "1", "22", "0"])
        w.write(["SBR", "P", "18", "", "", "", "", "", "", "MB"])
        w.write(["NM1", "IL", "1", last, first, "", "", "", "MI", mbi])
        w.write(["N3", "15 LOCUST STREET"])
        w.write(["N4", "BALTIMORE", "MD", "212021000"])
        w.write(["DMG", "D8", dob, sex])
        w.write(["NM1", "PR", "2", "MEDICARE PART B", "", "", "", "", "PI", "12302"])
        w.write(["N3", "PO BOX 6475"])
        w.write(["N4", "INDIANAPOLIS", "IN", "462066475"])
        total = sum(float(c) for _, c, *_ in lines)
        w.write(["CLM", pcn, f"{total:.2f}", "", "", ("12", "B", "1"), "Y", "A", "Y", "Y"])
        w.write(["HI", ("ABK", "B371")])
        for n, (code, charge, units, dos, pos, lid) in enumerate(lines, 1):
            w.write(["LX", str(n)])
            w.write(["SV1", ("HC", code), charge, "UN", units, pos, "", "1"])
            w.write(["DTP", "472", "D8", dos])
            w.write(["REF", "6R", lid])
    w.end_interchange()
    path.write_bytes(w.getvalue())


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "dme-supplier.837", ("BAYSIDE INFUSION PHARMACY", "1245319599", "521234567"),
          "3336H0001X", DME_CLAIMS)
    write(OUT / "hit-supplier.837", ("CHESAPEAKE HOME INFUSION NURSING", "1234567893", "527654321"),
          "3336H0001X", HIT_CLAIMS)
    print(f"wrote {OUT}/dme-supplier.837 and {OUT}/hit-supplier.837")


if __name__ == "__main__":
    main()
