# pyx12's XML maps -> compact tables of plain values (tuples, dicts, strings, ints).
#
# Strategy: read each map once with ElementTree and keep only what validation uses,
# in the form pyx12 itself interprets it (map_if/_loop.py, _segment.py, _element.py,
# _composite.py), so that the engine built on the tables reaches pyx12's verdicts:
#   loop      ("L", id, name, usage, pos, max repeat, children)
#   segment   ("S", id, name, usage, pos, max use, syntax rules, elements)
#   element   ("E", id, name, usage, seq, data element number, codes, external list, regex)
#   composite ("C", id, name, usage, seq, data element number, refdes, max repeat, elements)
# Children keep pyx12's order: a loop's loops before its segments at one position,
# positions ascending; a segment's elements and composites by sequence number (a
# composite wins a shared number, as in pyx12). Data element types and lengths
# (dataele.xml) and external code lists (codes.xml) are kept only where a compiled
# map refers to them. Anything the engine would read differently from pyx12 (a gap
# in element sequence numbers, an undefined data element) is refused here, by name.
from __future__ import annotations

import xml.etree.ElementTree as ET

from .source import ALL_FILES, CONTROL_MAP, MAP_FILES, MapSourceError

__all__ = ["FORMAT", "MAXINT", "compile_tables"]

FORMAT = 1
MAXINT = 2147483647     # pyx12's "unbounded" (map_if/_base.py)


def _text(elem, name):
    """An attribute, else a child element's text (pyx12 reads both)."""
    return elem.get(name) or elem.findtext(name)


def _max(value) -> int:
    if value is None or value in (">1", "&gt;1"):
        return MAXINT
    return int(value)


class _Compiler:
    def __init__(self, dataele: dict, codesets: dict, file: str):
        self.dataele_all = dataele
        self.codesets_all = codesets
        self.file = file
        self.dataele: dict = {}
        self.codes: dict = {}

    def children(self, elem) -> tuple:
        """A loop's (or the map's) loops and segments in pyx12's order."""
        by_pos: dict[int, list] = {}
        for child in elem.findall("loop"):
            node = self.loop(child)
            by_pos.setdefault(node[4], []).append(node)
        for child in elem.findall("segment"):
            node = self.segment(child)
            by_pos.setdefault(node[4], []).append(node)
        return tuple(n for pos in sorted(by_pos) for n in by_pos[pos])

    def loop(self, elem) -> tuple:
        return ("L", elem.get("xid"), _text(elem, "name"), _text(elem, "usage"),
                int(_text(elem, "pos")), _max(_text(elem, "repeat")), self.children(elem))

    def segment(self, elem) -> tuple:
        sid = elem.get("xid")
        by_seq = {}
        for child in elem.findall("element"):
            by_seq[int(_text(child, "seq"))] = self.element(child)
        for child in elem.findall("composite"):
            by_seq[int(_text(child, "seq"))] = self.composite(child)
        if sorted(by_seq) != list(range(1, len(by_seq) + 1)):
            raise MapSourceError(f"{self.file}: segment {sid} has element sequence numbers "
                                 f"{sorted(by_seq)}; the TR3 engine needs 1..n")
        syntax = []
        for s in elem.findall("syntax"):
            text = s.text or ""
            if text[:1] in ("P", "R", "C", "L", "E"):
                syntax.append((text[0],) + tuple(int(text[i:i + 2]) for i in range(1, len(text) - 1, 2)))
        return ("S", sid, _text(elem, "name"), _text(elem, "usage"), int(_text(elem, "pos")),
                _max(_text(elem, "max_use")), tuple(syntax),
                tuple(by_seq[k] for k in sorted(by_seq)))

    def element(self, elem) -> tuple:
        num = _text(elem, "data_ele")
        if num not in self.dataele_all:
            raise MapSourceError(f"{self.file}: element {elem.get('xid')} names data element "
                                 f"{num!r}, which dataele.xml does not define")
        self.dataele[num] = self.dataele_all[num]
        codes: tuple = ()
        external = None
        v = elem.find("valid_codes")
        if v is not None:
            external = v.get("external")
            codes = tuple(c.text for c in v.findall("code"))
            if external is not None:
                if external not in self.codesets_all:
                    raise MapSourceError(f"{self.file}: element {elem.get('xid')} names the "
                                         f"external code list {external!r}, not in codes.xml")
                self.codes[external] = self.codesets_all[external]
        regex = elem.findtext("regex") or None
        return ("E", elem.get("xid"), _text(elem, "name"), _text(elem, "usage"),
                int(_text(elem, "seq")), num, codes, external, regex)

    def composite(self, elem) -> tuple:
        repeat = _text(elem, "repeat")
        subs = tuple(self.element(e) for e in elem.findall("element"))
        return ("C", elem.get("xid"), _text(elem, "name"), _text(elem, "usage"),
                int(_text(elem, "seq")), _text(elem, "data_ele"),
                elem.findtext("refdes") or elem.get("xid"), int(repeat) if repeat else 1, subs)


def _dataele(blob: bytes) -> dict[str | None, tuple[str | None, int, int, str | None]]:
    out = {}
    for e in ET.fromstring(blob).iter("data_ele"):
        out[e.get("ele_num")] = (e.get("data_type"), int(e.get("min_len", "0")),
                                 int(e.get("max_len", "0")), e.get("name"))
    return out


def _codesets(blob: bytes) -> dict:
    return {c.findtext("id"): tuple(sorted({x.text for x in c.iterfind("version/code")
                                            if x.text is not None}))
            for c in ET.fromstring(blob).iter("codeset")}


def _index(blob: bytes) -> tuple:
    rows = []
    for v in ET.fromstring(blob).iter("version"):
        for m in v.iterfind("map"):
            rows.append((v.get("icvn"), m.get("vriic"), m.get("fic"), m.get("tspc"), m.text))
    return tuple(rows)


def compile_tables(key: str, blobs: dict[str, bytes]) -> dict:
    """The compiled tables of every map edi-hit validates with, from the raw files."""
    missing = [n for n in ALL_FILES if n not in blobs]
    if missing:
        raise MapSourceError(f"pyx12 map files missing: {', '.join(missing)}")
    dataele = _dataele(blobs["dataele.xml"])
    codesets = _codesets(blobs["codes.xml"])
    maps, ids, used_ele, used_codes = {}, {}, {}, {}
    for name in MAP_FILES + (CONTROL_MAP,):
        root = ET.fromstring(blobs[name])
        c = _Compiler(dataele, codesets, name)
        maps[name] = c.children(root)
        ids[name] = root.get("xid")
        used_ele.update(c.dataele)
        used_codes.update(c.codes)
    return {"format": FORMAT, "key": key, "maps": maps, "map_ids": ids,
            "index": _index(blobs["maps.xml"]), "dataele": used_ele, "codes": used_codes}
