# The shipped code-text table: valid against its schema, and every CARC/RARC text is
# the one hit-rules.md section 10 confirms (read from ../shared when it is there).
from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from conftest import ROOT
from edi_hit.errors import DataError
from edi_hit.report import NOT_IN_TABLE, CodeTexts, default_code_texts

HIT_RULES = ROOT.parent / "shared" / "docs" / "hit-rules.md"


def shipped() -> dict:
    with resources.files("edi_hit.data").joinpath("remittance_codes.json").open("rb") as f:
        return json.load(f)


def section_10() -> dict[tuple[str, str], str]:
    if not HIT_RULES.exists():
        pytest.skip("../shared/docs/hit-rules.md is not beside the checkout")
    text = HIT_RULES.read_text(encoding="utf-8")
    body = text[text.index("## 10."):text.index("## 11.")]
    out, kind = {}, None
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2 or set(cells[0]) <= set("-: "):
            continue
        if cells[0] in ("CARC", "RARC"):
            kind = cells[0].lower()
            continue
        out[(kind, cells[0])] = cells[1]
    return out


def test_every_text_of_hit_rules_section_10_is_in_the_table_word_for_word():
    texts = default_code_texts()
    rows = section_10()
    assert len(rows) >= 40
    for (kind, code), doc_text in rows.items():
        got = texts.lookup(kind, code)
        assert got.known, (kind, code)
        # the document's own source markers and notes in brackets are not part of the text
        bare = re.sub(r"\s*\[S\d+[a-z]?\]", "", doc_text)
        bare = re.sub(r"\s*\((Text as commonly published[^)]*|Not for HIT vs HH: E10\.)\)$", "",
                      bare).strip()
        assert got.text == bare, (kind, code)


def test_every_source_named_by_a_row_is_described():
    doc = shipped()
    for kind in ("group", "carc", "rarc", "claim_status", "plb_reason"):
        for code, row in doc[kind].items():
            for source in row["source"].split("+"):
                assert source in doc["sources"], (kind, code, source)


def test_unknown_codes_get_no_guess():
    texts = default_code_texts()
    assert texts.lookup("carc", "59").known is False
    assert texts.text("carc", "59") == NOT_IN_TABLE
    assert texts.text("plb_reason", "WO") == "Overpayment Recovery"
    assert texts.text("claim_status", "22") == "Reversal of Previous Payment"


def test_a_table_that_breaks_the_schema_is_refused():
    doc = shipped()
    doc["carc"]["45"] = {"text": "", "source": "S33a"}
    with pytest.raises(DataError, match=r"carc\.45\.text"):
        CodeTexts(doc, "bad.json")
