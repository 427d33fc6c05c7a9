# The common shapes of a subscriber and of a claim, as regular expressions: what a lazy
# read accepts at C speed without looking at a segment in Python.
#
# Strategy: a lazy read (read_837p(..., lazy=True)) must reject exactly the claims an
# eager read rejects, yet it cannot afford a Python step per segment. So each shape here
# is a strict subset of what the loop machine and the handlers accept: a run of segments
# that matches it is accepted by the eager read segment by segment, with no finding, and
# ends in a known loop; anything else (a segment out of TR3 order, a COB loop, a patient
# level, a leap day, an element count the shape does not list) simply does not match
# and is read the eager way. The shapes never decide a rejection; they only recognise
# runs that cannot be rejected. Each segment's pattern below says which handler it
# stands for and repeats that handler's checks: element counts (the layout sizes of
# elements.py), amounts as X12 reals that may not be negative (handlers.decimal), real
# calendar dates (handlers.date8: every day of every month but February 29, and years
# from 1000, the rest left to the eager read), diagnosis pointers, the components of
# SV101, and the once-a-loop segments (N3, N4, PRV, DMG, CTP) at most once. The loops
# and their order come from the loop declaration (loops.py): raw segments, the provider
# loops of a claim (2310A-F) and of a line (2420A-H) and the drug loop (2410), in TR3
# order, each once or, where it repeats, as often as it comes.
#
# Two units: a claim (CLM, its 2300 segments and providers, then lines of LX, SV1, their
# 2400 segments, drug and providers) and a subscriber level (HL*22, SBR, the 2010BA
# subscriber and an optional 2010BB payer); and a run step, an optional subscriber level
# then a claim. Each must be followed by a segment that opens or closes something (HL,
# CLM or an envelope segment) in the same chunk, so a unit is always whole. The
# differential tests (tests/test_837p_lazy.py) hold lazy and eager reads equal on every
# fixture, corpus file and mutation.
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from . import elements as L
from .loops import BY_ID, children

__all__ = ["Shapes", "shapes_for", "claim_end", "END_LOOPS", "BOUNDARY_IDS", "RUN_PAYER",
           "RUN_CLAIM"]

# The loop the machine is in after a claim of these shapes: its last line's (2400), or
# the drug (2410) or provider loop (2420A-H) that line ends with (claim_end).
_LINE_PARTIES = {q: loop for loop in children("2400") if BY_ID[loop].trigger == "NM1"
                 and not BY_ID[loop].raw for q in BY_ID[loop].qualifiers or ()}
END_LOOPS = frozenset({"2400", "2410", *_LINE_PARTIES.values()})
# Segments that open or close something: a unit ends right before one of them.
BOUNDARY_IDS = ("HL", "CLM", "SE", "GE", "IEA", "ISA", "GS", "ST")

# handlers.date8: a real date CCYYMMDD (years before 1000 and February 29 left to the
# eager read).
_DATE = ("[1-9][0-9]{3}(?:(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])"
         "|(?:0[13-9]|1[0-2])(?:29|30)|(?:0[13578]|1[02])31)")
_AMOUNT = r"(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)"   # handlers.decimal, not negative
_NOT_DELIMITERS = frozenset("0123456789.-")


class Shapes(NamedTuple):
    claim: re.Pattern[str]        # group 1: the CLM segment
    subscriber: re.Pattern[str]   # group 1: the HL segment; group "payer": 2010BB
    run: re.Pattern[str]          # an optional subscriber level, then a claim: groups
                                  # RUN_PAYER (2010BB) and RUN_CLAIM (where CLM starts)


RUN_PAYER, RUN_CLAIM = 2, 3   # group numbers in Shapes.run


def _raw(loop: str) -> str:
    """Segment ids a loop keeps raw (handlers.raw accepts any elements)."""
    d = BY_ID[loop]
    return "|".join(sid for sid in d.segments if sid not in d.modelled)


def _upto(pattern: str, n: int) -> str:
    """`pattern` at most n times: nested alternatives, which the regular expression
    engine runs faster than a counted repeat of a group."""
    out = ""
    for _ in range(n):
        out = f"(?:{pattern}{out}|)"
    return out


