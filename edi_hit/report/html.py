# HTML primitives for the remittance report: escaping, money, tables, the page frame.
#
# Strategy: every value read from an 835 is untrusted, so text reaches the page only
# through esc() (html.escape with quotes), and every helper that takes text escapes
# it itself; markup a helper produces is wrapped in Html so a caller can tell built
# markup from raw text. Money is printed as a plain decimal with two places ("1234.50",
# "-20.00"), right-aligned in tabular figures. The page is one self-contained file:
# one <style> block with a print stylesheet (US Letter, tables not split across pages
# where they fit, header rows repeated), no script, no external resource.
from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from typing import Iterable

from ..formats import plain_amount

__all__ = ["Html", "esc", "money", "day", "cell", "table", "page_head", "PAGE_END", "CSS",
           "METHODS"]


class Html(str):
    """Markup built by this package (already escaped)."""


_SPECIAL = re.compile(r"[&<>\"']").search


def esc(value) -> Html:
    """Text as HTML: & < > " ' escaped (most values have none: they pass as they are)."""
    if isinstance(value, Html):
        return value
    text = "" if value is None else str(value)
    return Html(text if _SPECIAL(text) is None else html.escape(text, quote=True))


# BPR04 payment methods, in words.
METHODS = {"ACH": "ACH (EFT)", "CHK": "Check", "BOP": "Financial institution option",
           "FWT": "Federal Reserve wire", "NON": "Non-payment"}


# A plain decimal with two places; '' for no value (edi_hit.formats.plain_amount: the
# one rounding of the report, for display only).
money = plain_amount


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def cell(value, *, num: bool = False, cls: str = "", tag: str = "td", attrs: str = "") -> Html:
    if not (num or cls or attrs) and tag == "td":
        return Html(f"<td>{esc(value)}</td>")
    classes = " ".join(c for c in (("num" if num else ""), cls) if c)
    klass = f' class="{classes}"' if classes else ""
    return Html(f"<{tag}{klass}{attrs}>{esc(value)}</{tag}>")


def table(headers: Iterable[tuple[str, bool]], rows: Iterable[Iterable[Html] | Html], *, cls: str = "",
          caption: str | None = None, foot: Iterable[Html] | None = None) -> Html:
    """A table; headers are (title, numeric) pairs; a row is a list of cell() markup,
    or one Html string that is already a whole <tr> (a row with its own class)."""
    out = [f'<table class="{esc(cls)}">' if cls else "<table>"]
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr>")
    out.extend(cell(title, num=num, tag="th", attrs=' scope="col"') for title, num in headers)
    out.append("</tr></thead><tbody>")
    for row in rows:
        if isinstance(row, Html):
            out.append(row)
        else:
            out.append("<tr>" + "".join(row) + "</tr>")
    out.append("</tbody>")
    if foot is not None:
        out.append("<tfoot><tr>" + "".join(foot) + "</tr></tfoot>")
    out.append("</table>")
    return Html("".join(out))


CSS = """
:root{--ink:#1d2430;--muted:#5b6472;--rule:#d6dbe3;--soft:#f3f5f8;--accent:#1f4e8c;
--paid:#1f6f4a;--denied:#b3261e}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1120px;padding:28px 32px;color:var(--ink);background:#fff;
font:10.5pt/1.45 "Helvetica Neue",Helvetica,Arial,"Liberation Sans","DejaVu Sans",sans-serif}
h1{font-size:19pt;margin:0 0 2px;letter-spacing:-.01em}
h2{font-size:13pt;margin:26px 0 8px;padding-bottom:3px;border-bottom:2px solid var(--accent);
color:var(--accent)}
h3{font-size:11pt;margin:18px 0 6px}
p{margin:4px 0}
.sub,.note,caption{color:var(--muted)}
.note{font-size:9pt}
caption{text-align:left;font-size:9pt;padding:2px 0 4px}
table{border-collapse:collapse;width:100%;margin:4px 0 10px}
th,td{padding:3px 7px;text-align:left;vertical-align:top;border-bottom:1px solid var(--rule)}
thead th{background:var(--soft);font-size:8.5pt;text-transform:uppercase;letter-spacing:.03em;
color:#3b4350;border-bottom:1px solid #b9c1cc}
tfoot td{font-weight:bold;border-top:1px solid #8a93a0;border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:9pt;white-space:nowrap}
.cards{display:grid;grid-template-columns:repeat(3,1fr);gap:8px 12px;margin:8px 0 6px}
.card{border:1px solid var(--rule);border-radius:6px;padding:8px 11px;background:var(--soft)}
.card dt{font-size:8.5pt;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.card dd{margin:2px 0 0;font-size:15pt;font-weight:bold;font-variant-numeric:tabular-nums}
.card dd small{font-size:9pt;font-weight:normal;color:var(--muted)}
.ok{color:var(--paid)} .bad{color:var(--denied);font-weight:bold}
.denied td{background:#fcf1f0} .why td{border-bottom:1px solid var(--rule);font-size:9pt;
color:#5a1f1a;background:#fcf1f0}
.claim{margin:14px 0 18px;border:1px solid var(--rule);border-radius:6px;padding:8px 12px 4px}
.claim h4{margin:0 0 4px;font-size:10.5pt}
.facts{display:flex;flex-wrap:wrap;gap:2px 18px;font-size:9.5pt;margin:0 0 6px}
.facts span b{color:var(--muted);font-weight:normal}
.claim td,.claim th{font-size:9pt}
.lines td:nth-child(1),.lines td:nth-child(4),.lines td:nth-child(5),.lines td:nth-child(6),
.lines td:nth-child(7){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.lines td:nth-child(3),.lines td:nth-child(8),.lines td:nth-child(9),.lines td:nth-child(10){
font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:8.5pt}
.lines td:nth-child(3),.lines td:nth-child(10){white-space:nowrap}
.chart{display:block;width:100%;max-width:780px;height:auto;margin:4px 0 8px}
.payment{margin-top:22px;padding:6px 10px;background:var(--soft);border-left:4px solid var(--accent)}
footer{margin-top:30px;border-top:1px solid var(--rule);padding-top:8px}
@media print{
@page{size:letter;margin:12mm 11mm}
body{max-width:none;padding:0;font-size:9pt}
h2{break-after:avoid;page-break-after:avoid}
h3,h4{break-after:avoid}
.claim,.card,tr,.chart{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
#claims{break-before:page;page-break-before:always}
.cards{grid-template-columns:repeat(3,1fr)}
a{color:inherit;text-decoration:none}
}
"""


def page_head(title: str, generator: str) -> Html:
    return Html(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"{esc(generator)}\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n")


PAGE_END = Html("</body>\n</html>\n")
