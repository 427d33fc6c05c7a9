# write_report(): Remittance objects in, one self-contained HTML page out.
#
# Strategy: a single pass over the remittances, one at a time. Each is folded into
# the Tally (the numbers of the summary) and its claim tables are written at once to
# a spool (a temporary file past a few MB), because the summary that heads the page
# is only known after the last remittance. Then the page is assembled: head, totals,
# payments, chart, reasons, PLB, expected against paid (when a reconciliation is
# given), the spooled claim tables, and a footer naming the code-text sources. Memory
# is one Remittance plus the summary counts, whatever the size of the 835.
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from datetime import date
from typing import TextIO

from .. import __version__
from ..x835.model import Remittance
from .chart import require_matplotlib
from .claims import payment_section
from .codes import NOT_IN_TABLE, CodeTexts, default_code_texts
from .html import PAGE_END, Html, esc, page_head
from .sections import (chart_section, expected_section, payments_section, plb_section,
                       reasons_section, totals_section)
from .tally import Tally, payment_category

__all__ = ["write_report"]

_SPOOL_BYTES = 8 << 20


def write_report(remittances: Iterable[Remittance], out: TextIO, *, reconciliation=None,
                 sources: Iterable[str] = (), title: str = "Remittance report",
                 generated: date | None = None, phi: bool = True,
                 texts: CodeTexts | None = None, codes=None) -> Tally:
    """Write the HTML remittance report of `remittances` to the text stream `out`.

    reconciliation: an edi_hit.x835.reconcile.ReconcileReport of the same 835 against
    its 837 (adds expected against paid, in the summary and under each claim).
    sources: the file names to print under the title. generated: the date printed as
    the report's date (none printed when None). phi=False leaves out patient names
    and member ids. codes: the HCPCS table for payment categories (default: the
    shipped one). Returns the Tally of the totals it printed.
    """
    require_matplotlib()    # before reading anything: fail fast, naming the extra
    texts = texts or default_code_texts()
    tally = Tally() if codes is None else Tally(lambda c, d: payment_category(c, d, codes))
    by_claim: dict[str, list] | None = None
    if reconciliation is not None:
        by_claim = {}
        for row in reconciliation.lines:
            by_claim.setdefault(row.patient_control_number, []).append(row)
    claim_number = 1
    with tempfile.SpooledTemporaryFile(_SPOOL_BYTES, mode="w+", encoding="utf-8",
                                       newline="") as spool:
        for remit in remittances:
            row = tally.add(remit)
            spool.write(payment_section(remit, row, texts, by_claim, phi=phi,
                                        first_claim=claim_number))
            spool.write("\n")
            claim_number += len(remit.claims)
            del remit, row     # let it go before the next one is read
        out.write(page_head(f"{title}: {_payers(tally)}", f"edi-hit {__version__}"))
        out.write(_masthead(tally, title, list(sources), generated))
        for section in (totals_section(tally), payments_section(tally), chart_section(tally),
                        reasons_section(tally, texts), plb_section(tally, texts)):
            out.write(section)
            out.write("\n")
        if reconciliation is not None:
            out.write(expected_section(reconciliation))
        out.write('<section id="claims"><h2>Claims</h2>\n')
        if not tally.claims:
            out.write('<p class="note">No claims.</p>')
        spool.seek(0)
        shutil.copyfileobj(spool, out)
        out.write("</section>\n")
    out.write(_footer(texts))
    out.write(PAGE_END)
    return tally


def _payers(t: Tally) -> str:
    names = list(dict.fromkeys(p.payer for p in t.payments if p.payer))
    return ", ".join(names[:3]) + (" …" if len(names) > 3 else "") if names else "no payments"


def _masthead(t: Tally, title: str, sources: list[str], generated: date | None) -> Html:
    payees = list(dict.fromkeys(p.payee for p in t.payments if p.payee))
    bits = [f"{len(t.payments)} payment{'s' * (len(t.payments) != 1)}",
            f"{t.claims} claim{'s' * (t.claims != 1)}"]
    if sources:
        bits.insert(0, ", ".join(sources))
    if generated:
        bits.append(f"produced {generated.isoformat()}")
    lines = [f"<header><h1>{esc(title)}</h1>",
             f'<p class="sub">{esc("From " + _payers(t))}'
             + (f"{esc(' to ' + ', '.join(payees))}" if payees else "") + "</p>",
             f'<p class="sub">{esc(" · ".join(bits))}</p></header>\n']
    return Html("".join(lines))


def _footer(texts: CodeTexts) -> Html:
    prov = texts.provenance
    return Html(
        '<footer class="note"><p>Code texts: ' + esc(prov["source"])
        + " (" + esc(prov["date"]) + "). " + esc(prov.get("notes", "")) + "</p>"
        + f"<p>A code shown with “{esc(NOT_IN_TABLE)}” is real but its text is not in the "
        "table edi-hit ships; look it up in the current X12 code list.</p>"
        + f"<p>Produced by edi-hit {esc(__version__)} from the 835 as received; "
        "amounts are the file's own, summed exactly.</p></footer>\n")
