# What the history keeps between runs, as small value objects.
#
# Strategy: only what the rules and reversals need. Visits (paid G-code lines), DME drug
# claims and deductible amounts feed the Medicare rules that span claims; services
# (lines a payer contract paid: a per diem day, a nursing visit, a drug) and their
# accumulations (deductible and out-of-pocket per member, plan and plan year) feed the
# contract rules, apart from Medicare's, so one payer's lines never count for
# another's. Every entry names the claim (ICN) that made it, so a reversal takes back
# exactly that claim's entries. A StoredClaim is the
# ledger's row for one decided claim: its key (billing NPI, CLM01, member, frequency and
# the digest of its priced content), its ICN, outcome and state, the run that decided
# it and, for reversals and recorded answers, its priced lines in a compact encoding
# (record.py). No names, birth dates or addresses are kept. A BeneficiaryHistory is one
# member's snapshot for a run, indexed for range lookups and for "is an identical claim
# still standing?"; a HistoryBatch is the writes of part of a run, staged in the
# store's open transaction.
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi_hit.pricing.money import ZERO

__all__ = ["Visit", "DrugClaim", "Service", "Accumulation", "StoredClaim", "BeneficiaryHistory",
           "HistoryBatch",
           "ACTIVE", "REPLACED", "VOIDED", "VOID", "DUPLICATE", "STANDING", "STATES"]

# A claim's state in the ledger. ACTIVE: decided and standing (paid or denied); VOID: a
# void that reversed its original (standing: a second copy of it is a duplicate);
# REPLACED / VOIDED: reversed by a later replacement / void; DUPLICATE: denied as an
# exact duplicate of a standing claim (convention C28).
ACTIVE, REPLACED, VOIDED, VOID, DUPLICATE = "active", "replaced", "voided", "void", "duplicate"
STANDING = frozenset({ACTIVE, VOID})
STATES = frozenset({ACTIVE, REPLACED, VOIDED, VOID, DUPLICATE})


@dataclass(slots=True)
class Visit:
    """A paid HIT G-code line: one infusion drug administration day of one category."""

    mbi: str
    day: date
    category: int
    code: str
    npi: str
    charge: Decimal
    icn: str
    line_number: int
    line_control: str | None = None


@dataclass(slots=True)
class DrugClaim:
    """A covered DME drug (J-code) claim line; icn is '' for imported rows."""

    mbi: str
    day: date
    code: str
    category: int | None
    icn: str = ""
    source: str = ""


@dataclass(slots=True)
class Service:
    """A line a payer contract paid: one row per per diem day, else one per line.

    plan: the contract's accumulator plan (contracts/model.py Contract.plan); kind: what
    the contract rules group it by (a per diem's therapy, an HIT category, the term id);
    units: days, visits, hours or drug units paid."""

    mbi: str
    plan: str
    day: date
    code: str
    kind: str
    units: Decimal
    icn: str
    line_number: int


@dataclass(slots=True)
class Accumulation:
    """What one claim added to a member's cost sharing under a plan in a plan year
    (period: the plan year's first day); icn '' is an amount met outside the store."""

    mbi: str
    plan: str
    period: date
    icn: str
    deductible: Decimal
    out_of_pocket: Decimal


@dataclass(slots=True)
class StoredClaim:
    """The ledger's row for one decided claim.

    digest: sha256 of what makes two submissions the same claim (edi_hit.pricing.run
    claim_fingerprint); with npi, pcn, mbi and frequency it is the claim key.
    outcome: processed | denied | reversal (a void) | duplicate.
    original_icn: the claim a replacement or void reversed, or a duplicate repeats.
    lines: the priced lines (record.encode_lines), for reversals; None when not loaded.
    """

    icn: str
    npi: str
    pcn: str
    digest: str
    mbi: str
    frequency: str
    state: str = ACTIVE
    replaced_by: str | None = None
    seq: int = 0
    outcome: str = "processed"
    original_icn: str | None = None
    run_id: int | None = None
    charge: Decimal = ZERO
    paid: Decimal = ZERO
    lines: str | None = None


