# `edi-hit parse` and `edi-hit generate`: 837P <-> claim JSON / NDJSON / XML.
#
# Thin shells: the library reads and writes; these commands pick files, formats and
# streams. Output is streamed claim by claim (a JSON array is written element by
# element), so a file of a million claims never sits in memory.
from __future__ import annotations

import json
import sys
from typing import Any
from datetime import datetime

import click

from ..errors import DataError
from ..formats import dump_document, dump_line
from ..x12.prescan import spool
from .common import (allow_rejects_option, expand_inputs, finish, input_files, now_option,
                     open_output, output_option, progress_claims, strict_option)

FORMATS = ("json", "ndjson", "xml")


@click.command()
@input_files()
@output_option("Output file; - is stdout.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="json: one array; ndjson: one claim a line; xml: <claims> document.")
@click.option("--reject-report", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the counts, the rejected claims and the findings here as JSON.")
@allow_rejects_option
@strict_option
@click.option("--lenient", is_flag=True,
              help="Convert imperfect files: envelope count and control-number mismatches "
                   "(SE01, SE02, GE01, GE02, IEA01, IEA02) are warnings and the claims are "
                   "kept; a broken claim is still rejected.")
def parse(files, output, fmt, reject_report, allow_rejects, strict, lenient):
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

    A broken claim is rejected and the others go on, as a clearinghouse does:
    a bad value inside a claim rejects that claim; one in the billing provider or
    subscriber rejects the claims under it; a wrong SE01/SE02 or a missing SE
    rejects the claims of that transaction set. Rejected claims are left out of
    the output and listed on stderr, or in the --reject-report file:

    \b
      edi-hit parse in.837 -o claims.json --reject-report rejects.json
      parse: 3 claims, 2 accepted, 1 rejected (see rejects.json)
      {"counts": {"seen": 3, "accepted": 2, "rejected": 1},
       "rejected": [{"reason": "segment 45 (SV1), element SV102: ...",
                     "patient_control_number": "HIT-2026-0002", ...}],
       "findings": [...]}

    --lenient converts a file whose envelope counts are wrong (SE01 says 25
    segments, the set has 147): the claims come out, with a warning on stderr.
    --strict stops at the first problem instead, with one line and no output.

    \b
    Exit status: 0 every claim accepted and no envelope error; 1 a claim was
    rejected or the envelope has an error (the accepted claims are still
    written: forward them, send the report back), or the input is not X12;
    with --allow-rejects, 0 whenever the files could be read.
    """
    from ..x837p import RejectLog, read_837p

    log = RejectLog()
    options: dict[str, Any] = {"errors": "raise" if strict else "reject",
                               "envelope": "warn" if lenient else "reject"}

    def claims():
        for name in expand_inputs(files):
            if name == "-":
                # A pipe cannot be read twice; spooled, the reader can pre-check the
                # envelopes and stream claims instead of holding a transaction set.
                source = spool(sys.stdin)
                try:
                    yield from log.accepted(read_837p(source, name="<stdin>", **options))
                finally:
                    if source is not sys.stdin.buffer:
                        source.close()
            else:
                yield from log.accepted(read_837p(name, name=name, **options))

    with open_output(output, binary=(fmt == "xml"), inputs=expand_inputs(files),
                     others=[("--reject-report", reject_report)]) as out:
        stream = progress_claims(claims(), "parsing", enabled=output != "-")
        if fmt == "ndjson":
            for claim in stream:
                out.write(dump_line(claim.to_dict()))
        elif fmt == "json":
            sep = "[\n"  # written with the first claim, so an error leaves stdout clean
            for claim in stream:
                out.write(sep)
                out.write(dump_line(claim.to_dict())[:-1])   # one compact claim a line
                sep = ",\n"
            out.write("[]\n" if sep == "[\n" else "\n]\n")
        else:
            from ..x837p.convert import write_claims_xml
            write_claims_xml(stream, out)
    if reject_report:
        with open_output(reject_report, label="--reject-report", inputs=expand_inputs(files),
                         others=[("-o", output)]) as fh:
            dump_document(log.to_dict(), fh)
    elif not log.clean:
        for line in log.lines():
            click.echo(line, err=True)
    warned = _warning_lines(log) if lenient and not reject_report else []
    for line in warned:
        click.echo(line, err=True)
    if reject_report or not log.clean or warned:
        click.echo(log.summary("parse", reject_report), err=True)
    finish(not log.clean, allow_rejects)


def _warning_lines(log, limit: int = 10) -> list[str]:
    """The envelope mismatches --lenient let through, one line each."""
    from ..x12.envelope import MISMATCH_CODES

    found = [f for f in log.warnings if f.code in MISMATCH_CODES]
    lines = [str(f) for f in found[:limit]]
    if len(found) > limit:
        lines.append(f"... and {len(found) - limit} more envelope warnings")
    return lines


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
@input_files()
@output_option("837P file to write; - is stdout.")
@click.option("--sender", help="ISA06/GS02 sender id (default: the first claim's envelope).")
@click.option("--receiver", help="ISA08/GS03 receiver id (default: the first claim's envelope).")
@click.option("--control-number", type=click.IntRange(1, 999_999_999), default=1, show_default=True,
              help="ISA13/GS06 control number.")
@now_option("Timestamp for ISA09/10, GS04/05 and BHT (YYYY-MM-DD[THH:MM]; fixed output "
            "for tests).")
@click.option("--usage", type=click.Choice(["P", "T"]), default=None,
              help="ISA15: P production, T test (default: the first claim's envelope "
                   "usage_indicator, else P).")
@allow_rejects_option
@strict_option
def generate(files, output, sender, receiver, control_number, now, usage, allow_rejects,
             strict):
    """Build an 837P (005010X222A1) from claim JSON or NDJSON.

    \b
    Examples:
      edi-hit generate claims.json -o claims.837
      edi-hit generate claims.ndjson --sender MYCLEARINGHOUSE --receiver MEDICAREAB -o out.837
      edi-hit parse in.837 | edi-hit generate - --now 2026-11-01T12:00 -o same.837

    Each claim is checked against schemas/claim.schema.json first; one that fails
    is rejected with a line naming the file and the JSON path
    (claims[3].lines[0].charge: ...) and the others are written (--strict: stop
    at the first). Exit status 1 when a claim was rejected, unless --allow-rejects.
    """
    from .. import schemas
    from ..claims import Claim
    from ..x837p import write_837p

    claims, rejected = [], 0
    for path in expand_inputs(files):
        dicts, prefix = _load_claim_dicts(path)
        name = "<stdin>" if path == "-" else path
        for n, d in enumerate(dicts):
            where = f"{prefix}{n + 1}" if prefix == "line " else f"{prefix}[{n}]"
            try:
                schemas.check(d, "claim", source=name, prefix=where)
            except DataError as exc:
                if strict:
                    raise
                click.echo(f"edi-hit: claim rejected: {exc}", err=True)
                rejected += 1
                continue
            claims.append(Claim.from_dict(d))
    if not claims:
        raise DataError("no claims in the input" + (" accepted" if rejected else ""))
    env = claims[0].envelope
    usage = usage or (env.usage_indicator if env and env.usage_indicator in ("P", "T") else "P")
    sender = sender or (env.sender_id if env else None)
    receiver = receiver or (env.receiver_id if env else None)
    if not sender or not receiver:
        raise click.UsageError("the claims carry no envelope: give --sender and --receiver")
    with open_output(output, binary=True, inputs=files) as out:
        write_837p(claims, out, sender_id=sender, receiver_id=receiver,
                   control_number=control_number, now=now or datetime.now(), usage=usage)
    if rejected:
        click.echo(f"generate: {len(claims) + rejected} claims, {len(claims)} written, "
                   f"{rejected} rejected", err=True)
    finish(rejected, allow_rejects)
