# Where each segment goes: the walk state, and the plans (walk.py) carried out.
#
# Strategy: pyx12 places a segment starting from the node of the last one placed;
# its repeat counters live in frames, one per loop instance on the current path
# (walk.py). A Placement holds that node, the frames of its chain and whether every
# loop of the chain has been counted (which lets most plans skip their reads). Per
# segment: pick the plan by segment id and qualifier value (two dict lookups), and
# in the common case only move one counter. Plans that enter or leave loops
# rebuild the tail of the frame list; their errors go to the error tree in the
# order pyx12 reports them. ISA and GS do not walk: they reset the path to their
# loop, as pyx12 forces its counters there.
from __future__ import annotations

from .walk import LOOPMAX, MISS, NOTFOUND, UNUSED, Frame, simulate

__all__ = ["Placement"]


class Placement:
    def __init__(self, control, tree):
        self.tree = tree
        self.map = control
        self.control = control
        self.root_frame = Frame()
        self.node = control.isa
        self.frames = [self.root_frame]
        for loop in self.node.chain[1:]:
            self.frames.append(self.frames[-1].sub.setdefault(loop.pid, Frame()))
        self.counted_chain = True   # every non-wrapper loop of the chain has count >= 1
        self.sep = ":"

    # -- ISA and GS: the path is forced -----------------------------------------
    def at_isa(self) -> None:
        """pyx12 forceWalkCounterToLoopStart('/ISA_LOOP', '/ISA_LOOP/ISA')."""
        isa = self.control.isa
        frame = self.root_frame.sub[isa.parent.pid] = Frame()
        counts = self.root_frame.counts
        counts[isa.parent.pid] = counts.get(isa.parent.pid, 0) + 1
        frame.counts[isa.pid] = 1
        self.node = isa
        self.frames = [self.root_frame, frame]
        self.counted_chain = True

    def at_gs(self, root) -> None:
        """The same for /ISA_LOOP/GS_LOOP; the path goes on in `root`, the group's map."""
        gs = self.control.gs
        isa_frame = self.root_frame.sub.setdefault(self.control.isa.parent.pid, Frame())
        frame = isa_frame.sub[gs.parent.pid] = Frame()
        isa_frame.counts[gs.parent.pid] = isa_frame.counts.get(gs.parent.pid, 0) + 1
        frame.counts[gs.pid] = 1
        if root is not None:
            self.map = root
            self.node = root.gs
            self.frames = [self.root_frame, isa_frame, frame]
            self.counted_chain = True

    # -- any other segment ---------------------------------------------------------
    def place(self, seg, sid, index):
        """The map node of the segment (None: not found; the walk stays where it was)."""
        node = self.node
        q = self.map.qual1.get(sid)
        if q is None:
            plan = node.plans.get(sid)
            if plan is None:
                plan = self._plan(node, sid, None)
        else:
            ele, sub, codes = q
            if len(seg) > ele:
                v = seg[ele]
                if sub is not None:
                    v = v.split(self.sep)[0]
                if v not in codes:
                    v = v.rstrip(self.sep) if sub is None else None
                    if v not in codes:
                        v = None
            else:
                v = None
            by_value = node.plans.get(sid)
            plan = by_value.get(v) if by_value is not None else None
            if plan is None:
                plan = self._plan(node, sid, v)
        target = plan.target
        if plan.simple and self.counted_chain:
            counts = self.frames[-1].counts
            c = counts.get(target.pid, 0) + 1
            counts[target.pid] = c
            if plan.seg_check is not None and c > target.max:
                self._seg_max(target, sid, index, c)
            self.node = target
            return target
        return self._full(plan, seg, sid, index)

    def _plan(self, node, sid, value):
        """Make (and keep on the node) the plan for a segment id and qualifier value."""
        root = self.map
        if sid not in root.seg_ids:
            plan = node.plans.get(None)
            if plan is None:
                plan = node.plans[None] = simulate(node, lambda n: False)
            return plan
        if sid in root.qual1:
            plan = simulate(node, _matcher(sid, value))
            node.plans.setdefault(sid, {})[value] = plan
        else:
            plan = node.plans[sid] = simulate(node, lambda n: n.id == sid)
        return plan

    def _full(self, plan, seg, sid, index):
        frames = self.frames
        counted = self.counted_chain
        missing = None if plan.chain_reads and counted else \
            [_count(frames, r) < 1 for r in plan.reads]
        target = plan.target
        tree = self.tree
        if target is None:
            for ev in plan.events:
                if ev[0] == NOTFOUND:
                    tree.add_seg(sid, index, self.node.loop_name)
                    tree.seg_error("1", f"Segment {self._label(seg, sid)} {ev[1]}")
            return None
        new = frames[:plan.keep]
        parent = new[-1]
        for loop, fresh in plan.tail:
            f = None if fresh else parent.sub.get(loop.pid)
            if f is None:
                f = parent.sub[loop.pid] = Frame()
            new.append(f)
            parent = f
        reset = plan.reset
        loop_count = 0
        if reset is not None:
            counts = new[-2].counts
            loop_count = counts[reset.pid] = counts.get(reset.pid, 0) + 1
        counts = parent.counts
        c = counts[target.pid] = counts.get(target.pid, 0) + 1
        if plan.tail or len(new) != len(frames):
            self.counted_chain = self._counted(plan, new, target, counted)
        self.frames = new
        self.node = target
        if plan.seg_check is not None and c > target.max:
            self._seg_max(target, sid, index, c)
        for ev in plan.events:
            kind = ev[0]
            if kind == MISS:
                if missing is not None and missing[ev[1]]:
                    tree.add_seg(ev[2], index, ev[3])
                    tree.seg_error("3", ev[4])
            elif kind == LOOPMAX:
                loop = ev[1]
                if loop_count > loop.max:
                    tree.add_seg(sid, index, loop.loop_name)
                    tree.seg_error("4", f"Loop {loop.id} exceeded max count: found "
                                        f"{loop_count}, at most {loop.max}")
            elif kind == UNUSED:
                tree.seg_error("2", ev[1])
        return target

    @staticmethod
    def _counted(plan, new, target, counted) -> bool:
        """Whether every non-wrapper loop of the new chain has been counted: the kept
        part was (if it was before), the loop entered is; the others are looked at."""
        if counted:
            return not plan.checks or all(new[depth - 1].counts.get(loop.pid, 0) > 0
                                          for depth, loop in plan.checks)
        return all(loop.wrapper or new[d - 1].counts.get(loop.pid, 0) > 0
                   for d, loop in enumerate(target.chain) if d)

    def _label(self, seg, sid) -> str:
        """How a segment is named in a message: its id, with its qualifier when its first
        element is a code (NM1*85), all of an HL (numbers and codes); never a value
        that could be PHI (a name, an address)."""
        if sid == "HL":
            return "*".join(seg)
        if sid in self.map.coded and len(seg) > 1:
            return f"{sid}*{seg[1]}"
        return sid

    def _seg_max(self, target, sid, index, count) -> None:
        self.tree.add_seg(sid, index, target.loop_name)
        self.tree.seg_error("5", f"Segment {sid} exceeded max count: found {count}, at most "
                                 f"{target.max} in loop {target.loop_name or 'header'}")


def _count(frames, read) -> int:
    depth, sub, pid = read
    f = frames[depth]
    for p in sub:
        f = f.sub.get(p)
        if f is None:
            return 0
    return f.counts.get(pid, 0)


def _matcher(sid, value):
    """Does a segment of this id, with this qualifier value, match a map node?"""
    def matches(node):
        return node.id == sid and (node.key is None or value in node.key[2])
    return matches
