# Which compiled profile prices a claim: Medicare HIT, a payer contract's, or none.
#
# Strategy: a mixin of the Pricer (like lifecycle.py). Each profile is compiled once per
# pricer into a _Run: its rules with their memos (and its method stages), its payment
# stage built with its conventions (the run's, with a contract's own laid over them),
# its tables. Without contracts the Medicare HIT run prices every claim and nothing is
# looked up. With them (contracts/book.py), a claim's payer id (2010BB NM109), SBR09
# and first date of service select its contract, whose run is compiled on first use;
# an MB claim no contract selects gets the Medicare run; any other claim gets the
# reason it is denied (K0). After pricing, the claims of a contract are stamped with
# the contract, the CLP06 its payer reports and whether its rates are illustrative.
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edi_hit.errors import DataError
from edi_hit.pricing.contracts import Contract, contract_profile, load_authorizations, load_contracts
from edi_hit.pricing.contracts.model import MULTIPLIER
from edi_hit.pricing.contracts.rules import ContractTables
from edi_hit.pricing.conventions import Conventions
from edi_hit.pricing.model import PricedClaim
from edi_hit.pricing.profile import Profile
from edi_hit.pricing.run import ClaimItem

__all__ = ["ProfileSelection"]

_AUTHORIZATION_LOOKBACK = 366  # units used under an authorization: up to a year of services


@dataclass(slots=True)
class _Run:
    """A profile compiled for one pricer: each rule with its memo, the payment stage."""

    profile: Profile
    tables: Any
    conv: Conventions
    payment: Any
    rules: list  # (check, key, window, memo, constant trace or None) per rule
    stages: dict[str, list] | None
    contract: Contract | None = None
    illustrative: bool = False

    @property
    def memos(self) -> list[dict]:
        out = [r[3] for r in self.rules]
        for rules in (self.stages or {}).values():
            out.extend(r[3] for r in rules)
        return out


def _compiled(rules) -> list:
    return [(r.check, r.key, r.window, {}, r.constant and r.constant.trace) for r in rules]


class ProfileSelection:
    """Profile compilation and selection of the Pricer (a mixin: it uses the Pricer's
    rates, part_b, conv, codes)."""

    def _set_profiles(self, profile: Profile, contracts, authorizations) -> None:
        self._medicare = self._compile(profile, self.tables, self.conv)
        self.book = load_contracts(contracts or None, self.conv)
        self.authorizations = load_authorizations(authorizations)
        if self.authorizations is not None and self.book is None:
            raise DataError("an authorization file applies to payer contracts: give --contract "
                            "too (Medicare HIT has no prior authorization rule)")
        self._contract_runs: dict[str, _Run] = {}
        self._selected: tuple[ClaimItem | None, _Run | str] = (None, "")

    def _runs(self) -> list[_Run]:
        return [self._medicare, *self._contract_runs.values()]

    def _contract_lookback(self) -> int:
        """Days of history the contracts' rules read before a run's first date."""
        if self.book is None:
            return 0
        return max(self.book.lookback_days(),
                   _AUTHORIZATION_LOOKBACK if self.authorizations is not None else 0)

    def _contract_note(self) -> str | None:
        if self.book is None:
            return None
        note = (f"payer contracts: {len(self.book)} ({self.book.describe()}); a claim no "
                f"contract selects is priced under Medicare HIT when its SBR09 is MB, else "
                f"denied K0")
        if self.authorizations is not None:
            note += (f"; prior authorizations checked against {self.authorizations.name} "
                     f"({len(self.authorizations)} rows)")
        return note

    def _compile(self, profile: Profile, tables, conv: Conventions,
                 contract: Contract | None = None) -> _Run:
        payment = profile.payment(self.rates, self.part_b, conv)
        stages = None
        if profile.stages is not None:
            stages = {method: _compiled(rules) for method, rules in profile.stages.items()}
        illustrative = self.rates.illustrative if contract is None else (
            contract.illustrative or (self.rates.illustrative and any(
                t.method == MULTIPLIER for t in contract.terms)))
        return _Run(profile, tables, conv, payment, _compiled(profile.rules), stages, contract,
                    illustrative)

    def _contract_run(self, contract: Contract) -> _Run:
        run = self._contract_runs.get(contract.id)
        if run is None:
            conv = self.conv
            if contract.conventions:
                conv = conv.merged(dict(contract.conventions), f"contract {contract.id}")
            tables = ContractTables(self.codes, conv, contract, self.authorizations)
            run = self._contract_runs[contract.id] = self._compile(
                contract_profile(contract)(tables), tables, conv, contract)
        return run

    def _select(self, it: ClaimItem) -> _Run | str:
        """The compiled profile that prices a claim, or why none does (K0)."""
        claim = it.claim
        payer, sub = claim.payer, claim.subscriber
        choice = self.book.select(payer.id if payer is not None else None,
                                  sub.claim_filing_indicator if sub is not None else None,
                                  it.first_day)
        run = (self._contract_run(choice.contract) if choice.contract is not None
               else self._medicare if choice.refusal is None else choice.refusal)
        self._selected = (it, run)  # _stamp asks again for the same claim
        return run

    def _stamp(self, it: ClaimItem, priced: list[PricedClaim]) -> None:
        """Who priced the claims of a contract run: the contract, CLP06, illustrative."""
        last, run = self._selected
        if last is not it:
            run = self._select(it)
        if run is self._medicare:
            return
        sub = it.claim.subscriber
        filing = sub.claim_filing_indicator if sub is not None else None
        for pc in priced:
            if isinstance(run, str):  # denied K0: the payer's own filing indicator
                pc.filing_indicator = filing
                continue
            contract = run.contract
            pc.contract = contract.id if contract is not None else None
            pc.filing_indicator = (contract.remit_filing_indicator if contract is not None
                                   else None) or filing
            pc.illustrative_rates = run.illustrative
