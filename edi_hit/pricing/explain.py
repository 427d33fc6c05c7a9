# A readable per-line table of the pricer's working (edi-hit price --explain).
#
# Strategy: one header line per claim (with the payer contract that priced it, if one
# did), one row per line with the money columns the 835 carries, then the line's trace
# indented beneath it: under a contract its K1 line names the term that priced the line
# and its rate line the term's arithmetic. Plain text, fixed columns.
from __future__ import annotations

from typing import Iterable

from edi_hit.pricing.model import PricedClaim

__all__ = ["explain_claim", "explain"]

_HEAD = (f"  {'Ln':>3} {'Code':<6} {'DOS':<10} {'Status':<6} {'Charge':>9} {'Allowed':>9} "
         f"{'PR-1':>8} {'PR-2':>8} {'CO-253':>7} {'Paid':>9}  Adjustments")


def explain_claim(pc: PricedClaim) -> str:
    c = pc.claim
    out = [f"Claim {c.patient_control_number}  ICN {pc.payer_claim_control_number}  {pc.status}"
           f"  frequency {c.frequency_code or '1'}  charge {pc.total_charge}  paid {pc.total_paid}"
           f"  patient {pc.patient_responsibility}"
           + (f"  contract {pc.contract}" if pc.contract else "")
           + ("  [ILLUSTRATIVE RATES]" if pc.illustrative_rates else ""), _HEAD]
    for pl in pc.lines:
        ln = pl.line
        adj = " ".join(f"{a.group}-{a.reason} {a.amount}" for a in pl.adjustments)
        if pl.remarks:
            adj += " [" + " ".join(pl.remarks) + "]"
        out.append(f"  {ln.line_number:>3} {(ln.code or '?'):<6} {str(ln.service_date or '?'):<10} "
                   f"{pl.status:<6} {pl.charge:>9} {pl.allowed:>9} "
                   f"{pl.adjustment_total('PR', '1'):>8} {pl.adjustment_total('PR', '2'):>8} "
                   f"{pl.adjustment_total('CO', '253'):>7} {pl.paid:>9}  {adj}")
        out.extend(f"        {t}" for t in pl.trace)
    return "\n".join(out)


def explain(priced: Iterable[PricedClaim]) -> str:
    return "\n\n".join(explain_claim(pc) for pc in priced) + "\n"
