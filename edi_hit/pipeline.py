# The main job: 837P files in, an 835 out, and a summary of what happened.
#
# Strategy: compose the stages and add nothing to them. edi_hit.pricing.stream's
# PricedFeed pre-scans the files (which beneficiary each claim belongs to), then reads
# them claim by claim with the 837P reader in reject mode and prices each beneficiary's
# claims, in date-of-service order, as soon as the last of them has been read (one
# Pricer, so one history store, for the whole run). Every PricedClaim is handed to the
# 835 RemittanceBuilder, which spills rendered claims to a temporary file; a Tally
# watches them pass to build the Summary. Memory holds the beneficiaries in flight, not
# the files (see edi_hit.pricing.run for the pathological case).
#
# The output is written to OUT.part and renamed when complete, so a failed run never
# leaves a half-written 835 behind. Nothing is lost: claims read = claims priced +
# claims rejected (each rejection is in the Summary with its reason), and claims priced
# = claims remitted; both are checked before the rename.

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from edi_hit.errors import EdiHitError

from edi_hit.x835.build import PayerInfo, RemittanceBuilder, TransactionSummary
from edi_hit.x835.model import decimal_to_json

__all__ = ["Summary", "Tally", "adjudicate", "DEFAULT_BATCH_SIZE"]

DEFAULT_BATCH_SIZE = 500  # beneficiaries priced together (one batch of history queries)
_ZERO = Decimal(0)


