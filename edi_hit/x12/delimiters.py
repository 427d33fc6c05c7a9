# Delimiters and the ISA segment that declares them.
#
# Strategy: an interchange declares its own delimiters in the ISA, a fixed-width
# segment of 106 characters: the element separator is the byte after "ISA", the
# repetition separator is ISA11 (from version 00501; older files put "U" there), the
# component separator is ISA16 and the segment terminator is the character after
# ISA16. Real files are not always fixed-width, so when the separators are not at
# their fixed places we fall back to splitting the ISA on its element separator, and
# say so in a Finding. Anything that cannot give the four delimiters is an X12Error.
from __future__ import annotations

from typing import NamedTuple

from ..errors import Finding, X12Error

__all__ = ["Delimiters", "parse_isa_delimiters", "ISA_LENGTH"]

ISA_LENGTH = 105  # ISA through ISA16; the terminator is the 106th character
# Widths of ISA01..ISA16 in a fixed-width ISA.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
# Offset of each element separator in a fixed-width ISA (the one before ISAnn).
_SEPARATOR_OFFSETS = []
_o = 3
for _w in ISA_WIDTHS:
    _SEPARATOR_OFFSETS.append(_o)
    _o += 1 + _w
del _o, _w

_WHITESPACE = " \t\r\n"


class Delimiters(NamedTuple):
    element: str = "*"
    repetition: str | None = "^"
    component: str = ":"
    segment: str = "~"

    def chars(self) -> str:
        """All delimiter characters, for checking values before writing them."""
        return self.element + (self.repetition or "") + self.component + self.segment


def parse_isa_delimiters(text: str, start: int = 0, *, file: str | None = None,
                         segment_index: int = 1) -> tuple[Delimiters, int, list[Finding]]:
    """Read the delimiters of the ISA that begins at text[start].

    Returns (Delimiters, isa_length, findings) where isa_length counts the ISA
    characters before its terminator. `text` must hold at least the whole ISA.
    """
    findings: list[Finding] = []
    if text[start:start + 3] != "ISA":
        raise X12Error("interchange does not start with ISA", file=file,
                       segment_index=segment_index, expected="'ISA'",
                       got=text[start:start + 3])
    if len(text) - start < 4:
        raise X12Error("file ends inside the ISA segment", file=file, segment_index=segment_index,
                       segment_id="ISA")
    elem = text[start + 3]
    if elem.isalnum() or elem in _WHITESPACE:
        raise X12Error("ISA has no usable element separator", file=file,
                       segment_index=segment_index, segment_id="ISA",
                       expected="a punctuation character after 'ISA'", got=elem)
    fixed = len(text) - start > ISA_LENGTH and all(
        text[start + off] == elem for off in _SEPARATOR_OFFSETS)
    if fixed:
        isa_len = ISA_LENGTH
        component = text[start + ISA_LENGTH - 1]
        terminator = text[start + ISA_LENGTH]
        isa11 = text[start + _SEPARATOR_OFFSETS[10] + 1]
        version = text[start + _SEPARATOR_OFFSETS[11] + 1:start + _SEPARATOR_OFFSETS[12]]
    else:
        # Not fixed-width: walk the 16 element separators.
        offsets = [start + 3]
        while len(offsets) < 16:
            nxt = text.find(elem, offsets[-1] + 1, start + 400)
            if nxt < 0:
                break
            offsets.append(nxt)
        if len(offsets) < 16 or offsets[15] + 2 >= len(text):
            raise X12Error("ISA segment is incomplete: fewer than 16 elements", file=file,
                           segment_index=segment_index, segment_id="ISA",
                           expected="16 elements separated by " + repr(elem))
        component = text[offsets[15] + 1]
        terminator = text[offsets[15] + 2]
        isa_len = offsets[15] + 2 - start
        isa11 = text[offsets[10] + 1:offsets[11]]
        isa11 = isa11[:1] if len(isa11) == 1 else "U"
        version = text[offsets[11] + 1:offsets[12]]
        findings.append(Finding(
            "error", "isa-width",
            f"ISA is {isa_len} characters long, not the fixed {ISA_LENGTH}; "
            "delimiters were read from its elements instead",
            file=file, segment_index=segment_index, segment_id="ISA"))
    if terminator in _WHITESPACE and terminator not in "\r\n":
        raise X12Error("ISA has no usable segment terminator", file=file,
                       segment_index=segment_index, segment_id="ISA", element="ISA16",
                       expected="a terminator character after ISA16", got=terminator)
    if terminator.isalnum():
        raise X12Error("ISA16 is followed by a letter or digit instead of a segment terminator",
                       file=file, segment_index=segment_index, segment_id="ISA",
                       element="ISA16", expected="one component separator then the terminator",
                       got=text[start + isa_len - 1:start + isa_len + 2])
    repetition: str | None = isa11
    if isa11.isalnum() or isa11 in (elem, component, terminator) or version < "00501":
        repetition = None  # 4010-style 'U' (or nonsense): no repetition separator
    if len({elem, component, terminator} - {None}) < 3 or repetition in (elem, component):
        raise X12Error("ISA declares the same character for two delimiters", file=file,
                       segment_index=segment_index, segment_id="ISA",
                       got=f"element {elem!r}, component {component!r}, segment {terminator!r}")
    return Delimiters(elem, repetition, component, terminator), isa_len, findings
