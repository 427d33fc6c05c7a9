# The compiled tables as a tree of small objects the engine walks.
#
# Strategy: one object per loop, segment, composite and element, with slots and
# every derived fact computed once here, at load: a node's pyx12 path (the key of
# its repeat counter: pyx12 counts by path, so two segments that share a path share
# a counter, and a segment that shares a position with another of its id gets the
# first code of its qualifier in brackets, REF[EI]), the path interned to a small
# int, the TR3 loop the 999 names for it (tr3.loop_of_path), the qualifier a
# segment is recognised by (pyx12's _resolve_unique_key_field), and each element's
# data type and lengths from dataele.xml. Nothing here runs per segment of a file.
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Optional, Union

from ..tr3 import loop_of_path
from .compile import MAXINT
from .source import MapSourceError

__all__ = ["Loop", "Seg", "Ele", "Comp", "Root", "build_maps", "MAXINT"]


# The attributes are set by _Builder (one place, at load), not by constructors: the
# annotations below declare the slots for readers and for mypy.
class Node:
    __slots__ = ("id", "name", "usage", "pos", "parent", "path", "pid", "loop_name", "chain")
    id: str
    name: str
    usage: str
    pos: int
    parent: Optional["Loop"]          # None: the map itself (Root)
    path: str
    pid: int
    loop_name: str | None
    chain: tuple["Loop", ...]         # the loops above it, the root first

    def is_loop(self) -> bool:
        return False

    def same_as(self, other: "Node") -> bool:
        """pyx12's node equality (x12_node.__eq__): same id and same parent id."""
        return self.id == other.id and _parent_id(self) == _parent_id(other)


def _parent_id(node: Node) -> str | None:
    return node.parent.id if node.parent is not None else None


class Loop(Node):
    __slots__ = ("max", "children", "by_pos", "first", "wrapper")
    max: int
    children: tuple["Child", ...]
    by_pos: tuple[tuple[int, tuple["Child", ...]], ...]   # children grouped by position
    first: Optional["Child"]
    wrapper: bool                     # its first child is a loop

    def is_loop(self) -> bool:
        return True

    def scan_from(self, pos: int) -> Iterator["Child"]:
        """Children at positions >= pos, in pyx12's scanning order."""
        for p, nodes in self.by_pos:
            if p >= pos:
                yield from nodes


class Root(Loop):
    """The map itself (pyx12's map_if): the parent of ISA_LOOP."""

    __slots__ = ("map_id", "file", "isa", "gs", "icvn", "quals", "qual1", "seg_ids", "plain",
                 "coded")
    map_id: str
    file: str
    isa: Optional["Seg"]
    gs: Optional["Seg"]
    icvn: str | None
    quals: dict[str, tuple[Key, ...]]
    qual1: dict[str, Key]
    seg_ids: frozenset[str]
    plain: frozenset[str]
    coded: frozenset[str]


class Seg(Node):
    __slots__ = ("max", "syntax", "elements", "key", "nid", "is_first", "plans", "fast")
    max: int
    syntax: tuple[Any, ...]           # the map's syntax rules, as compiled (compile.py)
    elements: tuple[Union["Ele", "Comp"], ...]
    key: Key | None                   # what tells it from segments of its id (_key)
    nid: int
    is_first: bool
    plans: dict[Any, Any]             # walk.py's plans from this node, by match key
    fast: Any                         # fastcheck.py's check, once generated


class Comp:
    __slots__ = ("id", "name", "usage", "seq", "data_ele", "refdes", "repeat", "elements")
    id: str
    name: str
    usage: str
    seq: int
    data_ele: str
    refdes: str
    repeat: int
    elements: tuple["Ele", ...]


class Ele:
    __slots__ = ("id", "name", "usage", "seq", "data_ele", "type", "min", "max", "codes",
                 "codeset", "external", "external_codes", "regex", "in_composite",
                 "composite_usage", "ele_pos", "subele_pos")
    id: str
    name: str
    usage: str
    seq: int
    data_ele: str
    type: str
    min: int
    max: int
    codes: list[str]
    codeset: frozenset[str]
    external: str | None
    external_codes: frozenset[str] | None
    regex: re.Pattern[str] | None
    in_composite: bool
    composite_usage: str | None
    ele_pos: int
    subele_pos: int | None


Child = Union[Loop, Seg]
# (element position, component position or None, codes): how a segment is recognised.
Key = tuple[int, Optional[int], frozenset[str]]


