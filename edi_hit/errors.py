# One error hierarchy for the whole package, and the Finding record.
#
# Strategy: bad input never escapes as a Python traceback. Every stage raises a
# subclass of EdiHitError that carries *where* (file, segment number, segment id,
# element position) and *what* (expected, got); the CLI turns it into one line and
# exit status 1. Problems that do not stop reading (a count that does not match, an
# unknown version) are Findings: plain records collected by the reader and reported.
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["EdiHitError", "X12Error", "LimitError", "DataError", "ArgumentError",
           "UnreadableInput", "ConfigError", "EdiHitWarning", "IllustrativeRatesWarning",
           "Finding", "format_location"]


def format_location(file: object = None, segment_index: int | None = None,
                    segment_id: str | None = None, element: str | None = None) -> str:
    """'claims.837: segment 57 (SV1), element SV102' with whatever parts are known."""
    parts = []
    if file:
        parts.append(str(file))
    where = []
    if segment_index is not None:
        where.append(f"segment {segment_index}" + (f" ({segment_id})" if segment_id else ""))
    elif segment_id:
        where.append(f"segment {segment_id}")
    if element:
        where.append(f"element {element}")
    if where:
        parts.append(", ".join(where))
    return ": ".join(parts)


class EdiHitError(Exception):
    """Base class of every error edi-hit raises on purpose.

    exit_code is the command line's exit status for it: 1 bad or rejected input,
    2 input that cannot be read at all or a configuration that is wrong (usage)."""

    exit_code = 1


class X12Error(EdiHitError):
    """Bad X12 input (or a value the writer cannot put into X12).

    str(err) reads: "claims.837: segment 57 (SV1), element SV102: expected a
    decimal amount, got '12O.00'".
    """

    def __init__(self, message: str, *, file: object = None, segment_index: int | None = None,
                 segment_id: str | None = None, element: str | None = None,
                 expected: str | None = None, got: str | None = None):
        self.message = message
        self.file = None if file is None else str(file)
        self.segment_index = segment_index
        self.segment_id = segment_id
        self.element = element
        self.expected = expected
        self.got = got
        super().__init__(str(self))

    def describe(self) -> str:
        """The 'what' part of the message, without the location."""
        text = self.message
        if self.expected is not None:
            text = f"{text}: expected {self.expected}" if text else f"expected {self.expected}"
            if self.got is not None:
                text += f", got {self.got!r}"
        elif self.got is not None:
            text += f" (got {self.got!r})"
        return text

    def __str__(self) -> str:
        loc = format_location(self.file, self.segment_index, self.segment_id, self.element)
        return f"{loc}: {self.describe()}" if loc else self.describe()

    def to_finding(self, code: str = "x12", **context: str | None) -> "Finding":
        return Finding("error", code, self.describe(), file=self.file,
                       segment_index=self.segment_index, segment_id=self.segment_id,
                       element=self.element, **context)


class LimitError(X12Error):
    """Input beyond a configured bound: a segment or element longer than the reader
    allows (max_segment_length, max_element_length). The message names the byte offset."""


class DataError(EdiHitError):
    """Bad non-X12 input: JSON that fails the schema, a CSV without the needed columns."""


class UnreadableInput(X12Error):
    """An input that cannot be opened or read (missing, a directory, no permission):
    a usage problem, exit status 2, the same in every command."""

    exit_code = 2


class ConfigError(DataError):
    """A data or configuration file (rates, conventions, payer, contracts, suppliers,
    edi-hit.toml) that fails its schema: the message names the file and the JSON path of
    the offending key. A usage problem: exit status 2."""

    exit_code = 2


class EdiHitWarning(UserWarning):
    """Base class of the warnings edi-hit gives (warnings.warn): results to read with
    care, not errors. The command line shows each as one 'edi-hit: warning:' line."""


class IllustrativeRatesWarning(EdiHitWarning):
    """Pricing with a rate table marked illustrative (the shipped one): the amounts are
    not CMS's. Pass a real table (edi-hit rates import, --rates) to silence it."""


class ArgumentError(EdiHitError, ValueError):
    """An argument of the public API with a value it cannot take (errors="ignore",
    levels=(5,)). Also a ValueError, as Python code expects of a bad value."""


@dataclass(slots=True)
class Finding:
    """A problem found in input that did not stop the read."""

    severity: str  # "error" | "warning" | "info"
    code: str
    message: str
    file: str | None = None
    segment_index: int | None = None
    segment_id: str | None = None
    element: str | None = None
    interchange_control: str | None = None
    group_control: str | None = None
    transaction_control: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        loc = format_location(self.file, self.segment_index, self.segment_id, self.element)
        return f"{loc}: {self.severity}: {self.message}" if loc else f"{self.severity}: {self.message}"
