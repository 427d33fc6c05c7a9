# The Medicare payment of an HIT line that passed every edit (hit-rules 9).
#
# Strategy: the rate in force for the code, the day and the locality (C5, C8), then
# the money steps of rules.py in the order of C9: allowed (P1), deductible (P2),
# coinsurance (P3), sequestration (P4). A line with no rate, or no Part B deductible
# for its year, is unprocessable (E12). The amounts depend only on (charge, rate,
# year, deductible, deductible met, sequestration rate), so they are memoised: a large
# file repeats a few keys; the sequestration trace line also names the through date
# and is memoised apart. The locality depends on the claim and is looked up once per
# claim (by ZIP, memoised). A paid line's visit (and the deductible it took) enters
# history in paid(); claim_done() stages the claim's deductible rows. A payer contract
# profile brings its own payment stage with the same four methods
# (contracts/payment.py).
from __future__ import annotations

from datetime import date

from edi_hit.pricing import rules
from edi_hit.pricing.history import Visit
from edi_hit.pricing.model import PAID, Adjustment, PricedLine
from edi_hit.pricing.money import ZERO
from edi_hit.pricing.rates import shown_zip
from edi_hit.pricing.rules import Decision

__all__ = ["MedicarePayment"]

_MAX_CACHE = 50_000


class MedicarePayment:
    """price(...) -> (allowed, paid, deductible applied, adjustments) or an E12 Decision;
    paid(...) -> the PricedLine, its visit and deductible recorded; claim_done(...)."""

    def __init__(self, rates, part_b, conv):
        self.rates, self.part_b, self.conv = rates, part_b, conv
        self._years: set[int] = set()  # deductible years of the claim being priced
        self._claim = None
        self._locality = (None, "")
        self._loc_cache: dict = {}
        self._quotes: dict = {}
        self._money: dict = {}
        self._seq_traces: dict = {}
        self._seq_rates: dict = {}

    def forget(self) -> None:
        """A new run: drop memos that grew too large."""
        for memo in (self._loc_cache, self._quotes, self._money, self._seq_traces,
                     self._seq_rates):
            if len(memo) > _MAX_CACHE:
                memo.clear()

    def price(self, claim, line, view, value, bh, trace: list[str]):
        """The payment of one line priced at `value` (a HitCode), given the beneficiary's
        history (the deductible met so far); trace lines are appended."""
        day, charge = view.day, view.charge
        quote = self.quote(claim, value.code, day, trace)
        annual = self.part_b.deductibles.get(day.year)
        if quote is None:
            return Decision(False, f"E12 no rate for {value.code} on {day} in {self.rates.name}",
                            "E12")
        if annual is None:
            return Decision(False, f"E12 no Part B deductible for {day.year}", "E12")
        trace.append(quote.trace)
        per = bh.deductible.get(day.year)
        met = sum(per.values(), ZERO) if per else ZERO
        return self._amounts(line.service_date_end or day, day.year, charge, quote.amount,
                             annual, met, trace)

    def paid(self, it, line, view, hit, paid, bh, batch, trace) -> PricedLine:
        """The paid line; its visit and deductible enter history (when recorded)."""
        allowed, amount, applied, adjustments = paid
        if batch is not None:
            day = view.day
            visit = Visit(it.mbi, day, hit.category, view.code, it.npi, view.charge, it.icn,
                          line.line_number, line.control_number)
            bh.add_visit(visit)
            batch.visits.append(visit)
            if applied:
                bh.add_deductible(day.year, it.icn, applied)
                self._years.add(day.year)
        return PricedLine(line, PAID, view.charge, allowed, amount, line.units, list(adjustments),
                          [], hit.category, trace)

    def claim_done(self, it, bh, batch) -> None:
        """The claim's deductible rows (one per year it took some) into the batch."""
        if self._years:
            for year in sorted(self._years):
                batch.deductible.append((it.mbi, year, it.icn, bh.deductible[year][it.icn]))
            self._years.clear()

    def quote(self, claim, code: str, day: date, trace: list[str]):
        """The rate of `code` on `day` in the claim's locality (C5, C8), or None; the
        locality's trace line is appended."""
        if claim is not self._claim:
            self._claim, self._locality = claim, self._locality_of(claim)
        locality, loc_trace = self._locality
        trace.append(loc_trace)
        qkey = (code, day, loc_trace)
        quote = self._quotes.get(qkey, False)
        if quote is False:
            quote = self._quotes[qkey] = self.rates.quote(code, day, locality,
                                                          self.conv.locality_rate)
        return quote

    def _amounts(self, through, year, charge, rate, annual, met, trace):
        srate = self._seq_rates.get(through)
        if srate is None:
            srate = self._seq_rates[through] = self.part_b.sequestration_rate(through)
        key = (charge, rate, year, annual, met, srate)
        hit = self._money.get(key)
        if hit is None:
            allowed = rules.allowed_amount(charge, rate)
            ded = rules.deductible(allowed.amount, year, annual, met)
            coins = rules.coinsurance(allowed.amount - ded.amount, self.part_b.coinsurance_rate)
            medicare = allowed.amount - ded.amount - coins.amount
            seq = rules.sequestration(medicare, srate, through)
            self._seq_traces[(medicare, srate, through)] = seq.trace
            paid = medicare - seq.amount
            amounts = tuple(Adjustment(g, r, a) for g, r, a in (
                ("CO", "45", charge - allowed.amount), ("PR", "1", ded.amount),
                ("PR", "2", coins.amount), ("CO", "253", seq.amount)) if a)
            hit = self._money[key] = (allowed.amount, paid, ded.amount, amounts, allowed.trace,
                                      ded.trace, coins.trace, medicare, f"paid {paid}")
        allowed, paid, applied, amounts, t_allowed, t_ded, t_coins, medicare, t_paid = hit
        skey = (medicare, srate, through)
        t_seq = self._seq_traces.get(skey)
        if t_seq is None:
            t_seq = self._seq_traces[skey] = rules.sequestration(medicare, srate, through).trace
        trace += (t_allowed, t_ded, t_coins, t_seq, t_paid)
        return allowed, paid, applied, amounts

    def _locality_of(self, claim):
        src = self.conv.locality_source
        if src == "national":
            return None, "locality national (convention locality_source = national)"
        if src == "beneficiary_zip":
            addr, who = (claim.subscriber.address if claim.subscriber else None), "beneficiary"
        else:
            addr, who = (claim.billing_provider.address if claim.billing_provider else None), \
                "billing provider"
        zip_code = addr.postal_code if addr else None
        hit = self._loc_cache.get((zip_code, who))
        if hit is not None:
            return hit
        loc = self.rates.locality_for_zip(zip_code, who)
        if loc is not None:
            hit = loc, f"locality {loc.key} from {loc.via}"
        elif zip_code:
            hit = None, (f"locality national: ZIP {shown_zip(zip_code.strip(), who)} ({who}) "
                         "not in the ZIP map")
        else:
            hit = None, f"locality national: no {who} ZIP"
        self._loc_cache[(zip_code, who)] = hit
        return hit

