# The pricer: claims in, PricedClaims out, running a profile's rules on every line.
#
# Strategy: a PricingRun (run.py) hands the pricer ready sets of beneficiaries; their
# history is loaded (plus the DME drug evidence given to the run), each claim goes
# through the claim lifecycle (lifecycle.py: originals, replacements, voids,
# resubmissions) and its lines, in date order, through the rules of the profile
# (profile.py: for Medicare HIT E12, E1, E3, E2, E9, E8, E6, E5, E4, then the payment
# stage). The first rule that denies ends the line: the whole charge is denied with
# the convention's codes. Every decision adds one line to the line's trace.
#
# Memoisation keeps the common line cheap without the driver knowing any rule: each
# rule declares the line facts its decision depends on (profile.Rule.key), and a rule
# that reads no history, or whose history window finds nothing, is decided once per
# such key; a rule whose window finds something runs fresh. History writes are staged
# in the store as each ready set is priced and committed in one transaction when the
# run completes (rolled back if it fails).
#
# Payer contracts (contracts/): with --contract, each claim is priced under the profile
# selection.py picks (a contract's, Medicare HIT's for an MB claim no contract selects,
# or none: K0, every line denied). The line loop is the same for every profile; a
# contract's runs threaded (profile.py): its common rules, then the rules of the line's
# method, each seeing the latest value. Without contracts nothing is selected: every
# claim runs the Medicare profile, as the pricer always did.
from __future__ import annotations

import warnings
from collections import Counter
from datetime import date, timedelta
from typing import Iterable, Iterator, Mapping

from edi_hit.errors import DataError, IllustrativeRatesWarning
from edi_hit.pricing.codes import CodeTable, default_codes
from edi_hit.pricing.conventions import Conventions, load_conventions
from edi_hit.pricing.history import BeneficiaryHistory, DrugClaim, HistoryBatch, open_history
from edi_hit.pricing.lifecycle import ClaimLifecycle
from edi_hit.pricing.model import DENIED, Adjustment, PricedClaim, PricedLine
from edi_hit.pricing.money import ZERO, round_money
from edi_hit.pricing.profile import medicare_hit
from edi_hit.pricing.rates import RateTable, load_rates
from edi_hit.pricing.selection import ProfileSelection
from edi_hit.pricing.rules import ASSUMED, BILLED, COVERED, Decision, LineView, Tables
from edi_hit.pricing.run import (DEFAULT_GROUP_SIZE, ClaimItem, PricingRun, claim_fingerprint,
                                 claim_icn, member_id)
from edi_hit.pricing.suppliers import load_suppliers
from edi_hit.pricing.tables import PartB, part_b as default_part_b

__all__ = ["Pricer", "PricingRun", "price", "claim_fingerprint", "claim_icn", "member_id",
           "DEFAULT_GROUP_SIZE"]

_MAX_CACHE = 50_000  # entries per memo; a run over very varied data starts afresh
_FAR = date.max


def warn_if_illustrative(rates: RateTable, stacklevel: int = 2) -> RateTable:
    """Warn (IllustrativeRatesWarning) when pricing with the illustrative table; the
    table. stacklevel: as for warnings.warn, counted from the caller of this function
    (2, the default: its caller's caller)."""
    if rates.illustrative:
        warnings.warn(f"pricing with an ILLUSTRATIVE rate table ({rates.name}); amounts are "
                      f"not CMS rates: pass a real table (--rates)", IllustrativeRatesWarning,
                      stacklevel=stacklevel + 1)
    return rates


