# `edi-hit parse` and `edi-hit generate`: 837P <-> claim JSON / NDJSON / XML.
#
# Thin shells: the library reads and writes; these commands pick files, formats and
# streams. Output is streamed claim by claim (a JSON array is written element by
# element), so a file of a million claims never sits in memory.
from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from ..errors import DataError
from .common import expand_inputs, open_output, progress_claims

FORMATS = ("json", "ndjson", "xml")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-o", "--output", default="-", show_default=True,
              type=click.Path(allow_dash=True, dir_okay=False), help="Output file; - is stdout.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="json: one array; ndjson: one claim a line; xml: <claims> document.")
def parse(files, output, fmt):
    """Read 837P files and write their claims as JSON, NDJSON or XML.

    \b
    Examples:
      edi-hit parse claims.837 -o claims.json
      edi-hit parse a.837 b.837 --format ndjson -o claims.ndjson
      cat claims.837 | edi-hit parse - --format xml -o -
      edi-hit parse claims.837 | jq '.[0].lines[0].charge'
      edi-hit parse inbox/ --format ndjson -o all.ndjson   (every file in a folder)

    Every claim keeps its billing provider, subscriber, payer and envelope, and
    the segments edi-hit does not name, so `generate` can write it back.
    """
    from ..x837p import read_837p

    def claims():
        for name in expand_inputs(files):
            source = sys.stdin.buffer if name == "-" else name
            yield from read_837p(source, name="<stdin>" if name == "-" else name)

    with open_output(output, binary=(fmt == "xml")) as out:
        stream = progress_claims(claims(), "parsing", enabled=output != "-")
        if fmt == "ndjson":
            for claim in stream:
                out.write(json.dumps(claim.to_dict(), separators=(",", ":")) + "\n")
        elif fmt == "json":
            sep = "[\n"  # written with the first claim, so an error leaves stdout clean
            for claim in stream:
                out.write(sep)
                out.write(json.dumps(claim.to_dict(), indent=None))
                sep = ",\n"
            out.write("[]\n" if sep == "[\n" else "\n]\n")
        else:
            from ..x837p.convert import write_claims_xml
            write_claims_xml(stream, out)


def _load_claim_dicts(path):
    """Claim dicts from a JSON array, {"claims": [...]}, one object, or NDJSON."""
    name = "<stdin>" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as exc:
        raise DataError(f"{name}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: not UTF-8 text; claim JSON is expected") from None
    stripped = text.lstrip()
    if not stripped:
        raise DataError(f"{name}: the file is empty; claim JSON is expected")
    if stripped.startswith("ISA"):
        raise DataError(f"{name}: this is already X12; use `edi-hit parse` to read it")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:  # NDJSON
            out = []
            for n, line in enumerate(lines, 1):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise DataError(f"{name}: line {n}: not JSON: {err.msg}") from None
            return out, "line "
        raise DataError(f"{name}: line {exc.lineno} column {exc.colno}: not JSON: {exc.msg}") from None
    if isinstance(doc, dict) and isinstance(doc.get("claims"), list):
        return doc["claims"], "claims"
    if isinstance(doc, dict):
        return [doc], ""
    if isinstance(doc, list):
        return doc, ""
    raise DataError(f"{name}: expected a claim object or an array of claims")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True, dir_okay=False))
@click.option("-o", "--output", default="-", show_default=True,
              type=click.Path(allow_dash=True, dir_okay=False), help="837P file to write; - is stdout.")
@click.option("--sender", help="ISA06/GS02 sender id (default: the first claim's envelope).")
@click.option("--receiver", help="ISA08/GS03 receiver id (default: the first claim's envelope).")
@click.option("--control-number", type=click.IntRange(1, 999_999_999), default=1, show_default=True,
              help="ISA13/GS06 control number.")
@click.option("--now", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
              help="Timestamp for ISA09/10, GS04/05 and BHT (fixed output for tests).")
@click.option("--usage", type=click.Choice(["P", "T"]), default="P", show_default=True,
              help="ISA15: P production, T test.")
def generate(files, output, sender, receiver, control_number, now, usage):
    """Build an 837P (005010X222A1) from claim JSON or NDJSON.

    \b
    Examples:
      edi-hit generate claims.json -o claims.837
      edi-hit generate claims.ndjson --sender MYCLEARINGHOUSE --receiver MEDICAREAB -o out.837
      edi-hit parse in.837 | edi-hit generate - --now 2026-11-01T12:00 -o same.837

    The JSON is checked against schemas/claim.schema.json first; an error names
    the file and the JSON path (claims[3].lines[0].charge: ...).
    """
    from .. import schemas
    from ..claims import Claim
    from ..x837p import write_837p

    claims = []
    for path in files:
        dicts, prefix = _load_claim_dicts(path)
        name = "<stdin>" if path == "-" else path
        for n, d in enumerate(dicts):
            where = f"{prefix}{n + 1}" if prefix == "line " else f"{prefix}[{n}]"
            schemas.check(d, "claim", source=name, prefix=where)
            claims.append(Claim.from_dict(d))
    if not claims:
        raise DataError("no claims in the input")
    env = claims[0].envelope
    sender = sender or (env.sender_id if env else None)
    receiver = receiver or (env.receiver_id if env else None)
    if not sender or not receiver:
        raise click.UsageError("the claims carry no envelope: give --sender and --receiver")
    with open_output(output, binary=True) as out:
        write_837p(claims, out, sender_id=sender, receiver_id=receiver,
                   control_number=control_number, now=now or datetime.now(), usage=usage)