class _Builder:
    def __init__(self, tables: dict, paths: dict):
        self.dataele = tables["dataele"]
        self.codes = {k: frozenset(v) for k, v in tables["codes"].items()}
        self.paths = paths          # path string -> pid, shared by every map
        self.segments: list[Seg] = []

    def pid(self, path: str) -> int:
        return self.paths.setdefault(path, len(self.paths))

    def children(self, parent: Loop, raw: tuple) -> None:
        nodes: list[Child] = [self.loop(r, parent) if r[0] == "L" else self.segment(r, parent)
                              for r in raw]
        groups: dict[int, list[Child]] = {}
        for n in nodes:
            groups.setdefault(n.pos, []).append(n)
        parent.children = tuple(nodes)
        parent.by_pos = tuple((p, tuple(groups[p])) for p in sorted(groups))
        parent.first = nodes[0] if nodes else None
        parent.wrapper = bool(nodes) and nodes[0].is_loop()
        # Segments that share a position get their qualifier's first code in the path.
        for _, group in parent.by_pos:
            if len(group) > 1:
                for n in group:
                    if isinstance(n, Seg):
                        qual = _guess_key_element(n)
                        if qual is not None:
                            n.path = f"{n.path}[{qual.codes[0]}]"

    def finish(self, node: Child, parent: Loop) -> None:
        """Full paths, pids and ancestry, once the whole tree is built."""
        node.path = ("/" if parent.path == "/" else parent.path + "/") + node.path
        node.pid = self.pid(node.path)
        node.loop_name = loop_of_path(node.path)
        node.chain = parent.chain + (parent,)
        if isinstance(node, Loop):
            for c in node.children:
                self.finish(c, node)
        else:
            node.is_first = parent.first is node

    def loop(self, raw: tuple, parent: Loop) -> Loop:
        _, xid, name, usage, pos, repeat, children = raw
        n = Loop()
        n.id, n.name, n.usage, n.pos, n.max, n.parent = xid, name, usage, pos, repeat, parent
        n.path = xid
        self.children(n, children)
        return n

    def segment(self, raw: tuple, parent: Loop) -> Seg:
        _, xid, name, usage, pos, max_use, syntax, elements = raw
        n = Seg()
        n.id, n.name, n.usage, n.pos, n.max, n.parent = xid, name, usage, pos, max_use, parent
        n.path = xid
        n.syntax = syntax
        n.elements = tuple(self.item(e, None) for e in elements)
        n.key = _key(n)
        n.nid = len(self.segments)
        n.plans = {}
        n.fast = None
        self.segments.append(n)
        return n

    def item(self, raw: tuple, comp: Comp | None) -> Ele | Comp:
        if raw[0] == "C":
            _, xid, name, usage, seq, data_ele, refdes, repeat, subs = raw
            c = Comp()
            c.id, c.name, c.usage, c.seq, c.data_ele, c.refdes, c.repeat = \
                xid, name, usage, seq, data_ele, refdes, repeat
            c.elements = tuple(_ele(self.item(s, c)) for s in subs)
            return c
        _, xid, name, usage, seq, data_ele, codes, external, regex = raw
        e = Ele()
        e.id, e.name, e.usage, e.seq, e.data_ele = xid, name, usage, seq, data_ele
        e.type, e.min, e.max = self.dataele[data_ele][:3]
        e.codes = codes
        e.codeset = frozenset(codes)
        e.external = external
        e.external_codes = self.codes.get(external) if external else None
        e.regex = re.compile(regex, re.S) if regex else None
        e.in_composite = comp is not None
        e.composite_usage = comp.usage if comp is not None else None
        e.ele_pos, e.subele_pos = (comp.seq, seq) if comp is not None else (seq, None)
        return e


def _ele(item: Ele | Comp) -> Ele:
    """A component of a composite: always an element (compile.py nests no deeper)."""
    assert isinstance(item, Ele)
    return item


