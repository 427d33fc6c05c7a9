# The payment of a contract line that passed every rule: the method's amount, the lesser
# of charge and that amount, the member's share, sequestration when the contract says so.
#
# Strategy: the same four methods as the Medicare payment stage (payment.py): price()
# returns the money or an E12 Decision, paid() builds the PricedLine and records what
# the plan paid (history services: one per per diem day, else one per line) and what
# the member's share added to the accumulators, claim_done() stages the claim's
# accumulator rows. In order, one trace line each:
#   units not paid (K3 days paid already, K5 over a limit): their share of the charge,
#       charge x units / billed units, half-up, adjusted with that edit's codes;
#   rate: the method's amount, dispatched by table (per diem rate x days, visit rate x
#       visits, hour rate x hours, fixed, percent x charge, drug: percent x list price x
#       quantity, half-up, + dispensing fee; Medicare fee multiplier: Medicare's HIT rate
#       for the code, day and locality x factor, half-up);
#   P1 allowed = min(charge left, amount), the difference CO-45 (always);
#   P2/P5/P3/P6 the member's share (cost.py) when the contract and the term have one;
#   P4 sequestration (CO-253) only for a contract whose remit says so.
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi_hit.pricing import rules
from edi_hit.pricing.contracts.cost import member_share
from edi_hit.pricing.contracts.model import (DRUG, FIXED, MULTIPLIER, PER_DIEM, PER_HOUR,
                                             PER_VISIT, PERCENT, Contract, Payable, plan_year)
from edi_hit.pricing.contracts.rules import counted, service_kind, units_text
from edi_hit.pricing.history import Accumulation, Service
from edi_hit.pricing.model import PAID, Adjustment, PricedLine
from edi_hit.pricing.money import ZERO, round_money
from edi_hit.pricing.payment import MedicarePayment
from edi_hit.pricing.rules import Decision

__all__ = ["ContractPayment", "Money"]


@dataclass(slots=True)
class Money:
    """What price() decided for a line (paid() records it)."""

    value: Payable
    allowed: Decimal
    paid: Decimal
    adjustments: list[Adjustment]
    remarks: list[str]
    period: date | None = None        # the plan year the share accumulates in
    deductible: Decimal = ZERO
    out_of_pocket: Decimal = ZERO


