# PricedClaim stream -> balanced X12 835 (005010X221A1).
#
# Strategy: one pass, bounded memory. Each priced claim is rendered at once into its
# 2100/2110 segments and appended to a single spill file (a SpooledTemporaryFile: in
# memory while small, on disk when large). Only a small running state is kept per
# transaction key, payer x payee (billing provider NPI): totals, the segment count and
# the byte ranges of its claims in the spill (consecutive claims of one payee share one
# range, so pre-grouped input costs O(1) memory per payee, interleaved input 16 bytes
# per claim). When the input ends, each transaction is written in order of first
# appearance: header (BPR needs the total, which is only known now), 1000A, 1000B,
# LX, the claims copied from the spill, PLB, SE.
#
# Balancing is enforced, never assumed: the line and claim equations are checked on the
# amounts as they are written, the transaction equation when the BPR is computed, and
# a violation raises BalanceError naming the claim and line. A payee whose claims net to
# a negative amount (reversals larger than payments) gets a PLB forward balance (FB) that
# brings BPR02 to zero, as the TR3 prescribes; a zero payment is BPR*H*0*C*NON.
#
# CLP06 is the claim filing indicator the pricer reports for a payer contract's claim
# (its SBR09, or the contract's choice), ZZ when that is not one of the 835's CLP06 codes
# (CI, BL, FI and 11 are 837 SBR09 codes only); MB for a claim priced under Medicare.
#
# Medicare practice (hit-rules 11): CLP02 is 1, 2 or 3 by the claim's SBR01 for every
# processed claim, also when no line is paid; 4 only for a claim whose patient is not
# recognized (no member id: never forwarded), 22 for a reversal. A denied line carries
# no AMT*B6 (nothing allowed). Unprocessable lines (MA130) go back on a claim of their
# own, split from the processed lines: CLP01 as billed, CLP07 a payer claim control
# number derived from the claim's. ISA15 mirrors the input's usage indicator (T when any
# claim came in a test interchange) unless PayerInfo sets it.
#
# Determinism: `now` fixes every date and time, `control_number` fixes ISA13/GS06 (ST02
# counts 0001, 0002 ... and TRN02 derives from both), so the same input gives the same
# bytes.
#
# Delimiters: claims are rendered into the spill with internal separators (control
# characters no X12 value may hold) and translated to the interchange's delimiters as
# they are copied out. The preferred delimiters are used unless some value contains one
# of them; then others are chosen that no value uses, so a '*' in a name changes the
# delimiters, not the run. A claim that no delimiter choice can carry (a control
# character, a value longer than its 835 element) is refused before it is priced:
# refusal(claim) says why, naming the element and never the value (it may be PHI).
#
# Recoupment: money a payee owes back (`recoverable`, e.g. from an earlier void) is
# taken from its payment with PLB FB referencing the reversed claim's ICN, as far as the
# payment allows; a payee whose claims net negative carries the debt forward with a
# negative PLB FB per reversed ICN. TransactionSummary.plb lists both, so the caller can
# keep the balance (the ledger does).
#
# Fragments: builders in several processes (a batch's partitions) each render their
# claims; fragment() hands over the spill and the running state, and the one builder
# that writes the 835 absorbs them in order (absorb: the spill bytes appended, ranges
# shifted, payees merged by key) and says where each fragment's transactions went, so
# the callers can move the positions they recorded. The bytes are the same as if one
# builder had added every claim in that order.

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from edi_hit.errors import EdiHitError, X12Error
from edi_hit.x12 import Delimiters, SegmentWriter, format_amount
from edi_hit.x12.writer import Element

if TYPE_CHECKING:  # annotations only: the 835 builder takes what the pricer gives
    from edi_hit.claims import Claim
    from edi_hit.pricing.model import Adjustment, PricedClaim, PricedLine

from .balance import claim_discrepancy, line_discrepancy, transaction_discrepancy
from .carry import _COMP, _ELEM, _SEG, _patient_name, choose_delimiters, refusal

__all__ = [
    "PayerInfo",
    "ProviderLevelAdjustment",
    "TransactionSummary",
    "RemittanceBuilder",
    "BalanceError",
    "build_835",
    "IMPLEMENTATION",
    "CLAIM_STATUS_CODES",
    "UNPROCESSABLE",
    "split_icn",
]

