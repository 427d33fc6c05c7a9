# Claim-level decisions: originals, replacements, voids, exact duplicates.
#
# Strategy: a claim is an original (frequency 1), a replacement (7) or a void (8) of an
# earlier claim, or an exact duplicate of a claim already decided. This mixin of the
# Pricer decides that, once per claim, before any line rule runs:
# - a claim whose digest (run.claim_fingerprint) equals a claim still standing in the
#   ledger, decided in an earlier run or earlier in this one, is denied whole as an exact
#   duplicate (convention C28, default OA-18) with the original's ICN recorded; it is
#   never priced or paid again. A read-only history (price, reconcile) answers it with the
#   recorded decision instead.
# - a replacement or void finds its original (REF*F8, else billing NPI + CLM01), yields
#   the original's reversal (its recorded lines, every amount negated) and takes the
#   original's history entries back;
# - everything else goes to the Pricer's line rules (pricer.py), and the decision is
#   recorded as a ledger row (history/model.py StoredClaim) with its priced lines.
# Every decided claim gets an ICN of its own: the digest's ICN (run.claim_icn), or the
# next variant of it when that number is taken (a duplicate, a resubmission after a
# void, a collision of two digests). Line rules know nothing of originals, voids or
# duplicates; this module knows nothing of rates, categories or days.
from __future__ import annotations

from dataclasses import replace

from edi_hit.pricing.history import (ACTIVE, DUPLICATE, REPLACED, VOID, VOIDED,
                                     BeneficiaryHistory, HistoryBatch, StoredClaim)
from edi_hit.pricing.history.record import decode_lines, encode_lines
from edi_hit.pricing.model import CLAIM_DENIED, PAID, PROCESSED, REVERSAL, PricedClaim
from edi_hit.pricing.run import ClaimItem, claim_icn

__all__ = ["ClaimLifecycle", "DUPLICATE_EDIT"]

#: The conventions' edit for an exact duplicate of a claim already decided (C28).
DUPLICATE_EDIT = "C28"
_STATUS = {"processed": PROCESSED, "denied": CLAIM_DENIED, "reversal": REVERSAL}