@lru_cache(maxsize=16)
def shapes_for(element: str, component: str, terminator: str) -> Shapes | None:
    """The shapes for one set of delimiters; None when a delimiter could be part of a
    number or a date (the shapes would be ambiguous: every unit is read eagerly). The
    component separator is the ISA16 the machine reads with (State.comp)."""
    delimiters = (element, component, terminator)
    if len(set(delimiters)) < 3 or any(len(x) != 1 or x.isalnum() or x in _NOT_DELIMITERS
                                       for x in delimiters):
        return None
    s, c, t = (re.escape(x) for x in delimiters)
    e = f"[^{s}{t}]*+"             # any element
    k = f"[^{s}{t}{c}]*+"          # any component

    def elements(n: int) -> str:   # at most n more elements, any values
        return _upto(f"{s}{e}", n)

    ref = f"REF{s}{e}{s}{e}{t}"                         # handlers.make_ref, two elements
    # Segments of the party and drug loops: (pattern, at most once a loop).
    member = {
        "N3": (f"N3{elements(L.N3.size)}{t}", True),     # handlers.n3
        "N4": (f"N4{elements(L.N4.size)}{t}", True),     # handlers.n4
        "REF": (ref, False),
        "PER": (f"PER{elements(L.PER.size)}{t}", False),  # handlers.per
        "PRV": (f"PRV{elements(L.PRV.size)}{t}", True),  # handlers.prv
        # claim_handlers.ctp: CTP04 an amount, at most 11 elements
        "CTP": (f"CTP(?:{s}{e}(?:{s}{e}(?:{s}{e}(?:{s}(?:{_AMOUNT})?+"
                f"{elements(L.CTP.size - 4)})?+)?+)?+)?+{t}", True),
    }

    def members(loop: str) -> str:
        out = ""
        for sid in BY_ID[loop].segments[1:]:
            pattern, once = member[sid]
            out += f"(?:{pattern})" + ("?+" if once else "*+")
        return out

    n3, n4, refs, per = (f"(?:{member[x][0]})" + ("?+" if member[x][1] else "*+")
                         for x in ("N3", "N4", "REF", "PER"))
    nte = f"NTE{elements(L.NTE.size)}{t}"              # handlers.nte
    dtp = f"DTP{s}{e}{s}(?:D8{s}{_DATE}|RD8{s}{_DATE}-{_DATE}){t}"   # make_dtp, line_dtp
    dmg = f"(?:DMG{s}D8{s}{_DATE}{elements(L.DMG.size - 2)}{t})?"    # handlers.dmg: once
    hi = f"HI(?:{s}[^{t}]*+)?{t}"                      # claim_handlers.hi: any composites
    pointers = f"[0-9]++(?:{c}[0-9]++)*+"              # handlers._pointers
    nm1 = elements(L.NM1.size - 1)                     # NM102 on (handlers._person)

    clm = f"(?P<clm>CLM{s}{e}{s}{_AMOUNT}{elements(L.CLM.size - 2)}){t}"
    lx = f"LX{s}[0-9]++{t}"
    # SV101 (at most 8 components), SV102 amount, SV104 optional amount, SV107 optional
    # pointers, then up to SV121; SV103 to SV107 all there first (the common case).
    sv1_tail = f"{s}(?:{pointers})?+{elements(L.SV1.size - 7)}"
    sv1 = (f"SV1{s}{k}{_upto(f'{c}{k}', L.SV101.size - 1)}{s}{_AMOUNT}"
           f"(?:{s}{e}{s}(?:{_AMOUNT})?+{s}{e}{s}{e}{sv1_tail}|"
           f"(?:{s}{e}(?:{s}(?:{_AMOUNT})?+(?:{s}{e}(?:{s}{e}(?:{sv1_tail})?+)?+)?+)?+)?+"
           f"){t}")

    def loops_under(parent: str) -> str:
        """The provider (NM1) and drug (LIN) loops under `parent`, in TR3 order, each
        once or (when it repeats) as often as it comes (loops.reachable)."""
        out = ""
        for loop in children(parent):
            d = BY_ID[loop]
            if d.raw or d.trigger not in ("NM1", "LIN"):
                continue
            if d.trigger == "NM1":
                opens = f"NM1{s}(?:{'|'.join(d.qualifiers or ())}){nm1}{t}"  # handlers._party
            else:   # claim_handlers.lin: at most 31 elements (LIN01 and on)
                opens = f"LIN{s}{e}{elements(L.LIN.size - 1)}{t}"
            out += f"(?:{opens}{members(loop)})" + ("*+" if d.repeats else "?+")
        return out

    raw_claim = f"(?:{_raw('2300')})(?=[{s}{t}])[^{t}]*+{t}"
    raw_line = f"(?:{_raw('2400')})(?=[{s}{t}])[^{t}]*+{t}"
    line = (f"{lx}{sv1}(?:{dtp}|{ref}|{nte}|{raw_line})*+"
            f"(?:(?=LIN{s}|NM1{s}){loops_under('2400')})?+")
    end = f"(?=(?:{'|'.join(BOUNDARY_IDS)})[{s}{t}])"
    claim = (f"{clm}(?:{hi}|{dtp}|{ref}|{nte}|{raw_claim})*+"
             f"(?:(?=NM1{s}){loops_under('2300')})?+(?:{line})++")

    hl = f"(?P<hl>HL{s}{e}{s}{e}{s}22{elements(L.HL.size - 3)}){t}"
    sbr = f"SBR{elements(L.SBR.size)}{t}"
    subscriber = (f"{hl}{sbr}NM1{s}IL{nm1}{t}{n3}{n4}{dmg}{refs}{per}"
                  f"(?P<payer>NM1{s}PR{nm1}{t}{n3}{n4}{refs})?+")
    run = re.compile(f"(?:{subscriber})?+(?P<claim>{claim}){end}")
    assert (run.groupindex["payer"], run.groupindex["claim"]) == (RUN_PAYER, RUN_CLAIM)
    return Shapes(re.compile(claim + end), re.compile(subscriber + end), run)


def claim_end(text: str, start: int, stop: int, element: str, terminator: str) -> str:
    """The loop the machine is in after the claim of a shape in text[start:stop]: the
    last loop its last line opens (2400, 2410 or a 2420 provider loop)."""
    line = text.rfind(f"{terminator}LX{element}", start, stop)
    party = text.rfind(f"{terminator}NM1{element}", line, stop)
    if party >= 0:
        at = party + 5
        return _LINE_PARTIES[text[at:at + 2]]
    if text.find(f"{terminator}LIN{element}", line, stop) >= 0:
        return "2410"
    return "2400"
