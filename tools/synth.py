"""Synthetic HIT 837P files for benchmarks and large tests.

Writes a valid 005010X222A1 837P (pyx12 accepts it) of N claims from one or more HIT
suppliers, each claim with three G-code visit lines (about 21 segments a claim). All
data is made up; NPIs carry a valid check digit. Deterministic for a given seed.

Claim orders (--order), the thing that decides how much a run must hold in memory:
  unique       every claim its own beneficiary (the default, and the only order before)
  friendly     --beneficiaries members, each member's claims one after another
  shuffled     the same claims as friendly, in a random order
  interleaved  the same claims, round robin over the members (claim k is member k mod B)
In friendly, shuffled and interleaved, claim k of the canonical numbering is the same
claim (member, supplier, CLM01, lines) whatever the order; a member's supplier is
member mod --providers, and a new 2000A billing provider loop starts whenever the
supplier changes from one claim to the next (so interleaved files have more segments).

    python tools/synth.py 10000 -o /tmp/hit-10k.837 [--claims-per-st 5000] [--seed 1]
    python tools/synth.py 1000000 -o /tmp/hit-1m.837 --order shuffled --beneficiaries 100

Import it from benchmarks: `write_hit_837(path, n_claims, claims_per_st=None, seed=1,
order="unique", beneficiaries=100)`.
"""
from __future__ import annotations

import argparse
import random
from array import array
from datetime import date, timedelta

from edi_hit.validation.hit import npi_check_digit

_ALPHA = "ACDEFGHJKMNPQRTUVWXY"  # MBI letters: no S, L, O, I, B, Z
_DIGITS = "0123456789"
ORDERS = ("unique", "friendly", "shuffled", "interleaved")


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


def _claim_content(k: int, seed: int, start: date):
    """The lines of canonical claim k (same content in every order): (total, lines)."""
    rng = random.Random(seed * 1_000_003 + k)
    code = rng.choice(G_CODES)
    first = start + timedelta(days=rng.randrange(0, 300))
    lines, total = [], 0
    for n in range(3):
        c = INITIAL[code] if n == 0 and rng.random() < 0.2 else code
        charge = rng.choice((150, 175, 200, 250, 300))
        total += charge
        lines.append((c, charge, rng.choice((1, 4, 8)), first + timedelta(days=7 * n),
                      f"{k + 1}-{n + 1}"))
    return total, lines


def claim_order(n_claims: int, order: str, beneficiaries: int, seed: int):
    """The canonical claim numbers in file order (friendly, shuffled, interleaved)."""
    b = max(1, min(beneficiaries, n_claims))
    if order == "interleaved":
        return range(n_claims)
    friendly = array("l", (k for m in range(b) for k in range(m, n_claims, b)))
    if order == "shuffled":
        random.Random(seed).shuffle(friendly)
    return friendly


class _Writer:
    def __init__(self, out, nl: str):
        self.out, self.nl = out, nl
        self.segments = self.st_count = 0

    def put(self, *elements):
        self.out.write("*".join(elements) + self.nl)
        self.segments += 1
        self.st_count += 1

    def header(self):
        self.out.write("ISA*00*          *00*          *ZZ*EDIHITSYNTH    *ZZ*MEDICAREAB     "
                       "*261101*1200*^*00501*000000001*0*T*:" + self.nl)
        self.out.write("GS*HC*EDIHITSYNTH*MEDICAREAB*20261101*1200*1*X*005010X222A1" + self.nl)
        self.segments += 2

    def start_st(self, n_st: int):
        self.st_count = 0
        put = self.put
        put("ST", "837", f"{n_st:04d}", "005010X222A1")
        put("BHT", "0019", "00", f"SYN{n_st}", "20261101", "1200", "CH")
        put("NM1", "41", "2", "EDI HIT SYNTHETIC BILLING", "", "", "", "", "46", "EDIHITSYNTH")
        put("PER", "IC", "BILLING DESK", "TE", "5555550100")
        put("NM1", "40", "2", "MEDICARE AB", "", "", "", "", "46", "MEDICAREAB")

    def end_st(self, n_st: int):
        self.put("SE", str(self.st_count + 1), f"{n_st:04d}")

    def provider(self, hl: int, p: int, npi: str):
        put = self.put
        put("HL", str(hl), "", "20", "1")
        put("PRV", "BI", "PXC", "3336H0001X")
        put("NM1", "85", "2", f"HOME INFUSION SUPPLIER {p + 1}", "", "", "", "", "XX", npi)
        put("N3", f"{100 + p} MAIN STREET")
        put("N4", "BALTIMORE", "MD", "212011234")
        put("REF", "EI", f"52{p:07d}")

    def claim(self, hl: int, parent: int, mbi: str, pcn: str, total: int, lines):
        put = self.put
        put("HL", str(hl), str(parent), "22", "0")
        put("SBR", "P", "18", "", "", "", "", "", "", "MB")
        put("NM1", "IL", "1", "DOE", "PAT", "", "", "", "MI", mbi)
        put("N3", "1 ELM STREET")
        put("N4", "BALTIMORE", "MD", "212011234")
        put("DMG", "D8", "19450101", "F")
        put("NM1", "PR", "2", "MEDICARE", "", "", "", "", "PI", "12302")
        put("CLM", pcn, str(total), "", "", "12:B:1", "Y", "A", "Y", "Y")
        put("HI", "ABK:B20")
        for n, (code, charge, units, dos, lcn) in enumerate(lines, 1):
            put("LX", str(n))
            put("SV1", f"HC:{code}", str(charge), "UN", str(units), "", "", "1")
            put("DTP", "472", "D8", dos.strftime("%Y%m%d"))
            put("REF", "6R", lcn)

    def footer(self, n_st: int):
        self.out.write(f"GE*{n_st}*1" + self.nl)
        self.out.write("IEA*1*000000001" + self.nl)
        self.segments += 2


