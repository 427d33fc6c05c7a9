"""Write fixtures/contracts/claims.837: home infusion claims for the payer contract tests.

The contracts beside it (commercial-per-diem.toml, medicaid-hit-plus-30.json), the NDC
price list and the authorization file are written by hand; this script writes the one
837P the scenario tests (tests/test_contracts_scenarios.py) and the README's contract
example read. Everything is synthetic (ILLUSTRATIVE payers, members, NDCs and rates):

- A1  commercial (ACME01, SBR09 CI): a 7-day antibiotic per diem (S9500 x 7, RD8), two
      nursing visits (99601; 99601 + 99602 x 2) and the drug by NDC (J0696, 2410
      LIN/CTP 7 vials), prior authorization PA26-0001;
- B1  a 3-day per diem with supplies beside it (A4222, E0781: bundled) and A4222 the day
      after it ends (no per diem that day: not covered);
- C1, C2  nursing visits, 4 a month allowed: the 5th in March (the 18th) is over the limit,
      1 April starts a new month;
- D1, D2, D3  per diems without REF*G1 (absent), with an authorization whose dates they
      fall outside (exceeded), with a number the authorization file does not hold (invalid);
- E1..E5  one member's per diems in date order: deductible, then coinsurance, then the
      out-of-pocket maximum reached; E5 overlaps E4 by two days of the same therapy;
- F1  Medicaid (SMCD1, SBR09 MC): G0088 and G0068 at Medicare's HIT rate x 1.30 (one per
      category per day, units never multiply), the S9328 per diem, a supply beside it;
- G1  a Medicare Part B claim (SBR09 MB, no contract): the Medicare HIT profile;
- H1  a commercial claim of a payer no contract names (SBR09 CI): denied K0.

    python tools/make_contract_fixtures.py          # rewrites the file deterministically
"""
from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from edi_hit.x12 import Delimiters, SegmentWriter  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "contracts" / "claims.837"
NOW = datetime(2026, 4, 6, 9, 0)
PROVIDER = ("SYNTHETIC HOME INFUSION PHARMACY", "1234567893", "431234567")
PAYERS = {  # name, payer id (2010BB NM109)
    "acme": ("ACME HEALTH PLAN", "ACME01"),
    "medicaid": ("STATE MEDICAID", "SMCD1"),
    "medicare": ("MEDICARE PART B", "MACJL"),
    "other": ("OTHER HEALTH PLAN", "OTH99"),
}
# member id -> last name, first name, birth date, sex
MEMBERS = {
    "ACM100000001": ("AVERY", "ANN", "19700101", "F"),
    "ACM100000002": ("BAKER", "BEN", "19650202", "M"),
    "ACM100000003": ("CRUZ", "CARLA", "19800303", "F"),
    "ACM100000004": ("DIAZ", "DAN", "19550404", "M"),
    "ACM100000005": ("EVANS", "EVE", "19900505", "F"),
    "MCD000000006": ("FOX", "FRANK", "19850606", "M"),
    "1EG4TE5MK73": ("GRAY", "GRACE", "19450707", "F"),
    "OTH000000007": ("HILL", "HENRY", "19750808", "M"),
}
# (CLM01, payer, SBR09, member, REF*G1, lines); a line is (code, charge, units, from, to,
# NDC and CTP quantity/unit or None)
CLAIMS = [
    ("A1", "acme", "CI", "ACM100000001", "PA26-0001", [
        ("S9500", "1050.00", "7", "20260302", "20260308", None),
        ("99601", "200.00", "1", "20260302", None, None),
        ("99601", "200.00", "1", "20260305", None, None),
        ("99602", "160.00", "2", "20260305", None, None),
        ("J0696", "210.00", "28", "20260302", "20260308", ("99999000101", "7", "UN"))]),
    ("B1", "acme", "CI", "ACM100000002", "PA26-0002", [
        ("S9500", "450.00", "3", "20260309", "20260311", None),
        ("A4222", "45.00", "1", "20260310", None, None),
        ("E0781", "120.00", "1", "20260309", None, None),
        ("A4222", "45.00", "1", "20260312", None, None)]),
    ("C1", "acme", "CI", "ACM100000003", None, [
        ("99601", "200.00", "1", "20260302", None, None),
        ("99601", "200.00", "1", "20260306", None, None),
        ("99601", "200.00", "1", "20260310", None, None)]),
    ("C2", "acme", "CI", "ACM100000003", None, [
        ("99601", "200.00", "1", "20260314", None, None),
        ("99601", "200.00", "1", "20260318", None, None),
        ("99601", "200.00", "1", "20260401", None, None)]),
    ("D1", "acme", "CI", "ACM100000004", None, [
        ("S9500", "300.00", "2", "20260302", "20260303", None)]),
    ("D2", "acme", "CI", "ACM100000004", "PA26-0004", [
        ("S9500", "300.00", "2", "20260316", "20260317", None)]),
    ("D3", "acme", "CI", "ACM100000004", "PA26-9999", [
        ("S9500", "300.00", "2", "20260304", "20260305", None)]),
    ("E1", "acme", "CI", "ACM100000005", "PA26-0005", [
        ("S9500", "300.00", "2", "20260302", "20260303", None)]),
    ("E2", "acme", "CI", "ACM100000005", "PA26-0005", [
        ("S9500", "750.00", "5", "20260304", "20260308", None)]),
    ("E3", "acme", "CI", "ACM100000005", "PA26-0005", [
        ("S9500", "1050.00", "7", "20260309", "20260315", None)]),
    ("E4", "acme", "CI", "ACM100000005", "PA26-0005", [
        ("S9500", "1050.00", "7", "20260316", "20260322", None)]),
    ("E5", "acme", "CI", "ACM100000005", "PA26-0005", [
        ("S9501", "450.00", "3", "20260321", "20260323", None)]),
    ("F1", "medicaid", "MC", "MCD000000006", None, [
        ("G0088", "400.00", "4", "20260302", None, None),
        ("G0068", "300.00", "8", "20260309", None, None),
        ("G0068", "300.00", "4", "20260309", None, None),
        ("S9328", "300.00", "3", "20260302", "20260304", None),
        ("A4222", "40.00", "1", "20260303", None, None)]),
    ("G1", "medicare", "MB", "1EG4TE5MK73", None, [
        ("G0068", "300.00", "4", "20260310", None, None)]),
    ("H1", "other", "CI", "OTH000000007", None, [
        ("S9500", "150.00", "1", "20260302", None, None)]),
]


