"""The 837P loop declaration (x837p/loops.py) against pyx12's map of the TR3, and what
the reader and the validator derive from it."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from importlib.resources import files

import pytest

from edi_hit.validation.loops import LOOP_STARTS
from edi_hit.x837p.loops import BY_ID, LOOPS, TRIGGER_ELEMENT, missing, reachable
from edi_hit.x837p.machine import MISSING, TABLES

_WRAPPERS = {"ISA_LOOP", "GS_LOOP", "ST_LOOP", "DETAIL"}


def _pyx12_loops() -> dict[str, dict]:
    """loop id -> {"parents", "first", "qualifiers", "segments"} from pyx12's map."""
    root = ET.parse(str(files("pyx12") / "map" / "837.5010.X222.A1.xml")).getroot()
    found: dict[str, dict] = {}

    def walk(node, parent):
        for child in node:
            if child.tag != "loop":
                continue
            lid = child.get("xid")
            segs = [s for s in child if s.tag == "segment"]
            if lid not in _WRAPPERS and segs:
                first = segs[0]
                position = TRIGGER_ELEMENT.get(first.get("xid"))
                codes = None
                if position is not None:
                    el = next(e for e in first.iter("element")
                              if e.get("xid") == f"{first.get('xid')}{position:02d}")
                    codes = tuple(c.text for c in el.iter("code"))
                entry = found.setdefault(lid, {"parents": set(), "first": first.get("xid"),
                                                "qualifiers": codes,
                                                "segments": [s.get("xid") for s in segs]})
                if parent not in _WRAPPERS:
                    entry["parents"].add(parent)
            walk(child, lid if lid not in _WRAPPERS else parent)

    walk(root, "ISA_LOOP")
    return found


MAP = _pyx12_loops()


def test_the_same_loops_as_pyx12():
    assert sorted(BY_ID) == sorted(MAP)


@pytest.mark.parametrize("decl", LOOPS, ids=lambda d: d.loop)
def test_each_loop_matches_the_map(decl):
    m = MAP[decl.loop]
    assert set(decl.parents) == m["parents"]
    assert decl.segments[0] == m["first"]
    if decl.trigger is not None:
        assert decl.trigger == m["first"]
    if decl.trigger in TRIGGER_ELEMENT:
        assert set(decl.qualifiers) == set(m["qualifiers"])
    # every segment of the loop, in the TR3's order (the map lists repeats once each)
    order = list(dict.fromkeys(m["segments"]))
    assert list(decl.segments) == order


def test_reachability_follows_the_tr3_order_and_its_requirements():
    # from the subscriber, the payer (2010BB) only after the subscriber's name (2010BA)
    assert reachable("2000B") == ["2010BA"]
    assert reachable("2010BA") == ["2010BB", "2300"]
    # inside a claim: its parties, COB, lines; a later party never before an earlier one
    assert reachable("2310C") == ["2310D", "2310E", "2310F", "2320", "2400", "2300"]
    assert "2310A" not in reachable("2310C")
    assert reachable("2410")[:2] == ["2420A", "2420B"] and "2410" not in reachable("2410")


def test_what_a_state_still_owes():
    assert missing("2000A") == ("2000A", "2010AA")
    assert missing("2010AA") is None
    assert missing("2310B") == ("2300", "2400")   # a claim without a line yet
    assert missing("2420A") is None
    assert MISSING["2400@"] == ("2400", "SV1")     # LX then SV1
    assert MISSING["HEADER@"] == ("HEADER", "BHT")


def test_the_reader_table_places_only_declared_segments():
    # a claim's table knows its own segments and the loops it may open, nothing else
    t = TABLES["2310A"]
    assert "REF" in t and "SV1" not in t and "DTP" not in t
    assert set(t["NM1"]) == {"DN", "P3", "82", "77", "DQ", "PW", "45"}
    assert "SV1" not in TABLES["2400"]          # only right after LX ("2400@")
    assert set(TABLES["2400@"]) - {"ISA", "GS", "ST", "SE", "GE", "IEA", "HL", "CLM"} == {"SV1"}


def test_the_validator_tracker_is_derived_from_the_same_declaration():
    assert LOOP_STARTS[None] == {("NM1", "41"): "1000A", ("NM1", "40"): "1000B"}
    assert LOOP_STARTS["2300"][("SBR", None)] == "2320"
    assert LOOP_STARTS["2400"][("NM1", "DK")] == "2420E"
    # every non-HL, non-CLM loop is started from each of its parents
    for d in LOOPS:
        if d.trigger in (None, "HL", "CLM"):
            continue
        for p in d.parents:
            table = LOOP_STARTS[None if p == "HEADER" else p]
            assert all(table[(d.trigger, q if d.trigger == "NM1" else None)] == d.loop
                       for q in (d.qualifiers or (None,)))