@dataclass(slots=True)
class BeneficiaryHistory:
    """One beneficiary's history, sorted by date for range lookups."""

    mbi: str
    visit_days: list[date] = field(default_factory=list)   # sorted, parallel to visits
    visits: list[Visit] = field(default_factory=list)
    drug_days: list[date] = field(default_factory=list)     # sorted, parallel to drugs
    drugs: list[DrugClaim] = field(default_factory=list)
    deductible: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # year -> icn -> amount
    claims: dict[str, StoredClaim] = field(default_factory=dict)
    standing: dict[str, StoredClaim] = field(default_factory=dict)  # digest -> standing claim
    service_days: list[date] = field(default_factory=list)  # sorted, parallel to services
    services: list[Service] = field(default_factory=list)
    # (plan, period) -> icn -> (deductible, out of pocket)
    accumulations: dict[tuple[str, date], dict[str, tuple[Decimal, Decimal]]] = field(
        default_factory=dict)

    # -- reads ---------------------------------------------------------------------
    def visits_between(self, start: date, end: date) -> list[Visit]:
        lo, hi = bisect_left(self.visit_days, start), bisect_right(self.visit_days, end)
        return self.visits[lo:hi]

    def drugs_between(self, start: date, end: date) -> list[DrugClaim]:
        lo, hi = bisect_left(self.drug_days, start), bisect_right(self.drug_days, end)
        return self.drugs[lo:hi]

    def deductible_met(self, year: int) -> Decimal:
        return sum(self.deductible.get(year, {}).values(), ZERO)

    def services_between(self, start: date, end: date) -> list[Service]:
        lo, hi = bisect_left(self.service_days, start), bisect_right(self.service_days, end)
        return self.services[lo:hi]

    def accumulated(self, plan: str, period: date) -> tuple[Decimal, Decimal]:
        """(deductible met, out of pocket met) of a plan year, every claim's share."""
        ded = oop = ZERO
        for d, o in self.accumulations.get((plan, period), {}).values():
            ded += d
            oop += o
        return ded, oop

    # -- writes (in memory) -----------------------------------------------------------
    def add_visit(self, v: Visit) -> None:
        days = self.visit_days
        if not days or days[-1] <= v.day:  # the usual case: visits come in date order
            days.append(v.day)
            self.visits.append(v)
            return
        i = bisect_right(days, v.day)
        days.insert(i, v.day)
        self.visits.insert(i, v)

    def add_drug(self, d: DrugClaim) -> None:
        i = bisect_right(self.drug_days, d.day)
        self.drug_days.insert(i, d.day)
        self.drugs.insert(i, d)

    def add_service(self, s: Service) -> None:
        i = bisect_right(self.service_days, s.day)
        self.service_days.insert(i, s.day)
        self.services.insert(i, s)

    def add_accumulation(self, a: Accumulation) -> None:
        per = self.accumulations.setdefault((a.plan, a.period), {})
        d, o = per.get(a.icn, (ZERO, ZERO))
        per[a.icn] = (d + a.deductible, o + a.out_of_pocket)

    def add_deductible(self, year: int, icn: str, amount: Decimal) -> None:
        per = self.deductible.setdefault(year, {})
        per[icn] = per.get(icn, ZERO) + amount

    def add_claim(self, c: StoredClaim) -> None:
        self.claims[c.icn] = c
        if c.state in STANDING:
            self.standing.setdefault(c.digest, c)

    def set_state(self, c: StoredClaim, state: str, by: str | None = None) -> None:
        c.state, c.replaced_by = state, by
        if state not in STANDING and self.standing.get(c.digest) is c:
            del self.standing[c.digest]

    def remove_entries(self, icn: str) -> None:
        """Forget every visit, drug, deductible, service and accumulation entry made by
        one claim."""
        if any(v.icn == icn for v in self.visits):
            keep = [v for v in self.visits if v.icn != icn]
            self.visits, self.visit_days = keep, [v.day for v in keep]
        if any(d.icn == icn for d in self.drugs):
            keep = [d for d in self.drugs if d.icn != icn]
            self.drugs, self.drug_days = keep, [d.day for d in keep]
        for per in self.deductible.values():
            per.pop(icn, None)
        if any(s.icn == icn for s in self.services):
            kept = [s for s in self.services if s.icn != icn]
            self.services, self.service_days = kept, [s.day for s in kept]
        for acc in self.accumulations.values():
            acc.pop(icn, None)


@dataclass(slots=True)
class HistoryBatch:
    """The writes of part of a run, staged in the store's open transaction."""

    delete_entries: list[str] = field(default_factory=list)            # ICNs
    claims: list[StoredClaim] = field(default_factory=list)            # new ledger rows
    states: list[tuple[str, str, str | None]] = field(default_factory=list)  # icn, state, by
    visits: list[Visit] = field(default_factory=list)
    drugs: list[DrugClaim] = field(default_factory=list)
    deductible: list[tuple[str, int, str, Decimal]] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    accumulations: list[Accumulation] = field(default_factory=list)  # a claim's totals: replace

    def __bool__(self) -> bool:
        return bool(self.delete_entries or self.claims or self.states or self.visits
                    or self.drugs or self.deductible or self.services or self.accumulations)
