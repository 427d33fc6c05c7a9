"""Write the demo fixtures in fixtures/demo/: what an A/B MAC has when HIT claims arrive.

The README's first command adjudicates the HIT supplier's 837P with the DME MAC's 835
as drug evidence and the supplier enrolment list. The data is made up (synthetic
names, valid-check-digit NPIs, MBI-format ids) and tells a small story:

- dme-supplier.837: in late December 2025 a pharmacy (the DME supplier) bills the
  infusion drugs (J-codes) to the DME MAC;
- dme-mac.835: the DME MAC's remittance for them: three drugs covered (one absorbed
  by the 2025 deductible, still covered: an allowed amount), one denied CO-50 N115;
- hit-suppliers.csv: the home infusion therapy supplier list (NPI, specialty D6,
  enrolment dates), as CMS publishes it;
- hit-supplier.837: in January and February 2026 the HIT supplier bills the nursing
  visits (G-codes) to the A/B MAC: visits 0-30 days after a covered drug of their
  category, at home, are paid (2026 deductible PR-1, coinsurance PR-2, sequestration
  CO-253); a same-day duplicate (OA-18), a visit 42 days after the drug and one whose
  drug the DME MAC denied (CO-B15), a visit in an office (CO-5 M77) and a drug J-code
  the HIT supplier put on its own claim (CO-109 N104: wrong contractor, and no
  evidence) are denied.

    python tools/make_demo.py          # rewrites every file deterministically
"""
from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from edi_hit.pricing import rules  # noqa: E402
from edi_hit.pricing.model import Adjustment, PricedClaim, PricedLine  # noqa: E402
from edi_hit.pricing.tables import part_b  # noqa: E402
from edi_hit.x12 import Delimiters, SegmentWriter  # noqa: E402
from edi_hit.x835 import PayerInfo, build_835  # noqa: E402
from edi_hit.x837p import read_837p  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
NOW = datetime(2026, 2, 20, 9, 30)
DME_MAC_NOW = datetime(2026, 1, 9, 8, 0)

# name, MBI, birth date, sex
BENEFICIARIES = {
    "A": ("ALVAREZ", "MARIA", "1EG4TE5MK73", "19460212", "F"),
    "B": ("BROOKS", "HENRY", "2AC3CD4EF56", "19501107", "M"),
    "C": ("CHEN", "LILY", "3HJ5KM6NP78", "19420630", "F"),
    "D": ("DUNN", "OSCAR", "4TC7WX8YV90", "19550918", "M"),
}
PHARMACY = ("BAYSIDE INFUSION PHARMACY", "1245319599", "521234567")
NURSING = ("CHESAPEAKE HOME INFUSION NURSING", "1234567893", "527654321")
A_B_MAC = ("MEDICARE PART B MAC", "MACJL", "12302", "PO BOX 6475", "INDIANAPOLIS", "IN",
           "462066475")
DME_MAC = ("MEDICARE DME MAC JURISDICTION A", "DMEMACJA", "16013", "PO BOX 6727", "FARGO", "ND",
           "581086727")

# (patient control number, beneficiary, [(code, modifiers, charge, units, date, pos, line id)])
DME_CLAIMS = [
    ("DME-25-001", "A", [("J1569", ("JB",), "1850.00", "20", "20251229", None, "D1-1")]),
    ("DME-25-002", "B", [("J0285", (), "420.00", "10", "20251230", None, "D2-1")]),
    ("DME-25-003", "C", [("J9190", (), "96.00", "4", "20251228", None, "D3-1")]),
    ("DME-25-004", "D", [("J1170", (), "180.00", "6", "20251231", None, "D4-1")]),
]
# The DME MAC's decision per drug line: the allowed amount, or None for a denial (CO-50 N115).
DME_ALLOWED = {"D1-1": "1480.00", "D2-1": "336.00", "D3-1": "76.80", "D4-1": None}
HIT_CLAIMS = [
    ("HIT-26-001", "A", [("G0089", (), "310.00", "8", "20260102", None, "H1-1"),
                         ("G0069", (), "240.00", "6", "20260109", None, "H1-2"),
                         ("G0069", (), "240.00", "6", "20260109", None, "H1-3")]),
    ("HIT-26-002", "B", [("G0088", (), "300.00", "8", "20260103", None, "H2-1"),
                         ("G0068", (), "220.00", "4", "20260210", None, "H2-2")]),
    ("HIT-26-003", "C", [("G0090", (), "420.00", "12", "20260102", "11", "H3-1"),
                         ("G0070", (), "380.00", "10", "20260105", None, "H3-2")]),
    ("HIT-26-004", "D", [("J1170", (), "90.00", "3", "20260102", None, "H4-1"),
                         ("G0068", (), "260.00", "5", "20260104", None, "H4-2")]),
]


