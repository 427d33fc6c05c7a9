# Lazy claims: read_837p(..., lazy=True) hands out claims that keep their raw segments
# and decode them the first time a field is asked for.
#
# Strategy: the rejection rules must be the eager read's, so a lazy claim is decided
# before it is handed out, by the same loop machine and bookkeeping; only the way its
# segments reach the machine differs. units() walks a chunk's text and, where a
# subscriber level or a claim has one of the common shapes (shapes.py: C-speed regular
# expressions that match only runs of segments the eager read accepts without a
# finding), gives the machine one Unit: the opening segment (HL or CLM, split as
# usual) carrying the text of the whole run. Every other segment comes split, one by
# one, and is read the eager way. The machine sends a Unit through the same bookkeeping
# as the segment it opens with (closing the claim before it, taints, counts, the
# envelope's verdict) and skips the run's segments; the lazy HL and CLM handlers here
# make LazySubscriber / LazyPayer / LazyClaim objects of it instead of reading it. So a
# claim eager mode rejects is rejected here too: a run the shapes accept cannot be
# rejected by its own segments, and whatever rejects a claim from outside (a taint, a
# broken envelope, a missing loop, a loop too long) is the machine's.
#
# While the read is clean (RejectBook.clean: no taint, no rejection pending, a sound
# transaction set streamed on its verdict), the claims of a common shape that follow a
# claim come as one Run of up to MAX_RUN claims, one regular-expression match each and
# no Python step per segment; RejectBook.take_run does for the Run what the HL and CLM
# segments it stands for would have done (they can change nothing else while clean).
#
# A lazy object is an instance of a subclass of its model class (isinstance holds)
# whose fields are properties. The first access turns it into a plain instance of the
# model class and replays the run's segments through the eager handlers and dispatch
# tables (tables.py), with the context captured at read time (billing provider,
# subscriber, payer, envelope ... of the claim); the handler that opens the run builds
# into this very object (State.target). So: same fields, types, values and to_dict as
# an eager read, and plain attribute speed from then on. Until then the run waits in the
# object's `other` slot (the only extra memory is the run's text), and the cyclic GC
# sees one object per claim instead of about forty. (The first access is not meant to
# happen in two threads at once.)
from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any, Callable, Iterator

from ..claims import Claim, Payer, Subscriber
from ..errors import EdiHitError
from . import claim_handlers as C
from . import handlers as H
from .handlers import ABSENT, Bad, State
from .shapes import END_LOOPS, RUN_CLAIM, RUN_PAYER, claim_end, shapes_for
from .tables import BOUNDARY, MISSING, TABLES, Table

__all__ = ["Unit", "Run", "units", "decoded", "LAZY_TABLES", "LazyClaim", "LazySubscriber",
           "LazyPayer", "LazyDecodeError", "MAX_RUN"]

MAX_RUN = 256   # claims in one Run: the most lazy claims a run makes before they go out


class LazyDecodeError(EdiHitError):
    """A lazy object's segments did not replay as the read decided: a bug in shapes.py."""


# -- the lazy objects -----------------------------------------------------------------

# What a lazy object keeps until its first access: (its run of segments, how to read
# it, and for a claim the context objects its CLM reads: billing provider, subscriber,
# patient, payer, submitter, receiver, envelope). How: (element separator, terminator,
# component separator, the state the run starts in, the State attribute its object ends
# up in).
How = tuple[str, str, str, str, str]


@lru_cache(maxsize=16)
def _how(element: str, terminator: str, comp: str) -> tuple[How, How, How]:
    """How to replay a claim, a subscriber level and a payer read with these delimiters."""
    return ((element, terminator, comp, "SKIP", "claim"),
            (element, terminator, comp, "SKIP", "subscriber"),
            (element, terminator, comp, "2010BA", "payer"))