def write_hit_837(path, n_claims: int, *, claims_per_st: int | None = None, seed: int = 1,
                  providers: int = 3, line_break: bool = True, order: str = "unique",
                  beneficiaries: int = 100, member_seed: int | None = None) -> int:
    """Write the file; returns the number of segments written. member_seed (friendly,
    shuffled, interleaved): draw the members from this seed instead of `seed`, so that
    files of different seeds (different claims) share their beneficiaries."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    npis = [npi_with_check_digit(f"{123456780 + p:09d}") for p in range(providers)]
    per_st = claims_per_st or n_claims
    with open(path, "w", encoding="ascii", newline="") as out:
        w = _Writer(out, "~\n" if line_break else "~")
        w.header()
        if order == "unique":
            n_st = _write_unique(w, n_claims, per_st, random.Random(seed), npis)
        else:
            n_st = _write_ordered(w, n_claims, per_st, seed, npis, order, beneficiaries,
                                  seed if member_seed is None else member_seed)
        w.footer(n_st)
    return w.segments


def _write_unique(w: _Writer, n_claims: int, per_st: int, rng: random.Random, npis) -> int:
    """Every claim its own member; each ST split into one 2000A loop per supplier."""
    claims = iter_claim_segments(n_claims, rng, date(2026, 1, 5))
    n_st = done = 0
    while done < n_claims:
        n_st += 1
        w.start_st(n_st)
        hl = 0
        batch = min(per_st, n_claims - done)
        per_provider = -(-batch // len(npis))
        for p in range(len(npis)):
            chunk = min(per_provider, batch - p * per_provider)
            if chunk <= 0:
                break
            hl += 1
            parent = hl
            w.provider(hl, p, npis[p])
            for _ in range(chunk):
                mbi, total, lines = next(claims)
                done += 1
                hl += 1
                w.claim(hl, parent, mbi, f"PCN{done:08d}", total, lines)
        w.end_st(n_st)
    return n_st


def _write_ordered(w: _Writer, n_claims: int, per_st: int, seed: int, npis, order: str,
                   beneficiaries: int, member_seed: int) -> int:
    rng = random.Random(member_seed)
    b = max(1, min(beneficiaries, n_claims))
    mbis: list[str] = []
    seen: set[str] = set()
    while len(mbis) < b:
        m = random_mbi(rng)
        if m not in seen:
            seen.add(m)
            mbis.append(m)
    start = date(2026, 1, 5)
    n_st = 0
    hl = parent = 0
    supplier = None
    for pos, k in enumerate(claim_order(n_claims, order, b, seed)):
        if pos % per_st == 0:
            if n_st:
                w.end_st(n_st)
            n_st += 1
            w.start_st(n_st)
            hl, supplier = 0, None
        member = k % b
        p = member % len(npis)
        if p != supplier:
            hl += 1
            parent, supplier = hl, p
            w.provider(hl, p, npis[p])
        total, lines = _claim_content(k, seed, start)
        hl += 1
        w.claim(hl, parent, mbis[member], f"PCN{k + 1:08d}", total, lines)
    if n_st:
        w.end_st(n_st)
    return n_st


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("claims", type=int)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--claims-per-st", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--order", choices=ORDERS, default="unique",
                    help="claim order (module docstring); default: unique")
    ap.add_argument("--beneficiaries", type=int, default=100,
                    help="members of friendly, shuffled and interleaved files")
    ap.add_argument("--member-seed", type=int, default=None,
                    help="draw the members from this seed (files that share beneficiaries)")
    args = ap.parse_args(argv)
    n = write_hit_837(args.output, args.claims, claims_per_st=args.claims_per_st, seed=args.seed,
                      order=args.order, beneficiaries=args.beneficiaries,
                      member_seed=args.member_seed)
    print(f"wrote {args.output}: {args.claims} claims ({args.order}), {n} segments")


if __name__ == "__main__":
    main()
