# The summary sections of the remittance report, each a function of the Tally.
#
# Strategy: one function per section (totals, payments, chart, reasons, provider
# adjustments, expected against paid), each returning escaped markup; document.py
# puts them in order above the per-claim tables. Totals carry data-total attributes
# so a program (the tests) can read them back without scraping prose.
from __future__ import annotations

from decimal import Decimal

from .chart import paid_denied_svg
from .codes import CodeTexts
from .html import METHODS, Html, cell, day, esc, money, table
from .tally import Tally

__all__ = ["totals_section", "payments_section", "chart_section", "reasons_section",
           "plb_section", "expected_section"]


def _card(label: str, value: str, key: str, extra: str = "") -> str:
    small = f" <small>{esc(extra)}</small>" if extra else ""
    return (f'<div class="card"><dt>{esc(label)}</dt>'
            f'<dd data-total="{esc(key)}">{esc(value)}{small}</dd></div>')


def totals_section(t: Tally) -> Html:
    paid_claims = t.claims - t.denied_claims
    cards = [
        _card("Total payment (BPR02)", money(t.payment_total), "bpr02",
              f"{len(t.payments)} payment{'s' * (len(t.payments) != 1)}"),
        _card("Paid on claims (CLP04)", money(t.paid), "clp04"),
        _card("Provider adjustments (PLB)", money(t.plb_total), "plb"),
        _card("Charged (CLP03)", money(t.charged), "clp03"),
        _card("Patient responsibility (CLP05)", money(t.patient), "clp05"),
        _card("Claims", str(t.claims), "claims", f"{paid_claims} paid, {t.denied_claims} denied"),
    ]
    expected = t.paid - t.plb_total
    balanced = expected == t.payment_total and not t.unbalanced
    check = (f"Sum of CLP04 {money(t.paid)} − PLB {money(t.plb_total)} = {money(expected)}; "
             f"BPR02 total {money(t.payment_total)}")
    verdict = ('<span class="ok">the payments balance</span>' if balanced
               else '<span class="bad">the payments do not balance</span>')
    out = ['<section id="summary"><h2>Summary</h2><dl class="cards">', *cards, "</dl>",
           f'<p class="note">{esc(check)}: {verdict}.</p>']
    for message in t.unbalanced[:20]:
        out.append(f'<p class="note bad">{esc(message)}</p>')
    if len(t.unbalanced) > 20:
        out.append(f'<p class="note bad">… and {len(t.unbalanced) - 20} more balancing '
                   "findings (edi-hit read-835 lists them all)</p>")
    out.append("</section>")
    return Html("".join(out))


def payments_section(t: Tally) -> Html:
    headers = [("Payment", False), ("Payer", False), ("Payee", False), ("Method", False),
               ("Check/EFT number", False), ("Date", False), ("Claims", True),
               ("Amount", True)]
    rows = []
    for p in t.payments:
        rows.append([
            Html(f'<td><a href="#{p.anchor}">{p.number}</a></td>'),
            cell(p.payer + (f" ({p.payer_id})" if p.payer_id else "")),
            cell(p.payee + (f" ({p.payee_id})" if p.payee_id else "")),
            cell(METHODS.get(p.method, p.method)), cell(p.trace, cls="code"), cell(day(p.date)),
            cell(p.claims, num=True), cell(money(p.amount), num=True)])
    foot = [Html('<td colspan="6">Total</td>'), cell(t.claims, num=True),
            cell(money(t.payment_total), num=True)]
    return Html('<section id="payments"><h2>Payments</h2>'
                + table(headers, rows, cls="payments", foot=foot) + "</section>")


def chart_section(t: Tally) -> Html:
    months, categories = t.months(), t.categories()
    cells = {k: (c.paid, c.denied) for k, c in t.cells.items()}
    title = "Paid and denied by payment category and month of service"
    out = [f'<section id="chart"><h2 id="chart-title">{esc(title)}</h2>']
    if not t.cells:
        out.append('<p class="note">No claims in these remittances.</p></section>')
        return Html("".join(out))
    out.append(paid_denied_svg(months, categories, cells))
    headers = [("Month", False), ("Category", False), ("Lines", True), ("Paid", True),
               ("Denied lines", True), ("Denied (charged)", True)]
    rows = []
    for m in months:
        for c in categories:
            x = t.cells.get((m, c))
            if x is not None:
                rows.append([cell(m), cell(c), cell(x.lines, num=True), cell(money(x.paid), num=True),
                             cell(x.denied_lines, num=True), cell(money(x.denied), num=True)])
    total_paid = sum((x.paid for x in t.cells.values()), Decimal(0))
    total_denied = sum((x.denied for x in t.cells.values()), Decimal(0))
    foot = [Html('<td colspan="2">Total</td>'),
            cell(sum(x.lines for x in t.cells.values()), num=True),
            cell(money(total_paid), num=True),
            cell(sum(x.denied_lines for x in t.cells.values()), num=True),
            cell(money(total_denied), num=True)]
    out.append(table(headers, rows, cls="months", foot=foot))
    out.append('<p class="note">A line is denied when nothing was paid on it and the patient '
               "owes nothing (SVC03 = 0, no PR adjustment); its charge is counted as denied. "
               "Categories: the HIT payment category of the G-code on its date of service; "
               "Drug: a J-code of edi-hit's qualifying-drug table; Other: any other code; "
               "Claim level: a claim paid without service lines.</p></section>")
    return Html("".join(out))


