# `edi-hit validate`: findings for X12 files, and the 999 / TA1 acknowledgments.
#
# Strategy: a thin shell over edi_hit.validation. It parses options, calls validate()
# once per file, prints the findings (text or JSON) and writes the acknowledgment
# with write_999 / write_ta1. Exit status: 0 no error-level finding, 1 at least one,
# 2 usage error (click). Bad input never raises out of here: validate() turns it
# into findings, and the one sentence for a file that is not X12 at all.
from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any
from collections.abc import Callable
from datetime import date

import click

from ..errors import EdiHitError
from ..formats import dump_document
from ..validation import ALL_LEVELS, LEVEL_NAMES, write_277ca, write_999, write_ta1
from ..validation.ack277 import control_numbers_used
from ..validation.parallel import default_jobs, validate_files
from .common import (EXIT_REJECTED, Progress, allow_rejects_option, expand_inputs, input_files,
                     now_option, open_output, output_option, progress_wanted)

ACK_TYPES = ("999", "ta1", "277ca")


def _levels(value: str, no_tr3: bool) -> tuple[int, ...]:
    try:
        levels = {int(v) for v in value.replace(" ", "").split(",") if v}
    except ValueError:
        raise click.BadParameter("a comma-separated list of level numbers 1-4, e.g. 1,3,4",
                                 param_hint="--levels") from None
    if not levels or not levels <= set(ALL_LEVELS):
        raise click.BadParameter("levels are 1, 2, 3 and 4", param_hint="--levels")
    if no_tr3:
        levels.discard(2)
    return tuple(sorted(levels | {1}))


def _summary(report) -> str:
    c = report.counts()
    parts = [f"{c['transactions']} transaction set{'s' * (c['transactions'] != 1)} "
             f"({c['transactions_accepted']} accepted, {c['transactions_rejected']} rejected)"]
    if c["claims"]:
        parts.append(f"{c['claims']} claim{'s' * (c['claims'] != 1)} "
                     f"({c['claims_accepted']} accepted, {c['claims_rejected']} rejected)")
    parts.append(f"{c['errors']} error{'s' * (c['errors'] != 1)}, "
                 f"{c['warnings']} warning{'s' * (c['warnings'] != 1)}")
    return f"{report.file or '<stdin>'}: " + "; ".join(parts)


def _text(report, limit: int | None, out) -> None:
    shown = 0
    for issue in report.issues:
        if limit is not None and shown >= limit:
            click.echo(f"{report.file or '<stdin>'}: ... {len(report.issues) - shown:,} more "
                       "findings (use --max-findings or --all-findings)", file=out)
            break
        line = str(issue)
        # "file: segment 9 (NM1), element NM109: error: msg" -> add the code and level.
        head, sep, msg = line.rpartition(f"{issue.severity}: ")
        click.echo(f"{head}{issue.severity} [L{issue.level} {issue.code}]: {msg}", file=out)
        shown += 1
    for note in report.notes:
        click.echo(f"{report.file or '<stdin>'}: note: {note}", file=out)
    click.echo(_summary(report), file=out)


@click.command("validate")
@input_files()
@output_option("Where to write the findings (text or JSON); - is stdout.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the findings.")
@click.option("--levels", default="1,2,3,4", show_default=True, metavar="1,2,3,4",
              help="Which levels to run (level 1 always runs).")
@click.option("--no-tr3", is_flag=True,
              help="Skip level 2 (the implementation guide).")
@click.option("--engine", type=click.Choice(["edi-hit", "pyx12"]), default="edi-hit",
              show_default=True,
              help="Who checks level 2: edi-hit's own engine, compiled from pyx12's maps, or "
                   "pyx12 itself (the reference; about 4,000 segments a second).")
@click.option("--hit", "hit_mode", type=click.Choice(["auto", "all", "none"]), default="auto",
              show_default=True,
              help="Which 837P claims get the HIT edits: those with an HIT G-code (auto), "
                   "every claim (all), or none.")
@click.option("--ack", "ack_output", metavar="FILE",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="Also write an acknowledgment to FILE ('-' for stdout; the findings then "
                   "go to stderr), of the kind --ack-type says.")
@click.option("--ack-type", type=click.Choice(ACK_TYPES), default="999", show_default=True,
              help="999: one per functional group; ta1: one per interchange; 277ca: a "
                   "005010X214 claim acknowledgment with a status for every 837P claim.")
@now_option("The date that 'in the future' is measured from, and the acknowledgment's "
            "date (YYYY-MM-DD[THH:MM]; default: now).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), hidden=True,
              deprecated="use --now")
@click.option("--conventions", type=click.Path(exists=True, dir_okay=False), metavar="JSON",
              envvar="EDI_HIT_CONVENTIONS",
              help="Project conventions for the HIT edits, as for price (home POS set C2, "
                   "denial codes).")
@allow_rejects_option
@click.option("--max-findings", type=click.IntRange(min=1), default=200, show_default=True,
              help="Text format: findings printed per file.")
@click.option("--all-findings", is_flag=True,
              help="List every finding (text and JSON); by default text shows --max-findings "
                   "and JSON at most 1,000 of each kind. Counts are exact either way.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes to use: one file each; one large file is cut between its "
                   "transaction sets, a run of sets per process (a file of one huge set: "
                   "level 2 beside the others) [default: the cores available].")
