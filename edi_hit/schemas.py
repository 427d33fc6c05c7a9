# JSON Schemas (draft 2020-12) for everything edi-hit reads or writes as JSON.
#
# Strategy: the schemas live in the top-level `schemas/` folder of the project; the
# build maps that folder into the package as `edi_hit._schemas`, so one copy serves a
# checkout, an editable install and a wheel. Validators are built once per schema.
# A document that fails is a DataError naming the JSON path of the first fault
# ("claims[3].lines[0].charge: '12O' is not valid under ...").
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import DataError

__all__ = ["load_schema", "check", "errors"]

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


def errors(instance, name: str, *, prefix: str = "") -> list[str]:
    """Every schema violation of `instance` as 'json.path: message' lines."""
    found = sorted(_validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{_path(e, prefix)}: {e.message}" for e in found]


def check(instance, name: str, *, source: str | None = None, prefix: str = "") -> None:
    """Raise DataError naming the source and JSON path of the first violation."""
    found = errors(instance, name, prefix=prefix)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        where = f"{source}: " if source else ""
        raise DataError(f"{where}does not match the {name} schema: {found[0]}{more}")
