# Identifier checks, and how a HIT edit's decision becomes a level-4 finding.
#
# Strategy: each identifier check takes plain values and returns None when the value
# passes or a sentence saying what is wrong, so the 837P checker (x837.py) only decides
# where to report. The HIT edits themselves are not here: `validate` runs the pricer's
# own rule functions (edi_hit.pricing.rules, in the order of pricing.profile), so the
# code table, the home POS set (conventions C2), units and days mean the same in both.
# FINDINGS maps the conventions key of a denying decision to the finding it becomes:
# its code, where it points (the code SV101-2, the place of service SV105 or CLM05-1,
# the units SV104, the dates DTP03) and the 999 element error.
#
#   NPI: 10 digits whose last digit is the Luhn check digit of "80840" + the first 9
#        (the ISO 7812 card-issuer prefix for US health applications).
#   MBI: 11 characters, CMS "Medicare Beneficiary Identifier" format:
#        pos 1 digit 1-9; 2, 5, 8, 9 letter; 3, 6 letter or digit; 4, 7, 10, 11 digit;
#        letters exclude S, L, O, I, B, Z.
from __future__ import annotations

import re

__all__ = ["npi_problem", "mbi_problem", "luhn_ok", "npi_check_digit", "FINDINGS"]

# conventions key of the denial -> (finding code, where it points, 999 IK403 element error)
FINDINGS = {
    "E1": ("hit-code", "code", "7"),
    "E11": ("hit-wrong-contractor", "code", "7"),
    "E2": ("pos-not-home", "pos", "7"),
    "E9": ("units-missing", "units", "I12"),
    "E8": ("hit-line-span", "dates", "I12"),
    "E6_duplicate": ("duplicate-code-day", "code", "I12"),
    "E6": ("same-category-day", "code", "I12"),
    "E7": ("same-day-lower-category", "code", "I12"),
    "E5": ("initial-visit-too-soon", "code", "I12"),
}

_MBI_LETTER = "AC-HJKMNP-RT-Y"
_MBI_RE = re.compile(
    rf"[1-9][{_MBI_LETTER}][{_MBI_LETTER}0-9][0-9][{_MBI_LETTER}][{_MBI_LETTER}0-9][0-9]"
    rf"[{_MBI_LETTER}][{_MBI_LETTER}][0-9][0-9]")
_MBI_RULES = (  # (positions 1-based, allowed, words)
    ((1,), set("123456789"), "a digit 1-9"),
    ((2, 5, 8, 9), set("ACDEFGHJKMNPQRTUVWXY"), "a letter other than S, L, O, I, B, Z"),
    ((3, 6), set("ACDEFGHJKMNPQRTUVWXY0123456789"), "a letter (not S, L, O, I, B, Z) or a digit"),
    ((4, 7, 10, 11), set("0123456789"), "a digit"),
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for pos, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if pos % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def npi_check_digit(first9: str) -> str:
    """The check digit that completes a 9-digit NPI stem (Luhn over '80840' + stem)."""
    for d in "0123456789":
        if luhn_ok("80840" + first9 + d):
            return d
    raise ValueError(f"not a 9-digit NPI stem: {first9!r}")


def npi_problem(npi: str) -> str | None:
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return f"NPI {npi!r} is not 10 digits"
    if not luhn_ok("80840" + npi):
        return f"NPI {npi} fails its check digit (Luhn with the 80840 prefix)"
    return None


def mbi_problem(mbi: str) -> str | None:
    if _MBI_RE.fullmatch(mbi):
        return None
    if len(mbi) != 11:
        return f"MBI {mbi!r} is {len(mbi)} characters, not 11"
    for positions, allowed, words in _MBI_RULES:
        for p in positions:
            if mbi[p - 1] not in allowed:
                return f"MBI {mbi!r}: position {p} is {mbi[p - 1]!r}, expected {words}"
    return f"MBI {mbi!r} is not in the CMS MBI format"  # pragma: no cover