IMPLEMENTATION = "005010X221A1"
# CLP02 (hit-rules 11, the 005010X221A1 note on code 4, X12 RFIs 1423 and 1885): a
# processed claim by the payer's place in the claim's SBR01 (also when every line is
# denied); 4 only when the patient is not recognized; 22 a reversal.
CLAIM_STATUS_CODES = {"P": "1", "S": "2", "T": "3", "not recognized": "4", "reversal": "22"}
_STATUSES = ("processed", "denied", "reversal")
UNPROCESSABLE = "MA130"  # the RARC of an unprocessable line: returned on its own claim
# CAS segments are written in this group order; within a group, in the pricer's order.
_GROUP_ORDER = {"CO": 0, "OA": 1, "PI": 2, "PR": 3}
# CLP06 codes of 005010X221A1 (SBR09 has also 11, BL, CI, FI: reported as ZZ)
CLP06_CODES = frozenset({"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA",
                         "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"})
_ZERO = Decimal(0)
_SPILL_IN_MEMORY = 16 << 20
class BalanceError(EdiHitError):
    """A priced claim whose amounts cannot make a balanced 835."""


@dataclass(slots=True)
class PayerInfo:
    """Who pays: 1000A (N1*PR, N3, N4, REF*2U, PER*BL), TRN03 and the ISA/GS sender.

    Every field left None is filled from the first claim's 2010BB payer (name, id,
    address) and then from the placeholders below, which are plainly placeholders:
    pass real values (CLI: --payer PAYER.json) for an 835 that leaves the building.
    """

    name: str | None = None
    id: str | None = None  # REF*2U (payer identification number)
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    contact_name: str = "EDI TECHNICAL SUPPORT"  # PER*BL
    contact_phone: str | None = None
    contact_email: str | None = None
    contact_url: str | None = None
    trace_id: str | None = None  # TRN03: "1" + 9-digit TIN; 10 characters
    interchange_qualifier: str = "ZZ"
    interchange_id: str | None = None  # ISA06 / GS02
    payment_method: str = "CHK"  # BPR04 when the payment is not zero
    usage_indicator: str | None = None  # ISA15; None: the input's (T if any claim's is T)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PayerInfo:
        """A payer identity JSON file (adjudicate --payer), checked against
        schemas/payer.schema.json (ConfigError naming the JSON path of a wrong key)."""
        from edi_hit.pricing.tables import load_json

        return cls.from_dict(load_json(os.fspath(path), schema="payer"))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PayerInfo:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise EdiHitError(
                f"unknown payer field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def completed(self, claim: Any) -> PayerInfo:
        """This PayerInfo with empty fields taken from the claim's payer, then placeholders."""
        p = getattr(claim, "payer", None)
        addr = getattr(p, "address", None)
        name = self.name or getattr(p, "name", None) or "MEDICARE PART B"
        pid = self.id or getattr(p, "id", None)
        line1 = self.address_line1 or getattr(addr, "line1", None) or "ADDRESS NOT PROVIDED"
        line2 = self.address_line2 if self.address_line1 else getattr(addr, "line2", None)
        city = self.city or getattr(addr, "city", None) or "UNKNOWN"
        state = self.state or getattr(addr, "state", None)
        postal = self.postal_code or getattr(addr, "postal_code", None)
        trace_id = self.trace_id
        if trace_id is None:
            digits = "".join(ch for ch in (pid or "") if ch.isdigit())
            trace_id = "1" + digits[-9:].rjust(9, "0")
        return replace(
            self,
            name=name,
            id=pid,
            address_line1=line1,
            address_line2=line2,
            city=city,
            state=state,
            postal_code=postal,
            trace_id=trace_id,
            interchange_id=self.interchange_id or pid or "EDIHIT",
        )


@dataclass(slots=True)
class ProviderLevelAdjustment:
    """A PLB reason/amount pair for one payee. A positive amount reduces the payment."""

    reason: str  # PLB03-1: e.g. L6 interest, WO overpayment recovery, FB forward balance
    amount: Decimal
    reference: str | None = None  # PLB03-2


@dataclass(slots=True)
class TransactionSummary:
    """What one written 835 transaction holds."""

    control_number: str
    payer_name: str
    payee_name: str
    payee_id: str
    claims: int
    claim_payments: Decimal
    provider_adjustments: Decimal
    payment: Decimal
    segments: int
    trace_number: str = ""  # TRN02
    plb: list[ProviderLevelAdjustment] = field(default_factory=list)  # written in the PLB


@dataclass(slots=True)
class _Payee:
    """Running state of one transaction (payer x payee) while claims stream in."""

    payer: PayerInfo
    name: str
    id_qualifier: str
    id: str
    address: Any
    tax_id: str | None
    number: int = 0  # the transaction's place in the interchange (ST02, TRN02)
    claims: int = 0
    paid: Decimal = _ZERO
    segments: int = 0
    ranges: array[int] = field(default_factory=lambda: array("q"))
    reversals: list[tuple[str, Decimal]] = field(default_factory=list)  # (ICN reversed, owed)


def _status_code(priced: PricedClaim, pcn: str) -> str:
    """CLP02 of a priced claim (see CLAIM_STATUS_CODES)."""
    status = priced.status
    if status not in _STATUSES:
        raise BalanceError(
            f"claim {pcn}: unknown status {status!r}; expected one of {', '.join(_STATUSES)}"
        )
    if status == "reversal":
        return CLAIM_STATUS_CODES["reversal"]
    subscriber = priced.claim.subscriber
    if subscriber is None or not subscriber.member_id:
        return CLAIM_STATUS_CODES["not recognized"]
    return CLAIM_STATUS_CODES.get(subscriber.payer_responsibility or "P", "1")


def _parts(priced: PricedClaim) -> list[tuple[list[PricedLine], list[Adjustment], str]]:
    """(lines, claim adjustments, CLP07) of each 2100 loop a priced claim becomes: the
    unprocessable (MA130) lines on a claim of their own when other lines were processed."""
    lines = priced.lines
    icn = priced.payer_claim_control_number
    returned = [pl for pl in lines if UNPROCESSABLE in pl.remarks]
    if not returned or len(returned) == len(lines):
        return [(lines, priced.claim_adjustments, icn)]
    processed = [pl for pl in lines if UNPROCESSABLE not in pl.remarks]
    return [(processed, priced.claim_adjustments, icn), (returned, [], split_icn(icn))]


def split_icn(icn: str) -> str:
    """The payer claim control number of the unprocessable part of claim `icn`: 13 digits,
    the same for the claim and its reversal."""
    digest = hashlib.sha256(f"{icn}:{UNPROCESSABLE}".encode()).hexdigest()
    return str(int(digest[:16], 16) % 10**13).zfill(13)


def _cas_segments(adjustments: Iterable[Adjustment],
                  amount: Callable[[Decimal], str] = format_amount) -> list[list[str]]:
    """CAS segments: one per group code (CO, OA, PI, PR order), at most 6 triplets each."""
    by_group: dict[str, list[str]] = {}
    for a in adjustments:
        quantity = a.quantity
        if quantity is None:
            if not a.amount:
                continue  # a zero adjustment says nothing and changes no balance
            triplet = (a.reason, amount(a.amount), "")
        else:
            triplet = (a.reason, amount(a.amount), amount(quantity))
        seg = by_group.get(a.group)
        if seg is None:
            by_group[a.group] = seg = []
        seg.extend(triplet)
    groups = list(by_group)
    if len(groups) > 1:
        groups.sort(key=_group_key)
    out: list[list[str]] = []
    for group in groups:
        values = by_group[group]
        for start in range(0, len(values), 18):
            seg = ["CAS", group, *values[start : start + 18]]
            if seg[-1] == "":
                seg.pop()
            out.append(seg)
    return out


def _group_key(group: str) -> tuple[int, str]:
    return (_GROUP_ORDER.get(group, 9), group)


def _d8(d: date) -> str:
    return d.strftime("%Y%m%d")


class RemittanceBuilder:
    """Collect priced claims (add), then write the 835 interchange (finish).

    >>> b = RemittanceBuilder(now=datetime(2026, 1, 2, 3, 4), control_number=7)
    >>> for pc in priced: b.add(pc)
    >>> summaries = b.finish(stream)        # stream: a binary file; writes ISA..IEA
    """

    def __init__(
        self,
        *,
        payer: PayerInfo | None = None,
        now: datetime | None = None,
        control_number: int = 1,
        receiver_id: str | None = None,
        receiver_qualifier: str = "ZZ",
        delimiters: Delimiters = Delimiters(),
        line_break: bool = True,
        provider_adjustments: Mapping[str, Sequence[ProviderLevelAdjustment]] | None = None,
    ) -> None:
        self.payer = payer or PayerInfo()
        self.now = now or datetime.now()
        self.control_number = int(control_number)
        if not 0 < self.control_number < 10**9:
            raise EdiHitError(f"control number must be 1 to 999999999, got {control_number}")
        self.receiver_id = receiver_id
        self.receiver_qualifier = receiver_qualifier
        self.delimiters = delimiters
        self.line_break = line_break
        self.provider_adjustments = dict(provider_adjustments or {})
        self._payees: dict[tuple[str, str, str], _Payee] = {}
        self._spill = tempfile.SpooledTemporaryFile(max_size=_SPILL_IN_MEMORY, mode="w+b")
        self._spill_size = 0
        self._end = _SEG + ("\n" if line_break else "")
        self._forbidden = frozenset(delimiters.chars())
        if not self._forbidden.isdisjoint("0123456789.-+ "):
            raise EdiHitError(f"delimiters {delimiters.chars()!r} collide with amounts or dates")
        self._collides = False  # some value holds a preferred delimiter: choose others
        self._payee_checked: dict[int, tuple[Any, str | None]] = {}
        self._amounts: dict[Decimal, str] = {}
        self._dates: dict[date, str] = {}
        self._claim_paid = _ZERO
        self._first_claim: Any = None
        self._receiver: str | None = None  # an absorbed fragment's default receiver
        self._usage = "P"  # ISA15 unless PayerInfo says: T when any claim came in as T
        self._date = _d8(self.now.date())
        self.claims = 0

    # -- claims ------------------------------------------------------------------
    def refusal(self, claim: Any) -> str | None:
        """Why this claim cannot be written to an 835 whatever the delimiters (a control
        character, a value longer or shorter than its element allows, no payee id), or
        None (carry.refusal; each billing provider is checked once)."""
        return refusal(claim, self._payee_checked)

    def add(self, priced: PricedClaim) -> tuple[int, int]:
        """Render one PricedClaim into the spill (checks line and claim balancing).
        Returns where it goes: (transaction number in the interchange, position of
        the claim in that transaction, from 1); trace_number(n) is its TRN02."""
        claim = priced.claim
        if self._first_claim is None:
            self._first_claim = claim
        payee = self._payee_for(claim)
        env = getattr(claim, "envelope", None)
        if env is not None and env.usage_indicator == "T":
            self._usage = "T"
        segments: list[list[str]] = []
        texts: list[str] = []
        paid = _ZERO
        parts = _parts(priced)
        for lines, claim_adjustments, icn in parts:
            segs, more = self._claim_segments(priced, lines, claim_adjustments, icn)
            segments += segs
            texts += more
            paid += self._claim_paid
        joined = "".join(texts)
        if not joined.isprintable():  # a control character (refusal() says which)
            self._refuse(claim)
        if not self._collides and not self._forbidden.isdisjoint(joined):
            self._collides = True
        # Fast path (values were checked above, once per claim): join the segments with
        # the spill's internal separators; finish() translates them to the delimiters.
        end = self._end
        text = end.join([_ELEM.join(seg) for seg in segments]) + end
        spill = self._spill
        start = self._spill_size
        spill.write(text.encode("utf-8"))
        self._spill_size = end_offset = spill.tell()
        ranges = payee.ranges
        if ranges and ranges[-1] == start:
            ranges[-1] = end_offset
        else:
            ranges.append(start)
            ranges.append(end_offset)
        payee.claims += len(parts)
        payee.segments += len(segments)
        payee.paid += paid
        if paid < 0 and priced.status == "reversal":
            payee.reversals.append((priced.payer_claim_control_number, -paid))
        self.claims += 1
        return payee.number, payee.claims

    def fragment(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """The claims added so far, for another builder's absorb(): their rendered bytes
        go to `path` (created 0600); the returned state (picklable) says the rest."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            self._spill.seek(0)
            shutil.copyfileobj(self._spill, out, 1 << 20)
        self._spill.seek(self._spill_size)
        return {"payees": list(self._payees.items()), "collides": self._collides,
                "usage": self._usage, "claims": self.claims, "size": self._spill_size,
                "receiver": self._default_receiver() if self._payees else None}

    def absorb(self, state: Mapping[str, Any],
               path: str | os.PathLike[str]) -> dict[int, tuple[int, int]]:
        """Append a fragment (fragment() of another builder, its bytes at `path`) after
        the claims added so far. Returns, per transaction number of the fragment, (its
        number here, claims of that transaction before the fragment's): a claim the
        fragment placed at (n, k) is at (number, before + k) here."""
        base = self._spill_size
        self._spill.seek(base)
        with open(path, "rb") as fh:
            shutil.copyfileobj(fh, self._spill, 1 << 20)
        self._spill_size = self._spill.tell()
        if self._spill_size - base != state["size"]:
            raise EdiHitError(f"{path}: the fragment holds {self._spill_size - base} bytes, "
                              f"its state says {state['size']}")
        moved: dict[int, tuple[int, int]] = {}
        for key, theirs in state["payees"]:
            ranges = array("q", (r + base for r in theirs.ranges))
            mine = self._payees.get(key)
            if mine is None:
                number = len(self._payees) + 1
                moved[theirs.number] = (number, 0)
                self._payees[key] = replace(theirs, number=number, ranges=ranges)
                continue
            moved[theirs.number] = (mine.number, mine.claims)
            mine.claims += theirs.claims
            mine.segments += theirs.segments
            mine.paid += theirs.paid
            mine.reversals.extend(theirs.reversals)
            mine.ranges.extend(ranges)
        self._collides = self._collides or state["collides"]
        if state["usage"] == "T":
            self._usage = "T"
        if self._first_claim is None and self._receiver is None:
            self._receiver = state["receiver"]
        self.claims += state["claims"]
        return moved

    def trace_number(self, transaction: int) -> str:
        """TRN02 of the n-th transaction of this interchange."""
        return f"{self.control_number:09d}{transaction:04d}"

    def payee_ids(self) -> list[str]:
        """The payees (N1*PE ids) of the transactions, in order."""
        return [p.id for p in self._payees.values()]

    def _refuse(self, claim: Any) -> None:
        """A value no 835 can carry, found after pricing (callers should have asked
        refusal() first): name the claim and the element, not the value."""
        reason = self.refusal(claim) or "a value contains a control character"
        raise X12Error(f"claim {claim.patient_control_number}: cannot be written to the 835: "
                       f"{reason}", segment_id="CLP")

    def _amount(self, value: Decimal) -> str:
        cache = self._amounts
        text = cache.get(value)
        if text is None:
            if len(cache) > 50_000:
                cache.clear()
            text = cache[value] = format_amount(value)
        return text

    def _d8(self, value: date) -> str:
        cache = self._dates
        text = cache.get(value)
        if text is None:
            text = cache[value] = _d8(value)
        return text

    def _payee_for(self, claim: Any) -> _Payee:
        bp = claim.billing_provider
        if bp.npi:
            qualifier, pid = "XX", bp.npi
        elif getattr(bp, "tax_id", None):
            qualifier, pid = "FI", bp.tax_id
        else:
            raise X12Error(
                f"claim {claim.patient_control_number}: billing provider has neither NPI nor tax id; "
                "the 835 payee (N1*PE) needs one",
                segment_id="N1",
                element="N104",
            )
        payer = getattr(claim, "payer", None)
        payer_key = self.payer.name or self.payer.id or getattr(payer, "id", None) or getattr(
            payer, "name", None) or ""
        key = (payer_key, qualifier, pid)
        found = self._payees.get(key)
        if found is None:
            name = bp.name or ""
            if getattr(bp, "entity_type", "2") == "1" and getattr(bp, "first_name", None):
                name = f"{name} {bp.first_name}".strip()
            found = _Payee(
                payer=self.payer.completed(claim),
                name=name,
                id_qualifier=qualifier,
                id=pid,
                address=getattr(bp, "address", None),
                tax_id=getattr(bp, "tax_id", None) if qualifier == "XX" else None,
                number=len(self._payees) + 1,
            )
            self._payees[key] = found
        return found

    def _claim_segments(self, priced: PricedClaim, lines: list[PricedLine],
                        claim_adjustments: list[Adjustment],
                        icn: str) -> tuple[list[list[str]], list[str]]:
        """One 2100 loop of the claim (its `lines`, CLP07 `icn`): its segments (no
        trailing empty elements) and its free-text values."""
        claim = priced.claim
        pcn = claim.patient_control_number or ""
        status = _status_code(priced, pcn)
        if not icn:
            raise BalanceError(f"claim {pcn}: no payer claim control number (CLP07 is required)")
        amt, d8, comp = self._amount, self._d8, _COMP
        last_name, first_name, middle = _patient_name(claim)
        subscriber = claim.subscriber
        assert subscriber is not None, "a priced claim has its subscriber (loop 2010BA)"
        member_id = subscriber.member_id or ""
        texts = [pcn, icn, claim.place_of_service or "", claim.frequency_code or "", last_name,
                 first_name, middle, member_id]
        line_segs: list[list[str]] = []
        adjusted = _ZERO  # claim CAS plus every line CAS
        responsibility = _ZERO  # every PR amount
        for a in claim_adjustments:
            adjusted += a.amount
            if a.group == "PR":
                responsibility += a.amount
        claim_adjusted = adjusted
        charge = _ZERO
        paid = _ZERO
        first: date | None = None
        last: date | None = None
        for pl in lines:
            line = pl.line
            line_adjusted = _ZERO
            for a in pl.adjustments:
                line_adjusted += a.amount
                if a.group == "PR":
                    responsibility += a.amount
            if line_discrepancy(pl.charge, (line_adjusted,), pl.paid):
                raise BalanceError(
                    f"claim {pcn}, line {line.line_number} ({line.code}): charge "
                    f"{pl.charge} - adjustments {line_adjusted} != paid {pl.paid} "
                    "(SVC02 - CAS = SVC03)"
                )
            adjusted += line_adjusted
            charge += pl.charge
            paid += pl.paid
            qualifier = line.qualifier or "HC"
            code = line.code or ""
            texts.append(qualifier)
            texts.append(code)
            if line.modifiers:
                texts.extend(line.modifiers)
                composite = comp.join([qualifier, code, *line.modifiers])
            else:
                composite = qualifier + comp + code
            svc = ["SVC", composite, amt(pl.charge), amt(pl.paid)]
            units_paid = pl.units_paid
            if units_paid is not None:
                svc.append("")
                svc.append(amt(units_paid))
                units = line.units
                if units is not None and units_paid != units and units_paid != -units:
                    svc.append("")
                    svc.append(amt(units))  # SVC07: original units, when they differ
            line_segs.append(svc)
            start_d = line.service_date
            assert start_d is not None, "a priced line has its date of service"
            end_d = line.service_date_end or start_d
            if end_d != start_d:
                line_segs.append(["DTM", "150", d8(start_d)])
                line_segs.append(["DTM", "151", d8(end_d)])
            else:
                line_segs.append(["DTM", "472", d8(start_d)])
            if first is None or start_d < first:
                first = start_d
            if last is None or end_d > last:
                last = end_d
            if pl.adjustments:
                for cas in _cas_segments(pl.adjustments, amt):
                    texts.append(cas[1])
                    texts.extend(cas[2::3])
                    line_segs.append(cas)
            if line.control_number:
                texts.append(line.control_number)
                line_segs.append(["REF", "6R", line.control_number])
            if pl.status != "denied":  # nothing is allowed for a denied service
                line_segs.append(["AMT", "B6", amt(pl.allowed)])
            for remark in pl.remarks:
                texts.append(remark)
                line_segs.append(["LQ", "HE", remark])
        total_paid = paid - claim_adjusted
        if claim_discrepancy(charge, (adjusted,), total_paid):
            raise BalanceError(
                f"claim {pcn}: charge {charge} - adjustments {adjusted} != "
                f"paid {total_paid} (CLP03 - CAS = CLP04)"
            )
        self._claim_paid = total_paid
        filing = getattr(priced, "filing_indicator", None) or "MB"
        clp = ["CLP", pcn, status, amt(charge), amt(total_paid),
               amt(responsibility) if responsibility else "",
               filing if filing in CLP06_CODES else "ZZ", icn,
               claim.place_of_service or "", claim.frequency_code or ""]
        while clp[-1] == "":
            clp.pop()
        segs = [clp]
        if claim_adjustments:
            for cas in _cas_segments(claim_adjustments, amt):
                texts.append(cas[1])
                texts.extend(cas[2::3])
                segs.append(cas)
        nm1 = ["NM1", "QC", "1", last_name, first_name, middle]
        if member_id:
            nm1 += ["", "", "MI", member_id]
        else:
            while nm1[-1] == "":
                nm1.pop()
        segs.append(nm1)
        duplicate_of = getattr(priced, "duplicate_of", None)
        if duplicate_of:  # C28: the claim this one exactly repeats (2100 REF*F8)
            texts.append(duplicate_of)
            segs.append(["REF", "F8", duplicate_of])
        if first is not None:
            segs.append(["DTM", "232", d8(first)])
            segs.append(["DTM", "233", d8(last)])  # type: ignore[arg-type]
        segs.extend(line_segs)
        return segs, texts

    # -- output ------------------------------------------------------------------
    def finish(self, stream: IO[bytes], *,
               recoverable: Mapping[str, Sequence[ProviderLevelAdjustment]] | None = None,
               ) -> list[TransactionSummary]:
        """Write ISA..IEA with one transaction per payer x payee; return what was written.

        recoverable: per payee id, money it owes back (reason FB, reference = the ICN of
        the reversed claim, amount > 0), oldest first; each is taken from the payee's
        payment with a PLB as far as the payment allows (TransactionSummary.plb)."""
        if not self._payees:
            raise EdiHitError("no claims to remit: an 835 needs at least one claim")
        first_payer = next(iter(self._payees.values())).payer
        receiver = self.receiver_id or self._default_receiver()
        self._recoverable = dict(recoverable or {})
        delimiters = self._choose_delimiters(receiver)
        self._out_table = bytes.maketrans(
            (_ELEM + _COMP + _SEG).encode(),
            (delimiters.element + delimiters.component + delimiters.segment).encode())
        out = SegmentWriter(stream, delimiters, line_break=self.line_break)
        out.begin_interchange(
            first_payer.interchange_qualifier, first_payer.interchange_id or "EDIHIT",
            self.receiver_qualifier, receiver, self.control_number, now=self.now,
            usage=first_payer.usage_indicator or self._usage,
        )
        out.begin_group("HP", first_payer.interchange_id or "EDIHIT", receiver,
                        self.control_number, IMPLEMENTATION, now=self.now)
        summaries = []
        for number, payee in enumerate(self._payees.values(), start=1):
            summaries.append(self._write_transaction(out, stream, number, payee))
        out.end_interchange()
        self._spill.close()
        return summaries

    def _choose_delimiters(self, receiver: str) -> Delimiters:
        """The preferred delimiters, unless a value uses one of them: then others that no
        value uses (the spill is scanned for them; this is the rare path)."""
        header: list[object] = [receiver]
        for p in self._payees.values():
            header += [p.name, p.id, p.tax_id]
            for obj in (p.payer, p.address):
                if is_dataclass(obj):
                    header += [getattr(obj, f.name) for f in fields(obj)]
        text = "".join(v for v in header if isinstance(v, str))
        if not self._collides and self._forbidden.isdisjoint(text):
            return self.delimiters
        used = set(text)
        spill = self._spill
        spill.seek(0)
        while chunk := spill.read(1 << 20):
            used.update(chr(b) for b in set(chunk) if b < 128)
        return choose_delimiters(self.delimiters, used)

    def _default_receiver(self) -> str:
        if self._receiver is not None:
            return self._receiver
        env = getattr(self._first_claim, "envelope", None)
        for attr in ("sender_id", "interchange_sender_id", "submitter_id"):
            value = getattr(env, attr, None)
            if value:
                return str(value).strip()
        return next(iter(self._payees.values())).id

    def _write_transaction(self, out: SegmentWriter, stream: IO[bytes], number: int,
                           payee: _Payee) -> TransactionSummary:
        payer = payee.payer
        control = f"{number:04d}"
        plb = list(self.provider_adjustments.get(payee.id, ()))
        available = payee.paid - sum((p.amount for p in plb), _ZERO)
        for owed in self._recoverable.get(payee.id, ()):
            if available <= 0:
                break
            take = min(owed.amount, available)  # recoup an open balance (positive FB)
            plb.append(ProviderLevelAdjustment("FB", take, owed.reference))
            available -= take
        if available < 0:
            # Reversals outweigh payments: pay nothing now, carry the debt forward by the
            # ICN of each reversed claim (negative FB), the rest by this transaction.
            debt = -available
            for icn, amount in payee.reversals:
                if debt <= 0:
                    break
                take = min(amount, debt)
                plb.append(ProviderLevelAdjustment("FB", -take, icn))
                debt -= take
            if debt > 0:
                plb.append(ProviderLevelAdjustment("FB", -debt, f"{self.control_number}{control}"))
        payment = payee.paid - sum((p.amount for p in plb), _ZERO)
        if transaction_discrepancy(payment, [payee.paid], [p.amount for p in plb]):
            raise BalanceError(f"payee {payee.id}: BPR02 {payment} does not balance")
        out.begin_transaction("835", control, None)
        if payment == 0:
            out.write(["BPR", "H", "0", "C", "NON", *([""] * 11), self._date])
        else:
            out.write(["BPR", "I", format_amount(payment), "C", payer.payment_method,
                       *([""] * 11), self._date])
        out.write(["TRN", "1", self.trace_number(number), payer.trace_id])
        out.write(["DTM", "405", self._date])
        out.write(["N1", "PR", payer.name])
        out.write(["N3", payer.address_line1, payer.address_line2])
        out.write(["N4", payer.city, payer.state, payer.postal_code])
        if payer.id:
            out.write(["REF", "2U", payer.id])
        contact = ["PER", "BL", payer.contact_name]
        for qualifier, value in (("TE", payer.contact_phone), ("EM", payer.contact_email),
                                 ("UR", payer.contact_url)):
            if value:
                contact += [qualifier, value]
        out.write(contact)
        out.write(["N1", "PE", payee.name, payee.id_qualifier, payee.id])
        addr = payee.address
        if addr is not None and getattr(addr, "line1", None) and getattr(addr, "city", None):
            out.write(["N3", addr.line1, getattr(addr, "line2", None)])
            out.write(["N4", addr.city, addr.state, addr.postal_code])
        if payee.tax_id:
            out.write(["REF", "TJ", payee.tax_id])
        out.write(["LX", "1"])
        out.flush()  # the claims are copied byte for byte from the spill
        spill = self._spill
        ranges = payee.ranges
        table = self._out_table
        for i in range(0, len(ranges), 2):
            spill.seek(ranges[i])
            remaining = ranges[i + 1] - ranges[i]
            while remaining:
                chunk = spill.read(min(remaining, 1 << 20))
                stream.write(chunk.translate(table))
                remaining -= len(chunk)
        out.segments_written += payee.segments
        for start in range(0, len(plb), 6):
            seg: list[Element] = ["PLB", payee.id, f"{self.now.year}1231"]
            for p in plb[start : start + 6]:
                seg.append([p.reason, p.reference or ""])
                seg.append(format_amount(p.amount))
            out.write(seg)
        segments = out.transaction_segment_count + 1
        out.end_transaction()
        return TransactionSummary(
            control_number=control,
            payer_name=payer.name or "",
            payee_name=payee.name,
            payee_id=payee.id,
            claims=payee.claims,
            claim_payments=payee.paid,
            provider_adjustments=sum((p.amount for p in plb), _ZERO),
            payment=payment,
            segments=segments,
            trace_number=self.trace_number(number),
            plb=plb,
        )


def build_835(
    priced_claims: Iterable[Any],
    stream: BinaryIO | None = None,
    *,
    payer: PayerInfo | None = None,
    now: datetime | None = None,
    control_number: int = 1,
    receiver_id: str | None = None,
    delimiters: Delimiters = Delimiters(),
    line_break: bool = True,
    provider_adjustments: Mapping[str, Sequence[ProviderLevelAdjustment]] | None = None,
) -> bytes | None:
    """Write one 835 interchange for the priced claims; bytes when `stream` is None.

    One transaction per payer x payee (billing provider NPI), in order of first
    appearance; claims in input order. Raises BalanceError if amounts cannot balance.
    `provider_adjustments` maps a payee NPI to PLB adjustments for that payee.
    """
    builder = RemittanceBuilder(
        payer=payer, now=now, control_number=control_number, receiver_id=receiver_id,
        delimiters=delimiters, line_break=line_break, provider_adjustments=provider_adjustments,
    )
    for priced in priced_claims:
        builder.add(priced)
    if stream is None:
        buffer = io.BytesIO()
        builder.finish(buffer)
        return buffer.getvalue()
    builder.finish(stream)
    return None
