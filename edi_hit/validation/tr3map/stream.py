# The TR3 engine: one streaming pass, one segment at a time, pyx12's verdicts.
#
# Strategy: feed(seg, index, delimiters) takes the segments of edi-hit's
# SegmentReader in file order and keeps only the state pyx12's validator keeps
# (x12n_document): where the walk is and its repeat counters (placement.py), the
# reader's running checks (reading.py), the error-tree cursor (errtree.py) and the
# open ISA/GS/ST (envelopes.py). Per segment: the reader checks; ISA and GS reset
# the walk to their loop (GS also picks the map from GS01/GS08 through pyx12's
# maps.xml index); every other segment is placed by its walk plan; a placed
# envelope segment moves the cursor to its envelope node; any other placed segment
# gets its element checks, first the generated fast check (fastcheck.py) and, only
# when it fails, the exact one (elements.py). Memory is the map, the plans, the
# current loop instance and a run of segments, whatever the file size.
#
# Where pyx12 gives up the whole file (no map for a group's GS08, a crash inside
# it), this engine goes on: a group without a map is skipped with a warning, and
# the rest of the file is still checked.
from __future__ import annotations

from functools import lru_cache

from ...errors import EdiHitError
from ...x12 import SegmentReader
from .cache import load_tables
from .elements import segment_errors
from .envelopes import Envelopes
from .errtree import ErrTree
from .fastcheck import fast_check
from .model import build_maps
from .placement import Placement
from .reading import ReaderChecks
from .source import CONTROL_MAP, MapSourceError

__all__ = ["Tr3Engine", "start_engine", "run_tr3_engine", "compiled_maps"]

_TRAILERS = {"SE": "st", "GE": "gs", "IEA": "isa"}
BATCH = 1024       # segments checked together (see Tr3Engine.feed)


@lru_cache(maxsize=1)
def compiled_maps():
    """(tables, {map file: Root}) for the installed pyx12, built once per process."""
    tables = load_tables()
    roots, _ = build_maps(tables)
    return tables, roots