def _key(seg: Seg) -> Key | None:
    """(element position, component position, codes) that pick this segment among those
    of its id (pyx12 segment_if._resolve_unique_key_field with with_qual=False)."""
    ch = seg.elements
    c0 = ch[0] if len(ch) > 0 else None
    c1 = ch[1] if len(ch) > 1 else None
    c2 = ch[2] if len(ch) > 2 else None
    if isinstance(c0, Ele) and c0.type == "ID" and c0.usage == "R" and c0.codes:
        return (1, None, c0.codeset)
    if seg.id == "ENT" and isinstance(c1, Ele) and c1.type == "ID" and c1.codes:
        return (2, None, c1.codeset)
    if seg.id == "CTX" and isinstance(c0, Comp) and c0.elements[0].type == "AN" \
            and c0.elements[0].codes:
        return (1, 1, c0.elements[0].codeset)
    if isinstance(c0, Comp) and c0.elements[0].type == "ID" and c0.elements[0].codes:
        return (1, 1, c0.elements[0].codeset)
    if seg.id == "HL" and isinstance(c2, Ele) and c2.codes:
        return (3, None, c2.codeset)
    return None


def _guess_key_element(seg: Seg) -> Ele | None:
    """pyx12 segment_if.guess_unique_key_id_element: the element whose first code
    tells same-position segments apart in their paths."""
    ch = seg.elements
    c0 = ch[0] if len(ch) > 0 else None
    c1 = ch[1] if len(ch) > 1 else None
    c2 = ch[2] if len(ch) > 2 else None
    if isinstance(c0, Ele) and c0.type == "ID" and c0.codes:
        return c0
    if seg.id == "ENT" and isinstance(c1, Ele) and c1.type == "ID" and c1.codes:
        return c1
    if isinstance(c0, Comp) and c0.elements[0].type == "ID" and c0.elements[0].codes:
        return c0.elements[0]
    if seg.id == "HL" and isinstance(c2, Ele) and c2.codes:
        return c2
    return None


def build_maps(tables: dict) -> tuple[dict[str, Root], dict[str, int]]:
    """{map file: Root} for every compiled map, and the shared path -> pid table."""
    paths: dict[str, int] = {}
    roots: dict[str, Root] = {}
    for name, raw in tables["maps"].items():
        b = _Builder(tables, paths)
        root = Root()
        root.id, root.name, root.usage, root.pos, root.max, root.parent = \
            tables["map_ids"][name], name, "R", 0, MAXINT, None
        root.path, root.pid, root.loop_name, root.chain = "/", b.pid("/"), None, ()
        root.map_id, root.file = tables["map_ids"][name], name
        b.children(root, raw)
        for child in root.children:
            b.finish(child, root)
        root.isa = _find(root, ("ISA_LOOP", "ISA"))
        root.gs = _find(root, ("ISA_LOOP", "GS_LOOP", "GS"))
        isa12 = root.isa.elements[11] if root.isa and len(root.isa.elements) > 11 else None
        root.icvn = isa12.codes[0] if isinstance(isa12, Ele) and isa12.codes else None
        root.quals, root.seg_ids = _qualifiers(b.segments)
        if any(len(q) != 1 for q in root.quals.values()):
            raise MapSourceError(f"{name}: a segment id told apart by two qualifiers; the "
                                 "TR3 engine reads one qualifier position per segment id")
        root.qual1 = {sid: q[0] for sid, q in root.quals.items()}
        # Ids of the map that pyx12's reader has nothing special to say about.
        root.plain = frozenset(sid for sid in root.seg_ids if sid not in _READER_SPECIAL
                               and _SEG_ID.fullmatch(sid))
        root.coded = frozenset(s.id for s in b.segments if s.elements and
                               isinstance(s.elements[0], Ele) and s.elements[0].type == "ID")
        roots[name] = root
    return roots, paths


_READER_SPECIAL = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "HL", "CLM", "LX"})
_SEG_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")


def _qualifiers(segments: list[Seg]) -> tuple[dict[str, tuple[Key, ...]], frozenset[str]]:
    """{segment id: ((element, component, codes of every node of that id), ...)}: the
    values the walk needs to tell same-id segments apart; and the set of ids."""
    quals: dict[str, dict[tuple[int, int | None], set[str]]] = {}
    for s in segments:
        if s.key is not None:
            ele, sub, codes = s.key
            quals.setdefault(s.id, {}).setdefault((ele, sub), set()).update(codes)
    return ({sid: tuple((ele, sub, frozenset(codes)) for (ele, sub), codes in sorted(
        by.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))) for sid, by in quals.items()},
        frozenset(s.id for s in segments))


def _find(root: Root, ids: tuple[str, ...]) -> Seg | None:
    node: Child | None = root
    for want in ids:
        if not isinstance(node, Loop):
            return None
        node = next((c for c in node.children if c.id == want), None)
    return node if isinstance(node, Seg) else None
