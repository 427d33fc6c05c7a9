# One place per rule: `validate`'s HIT level and `price` agree on every HIT edit, for
# every 837P in fixtures/ and ../shared/corpus/837p/.
#
# validate runs the pricer's own rules (pricing.profile) that need nothing but the file:
# E1/E11, E2, E9, E8 on each line, E6/E7 and E5 over the file's own visits. `price` is
# given the same inputs: no DME drug evidence (--assume-dme-drug: E4 off), no enrolment
# file (E3 off), a fresh history. Then, line by line, the first edit validate reports is
# the edit the pricer denies with, and a line validate passes is one the pricer pays
# (or denies for a reason validate cannot see: E12, no rate or no data). Every claim is
# taken as an HIT claim (hit="all"), so non-HIT codes must meet E1 on both sides.
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import FIXTURES, corpus_files
from edi_hit.claims import RejectedClaim
from edi_hit.pricing import price
from edi_hit.pricing.conventions import default_conventions
from edi_hit.pricing.profile import medicare_hit
from edi_hit.pricing.rules import Tables
from edi_hit.validation import validate
from edi_hit.validation.hit import FINDINGS
from edi_hit.x837p.read import read_837p

FIXTURE_FILES = sorted(FIXTURES.rglob("*.837"))
CORPUS_FILES = corpus_files("837p")
# finding code -> the conventions key of the edit it reports
EDIT_OF_FINDING = {code: key for key, (code, _, _) in FINDINGS.items()}
# (group, CARC, RARCs) of a line denial -> the conventions key (unique among the line
# edits of the defaults; C28, the exact duplicate of a claim decided in an earlier run,
# shares OA-18 with E6_duplicate but is a claim-level decision validate cannot make; the
# payer contract edits K0-K9 share codes with E-edits and never price a claim here: no
# contract is given)
EDIT_OF_CODES = {(e.group, e.reason, e.remarks): key
                 for key, e in default_conventions().edits.items() if key.startswith("E")}
_LINE = re.compile(r"^claim .* line (\S+): ")
# the order the rules run in (validate reports findings in file order: a claim's POS,
# CLM05-1, comes before its lines); a rule's conventions keys share its place
_ORDER = [r.edit for r in medicare_hit(Tables(None, default_conventions())).rules]
_RULE_OF = {"E11": "E1", "E6_duplicate": "E6", "E7": "E6"}


def _first(keys: list[str]) -> str | None:
    return min(keys, key=lambda k: _ORDER.index(_RULE_OF.get(k, k)), default=None)


def validate_edits(path: Path) -> dict[tuple[int, str], list[str]]:
    """(claim ordinal in the file, LX number) -> the HIT edits validate reports."""
    report = validate(path, levels=(1, 3, 4), hit="all")
    claims = [c for ic in report.interchanges for g in ic.groups for t in g.transactions
              for c in t.claims]
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    for issue in report.issues:
        key = EDIT_OF_FINDING.get(issue.code)
        if key is None and issue.code != "hit-other-code":
            continue
        ordinal = next(i for i, c in enumerate(claims) if
                       c.segment_index <= issue.segment_index <= max(c.end_index, c.segment_index))
        line = _LINE.match(issue.message).group(1)
        found[(ordinal, line)].append(key)
    return found


def priced_edits(path: Path) -> dict[tuple[int, str], str | None]:
    """(claim ordinal in the file, line number) -> the edit the pricer denies with, or None."""
    items = list(read_837p(path, errors="reject"))
    claims = [c for c in items if not isinstance(c, RejectedClaim)]
    ordinal = {id(c): i for i, c in enumerate(items)}
    out: dict[tuple[int, str], str | None] = {}
    for pc in price(claims, assume_dme_drug=True):
        if pc.status == "reversal":   # a void's or replacement's reversal: not its own lines
            continue
        if pc.duplicate_of is not None:  # C28: the whole claim repeats one decided already
            continue
        for pl in pc.lines:
            key = None
            if pl.status == "denied":
                a = pl.adjustments[0]
                key = EDIT_OF_CODES[(a.group, a.reason, tuple(pl.remarks))]
            out[(ordinal[id(pc.claim)], str(pl.line.line_number))] = key
    return out


def disagreements(path: Path) -> list[str]:
    said = validate_edits(path)
    out = []
    for where, denial in priced_edits(path).items():
        found = said.get(where, [])
        if denial in ("E12", "E3", "E4"):     # edits validate has no input for
            continue
        if _first(found) != denial:
            out.append(f"{path.name} claim #{where[0]} line {where[1]}: price {denial}, "
                       f"validate {found}")
    return out


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixtures(path):
    assert disagreements(path) == []


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus/837p is not beside the checkout")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus(path):
    assert disagreements(path) == []


def test_the_comparison_sees_every_edit_validate_can_run(tmp_path):
    """A file with one line per edit: both sides name the same edit on every line."""
    text = (FIXTURES / "validate" / "hit_valid.837").read_text().replace("~\n", "~")
    lines = [
        "SV1*HC:G0091*100*UN*4***1~DTP*472*D8*20260210",            # E1 not an HIT code
        "SV1*HC:G0068*100*UN*4***1~DTP*472*D8*20200210",            # E11 transitional (C25)
        "SV1*HC:G0068*100*UN*4*21**1~DTP*472*D8*20260211",          # E2 inpatient hospital
        "SV1*HC:G0068*100*UN*0.5***1~DTP*472*D8*20260212",          # E9 fractional (C24)
        "SV1*HC:G0068*100*UN*4***1~DTP*472*RD8*20260213-20260215",  # E8 span (C23)
        "SV1*HC:G0068*100*UN*4***1~DTP*472*D8*20260216",            # paid
        "SV1*HC:G0068*100*UN*4***1~DTP*472*D8*20260216",            # E6 exact duplicate
        "SV1*HC:G0088*120*UN*4***1~DTP*472*D8*20260216",            # E6 same category
        "SV1*HC:G0088*120*UN*4***1~DTP*472*D8*20260217",            # E5 initial too soon
    ]
    body = "".join(f"LX*{n}~{ln}~" for n, ln in enumerate(lines, 1))
    total = 100 * 7 + 120 * 2
    head = text[:text.index("CLM*HIT-7-1")]
    claim = f"CLM*EDITS*{total}***12:B:1*Y*A*Y*Y~HI*ABK:A419~{body}"
    count = head[head.index("ST*837"):].count("~") + claim.count("~") + 1
    path = tmp_path / "edits.837"
    path.write_text(head + claim + f"SE*{count}*0001~GE*1*7~IEA*1*000000007~")
    assert priced_edits(path) == {(0, str(n)): key for n, key in enumerate(
        ["E1", "E11", "E2", "E9", "E8", None, "E6_duplicate", "E6", "E5"], 1)}
    assert disagreements(path) == []
