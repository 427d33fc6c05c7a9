# A payer contract as a pricing profile: its rules in order, by method, and its payment.
#
# Strategy: the same declared pipeline as the Medicare HIT profile (pricing/profile.py).
# Every line goes through the common rules:
#   E12 beneficiary, date and code present; K4 not bundled in a per diem billed or paid
#   for its days; K1 the contract is in force and has a term for the code (the Match);
#   E2 home place of service (the contract's set, else the conventions');
# then the rules of its term's method, which turn the Match into a Payable:
#   per_diem                K2 a unit is a day of the line's dates; K3 days paid already
#                           for the therapy come out
#   per_visit, per_hour     K2 whole visits / hours
#   drug                    K6 NDC (or HCPCS) on the price list, quantity converted
#   medicare_fee_multiplier E1 an HIT G-code on the date, E8 one day, E6 one payment per
#                           category per day (units never multiply)
#   fixed, percent_of_charge  K2 units as billed
# and last, for every method, K5 the term's limit per period and K7/K8/K9 prior
# authorization. Then the contract's payment stage (payment.py). The view is a
# ContractView (the claim, the line's days, REF*G1, the claim's per diems by day).
from __future__ import annotations

from functools import partial

from edi_hit.pricing import rules as hit
from edi_hit.pricing.contracts import rules as k
from edi_hit.pricing.contracts.model import (DRUG, FIXED, MULTIPLIER, PER_DIEM, PER_HOUR,
                                             PER_VISIT, PERCENT, Contract)
from edi_hit.pricing.contracts.payment import ContractPayment
from edi_hit.pricing.profile import LINE, REQUIRED, VISITS, Profile, Rule

__all__ = ["contract_profile"]


def _none(view):
    return None


def _rule(edit, check, window=None, reads=LINE) -> Rule:
    return Rule(edit, check, _none, window, reads)


def contract_profile(contract: Contract):
    """A profile function (tables -> Profile) for one contract."""
    def build(t) -> Profile:
        common = (
            Rule("E12", hit.line_complete, _none, reads=REQUIRED),
            _rule("K4", k.bundled_supply, k.bundling_window, VISITS),
            _rule("K1", k.contract_term),
            _rule("E2", hit.place_of_service),
        )
        tail = (
            _rule("K5", k.limit, k.limit_window, VISITS),
            _rule("K7", k.prior_authorization, k.authorization_window, VISITS),
        )
        stages = {
            PER_DIEM: (_rule("K2", k.per_diem_days),
                       _rule("K3", k.per_diem_overlap, k.paid_days_window, VISITS)) + tail,
            PER_VISIT: (_rule("K2", k.whole_units),) + tail,
            PER_HOUR: (_rule("K2", k.whole_units),) + tail,
            DRUG: (_rule("K6", k.drug_price),) + tail,
            MULTIPLIER: (_rule("E1", k.hit_code), _rule("E8", hit.one_day),
                         _rule("E6", k.hit_same_day, k.hit_day_window, VISITS)) + tail,
            FIXED: (_rule("K2", k.as_billed),) + tail,
            PERCENT: (_rule("K2", k.as_billed),) + tail,
        }
        return Profile(f"contract {contract.id}", common, partial(ContractPayment, contract),
                       stages=stages, threaded=True, view=k.ContractView, extend=_extend,
                       claim_context=partial(_claim_context, contract),
                       conventions=contract.conventions)
    return build


def _claim_context(contract: Contract, claim):
    return k.per_diems_billed(claim.lines, contract), claim.prior_authorization


def _extend(view: k.ContractView, it, line, context) -> None:
    per_diems, claim_auth = context
    view.claim, view.line, view.per_diems = it.claim, line, per_diems
    if view.day is not None:
        view.dos = view.day
    view.days = k.line_days(view.day, view.day_end)
    view.authorization = _line_ref(line, "G1") or claim_auth


def _line_ref(line, qualifier: str) -> str | None:
    for r in line.refs:
        if r.qualifier == qualifier:
            return r.value
    return None
