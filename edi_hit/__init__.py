"""edi-hit: Medicare Home Infusion Therapy claims, from X12 837P to X12 835.

The public API, small and typed; the `edi-hit` command line calls exactly these:

    import edi_hit
    for claim in edi_hit.read_837p("claims.837"):          # streaming, typed Claim objects
        ...
    data = edi_hit.write_837p(claims, sender_id="ME", receiver_id="MEDICARE")
    for priced in edi_hit.price(edi_hit.read_837p("claims.837")):   # a preview: with
        ...                                          # history= it reads, never writes
    summary = edi_hit.adjudicate(["claims.837"], output="remit.835", history="hit.db")

Names are imported lazily, so `import edi_hit` costs almost nothing. Bad input or a
bad argument raises an EdiHitError (ArgumentError for a value an argument cannot take)
or a TypeError that names the argument; the functions of other stages are reached
through edi_hit.api, which checks their arguments first.
"""
from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_API = {
    "read_837p": "edi_hit.x837p",
    "write_837p": "edi_hit.x837p",
    "Claim": "edi_hit.claims",
    "ServiceLine": "edi_hit.claims",
    "RejectedClaim": "edi_hit.claims",
    "price": "edi_hit.api",
    "PricedClaim": "edi_hit.pricing.model",
    "build_835": "edi_hit.api",
    "read_835": "edi_hit.api",
    "adjudicate": "edi_hit.api",
    "reconcile": "edi_hit.api",
    "write_report": "edi_hit.report",
    "validate": "edi_hit.validation",
    "write_277ca": "edi_hit.validation",
    "EdiHitError": "edi_hit.errors",
    "X12Error": "edi_hit.errors",
    "DataError": "edi_hit.errors",
    "ArgumentError": "edi_hit.errors",
    "LimitError": "edi_hit.errors",
    "Finding": "edi_hit.errors",
    "Delimiters": "edi_hit.x12",
    "SegmentReader": "edi_hit.x12",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> object:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'edi_hit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