def _replay(payload: tuple[Any, ...], obj: Any) -> None:
    """Read a run's segments with the eager handlers, building into `obj` (its class
    already the plain model class) the object the run opens."""
    text, (element, terminator, comp, loop, result) = payload[:2]
    st = State(None)
    st.comp = comp
    st.target = obj
    if len(payload) > 2:   # a claim: the context its CLM reads
        st.billing, st.subscriber, st.patient, st.payer, st.submitter, st.receiver, \
            st.envelope = payload[2:]
    for seg in [part.split(element) for part in text[:-1].split(terminator)]:
        entry = TABLES[loop].get(seg[0])
        if entry.__class__ is dict:
            entry = entry.get(seg[1] if len(seg) > 1 else "")
        if entry is None:
            raise LazyDecodeError(f"lazy read: segment {seg[0]} cannot be placed in loop {loop} "
                                  "although the read accepted it (a bug in x837p/shapes.py)")
        handler, nl = entry
        try:
            if nl is None:      # the run's first segment: HL or CLM
                loop = handler(st, seg, loop)
            else:
                handler(st, seg, nl)
                loop = nl
        except Bad as bad:
            raise LazyDecodeError(f"lazy read: segment {seg[0]}, element {bad.element}: "
                                  f"{bad.message}, although the read accepted it (a bug in "
                                  "x837p/shapes.py)") from None
    if getattr(st, result) is not obj:
        raise LazyDecodeError(f"lazy read: the run did not open its {result}")


def _make_lazy(base: type) -> type:
    """A subclass of `base` whose fields decode the payload on first access."""
    fields = tuple(f.name for f in dataclasses.fields(base))
    holder = base.__dict__["other"]   # the base's slot where the payload waits

    def decode(obj: Any) -> None:
        if obj.__class__ is base:
            return
        payload = holder.__get__(obj, base)
        obj.__class__ = base          # then the handlers build into it (State.target)
        _replay(payload, obj)

    def field_property(name: str) -> property:
        def get(self: Any) -> Any:
            decode(self)
            return getattr(self, name)

        def set_(self: Any, value: Any) -> None:
            decode(self)
            setattr(self, name, value)
        return property(get, set_, doc=f"{base.__name__}.{name}, decoded on first access")

    def __eq__(self: Any, other: object) -> bool:
        decode(self)
        return bool(self == other)

    def __reduce_ex__(self: Any, protocol: Any) -> Any:
        decode(self)
        return self.__reduce_ex__(protocol)

    namespace: dict[str, Any] = {name: field_property(name) for name in fields}
    namespace.update(__slots__=(), __eq__=__eq__, __hash__=None, __reduce_ex__=__reduce_ex__,
                     decode=staticmethod(decode),
                     __doc__=f"A {base.__name__} read lazily: it decodes its segments the "
                             f"first time a field is asked for, and is then a plain "
                             f"{base.__name__}.")
    lazy: type = type(f"Lazy{base.__name__}", (base,), namespace)
    lazy.__module__ = __name__
    return lazy


LazyClaim: Any = _make_lazy(Claim)
LazySubscriber: Any = _make_lazy(Subscriber)
LazyPayer: Any = _make_lazy(Payer)
_NEW = object.__new__
_HOLD_CLAIM = Claim.__dict__["other"].__set__
_HOLD_SUBSCRIBER = Subscriber.__dict__["other"].__set__
_HOLD_PAYER = Payer.__dict__["other"].__set__


def decoded(item: Any) -> Any:
    """A claim (or a RejectedClaim, as it is) with its lazy parts decoded: the claim,
    its subscriber and its payer, as an eager read builds them."""
    if type(item) is LazyClaim:
        LazyClaim.decode(item)
    if type(item) is Claim:
        subscriber: Any = item.subscriber
        payer: Any = item.payer
        if type(subscriber) is LazySubscriber:
            LazySubscriber.decode(subscriber)
        if type(payer) is LazyPayer:
            LazyPayer.decode(payer)
    return item


# -- what units() gives the machine ---------------------------------------------------------

class Unit(list[str]):
    """The elements of an HL or CLM segment, carrying the run of segments it opens.

    `text` is the run (this segment included), each segment followed by the terminator;
    `after` the number of segments after this one; `payer` the offset of the 2010BB
    payer in a subscriber run (-1: none); `end` the loop a claim run ends in; `how`
    the delimiters it was read with."""

    __slots__ = ("text", "after", "payer", "end", "how")
    text: str
    after: int
    payer: int
    end: str
    how: tuple[How, How, How]


