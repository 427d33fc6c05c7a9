# Reading payer contracts: a JSON or TOML file, or a folder of them.
#
# Strategy: parse (json, or tomllib for .toml; TOML's native dates become ISO text, its
# numbers stay numbers and are refused: money is text), check the document against
# schemas/contract.schema.json (a DataError names the file and the JSON path of the
# offending key, e.g. "terms[2].rate"), then build the value objects of model.py and
# check what a schema cannot: a code listed by two terms on overlapping dates, a range
# whose ends differ in length, a drug term naming a price list the contract does not
# have, a conventions override that does not hold (the same checks as --conventions).
# Price lists are read relative to the contract file.
from __future__ import annotations

import datetime as _dt
import json
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from edi_hit import schemas
from edi_hit.errors import ConfigError, DataError
from edi_hit.pricing.contracts.model import (DRUG, Contract, CostSharing, Limit, Term)
from edi_hit.pricing.contracts.prices import PriceList, load_price_list
from edi_hit.pricing.conventions import Conventions
from edi_hit.pricing.money import ZERO
from edi_hit.pricing.tables import parse_date

__all__ = ["load_contract_file", "contract_files", "read_document", "build_contract"]

SUFFIXES = (".json", ".toml")


def contract_files(source) -> list[Path]:
    """The contract files of a path: the file itself, or a folder's *.json and *.toml
    (sorted, hidden files skipped)."""
    path = Path(source)
    if path.is_dir():
        found = sorted(p for p in path.iterdir()
                       if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and p.is_file())
        if not found:
            raise DataError(f"{path}: the folder holds no contract (*.json or *.toml)")
        return found
    if not path.exists():
        raise DataError(f"{path}: no such contract file or folder")
    return [path]


def read_document(path: Path) -> dict:
    """The contract document of a JSON or TOML file (not yet checked)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        if path.suffix.lower() == ".toml":
            doc = tomllib.loads(raw.decode("utf-8"))
        else:
            doc = json.loads(raw)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{path}: not valid {path.suffix[1:].upper()}: {e}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path}: expected an object (a table) at the top level")
    return _dates_as_text(doc)


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value.isoformat()
    return value


def load_contract_file(path: Path, base: Conventions) -> Contract:
    doc = read_document(path)
    schemas.check(doc, "contract", source=str(path), error=ConfigError)  # exit 2
    return build_contract(doc, path, base)


def build_contract(doc: dict, path: Path, base: Conventions) -> Contract:
    """The Contract of a document that passed the schema."""
    where = str(path)
    lists = {key: load_price_list(path.parent / spec["file"], spec.get("basis", key))
             for key, spec in doc.get("price_lists", {}).items()}
    terms = tuple(_term(t, i, lists, where) for i, t in enumerate(doc["terms"]))
    _no_code_twice(terms, where)
    override = doc.get("conventions")
    if override:
        try:
            base.merged(override, f"{where}: conventions")
        except DataError as e:
            raise DataError(f"{where}: conventions: {e}") from None
    remit = doc.get("remit", {})
    cs = doc.get("cost_sharing")
    payer = doc["payer"]
    return Contract(
        id=doc["id"], name=doc["name"], source=where, illustrative=doc["illustrative"],
        payer_ids=frozenset(payer["ids"]),
        filing_indicators=frozenset(payer.get("claim_filing_indicators", ())),
        plan=doc.get("plan", doc["id"]), terms=terms,
        start=parse_date(doc.get("effective_from"), where),
        end=parse_date(doc.get("effective_to"), where),
        cost_sharing=_cost_sharing(cs) if cs is not None else None,
        remit_filing_indicator=remit.get("claim_filing_indicator"),
        sequestration=bool(remit.get("sequestration", False)),
        conventions=override or {},
        provenance=f"{doc['provenance']['source']} ({doc['provenance']['date']})")


def _term(t: dict, i: int, lists: dict[str, PriceList], where: str) -> Term:
    at = f"{where}: terms[{i}]"
    codes, ranges = set(), []
    for j, c in enumerate(t["codes"]):
        if "-" in c:
            lo, hi = c.split("-")
            if lo > hi:
                raise DataError(f"{at}.codes[{j}]: range {c} runs backwards")
            ranges.append((lo, hi))
        else:
            codes.add(c)
    price_list = None
    if t["method"] == DRUG:
        price_list = lists.get(t["price_list"])
        if price_list is None:
            raise DataError(f"{at}.price_list: {t['price_list']!r} is not one of the contract's "
                            f"price_lists ({', '.join(sorted(lists)) or 'none'})")
    limit = t.get("limit")
    return Term(
        id=t["id"], method=t["method"], codes=frozenset(codes), ranges=tuple(ranges),
        rate=_dec(t.get("rate")) or ZERO, percent=_dec(t.get("percent")) or ZERO,
        factor=_dec(t.get("factor")) or ZERO,
        therapy=t.get("therapy"), includes=frozenset(t.get("includes", ())), by=t.get("by"),
        price_list=price_list, dispensing_fee=_dec(t.get("dispensing_fee")) or ZERO,
        prior_authorization=bool(t.get("prior_authorization", False)),
        limit=Limit(Decimal(limit["units"]), limit["per"]) if limit else None,
        cost_sharing=bool(t.get("cost_sharing", True)),
        start=parse_date(t.get("effective_from"), at), end=parse_date(t.get("effective_to"), at),
        where=f"terms[{i}]")


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _cost_sharing(cs: dict) -> CostSharing:
    month, day = (int(x) for x in cs.get("plan_year_start", "01-01").split("-"))
    oop = cs.get("out_of_pocket_max")
    return CostSharing(
        deductible=_money(cs.get("deductible")), coinsurance=_dec(cs.get("coinsurance")) or ZERO,
        copay_per_visit=_money(cs.get("copay_per_visit")),
        copay_per_day=_money(cs.get("copay_per_day")),
        out_of_pocket_max=None if oop is None else _money(oop), year_start=(month, day))


def _money(text: str | None) -> Decimal:
    return ZERO if text is None else Decimal(text).quantize(Decimal("0.01"))


def _overlap(a: Term, b: Term) -> bool:
    return ((a.start is None or b.end is None or a.start <= b.end)
            and (b.start is None or a.end is None or b.start <= a.end))


def _no_code_twice(terms: tuple[Term, ...], where: str) -> None:
    """An exact code in two terms in force together would price one line two ways."""
    seen: dict[str, Term] = {}
    for t in terms:
        for c in sorted(t.codes):
            other = seen.get(c)
            if other is not None and _overlap(other, t):
                raise DataError(f"{where}: {t.where}: code {c} is also priced by {other.where} "
                                f"({other.id}) on overlapping dates")
            seen[c] = t
