# Reading and writing priced claims as JSON (the output of `edi-hit price`).
#
# Strategy: one JSON document {"schema", "rate_table", "claims": [...], "rejected":
# [...]} where each claim is PricedClaim.to_dict() (schemas/priced-claim.schema.json)
# and "rejected" (only when the reader refused claims) lists RejectedClaim.to_dict(). The writer
# streams one claim at a time, so a large run is never held as one big dict.
from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Iterable, Iterator

from edi_hit.errors import DataError
from edi_hit.formats import JSON_INDENT, dump_line
from edi_hit.pricing.model import PricedClaim
from edi_hit.pricing.tables import load_json

__all__ = ["write_priced", "read_priced", "FILE_SCHEMA"]

FILE_SCHEMA = "edi-hit/priced-claims/1"


def write_priced(priced: Iterable[PricedClaim], stream: IO[str], *, rates=None,
                 rejected: list | None = None) -> int:
    """Write priced claims as one JSON document; returns the number of claims.

    rejected: claims the reader refused (RejectedClaim), read when the priced claims
    are exhausted (the list may fill up while they stream); written as "rejected"."""
    head = {"schema": FILE_SCHEMA}
    if rates is not None:
        head["rate_table"] = {"name": rates.name, "illustrative": rates.illustrative,
                              "provenance": rates.provenance.to_dict()}
    # the document style of edi_hit.formats: indented head, one compact claim a line
    pad = " " * JSON_INDENT
    text = json.dumps(head, indent=JSON_INDENT)
    stream.write(text[:-2] + f',\n{pad}"claims": [')
    n = 0
    for pc in priced:
        stream.write(("," if n else "") + f"\n{pad * 2}" + dump_line(pc.to_dict())[:-1])
        n += 1
    stream.write(f"\n{pad}]")
    if rejected:
        stream.write(f',\n{pad}"rejected": [' + ",".join(
            f"\n{pad * 2}" + dump_line(r.to_dict())[:-1] for r in rejected) + f"\n{pad}]")
    stream.write("\n}\n")
    return n


def read_priced(source: str | Path | dict) -> Iterator[PricedClaim]:
    """PricedClaims from a file written by write_priced (or its parsed dict)."""
    doc = source if isinstance(source, dict) else load_json(source)
    claims = doc.get("claims")
    if doc.get("schema") != FILE_SCHEMA or not isinstance(claims, list):
        raise DataError(f"{source if not isinstance(source, dict) else 'document'}: not an edi-hit "
                        f"priced-claims file (schema {FILE_SCHEMA!r} with a 'claims' list)")
    for i, d in enumerate(claims):
        try:
            yield PricedClaim.from_dict(d)
        except (KeyError, TypeError, ValueError, ArithmeticError) as e:
            raise DataError(f"{source}: claims[{i}]: malformed priced claim ({e})") from None
