# Claim lifecycle: what a claim is relative to history before its lines are priced.
#
# Strategy: a claim is an original (frequency 1), a replacement (7) or a void (8) of an
# earlier claim, or a resubmission of one already in history. This mixin of the Pricer
# decides that, once per claim: it finds the original (REF*F8, else billing NPI +
# CLM01), yields the original's reversal (every line negated) for a replacement or a
# void, hands the claim's lines to the Pricer's line rules (pricer.py), and records the
# priced claim in the history batch. Line rules know nothing of originals and voids;
# this module knows nothing of rates, categories or days.
from __future__ import annotations

import json

from edi_hit.pricing.history import (ACTIVE, REPLACED, VOID, VOIDED, BeneficiaryHistory,
                                     HistoryBatch, StoredClaim)
from edi_hit.pricing.model import CLAIM_DENIED, PAID, PROCESSED, REVERSAL, PricedClaim
from edi_hit.pricing.run import ClaimItem

__all__ = ["ClaimLifecycle"]


class ClaimLifecycle:
    """Claim-level decisions of the Pricer (a mixin: it uses the Pricer's history,
    rates, conventions, _price_lines and _deny)."""

    def _claim(self, it: ClaimItem, bh: BeneficiaryHistory, batch: HistoryBatch) -> list[PricedClaim]:
        claim = it.claim
        freq = claim.frequency_code or "1"
        known = it.icn in bh.claims
        in_run_duplicate = it.icn in self._seen
        self._seen.add(it.icn)
        record = not in_run_duplicate
        pre: list[str] = [it.note] if it.note else []
        if known and not in_run_duplicate:
            bh.remove_entries(it.icn)
            batch.delete_entries.append(it.icn)
            pre.append(f"claim ICN {it.icn} already in history: priced again, recorded once")
        elif in_run_duplicate:
            pre.append(f"claim ICN {it.icn} appears twice in this run: the copy is not recorded")

        out: list[PricedClaim] = []
        if freq in ("7", "8"):
            original, how = self._find_original(it, bh)
            if freq == "8":
                return [self._void(it, bh, batch, original, how, pre, record)]
            if original is not None:
                out.append(self._reverse(it, bh, batch, original, how, REPLACED, record))
                pre.append(f"replacement (frequency 7) of ICN {original.icn} ({how})")
            else:
                pre.append(f"replacement (frequency 7): original not found ({how}); "
                           f"priced as a new claim")

        lines = self._price_lines(it, bh, batch if record else None, pre)
        status = CLAIM_DENIED
        for pl in lines:
            if pl.status == PAID:
                status = PROCESSED
                break
        priced = PricedClaim(claim, lines, [], status, it.icn, self.rates.illustrative)
        if record:
            self._record_claim(it, bh, batch, priced, ACTIVE)
        out.append(priced)
        return out

    def _record_claim(self, it, bh, batch, priced, status, replaced_by=None):
        self._run_priced[it.icn] = priced
        old = bh.claims.get(it.icn)
        seq = old.seq if old else self._next_seq(it.mbi)
        row = StoredClaim(it.icn, it.npi, it.pcn, it.fingerprint, it.mbi,
                          it.claim.frequency_code or "1", status, replaced_by, seq)
        bh.claims[it.icn] = row
        if self._writes:
            blob = (json.dumps(priced.to_dict(), separators=(",", ":"))
                    if self.history.persistent else None)
            batch.claims.append((row, blob))

    def _next_seq(self, mbi: str) -> int:
        """The next sequence number of the beneficiary's claims (history included)."""
        seq = self._seq.get(mbi)
        if seq is None:
            claims = self._bh_claims
            seq = max((c.seq for c in claims.values()), default=0)
        self._seq[mbi] = seq + 1
        return seq + 1

# -- replacements and voids ------------------------------------------------------------
    def _find_original(self, it: ClaimItem, bh: BeneficiaryHistory):
        f8 = it.claim.payer_claim_control_number()
        cand, how = None, ""
        if f8 and f8 in bh.claims:
            cand, how = bh.claims[f8], f"REF*F8 {f8}"
            while (cand.status == REPLACED and cand.replaced_by not in (None, it.icn)
                   and cand.replaced_by in bh.claims):
                cand = bh.claims[cand.replaced_by]
                how += f" -> replaced by ICN {cand.icn}"
        if cand is None:
            how = (f"REF*F8 {f8} not in history; " if f8 else "") + f"by NPI {it.npi} + CLM01 {it.pcn}"
            matches = [c for c in bh.claims.values()
                       if c.npi == it.npi and c.pcn == it.pcn and c.icn != it.icn
                       and c.frequency != "8" and (c.status == ACTIVE or c.replaced_by == it.icn)]
            cand = max(matches, key=lambda c: c.seq, default=None)
        if cand is not None and (cand.status == ACTIVE or cand.replaced_by == it.icn):
            return cand, how
        if cand is not None:
            return None, f"{how}: ICN {cand.icn} is already {cand.status}"
        return None, how

    def _stored_priced(self, icn: str) -> PricedClaim | None:
        if icn in self._run_priced:
            return self._run_priced[icn]
        d = self.history.priced_claim(icn)
        return PricedClaim.from_dict(d) if d else None

    def _reverse(self, it, bh, batch, original: StoredClaim, how: str, new_status: str,
                 record: bool) -> PricedClaim:
        orig = self._stored_priced(original.icn)
        if orig is None:  # pragma: no cover - a store that did not keep the priced claim
            orig = PricedClaim(it.claim, [], [], PROCESSED, original.icn, self.rates.illustrative)
        note = (f"reversal of ICN {original.icn} ({how}) by ICN {it.icn}, frequency "
                f"{it.claim.frequency_code}")
        lines = []
        for pl in orig.lines:
            rev = pl.negated()
            rev.trace = rev.trace + [note]
            lines.append(rev)
        if original.status == ACTIVE and record:
            bh.remove_entries(original.icn)
            batch.delete_entries.append(original.icn)
            original.status, original.replaced_by = new_status, it.icn
            batch.status.append((original.icn, new_status, it.icn))
        return PricedClaim(orig.claim, lines, [a.negated() for a in orig.claim_adjustments],
                           REVERSAL, original.icn, orig.illustrative_rates)

    def _void(self, it, bh, batch, original, how, pre, record) -> PricedClaim:
        if original is None:
            reason = f"void (frequency 8): original claim not found ({how})"
            lines = [self._deny(ln, "E12", pre + [reason], None) for ln in it.claim.lines]
            return PricedClaim(it.claim, lines, [], CLAIM_DENIED, it.icn, self.rates.illustrative)
        rev = self._reverse(it, bh, batch, original, how, VOIDED, record)
        priced = PricedClaim(it.claim, rev.lines, rev.claim_adjustments, REVERSAL,
                             original.icn, rev.illustrative_rates)
        if record:
            self._record_claim(it, bh, batch, priced, VOID, original.icn)
        return priced