class Pricer(ProfileSelection, ClaimLifecycle):
    """Prices claims with one set of tables, one profile and one history store.

    dme_evidence: which DME drug lines count for E4 (C26): "covered" (the default of
    the conventions: lines the DME benefit processed, from history imports and
    `dme_drugs`) or "billed" (simulation: DME supplier claims in the run count when
    billed); assume_dme_drug turns E4 off. dme_drugs: covered DrugClaims for this run
    (e.g. read from the DME MAC's 835). suppliers: a SupplierTable or CSV path for E3
    (None: E3 not checked). profile: a function Tables -> Profile (default: Medicare HIT).
    contracts: payer contract files or folders (JSON or TOML), Contracts or a
    ContractBook: each claim is priced under the contract its payer id and SBR09 select
    (module comment). authorizations: the payers' prior authorizations (CSV path).
    """

    def __init__(self, *, rates=None, history=None, conventions=None, assume_dme_drug=False,
                 codes: CodeTable | None = None, part_b: PartB | None = None,
                 group_size: int = DEFAULT_GROUP_SIZE, suppliers=None,
                 dme_evidence: str | None = None, dme_drugs: Iterable[DrugClaim] = (),
                 profile=medicare_hit, contracts=None, authorizations=None):
        self.rates = warn_if_illustrative(load_rates(rates))  # names the caller of Pricer()
        self._owns_history = not hasattr(history, "load")
        self.history = open_history(history)
        # a private in-memory store starts empty and dies with the pricer: nothing to
        # load, nothing worth writing
        self._writes = self.history.persistent or not self._owns_history
        self.conv = load_conventions(conventions)
        self.codes = codes or default_codes()
        self.part_b = part_b or default_part_b()
        evidence = dme_evidence or self.conv.dme_drug_evidence
        if evidence not in (COVERED, BILLED):
            raise DataError(f"DME drug evidence must be {COVERED} or {BILLED}, got {evidence!r}")
        self.suppliers = load_suppliers(suppliers)
        self.tables = Tables(self.codes, self.conv, self.suppliers,
                             ASSUMED if assume_dme_drug else evidence)
        self.profile = profile(self.tables)
        self._set_profiles(self.profile, contracts, authorizations)
        self.payment = self._medicare.payment
        self.assume_dme_drug = assume_dme_drug
        self.group_size = group_size
        self.dme_drugs = 0
        self._evidence: dict[str, list[DrugClaim]] = {}
        for d in dme_drugs:
            self._evidence.setdefault(d.mbi, []).append(d)
            self.dme_drugs += 1
        lookback = max(self.conv.initial_visit_gap_days, self.conv.dme_drug_window_days,
                       self._contract_lookback()) + 1
        self._lookback = timedelta(days=lookback)
        self._drug_known: dict = {}
        self._rounded: dict = {}

    def close(self) -> None:
        if self._owns_history:
            self.history.close()

    def notes(self) -> list[str]:
        """How to read this pricer's results: the DME evidence mode, the enrolment check."""
        ev = self.tables.evidence
        if ev == ASSUMED:
            dme = "DME drug evidence (E4): not checked (--assume-dme-drug)"
        elif ev == BILLED:
            dme = ("DME drug evidence (E4): billed - SIMULATION: DME supplier claims in the run "
                   "count when billed (--dme-evidence billed)")
        else:
            dme = ("DME drug evidence (E4): covered - lines the DME benefit processed (history "
                   f"imports and {self.dme_drugs} lines given to this run); J-code lines on "
                   "837Ps are never evidence")
        if self.suppliers is None:
            e3 = "supplier enrolment (E3): not checked (no --suppliers file)"
        else:
            e3 = (f"supplier enrolment (E3): checked against {self.suppliers.name} "
                  f"({len(self.suppliers)} NPIs)")
        contracts = self._contract_note()
        return [dme, e3] if contracts is None else [dme, e3, contracts]

    # -- the run ---------------------------------------------------------------------
    def run(self, expected: Mapping[str, int] | None = None) -> PricingRun:
        """Start a run; `expected` maps member id -> claims of that member in the run."""
        runs = self._runs()
        for memo in (self._drug_known, self._rounded, *(m for r in runs for m in r.memos)):
            if len(memo) > _MAX_CACHE:
                memo.clear()
        for r in runs:
            r.payment.forget()
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
            out = {m: BeneficiaryHistory(m) for m in mbis}
        else:
            days = [it.first_day for g in groups for it in g if it.first_day]
            since = (min(days) - self._lookback) if days else None
            out = self.history.load(mbis, since)
        if self._evidence:
            for m in mbis:
                for d in self._evidence.get(m, ()):
                    out[m].add_drug(d)
        return out

    def _price_group(self, items: list[ClaimItem], bh: BeneficiaryHistory,
                     batch: HistoryBatch) -> list[PricedClaim]:
        """One beneficiary's claims of the run: drug lines first, then date order;
        returned in input order."""
        self._run_priced: dict[str, PricedClaim] = {}
        self._seen: set[str] = set()
        self._seq = {}
        self._bh_claims = bh.claims
        self._predrugs = self._record_billed_drugs(items, bh, batch)
        if len(items) == 1:
            out = self._claim(items[0], bh, batch)
            if self.book is not None:
                self._stamp(items[0], out)
            return out
        results: dict[int, list[PricedClaim]] = {}
        for it in sorted(items, key=lambda it: (it.first_day or _FAR, not it.drug_only,
                                                 it.index)):
            results[it.index] = self._claim(it, bh, batch)
            if self.book is not None:
                self._stamp(it, results[it.index])
        return [pc for it in items for pc in results[it.index]]

    def _is_drug(self, code: str | None) -> bool:
        if not code:
            return False
        k = self._drug_known.get(code)
        if k is None:
            k = self._drug_known[code] = self.codes.drug_code_known(code)
        return k

    def _record_billed_drugs(self, items, bh, batch) -> set[str]:
        """The `billed` simulation only (C26): put the drug lines of every DME supplier
        claim of the beneficiary (a claim of drug J-codes only) into history before any
        HIT line is priced, so a drug billed 0-30 days before a visit is on file when the
        visit is adjudicated. A J-code on a claim with HIT lines is never evidence."""
        done: set[str] = set()
        if self.tables.evidence != BILLED:
            return done
        for it in items:
            if (not it.drug_only or not it.mbi or it.icn in done or it.icn in bh.claims
                    or (it.claim.frequency_code or "1") == "8"):
                continue
            for ln in it.claim.lines:
                if ln.service_date and not self.codes.hit_code_known(ln.code):
                    self._record_drug(it, ln, bh, batch)
            done.add(it.icn)
        return done

    def _record_drug(self, it: ClaimItem, ln, bh, batch) -> None:
        code = ln.code.upper()
        cat = self.codes.drug_category(code, ln.service_date, ln.modifiers)
        drug = DrugClaim(it.mbi, ln.service_date, code, cat, it.icn, f"837P ICN {it.icn}")
        bh.add_drug(drug)
        batch.drugs.append(drug)

    def _item(self, index: int, claim) -> ClaimItem:
        mbi = member_id(claim)
        bp = claim.billing_provider
        npi = (bp.npi if bp is not None else None) or ""
        fp = claim_fingerprint(claim, mbi, npi)
        first = None
        drugs = 0
        for ln in claim.lines:
            day = ln.service_date
            if day is not None and (first is None or day < first):
                first = day
            if self._is_drug(ln.code):
                drugs += 1
        return ClaimItem(index, claim, mbi, npi, claim.patient_control_number or "", fp,
                         claim_icn(fp), first, bool(claim.lines) and drugs == len(claim.lines),
                         drugs > 0)

    # -- lines ------------------------------------------------------------------------------
    def _deny(self, line, edit: str, trace: list[str], category,
              conv: Conventions | None = None) -> PricedLine:
        e = (conv or self.conv).edit(edit)
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
        keys = [(ln.service_date or _FAR, not self._is_drug(ln.code), ln.line_number)
                for ln in lines]
        return sorted(range(len(lines)), key=keys.__getitem__)

    def _price_lines(self, it: ClaimItem, bh: BeneficiaryHistory, batch: HistoryBatch | None,
                     pre: list[str]) -> list[PricedLine]:
        run = self._medicare if self.book is None else self._select(it)
        claim = it.claim
        lines = claim.lines
        if run.__class__ is str:  # no contract selects it, and it is not Medicare (K0)
            return [self._deny(ln, "K0", [*pre, run], None) for ln in lines]
        profile, payment, t = run.profile, run.payment, run.tables
        edits = self._threaded if profile.threaded else self._edits
        rules, stages, view_class, extend = run.rules, run.stages, profile.view, profile.extend
        context = profile.claim_context(claim) if profile.claim_context is not None else None
        results: list = [None] * len(lines)
        for i in self._line_order(lines):
            line = lines[i]
            trace = list(pre)  # the line's one growing trace
            view = self._view(it, line, view_class)
            if extend is not None:
                extend(view, it, line, context)
            hit, price_code, denial = edits(rules, view, bh, trace, t)
            if denial is None and stages is not None:
                hit, price_code, denial = edits(stages[hit.method], view, bh, trace, t, hit,
                                                price_code)
            if denial is None:
                paid = payment.price(claim, line, view, price_code, bh, trace)
                if paid.__class__ is Decision:
                    trace.append(paid.trace)
                    denial = paid
            if denial is not None:
                results[i] = self._denied(it, line, hit, denial, bh, batch, trace, run.conv)
            else:
                results[i] = payment.paid(it, line, view, hit, paid, bh, batch, trace)
        if batch is not None:
            payment.claim_done(it, bh, batch)
        return results

    def _denied(self, it: ClaimItem, line, hit, denial: Decision, bh, batch, trace,
                conv: Conventions) -> PricedLine:
        category = hit.category if hit is not None else (
            denial.value if denial.edit == "E11" else None)
        if (denial.edit == "E11" and batch is not None and it.drug_only
                and self.tables.evidence == BILLED):
            if it.icn not in self._predrugs:  # a claim priced again: its entries went
                self._record_drug(it, line, bh, batch)
            trace.append("recorded as a billed DME drug claim (dme_drug_evidence billed: "
                         "simulation)")
        return self._deny(line, denial.edit, trace, category, conv)

    def _edits(self, rules, view: LineView, bh: BeneficiaryHistory, trace: list[str], t,
               hit=None, price_code=None):
        """Run memoised rules (the Medicare HIT profile) on one line, in order, until one
        denies: (the line's HIT code, the code to price it at, the denial or None). The
        first value a rule gives is the HIT code (E1); a later one reprices (E5, C4);
        every rule sees the first."""
        append = trace.append
        for check, key, window, memo, constant in rules:
            if constant is not None:  # a rule switched off: it passes, saying why
                append(constant)
                continue
            found = window(view, hit, bh, t) if window is not None else None
            if found:
                d = check(view, hit, found, t)
            else:
                k = key(view)
                d = memo.get(k)
                if d is None:
                    d = memo[k] = check(view, hit, (), t)
            append(d.trace)
            if not d.passed:
                return hit, price_code, d
            value = d.value
            if value is not None:
                price_code = value
                if hit is None:
                    hit = value
        return hit, price_code, None

    def _threaded(self, rules, view: LineView, bh: BeneficiaryHistory, trace: list[str], t,
                  hit=None, value=None):
        """Run a threaded profile's rules (a payer contract's) on one line, in order,
        until one denies: each rule and window sees the latest value (K1's Match, then
        the Payable the units rule makes and later rules refine); nothing is memoised.
        Returns (the first value, the latest, the denial or None)."""
        append = trace.append
        for check, key, window, memo, constant in rules:
            if constant is not None:
                append(constant)
                continue
            found = window(view, value, bh, t) if window is not None else None
            d = check(view, value, found or (), t)
            append(d.trace)
            if not d.passed:
                return hit, value, d
            if d.value is not None:
                value = d.value
                if hit is None:
                    hit = value
        return hit, value, None

    def _view(self, it: ClaimItem, line, cls=LineView) -> LineView:
        charge = line.charge
        rounded = self._rounded.get(charge)  # equal amounts round alike: one Decimal
        if rounded is None:
            rounded = round_money(charge)
            if charge:
                self._rounded[charge] = rounded
        line_pos = line.place_of_service
        modifiers = line.modifiers
        return cls(it.mbi, line.service_date, (line.code or "").upper(), rounded, line.units,
                   line_pos or it.claim.place_of_service, "SV105" if line_pos else "CLM05-1",
                   it.npi, line.line_number, tuple(modifiers) if modifiers else (),
                   line.service_date_end)


