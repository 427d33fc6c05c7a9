# The ISA, GS and ST nodes of pyx12's error tree, and the errors that are their own.
#
# Strategy: pyx12 keeps one node per interchange, group and transaction set; the
# reader's envelope errors (tr3._DUP_* drops those level 1 reports) attach to the
# current node of their kind, and the pyx12 path reports them at the node's closing
# segment (IEA, GE, SE), or at its opening one when it never closed. Each node is
# reported once, when it closes or when the next one of its kind (or the end of the
# file) shows it never will, through tr3._issues_from_tree like the pyx12 path.
# Nodes are numbered in the order pyx12 hangs them in its tree (a group under the
# current interchange, a set under the current group); the engine uses that place
# to order the issues of one segment as pyx12 lists them.
from __future__ import annotations

from ..tr3 import _issues_from_tree

__all__ = ["Envelopes"]


class _Node:
    __slots__ = ("kind", "open", "close", "errors", "done", "key")

    def __init__(self, kind, index, key):
        self.kind, self.open, self.close, self.key = kind, index, None, key
        self.errors: list[dict] = []
        self.done = False


class Envelopes:
    def __init__(self, tree):
        self.tree = tree            # the segment cursor; its `out` is the issue buffer
        self.nodes: dict[str, _Node | None] = {"isa": None, "gs": None, "st": None}
        self.count = 0

    def open(self, kind, index) -> None:
        self.emit(kind)
        if kind != "st":
            self.tree.envelope()
        self.count += 1
        if kind == "isa":
            key = (self.count, 0, 0)
        else:
            parent = self.nodes["isa" if kind == "gs" else "gs"]
            base = parent.key if parent is not None else (0, 0, 0)
            key = (base[0], self.count, 0) if kind == "gs" else (base[0], base[1], self.count)
        self.nodes[kind] = _Node(kind, index, key)
        if kind == "st":
            self.tree.st_key = key

    def close(self, kind, index) -> None:
        node = self.nodes[kind]
        if node is not None and not node.done:
            node.close = index
            self.emit(kind)

    def error(self, kind, code, message) -> None:
        node = self.nodes[kind]
        if node is not None and not node.done:
            node.errors.append({"err_cde": code, "err_str": message})

    def emit(self, kind) -> None:
        """Report a node's own errors, once, at its closing (else opening) segment."""
        node = self.nodes[kind]
        if node is None or node.done:
            return
        node.done = True
        if not node.errors:
            return
        line = node.close or node.open
        own = {"cur_line": line, "errors": node.errors}
        empty = {"cur_line": line, "errors": [], "groups": [], "transactions": [], "segments": []}
        if kind == "isa":
            tree = {"interchanges": [{**empty, **own}]}
        elif kind == "gs":
            tree = {"interchanges": [{**empty, "groups": [{**empty, **own}]}]}
        else:
            tree = {"interchanges": [{**empty, "groups": [{**empty, "transactions": [
                {**empty, **own}]}]}]}
        key = node.key + (0,)     # a node's own errors come before its children's
        out = self.tree.out
        _issues_from_tree(tree, lambda *a, **k: out.append((key, a, k)))

    def finish(self) -> None:
        for kind in ("isa", "gs", "st"):
            self.emit(kind)
