# Where a TR3 error lands: pyx12's error-tree cursor, emitted as edi-hit Issues.
#
# Strategy: pyx12 attaches each error to its err_handler's *current* node: the
# segment last added (a missing segment is added under its own id at the position
# where its absence shows, a repeat-count error under the segment or loop that went
# over), or an envelope node (ISA, GS, ST and their trailers), whose segment and
# element errors never reach its JSON tree. Segment and element errors of one node
# are listed segment errors first, then one group per element in the order the
# element errors came. This module keeps that cursor and hands each finished node
# to tr3._segment_issues, the same conversion the pyx12 path uses, so both engines
# produce identical Issues (codes, IK3 loop, IK4 element, reference and copy).
# The cursor costs nothing until an error arrives: a node is only built then. Each
# issue goes out with its node's place in the tree, for the engine to keep pyx12's
# order among the issues of one segment.
from __future__ import annotations

from ..tr3 import _segment_issues

__all__ = ["ErrTree"]


class _Node:
    __slots__ = ("errors", "elements", "cursor", "key")

    def __init__(self, key):
        self.errors: list[dict] = []
        self.elements: list[dict] = []
        self.cursor = None
        self.key = key          # its place in the tree: under the current ST


class ErrTree:
    def __init__(self, out: list):
        self.out = out          # the engine's buffer of (tree key, args, kw) add() calls
        self.st_key = (0, 0, 0)  # the ST node new segment nodes hang under
        self.sid = None         # the current segment node: id, index, loop;
        self.index = None       # None when the cursor is on an envelope node
        self.loop = None
        self.node: _Node | None = None   # its errors, once it has any
        self.has_st = False     # pyx12 drops segment errors before the first ST


    def add_seg(self, sid, index, loop) -> None:
        if self.node is not None:
            self.flush()
        self.sid, self.index, self.loop = sid, index, loop

    def envelope(self) -> None:
        """The cursor moves to an ISA/GS/ST node: what attaches there is not reported."""
        if self.node is not None:
            self.flush()
        self.index = None

    def _current(self) -> _Node | None:
        if self.index is None or not self.has_st:
            return None
        if self.node is None:
            self.node = _Node(self.st_key + (1,))
        return self.node

    def seg_error(self, code: str, message: str, value=None) -> None:
        node = self._current()
        if node is not None:
            node.errors.append({"err_cde": code, "err_str": message, "err_val": value})

    def element_errors(self, errors) -> None:
        """pyx12 apply_segment_errors: segment-level errors as IK304 8, the others
        grouped by element while consecutive."""
        cursor = None
        for e in errors:
            target = e.target
            if target is None:
                self.seg_error("8", e.message, e.value)
                continue
            node = self._current()
            if node is None:
                continue
            key = (id(target), e.repetition)
            if cursor != key:
                cursor = key
                pos, sub = _position(target)
                node.elements.append({"ele_pos": pos, "subele_pos": sub,
                                      "repeat_pos": e.repetition,
                                      "ele_ref_num": target.data_ele, "errors": []})
            node.elements[-1]["errors"].append({"err_cde": e.code, "err_str": e.message,
                                                "err_val": e.value})

    def flush(self) -> None:
        node, self.node = self.node, None
        if node is not None and (node.errors or node.elements):
            out, key = self.out, node.key
            _segment_issues({"seg_id": self.sid, "cur_line": self.index, "ls_id": self.loop,
                             "errors": node.errors, "elements": node.elements},
                            lambda *a, **k: out.append((key, a, k)))


def _position(target) -> tuple[int, int | None]:
    pos = getattr(target, "ele_pos", None)
    if pos is None:             # a composite
        return target.seq, None
    return pos, target.subele_pos