def write_837(path: Path, supplier, receiver, claims) -> None:
    name, npi, tin = supplier
    payer, receiver_id, payer_id, street, city, state, zip_code = receiver
    w = SegmentWriter(None, Delimiters(), line_break=True)
    w.begin_interchange("ZZ", "DEMOSUBMIT", "ZZ", receiver_id, 1, now=NOW, usage="T")
    w.begin_group("HC", "DEMOSUBMIT", receiver_id, 1, "005010X222A1")
    w.begin_transaction("837", "0001", "005010X222A1")
    w.write(["BHT", "0019", "00", path.stem.upper(), NOW.strftime("%Y%m%d"), "0930", "CH"])
    w.write(["NM1", "41", "2", "DEMO CLEARINGHOUSE", "", "", "", "", "46", "DEMOSUBMIT"])
    w.write(["PER", "IC", "EDI DESK", "TE", "4105550100"])
    w.write(["NM1", "40", "2", payer, "", "", "", "", "46", receiver_id])
    w.write(["HL", "1", "", "20", "1"])
    w.write(["PRV", "BI", "PXC", "3336H0001X"])
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
        w.write(["NM1", "PR", "2", payer, "", "", "", "", "PI", payer_id])
        w.write(["N3", street])
        w.write(["N4", city, state, zip_code])
        total = sum(Decimal(c) for _, _, c, *_ in lines)
        w.write(["CLM", pcn, f"{total:.2f}", "", "", ("12", "B", "1"), "Y", "A", "Y", "Y"])
        w.write(["HI", ("ABK", "B371")])
        for n, (code, mods, charge, units, dos, pos, lid) in enumerate(lines, 1):
            w.write(["LX", str(n)])
            w.write(["SV1", ("HC", code, *mods), charge, "UN", units, pos, "", "1"])
            w.write(["DTP", "472", "D8", dos])
            w.write(["REF", "6R", lid])
    w.end_interchange()
    path.write_bytes(w.getvalue())


def dme_mac_line(line) -> PricedLine:
    """The DME MAC's decision on one drug line, the money by hit-rules 9.5-9.6 with the
    2025 Part B deductible (none met before these claims)."""
    charge = line.charge
    allowed_text = DME_ALLOWED[line.control_number]
    if allowed_text is None:
        return PricedLine(line, "denied", charge, Decimal(0), Decimal(0), line.units,
                          [Adjustment("CO", "50", charge)], ["N115"])
    tables = part_b()
    allowed = Decimal(allowed_text)
    day = line.service_date
    ded = rules.deductible(allowed, day.year, tables.deductibles[day.year], Decimal(0)).amount
    coins = rules.coinsurance(allowed - ded, tables.coinsurance_rate).amount
    medicare = allowed - ded - coins
    seq = rules.sequestration(medicare, tables.sequestration_rate(day), day).amount
    adjustments = [Adjustment(g, r, a) for g, r, a in (
        ("CO", "45", charge - allowed), ("PR", "1", ded), ("PR", "2", coins), ("CO", "253", seq))
        if a]
    return PricedLine(line, "paid", charge, allowed, medicare - seq, line.units, adjustments)


def write_dme_mac_835(claims_file: Path, path: Path) -> None:
    priced = []
    for n, claim in enumerate(read_837p(claims_file), 1):
        lines = [dme_mac_line(ln) for ln in claim.lines]
        status = "processed" if any(pl.status == "paid" for pl in lines) else "denied"
        priced.append(PricedClaim(claim, lines, [], status, f"25365000{n:05d}"))
    payer, receiver_id, payer_id, street, city, state, zip_code = DME_MAC
    info = PayerInfo(name=payer, id=payer_id, address_line1=street, city=city, state=state,
                     postal_code=zip_code, contact_phone="8669962088", interchange_id=receiver_id)
    path.write_bytes(build_835(priced, payer=info, now=DME_MAC_NOW, control_number=25365))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    dme = OUT / "dme-supplier.837"
    write_837(dme, PHARMACY, DME_MAC, DME_CLAIMS)
    write_dme_mac_835(dme, OUT / "dme-mac.835")
    write_837(OUT / "hit-supplier.837", NURSING, A_B_MAC, HIT_CLAIMS)
    (OUT / "hit-suppliers.csv").write_text(
        "NPI,Legal Business Name,State,Specialty,Effective From,Effective To\n"
        f"{NURSING[1]},{NURSING[0]},MD,D6,2021-01-01,\n")
    print(f"wrote {OUT}: dme-supplier.837, dme-mac.835, hit-suppliers.csv, hit-supplier.837")


if __name__ == "__main__":
    main()
