# The adjudicator: claims in, PricedClaims out, applying the rules in order.
#
# Strategy: a run reads all its claims first, because rules span claims. History is
# loaded for every beneficiary of the run in one batch. The DME drug (J-code) lines of
# all claims enter history first (they are on file at the DME MAC); then each
# beneficiary's claims are applied in date-of-service order (input order on a tie), and
# within a claim the lines in date order. Each HIT line goes through the rules of
# rules.py: code -> place of service -> units -> same category same day -> initial-visit
# gap -> DME drug -> rate -> deductible -> coinsurance -> sequestration; the first rule
# that fails denies the whole charge with the convention's codes. Every claim gets a
# deterministic payer claim control number (ICN) from its billing NPI, CLM01, frequency
# and lines, which makes re-pricing idempotent: a claim already in history has its own
# entries taken out and is priced again (same answer, nothing recorded twice). A
# replacement (7) or void (8) finds its original by REF*F8, else by NPI + CLM01, and
# yields the original's reversal. History writes go to the store in one transaction at
# the end; results are yielded in input order (a replacement's reversal just before it).
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, Iterator

from edi_hit.pricing.codes import CodeTable, default_codes
from edi_hit.pricing.conventions import load_conventions
from edi_hit.pricing.history import (ACTIVE, REPLACED, VOID, VOIDED, BeneficiaryHistory, DrugClaim,
                                     HistoryBatch, StoredClaim, Visit, open_history)
from edi_hit.pricing.model import (CLAIM_DENIED, DENIED, PAID, PROCESSED, REVERSAL, Adjustment,
                                   PricedClaim, PricedLine)
from edi_hit.pricing.money import ZERO, round_money
from edi_hit.pricing.rates import load_rates
from edi_hit.pricing import rules
from edi_hit.pricing.tables import PartB, part_b as default_part_b

__all__ = ["Pricer", "price", "claim_fingerprint", "claim_icn"]


