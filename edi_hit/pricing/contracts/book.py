# Which contract prices a claim: selection by payer id, claim filing indicator and date.
#
# Strategy: contracts are indexed by the payer ids they name (2010BB NM109). A claim is
# priced under the contract whose payer ids hold its payer id, whose claim filing
# indicators hold its SBR09 (a contract naming none takes any), and which is in force on
# the claim's first date of service. Two contracts that could both select one claim are
# refused when they are loaded, so selection never depends on file order.
#
# A claim no contract selects is priced under the Medicare HIT profile only when its
# SBR09 is MB (Medicare Part B); any other claim is denied whole with K0 (default CO-109
# N104: not this payer's claim) and a trace naming its payer id and SBR09: never
# silently Medicare. Without contracts (no --contract) every claim is Medicare HIT, as
# before.
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from edi_hit.errors import DataError
from edi_hit.pricing.contracts.load import contract_files, load_contract_file
from edi_hit.pricing.contracts.model import Contract
from edi_hit.pricing.conventions import Conventions, default_conventions

__all__ = ["ContractBook", "Selection", "load_contracts", "MEDICARE_PART_B"]

MEDICARE_PART_B = "MB"  # SBR09: the claims the Medicare HIT profile prices


@dataclass(frozen=True, slots=True)
class Selection:
    """A claim's profile: its contract, or None (Medicare HIT when `refusal` is None)."""

    contract: Contract | None
    refusal: str | None = None  # why the claim is denied K0


_MEDICARE = Selection(None)  # built once: most claims of a mixed run are Medicare's


class ContractBook:
    """The contracts of a run, indexed for selection."""

    def __init__(self, contracts: list[Contract]):
        self.contracts = list(contracts)
        self._by_payer: dict[str, list[Contract]] = {}
        ids: dict[str, Contract] = {}
        for c in self.contracts:
            if c.id in ids:
                raise DataError(f"{c.source}: contract id {c.id!r} is also the id of "
                                f"{ids[c.id].source}")
            ids[c.id] = c
            for payer in sorted(c.payer_ids):
                for other in self._by_payer.get(payer, ()):
                    if _clash(c, other):
                        raise DataError(
                            f"{c.source}: contract {c.id} and {other.id} ({other.source}) both "
                            f"select claims of payer id {payer} with the same claim filing "
                            f"indicator on overlapping dates")
                self._by_payer.setdefault(payer, []).append(c)

    def __len__(self) -> int:
        return len(self.contracts)

    def select(self, payer_id: str | None, filing: str | None, day: date | None) -> Selection:
        for c in self._by_payer.get(payer_id or "", ()):
            if (not c.filing_indicators or filing in c.filing_indicators) and (
                    day is None or c.in_force(day)):
                return Selection(c)
        if filing == MEDICARE_PART_B:
            return _MEDICARE
        return Selection(None, f"K0 no contract selects the claim (payer id "
                               f"{payer_id or '(none)'} in 2010BB NM109, claim filing indicator "
                               f"{filing or '(none)'} in SBR09"
                               f"{f', date of service {day}' if day else ''}) and it is not a "
                               f"Medicare Part B claim (SBR09 MB)")

    def lookback_days(self) -> int:
        return max((c.lookback_days() for c in self.contracts), default=0)

    def describe(self) -> str:
        return ", ".join(f"{c.id} ({Path(c.source).name})" for c in self.contracts)


def _clash(a: Contract, b: Contract) -> bool:
    filings = (not a.filing_indicators or not b.filing_indicators
               or bool(a.filing_indicators & b.filing_indicators))
    dates = ((a.start is None or b.end is None or a.start <= b.end)
             and (b.start is None or a.end is None or b.start <= a.end))
    return filings and dates


def load_contracts(sources, conventions: Conventions | None = None) -> ContractBook | None:
    """A ContractBook from files and folders (a path, a Contract, or a list of them), a
    book, or None / an empty list (no contracts: every claim is Medicare HIT).
    conventions: what a contract's own conventions are checked against (default: the
    shipped ones)."""
    if sources is None or isinstance(sources, ContractBook):
        return sources
    if conventions is None:
        conventions = default_conventions()
    if isinstance(sources, (str, Path, Contract)):
        sources = [sources]
    contracts = []
    for s in sources:
        if isinstance(s, Contract):
            contracts.append(s)
        else:
            contracts.extend(load_contract_file(f, conventions) for f in contract_files(s))
    return ContractBook(contracts) if contracts else None
