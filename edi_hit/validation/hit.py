# Identifier checks and the HIT payer edits (level 4), as small pure functions.
#
# Strategy: each check takes plain values and returns None when the value passes or
# a sentence saying what is wrong, so the 837P checker (x837.py) only decides where
# to report. The HIT code table is helper B's dated table (edi_hit/data/hit_codes.json
# through edi_hit.pricing.codes); nothing here embeds a code list.
#
#   NPI: 10 digits whose last digit is the Luhn check digit of "80840" + the first 9
#        (the ISO 7812 card-issuer prefix for US health applications).
#   MBI: 11 characters, CMS "Medicare Beneficiary Identifier" format:
#        pos 1 digit 1-9; 2, 5, 8, 9 letter; 3, 6 letter or digit; 4, 7, 10, 11 digit;
#        letters exclude S, L, O, I, B, Z.
from __future__ import annotations

import re
from datetime import date

__all__ = ["npi_problem", "mbi_problem", "luhn_ok", "hit_code_problem", "HOME_POS"]

HOME_POS = frozenset({"12"})   # hit-rules C2: the accepted place-of-service set

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


def hit_code_problem(codes, code: str, day: date | None) -> str | None:
    """E1: the code is an HIT G-code and valid on the date of service."""
    if not codes.hit_code_known(code):
        return f"{code} is not a home infusion therapy G-code (G0068-G0070, G0088-G0090)"
    if day is not None and codes.hit_code(code, day) is None:
        return f"{code} is not valid on the date of service {day.isoformat()}"
    return None