class ContractPayment:
    def __init__(self, contract: Contract, rates, part_b, conv):
        self.contract, self.part_b, self.conv = contract, part_b, conv
        self.medicare = MedicarePayment(rates, part_b, conv)  # its rates and localities
        self._claim_periods: set[date] = set()

    def forget(self) -> None:
        self.medicare.forget()

    # -- money ------------------------------------------------------------------------------
    def price(self, claim, line, view, value: Payable, bh, trace: list[str]):
        term, charge = value.term, view.charge
        adjustments: list[Adjustment] = []
        remarks: list[str] = []
        left = charge
        billed = value.units + sum((u for _, u in value.excluded), ZERO)
        for edit, units in value.excluded:
            part = round_money(charge * units / billed)
            codes = self.conv.edit(edit)
            adjustments.append(Adjustment(codes.group, codes.reason, part))
            remarks.extend(r for r in codes.remarks if r not in remarks)
            left -= part
            trace.append(f"{edit} {units_text(units)} of {units_text(billed)} units not paid: {charge} x "
                         f"{units_text(units)}/{units_text(billed)} = {part}: {codes.label()}")
        amount = _AMOUNT[term.method](self, claim, view, value, trace)
        if amount.__class__ is Decision:
            return amount
        allowed = rules.allowed_amount(left, amount)
        trace.append(allowed.trace)
        allowed_amount = allowed.amount
        if left - allowed_amount:
            adjustments.append(Adjustment("CO", "45", left - allowed_amount))
        money = Money(value, allowed_amount, allowed_amount, adjustments, remarks)
        self._share(money, view, bh, trace)
        if self.contract.sequestration:
            through = view.day_end or view.day
            seq = rules.sequestration(money.paid, self.part_b.sequestration_rate(through), through)
            trace.append(seq.trace)
            if seq.amount:
                adjustments.append(Adjustment("CO", "253", seq.amount))
                money.paid -= seq.amount
        trace.append(f"paid {money.paid}")
        return money

    def _share(self, money: Money, view, bh, trace: list[str]) -> None:
        cs, term = self.contract.cost_sharing, money.value.term
        if cs is None or not term.cost_sharing:
            why = "the contract has none" if cs is None else f"term {term.id} has none"
            trace.append(f"P2 no cost sharing: {why}")
            return
        period = plan_year(view.day, cs.year_start)
        met_ded, met_oop = bh.accumulated(self.contract.plan, period)
        value = money.value
        copay, what = None, ""
        if term.method == PER_VISIT and cs.copay_per_visit:
            copay = cs.copay_per_visit * value.units
            what = f"{cs.copay_per_visit} x {counted(value.units, 'visit')}"
        elif term.method == PER_DIEM and cs.copay_per_day:
            copay = cs.copay_per_day * value.units
            what = f"{cs.copay_per_day} x {counted(value.units, 'day')}"
        share = member_share(money.allowed, cs, period, copay=copay, copay_what=what,
                             met_deductible=met_ded, met_out_of_pocket=met_oop)
        trace.extend(share.trace)
        for reason, amount in (("1", share.deductible), ("3", share.copay), ("2", share.coinsurance)):
            if amount:
                money.adjustments.append(Adjustment("PR", reason, amount))
        money.paid -= share.total
        money.period, money.deductible, money.out_of_pocket = period, share.deductible, share.total

    # -- amounts by method ---------------------------------------------------------------------
    def _times_rate(self, claim, view, value: Payable, trace):
        term = value.term
        word = {PER_DIEM: "day", PER_VISIT: "visit", PER_HOUR: "hour"}[term.method]
        amount = term.rate * value.units
        trace.append(f"rate {term.id}: {term.rate} x {counted(value.units, word)} = {amount}")
        return amount

    def _fixed(self, claim, view, value: Payable, trace):
        trace.append(f"rate {value.term.id}: fixed {value.term.rate} for the line")
        return value.term.rate

    def _percent(self, claim, view, value: Payable, trace):
        term = value.term
        amount = round_money(view.charge * term.percent)
        trace.append(f"rate {term.id}: {term.percent} x charge {view.charge} = {amount}")
        return amount

    def _drug(self, claim, view, value: Payable, trace):
        term = value.term
        price = value.unit_price or ZERO
        amount = round_money(value.units * price * term.percent)
        total = amount + term.dispensing_fee
        fee = f" + dispensing fee {term.dispensing_fee} = {total}" if term.dispensing_fee else ""
        basis = term.price_list.basis if term.price_list is not None else "list"
        trace.append(f"rate {term.id}: {term.percent} x {units_text(price)} x {units_text(value.units)} "
                     f"({basis}, {value.price_note}) = {amount}{fee}")
        return total

    def _multiplier(self, claim, view, value: Payable, trace):
        term = value.term
        quote = self.medicare.quote(claim, value.code, view.day, trace)
        if quote is None:
            return Decision(False, f"E12 no Medicare HIT rate for {value.code} on {view.day} in "
                                   f"{self.medicare.rates.name}", "E12")
        trace.append(quote.trace)
        amount = round_money(quote.amount * term.factor)
        trace.append(f"rate {term.id}: Medicare {quote.amount} x {term.factor} = {amount}")
        return amount

    # -- recording ---------------------------------------------------------------------------------
    def paid(self, it, line, view, hit, money: Money, bh, batch, trace) -> PricedLine:
        value = money.value
        if batch is not None:
            plan, code, kind = self.contract.plan, view.code, service_kind(value)
            if value.days and value.term.method == PER_DIEM:
                rows = [Service(it.mbi, plan, d, code, kind, Decimal(1), it.icn, line.line_number)
                        for d in value.days]
            else:
                rows = [Service(it.mbi, plan, view.day, code, kind, value.units, it.icn,
                                line.line_number)]
            for s in rows:
                bh.add_service(s)
            batch.services.extend(rows)
            if money.period is not None and money.out_of_pocket:
                bh.add_accumulation(Accumulation(it.mbi, plan, money.period, it.icn,
                                                 money.deductible, money.out_of_pocket))
                self._claim_periods.add(money.period)
        return PricedLine(line, PAID, view.charge, money.allowed, money.paid, value.units_paid,
                          money.adjustments, money.remarks, hit.category, trace)

    def claim_done(self, it, bh, batch) -> None:
        """The claim's accumulations (its totals per plan year) into the batch."""
        if self._claim_periods:
            plan = self.contract.plan
            for period in sorted(self._claim_periods):
                ded, oop = bh.accumulations[(plan, period)][it.icn]
                batch.accumulations.append(Accumulation(it.mbi, plan, period, it.icn, ded, oop))
            self._claim_periods.clear()


_AMOUNT = {PER_DIEM: ContractPayment._times_rate, PER_VISIT: ContractPayment._times_rate,
           PER_HOUR: ContractPayment._times_rate, FIXED: ContractPayment._fixed,
           PERCENT: ContractPayment._percent, DRUG: ContractPayment._drug,
           MULTIPLIER: ContractPayment._multiplier}
