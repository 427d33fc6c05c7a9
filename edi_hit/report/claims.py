# One table per claim: what the payer said about it, line by line.
#
# Strategy: payment_section() renders one Remittance (its payer, payee, check or EFT
# and every claim in it) and is called once per Remittance as the 835 is read, so
# the report writes claim tables as it goes and never holds more than one payment.
# A claim is an <article> carrying its CLP01 and ICN (CLP07) as data attributes:
# its facts (status, charged, paid, patient responsibility, dates, patient), its
# claim-level adjustments and remarks, then its lines (SVC, DTM*472, CAS, LQ*HE,
# AMT*B6, REF*6R). A denied line gets a second row that spells out why, with the
# CARC and RARC texts. Given reconciliation rows for the claim (edi_hit.x835.
# reconcile), a last table shows the 837's expected payment against the paid one.
# With phi=False the patient's name and member id are left out.
from __future__ import annotations

from .codes import CodeTexts
from .html import METHODS, Html, cell, day, esc, money, table
from .tally import PaymentRow, is_denied_line

__all__ = ["payment_section"]


def payment_section(remit, row: PaymentRow, texts: CodeTexts, recon_by_claim=None, *,
                    phi: bool = True, first_claim: int = 1) -> Html:
    out = [f'<section class="payment-block"><h3 class="payment" id="{row.anchor}">'
           f"Payment {row.number}: {esc(METHODS.get(row.method, row.method))} {esc(row.trace)}"
           f"{' on ' + day(row.date) if row.date else ''}, {money(row.amount)}</h3>",
           '<p class="facts">' + _facts([
               ("Payer", _party(remit.payer)), ("Payee", _party(remit.payee)),
               ("Claims", str(row.claims)), ("PLB", money(row.plb)),
               ("File", f"{row.file or ''} (ST02 {row.transaction})")]) + "</p>"]
    for k, claim in enumerate(remit.claims):
        rows = recon_by_claim.get(claim.patient_control_number) if recon_by_claim else None
        out.append(claim_article(claim, texts, rows, phi=phi, number=first_claim + k))
    out.append("</section>")
    return Html("".join(out))


_ID_NAMES = {"XX": "NPI", "FI": "TIN", "XV": "plan ID", "PI": "payer ID"}


def _party(p) -> str:
    if not p.id:
        return p.name
    return f"{p.name}, {_ID_NAMES.get(p.id_qualifier or '', p.id_qualifier or 'ID')} {p.id}"


def _facts(items) -> str:
    return "".join(f"<span><b>{esc(k)}</b> {esc(v)}</span>" for k, v in items if v != "")


def claim_article(claim, texts: CodeTexts, recon_rows=None, *, phi: bool = True,
                  number: int = 0) -> Html:
    status = texts.lookup("claim_status", claim.status_code)
    dates = _dates(claim)
    facts = [("Status", f"{claim.status_code} {status.text}"), ("Charged", money(claim.charge)),
             ("Paid", money(claim.paid)),
             ("Patient responsibility", money(claim.patient_responsibility)),
             ("Service", dates), ("Filing", claim.filing_indicator)]
    if phi:
        name = ", ".join(x for x in (claim.patient_last_name, claim.patient_first_name) if x)
        facts.append(("Patient", name))
        if claim.patient_id:
            facts.append(("Member ID", claim.patient_id))
    out = [f'<article class="claim" id="claim-{number}" data-pcn="{esc(claim.patient_control_number)}"'
           f' data-icn="{esc(claim.payer_claim_control_number)}">',
           f"<h4>Claim <span class=\"code\">{esc(claim.patient_control_number)}</span>"
           f" · ICN <span class=\"code\">{esc(claim.payer_claim_control_number)}</span></h4>",
           f'<p class="facts">{_facts(facts)}</p>']
    if claim.adjustments or claim.remarks:
        out.append(f'<p class="facts"><span><b>Claim adjustments</b> '
                   f"{esc(_cas_text(claim.adjustments))}</span>"
                   + (f"<span><b>Remarks</b> {esc(' '.join(claim.remarks))}</span>"
                      if claim.remarks else "") + "</p>")
        out.append(_why(claim.adjustments, claim.remarks, texts, colspan=0))
    if claim.lines:
        out.append(_lines(claim, texts))
    if recon_rows:
        out.append(_expected(recon_rows))
    out.append("</article>")
    return Html("".join(out))


