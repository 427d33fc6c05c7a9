# Loop placement: where a segment goes in the map, as a plan made once and reused.
#
# Strategy: pyx12's walker (map_walker.walk_tree.walk_errors) searches the map from
# the node of the previous segment: the siblings at or after its position, then the
# parent loop's, up to the root, entering a loop whose first segment matches. Along
# the way it notes required segments and loops it passed that have not been seen
# (their repeat counter is 0), and it counts repeats. The search itself depends on
# nothing but the start node and which map nodes the segment matches (its id and,
# for segments told apart by a qualifier, that qualifier's value); only the error
# decisions read the counters, and they read them before the walk writes any.
#
# So `simulate` runs pyx12's search once per (start node, segment id, qualifier) over
# the compiled map and records a Plan: the target node, the loop entered (if any),
# the counters to read and the errors they decide, in pyx12's order. The engine
# keeps plans on the start node; the common case (next segment of the same loop, no
# error possible) is one dict lookup and one counter increment.
#
# Counters mirror pyx12's NodeCounter, which keys counts by path and, on entering a
# loop, deletes the counts of everything below it: a Frame holds the counts of one
# loop instance's children and the frames of its child loops; entering a loop
# replaces its frame with an empty one, which drops every count below it at once.
from __future__ import annotations

from typing import Any

from .model import Loop, Root, Seg

__all__ = ["Frame", "Plan", "simulate", "MISS", "LOOPMAX", "UNUSED", "NOTFOUND"]

MISS, LOOPMAX, UNUSED, NOTFOUND = range(4)
_UNBOUNDED = 2147483647


class Frame:
    __slots__ = ("counts", "sub")

    def __init__(self):
        self.counts: dict[int, int] = {}
        self.sub: dict[int, Frame] = {}


class Plan:
    """What one segment does to the walk, decided once per (start node, match key).

    target: the segment node, None when the segment is not found (the walk stays).
    keep: how many frames of the start node's chain stay in place.
    reset: the loop entered (a fresh frame), None when no loop is entered.
    reads: (depth in the start chain, sub-frame path, pid) of each counter a
      "mandatory ... missing" decision reads (count < 1 means missing).
    seg_check: the matched segment when its repeat count can exceed its max use (the
      first error pyx12 would report, "5"), else None.
    events: the other errors in pyx12's order: (MISS, read index, seg id, loop,
      message), (LOOPMAX, loop), (UNUSED, message), (NOTFOUND, message).
    chain_reads: whether every read is the counter of a loop the start node is in.
      Those loops were counted when the walk entered them, unless it reached a loop
      without entering its parent (the engine knows: Engine.counted_chain); then
      such "missing" decisions are known to be false without reading anything.
    simple: same loop, nothing entered, no event but missing-loop decisions on the
      start node's own chain: only the target's counter moves (and is checked
      against seg_check's max use).
    """

    __slots__ = ("target", "keep", "reset", "reads", "seg_check", "events", "simple",
                 "chain_reads", "tail", "checks")
    target: Seg | None
    keep: int
    reset: Loop | None
    reads: tuple[tuple[int, tuple[int, ...], int], ...]
    seg_check: Seg | None
    events: tuple[tuple[Any, ...], ...]
    simple: bool
    chain_reads: bool
    tail: Any
    checks: Any


class _Missing:
    __slots__ = ("seg_node", "read", "message")

    def __init__(self, seg_node, read, message):
        self.seg_node, self.read, self.message = seg_node, read, message