@dataclass(slots=True)
class Summary:
    """What an adjudication run did: counts, money, and the commonest denial reasons."""

    files: list[str] = field(default_factory=list)
    claims_in: int = 0        # claims read from the input: accepted + rejected
    claims_rejected: int = 0  # refused by the reader (bad values, broken envelopes)
    rejects: list[dict] = field(default_factory=list)  # RejectedClaim.to_dict(), in order
    claims: int = 0           # claims remitted (a replacement's reversal included)
    claims_processed: int = 0
    claims_denied: int = 0
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
    illustrative_rates: bool = False
    denial_reasons: Counter = field(default_factory=Counter)  # "CO-5 M77" -> lines
    transactions: list[TransactionSummary] = field(default_factory=list)
    output: str | None = None
    findings: int = 0         # reader warnings and errors, all files
    notes: list[str] = field(default_factory=list)  # how the run priced (Pricer.notes())

    @property
    def claims_accepted(self) -> int:
        return self.claims_in - self.claims_rejected

    def top_denials(self, n: int = 5) -> list[tuple[str, int]]:
        return sorted(self.denial_reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def to_dict(self) -> dict[str, Any]:
        money = decimal_to_json
        return {
            "files": list(self.files),
            "output": self.output,
            "claims_in": self.claims_in,
            "claims_accepted": self.claims_accepted,
            "claims_rejected": self.claims_rejected,
            "claims": self.claims,
            "claims_processed": self.claims_processed,
            "claims_denied": self.claims_denied,
            "reversals": self.reversals,
            "lines": self.lines,
            "lines_paid": self.lines_paid,
            "lines_denied": self.lines_denied,
            "total_charge": money(self.total_charge),
            "total_allowed": money(self.total_allowed),
            "total_paid": money(self.total_paid),
            "patient_responsibility": money(self.patient_responsibility),
            "provider_adjustments": money(self.provider_adjustments),
            "payment": money(self.payment),
            "illustrative_rates": self.illustrative_rates,
            "denial_reasons": [{"reason": k, "lines": v} for k, v in self.top_denials(50)],
            "rejects": list(self.rejects),
            "findings": self.findings,
            "notes": list(self.notes),
            "transactions": [
                {"control_number": t.control_number, "payee_id": t.payee_id,
                 "payee_name": t.payee_name, "claims": t.claims,
                 "payment": money(t.payment), "segments": t.segments}
                for t in self.transactions
            ],
        }

    def table(self) -> str:
        """The short text summary the CLI prints."""
        rows = [
            ("input claims", f"{self.claims_in}  (accepted {self.claims_accepted}, rejected "
                             f"{self.claims_rejected})"),
            ("claims", f"{self.claims}  (processed {self.claims_processed}, denied "
                       f"{self.claims_denied}, reversals {self.reversals})"),
            ("lines", f"{self.lines}  (paid {self.lines_paid}, denied {self.lines_denied})"),
            ("charged", f"{self.total_charge:,.2f}"),
            ("allowed", f"{self.total_allowed:,.2f}"),
            ("paid", f"{self.total_paid:,.2f}"),
            ("patient responsibility", f"{self.patient_responsibility:,.2f}"),
        ]
        if self.provider_adjustments:
            rows.append(("provider adjustments", f"{self.provider_adjustments:,.2f}"))
        rows.append(("payments (BPR02)", f"{self.payment:,.2f} in {len(self.transactions)} "
                                         f"transaction(s)"))
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
                out.append(f"  {pcn} ({r.get('file') or '<stream>'}): {r.get('reason')}")
            if len(self.rejects) > 5:
                out.append(f"  ... and {len(self.rejects) - 5} more (see --report)")
        if self.illustrative_rates:
            out.append("note: priced with ILLUSTRATIVE rates (not CMS values); pass --rates")
        out.extend(f"note: {note}" for note in self.notes)
        return "\n".join(out)


class Tally:
    """Counts PricedClaims as they stream past (wrap an iterator with `watch`)."""

    def __init__(self, summary: Summary, manifest: Callable[[dict], None] | None = None) -> None:
        self.summary = summary
        self.manifest = manifest

    def watch(self, priced: Iterable[Any]) -> Iterator[Any]:
        s = self.summary
        reasons = s.denial_reasons
        for pc in priced:
            s.claims += 1
            status = pc.status
            reversal = status == "reversal"
            if reversal:
                s.reversals += 1
            elif status == "denied":
                s.claims_denied += 1
            else:
                s.claims_processed += 1
            if pc.illustrative_rates:
                s.illustrative_rates = True
            # PricedClaim.total_paid and .patient_responsibility, in the same pass
            charge = allowed = paid = patient = _ZERO
            for pl in pc.lines:
                charge += pl.charge
                allowed += pl.allowed
                paid += pl.paid
                for a in pl.adjustments:
                    if a.group == "PR":
                        patient += a.amount
                if reversal:
                    continue
                s.lines += 1
                if pl.status == "denied":
                    s.lines_denied += 1
                    codes = [f"{a.group}-{a.reason}" for a in pl.adjustments if a.amount]
                    reasons[" ".join(codes + list(pl.remarks))] += 1
                else:
                    s.lines_paid += 1
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
                self.manifest({
                    "patient_control_number": claim.patient_control_number,
                    "member_id": claim.subscriber.member_id if claim.subscriber else None,
                    "billing_npi": claim.billing_provider.npi if claim.billing_provider else None,
                    "status": status,
                    "icn": pc.payer_claim_control_number,
                    "charge": decimal_to_json(charge),
                    "paid": decimal_to_json(paid),
                    "patient_responsibility": decimal_to_json(patient),
                    "lines_paid": sum(1 for pl in pc.lines if pl.status != "denied"),
                    "lines_denied": sum(1 for pl in pc.lines if pl.status == "denied"),
                })
            yield pc


def adjudicate(
    sources: Iterable[Any],
    *,
    output: str | os.PathLike | BinaryIO,
    rates: Any = None,
    history: Any = None,
    conventions: Any = None,
    assume_dme_drug: bool = False,
    suppliers: Any = None,
    dme_evidence: str | None = None,
    dme_drugs: Iterable[Any] = (),
    now: datetime | None = None,
    control_number: int = 1,
    payer: PayerInfo | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[Iterator], Iterator] | None = None,
    manifest: Callable[[dict], None] | None = None,
) -> Summary:
    """Read 837P files, price them with history, write one 835; return the Summary.

    sources: paths (or bytes / binary files) of 837P files, read in order as one run.
    output: a path (written to PATH.part, renamed when complete) or a binary stream.
    rates, history, conventions, assume_dme_drug, suppliers, dme_evidence, dme_drugs: as
    for edi_hit.pricing.price (Summary.notes says which DME evidence mode ran and whether
    supplier enrolment was checked).
    now, control_number: fix the 835's dates and control numbers (golden files).
    batch_size: beneficiaries priced together (one batch of history queries).
    progress: wraps the iterator of claims read (the CLI's counter on stderr).
    Claims the reader rejects are in Summary.rejects; they are not remitted.
    manifest: called with one dict per claim outcome - every priced claim (status
    processed, denied or reversal, with its ICN and money) as it is remitted, then
    every rejected claim (status rejected, with its reason) - so a batch can account
    for each claim that entered.
    """
    from edi_hit.pricing import Pricer
    from edi_hit.pricing.stream import PricedFeed, source_name

    sources = list(sources)
    if not sources:
        raise EdiHitError("no 837P input given")
    summary = Summary(files=[source_name(s) for s in sources])
    builder = RemittanceBuilder(payer=payer, now=now, control_number=control_number)
    tally = Tally(summary, manifest)

    pricer = Pricer(rates=rates, history=history, conventions=conventions,
                    assume_dme_drug=assume_dme_drug, group_size=max(1, batch_size),
                    suppliers=suppliers, dme_evidence=dme_evidence, dme_drugs=dme_drugs)
    summary.notes = pricer.notes()
    feed = PricedFeed(pricer, sources, names=summary.files, progress=progress)
    # The run allocates millions of small objects that are freed by reference counting:
    # the tables loaded so far are frozen out of the collector's way, and the youngest
    # generation is collected less often.
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 100_000), *threshold[1:])
    try:
        for pc in tally.watch(feed):
            builder.add(pc)
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
        pricer.close()
    summary.claims_in = feed.claims_in
    summary.claims_rejected = len(feed.rejected)
    summary.rejects = [r.to_dict() for r in feed.rejected]
    if manifest is not None:
        for r in feed.rejected:
            manifest({"patient_control_number": r.patient_control_number,
                      "member_id": getattr(r, "member_id", None), "status": "rejected",
                      "file": r.file, "segment_index": r.segment_index, "reason": r.reason})
    summary.findings = len(feed.findings)
    if feed.claims_in != feed.claims_priced + len(feed.rejected):  # pragma: no cover - a bug
        raise EdiHitError(f"{feed.claims_in} claims read but {feed.claims_priced} priced and "
                          f"{len(feed.rejected)} rejected")
    if builder.claims != summary.claims:  # pragma: no cover - a bug, not bad input
        raise EdiHitError(f"{summary.claims} claims priced but {builder.claims} remitted")

    if isinstance(output, (str, os.PathLike)):
        path = Path(output)
        part = path.with_name(path.name + ".part")
        try:
            with open(part, "wb") as fh:
                summary.transactions = builder.finish(fh)
            os.replace(part, path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        summary.output = str(path)
    else:
        summary.transactions = builder.finish(output)
        summary.output = getattr(output, "name", None) if isinstance(
            getattr(output, "name", None), str) else None
    summary.payment = sum((t.payment for t in summary.transactions), _ZERO)
    summary.provider_adjustments = sum((t.provider_adjustments for t in summary.transactions),
                                       _ZERO)
    return summary
