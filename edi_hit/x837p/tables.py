# The 837P dispatch tables: for each reading state, what each segment is and where
# the machine goes next, compiled once from the loop declaration (loops.py).
#
# Strategy: TABLES[state][segment id] is (handler, next state), or for NM1 a dict keyed
# by NM101; a segment the table of its state does not name cannot be placed there, and
# gets the state's UNPLACED entry: out of place (an SV1 in a 2310A, a second SBR in a
# 2000B), missing (not the SV1 that must follow an LX), outside a transaction set, or
# skipped (after a rejection). States are the loops, plus "X@" for a loop whose second
# segment is required right after its first (HL*22 then SBR, LX then SV1, ST then BHT),
# "ENV" between transaction sets and "SKIP" after a rejection. The segments that open or
# close something (CLM, HL and the envelope segments) have next state None: the machine
# (machine.py) sends them through the reject bookkeeping. MISSING says what a state
# still owes when the file moves on. The lazy read (lazy.py) replays a unit's segments
# through these same tables when a field is first asked for.
from __future__ import annotations

from typing import Any, Callable

from . import claim_handlers as C
from . import handlers as H
from .handlers import Bad, OutOfPlace
from .loops import BY_ID, LOOPS, missing, reachable

__all__ = ["TABLES", "UNPLACED", "MISSING", "Handler", "Entry", "Table", "BOUNDARY"]

# A handler: (state, segment, loop) -> the next loop (boundary segments) or None.
Handler = Callable[[H.State, list[str], str], Any]
# (handler, next state); next state None: the segment goes through the bookkeeping.
Entry = tuple[Handler, "str | None"]
Table = dict[str, Any]   # segment id -> Entry, or for NM1 {NM101: Entry}

# (loop or "*", segment id) -> handler of a segment the model names.
_MEMBER: dict[tuple[str, str], Handler] = {
    ("1000A", "PER"): H.per,
    ("2000A", "PRV"): H.prv,
    ("2010AA", "REF"): H.billing_ref,
    ("2300", "DTP"): H.dtp, ("2300", "REF"): H.ref, ("2300", "NTE"): H.nte, ("2300", "HI"): C.hi,
    ("2400", "DTP"): C.line_dtp, ("2400", "REF"): C.line_ref, ("2400", "NTE"): H.nte,
    ("2410", "CTP"): C.ctp, ("2410", "REF"): H.ref,
    ("*", "N3"): H.n3, ("*", "N4"): H.n4, ("*", "REF"): H.ref, ("*", "PER"): H.per,
    ("*", "PRV"): H.prv, ("*", "DMG"): H.dmg,
}
# The required second segment of a loop (read in state "X@").
_SECOND: dict[tuple[str, str], Handler] = {
    ("HEADER", "BHT"): H.bht, ("2000B", "SBR"): H.sbr, ("2000C", "PAT"): H.pat,
    ("2400", "SV1"): C.sv1,
}
# Loop -> the handler of the segment that opens it.
_START: dict[str, Handler] = {
    "1000A": H.submitter, "1000B": H.receiver, "2010AA": H.billing_nm1, "2010AB": H.pay_to,
    "2010AC": H.pay_to_plan, "2010BA": H.subscriber_nm1, "2010BB": H.payer_nm1,
    "2010CA": H.patient_nm1, "2400": C.lx, "2410": C.lin,
}
BOUNDARY: dict[str, Handler] = {
    "ISA": H.isa, "GS": H.gs, "ST": H.st_, "SE": H.se, "GE": H.se, "IEA": H.se, "HL": H.hl,
    "CLM": C.clm,
}


def _start_of(loop: str) -> Handler:
    d = BY_ID[loop]
    if d.raw:
        return H.raw_line if loop.startswith("24") else H.raw_claim
    if loop.startswith("231"):
        return H.claim_party
    if loop.startswith("242"):
        return H.line_party
    return _START[loop]


def _state_after_start(loop: str) -> str:
    return f"{loop}@" if BY_ID[loop].leading > 1 else loop


def _expecting(loop: str, sid: str) -> Handler:
    first = BY_ID[loop].segments[0] if loop != "HEADER" else "ST"

    def missing_second(st: H.State, seg: list[str], state: str) -> None:
        raise OutOfPlace(None, f"{sid} right after {first}", seg[0], f"loop {loop} has no {sid}")
    return missing_second


def _outside_clm(st: H.State, seg: list[str], loop: str) -> str:
    raise Bad(None, "an ST transaction set header before it", seg[0],
              "claim outside a transaction set")


def _skip(st: H.State, seg: list[str], loop: str) -> None:
    """After a rejection: segments up to the next CLM, HL or envelope segment."""


def _add_trigger(table: Table, loop: str, entry: Entry) -> None:
    d = BY_ID[loop]
    if d.trigger == "NM1":
        by_qualifier = table.setdefault("NM1", {})
        for q in d.qualifiers or ():
            by_qualifier.setdefault(q, entry)
    else:
        assert d.trigger is not None and d.trigger not in table, (loop, d.trigger)
        table[d.trigger] = entry


def _compile() -> tuple[dict[str, Table], dict[str, Entry]]:
    boundary: Table = {sid: (h, None) for sid, h in BOUNDARY.items()}
    tables: dict[str, Table] = {}
    unplaced: dict[str, Entry] = {}
    for d in LOOPS:
        table: Table = {}
        # 1. the loop's own segments after its leading ones (modelled, else raw)
        for sid in d.segments[d.leading:]:
            if d.raw or sid not in d.modelled:
                table[sid] = (H.raw, d.loop)
            else:
                h = _MEMBER.get((d.loop, sid)) or _MEMBER.get(("*", sid))
                assert h is not None, (d.loop, sid)
                table[sid] = (h, d.loop)
        # 2. loops a segment may open from here, nearest first
        for target in reachable(d.loop):
            if BY_ID[target].trigger not in BOUNDARY:
                _add_trigger(table, target, (_start_of(target), _state_after_start(target)))
        table.update(boundary)
        tables[d.loop] = table
        unplaced[d.loop] = (H.in_raw_loop, None) if d.raw else (H.out_of_place, d.loop)
        # 3. a required second segment: its own state
        if d.leading > 1 or d.loop == "HEADER":
            second = d.segments[1] if d.loop != "HEADER" else d.segments[0]
            state = f"{d.loop}@"
            tables[state] = {second: (_SECOND[(d.loop, second)], d.loop), **boundary}
            unplaced[state] = (_expecting(d.loop, second), state)
    tables["ENV"] = {**boundary, "CLM": (_outside_clm, None), "TA1": (H.ignore, "ENV")}
    unplaced["ENV"] = (H.outside, None)  # recorded by RejectBook.boundary
    tables["SKIP"] = dict(boundary)
    unplaced["SKIP"] = (_skip, "SKIP")
    return tables, unplaced


TABLES, UNPLACED = _compile()
# State -> (the loop that still requires something, what) when the file moves on there.
MISSING: dict[str, tuple[str, str]] = {
    **{d.loop: m for d in LOOPS if (m := missing(d.loop)) is not None},
    **{f"{d.loop}@": (d.loop, d.segments[1] if d.loop != "HEADER" else "BHT")
       for d in LOOPS if d.leading > 1 or d.loop == "HEADER"},
}
