"""The HTML remittance report: what an 835 says, for the people who work the money.

    from edi_hit.x835 import read_835
    from edi_hit.report import write_report
    with open("report.html", "w", encoding="utf-8") as out:
        write_report(read_835("remit.835"), out, sources=["remit.835"])

It reads Remittance objects (edi_hit.x835) one at a time and writes one
self-contained page: totals that tie to BPR02, the payments, a chart of paid
against denied money by payment category and month (matplotlib, the optional
extra edi-hit[report]), denial reasons with their CARC/RARC texts, provider-level
adjustments, and one table per claim; given a reconciliation against the 837
(edi_hit.x835.reconcile), expected against paid as well.
"""
from .chart import MissingExtra
from .codes import NOT_IN_TABLE, CodeTexts, default_code_texts
from .document import write_report
from .tally import Tally, payment_category

__all__ = ["write_report", "Tally", "CodeTexts", "default_code_texts", "NOT_IN_TABLE",
           "MissingExtra", "payment_category"]
