# JSON Schemas (draft 2020-12) for everything edi-hit reads or writes as JSON.
#
# Strategy: the schemas live in the top-level `schemas/` folder of the project; the
# build maps that folder into the package as `edi_hit._schemas`, so one copy serves a
# checkout, an editable install and a wheel. Validators are built once per schema.
# A document that fails is a DataError naming the JSON path of the first fault
# ("claims[3].lines[0].charge: '12O' is not valid under ...").
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import DataError

__all__ = ["load_schema", "check", "errors", "validator"]

_CHECKOUT = Path(__file__).resolve().parent.parent / "schemas"


def _read(name: str) -> str:
    filename = f"{name}.schema.json"
    local = _CHECKOUT / filename
    if local.is_file():
        return local.read_text(encoding="utf-8")
    return resources.files("edi_hit._schemas").joinpath(filename).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """The schema called `name` ("claim", "priced-claim", "remittance", "rates", ...)."""
    return json.loads(_read(name))


@lru_cache(maxsize=None)
def _validator(name: str):
    from jsonschema import Draft202012Validator, FormatChecker
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker(), registry=_registry())


def validator(name: str):
    """The schema's jsonschema validator (built once), for a caller that words its own
    messages (a CSV row names its column, not a JSON path)."""
    return _validator(name)


@lru_cache(maxsize=None)
def _registry():
    """Every schema by its $id, so one can refer to another's $defs."""
    from referencing import Registry, Resource

    suffix = ".schema.json"
    found = [load_schema(p.name[:-len(suffix)]) for p in _files() if p.name.endswith(suffix)]
    return Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in found
                                     if "$id" in s)


def _files():
    if _CHECKOUT.is_dir():
        return list(_CHECKOUT.iterdir())
    return list(resources.files("edi_hit._schemas").iterdir())


def _path(error, prefix: str) -> str:
    out = prefix
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _unexpected(error) -> list[str]:
    """The keys an additionalProperties error is about (those the schema does not name)."""
    known = set(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    return sorted(k for k in error.instance if k not in known
                  and not any(re.search(p, k) for p in patterns))


def _lines(error, prefix: str) -> list[str]:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        at = _path(error, prefix)
        at = "" if at == "(document)" else at
        keys = _unexpected(error)
        if keys:
            return [f"{at + '.' if at else ''}{k}: unexpected key (not in the schema)"
                    for k in keys]
    return [f"{_path(error, prefix)}: {error.message}"]


def errors(instance, name: str, *, prefix: str = "") -> list[str]:
    """Every schema violation of `instance` as 'json.path: message' lines (an unexpected
    key is named by its own path: 'localitys: unexpected key')."""
    found = sorted(_validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [line for e in found for line in _lines(e, prefix)]


def check(instance, name: str, *, source: str | None = None, prefix: str = "",
          error: type[DataError] = DataError) -> None:
    """Raise `error` (DataError, or ConfigError for a configuration file) naming the
    source and JSON path of the first violation."""
    found = errors(instance, name, prefix=prefix)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        where = f"{source}: " if source else ""
        raise error(f"{where}does not match the {name} schema: {found[0]}{more}")
