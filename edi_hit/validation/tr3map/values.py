# Data element values: X12 data types, as the TR3 level judges them.
#
# Strategy: small pure functions, one per question (is this a valid date, a time,
# a number, which characters are outside the character set), written to give
# pyx12's answers (pyx12/validation.py) for every input, because pyx12 is the
# reference the TR3 engine is checked against. Dates and times repeat a great deal
# in a file, so their answers are memoised.
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["valid_type", "control_character", "BAD_CHAR", "NUMBER", "DECIMAL"]

# The X12 5010 extended character set (pyx12 rec_ID_E5), and the basic one (00401).
BAD_CHAR = {
    "00501": re.compile(r"""[^A-Z0-9!"&'()*+,\-\./:;?= a-z%~@\[\]_{}\\|<>^`#$]""", re.S | re.A),
    "00401": re.compile(r"""[^A-Z0-9!"&'()*+,\-\./:;?= a-z%~@\[\]_{}\\|<>#$]""", re.S | re.A),
}
NUMBER = re.compile(r"-?[0-9]+", re.A)                 # N0..N9
DECIMAL = re.compile(r"-?[0-9]*(\.[0-9]+)?", re.A)     # R
_DIGITS = re.compile(r"[0-9]*", re.A)

_CONTROL = (("\x07", "BEL"), ("\x09", "HT"), ("\x0a", "LF"), ("\x0b", "VT"), ("\x0c", "FF"),
            ("\x0d", "CR"), ("\x1c", "FS"), ("\x1d", "GS"), ("\x1e", "RS"), ("\x1f", "US"),
            ("\x01", "SOH"), ("\x02", "STX"), ("\x03", "ETX"), ("\x04", "EOT"), ("\x05", "ENQ"),
            ("\x06", "ACK"), ("\x11", "DC1"), ("\x12", "DC2"), ("\x13", "DC3"), ("\x14", "DC4"),
            ("\x15", "NAK"), ("\x16", "SYN"), ("\x17", "ETB"))


def control_character(value: str) -> str | None:
    """The name of the first control character pyx12 looks for in value, else None."""
    for ch, name in _CONTROL:
        if ch in value:
            return name
    return None


@lru_cache(maxsize=4096)
def valid_date(kind: str, value: str) -> bool:
    """CCYYMMDD (also YYMMDD and CCYYMMDDHHMM for DT), year from 1800."""
    if kind == "D8" and len(value) != 8:
        return False
    if kind == "D6" and len(value) != 6:
        return False
    if not _DIGITS.fullmatch(value) or len(value) not in (6, 8, 12):
        return False
    if len(value) == 6:
        value = ("20" if int(value[:2]) < 50 else "19") + value
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if year < 1800 or not 1 <= month <= 12:
        return False
    if month in (4, 6, 9, 11):
        last = 30
    elif month == 2:
        last = 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    else:
        last = 31
    if not 1 <= day <= last:
        return False
    return len(value) != 12 or valid_time(value[8:12])


@lru_cache(maxsize=4096)
def valid_time(value: str) -> bool:
    """HHMM, HHMMSS or HHMMSSdd (string comparisons, as pyx12 makes them)."""
    if not _DIGITS.fullmatch(value):
        return False
    if value[0:2] > "23" or value[2:4] > "59":
        return False
    if len(value) > 4:
        if len(value) < 6 or value[4:6] > "59" or len(value) > 8:
            return False
    return True


def valid_type(value: str, data_type: str | None, icvn: str = "00401") -> bool:
    """pyx12's IsValidDataType. Raises ValueError where pyx12 does (an RD8 with more
    than one '-'), so a caller can tell pyx12 would have stopped there."""
    if not data_type:
        return True
    if data_type[0] == "N":
        return NUMBER.fullmatch(value) is not None
    if data_type == "R":
        return DECIMAL.fullmatch(value) is not None
    if data_type in ("ID", "AN"):
        return BAD_CHAR["00501" if icvn == "00501" else "00401"].search(value) is None
    if data_type == "RD8":
        if "-" not in value:
            return False
        start, end = value.split("-")
        return valid_date("D8", start) and valid_date("D8", end)
    if data_type in ("DT", "D8", "D6"):
        return valid_date(data_type, value)
    if data_type == "TM":
        return valid_time(value)
    return data_type == "B"