class Tr3Engine:
    def __init__(self, add):
        self._add = add
        tables, self.roots = compiled_maps()
        self.index = tables["index"]
        self.control = self.roots[CONTROL_MAP]
        self.map = self.control
        self.map_file: str | None = CONTROL_MAP
        self.skipping = False       # a group without a map: until the next GS or ISA
        # Segment ids of the current map that go the common way (none while skipping).
        self.disabled = None        # the first ISA is not 5010: nothing is checked
        self.reader = ReaderChecks()
        self.buf: list = []         # issues not handed over yet: (tree key, args, kw)
        self.tree = ErrTree(self.buf)
        self.envelopes = Envelopes(self.tree)
        self.placement = Placement(self.control, self.tree)
        self.place = self.placement.place
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

    def finish(self) -> None:
        """End of input: what is still attached, and the envelopes never closed."""
        self._run()
        if self.disabled:
            return
        self._drain()
        self.envelopes.finish()
        self.tree.flush()
        self._release(None)

    def _run(self) -> None:
        """Check the pending segments, in order. The common case (a well-formed segment
        with an id of the map, in a group with a map: `plain`) is kept to a few lookups
        here; the rest goes the general way, in pyx12's order."""
        index = self.first_index
        plain, sep = self.plain, self.sep
        place, check, reader = self.place, self._check, self.reader
        for seg in self.pending:
            sid = seg[0]
            if sid in plain and len(seg) > 1 and seg[-1]:
                first = seg[1]
                if not first or first[0] == sep:
                    reader.read(seg, sid, sep)
                node = place(seg, sid, index)
                if node is not None:
                    check(node, seg, sid, index)
            else:
                self._general(seg, sid, index)
                plain, sep = self.plain, self.sep     # a new ISA or GS may change them
            if self.buf:
                self._release(index - 1)
            index += 1
        self.pending = []
        self.isa_delimiters.clear()

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

    def _general(self, seg, sid, index) -> None:
        if self.disabled:
            return
        if sid == "ISA" and not self._interchange(seg, index, self.isa_delimiters.get(index)):
            return
        self.reader.read(seg, sid, self.sep)
        if sid == "ISA":
            self.placement.at_isa()
            self.icvn = seg[12] if len(seg) > 12 else None
            self.skipping = False
            self.plain = self.map.plain
            self.envelopes.open("isa", index)
            self._drain()
        elif sid == "GS":
            self._group(seg, index)
        elif self.skipping:
            self.reader.pop()
            if sid == "IEA":
                self.envelopes.close("isa", index)
        else:
            node = self.place(seg, sid, index)
            if node is None:
                return
            if sid == "ST":
                self.tree.envelope()
                self.tree.has_st = True
                self.envelopes.open("st", index)
                self._drain()
            elif sid in _TRAILERS:
                self._drain()
                self.envelopes.close(_TRAILERS[sid], index)
                self.tree.envelope()
            else:
                self._check(node, seg, sid, index)

    # -- interchanges and groups ------------------------------------------------
    def _interchange(self, seg, index, delimiters) -> bool:
        """An ISA: its delimiters; the first one also says whether the file is 5010."""
        if (self.sep, self.rep) != (delimiters.component, delimiters.repetition):
            self.sep, self.rep = delimiters.component, delimiters.repetition
            self.placement.sep = self.sep
            self.fast = {}
        if self.first_isa:
            self.first_isa = False
            version = seg[12] if len(seg) > 12 else ""
            if version != "00501":
                self.disabled = version
                self.plain = frozenset()
                self._add("error", "tr3-incomplete",
                          f"TR3 validation incomplete: the interchange version (ISA12) is "
                          f"{version!r}; the implementation guides edi-hit checks are "
                          "005010 (ISA12 00501)", index, "ISA", "ISA12", level=2)
                return False
        return True

    def _group(self, seg, index) -> None:
        """A GS: the map of its GS01/GS08 (pyx12's maps.xml index), or skip the group."""
        fic = seg[1] if len(seg) > 1 else None
        vriic = seg[8] if len(seg) > 8 else None
        file = next((row[4] for row in self.index if row[0] == self.icvn and row[1] == vriic
                     and row[2] == fic), None)
        if file != self.map_file:
            if file is None or file not in self.roots:
                self.placement.at_gs(None)
                self._skip_group(index, vriic, fic, file)
                return
            self.map_file = file
            self.map = self.roots[file]
            self.icvn_map = self.map.icvn or "00401"
            self.fast = {}
            self.reader.check_837_lx = self.map.map_id == "837"
        self.placement.at_gs(self.map)
        self.skipping = False
        self.plain = self.map.plain
        self.envelopes.open("gs", index)
        self._drain()

    def _skip_group(self, index, vriic, fic, file) -> None:
        self.skipping = True
        self.plain = frozenset()
        self.map_file = None
        self.reader.pop()
        self.tree.envelope()
        have = "no implementation guide map" if file is None else \
            f"no compiled map ({file})"
        self._add("error", "tr3-incomplete",
                  f"TR3 validation incomplete for this functional group: {have} for {vriic} "
                  f"(GS01 {fic}); the maps compiled are 005010X222A1 (837P), "
                  "005010X221A1 (835) and 005010X231A1 (999)", index, "GS", "GS08", level=2)

    # -- errors out ----------------------------------------------------------------
    def _drain(self) -> None:
        """pyx12's handle_errors: reader errors to the node of their kind."""
        for kind, code, message in self.reader.pop():
            if kind == "seg":
                self.tree.seg_error(code, message)
            else:
                self.envelopes.error(kind, code, message)

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


def start_engine(add) -> Tr3Engine | None:
    """A new engine, or None (and a warning through `add`) when the maps cannot be read."""
    try:
        return Tr3Engine(add)
    except MapSourceError as exc:
        add("error", "tr3-incomplete", f"TR3 validation incomplete: {exc}", None, None, level=2)
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