def claims_837() -> bytes:
    name, npi, tin = PROVIDER
    w = SegmentWriter(None, Delimiters(), line_break=True)
    w.begin_interchange("ZZ", "SYNTHSUBMIT", "ZZ", "CLEARINGHOUSE", 1, now=NOW, usage="T")
    w.begin_group("HC", "SYNTHSUBMIT", "CLEARINGHOUSE", 1, "005010X222A1")
    w.begin_transaction("837", "0001", "005010X222A1")
    w.write(["BHT", "0019", "00", "CONTRACTS", NOW.strftime("%Y%m%d"), "0900", "CH"])
    w.write(["NM1", "41", "2", "SYNTHETIC CLEARINGHOUSE", "", "", "", "", "46", "SYNTHSUBMIT"])
    w.write(["PER", "IC", "EDI DESK", "TE", "3145550100"])
    w.write(["NM1", "40", "2", "CLEARINGHOUSE", "", "", "", "", "46", "CLEARINGHOUSE"])
    w.write(["HL", "1", "", "20", "1"])
    w.write(["PRV", "BI", "PXC", "3336H0001X"])
    w.write(["NM1", "85", "2", name, "", "", "", "", "XX", npi])
    w.write(["N3", "1 MAIN STREET"])
    w.write(["N4", "SAINT LOUIS", "MO", "631011000"])
    w.write(["REF", "EI", tin])
    hl = 1
    for pcn, payer, filing, member, auth, lines in CLAIMS:
        last, first, dob, sex = MEMBERS[member]
        payer_name, payer_id = PAYERS[payer]
        hl += 1
        w.write(["HL", str(hl), "1", "22", "0"])
        w.write(["SBR", "P", "18", "", "", "", "", "", "", filing])
        w.write(["NM1", "IL", "1", last, first, "", "", "", "MI", member])
        w.write(["N3", "20 ELM STREET"])
        w.write(["N4", "SAINT LOUIS", "MO", "631021000"])
        w.write(["DMG", "D8", dob, sex])
        w.write(["NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id])
        total = sum(Decimal(line[1]) for line in lines)
        w.write(["CLM", pcn, f"{total:.2f}", "", "", ("12", "B", "1"), "Y", "A", "Y", "Y"])
        if auth:
            w.write(["REF", "G1", auth])
        w.write(["HI", ("ABK", "A419")])
        for n, (code, charge, units, start, end, drug) in enumerate(lines, 1):
            w.write(["LX", str(n)])
            w.write(["SV1", ("HC", code), charge, "UN", units, "", "", "1"])
            w.write(["DTP", "472", "RD8", f"{start}-{end}"] if end else ["DTP", "472", "D8", start])
            w.write(["REF", "6R", f"{pcn}-{n}"])
            if drug:
                ndc, quantity, unit = drug
                w.write(["LIN", "", "N4", ndc])
                w.write(["CTP", "", "", "", quantity, unit])
    w.end_interchange()
    return w.getvalue()


def main():
    OUT.write_bytes(claims_837())
    print(f"wrote {OUT}: {len(CLAIMS)} claims")


if __name__ == "__main__":
    main()