def validate_command(files, output, fmt, levels, no_tr3, engine, hit_mode, ack_output,
                     ack_type, now, today, conventions, allow_rejects, max_findings,
                     all_findings, jobs):
    """Check X12 837P / 835 files and say exactly what is wrong.

    \b
    Levels:
      1  syntax and envelope: delimiters, segment ids, ISA/GS/ST control numbers, counts
      2  implementation guide (TR3 005010X222A1 / 005010X221A1): edi-hit's engine,
         compiled from pyx12's maps (--engine pyx12: pyx12 itself, slow)
      3  balancing and cross-field: CLM02 = sum of SV102, 835 equations, dates, HL links
      4  HIT edits: NPI check digit, MBI format, and the pricer's own rules that need
         only the file: G-code valid on the date and billed to the A/B MAC, home POS,
         whole units, one day a line, one payment per category per day, initial-visit
         gap (supplier enrolment, the DME drug and the rate need `price`)

    \b
    Examples:
      edi-hit validate claims.837                     all four levels, text
      edi-hit validate --no-tr3 big.837               skip the implementation guide
      edi-hit validate --engine pyx12 claims.837      level 2 by pyx12 (the reference)
      edi-hit validate --levels 1,3 remit.835         envelope and balancing only
      edi-hit validate claims.837 --format json       findings as JSON
      edi-hit validate big.837 --all-findings         every finding, however many
      edi-hit validate claims.837 --ack claims.999
      edi-hit validate claims.837 --ack - --ack-type ta1   TA1 on stdout, findings on stderr
      edi-hit validate claims.837 --ack claims.277 --ack-type 277ca   per claim
      edi-hit validate in/ --hit all                  every claim must be an HIT claim
      edi-hit validate in/ --conventions c.json     the HIT edits under your conventions
      edi-hit validate -j 1 in/*.837                  one process (default: all cores)

    \b
    Each finding names the file, segment number, segment id and element:
      claims.837: segment 57 (SV1), element SV104: error [L4 units-missing]: ...

    Exit status: 0 when no finding is an error, 1 when one is (0 with
    --allow-rejects), 2 on usage errors.
    (Before: --ack KIND -o FILE; still understood, with a warning.)
    """
    chosen = _levels(levels, no_tr3)
    ack, ack_output, output = _ack_spelling(ack_output, ack_type, output)
    if today is not None and now is None:
        now = today
    day = now.date() if now else date.today()
    reports = []
    paths = expand_inputs(files)
    sources = [sys.stdin.buffer if path == "-" else path for path in paths]
    if ack == "277ca":   # the 277CA reads each 837P a second time: stdin is kept
        sources = [s.read() if s is sys.stdin.buffer else s for s in sources]
    names = ["<stdin>" if path == "-" else path for path in paths]
    if ack_output == "-" and output == "-":    # the acknowledgment has stdout
        findings: Any = contextlib.nullcontext(sys.stderr)
    else:
        findings = open_output(output, inputs=paths, others=[("--ack", ack_output)])
    # the findings' stream may be the terminal: then no progress beside it
    progress = Progress("validate", total=len(sources), unit="files",
                        enabled=progress_wanted(output))
    with findings as out, progress:
        for report in progress.wrap(validate_files(
                sources, names=names, jobs=jobs or default_jobs(), levels=chosen, today=day,
                hit=hit_mode, engine=engine, conventions=conventions)):
            reports.append(report)
            if fmt == "text":
                _text(report, None if all_findings else max_findings, out)
        if fmt == "json":
            doc = {"levels": {str(k): LEVEL_NAMES[k] for k in chosen},
                   "valid": all(r.ok for r in reports),
                   "files": [r.to_dict(all_findings) for r in reports]}
            dump_document(doc, out)
    if ack:
        _write_ack(ack, ack_output, reports, sources, paths, now=now,
                   others=[] if output == "-" else [("-o", output)])
    if not all(r.ok for r in reports) and not allow_rejects:
        sys.exit(EXIT_REJECTED)


def _ack_spelling(ack_output, ack_type, output):
    """(kind, ack file, findings output). The old spelling `--ack 999 -o FILE` (the kind
    in --ack, the acknowledgment in -o) is still understood, with a warning."""
    if ack_output in ACK_TYPES and not os.path.exists(ack_output):
        click.echo(f"edi-hit: warning: --ack {ack_output} -o FILE is deprecated; use "
                   f"--ack FILE --ack-type {ack_output}", err=True)
        if output == "-" and not _given("output"):
            raise click.UsageError(f"--ack {ack_output} needs the acknowledgment file: "
                                   f"--ack FILE --ack-type {ack_output}")
        return ack_output, output, "-"
    return (ack_type if ack_output else None), ack_output, output


def _given(name: str) -> bool:
    ctx = click.get_current_context()
    return ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE


def _write_ack(kind, path, reports, sources, inputs=(), *, now=None, others=()) -> None:
    source_of = {id(r): s for r, s in zip(reports, sources)}
    writers: dict[str, Callable[..., object]] = {"999": write_999, "ta1": write_ta1,
              "277ca": lambda r, stream, **kw: write_277ca(r, source_of[id(r)], stream, **kw)}
    writer = writers[kind]
    usable = [r for r in reports if r.interchanges]
    for r in reports:
        if not r.interchanges:
            click.echo(f"{r.file or '<stdin>'}: no {kind.upper()} written for this file: it has "
                       "no interchange to acknowledge", err=True)
    if not usable:
        return
    control = 1
    with open_output(path, binary=True, label="--ack", inputs=inputs, others=others) as stream:
        for r in usable:
            try:
                writer(r, stream, control_number=control, now=now)
            except EdiHitError as exc:
                click.echo(f"{r.file or '<stdin>'}: no {kind.upper()} written: {exc}", err=True)
                continue
            control += control_numbers_used(r) if kind == "277ca" else len(r.interchanges)
