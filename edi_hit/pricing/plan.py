# The run plan: which beneficiary each claim of a run belongs to, read before pricing.
#
# Strategy: claims are applied per beneficiary in date-of-service order within a run
# (all input files of one command), so the pricer may price a beneficiary only once
# it has read that beneficiary's last claim. A cheap pre-scan of every input finds,
# for each CLM in order, the member id (2010BA NM109) it belongs to; the pricing pass
# then counts a beneficiary's claims down and prices them when the count reaches zero.
#
# The scan does not parse claims. It is the x12 layer's envelope pre-check
# (edi_hit.x12.prescan: one regular expression per decoded chunk of about a megabyte,
# segment by segment with SegmentReader when the file is not plain), told to watch a
# few more segments in the same pass: ST and HL (a new transaction set, billing
# provider or subscriber ends the current member), NM1*IL right after an HL*22 (the
# subscriber; NM1*IL in 2330A comes after the CLM and is ignored) and CLM. That is the
# attribution the 837P reader makes, so plan and reader agree claim by claim; the
# pricing pass checks that they do. The same pass gives each transaction set's
# envelope verdict, which the reader takes so that it can stream claims in reject mode
# instead of holding a set until its SE.
#
# Memory: no member id is kept. Each is reduced to a 64-bit key (member_key: 8 bytes
# of BLAKE2b, the same in every process); the plan holds the key of every CLM (8 bytes a
# claim, to account for claims the reader rejects) and, once every file is scanned, the
# sorted distinct keys with a claim count each (12 bytes a beneficiary). A million
# claims of a million beneficiaries cost about 20 MB, not the 160 MB a dict of member
# ids would. Two member ids with one key (a chance of about 1 in 10^7 for a million
# beneficiaries) are counted as one beneficiary: the pricing run waits for the last claim
# of both and then prices each apart, so a collision delays a claim, never changes it.
from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any, Iterable

from edi_hit.x12.prescan import EnvelopeScan, spool  # noqa: F401  (spool: re-exported)

__all__ = ["RunPlan", "MemberCounts", "member_key", "plan_run", "scan_file", "scan_keys",
           "scan_members", "spool"]


def member_key(mbi: str) -> int:
    """The plan's 64-bit key of a member id (stable across processes and runs)."""
    return int.from_bytes(blake2b(mbi.encode("utf-8", "surrogateescape"),
                                  digest_size=8).digest(), "little", signed=True)


class MemberCounts(Mapping[Any, int]):
    """Claims of each planned beneficiary not yet read, by member key: the count-down a
    PricingRun keeps. `spill_after`: claims a run holds in memory before it moves
    pending claims to disk (None: never; the caller holds the claims anyway)."""

    __slots__ = ("keys", "left", "spill_after", "_last")

    def __init__(self, keys: array, counts: array, spill_after: int | None = None):
        self.keys = keys
        self.left = array("i", counts)
        self.spill_after = spill_after
        self._last = ("", member_key(""))

    def key(self, mbi: str) -> int:
        last = self._last
        if mbi != last[0]:
            last = self._last = (mbi, member_key(mbi))
        return last[1]

    def __getitem__(self, key) -> int:
        left = self.get(key)
        if left is None:
            raise KeyError(key)
        return left

    def __iter__(self) -> Iterator[int]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def _at(self, key) -> int | None:
        keys = self.keys
        i = bisect_left(keys, key)
        return i if i < len(keys) and keys[i] == key else None

    def get(self, key, default=None):  # type: ignore[override]
        """Claims of this member still to come; None when the plan has no such member."""
        i = self._at(key) if key.__class__ is int else None
        return default if i is None else self.left[i]

    def set(self, key, left: int) -> None:
        i = self._at(key)
        if i is not None:
            self.left[i] = left


class DictCounts(Mapping[Any, int]):
    """The same count-down for claims held in memory (Pricer.price): member id -> claims."""

    __slots__ = ("left", "spill_after")

    def __init__(self, counts: Mapping[str, int], spill_after: int | None = None):
        self.left = dict(counts)
        self.spill_after = spill_after

    def key(self, mbi: str) -> str:
        return mbi

    def get(self, key, default=None):  # type: ignore[override]
        return self.left.get(key, default)

    def __getitem__(self, key) -> int:
        return self.left[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.left)

    def __len__(self) -> int:
        return len(self.left)

    def set(self, key, left: int) -> None:
        self.left[key] = left


