# Claims as JSON and XML, and the JSON Schema of a claim.
#
# Strategy: everything goes through Claim.to_dict(), the one JSON shape of a claim.
# JSON is that dict; XML is the same tree with element names for the keys (a list
# becomes repeated elements named for its items, e.g. <lines><line>). XML 1.0 cannot
# carry every character a value may hold (NUL, 0x1C, VT, FF, a lone surrogate ...):
# such a value is refused with a DataError naming the claim (CLM01) and the field
# (lines[0].description), never the value. The JSON Schema
# (schemas/claim.schema.json) is derived from the dataclass type hints, so the model,
# the JSON and the schema cannot drift apart.
from __future__ import annotations

import dataclasses
import json
import re
import typing
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Iterator

from lxml import etree

from .. import claims as model
from ..claims import Claim
from ..errors import DataError

__all__ = ["claims_to_dicts", "claims_to_json", "claims_from_json", "claims_to_xml",
           "claim_to_xml", "write_claims_xml",
           "claim_schema", "SCHEMA_ID"]

SCHEMA_ID = "https://edi-hit.invalid/schemas/claim.schema.json"

# List field -> element name of one item in XML.
_ITEM = {
    "diagnoses": "diagnosis", "lines": "line", "refs": "ref", "parties": "party",
    "dates": "date", "notes": "note", "contacts": "contact", "other": "segment",
    "modifiers": "modifier", "diagnosis_pointers": "pointer", "elements": "element",
    "related_causes": "component", "identifiers": "identifier", "extra": "component",
}


def claims_to_dicts(claims: Iterable[Claim]) -> Iterator[dict[str, Any]]:
    for c in claims:
        yield c.to_dict()


def claims_to_json(claims: Iterable[Claim], *, indent: int | None = 2) -> str:
    """A JSON array of claims (each as Claim.to_dict())."""
    return json.dumps(list(claims_to_dicts(claims)), indent=indent)


def claims_from_json(text: str | bytes) -> list[Claim]:
    """Claims from a JSON array of claim objects (or one claim object)."""
    data = json.loads(text)
    if isinstance(data, dict):
        data = [data]
    return [Claim.from_dict(d) for d in data]


# What XML 1.0 cannot carry: https://www.w3.org/TR/xml/#charsets
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object, claim: Claim, path: str) -> str:
    text = str(value)
    bad = _NOT_XML.search(text)
    if bad:
        raise DataError(f"XML output: claim {claim.patient_control_number or '(no CLM01)'}, "
                        f"{path}: character {bad.start() + 1} is U+{ord(bad.group()):04X}, "
                        "which XML 1.0 cannot carry (write JSON or NDJSON instead)")
    return text


def _xml_value(parent: Any, tag: str, value: Any, claim: Claim, path: str) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        el = etree.SubElement(parent, tag)
        if tag == "unused":
            for ref, v in value.items():
                etree.SubElement(el, "element", ref=_text(ref, claim, path)).text = \
                    _text(v, claim, f"{path}.{ref}")
            return
        for k, v in value.items():
            _xml_value(el, k, v, claim, f"{path}.{k}")
        return
    if isinstance(value, list):
        el = etree.SubElement(parent, tag)
        item = _ITEM.get(tag, "item")
        for n, v in enumerate(value):
            if isinstance(v, list):  # a composite inside a raw segment
                comp = etree.SubElement(el, item)
                for k, c in enumerate(v):
                    etree.SubElement(comp, "component").text = _text(c, claim,
                                                                      f"{path}[{n}][{k}]")
            else:
                _xml_value(el, item, v, claim, f"{path}[{n}]")
        return
    etree.SubElement(parent, tag).text = _text(value, claim, path)


def claim_to_xml(claim: Claim) -> Any:
    """One <claim> element: the tree of Claim.to_dict(full=True). A value XML 1.0
    cannot carry raises DataError naming the claim and the field."""
    el = etree.Element("claim")
    for k, v in claim.to_dict(full=True).items():
        _xml_value(el, k, v, claim, k)
    return el


def claims_to_xml(claims: Iterable[Claim], *, as_bytes: bool = False) -> Any:
    """<claims><claim>...</claim></claims> as an lxml element (or UTF-8 bytes)."""
    root = etree.Element("claims")
    for c in claims:
        root.append(claim_to_xml(c))
    if as_bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return root


def write_claims_xml(claims: Iterable[Claim], stream: Any) -> None:
    """Stream <claims> to a binary file, one <claim> at a time (bounded memory)."""
    with etree.xmlfile(stream, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("claims"):
            for c in claims:
                xf.write("\n")
                xf.write(claim_to_xml(c), pretty_print=True)


# -- JSON Schema ---------------------------------------------------------------

_DECIMAL = {"type": "string", "pattern": r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"}
_DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def _schema_of(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        inner = [a for a in args if a is not type(None)]
        s = _schema_of(inner[0], defs) if len(inner) == 1 else {}
        if type(None) in args:
            return {"anyOf": [s, {"type": "null"}]}
        return s
    if origin is list:
        return {"type": "array", "items": _schema_of(args[0], defs) if args else {}}
    if origin is dict:
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if tp is str:
        return {"type": "string"}
    if tp is int:
        return {"type": "integer"}
    if tp is Decimal:
        return {"$ref": "#/$defs/decimal"}
    if tp is date:
        return {"$ref": "#/$defs/date"}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _define(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    return {}


def _define(cls: Any, defs: dict[str, Any]) -> None:
    if cls.__name__ in defs:
        return
    defs[cls.__name__] = {}
    if cls is model.RawSegment:
        defs[cls.__name__] = {
            "type": "object", "additionalProperties": False, "required": ["loop", "elements"],
            "properties": {
                "loop": {"type": "string"},
                "elements": {"type": "array", "minItems": 1, "items": {"anyOf": [
                    {"type": "string"}, {"type": "array", "items": {"type": "string"}}]}},
            },
            "description": "A segment kept as read: elements[0] is the segment id.",
        }
        return
    hints = typing.get_type_hints(cls, vars(model))
    props = {f.name: _schema_of(hints[f.name], defs) for f in dataclasses.fields(cls)}
    defs[cls.__name__] = {"type": "object", "additionalProperties": False,
                          "properties": props,
                          "description": (cls.__doc__ or "").strip().splitlines()[0]}


def claim_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of Claim.to_dict(), built from the model."""
    defs: dict[str, Any] = {"decimal": _DECIMAL, "date": _DATE}
    _define(Claim, defs)
    claim = defs.pop("Claim")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "edi-hit 837P claim",
        **claim,
        "$defs": dict(sorted(defs.items())),
    }
