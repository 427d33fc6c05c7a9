# The TR3 engine: one streaming pass, one segment at a time, pyx12's verdicts.
#
# Strategy: feed(seg, index, delimiters) takes the segments of edi-hit's
# SegmentReader in file order and keeps only the state pyx12's validator keeps
# (x12n_document): the map node of the last placed segment and the repeat counters
# (walk.py), the reader's running checks (reading.py), the error-tree cursor
# (errtree.py) and the open ISA/GS/ST. Per segment: the reader checks; ISA and GS
# reset the walk to their loop (GS also picks the map from GS01/GS08 through
# pyx12's maps.xml index); every other segment follows its walk plan; a placed
# envelope segment moves the cursor to its envelope node; any other placed segment
# gets its element checks, first the generated fast check (fastcheck.py) and, only
# when it fails, the exact one (elements.py). Memory is the map, the plans and the
# current loop instance, whatever the file size.
#
# Where pyx12 gives up the whole file (no map for a group's GS08, a crash inside
# it), this engine goes on: a group without a map is skipped with a warning, and
# the rest of the file is still checked.
from __future__ import annotations

from functools import lru_cache

from ...x12 import SegmentReader
from ...errors import EdiHitError
from ..tr3 import _issues_from_tree
from .cache import load_tables
from .elements import segment_errors
from .errtree import ErrTree
from .fastcheck import fast_check
from .model import build_maps
from .reading import ReaderChecks
from .source import CONTROL_MAP, MapSourceError
from .walk import LOOPMAX, MISS, NOTFOUND, UNUSED, Frame, simulate

__all__ = ["Tr3Engine", "start_engine", "run_tr3_engine", "compiled_maps"]

_ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
BATCH = 1024       # segments checked together (see Tr3Engine.feed)


@lru_cache(maxsize=1)
def compiled_maps():
    """(tables, {map file: Root}) for the installed pyx12, built once per process."""
    tables = load_tables()
    roots, _ = build_maps(tables)
    return tables, roots


class _Envelope:
    """An ISA, GS or ST node of pyx12's error tree: its own errors, its line, and its
    place in the tree (key): (interchange, group, transaction) numbers, 0 above."""

    __slots__ = ("kind", "open", "close", "errors", "done", "key")

    def __init__(self, kind, index, key):
        self.kind, self.open, self.close, self.key = kind, index, None, key
        self.errors: list[dict] = []
        self.done = False