@dataclass(slots=True)
class RunPlan:
    """Member keys of the claims of a run, in input order, file by file."""

    files: list[array] = field(default_factory=list)       # per source: key of each CLM
    verdicts: list[list] = field(default_factory=list)     # per source: one per ST (prescan)
    keys: array = field(default_factory=lambda: array("q"))   # distinct keys, sorted
    counts: array = field(default_factory=lambda: array("i"))  # claims per key
    _dirty: bool = False

    def add_file(self, keys: Iterable[int], verdicts: list | None = None) -> None:
        """One source's member keys (member_key of each CLM's member id, in order)."""
        self.files.append(keys if isinstance(keys, array) else array("q", keys))
        self.verdicts.append(verdicts if verdicts is not None else [])
        self._dirty = True

    def _count(self) -> None:
        if not self._dirty:
            return
        keys, counts = array("q"), array("i")
        prev = None
        for k in sorted(k for f in self.files for k in f):
            if k == prev:
                counts[-1] += 1
            else:
                keys.append(k)
                counts.append(1)
                prev = k
        self.keys, self.counts, self._dirty = keys, counts, False

    @property
    def claims(self) -> int:
        return sum(len(f) for f in self.files)

    @property
    def beneficiaries(self) -> int:
        self._count()
        return len(self.keys)

    def count(self, mbi: str) -> int:
        """Claims of this member id in the run."""
        self._count()
        left = MemberCounts(self.keys, self.counts).get(member_key(mbi))
        return left or 0

    def countdown(self, spill_after: int | None = None) -> MemberCounts:
        """A fresh count-down of the run's claims per member, for a PricingRun."""
        self._count()
        return MemberCounts(self.keys, self.counts, spill_after)

    def key_at(self, file_no: int, ordinal: int) -> int | None:
        """Member key of the ordinal-th CLM (0-based) of the file_no-th source."""
        if file_no < len(self.files) and 0 <= ordinal < len(self.files[file_no]):
            return self.files[file_no][ordinal]
        return None

    def member_at(self, file_no: int, ordinal: int) -> str | None:
        """A stand-in for the member id of the ordinal-th CLM (the plan keeps 64-bit
        keys, not ids): its key as text, the same for every claim of that member; for
        routing a claim the reader rejected (edi_hit.spark), never as a member id."""
        key = self.key_at(file_no, ordinal)
        return None if key is None else f"#{key & 0xFFFFFFFFFFFFFFFF:016x}"


def plan_run(sources: Iterable, names: Iterable[str | None] | None = None) -> RunPlan:
    """Scan every source (paths, bytes or seekable binary files) in order. `names`: what
    the readers will call each source (the envelope verdicts' findings name it)."""
    plan = RunPlan()
    sources = list(sources)
    names = list(names) if names is not None else [None] * len(sources)
    for src, name in zip(sources, names):
        keys, verdicts = scan_keys(src, name)
        plan.add_file(keys, verdicts)
    return plan


# -- the scan ------------------------------------------------------------------------------

class _MemberScan(EnvelopeScan):
    """The envelope pre-check, watching also HL, NM1*IL and CLM for the member ids."""

    watch_ids = frozenset({"CLM", "HL", "NM1", "ST"})

    def __init__(self, name=None):
        super().__init__(name)
        self.members: list = []
        self.member = ""
        self.expect = False  # the next NM1*IL names the member (it follows an HL*22)

    def restart(self):
        self.members = self._fresh()
        self.member, self.expect = "", False

    def _fresh(self) -> list:
        return []

    def watch(self, e, t):
        v = f"[^{e}{t}]*"
        return (f"(?P<clm>CLM)(?={e}|{t}|\\Z)"
                f"|HL{e}{v}{e}{v}{e}(?P<level>{v})"
                f"|NM1{e}IL(?:{e}{v}){{7}}{e}(?P<mid>{v})")

    def matched(self, m):
        group = m.lastgroup
        if group == "clm":
            self.claim()
            self.expect = False
        elif group == "level":
            self.hl(m.group("level"))
        elif self.expect:  # mid
            self.member, self.expect = m.group("mid"), False

    def claim(self):
        self.members.append(self.member)

    def hl(self, level):
        if level == "22":
            self.member, self.expect = "", True
        elif level != "23":
            self.member, self.expect = "", False
        else:
            self.expect = False

    def segment(self, seg):
        sid = seg[0]
        if sid == "CLM":
            self.claim()
            self.expect = False
        elif sid == "HL":
            self.hl(seg[3] if len(seg) > 3 else "")
        elif sid == "NM1":
            if self.expect and len(seg) > 1 and seg[1] == "IL":
                self.member, self.expect = (seg[9] if len(seg) > 9 else ""), False
        else:  # ST
            self.member, self.expect = "", False


class _KeyScan(_MemberScan):
    """The same scan keeping only each member id's key (8 bytes a claim)."""

    def __init__(self, name=None):
        super().__init__(name)
        self.members = self._fresh()
        self._last = ("", member_key(""))

    def _fresh(self):
        return array("q")

    def claim(self):
        m = self.member
        last = self._last
        if m != last[0]:  # claims of one member usually come together
            last = self._last = (m, member_key(m))
        self.members.append(last[1])


def scan_keys(source, name: str | None = None) -> tuple[array, list]:
    """scan_file, keeping the member_key of each CLM's member instead of its id."""
    scan = _KeyScan(name)
    verdicts = scan.run(source)
    return scan.members, verdicts


def scan_file(source, name: str | None = None) -> tuple[list[str], list]:
    """One pass over one 837P source: (the member id of every CLM in order, '' when
    none; the envelope verdict of every transaction set, as
    edi_hit.x12.prescan.check_transaction_sets gives them, findings naming `name`).

    A file object is read from where it stands and put back there afterwards.
    Input that is not X12 gives ([], []): the reader says what is wrong.
    """
    scan = _MemberScan(name)
    verdicts = scan.run(source)
    return scan.members, verdicts


def scan_members(source) -> list[str]:
    """The member id of every CLM of one 837P source, in order ('' when none)."""
    return scan_file(source)[0]
