# The pricer: claims in, PricedClaims out, applying the HIT rules in order.
#
# Strategy: a PricingRun (run.py) hands the pricer ready sets of beneficiaries; for each
# the DME drug (J-code) lines of their claims enter history first (they are on file at
# the DME MAC), then each claim goes through the claim lifecycle (lifecycle.py:
# originals, replacements, voids, resubmissions) and its lines, in date order, through
# the rules of rules.py: code -> place of service -> units -> same category same day ->
# initial-visit gap -> DME drug -> rate -> deductible -> coinsurance -> sequestration;
# the first rule that fails denies the whole charge with the convention's codes.
# Decisions that depend only on a few values (the code on the date, the place of
# service, a day without other visits, a rate) are memoised, so the common line formats
# no text at all. History writes are staged in the store as each ready set is priced
# and committed in one transaction when the run completes (rolled back if it fails).
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import date, timedelta
from typing import Iterable, Iterator, Mapping

from edi_hit.pricing.codes import CodeTable, default_codes
from edi_hit.pricing.conventions import load_conventions
from edi_hit.pricing.history import BeneficiaryHistory, DrugClaim, HistoryBatch, Visit, open_history
from edi_hit.pricing.lifecycle import ClaimLifecycle
from edi_hit.pricing.model import DENIED, PAID, Adjustment, PricedClaim, PricedLine
from edi_hit.pricing.money import ZERO, round_money
from edi_hit.pricing.rates import load_rates
from edi_hit.pricing import rules
from edi_hit.pricing.run import (DEFAULT_GROUP_SIZE, ClaimItem, PricingRun, claim_fingerprint,
                                 claim_icn, member_id)
from edi_hit.pricing.tables import PartB, part_b as default_part_b

__all__ = ["Pricer", "PricingRun", "price", "claim_fingerprint", "claim_icn", "member_id",
           "DEFAULT_GROUP_SIZE"]

_MAX_CACHE = 50_000  # entries per memo; a run over very varied data starts afresh
_FAR = date.max


