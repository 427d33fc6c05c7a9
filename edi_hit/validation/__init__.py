"""Validation of X12 837P and 835 files, and the 999 / TA1 / 277CA acknowledgments.

Four levels, each a source of Issues (Findings with a level and 999 codes):

1. syntax and envelope (edi-hit's x12 layer): delimiters, segment ids, control
   numbers and counts;
2. the implementation guide (TR3: 005010X222A1, 005010X221A1) by edi-hit's own
   engine compiled from pyx12's maps (tr3map/), or by pyx12 itself (engine="pyx12");
3. balancing and cross-field: CLM02 = sum of SV102, the 835 equations, real dates
   not in the future, HL parent links;
4. HIT edits (payer rules): NPI check digits, MBI format, and the pricer's own HIT
   rules that need only the file (edi_hit.pricing.profile): code valid on the date
   and billed to the A/B MAC, home place of service (conventions C2), whole units,
   one day a line, one payment per category per day, the initial-visit gap.

    report = validate("claims.837", jobs=2)           # a large file: cut between its sets
    for report in validate_files(paths, jobs=2): ...   # one file per process
    report.ok, report.counts(), report.to_dict()
    write_999(report, open("claims.999", "wb"))
    write_277ca(report, "claims.837", open("claims.277", "wb"))   # claim by claim
"""
from .ack import write_999, write_ta1
from .ack277 import write_277ca
from .engine import ALL_LEVELS, validate
from .parallel import validate_files
from .report import (ClaimResult, GroupResult, InterchangeResult, Issue, TransactionResult,
                     ValidationReport, LEVEL_NAMES)

__all__ = ["validate", "validate_files", "write_999", "write_ta1", "write_277ca",
           "ValidationReport", "Issue",
           "InterchangeResult", "GroupResult", "TransactionResult", "ClaimResult",
           "ALL_LEVELS", "LEVEL_NAMES"]
