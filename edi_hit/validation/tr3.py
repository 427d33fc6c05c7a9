# Level 2: the implementation guide (TR3), checked by pyx12, its error tree as Issues.
#
# Strategy: pyx12 is the reference validator, but it is particular about its input:
# it reads ASCII only (a UTF-8 BOM raises UnicodeDecodeError), wants the ISA at byte 0
# and exactly 106 characters long, stops silently at an empty segment, and raises
# EngineError("Map not found") for a version it has no map for. So pyx12 does not read
# the file: it reads a text stream that edi-hit's own SegmentReader regenerates from
# the file, one segment at a time (streaming, bounded memory): no BOM, no text before
# the ISA, no line breaks or empty segments, the ISA re-padded to fixed width. Segment
# n of that stream is segment n of the file, so pyx12's line numbers are edi-hit's
# segment indexes. Each change made is reported as a note.
#
# pyx12's result is read from its JSON error tree (fd_json), never from its return
# value or its 999 builder (both unreliable); its "pyx12" log records are captured
# (not printed) and used when it gives up before writing the tree. Envelope errors
# pyx12 shares with level 1 (control numbers, counts) are dropped as duplicates.
# The tree has no loop ids (its ls_id is the LS segment's, which the 837P and 835
# never use), so for the length of the run pyx12's error handler is replaced by a
# subclass that writes, into that empty ls_id, the loop of the map node pyx12 placed
# the segment in (".../2000B/2300/2400/SV1" -> "2400"): the 999's IK303. pyx12's own
# codes that are not X12 codes (HL1, HL2, LX: ids out of sequence) become element
# errors on HL01, HL02 and LX01, as level 3 reports them.
#
# Fail closed: pyx12 stops without a word at a segment longer than its 8 KB read-ahead
# (and at other things it cannot read), which would pass everything after it. So a
# callback counts the segments pyx12 actually walked, and the run is complete only
# when that is every segment edi-hit's reader gives; otherwise, and whenever pyx12
# cannot run on the file at all (no map for the version, delimiters that change, a
# crash), the level reports a "tr3-incomplete" error: a file whose TR3 was not checked
# to its end is not valid.
#
# Threads: the error-handler class and the "pyx12" logger's handlers are process-wide,
# and pyx12 reads the class when a run starts. So a run swaps them, and puts back
# exactly what it found, only while it holds _PYX12 (a lock): two validations in
# threads of one gateway never see each other's handler or log records. pyx12 is pure
# Python, so under the GIL serialising its runs costs no parallelism a thread had.
from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any

from ..errors import EdiHitError
from ..x12 import Delimiters, SegmentReader
from ..x12.delimiters import ISA_WIDTHS

__all__ = ["run_tr3", "IK304_CODES", "IK403_CODES"]

IK304_CODES = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9"})
IK403_CODES = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13",
                         "I10", "I11", "I12", "I13", "I6", "I9"})
# Envelope errors level 1 already reports (EnvelopeTracker): pyx12 codes to drop.
_DUP_ISA = {"001", "021", "023", "025"}
_DUP_GS = {"2", "3", "4", "5"}
_DUP_ST = {"2", "3", "4"}
_NUMERIC_ISA = {9, 10, 13}
# pyx12's private segment codes -> (element position, data element number, IK403).
_PYX12_ELEMENT_CODES = {"HL1": (1, "628", "I12"), "HL2": (2, "734", "I12"),
                        "LX": (1, "554", "I12")}
_WRAPPER_LOOPS = {"ISA_LOOP", "GS_LOOP", "ST_LOOP", "HEADER", "DETAIL", "FOOTER"}
_PYX12 = threading.Lock()   # held while pyx12's process-wide handlers are swapped


def loop_of_path(path: str | None) -> str | None:
    """The innermost TR3 loop of a pyx12 map path, None for a header segment:
    '/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000A/2000B/2300/2400/SV1' -> '2400'."""
    parts = [p for p in (path or "").split("/") if p][:-1]
    loops = [p for p in parts if p not in _WRAPPER_LOOPS]
    return loops[-1] if loops else None


def _loop_naming_handler(base: Any) -> Any:
    class LoopNamingHandler(base):
        def add_seg(self, map_node, seg_data, seg_count, cur_line, ls_id):
            if not ls_id and map_node is not None:
                try:
                    ls_id = loop_of_path(map_node.get_path())
                except Exception:  # pragma: no cover - a map node without a path
                    ls_id = None
            super().add_seg(map_node, seg_data, seg_count, cur_line, ls_id)
    return LoopNamingHandler


class _Skip(Exception):
    pass