class Pricer(ClaimLifecycle):
    """Prices claims with one set of tables and one history store."""

    def __init__(self, *, rates=None, history=None, conventions=None, assume_dme_drug=False,
                 codes: CodeTable | None = None, part_b: PartB | None = None,
                 group_size: int = DEFAULT_GROUP_SIZE):
        self.rates = load_rates(rates)
        self._owns_history = not hasattr(history, "load")
        self.history = open_history(history)
        # a private in-memory store starts empty and dies with the pricer: nothing to
        # load, nothing worth writing
        self._writes = self.history.persistent or not self._owns_history
        self.conv = load_conventions(conventions)
        self.codes = codes or default_codes()
        self.part_b = part_b or default_part_b()
        self.assume_dme_drug = assume_dme_drug
        self.group_size = group_size
        lookback = max(self.conv.initial_visit_gap_days, self.conv.dme_drug_window_days) + 1
        self._lookback = timedelta(days=lookback)
        self._gap = timedelta(days=self.conv.initial_visit_gap_days)
        self._window = timedelta(days=self.conv.dme_drug_window_days)
        self._caches: list[dict] = []
        self._code_cache = self._cache()
        self._pos_cache = self._cache()
        self._units_cache = self._cache()
        self._quote_cache = self._cache()
        self._money_cache = self._cache()
        self._day_cache = self._cache()     # same category same day, no other visit that day
        self._gap_cache = self._cache()     # initial-visit gap, no visit in the gap
        self._dme_cache = self._cache()     # DME drug rule without a drug in the window
        self._loc_cache = self._cache()
        self._drug_known = self._cache()
        self._srate = self._cache()
        self._round = self._cache()
        self._seq_cache = self._cache()

    def _cache(self) -> dict:
        c: dict = {}
        self._caches.append(c)
        return c

    def close(self) -> None:
        if self._owns_history:
            self.history.close()

    # -- the run ---------------------------------------------------------------------
    def run(self, expected: Mapping[str, int] | None = None) -> PricingRun:
        """Start a run; `expected` maps member id -> claims of that member in the run."""
        for c in self._caches:
            if len(c) > _MAX_CACHE:
                c.clear()
        return PricingRun(self, expected, self.group_size)

    def price(self, claims: Iterable) -> Iterator[PricedClaim]:
        """Price claims held in memory (a list, or any iterable, which is read first).

        The run plan is counted from the claims themselves, so each beneficiary is
        priced as soon as its last claim has been passed, in the order described at
        the top of this module. For files use edi_hit.pricing.stream.price_files,
        which reads them twice instead of holding them.
        """
        claims = claims if isinstance(claims, (list, tuple)) else list(claims)
        expected = Counter(member_id(c) for c in claims)
        return self.run(expected).stream(claims)

    def _load(self, groups: list[list[ClaimItem]]) -> dict[str, BeneficiaryHistory]:
        mbis = [g[0].mbi for g in groups]
        if not self._writes:
            return {m: BeneficiaryHistory(m) for m in mbis}
        days = [it.first_day for g in groups for it in g if it.first_day]
        since = (min(days) - self._lookback) if days else None
        return self.history.load(mbis, since)

    def _price_group(self, items: list[ClaimItem], bh: BeneficiaryHistory,
                     batch: HistoryBatch) -> list[PricedClaim]:
        """One beneficiary's claims of the run: drug lines first, then date order;
        returned in input order."""
        self._run_priced: dict[str, PricedClaim] = {}
        self._seen: set[str] = set()
        self._seq = {}
        self._bh_claims = bh.claims
        self._predrugs = self._record_drugs_first(items, bh, batch)
        if len(items) == 1:
            return self._claim(items[0], bh, batch)
        results: dict[int, list[PricedClaim]] = {}
        for it in sorted(items, key=lambda it: (it.first_day or _FAR, not it.drug_only,
                                                 it.index)):
            results[it.index] = self._claim(it, bh, batch)
        return [pc for it in items for pc in results[it.index]]

    def _record_drugs_first(self, items, bh, batch) -> set[str]:
        """Put every new DME drug (J-code) line of the beneficiary's claims into history
        before any HIT line is priced: a drug claim dated 0-30 days before a visit is on
        file when the visit is adjudicated, even when the HIT claim's first date sorts
        before the drug's."""
        done: set[str] = set()
        codes = self.codes
        known = self._drug_known
        for it in items:
            if (not it.has_drug or not it.mbi or it.icn in done or it.icn in bh.claims
                    or (it.claim.frequency_code or "1") == "8"):
                continue
            for ln in it.claim.lines:
                code = ln.code
                if not code or not ln.service_date:
                    continue
                k = known.get(code)
                if k is None:
                    k = known[code] = codes.drug_code_known(code)
                if k:
                    if codes.hit_code_known(code):
                        continue
                    cat = codes.drug_category(code, ln.service_date, ln.modifiers)
                    drug = DrugClaim(it.mbi, ln.service_date, code.upper(), cat, it.icn,
                                     f"837P ICN {it.icn}")
                    bh.add_drug(drug)
                    batch.drugs.append(drug)
                    done.add(it.icn)
        return done

    def _item(self, index: int, claim) -> ClaimItem:
        mbi = member_id(claim)
        bp = claim.billing_provider
        npi = (bp.npi if bp is not None else None) or ""
        fp = claim_fingerprint(claim, mbi, npi)
        first = None
        drugs = 0
        known = self._drug_known
        for ln in claim.lines:
            day = ln.service_date
            if day is not None and (first is None or day < first):
                first = day
            code = ln.code
            if code:
                k = known.get(code)
                if k is None:
                    k = known[code] = self.codes.drug_code_known(code)
                if k:
                    drugs += 1
        return ClaimItem(index, claim, mbi, npi, claim.patient_control_number or "", fp,
                     claim_icn(fp), first, bool(claim.lines) and drugs == len(claim.lines),
                     drugs > 0)

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
        hit = self._loc_cache.get(zip_code)
        if hit is not None:
            return hit
        loc = self.rates.locality_for_zip(zip_code, who)
        if loc is not None:
            hit = loc, f"locality {loc.key} from {loc.via}"
        elif zip_code:
            hit = None, f"locality national: ZIP {zip_code[:5]} ({who}) not in the ZIP map"
        else:
            hit = None, f"locality national: no {who} ZIP"
        self._loc_cache[zip_code] = hit
        return hit

    def _deny(self, line, edit: str, trace: list[str], category) -> PricedLine:
        e = self.conv.edit(edit)
        charge = round_money(line.charge)
        trace.append(f"denied {e.label()}")
        return PricedLine(line, DENIED, charge, ZERO, ZERO, line.units,
                          [Adjustment(e.group, e.reason, charge)], list(e.remarks),
                          category, trace)

    def _line_order(self, lines):
        """Lines in date order, a drug line before a visit on its day, then line number."""
        prev = None
        for ln in lines:  # the usual claim: one line a day, in date order
            day = ln.service_date
            if day is None or (prev is not None and day <= prev):
                break
            prev = day
        else:
            return range(len(lines))
        known = self._drug_known
        keys = []
        for ln in lines:
            code = ln.code
            k = False
            if code:
                k = known.get(code)
                if k is None:
                    k = known[code] = self.codes.drug_code_known(code)
            keys.append((ln.service_date or _FAR, not k, ln.line_number))
        return sorted(range(len(lines)), key=keys.__getitem__)

    def _price_lines(self, it: ClaimItem, bh: BeneficiaryHistory, batch: HistoryBatch | None,
                     pre: list[str]) -> list[PricedLine]:
        claim = it.claim
        lines = claim.lines
        codes, conv = self.codes, self.conv
        # Decisions that depend only on a few values are memoised per pricer; the keys
        # hold everything the decision (and its trace line) depends on.
        code_cache, pos_cache, units_cache = self._code_cache, self._pos_cache, self._units_cache
        quote_cache, day_cache, gap_cache = self._quote_cache, self._day_cache, self._gap_cache
        dme_cache, money_round = self._dme_cache, self._round
        deductibles = self.part_b.deductibles
        results: list = [None] * len(lines)
        order = self._line_order(lines)
        deductible_years: set[int] = set()
        locality = loc_trace = None
        mbi = it.mbi
        for i in order:
            line = lines[i]
            day = line.service_date
            raw_code = line.code
            if not mbi or day is None or not raw_code:
                missing = ("no beneficiary id (2010BA NM109)" if not mbi else
                           "no date of service (DTP*472)" if day is None else "no procedure code")
                results[i] = self._deny(line, "E12" if raw_code else "E1",
                                        [*pre, f"E12 {missing}"], None)
                continue
            code = raw_code.upper()
            line_pos = line.place_of_service
            view = None
            key = (code, day, tuple(line.modifiers))
            d = code_cache.get(key)
            if d is None:
                view = self._view(it, line, code, day)
                d = code_cache[key] = rules.code_valid(view, codes)
            if not d.passed:
                if d.edit == "E11" and batch is not None and it.icn not in self._predrugs:
                    drug = DrugClaim(mbi, day, code, d.value, it.icn, f"837P ICN {it.icn}")
                    bh.add_drug(drug)
                    batch.drugs.append(drug)
                results[i] = self._deny(line, d.edit, [*pre, d.trace],
                                        d.value if d.edit == "E11" else None)
                continue
            hit = d.value
            key = (line_pos or claim.place_of_service, "SV105" if line_pos else "CLM05-1")
            pd = pos_cache.get(key)
            if pd is None:
                view = view or self._view(it, line, code, day)
                pd = pos_cache[key] = rules.place_of_service(view, conv)
            if not pd.passed:
                results[i] = self._deny(line, pd.edit, [*pre, d.trace, pd.trace], hit.category)
                continue
            units = line.units
            key = None if units is None else str(units)
            ud = units_cache.get(key)
            if ud is None:
                view = view or self._view(it, line, code, day)
                ud = units_cache[key] = rules.units_of_time(view)
            if not ud.passed:
                results[i] = self._deny(line, ud.edit, [*pre, d.trace, pd.trace, ud.trace],
                                        hit.category)
                continue
            charge = line.charge
            if charge:  # equal non-zero amounts round alike: share one rounded Decimal
                rounded = money_round.get(charge)
                if rounded is None:
                    rounded = money_round[charge] = round_money(charge)
                charge = rounded
            else:
                charge = round_money(charge)
            vdays = bh.visit_days
            if vdays:
                lo = bisect_left(vdays, day - self._gap)
                mid = bisect_left(vdays, day, lo)
                same_day = bh.visits[mid:bisect_right(vdays, day, mid)]
                prior = bh.visits[lo:mid]
            else:
                same_day = prior = None
            if same_day:
                view = view or self._view(it, line, code, day)
                sd = rules.same_category_same_day(view, hit, same_day, conv)
            else:
                sd = day_cache.get((code, day))
                if sd is None:
                    view = view or self._view(it, line, code, day)
                    sd = day_cache[(code, day)] = rules.same_category_same_day(view, hit, [], conv)
            if not sd.passed:
                results[i] = self._deny(line, sd.edit,
                                        [*pre, d.trace, pd.trace, ud.trace, sd.trace], hit.category)
                continue
            if prior and hit.initial:
                view = view or self._view(it, line, code, day)
                gd = rules.initial_visit_gap(view, hit, prior, conv, codes)
            else:
                gd = gap_cache.get((code, day))
                if gd is None:
                    view = view or self._view(it, line, code, day)
                    gd = gap_cache[(code, day)] = rules.initial_visit_gap(view, hit, [], conv,
                                                                          codes)
            if not gd.passed:
                results[i] = self._deny(line, gd.edit, [*pre, d.trace, pd.trace, ud.trace,
                                                        sd.trace, gd.trace], hit.category)
                continue
            price_code = gd.value if gd.value is not None else hit
            if self.assume_dme_drug:
                dd = dme_cache.get(None)
                if dd is None:
                    view = view or self._view(it, line, code, day)
                    dd = dme_cache[None] = rules.dme_drug_before_visit(view, hit, [], conv, True)
            else:
                drugs = bh.drugs_between(day - self._window, day)
                if drugs:
                    view = view or self._view(it, line, code, day)
                    dd = rules.dme_drug_before_visit(view, hit, drugs, conv, False)
                else:
                    dd = dme_cache.get((code, day))
                    if dd is None:
                        view = view or self._view(it, line, code, day)
                        dd = dme_cache[(code, day)] = rules.dme_drug_before_visit(
                            view, hit, [], conv, False)
            if not dd.passed:
                results[i] = self._deny(line, dd.edit, [*pre, d.trace, pd.trace, ud.trace,
                                                        sd.trace, gd.trace, dd.trace],
                                        hit.category)
                continue
            if loc_trace is None:
                locality, loc_trace = self._locality(claim)
            qkey = (price_code.code, day, loc_trace)
            quote = quote_cache.get(qkey, False)
            if quote is False:
                quote = quote_cache[qkey] = self.rates.quote(price_code.code, day, locality,
                                                             conv.locality_rate)
            annual = deductibles.get(day.year)
            if quote is None or annual is None:
                results[i] = self._deny(line, "E12", [
                    *pre, d.trace, pd.trace, ud.trace, sd.trace, gd.trace, dd.trace, loc_trace,
                    f"E12 no rate for {price_code.code} on {day} in {self.rates.name}"
                    if quote is None else f"E12 no Part B deductible for {day.year}"],
                    hit.category)
                continue
            allowed, paid, applied, amounts, steps = self._money(
                line, day, charge, quote.amount, annual, bh)
            results[i] = PricedLine(
                line, PAID, charge, allowed, paid, units,
                list(amounts), [], hit.category,
                [*pre, d.trace, pd.trace, ud.trace, sd.trace, gd.trace, dd.trace, loc_trace,
                 quote.trace, *steps])
            if batch is not None:
                visit = Visit(mbi, day, hit.category, code, it.npi, charge, it.icn,
                              line.line_number, line.control_number)
                bh.add_visit(visit)
                batch.visits.append(visit)
                if applied:
                    bh.add_deductible(day.year, it.icn, applied)
                    deductible_years.add(day.year)
        if batch is not None:
            for year in sorted(deductible_years):
                batch.deductible.append((mbi, year, it.icn, bh.deductible[year][it.icn]))
        return results

    def _view(self, it: ClaimItem, line, code: str, day: date) -> rules.LineView:
        line_pos = line.place_of_service
        return rules.LineView(it.mbi, day, code, round_money(line.charge), line.units,
                              line_pos or it.claim.place_of_service,
                              "SV105" if line_pos else "CLM05-1", it.npi, line.line_number,
                              tuple(line.modifiers))

    def _money(self, line, day, charge, rate, annual, bh):
        """Rules 7-10 for a line that passed every edit: (allowed, paid, PR-1, adjustments,
        trace lines). The amounts depend only on (charge, rate, year, deductible met,
        sequestration rate), so they are memoised: a large file repeats a few keys. The
        sequestration trace line also names the through date; it is memoised apart."""
        through = line.service_date_end or day
        year = day.year
        per = bh.deductible.get(year)
        met = sum(per.values(), ZERO) if per else ZERO
        srate = self._srate.get(through)
        if srate is None:
            srate = self._srate[through] = self.part_b.sequestration_rate(through)
        key = (charge, rate, year, annual, met, srate)
        hit = self._money_cache.get(key)
        if hit is None:
            allowed = rules.allowed_amount(charge, rate)
            ded = rules.deductible(allowed.amount, year, annual, met)
            coins = rules.coinsurance(allowed.amount - ded.amount, self.part_b.coinsurance_rate)
            medicare = allowed.amount - ded.amount - coins.amount
            seq = rules.sequestration(medicare, srate, through)
            self._seq_cache[(medicare, srate, through)] = seq.trace
            paid = medicare - seq.amount
            amounts = tuple(Adjustment(g, r, a) for g, r, a in (
                ("CO", "45", charge - allowed.amount), ("PR", "1", ded.amount),
                ("PR", "2", coins.amount), ("CO", "253", seq.amount)) if a)
            hit = self._money_cache[key] = (allowed.amount, paid, ded.amount, amounts,
                                            allowed.trace, ded.trace, coins.trace, medicare,
                                            f"paid {paid}")
        allowed, paid, applied, amounts, t_allowed, t_ded, t_coins, medicare, t_paid = hit
        skey = (medicare, srate, through)
        t_seq = self._seq_cache.get(skey)
        if t_seq is None:
            t_seq = self._seq_cache[skey] = rules.sequestration(medicare, srate, through).trace
        return allowed, paid, applied, amounts, (t_allowed, t_ded, t_coins, t_seq, t_paid)


def price(claims, *, rates=None, history=None, conventions=None, assume_dme_drug: bool = False,
          codes: CodeTable | None = None, part_b: PartB | None = None) -> Iterator[PricedClaim]:
    """Price claims under the Medicare HIT benefit; yields PricedClaims.

    claims: Claim objects held in memory (any iterable; it is read first). Each
    beneficiary's claims are applied in date-of-service order; the output is beneficiary
    by beneficiary, in the order of each one's last claim, and a beneficiary's claims in
    input order. For 837P files use edi_hit.pricing.stream.price_files (streams them).

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