def _dates(claim) -> str:
    days = [d for ln in claim.lines for d in (ln.service_date, ln.service_date_end) if d]
    lo = claim.statement_from or (min(days) if days else None)
    hi = claim.statement_to or (max(days) if days else None)
    if lo and hi and lo != hi:
        return f"{lo.isoformat()} to {hi.isoformat()}"
    return day(lo or hi)


def _cas_text(adjustments) -> str:
    return "; ".join(f"{a.group}-{a.reason} {money(a.amount)}" for a in adjustments)


_LINE_HEADERS = [("#", True), ("Date", False), ("Service", False), ("Units", True),
                 ("Charged", True), ("Allowed", True), ("Paid", True), ("Adjustments", False),
                 ("Remarks", False), ("Line ctl", False)]


def _lines(claim, texts: CodeTexts) -> Html:
    """The line table. Its columns are aligned by the page's CSS (.lines td:nth-child),
    so a row is bare <td>s: the table of a big 835 is most of the page."""
    rows = []
    for n, ln in enumerate(claim.lines, start=1):
        date_text = day(ln.service_date)
        if ln.service_date_end and ln.service_date_end != ln.service_date:
            date_text += f" to {day(ln.service_date_end)}"
        service = ":".join([ln.qualifier, ln.code, *ln.modifiers])
        units = "" if ln.units_paid is None else ln.units_paid
        adjustments = "<br>".join(esc(f"{a.group}-{a.reason} {money(a.amount)}")
                                  for a in ln.adjustments)
        denied = is_denied_line(ln)
        tr = '<tr class="denied">' if denied else "<tr>"
        rows.append(Html(
            f"{tr}<td>{n}</td><td>{date_text}</td>"
            f"<td>{esc(service)}</td><td>{esc(units)}</td><td>{money(ln.charge)}</td>"
            f"<td>{money(ln.allowed)}</td><td>{money(ln.paid)}</td><td>{adjustments}</td>"
            f"<td>{esc(' '.join(ln.remarks))}</td><td>{esc(ln.control_number or '')}</td></tr>"))
        if denied:
            rows.append(Html(_why(ln.adjustments, ln.remarks, texts, colspan=len(_LINE_HEADERS))))
    return table(_LINE_HEADERS, rows, cls="lines")


def _why(adjustments, remarks, texts: CodeTexts, *, colspan: int) -> str:
    parts = [f"{a.group}-{a.reason} {texts.text('carc', a.reason)}" for a in adjustments
             if a.amount]
    parts += [f"{r} {texts.text('rarc', r)}" for r in remarks]
    if not parts:
        return ""
    text = esc(" · ".join(parts))
    if colspan:
        return f'<tr class="why"><td></td><td colspan="{colspan - 1}">Denied: {text}</td></tr>'
    return f'<p class="note">{text}</p>'


def _expected(rows) -> Html:
    headers = [("Line", True), ("Code", False), ("Date", False), ("Expected", True),
               ("Paid", True), ("Difference", True), ("Status", False), ("Codes expected", False),
               ("Codes paid", False)]
    body = [[cell(r.line_number or "", num=True), cell(r.code, cls="code"), cell(day(r.service_date)),
             cell(money(r.expected_paid), num=True), cell(money(r.remitted_paid), num=True),
             cell(money(r.difference), num=True),
             cell(r.status, cls="bad" if r.status in ("underpaid", "not-remitted") else ""),
             cell(" ".join(r.expected_codes), cls="code"),
             cell(" ".join(r.remitted_codes), cls="code")] for r in rows]
    return table(headers, body, cls="expected",
                 caption="Expected (priced from the 837) against paid, net over every remittance")
