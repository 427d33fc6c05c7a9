"""Synthetic HIT 837P files for benchmarks and large tests.

Writes a valid 005010X222A1 837P (pyx12 accepts it) of N claims from one or more HIT
suppliers: each claim is one Medicare beneficiary (MBI-format member id) with three
G-code visit lines (about 21 segments a claim). All data is made up; NPIs carry a
valid check digit. Deterministic for a given seed.

    python tools/synth.py 10000 -o /tmp/hit-10k.837 [--claims-per-st 5000] [--seed 1]

Import it from benchmarks: `write_hit_837(path, n_claims, claims_per_st=None, seed=1)`.
"""
from __future__ import annotations

import argparse
import random
from datetime import date, timedelta

from edi_hit.validation.hit import npi_check_digit

_ALPHA = "ACDEFGHJKMNPQRTUVWXY"  # MBI letters: no S, L, O, I, B, Z
_DIGITS = "0123456789"


def npi_with_check_digit(base9: str) -> str:
    """A valid NPI: the 9-digit stem and its check digit (Luhn with the 80840 prefix)."""
    return base9 + npi_check_digit(base9)


def random_mbi(rng: random.Random) -> str:
    an = _ALPHA + _DIGITS
    pick = rng.choice
    return "".join((pick("123456789"), pick(_ALPHA), pick(an), pick(_DIGITS), pick(_ALPHA),
                    pick(an), pick(_DIGITS), pick(_ALPHA), pick(_ALPHA), pick(_DIGITS),
                    pick(_DIGITS)))


G_CODES = ("G0068", "G0069", "G0070")
INITIAL = {"G0068": "G0088", "G0069": "G0089", "G0070": "G0090"}


def iter_claim_segments(n_claims: int, rng: random.Random, start: date):
    """Yield (hl_parent_is_new_provider, segments) per claim as lists of element lists."""
    for i in range(n_claims):
        mbi = random_mbi(rng)
        code = rng.choice(G_CODES)
        first = start + timedelta(days=rng.randrange(0, 300))
        lines = []
        total = 0
        for k in range(3):
            dos = first + timedelta(days=7 * k)
            c = INITIAL[code] if k == 0 and rng.random() < 0.2 else code
            charge = rng.choice((150, 175, 200, 250, 300))
            total += charge
            lines.append((c, charge, rng.choice((1, 4, 8)), dos, f"{i + 1}-{k + 1}"))
        yield mbi, total, lines


def write_hit_837(path, n_claims: int, *, claims_per_st: int | None = None, seed: int = 1,
                  providers: int = 3, line_break: bool = True) -> int:
    """Write the file; returns the number of segments written."""
    rng = random.Random(seed)
    nl = "~\n" if line_break else "~"
    npis = [npi_with_check_digit(f"{123456780 + p:09d}") for p in range(providers)]
    per_st = claims_per_st or n_claims
    segments = 0
    with open(path, "w", encoding="ascii", newline="") as out:
        def put(*elements):
            nonlocal segments, st_count
            out.write("*".join(elements) + nl)
            segments += 1
            st_count += 1

        st_count = 0
        out.write("ISA*00*          *00*          *ZZ*EDIHITSYNTH    *ZZ*MEDICAREAB     "
                  "*261101*1200*^*00501*000000001*0*T*:" + nl)
        out.write("GS*HC*EDIHITSYNTH*MEDICAREAB*20261101*1200*1*X*005010X222A1" + nl)
        segments += 2
        claims = iter_claim_segments(n_claims, rng, date(2026, 1, 5))
        n_st = 0
        done = 0
        while done < n_claims:
            n_st += 1
            st_count = 0
            put("ST", "837", f"{n_st:04d}", "005010X222A1")
            put("BHT", "0019", "00", f"SYN{n_st}", "20261101", "1200", "CH")
            put("NM1", "41", "2", "EDI HIT SYNTHETIC BILLING", "", "", "", "", "46", "EDIHITSYNTH")
            put("PER", "IC", "BILLING DESK", "TE", "5555550100")
            put("NM1", "40", "2", "MEDICARE AB", "", "", "", "", "46", "MEDICAREAB")
            hl = 0
            batch = min(per_st, n_claims - done)
            per_provider = -(-batch // providers)
            for p in range(providers):
                chunk = min(per_provider, batch - p * per_provider)
                if chunk <= 0:
                    break
                hl += 1
                parent = hl
                put("HL", str(hl), "", "20", "1")
                put("PRV", "BI", "PXC", "3336H0001X")
                put("NM1", "85", "2", f"HOME INFUSION SUPPLIER {p + 1}", "", "", "", "", "XX", npis[p])
                put("N3", f"{100 + p} MAIN STREET")
                put("N4", "BALTIMORE", "MD", "212011234")
                put("REF", "EI", f"52{p:07d}")
                for _ in range(chunk):
                    mbi, total, lines = next(claims)
                    done += 1
                    hl += 1
                    put("HL", str(hl), str(parent), "22", "0")
                    put("SBR", "P", "18", "", "", "", "", "", "", "MB")
                    put("NM1", "IL", "1", "DOE", "PAT", "", "", "", "MI", mbi)
                    put("N3", "1 ELM STREET")
                    put("N4", "BALTIMORE", "MD", "212011234")
                    put("DMG", "D8", "19450101", "F")
                    put("NM1", "PR", "2", "MEDICARE", "", "", "", "", "PI", "12302")
                    put("CLM", f"PCN{done:08d}", str(total), "", "", "12:B:1", "Y", "A", "Y", "Y")
                    put("HI", "ABK:B20")
                    for n, (code, charge, units, dos, lcn) in enumerate(lines, 1):
                        put("LX", str(n))
                        put("SV1", f"HC:{code}", str(charge), "UN", str(units), "", "", "1")
                        put("DTP", "472", "D8", dos.strftime("%Y%m%d"))
                        put("REF", "6R", lcn)
            put("SE", str(st_count + 1), f"{n_st:04d}")
        out.write(f"GE*{n_st}*1" + nl)
        out.write("IEA*1*000000001" + nl)
        segments += 2
    return segments


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("claims", type=int)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--claims-per-st", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    n = write_hit_837(args.output, args.claims, claims_per_st=args.claims_per_st, seed=args.seed)
    print(f"wrote {args.output}: {args.claims} claims, {n} segments")


if __name__ == "__main__":
    main()