class _SegmentText(io.TextIOBase):
    """A read()-able text stream of the segments of `reader`, normalised for pyx12."""

    def __init__(self, reader: SegmentReader, notes: list[str]):
        self._reader = reader
        self._segments = iter(reader)
        self._buffer = ""
        self._first: Delimiters | None = None
        self._notes = notes
        self._long: dict[int, tuple] = {}  # segment index -> (length, id), segments over 8 KB
        self.padded = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        if size is None:
            size = -1
        while size < 0 or len(self._buffer) < size:
            try:
                seg = next(self._segments)
            except StopIteration:
                break
            self._buffer += self._text(seg)
        if size < 0:
            out, self._buffer = self._buffer, ""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def drain(self) -> int:
        """Read the segments pyx12 left unread; the number of segments in the file."""
        for seg in self._segments:
            self._note_length(seg)
        return self._reader.index

    def length_of(self, index: int) -> str:
        """' (it is 16,390 characters long ...)' when segment `index` was a long one."""
        n = self._long.get(index, (0, None))[0]
        return f" (it is {n:,} characters long; pyx12 reads at most 8 KB ahead)" if n else ""

    def segment_id(self, index: int) -> str | None:
        return self._long.get(index, (0, None))[1]

    def _note_length(self, seg: list[str]) -> None:
        n = sum(map(len, seg)) + len(seg) - 1
        if n > 8000 and len(self._long) < 100:
            self._long[self._reader.index] = (n, seg[0][:3] or None)

    def _text(self, seg: list[str]) -> str:
        self._note_length(seg)
        d = self._reader.delimiters
        if self._first is None:
            self._first = d
        elif d != self._first:
            if any(set(v) & set(self._first.chars()) for v in seg):
                raise _Skip("its interchanges declare different delimiters")
        first = self._first
        assert first is not None
        if seg[0] == "ISA":
            seg = self._fixed_isa(seg)
        return first.element.join(seg) + first.segment

    def _fixed_isa(self, seg: list[str]) -> list[str]:
        if len(seg) != 17:
            raise _Skip(f"its ISA has {len(seg) - 1} elements, not 16")
        out = ["ISA"]
        for n, (value, width) in enumerate(zip(seg[1:], ISA_WIDTHS), start=1):
            if len(value) > width:
                raise _Skip(f"ISA{n:02d} is longer than its fixed width {width}")
            if len(value) < width:
                self.padded = True
                value = value.zfill(width) if n in _NUMERIC_ISA and value.isdigit() else value.ljust(width)
            out.append(value)
        return out


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def run_tr3(source, name, add, notes: list[str]) -> bool:
    """Validate `source` against its TR3 with pyx12. Returns True when pyx12 read the
    whole file; otherwise a "tr3-incomplete" error says why it did not."""
    def incomplete(why: str, index: int | None = None, segment_id: str | None = None) -> bool:
        add("error", "tr3-incomplete", f"TR3 validation incomplete: {why}", index, segment_id,
            level=2, segment_error="8" if segment_id else None)
        return False

    try:
        import pyx12.error_handler
        import pyx12.errors
        import pyx12.params
        import pyx12.x12n_document
    except ImportError:  # pragma: no cover - pyx12 is a dependency
        return incomplete("pyx12 is not installed")
    reader = SegmentReader(source, name)
    stream = _SegmentText(reader, notes)
    collect = _Collect()
    tree = io.StringIO()
    walked = [0]

    def count(*_args) -> None:  # called by pyx12 once for every segment it walks
        walked[0] += 1

    with _PYX12:
        return _run_locked(pyx12, reader, stream, collect, tree, walked, count, incomplete,
                           notes, add)