def reasons_section(t: Tally, texts: CodeTexts) -> Html:
    out = ['<section id="reasons"><h2>Denial and adjustment reasons</h2>']
    if t.carc:
        headers = [("Group", False), ("CARC", False), ("Description", False), ("Times", True),
                   ("On denied lines", True), ("Amount", True)]
        rows = []
        for (group, reason), n in sorted(t.carc.items(), key=lambda kv: (-kv[1].on_denied,
                                                                          kv[0])):
            rows.append([cell(group, cls="code", attrs=f' title="{esc(texts.text("group", group))}"'),
                         cell(reason, cls="code"), cell(texts.text("carc", reason)),
                         cell(n.count, num=True), cell(n.on_denied, num=True),
                         cell(money(n.amount), num=True)])
        out.append(table(headers, rows, cls="carc",
                         caption="Claim adjustment reason codes (CAS), claim and line level"))
    else:
        out.append('<p class="note">No claim adjustments (CAS) in these remittances.</p>')
    if t.rarc:
        headers = [("RARC", False), ("Description", False), ("Times", True),
                   ("On denied lines", True)]
        rows = [[cell(code, cls="code"), cell(texts.text("rarc", code)), cell(n.count, num=True),
                 cell(n.on_denied, num=True)]
                for code, n in sorted(t.rarc.items(), key=lambda kv: (-kv[1].on_denied, kv[0]))]
        out.append(table(headers, rows, cls="rarc",
                         caption="Remittance advice remark codes (LQ*HE, MOA, MIA)"))
    groups = sorted({g for g, _ in t.carc})
    if groups:
        out.append('<p class="note">Groups: ' + "; ".join(
            f"{esc(g)} {esc(texts.text('group', g))}" for g in groups) + ".</p>")
    out.append("</section>")
    return Html("".join(out))


def plb_section(t: Tally, texts: CodeTexts) -> Html:
    out = ['<section id="plb"><h2>Provider-level adjustments (PLB)</h2>']
    if not t.plb:
        out.append('<p class="note">None: every payment equals the sum of its claims.</p>'
                   "</section>")
        return Html("".join(out))
    headers = [("Payment", False), ("Provider", False), ("Fiscal period", False),
               ("Reason", False), ("Description", False), ("Reference", False), ("Amount", True)]
    rows = [[cell(p.number), cell(adj.provider_id, cls="code"), cell(day(adj.fiscal_period_date)),
             cell(adj.reason, cls="code"), cell(texts.text("plb_reason", adj.reason)),
             cell(adj.reference or "", cls="code"), cell(money(adj.amount), num=True)]
            for p, adj in t.plb]
    foot = [Html('<td colspan="6">Total (a positive amount was taken from the payment)</td>'),
            cell(money(t.plb_total), num=True)]
    out.append(table(headers, rows, cls="plb", foot=foot))
    out.append("</section>")
    return Html("".join(out))


def expected_section(recon) -> Html:
    """Totals and unmatched items of a ReconcileReport (edi_hit.x835.reconcile)."""
    diff = recon.remitted_paid - recon.expected_paid
    counts: dict[str, int] = {}
    for r in recon.lines:
        counts[r.status] = counts.get(r.status, 0) + 1
    out = ['<section id="expected"><h2>Expected (837) versus paid</h2><dl class="cards">',
           _card("Expected payment", money(recon.expected_paid), "expected"),
           _card("Remitted on matched claims", money(recon.remitted_paid), "remitted"),
           _card("Difference", money(diff), "difference",
                 ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))),
           "</dl>"]
    off = [r for r in recon.lines if r.status != "match"]
    if off:
        headers = [("Claim", False), ("Line", True), ("Code", False), ("Date", False),
                   ("Expected", True), ("Paid", True), ("Difference", True), ("Status", False)]
        rows = [[cell(r.patient_control_number, cls="code"), cell(r.line_number or "", num=True),
                 cell(r.code, cls="code"), cell(day(r.service_date)),
                 cell(money(r.expected_paid), num=True), cell(money(r.remitted_paid), num=True),
                 cell(money(r.difference), num=True), cell(r.status)] for r in off]
        out.append(table(headers, rows, cls="off",
                         caption="Lines not paid as expected (every other line matched)"))
    for title, refs in (("Claims in the 837 with no remittance", recon.claims_without_remittance),
                        ("Remittance claims with no claim in the 837",
                         recon.remittances_without_claim)):
        if refs:
            headers = [("Claim", False), ("ICN", False), ("Charged", True), ("Paid", True)]
            rows = [[cell(c.patient_control_number, cls="code"),
                     cell(c.payer_claim_control_number or "", cls="code"),
                     cell(money(c.charge), num=True), cell(money(c.paid), num=True)] for c in refs]
            out.append(table(headers, rows, caption=title))
    out.append("</section>")
    return Html("".join(out))