class Run(list[str]):
    """Claims read in a row while the read is clean (RejectBook.clean): each an optional
    subscriber level and a claim of the common shapes. Its one element is the id of its
    first segment (HL or CLM), for the dispatch; RejectBook.take_run does what the HL
    and CLM segments it stands for would have done.

    `claims` are the LazyClaims in file order, `after` the number of segments after the
    first, `end` the loop the last claim ends in, `last_hl` / `last_clm` the offsets (in
    segments) of the last HL*22 (-1: none) and CLM, `hl_id` that HL's HL01,
    `subscriber` / `payer` / `patient` the context of the last claim."""

    __slots__ = ("claims", "after", "end", "last_hl", "last_clm", "hl_id", "subscriber",
                 "payer", "patient")
    claims: list[Claim]
    after: int
    end: str
    last_hl: int
    last_clm: int
    hl_id: str | None
    subscriber: Subscriber
    payer: Payer | None
    patient: Any


def units(text: str, element: str, component: str, terminator: str, st: State,
          clean: Callable[[], bool], max_loop_segments: int) -> Iterator[list[str]]:
    """The segments of one chunk's text (chunk_texts: each segment followed by the
    terminator) for the loop machine: a Unit for each subscriber level or claim of a
    common shape, a Run for the claims of a common shape that follow a claim while the
    read is clean (`clean()`), every other segment split into its elements."""
    shapes = shapes_for(element, component, terminator)
    find = text.find
    pos = 0
    size = len(text)
    if shapes is not None:
        claim, subscriber = shapes.claim.match, shapes.subscriber.match
        how = _how(element, terminator, component)
        count = text.count
        longest = 2 * max_loop_segments   # characters: fewer segments than the loop limit
        after_claim = False
        while pos < size:
            # (the shapes hold for the component separator the machine reads with)
            if after_claim and st.comp == component and clean():
                r, end = _run(text, pos, shapes.run.match, how, st, longest)
                if r is not None:
                    r.after = r.last_clm + count(terminator, r.after, end) - 1
                    pos = end
                    yield r
                    continue
            first = text[pos]
            m = claim(text, pos) if first == "C" else \
                subscriber(text, pos) if first == "H" else None
            if m is not None and st.comp == component:
                end = m.end()
                unit = Unit(m.group(1).split(element))
                unit.text = text[pos:end]
                unit.after = count(terminator, pos, end) - 1
                if first == "H":
                    unit.payer = m.start("payer") - pos if m.start("payer") > 0 else -1
                else:
                    unit.end = claim_end(text, pos, end, element, terminator)
                unit.how = how
                pos = end
                after_claim = first == "C"
                yield unit
                continue
            after_claim = False
            end = find(terminator, pos)
            yield text[pos:end].split(element)
            pos = end + 1
    while pos < size:
        end = find(terminator, pos)
        yield text[pos:end].split(element)
        pos = end + 1