def price(claims, *, rates=None, history=None, conventions=None, assume_dme_drug: bool = False,
          codes: CodeTable | None = None, part_b: PartB | None = None, suppliers=None,
          dme_evidence: str | None = None, dme_drugs: Iterable[DrugClaim] = (),
          contracts=None, authorizations=None) -> Iterator[PricedClaim]:
    """Price claims under the Medicare HIT benefit (or payer contracts); yields PricedClaims.

    claims: Claim objects held in memory (any iterable; it is read first). Each
    beneficiary's claims are applied in date-of-service order; the output is beneficiary
    by beneficiary, in the order of each one's last claim, and a beneficiary's claims in
    input order. For 837P files use edi_hit.pricing.stream.price_files (streams them).

    rates: a RateTable, a rate-table dict or JSON path (default: the shipped illustrative
    table); history: a HistoryStore or a SQLite path (default: a new in-memory store);
    conventions: a Conventions, a partial override dict or JSON path (default: shipped).
    suppliers: enrolment CSV path or SupplierTable for E3 (default: E3 not checked).
    dme_evidence: "covered" (default) or "billed" (simulation, C26); dme_drugs: covered
    DME drug lines for this run (DrugClaims, e.g. from edi_hit.x835.dme); assume_dme_drug
    turns E4 off. contracts, authorizations: payer contracts (files, folders or
    Contracts) and their prior authorizations (CSV), as for Pricer.
    """
    pricer = Pricer(rates=rates, history=history, conventions=conventions,
                    assume_dme_drug=assume_dme_drug, codes=codes, part_b=part_b,
                    suppliers=suppliers, dme_evidence=dme_evidence, dme_drugs=dme_drugs,
                    contracts=contracts, authorizations=authorizations)
    try:
        yield from pricer.price(claims)
    finally:
        pricer.close()