def claim_fingerprint(claim, mbi: str, npi: str) -> str:
    """A digest of what makes two submissions 'the same claim'; the envelope is left out."""
    parts = [mbi, npi, claim.patient_control_number or "", claim.frequency_code or "1",
             claim.place_of_service or "", str(claim.total_charge)]
    for ln in claim.lines:
        parts += [str(ln.line_number), ln.code or "", ":".join(ln.modifiers), str(ln.charge),
                  str(ln.units), ln.place_of_service or "", str(ln.service_date),
                  str(ln.service_date_end)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def claim_icn(fingerprint: str) -> str:
    """13-digit payer claim control number derived from the fingerprint."""
    return str(int(fingerprint[:16], 16) % 10**13).zfill(13)


@dataclass(slots=True)
class _Item:
    index: int
    claim: object
    mbi: str
    npi: str
    pcn: str
    fingerprint: str
    icn: str
    first_day: date | None
    drug_only: bool


class Pricer:
    """Prices claims with one set of tables and one history store."""

    def __init__(self, *, rates=None, history=None, conventions=None, assume_dme_drug=False,
                 codes: CodeTable | None = None, part_b: PartB | None = None):
        self.rates = load_rates(rates)
        self._owns_history = not hasattr(history, "load")
        self.history = open_history(history)
        self.conv = load_conventions(conventions)
        self.codes = codes or default_codes()
        self.part_b = part_b or default_part_b()
        self.assume_dme_drug = assume_dme_drug
        lookback = max(self.conv.initial_visit_gap_days, self.conv.dme_drug_window_days) + 1
        self._lookback = timedelta(days=lookback)
        self._code_cache: dict = {}
        self._pos_cache: dict = {}
        self._units_cache: dict = {}
        self._quote_cache: dict = {}
        self._money_cache: dict = {}

    def close(self) -> None:
        if self._owns_history:
            self.history.close()

    # -- the run ---------------------------------------------------------------------
    def price(self, claims: Iterable) -> Iterator[PricedClaim]:
        items = [self._item(i, c) for i, c in enumerate(claims)]
        if not items:
            return
        days = [it.first_day for it in items if it.first_day]
        since = (min(days) - self._lookback) if days else None
        histories = self.history.load({it.mbi for it in items}, since)
        self._run_priced: dict[str, PricedClaim] = {}
        self._seen: set[str] = set()
        self._seq = {m: max((c.seq for c in h.claims.values()), default=0)
                     for m, h in histories.items()}
        batch = HistoryBatch()
        self._predrugs = self._record_drugs_first(items, histories, batch)
        results: list = [None] * len(items)
        for it in sorted(items, key=lambda it: (it.mbi, it.first_day or date.max,
                                                 not it.drug_only, it.index)):
            results[it.index] = self._claim(it, histories[it.mbi], batch)
        if self.history.persistent or not self._owns_history:
            self.history.apply(batch)  # a private in-memory store dies with the run
        for out in results:
            yield from out

    def _record_drugs_first(self, items, histories, batch) -> set[str]:
        """Put every new DME drug (J-code) line of the run into history before any HIT line
        is priced: a drug claim dated 0-30 days before a visit is on file when the visit is
        adjudicated, even when the HIT claim's first date sorts before the drug's."""
        done: set[str] = set()
        codes = self.codes
        for it in items:
            bh = histories[it.mbi]
            if (not it.mbi or it.icn in done or it.icn in bh.claims
                    or (it.claim.frequency_code or "1") == "8"):
                continue
            for ln in it.claim.lines:
                if ln.code and ln.service_date and codes.drug_code_known(ln.code):
                    if codes.hit_code_known(ln.code):
                        continue
                    cat = codes.drug_category(ln.code, ln.service_date, ln.modifiers)
                    drug = DrugClaim(it.mbi, ln.service_date, ln.code.upper(), cat, it.icn,
                                     f"837P ICN {it.icn}")
                    bh.add_drug(drug)
                    batch.drugs.append(drug)
                    done.add(it.icn)
        return done

    def _item(self, index: int, claim) -> _Item:
        mbi = (claim.subscriber.member_id if claim.subscriber else None) or ""
        npi = (claim.billing_provider.npi if claim.billing_provider else None) or ""
        fp = claim_fingerprint(claim, mbi, npi)
        lines_days = [ln.service_date for ln in claim.lines if ln.service_date]
        drug_only = bool(claim.lines) and all(
            ln.code and self.codes.drug_code_known(ln.code) for ln in claim.lines)
        return _Item(index, claim, mbi, npi, claim.patient_control_number or "", fp,
                     claim_icn(fp), min(lines_days) if lines_days else None, drug_only)

    # -- one claim ------------------------------------------------------------------------
    def _claim(self, it: _Item, bh: BeneficiaryHistory, batch: HistoryBatch) -> list[PricedClaim]:
        claim = it.claim
        freq = claim.frequency_code or "1"
        known = it.icn in bh.claims
        in_run_duplicate = it.icn in self._seen
        self._seen.add(it.icn)
        record = not in_run_duplicate
        pre: list[str] = []
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
        status = PROCESSED if any(pl.status == PAID for pl in lines) else CLAIM_DENIED
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
        blob = json.dumps(priced.to_dict(), separators=(",", ":")) if self.history.persistent else None
        batch.claims.append((row, blob))

    def _next_seq(self, mbi: str) -> int:
        self._seq[mbi] = self._seq.get(mbi, 0) + 1
        return self._seq[mbi]

    # -- replacements and voids ------------------------------------------------------------
    def _find_original(self, it: _Item, bh: BeneficiaryHistory):
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

    # -- lines ------------------------------------------------------------------------------
    def _locality(self, claim):
        src = self.conv.locality_source
        if src == "national":
            return None, "locality national (convention locality_source = national)"
        if src == "beneficiary_zip":
            addr, who = (claim.subscriber.address if claim.subscriber else None), "beneficiary"
        else:
            addr, who = (claim.billing_provider.address if claim.billing_provider else None), \
                "billing provider"
        zip_code = addr.postal_code if addr else None
        loc = self.rates.locality_for_zip(zip_code, who)
        if loc is not None:
            return loc, f"locality {loc.key} from {loc.via}"
        if zip_code:
            return None, f"locality national: ZIP {zip_code[:5]} ({who}) not in the ZIP map"
        return None, f"locality national: no {who} ZIP"

    def _deny(self, line, edit: str, trace: list[str], category) -> PricedLine:
        e = self.conv.edit(edit)
        charge = round_money(line.charge)
        trace.append(f"denied {e.label()}")
        return PricedLine(line, DENIED, charge, ZERO, ZERO, line.units,
                          [Adjustment(e.group, e.reason, charge)], list(e.remarks),
                          category, trace)

    def _price_lines(self, it: _Item, bh: BeneficiaryHistory, batch: HistoryBatch | None,
                     pre: list[str]) -> list[PricedLine]:
        claim = it.claim
        locality, loc_trace = self._locality(claim)
        codes, conv = self.codes, self.conv
        # decisions that depend only on the line's own fields are memoised per run
        code_cache, pos_cache, units_cache = self._code_cache, self._pos_cache, self._units_cache
        quote_cache = self._quote_cache
        results: list = [None] * len(claim.lines)
        order = sorted(range(len(claim.lines)), key=lambda i: (
            claim.lines[i].service_date or date.max,
            not (claim.lines[i].code and codes.drug_code_known(claim.lines[i].code)),
            claim.lines[i].line_number))
        deductible_years: set[int] = set()
        for i in order:
            line = claim.lines[i]
            trace = list(pre)
            day = line.service_date
            if not it.mbi or day is None or not line.code:
                missing = ("no beneficiary id (2010BA NM109)" if not it.mbi else
                           "no date of service (DTP*472)" if day is None else "no procedure code")
                trace.append(f"E12 {missing}")
                results[i] = self._deny(line, "E12" if line.code else "E1", trace, None)
                continue
            line_pos = line.place_of_service
            view = rules.LineView(it.mbi, day, line.code.upper(), round_money(line.charge),
                                  line.units, line_pos or claim.place_of_service,
                                  "SV105" if line_pos else "CLM05-1", it.npi, line.line_number,
                                  tuple(line.modifiers))
            key = (view.code, day, view.modifiers)
            d = code_cache.get(key)
            if d is None:
                d = code_cache[key] = rules.code_valid(view, codes)
            trace.append(d.trace)
            if not d.passed:
                if d.edit == "E11" and batch is not None and it.icn not in self._predrugs:
                    drug = DrugClaim(it.mbi, day, view.code, d.value, it.icn, f"837P ICN {it.icn}")
                    bh.add_drug(drug)
                    batch.drugs.append(drug)
                results[i] = self._deny(line, d.edit, trace, d.value if d.edit == "E11" else None)
                continue
            hit = d.value
            key = (view.pos, view.pos_source)
            decision = pos_cache.get(key)
            if decision is None:
                decision = pos_cache[key] = rules.place_of_service(view, conv)
            trace.append(decision.trace)
            if decision.passed:
                decision = units_cache.get(view.units)
                if decision is None:
                    decision = units_cache[view.units] = rules.units_of_time(view)
                trace.append(decision.trace)
            if decision.passed:
                decision = rules.same_category_same_day(view, hit, bh.visits_between(day, day), conv)
                trace.append(decision.trace)
            price_code = hit
            if decision.passed:
                prior = bh.visits_between(day - timedelta(days=conv.initial_visit_gap_days),
                                          day - timedelta(days=1))
                decision = rules.initial_visit_gap(view, hit, prior, conv, codes)
                trace.append(decision.trace)
                if decision.passed and decision.value is not None:
                    price_code = decision.value
            if decision.passed:
                drugs = bh.drugs_between(day - timedelta(days=conv.dme_drug_window_days), day)
                decision = rules.dme_drug_before_visit(view, hit, drugs, conv, self.assume_dme_drug)
                trace.append(decision.trace)
            if not decision.passed:
                results[i] = self._deny(line, decision.edit, trace, hit.category)
                continue
            trace.append(loc_trace)
            qkey = (price_code.code, day, locality)
            quote = quote_cache.get(qkey, False)
            if quote is False:
                quote = quote_cache[qkey] = self.rates.quote(price_code.code, day, locality,
                                                             conv.locality_rate)
            annual = self.part_b.deductible(day.year)
            if quote is None or annual is None:
                trace.append(f"E12 no rate for {price_code.code} on {day} in {self.rates.name}"
                             if quote is None else f"E12 no Part B deductible for {day.year}")
                results[i] = self._deny(line, "E12", trace, hit.category)
                continue
            trace.append(quote.trace)
            results[i], applied = self._money(line, view, hit.category, quote.amount, annual,
                                              bh, trace)
            if batch is not None:
                visit = Visit(it.mbi, day, hit.category, view.code, it.npi, view.charge, it.icn,
                              line.line_number, line.control_number)
                bh.add_visit(visit)
                batch.visits.append(visit)
                if applied:
                    bh.add_deductible(day.year, it.icn, applied)
                    deductible_years.add(day.year)
        if batch is not None:
            for year in sorted(deductible_years):
                batch.deductible.append((it.mbi, year, it.icn, bh.deductible[year][it.icn]))
        return results

    def _money(self, line, view, category, rate, annual, bh, trace) -> tuple[PricedLine, Decimal]:
        """Rules 7-10 for a line that passed every edit; returns the line and its PR-1.
        The steps depend only on (charge, rate, year, deductible met, through date), so
        their outcome is memoised per run: a large file repeats the same few keys."""
        day = view.day
        through = line.service_date_end or day
        met = bh.deductible_met(day.year)
        key = (view.charge, rate, day.year, annual, met, through)
        hit = self._money_cache.get(key)
        if hit is None:
            allowed = rules.allowed_amount(view.charge, rate)
            ded = rules.deductible(allowed.amount, day.year, annual, met)
            coins = rules.coinsurance(allowed.amount - ded.amount, self.part_b.coinsurance_rate)
            medicare = allowed.amount - ded.amount - coins.amount
            seq = rules.sequestration(medicare, self.part_b.sequestration_rate(through), through)
            paid = medicare - seq.amount
            amounts = tuple((g, r, a) for g, r, a in (
                ("CO", "45", view.charge - allowed.amount), ("PR", "1", ded.amount),
                ("PR", "2", coins.amount), ("CO", "253", seq.amount)) if a)
            steps = (allowed.trace, ded.trace, coins.trace, seq.trace, f"paid {paid}")
            hit = self._money_cache[key] = (allowed.amount, paid, ded.amount, amounts, steps)
        allowed, paid, ded, amounts, steps = hit
        trace.extend(steps)
        return PricedLine(line, PAID, view.charge, allowed, paid, line.units,
                          [Adjustment(g, r, a) for g, r, a in amounts], [], category,
                          trace), ded


def price(claims, *, rates=None, history=None, conventions=None, assume_dme_drug: bool = False,
          codes: CodeTable | None = None, part_b: PartB | None = None) -> Iterator[PricedClaim]:
    """Price claims under the Medicare HIT benefit; yields PricedClaims in input order.

    rates: a RateTable, a rate-table dict or JSON path (default: the shipped illustrative
    table); history: a HistoryStore or a SQLite path (default: a new in-memory store);
    conventions: a Conventions, a partial override dict or JSON path (default: shipped).
    """
    pricer = Pricer(rates=rates, history=history, conventions=conventions,
                    assume_dme_drug=assume_dme_drug, codes=codes, part_b=part_b)
    try:
        yield from pricer.price(claims)
    finally:
        pricer.close()