def _run_locked(pyx12, reader, stream, collect, tree, walked, count, incomplete, notes,
                add) -> bool:
    """The pyx12 run and the reading of its result, with _PYX12 held."""
    logger = logging.getLogger("pyx12")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    logger.handlers = [collect]
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    base_handler = pyx12.error_handler.err_handler
    pyx12.error_handler.err_handler = _loop_naming_handler(base_handler)
    try:
        pyx12.x12n_document.x12n_document(pyx12.params.params(), stream, None, None,
                                          fd_json=tree, callback=count)
    except _Skip as exc:
        return incomplete(f"pyx12 cannot read this file: {exc}")
    except EdiHitError as exc:
        return incomplete(f"the file cannot be read to its end ({_what(exc)})",
                          getattr(exc, "segment_index", None), getattr(exc, "segment_id", None))
    except pyx12.errors.EngineError as exc:
        text = str(exc)
        if "Map not found" in text:
            version = text.split("vriic=")[-1].strip() if "vriic=" in text else "?"
            return incomplete(f"pyx12 has no implementation guide map for {version} (it has "
                              "005010X222A1 for the 837P and 005010X221A1 for the 835)",
                              _line_of(collect))
        return incomplete(f"pyx12 stopped: {text}", _line_of(collect))
    except Exception as exc:  # pyx12 is third-party: never let it crash a validation
        return incomplete(f"pyx12 failed with {type(exc).__name__}: {exc}", _line_of(collect))
    finally:
        pyx12.error_handler.err_handler = base_handler
        logger.level, logger.propagate, logger.handlers = saved[0], saved[1], saved[2]
    if reader.findings and any(f.code == "encoding" for f in reader.findings):
        notes.append("TR3: bytes that are not UTF-8 were read as Latin-1 before pyx12 saw them")
    if stream.padded:
        notes.append("TR3: the ISA was re-padded to its fixed width of 106 characters for pyx12")
    for f in reader.findings:
        if f.code == "text-before-isa":
            notes.append(f"TR3: {f.message} before pyx12 read the file")
    if any(f.code == "empty-segment" for f in reader.findings):
        notes.append("TR3: empty segments were dropped before pyx12 read the file "
                     "(pyx12 stops at the first one)")
    text = tree.getvalue()
    if text:
        _issues_from_tree(json.loads(text), add)
    # Did pyx12 walk every segment edi-hit reads? (It stops quietly at one it cannot.)
    try:
        total = stream.drain()
    except EdiHitError as exc:
        return incomplete(f"the file cannot be read to its end ({_what(exc)})",
                          getattr(exc, "segment_index", None), getattr(exc, "segment_id", None))
    if walked[0] < total:
        at = walked[0] + 1
        why = stream.length_of(at)
        return incomplete(f"pyx12 read {walked[0]:,} of the {total:,} segments and stopped at "
                          f"segment {at:,}{why}; nothing after it was checked against the TR3",
                          at, stream.segment_id(at))
    if not text:
        for rec in collect.records:
            if rec.levelno >= logging.ERROR:
                return incomplete(f"pyx12: {rec.getMessage()}")
    return True


def _what(exc: EdiHitError) -> str:
    describe = getattr(exc, "describe", None)
    return describe() if describe is not None else str(exc)


def _line_of(collect: _Collect) -> int | None:
    for rec in collect.records:
        msg = rec.getMessage()
        if msg.startswith("Source file line "):
            try:
                return int(msg.rsplit(" ", 1)[1]) + 1
            except ValueError:
                return None
    return None


def _issues_from_tree(doc: dict, add) -> None:
    for isa in doc.get("interchanges", []):
        for e in isa.get("errors", []):
            if e["err_cde"] not in _DUP_ISA:
                add("error", "tr3-interchange", e["err_str"], isa.get("cur_line"), None, level=2)
        for gs in isa.get("groups", []):
            for e in gs.get("errors", []):
                if e["err_cde"] not in _DUP_GS:
                    add("error", "tr3-group", e["err_str"], gs.get("cur_line"), "GE", level=2)
            for st in gs.get("transactions", []):
                for e in st.get("errors", []):
                    if e["err_cde"] not in _DUP_ST:
                        add("error", "tr3-transaction", e["err_str"], st.get("cur_line"), "SE",
                            level=2)
                for seg in st.get("segments", []):
                    _segment_issues(seg, add)


def _segment_issues(seg: dict, add) -> None:
    sid = seg.get("seg_id") or None
    index = seg.get("cur_line")
    loop = seg.get("ls_id") or None
    for e in seg.get("errors", []):
        code = str(e["err_cde"])
        if code in _PYX12_ELEMENT_CODES and sid:
            pos, ref, ik403 = _PYX12_ELEMENT_CODES[code]
            add("error", "tr3-element", e["err_str"], index, sid, f"{sid}{pos:02d}", level=2,
                element_error=ik403, element_ref=ref, bad_value=e.get("err_val"), loop=loop)
            continue
        add("error", "tr3-segment", e["err_str"], index, sid, level=2,
            segment_error=code if code in IK304_CODES else "8",
            bad_value=e.get("err_val"), loop=loop)
    for ele in seg.get("elements", []):
        pos, sub = ele.get("ele_pos"), ele.get("subele_pos")
        element = f"{sid}{pos:02d}" if isinstance(pos, int) else None
        if element and sub:
            element += f"-{sub}"
        for e in ele.get("errors", []):
            code = str(e["err_cde"])
            add("error", "tr3-element", e["err_str"], index, sid, element, level=2,
                element_error=code if code in IK403_CODES else "I12",
                element_ref=ele.get("ele_ref_num"), bad_value=e.get("err_val"),
                repetition=ele.get("repeat_pos"), loop=loop)
