# The public API's front door: the functions edi_hit exports, with their arguments
# checked before any stage sees them.
#
# Strategy: a stage trusts its caller (the pricer takes Claim objects, the 835 builder
# PricedClaims), so a wrong argument used to surface as an AttributeError deep inside
# it. Each function here checks what it was given and then calls the stage function
# unchanged: a wrong type is a TypeError that names the argument (and the position of
# a wrong item: "build_835: priced_claims[0] is a Claim, not a PricedClaim"), a wrong
# value an ArgumentError (an EdiHitError and a ValueError), and bad input data an
# EdiHitError from the stage itself. Items of an iterable are checked as the stage
# consumes them, so a stream stays a stream. The stage modules check their own
# arguments where they own them (read_837p, write_837p, validate).
#
# One difference of meaning: price with a history is a preview (look, never decide, as
# `edi-hit price --history`): the history is opened read-only here. Deciding and
# recording is adjudicate's, inside the ledger run that makes it exactly once; the
# stage function edi_hit.pricing.price still records into a writable store it is given
# (the pipeline's building block and its tests).
from __future__ import annotations

import functools
import os
from typing import Any, Callable, Iterable, Iterator

__all__ = ["price", "build_835", "read_835", "adjudicate", "reconcile"]

_SOURCE_TYPES = (str, os.PathLike, bytes, bytearray, memoryview)


def _check_source(fn: str, arg: str, source: Any) -> None:
    if isinstance(source, _SOURCE_TYPES) or callable(getattr(source, "read", None)):
        return
    raise TypeError(f"{fn}: {arg} must be a path, bytes or a binary file object, "
                    f"not {type(source).__name__}")


def _items(fn: str, arg: str, items: Any, kind: type, hint: str = "") -> Iterator[Any]:
    """Iterate `items`, refusing any that is not a `kind`."""
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Iterable):
        raise TypeError(f"{fn}: {arg} must be an iterable of {kind.__name__} objects, "
                        f"not {type(items).__name__}")
    for n, item in enumerate(items):
        if not isinstance(item, kind):
            raise TypeError(f"{fn}: {arg}[{n}] is a {type(item).__name__}, not a "
                            f"{kind.__name__}{hint}")
        yield item


def _wraps(target: Callable) -> Callable[[Callable], Callable]:
    return functools.wraps(target, assigned=("__doc__", "__name__", "__qualname__"))


def _price():
    from .claims import Claim
    from .pricing import price as target

    @_wraps(target)
    def price(claims: Iterable[Any], **options: Any):
        history = options.get("history")
        if history is None:
            return target(_items("price", "claims", claims, Claim), **options)
        return _preview(target, _items("price", "claims", claims, Claim), history, options)
    price.__doc__ = (target.__doc__ or "").rstrip() + "\n\n    " + _PREVIEW_DOC
    return price


_PREVIEW_DOC = """A preview: with a history it looks and never decides (as `edi-hit price
    --history`): a path or URL is opened read-only (a file that does not exist is a
    DataError), a claim decided before is answered with its recorded decision, and
    nothing is written. A HistoryStore given must be read-only
    (open_history(path, readonly=True)); a writable one is an ArgumentError. To decide
    and record, exactly once, use edi_hit.adjudicate (the ledger run around the
    decisions).
    """


def _preview(target: Callable, claims: Iterator[Any], history: Any,
             options: dict[str, Any]) -> Iterator[Any]:
    """price() against `history` opened (or given) read-only; the store it opened is
    closed when the claims are done."""
    from .errors import ArgumentError
    from .pricing.history import HistoryStore, open_history

    if isinstance(history, HistoryStore):
        if not history.readonly:
            raise ArgumentError(
                "price: history is a writable store; the preview only reads it (pass a path, "
                "or open_history(path, readonly=True)); to decide and record claims use "
                "edi_hit.adjudicate")
        return target(claims, **options)
    if not isinstance(history, (str, os.PathLike)):
        raise TypeError(f"price: history must be a path, a postgresql:// URL or a HistoryStore, "
                        f"not {type(history).__name__}")
    store = open_history(os.fspath(history), readonly=True)

    def priced() -> Iterator[Any]:
        try:
            yield from target(claims, **{**options, "history": store})
        finally:
            store.close()
    return priced()


def _build_835():
    from .pricing.model import PricedClaim
    from .x835 import build_835 as target

    @_wraps(target)
    def build_835(priced_claims: Iterable[Any], stream: Any = None, **options: Any):
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise TypeError("build_835: stream must be a binary file object or None, not "
                            f"{type(stream).__name__}")
        return target(_items("build_835", "priced_claims", priced_claims, PricedClaim,
                             " (price the claims first: edi_hit.price)"), stream, **options)
    return build_835


def _read_835():
    from .x835 import read_835 as target

    @_wraps(target)
    def read_835(source: Any, *, name: str | None = None):
        _check_source("read_835", "source", source)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"read_835: name must be a str or None, not {type(name).__name__}")
        return target(source, name=name)
    return read_835


def _adjudicate():
    from .pipeline import adjudicate as target

    @_wraps(target)
    def adjudicate(sources: Iterable[Any], **options: Any):
        if isinstance(sources, _SOURCE_TYPES) or not isinstance(sources, Iterable):
            raise TypeError("adjudicate: sources must be a list of paths, bytes or binary "
                            f"files, not {type(sources).__name__}")
        sources = list(sources)
        for n, s in enumerate(sources):
            _check_source("adjudicate", f"sources[{n}]", s)
        return target(sources, **options)
    return adjudicate


def _reconcile():
    from .pricing.model import PricedClaim
    from .x835 import Remittance
    from .x835.reconcile import reconcile as target

    @_wraps(target)
    def reconcile(priced_claims: Iterable[Any], remittances: Iterable[Any]):
        return target(_items("reconcile", "priced_claims", priced_claims, PricedClaim),
                      _items("reconcile", "remittances", remittances, Remittance))
    return reconcile


_FACTORIES: dict[str, Callable[[], Callable]] = {
    "price": _price, "build_835": _build_835, "read_835": _read_835,
    "adjudicate": _adjudicate, "reconcile": _reconcile,
}


def __getattr__(name: str) -> Callable:
    factory = _FACTORIES.get(name)
    if factory is None:
        raise AttributeError(f"module 'edi_hit.api' has no attribute {name!r}")
    fn = factory()
    globals()[name] = fn
    return fn
