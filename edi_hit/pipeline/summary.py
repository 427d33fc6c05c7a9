# What a run did: counts, money, denial reasons, duplicates, recoupment, the run id.
#
# Strategy: the Summary is filled as claims pass (Tally.count, once per remitted claim,
# with where the 835 put it) and at the end (rejections, transactions, the run's ledger
# id). It is the report (to_dict), the table the CLI prints (table) and what the ledger
# keeps of the run (so --replay can give the report again). The per-claim manifest line
# is written by the Tally too; its member id is PHI and is left out with no_phi.
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from edi_hit.x835.model import decimal_to_json

__all__ = ["Summary", "Tally"]

_ZERO = Decimal(0)
#: what parts of one run add up (the transactions' money is counted once, at the end)
_ADDITIVE = ("claims_in", "claims_rejected", "claims", "claims_processed", "claims_denied",
             "claims_duplicate", "reversals", "lines", "lines_paid", "lines_denied",
             "total_charge", "total_allowed", "total_paid", "patient_responsibility",
             "findings")


@dataclass(slots=True)
class Summary:
    """What an adjudication run did: counts, money, and the commonest denial reasons."""

    files: list[str] = field(default_factory=list)
    claims_in: int = 0        # claims read from the input: accepted + rejected
    claims_rejected: int = 0  # refused by the reader, or not writable to an 835
    rejects: list[dict] = field(default_factory=list)  # RejectedClaim.to_dict(), in order
    claims: int = 0           # claims remitted (a replacement's reversal included)
    claims_processed: int = 0
    claims_denied: int = 0    # denied by the rules (duplicates are counted apart)
    claims_duplicate: int = 0  # exact duplicates of claims decided already (C28)
    reversals: int = 0
    lines: int = 0
    lines_paid: int = 0
    lines_denied: int = 0
    total_charge: Decimal = _ZERO
    total_allowed: Decimal = _ZERO
    total_paid: Decimal = _ZERO  # sum of CLP04, reversals included
    patient_responsibility: Decimal = _ZERO
    payment: Decimal = _ZERO  # sum of BPR02
    provider_adjustments: Decimal = _ZERO
    recouped: Decimal = _ZERO          # open balances taken back (PLB FB > 0)
    carried_forward: Decimal = _ZERO   # new debts carried to later 835s (PLB FB < 0, as > 0)
    illustrative_rates: bool = False
    denial_reasons: Counter = field(default_factory=Counter)  # "CO-5 M77" -> lines
    transactions: list = field(default_factory=list)  # x835 TransactionSummary
    output: str | None = None
    findings: int = 0         # reader warnings and errors, all files
    run_id: int | None = None        # the ledger's run (None: no history kept)
    history: str | None = None
    replayed_run: int | None = None  # --replay: the run whose 835 was written again
    notes: list[str] = field(default_factory=list)  # repairs, migrations: one line each

    @property
    def claims_accepted(self) -> int:
        return self.claims_in - self.claims_rejected

    def add(self, part: "Summary") -> None:
        """Count in a part of the same run priced elsewhere (a batch's partition): its
        claims, lines, money, denial reasons and rejects."""
        for name in _ADDITIVE:
            setattr(self, name, getattr(self, name) + getattr(part, name))
        self.denial_reasons.update(part.denial_reasons)
        self.rejects.extend(part.rejects)
        self.illustrative_rates = self.illustrative_rates or part.illustrative_rates

    def top_denials(self, n: int = 5) -> list[tuple[str, int]]:
        return sorted(self.denial_reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def to_dict(self) -> dict[str, Any]:
        money = decimal_to_json
        return {
            "files": list(self.files),
            "output": self.output,
            "run_id": self.run_id,
            "replayed_run": self.replayed_run,
            "claims_in": self.claims_in,
            "claims_accepted": self.claims_accepted,
            "claims_rejected": self.claims_rejected,
            "claims": self.claims,
            "claims_processed": self.claims_processed,
            "claims_denied": self.claims_denied,
            "claims_duplicate": self.claims_duplicate,
            "reversals": self.reversals,
            "lines": self.lines,
            "lines_paid": self.lines_paid,
            "lines_denied": self.lines_denied,
            "total_charge": money(self.total_charge),
            "total_allowed": money(self.total_allowed),
            "total_paid": money(self.total_paid),
            "patient_responsibility": money(self.patient_responsibility),
            "provider_adjustments": money(self.provider_adjustments),
            "recouped": money(self.recouped),
            "carried_forward": money(self.carried_forward),
            "payment": money(self.payment),
            "illustrative_rates": self.illustrative_rates,
            "denial_reasons": [{"reason": k, "lines": v} for k, v in self.top_denials(50)],
            "rejects": list(self.rejects),
            "findings": self.findings,
            "transactions": [
                {"control_number": t.control_number, "trace_number": t.trace_number,
                 "payee_id": t.payee_id, "payee_name": t.payee_name, "claims": t.claims,
                 "payment": money(t.payment), "segments": t.segments,
                 "provider_adjustments": [
                     {"reason": p.reason, "reference": p.reference, "amount": money(p.amount)}
                     for p in t.plb]}
                for t in self.transactions
            ],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Summary":
        """The counts and money of a stored report (transactions stay as dicts)."""
        s = cls()
        for name in ("files", "output", "run_id", "claims_in", "claims_rejected", "rejects",
                     "claims", "claims_processed", "claims_denied", "claims_duplicate",
                     "reversals", "lines", "lines_paid", "lines_denied", "findings",
                     "illustrative_rates", "transactions"):
            if name in d:
                setattr(s, name, d[name])
        for name in ("total_charge", "total_allowed", "total_paid", "patient_responsibility",
                     "provider_adjustments", "recouped", "carried_forward", "payment"):
            if d.get(name) is not None:
                setattr(s, name, Decimal(d[name]))
        s.denial_reasons = Counter({r["reason"]: r["lines"] for r in d.get("denial_reasons", [])})
        return s

    def table(self) -> str:
        """The short text summary the CLI prints."""
        rows = [
            ("input claims", f"{self.claims_in}  (accepted {self.claims_accepted}, rejected "
                             f"{self.claims_rejected})"),
            ("claims", f"{self.claims}  (processed {self.claims_processed}, denied "
                       f"{self.claims_denied}, duplicates {self.claims_duplicate}, "
                       f"reversals {self.reversals})"),
            ("lines", f"{self.lines}  (paid {self.lines_paid}, denied {self.lines_denied})"),
            ("charged", f"{self.total_charge:,.2f}"),
            ("allowed", f"{self.total_allowed:,.2f}"),
            ("paid", f"{self.total_paid:,.2f}"),
            ("patient responsibility", f"{self.patient_responsibility:,.2f}"),
        ]
        if self.recouped:
            rows.append(("recouped (PLB FB)", f"{self.recouped:,.2f}"))
        if self.carried_forward:
            rows.append(("carried forward (PLB FB)", f"{self.carried_forward:,.2f}"))
        if self.provider_adjustments:
            rows.append(("provider adjustments", f"{self.provider_adjustments:,.2f}"))
        rows.append(("payments (BPR02)", f"{self.payment:,.2f} in {len(self.transactions)} "
                                         f"transaction(s)"))
        if self.run_id is not None:
            rows.append(("ledger", f"run {self.run_id} committed to {self.history}"))
        width = max(len(k) for k, _ in rows)
        out = [f"{k.ljust(width)}  {v}" for k, v in rows]
        top = self.top_denials()
        if top:
            out.append("top denial reasons:")
            out.extend(f"  {count:>7}  {reason}" for reason, count in top)
        if self.rejects:
            out.append(f"rejected claims ({self.claims_rejected}):")
            for r in self.rejects[:5]:
                pcn = r.get("patient_control_number") or "?"
                at = r.get("segment_index")
                where = r.get("file") or "<stream>"
                if at is not None:
                    where += f", CLM at segment {at}"
                out.append(f"  {pcn} ({where}): {r.get('reason')}")
            if len(self.rejects) > 5:
                out.append(f"  ... and {len(self.rejects) - 5} more (see --report)")
        if self.illustrative_rates:
            out.append("note: priced with ILLUSTRATIVE rates (not CMS values); pass --rates")
        out.extend(f"note: {note}" for note in self.notes)
        return "\n".join(out)


class Tally:
    """Counts PricedClaims as they are remitted; writes the manifest line of each.

    manifest: called with one dict per claim. no_phi: leave the member id out of it."""

    def __init__(self, summary: Summary, manifest: Callable[[dict], None] | None = None,
                 *, no_phi: bool = False) -> None:
        self.summary = summary
        self.manifest = manifest
        self.no_phi = no_phi

    def count(self, pc: Any, trace_number: str | None = None,
              position: int | None = None) -> Decimal:
        """Count one remitted claim; returns what it paid (CLP04)."""
        s = self.summary
        reasons = s.denial_reasons
        s.claims += 1
        status = pc.status
        reversal = status == "reversal"
        duplicate_of = pc.duplicate_of
        if reversal:
            s.reversals += 1
        elif duplicate_of:
            s.claims_duplicate += 1
        elif status == "denied":
            s.claims_denied += 1
        else:
            s.claims_processed += 1
        if pc.illustrative_rates:
            s.illustrative_rates = True
        # PricedClaim.total_paid and .patient_responsibility, in the same pass
        charge = allowed = paid = patient = _ZERO
        lines_paid = lines_denied = 0
        for pl in pc.lines:
            charge += pl.charge
            allowed += pl.allowed
            paid += pl.paid
            for a in pl.adjustments:
                if a.group == "PR":
                    patient += a.amount
            if pl.status == "denied":
                lines_denied += 1
            else:
                lines_paid += 1
            if reversal:
                continue
            if pl.status == "denied":
                codes = [f"{a.group}-{a.reason}" for a in pl.adjustments if a.amount]
                reasons[" ".join(codes + list(pl.remarks))] += 1
        if not reversal:
            s.lines += lines_paid + lines_denied
            s.lines_paid += lines_paid
            s.lines_denied += lines_denied
        for a in pc.claim_adjustments:
            paid -= a.amount
            if a.group == "PR":
                patient += a.amount
        s.total_charge += charge
        s.total_allowed += allowed
        s.total_paid += paid
        s.patient_responsibility += patient
        if self.manifest is not None:
            claim = pc.claim
            entry = {"patient_control_number": claim.patient_control_number}
            if not self.no_phi:
                entry["member_id"] = claim.subscriber.member_id if claim.subscriber else None
            entry.update({
                "billing_npi": claim.billing_provider.npi if claim.billing_provider else None,
                "status": "duplicate" if duplicate_of else status,
                "icn": pc.payer_claim_control_number,
                "charge": decimal_to_json(charge),
                "paid": decimal_to_json(paid),
                "patient_responsibility": decimal_to_json(patient),
                "lines_paid": lines_paid,
                "lines_denied": lines_denied,
            })
            if duplicate_of:
                entry["duplicate_of"] = duplicate_of
            if trace_number is not None:
                entry["trn"] = trace_number
                entry["position"] = position
            self.manifest(entry)
        return paid

    def rejected(self, r: Any) -> None:
        """The manifest line of a claim that was rejected, not remitted."""
        if self.manifest is None:
            return
        entry = {"patient_control_number": r.patient_control_number}
        if not self.no_phi:
            entry["member_id"] = getattr(r, "member_id", None)
        entry.update({"status": "rejected", "file": r.file, "segment_index": r.segment_index,
                      "reason": r.reason})
        self.manifest(entry)