def _run(text: str, pos: int, match: Any, how: tuple[How, How, How], st: State,
         longest: int) -> tuple[Run | None, int]:
    """Read the claims of a common shape from `pos` on (at most MAX_RUN): (the Run, where
    it ends in `text`), the Run's `after` for now the offset of its last CLM in `text`;
    (None, pos) when the first claim has no such shape."""
    claim_how, subscriber_how, payer_how = how
    element, terminator = claim_how[:2]
    subscriber, payer, patient = st.subscriber, st.payer, st.patient
    billing, submitter, receiver, envelope = st.billing, st.submitter, st.receiver, st.envelope
    new, hold_claim, hold_subscriber, hold_payer = _NEW, _HOLD_CLAIM, _HOLD_SUBSCRIBER, _HOLD_PAYER
    lazy_claim, lazy_subscriber, lazy_payer = LazyClaim, LazySubscriber, LazyPayer
    claims: list[Claim] = []
    add = claims.append
    last_hl = at = -1
    end = pos
    for _ in range(MAX_RUN):
        m = match(text, end)
        if m is None:
            break
        spans = m.regs
        start, stop = spans[0]
        if stop - start >= longest:
            break
        at = spans[RUN_CLAIM][0]
        if at > start:            # a subscriber level first
            last_hl = start
            split = spans[RUN_PAYER][0]
            subscriber = new(lazy_subscriber)
            if split > 0:
                hold_subscriber(subscriber, (text[start:split], subscriber_how))
                payer = new(lazy_payer)
                hold_payer(payer, (text[split:at], payer_how))
            else:
                hold_subscriber(subscriber, (text[start:at], subscriber_how))
                payer = ABSENT
            patient = ABSENT
        claim: Claim = new(lazy_claim)
        hold_claim(claim, (text[at:stop], claim_how, billing, subscriber, patient, payer,
                           submitter, receiver, envelope))
        add(claim)
        end = stop
    if not claims:
        return None, pos
    count = text.count
    r = Run((text[pos:pos + 3].partition(element)[0],))
    r.claims = claims
    r.last_clm = count(terminator, pos, at)
    r.after = at
    r.end = claim_end(text, at, end, element, terminator)
    if last_hl >= 0:
        r.last_hl = count(terminator, pos, last_hl)
        r.hl_id = text[last_hl:text.find(terminator, last_hl)].split(element)[1]
    else:
        r.last_hl, r.hl_id = -1, None
    r.subscriber, r.payer, r.patient = subscriber, payer, patient
    return r, end


# -- the handlers of HL and CLM in a lazy read ---------------------------------------

def lazy_clm(st: State, seg: list[str], loop: str) -> str:
    """CLM: a Unit of a claim's shape becomes a LazyClaim (the claim's segments read on
    first access); a plain CLM is read as in an eager read."""
    if seg.__class__ is not Unit or st.subscriber is None:
        next_loop: str = C.clm(st, seg, loop)   # raises Bad for a claim outside a subscriber
        return next_loop
    assert isinstance(seg, Unit)
    claim: Claim = _NEW(LazyClaim)
    _HOLD_CLAIM(claim, (seg.text, seg.how[0], st.billing, st.subscriber, st.patient, st.payer,
                        st.submitter, st.receiver, st.envelope))
    st.claim = claim
    st.line = ABSENT
    st.cur = claim   # (a boundary segment comes next: nothing is read into it)
    return seg.end


def lazy_hl(st: State, seg: list[str], loop: str) -> str:
    """HL: a Unit of a subscriber level's shape becomes a LazySubscriber (and LazyPayer);
    a plain HL is read as in an eager read."""
    if seg.__class__ is not Unit:
        next_loop: str = H.hl(st, seg, loop)
        return next_loop
    assert isinstance(seg, Unit)
    text, at = seg.text, seg.payer
    subscriber: Subscriber = _NEW(LazySubscriber)
    _HOLD_SUBSCRIBER(subscriber, (text[:at] if at > 0 else text, seg.how[1]))
    st.subscriber = subscriber
    st.patient = ABSENT
    if at > 0:
        payer: Payer = _NEW(LazyPayer)
        _HOLD_PAYER(payer, (text[at:], seg.how[2]))
        st.payer = st.cur = payer
        return "2010BB"
    st.payer = ABSENT
    st.cur = subscriber
    return "2010BA"


def _lazy_tables() -> dict[str, Table]:
    """TABLES with the lazy handlers of HL and CLM where the eager ones are."""
    swap: dict[Callable[..., Any], Callable[..., Any]] = {C.clm: lazy_clm, H.hl: lazy_hl}
    out: dict[str, Table] = {}
    for state, table in TABLES.items():
        out[state] = {sid: (swap.get(entry[0], entry[0]), entry[1])
                      if entry.__class__ is tuple else entry for sid, entry in table.items()}
    return out


LAZY_TABLES = _lazy_tables()
assert BOUNDARY["CLM"] is C.clm and BOUNDARY["HL"] is H.hl
assert not END_LOOPS & set(MISSING)   # a Run starts after a claim: nothing is owed there