class Tr3Engine:
    def __init__(self, add):
        self._add = add
        tables, self.roots = compiled_maps()
        self.index = tables["index"]
        self.control = self.roots[CONTROL_MAP]
        self.map = self.control
        self.map_file = CONTROL_MAP
        self.skipping = False
        self.disabled = None
        self.root_frame = Frame()
        self.node = self.control.isa
        self.frames = self._frames_for(self.node)
        self.counted_chain = True   # every non-wrapper loop of the chain has count >= 1
        self.reader = ReaderChecks()
        self.buf: list = []
        self.tree = ErrTree(self.buf)
        self.env = {"isa": None, "gs": None, "st": None}
        self.nodes = 0              # ISA/GS/ST nodes opened, numbering them in tree order
        self.icvn = None
        self.sep = ":"
        self.rep = None
        self.fast: dict = {}        # segment node -> its generated check (fastcheck.py)
        self.icvn_map = self.map.icvn or "00401"
        self.plain = self.map.plain
        self.first_isa = True
        self.pending: list = []     # segments taken, not yet checked (feed)
        self.first_index = 0
        self.isa_delimiters: dict = {}

    # -- feeding -------------------------------------------------------------
    def feed(self, seg: list[str], index: int, delimiters) -> None:
        """Take one segment. Segments are checked in runs of BATCH: a caller that does
        much else per segment (validate()'s other levels) would otherwise push the
        engine's tables out of the processor's caches between two segments; checked
        together they stay in (measured: about a third less time for level 2)."""
        pending = self.pending
        if not pending:
            self.first_index = index
        elif index != self.first_index + len(pending):   # not the next one: catch up
            self._run()
            self.first_index = index
        pending.append(seg)
        if seg[0] == "ISA":
            self.isa_delimiters[index] = delimiters
        if len(pending) >= BATCH:
            self._run()

    def _run(self) -> None:
        """Check the pending segments, in order."""
        index = self.first_index
        one = self._one
        for seg in self.pending:
            one(seg, index)
            index += 1
        self.pending = []
        self.isa_delimiters.clear()

    def _one(self, seg: list[str], index: int) -> None:
        """One segment. The common case (a well-formed, valid segment of the current
        loop or a loop entered) is kept to a few lookups; everything else goes the
        general way, in pyx12's order."""
        sid = seg[0]
        if sid in self.plain and len(seg) > 1 and seg[-1] and not self.skipping:
            first = seg[1]
            if not first or first[0] == self.sep:
                self.reader.read(seg, sid, self.sep)
            node = self._walk(seg, sid, index)
            if node is not None:
                self._check(node, seg, sid, index)
        else:
            self._feed(seg, sid, index, self.isa_delimiters.get(index))
        if self.buf:
            self._release(index - 1)

    def _check(self, node, seg, sid, index) -> None:
        """A placed segment: the cursor moves to it, then its reader and element errors."""
        tree = self.tree
        if tree.node is not None:
            tree.flush()
        tree.sid, tree.index, tree.loop = sid, index, node.loop_name
        if self.reader.errors:
            self._drain()
        fast = self.fast.get(node)
        if fast is None:
            fast = self.fast[node] = fast_check(node, self.sep, self.rep, self.icvn_map)
        if not fast(seg):
            tree.element_errors(segment_errors(node, seg, self.sep, self.rep, self.icvn_map))

    def _feed(self, seg, sid, index, delimiters) -> None:
        if self.disabled:
            return
        if sid == "ISA" and not self._interchange(seg, index, delimiters):
            return
        self.reader.read(seg, sid, self.sep)
        if sid == "ISA":
            self._isa(seg, index)
        elif sid == "GS":
            self._gs(seg, index)
        elif self.skipping:
            self.reader.pop()
            if sid == "IEA":
                self._close("isa", index)
        else:
            node = self._walk(seg, sid, index)
            if node is not None:
                if sid in _ENVELOPE:
                    self._envelope(sid, index)
                else:
                    self._check(node, seg, sid, index)

    def _interchange(self, seg, index, delimiters) -> bool:
        """An ISA: its delimiters; the first one also says whether the file is 5010."""
        if (self.sep, self.rep) != (delimiters.component, delimiters.repetition):
            self.sep, self.rep = delimiters.component, delimiters.repetition
            self.fast = {}
        if self.first_isa:
            self.first_isa = False
            version = seg[12] if len(seg) > 12 else ""
            if version != "00501":
                self.disabled = version
                self._add("warning", "tr3-skipped",
                          f"TR3 level skipped: the interchange version (ISA12) is "
                          f"{version!r}; the implementation guides edi-hit checks are "
                          "005010 (ISA12 00501)", index, "ISA", "ISA12", level=2)
                return False
        return True

    def finish(self) -> None:
        """End of input: what is still attached, and the envelopes never closed."""
        self._run()
        if self.disabled:
            return
        self._drain()
        for kind in ("isa", "gs", "st"):
            self._emit(kind)
        self.tree.flush()
        self._release(None)

    # -- envelopes -----------------------------------------------------------
    def _isa(self, seg, index) -> None:
        isa_loop = self.control.isa.parent
        frame = Frame()
        self.root_frame.sub[isa_loop.pid] = frame
        counts = self.root_frame.counts
        counts[isa_loop.pid] = counts.get(isa_loop.pid, 0) + 1
        frame.counts[self.control.isa.pid] = 1
        self.node = self.control.isa
        self.frames = [self.root_frame, frame]
        self.counted_chain = True
        self.icvn = seg[12] if len(seg) > 12 else None
        self.skipping = False
        self._open("isa", index)
        self._drain()

    def _gs(self, seg, index) -> None:
        gs_loop = self.control.gs.parent
        isa_frame = self.root_frame.sub.setdefault(self.control.isa.parent.pid, Frame())
        frame = Frame()
        isa_frame.sub[gs_loop.pid] = frame
        isa_frame.counts[gs_loop.pid] = isa_frame.counts.get(gs_loop.pid, 0) + 1
        frame.counts[self.control.gs.pid] = 1
        fic = seg[1] if len(seg) > 1 else None
        vriic = seg[8] if len(seg) > 8 else None
        file = next((row[4] for row in self.index if row[0] == self.icvn and row[1] == vriic
                     and row[2] == fic), None)
        if file != self.map_file:
            if file is None or file not in self.roots:
                self._skip_group(index, vriic, fic, file)
                return
            self.map_file = file
            self.map = self.roots[file]
            self.icvn_map = self.map.icvn or "00401"
            self.plain = self.map.plain
            self.fast = {}
            self.reader.check_837_lx = self.map.map_id == "837"
        self.skipping = False
        self.node = self.map.gs
        self.frames = [self.root_frame, isa_frame, frame]
        self.counted_chain = True
        self._open("gs", index)
        self._drain()

    def _skip_group(self, index, vriic, fic, file) -> None:
        self.skipping = True
        self.map_file = None
        self.reader.pop()
        self.tree.envelope()
        have = "no implementation guide map" if file is None else \
            f"no compiled map ({file})"
        self._add("warning", "tr3-skipped",
                  f"TR3 level skipped for this functional group: {have} for {vriic} "
                  f"(GS01 {fic}); the maps compiled are 005010X222A1 (837P), "
                  "005010X221A1 (835) and 005010X231A1 (999)", index, "GS", "GS08", level=2)

    def _envelope(self, sid, index) -> None:
        if sid == "ST":
            self.tree.envelope()
            self.tree.has_st = True
            self._open("st", index)
            self._drain()
        else:
            self._drain()
            self._close({"SE": "st", "GE": "gs", "IEA": "isa"}[sid], index)
            self.tree.envelope()

    def _open(self, kind, index) -> None:
        self._emit(kind)
        if kind != "st":
            self.tree.envelope()
        self.nodes += 1
        # Where pyx12 hangs the node: a group under the current interchange, a
        # transaction set under the current group (err_handler.add_gs_loop/add_st_loop).
        if kind == "isa":
            key = (self.nodes, 0, 0)
        else:
            parent = self.env["isa" if kind == "gs" else "gs"]
            base = parent.key if parent is not None else (0, 0, 0)
            key = (base[0], self.nodes, 0) if kind == "gs" else (base[0], base[1], self.nodes)
        self.env[kind] = _Envelope(kind, index, key)
        if kind == "st":
            self.tree.st_key = key

    def _close(self, kind, index) -> None:
        env = self.env[kind]
        if env is not None and not env.done:
            env.close = index
            self._emit(kind)

    def _emit(self, kind) -> None:
        """Report an envelope node's own errors once, at its closing segment (or its
        opening one when it never closed)."""
        env = self.env[kind]
        if env is None or env.done:
            return
        env.done = True
        if not env.errors:
            return
        line = env.close or env.open
        node = {"cur_line": line, "errors": env.errors}
        empty = {"cur_line": line, "errors": [], "groups": [], "transactions": [], "segments": []}
        if kind == "isa":
            tree = {"interchanges": [{**empty, **node}]}
        elif kind == "gs":
            tree = {"interchanges": [{**empty, "groups": [{**empty, **node}]}]}
        else:
            tree = {"interchanges": [{**empty, "groups": [{**empty, "transactions": [
                {**empty, **node}]}]}]}
        key = env.key + (0,)     # a node's own errors come before its children's
        _issues_from_tree(tree, lambda *a, **k: self.buf.append((key, a, k)))

    def _drain(self) -> None:
        """pyx12's handle_errors: reader errors to the node of their kind."""
        for kind, code, message in self.reader.pop():
            if kind == "seg":
                self.tree.seg_error(code, message)
            else:
                env = self.env[kind]
                if env is not None and not env.done:
                    env.errors.append({"err_cde": code, "err_str": message})

    def _release(self, before: int | None) -> None:
        """Hand over the issues of segments before `before` (all when None), in pyx12's
        tree order among those of one segment: an error at a closing segment (GE, say)
        can belong to an earlier transaction set's node than the envelope errors
        reported there, and every issue of a segment is known one segment later."""
        if before is None:
            ready, self.buf = self.buf, []
        else:
            ready = [e for e in self.buf if (e[1][3] or 0) < before]
            if not ready:
                return
            self.buf = [e for e in self.buf if (e[1][3] or 0) >= before]
        self.tree.out = self.buf
        ready.sort(key=lambda e: ((e[1][3] or 0), e[0]))
        add = self._add
        for _, args, kw in ready:
            add(*args, **kw)

    # -- the walk -----------------------------------------------------------
    def _frames_for(self, node) -> list[Frame]:
        frames = [self.root_frame]
        for loop in node.chain[1:]:
            frames.append(frames[-1].sub.setdefault(loop.pid, Frame()))
        return frames

    def _walk(self, seg, sid, index):
        node = self.node
        q = self.map.qual1.get(sid)
        if q is None:
            plan = node.plans.get(sid)
            if plan is None:
                plan = self._plan(node, seg, sid, None)
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
                plan = self._plan(node, seg, sid, v)
        target = plan.target
        if plan.simple and self.counted_chain:
            counts = self.frames[-1].counts
            c = counts.get(target.pid, 0) + 1
            counts[target.pid] = c
            if plan.seg_check is not None and c > target.max:
                self._seg_max(target, sid, index, c)
            self.node = target
            return target
        return self._walk_full(plan, seg, sid, index)

    def _plan(self, node, seg, sid, value):
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

    def _walk_full(self, plan, seg, sid, index):
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
            if counted:
                for depth, loop in plan.checks:
                    if new[depth - 1].counts.get(loop.pid, 0) < 1:
                        counted = False
                        break
            else:
                counted = all(loop.wrapper or new[d - 1].counts.get(loop.pid, 0) > 0
                              for d, loop in enumerate(target.chain) if d)
            self.counted_chain = counted
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


def start_engine(add) -> Tr3Engine | None:
    """A new engine, or None (and a warning through `add`) when the maps cannot be read."""
    try:
        return Tr3Engine(add)
    except MapSourceError as exc:
        add("warning", "tr3-skipped", f"TR3 level skipped: {exc}", None, None, level=2)
        return None


def run_tr3_engine(source, name, add, notes: list[str]) -> bool:
    """Validate `source` against its TR3 with edi-hit's engine, in a pass of its own.
    Returns True when it ran. (validate() feeds the engine from its own pass.)"""
    engine = start_engine(add)
    if engine is None:
        return False
    reader = SegmentReader(source, name)
    index = 0
    try:
        for batch in reader.batches():
            d = reader.delimiters
            for seg in batch:
                index += 1
                engine.feed(seg, index, d)
    except EdiHitError:
        pass    # level 1 reports what stopped the read; TR3 reports what it saw
    engine.finish()
    return True