class ClaimLifecycle:
    """Claim-level decisions of the Pricer (a mixin: it uses the Pricer's history,
    rates, conventions, _price_lines and _deny; PricingRun sets _track)."""

    _track: bool = False

    def _claim(self, it: ClaimItem, bh: BeneficiaryHistory, batch: HistoryBatch) -> list[PricedClaim]:
        standing = bh.standing.get(it.fingerprint)
        if standing is not None:
            return [self._known(it, bh, batch, standing)]
        it.icn = self._free_icn(it, bh)
        pre: list[str] = [it.note] if it.note else []
        freq = it.claim.frequency_code or "1"
        out: list[PricedClaim] = []
        original = None
        if freq in ("7", "8"):
            original, how = self._find_original(it, bh)
            if freq == "8":
                return [self._void(it, bh, batch, original, how, pre)]
            if original is not None:
                out.append(self._reverse(it, bh, batch, original, how, REPLACED))
                pre.append(f"replacement (frequency 7) of ICN {original.icn} ({how})")
            else:
                pre.append(f"replacement (frequency 7): original not found ({how}); "
                           f"priced as a new claim")
        lines = self._price_lines(it, bh, batch, pre)
        status = CLAIM_DENIED
        for pl in lines:
            if pl.status == PAID:
                status = PROCESSED
                break
        priced = PricedClaim(it.claim, lines, [], status, it.icn, self.rates.illustrative)
        self._record_claim(it, bh, batch, priced, ACTIVE, status,
                           original.icn if original is not None else None)
        out.append(priced)
        return out

    # -- identity --------------------------------------------------------------------------
    def _assign_icns(self, groups: list[list[ClaimItem]], histories) -> None:
        """Before a ready set is priced: give every claim the ICN of its digest unless a
        different claim holds that number already (in the ledger, which holds this run's
        earlier decisions too, or in this ready set)."""
        if not self._track:
            return  # a private in-memory history: nothing outlives the run
        taken = self.history.icns_in_use({it.icn for g in groups for it in g})
        seen: dict[str, str] = {}
        for group in groups:
            bh = histories[group[0].mbi]
            for it in group:
                icn, variant = it.icn, 0
                while True:
                    digest = seen.get(icn)
                    if digest is None:
                        held = bh.claims.get(icn)
                        digest = held.digest if held is not None else (
                            "" if icn in taken else None)
                    if digest is None or digest == it.fingerprint:
                        break
                    variant += 1
                    icn = claim_icn(it.fingerprint, variant)
                    taken |= self.history.icns_in_use([icn])
                it.icn = icn
                seen[icn] = it.fingerprint

    def _free_icn(self, it: ClaimItem, bh: BeneficiaryHistory) -> str:
        """The claim's ICN, or the next variant when this member's ledger already has it
        (a duplicate, or a resubmission of a claim that was voided or replaced)."""
        icn, variant = it.icn, 0
        while icn in bh.claims or (variant and self._track and self.history.icns_in_use([icn])):
            variant += 1
            icn = claim_icn(it.fingerprint, variant)
        return icn

    # -- recording -------------------------------------------------------------------------
    def _record_claim(self, it: ClaimItem, bh: BeneficiaryHistory, batch: HistoryBatch,
                      priced: PricedClaim, state: str, outcome: str,
                      original: str | None = None) -> None:
        self._run_priced[it.icn] = priced
        row = StoredClaim(it.icn, it.npi, it.pcn, it.fingerprint, it.mbi,
                          it.claim.frequency_code or "1", state, None, self._next_seq(it.mbi),
                          outcome, original)
        bh.add_claim(row)
        if self._writes:  # what the ledger keeps (a private in-memory history needs none)
            row.charge, row.paid = priced.total_charge, priced.total_paid
            row.lines = encode_lines(priced.lines)
            batch.claims.append(row)

    def _next_seq(self, mbi: str) -> int:
        """The next sequence number of the beneficiary's claims (history included)."""
        seq = self._seq.get(mbi)
        if seq is None:
            claims = self._bh_claims
            seq = max((c.seq for c in claims.values()), default=0)
        self._seq[mbi] = seq + 1
        return seq + 1

    def _recorded_lines(self, icn: str):
        """The priced lines decided for a ledger claim: from this run, else the store."""
        priced = self._run_priced.get(icn)
        if priced is not None:
            return [pl for pl in priced.lines]
        text = self.history.claim_lines(icn)
        return None if text is None else decode_lines(text, self.history.location)

    # -- exact duplicates (C28) -------------------------------------------------------------
    def _known(self, it, bh, batch, standing: StoredClaim) -> PricedClaim:
        if self.history.readonly and standing.icn not in self._run_priced:
            text = self.history.claim_lines(standing.icn)
            if text is not None:
                return self._recorded(it, standing, text)
        return self._duplicate(it, bh, batch, standing)

    def _duplicate(self, it, bh, batch, original: StoredClaim) -> PricedClaim:
        it.icn = self._free_icn(it, bh)
        where = f" (run {original.run_id})" if original.run_id else ""
        note = (f"{DUPLICATE_EDIT} exact duplicate of claim ICN {original.icn}{where}, "
                f"decided already: not paid again")
        pre = [it.note] if it.note else []
        lines = [self._deny(ln, DUPLICATE_EDIT, [*pre, note], None) for ln in it.claim.lines]
        priced = PricedClaim(it.claim, lines, [], CLAIM_DENIED, it.icn, self.rates.illustrative,
                             duplicate_of=original.icn)
        self._record_claim(it, bh, batch, priced, DUPLICATE, "duplicate", original.icn)
        return priced

    def _recorded(self, it, standing: StoredClaim, text: str) -> PricedClaim:
        """A read-only history's answer for a claim decided already: that decision."""
        lines = decode_lines(text, self.history.location)
        note = (f"decided already as ICN {standing.icn}"
                + (f" in run {standing.run_id}" if standing.run_id else "")
                + ": the recorded decision")
        for pl in lines:
            pl.trace = [note]
        icn = standing.original_icn if standing.outcome == "reversal" else standing.icn
        return PricedClaim(it.claim, lines, [], _STATUS.get(standing.outcome, CLAIM_DENIED),
                           icn or standing.icn, self.rates.illustrative)

    # -- replacements and voids ------------------------------------------------------------
    def _find_original(self, it: ClaimItem, bh: BeneficiaryHistory):
        f8 = it.claim.payer_claim_control_number()
        cand, how = None, ""
        if f8 and f8 in bh.claims:
            cand, how = bh.claims[f8], f"REF*F8 {f8}"
            while cand.state == REPLACED and cand.replaced_by in bh.claims:
                cand = bh.claims[cand.replaced_by]
                how += f" -> replaced by ICN {cand.icn}"
        if cand is None:
            how = (f"REF*F8 {f8} not in history; " if f8 else "") + f"by NPI {it.npi} + CLM01 {it.pcn}"
            matches = [c for c in bh.claims.values()
                       if c.npi == it.npi and c.pcn == it.pcn and c.frequency != "8"
                       and c.state == ACTIVE]
            cand = max(matches, key=lambda c: c.seq, default=None)
        if cand is not None and cand.state == ACTIVE:
            return cand, how
        if cand is not None:
            return None, f"{how}: ICN {cand.icn} is already {cand.state}"
        return None, how

    def _reverse(self, it, bh, batch, original: StoredClaim, how: str,
                 new_state: str) -> PricedClaim:
        recorded = self._recorded_lines(original.icn)
        if recorded is None:  # a claim decided before its lines were kept
            recorded = []
        note = (f"reversal of ICN {original.icn} ({how}) by ICN {it.icn}, frequency "
                f"{it.claim.frequency_code}")
        lines = []
        for pl in recorded:
            rev = pl.negated()
            rev.trace = rev.trace + [note]
            lines.append(rev)
        bh.remove_entries(original.icn)
        batch.delete_entries.append(original.icn)
        bh.set_state(original, new_state, it.icn)
        batch.states.append((original.icn, new_state, it.icn))
        # the reversal is remitted as the original was: its CLM01 and frequency
        claim = it.claim
        if claim.patient_control_number != original.pcn or claim.frequency_code != original.frequency:
            claim = replace(claim, patient_control_number=original.pcn,
                            frequency_code=original.frequency)
        return PricedClaim(claim, lines, [], REVERSAL, original.icn, self.rates.illustrative)

    def _void(self, it, bh, batch, original, how, pre) -> PricedClaim:
        if original is None:
            reason = f"void (frequency 8): original claim not found ({how})"
            lines = [self._deny(ln, "E12", pre + [reason], None) for ln in it.claim.lines]
            priced = PricedClaim(it.claim, lines, [], CLAIM_DENIED, it.icn, self.rates.illustrative)
            self._record_claim(it, bh, batch, priced, ACTIVE, CLAIM_DENIED)
            return priced
        rev = self._reverse(it, bh, batch, original, how, VOIDED)
        priced = PricedClaim(it.claim, rev.lines, rev.claim_adjustments, REVERSAL,
                             original.icn, rev.illustrative_rates)
        self._record_claim(it, bh, batch, priced, VOID, "reversal", original.icn)
        return priced
