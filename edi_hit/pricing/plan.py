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
# Memory: one dict entry per beneficiary and 4 bytes per claim (an array of
# beneficiary numbers, used to account for claims the reader rejects).
from __future__ import annotations

import os
from array import array
from dataclasses import dataclass, field
from typing import Iterable

from edi_hit.x12.prescan import EnvelopeScan, spool  # noqa: F401  (spool: re-exported)

__all__ = ["RunPlan", "plan_run", "scan_file", "scan_members", "spool"]



@dataclass(slots=True)
class RunPlan:
    """Member ids of the claims of a run, in input order, file by file."""

    ids: dict[str, int] = field(default_factory=dict)      # member id -> number
    members: list[str] = field(default_factory=list)       # number -> member id
    counts: list[int] = field(default_factory=list)        # number -> claims in the run
    files: list[array] = field(default_factory=list)       # per source: number of each CLM
    verdicts: list[list] = field(default_factory=list)     # per source: one per ST (prescan)

    def add_file(self, member_ids: Iterable[str], verdicts: list | None = None) -> None:
        ids, members, counts = self.ids, self.members, self.counts
        seq = array("i")
        for m in member_ids:
            n = ids.get(m)
            if n is None:
                n = ids[m] = len(members)
                members.append(m)
                counts.append(0)
            counts[n] += 1
            seq.append(n)
        self.files.append(seq)
        self.verdicts.append(verdicts if verdicts is not None else [])

    @property
    def claims(self) -> int:
        return sum(len(f) for f in self.files)

    def expected(self) -> dict[str, int]:
        """member id -> claims in the run (a fresh dict the pricing run counts down)."""
        return dict(zip(self.members, self.counts))

    def member_at(self, file_no: int, ordinal: int) -> str | None:
        """Member id of the ordinal-th CLM (0-based) of the file_no-th source."""
        if file_no < len(self.files) and 0 <= ordinal < len(self.files[file_no]):
            return self.members[self.files[file_no][ordinal]]
        return None


def plan_run(sources: Iterable, names: Iterable[str | None] | None = None) -> RunPlan:
    """Scan every source (paths, bytes or seekable binary files) in order. `names`: what
    the readers will call each source (the envelope verdicts' findings name it)."""
    plan = RunPlan()
    sources = list(sources)
    names = list(names) if names is not None else [None] * len(sources)
    for src, name in zip(sources, names):
        members, verdicts = scan_file(src, name)
        plan.add_file(members, verdicts)
    return plan


# -- the scan ------------------------------------------------------------------------------

class _MemberScan(EnvelopeScan):
    """The envelope pre-check, watching also HL, NM1*IL and CLM for the member ids."""

    watch_ids = frozenset({"CLM", "HL", "NM1", "ST"})

    def __init__(self, name=None):
        super().__init__(name)
        self.members: list[str] = []
        self.member = ""
        self.expect = False  # the next NM1*IL names the member (it follows an HL*22)

    def restart(self):
        self.members = []
        self.member, self.expect = "", False

    def watch(self, e, t):
        v = f"[^{e}{t}]*"
        return (f"(?P<clm>CLM)(?={e}|{t}|\\Z)"
                f"|HL{e}{v}{e}{v}{e}(?P<level>{v})"
                f"|NM1{e}IL(?:{e}{v}){{7}}{e}(?P<mid>{v})")

    def matched(self, m):
        group = m.lastgroup
        if group == "clm":
            self.members.append(self.member)
            self.expect = False
        elif group == "level":
            self.hl(m.group("level"))
        elif self.expect:  # mid
            self.member, self.expect = m.group("mid"), False

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
            self.members.append(self.member)
            self.expect = False
        elif sid == "HL":
            self.hl(seg[3] if len(seg) > 3 else "")
        elif sid == "NM1":
            if self.expect and len(seg) > 1 and seg[1] == "IL":
                self.member, self.expect = (seg[9] if len(seg) > 9 else ""), False
        else:  # ST
            self.member, self.expect = "", False


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