class _Sim:
    """One run of pyx12's search (map_walker.walk_tree), recording instead of counting."""

    def __init__(self, orig: Seg, matches):
        self.orig = orig
        self.matches = matches
        self.chain = orig.chain
        self.missing: list[_Missing] = []
        self.events: list[tuple] = []
        self.reads: list[tuple] = []
        self.reset: Loop | None = None
        self.seg_check: Seg | None = None

    # -- counters read -------------------------------------------------------
    def _read(self, node) -> int | None:
        """Register a read of node's counter (None: provably >= 1, nothing to read)."""
        if node is self.orig:
            return None     # the start node was counted when the walk reached it
        parent = node.parent
        line = parent.chain + (parent,)
        depth = 0
        while depth < len(line) and depth < len(self.chain) and line[depth] is self.chain[depth]:
            depth += 1
        if depth == 0:  # pragma: no cover - every node descends from the root
            raise AssertionError("node outside the map")
        sub = tuple(n.pid for n in line[depth:])
        self.reads.append((depth - 1, sub, node.pid))
        return len(self.reads) - 1

    def _add_missing(self, seg_node, counted, message):
        read = self._read(counted)
        if read is not None:
            self.missing.append(_Missing(seg_node, read, message))

    # -- the search ----------------------------------------------------------
    def run(self) -> Seg | None:
        pos = self.orig.pos
        node = self.orig.parent
        while node is not None:
            found = self._scan(node, pos)
            if found is not None:
                return found
            if isinstance(node, Root):
                self.events.append((NOTFOUND, f"not found after {self.orig.id} (loop "
                                              f"{self.orig.loop_name or 'header'}): the map "
                                              "has no place for it there"))
                return None
            pos = node.pos
            node = node.parent
        return None   # pragma: no cover - every chain ends at the map (Root)

    def _scan(self, node: Loop, pos: int) -> Seg | None:
        for child in node.scan_from(pos):
            if isinstance(child, Loop):
                if self._loop_match(child):
                    return self._goto(child)
            else:
                found = self._try_segment(node, child)
                if found is not None:
                    return found
        return None

    def _try_segment(self, node: Loop, child: Seg) -> Seg | None:
        if self.matches(child):
            if not isinstance(node, Root) and self._loop_match(node):
                return self._goto(node)
            if child.usage == "N":
                self.events.append((UNUSED, f'Segment "{child.name}" ({child.id}) is '
                                            "marked as not used"))
            elif child.max < _UNBOUNDED:
                self.seg_check = child
            self.missing = [m for m in self.missing if not m.seg_node.same_as(child)]
            self._flush(child.pos)
            return child
        if child.usage == "R":
            self._add_missing(child, child,
                              f'Mandatory segment "{child.name}" ({child.id}) missing')
        return None

    def _loop_match(self, loop: Loop) -> bool:
        if not loop.children:
            return False
        first = loop.first
        if isinstance(first, Loop):
            return any(isinstance(c, Loop) and self._loop_match(c) for c in loop.children)
        if first is not None and self.matches(first):
            return True
        if loop.usage == "R":
            self._add_missing(first, loop,
                              f'Mandatory loop "{loop.name}" ({loop.id}) missing')
        return False

    def _goto(self, loop: Loop) -> Seg | None:
        first = loop.first
        if isinstance(first, Seg) and self.matches(first):
            if loop.usage == "N":
                self.events.append((UNUSED, f'Loop "{loop.name}" ({loop.id}) is marked as '
                                            "not used"))
            else:
                self.reset = loop
                if loop.max < _UNBOUNDED:
                    self.events.append((LOOPMAX, loop))
            self._flush(None)
            return first
        for child in loop.children:
            if isinstance(child, Loop):
                found = self._goto(child)
                if found is not None:
                    return found
        return None

    def _flush(self, cur_pos):
        keep = []
        for m in self.missing:
            if m.seg_node.pos != cur_pos:
                self.events.append((MISS, m.read, m.seg_node.id, m.seg_node.loop_name,
                                    m.message))
            else:
                keep.append(m)
        self.missing = keep


def simulate(orig: Seg, matches) -> Plan:
    """The plan of the walk from `orig` for a segment that `matches` these map nodes."""
    sim = _Sim(orig, matches)
    target = sim.run()
    plan = Plan()
    plan.target = target
    plan.reset = sim.reset
    plan.seg_check = sim.seg_check
    plan.reads = tuple(sim.reads)
    plan.events = tuple(sim.events)
    if target is None:
        plan.keep = len(orig.chain)
        plan.simple = plan.chain_reads = False
        plan.tail = plan.checks = ()
        return plan
    old, new = orig.chain, target.chain
    keep = 0
    while keep < len(old) and keep < len(new) and old[keep] is new[keep]:
        keep += 1
    if sim.reset is not None and sim.reset in new:
        keep = min(keep, new.index(sim.reset))
    plan.keep = keep
    # The frames below the kept ones (a fresh one for the loop entered), and the loops
    # among them whose own count must be checked to know the chain is all counted.
    plan.tail = tuple((new[d], new[d] is sim.reset) for d in range(keep, len(new)))
    plan.checks = tuple((d, new[d]) for d in range(keep, len(new))
                        if new[d] is not sim.reset and not new[d].wrapper)
    plan.chain_reads = all(sub == () and depth + 1 < len(old) and old[depth + 1].pid == pid
                           for depth, sub, pid in plan.reads)
    plan.simple = (sim.reset is None and keep == len(old) == len(new) and plan.chain_reads
                   and all(ev[0] == MISS for ev in plan.events))
    return plan
