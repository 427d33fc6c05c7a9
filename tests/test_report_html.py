# The HTML remittance report, read back with an HTML parser: every claim, the totals,
# the code texts, escaping, determinism and streaming.
from __future__ import annotations

import gc
import io
import re
from datetime import date
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest

from conftest import FIXTURES, corpus_files
from edi_hit.report import NOT_IN_TABLE, default_code_texts, write_report
from edi_hit.x835 import read_835

SCENARIOS = sorted((FIXTURES / "scenarios").glob("*.835"))
GENERATED = date(2026, 6, 1)


class Page(HTMLParser):
    """What a reader of the page sees: claims, totals, text, tags."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.claims: list[tuple[str, str]] = []
        self.totals: dict[str, str] = {}
        self.tags: set[str] = set()
        self.ids: set[str] = set()
        self.chunks: list[str] = []
        self.cells: list[str] = []       # the text of every table cell
        self._cell: list[str] | None = None
        self._total: str | None = None
        self._skip = 0
        self.feed(text)
        self.close()
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "article" and "claim" in (a.get("class") or ""):
            self.claims.append((a["data-pcn"], a["data-icn"]))
        if "data-total" in a:
            self._total = a["data-total"]
            self.totals[self._total] = ""
        if tag in ("style", "svg"):
            self._skip += 1
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "svg"):
            self._skip -= 1
        if tag == "td" and self._cell is not None:
            self.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "dd":
            self._total = None

    def handle_data(self, data):
        if self._total is not None and not self.totals[self._total]:
            self.totals[self._total] = data.strip()
        if not self._skip:
            self.chunks.append(data)
        if self._cell is not None:
            self._cell.append(data)


def render(source, **kw) -> str:
    out = io.StringIO()
    write_report(read_835(source), out, generated=GENERATED, **kw)
    return out.getvalue()


def expected_claims(source) -> list[tuple[str, str]]:
    return [(c.patient_control_number, c.payer_claim_control_number)
            for r in read_835(source) for c in r.claims]


@pytest.mark.parametrize("path", SCENARIOS + corpus_files("835"), ids=lambda p: p.name[:48])
def test_every_claim_is_in_the_page_and_the_totals_tie_to_the_835(path):
    page = Page(render(path))
    assert page.claims == expected_claims(path)
    remits = list(read_835(path))
    bpr02 = sum((r.signed_payment for r in remits), D(0))
    clp04 = sum((c.paid for r in remits for c in r.claims), D(0))
    plb = sum((r.provider_adjustment_total for r in remits), D(0))
    assert D(page.totals["bpr02"]) == bpr02
    assert D(page.totals["clp04"]) == clp04
    assert D(page.totals["plb"]) == plb
    assert page.totals["claims"] == str(len(page.claims))
    assert "script" not in page.tags and {"summary", "payments", "chart", "claims"} <= page.ids


def test_worked_example_numbers_to_the_cent():
    # hit-rules 9.7: charge 300.00, allowed 150.00: CO-45 150.00, PR-2 30.00,
    # CO-253 2% x 120.00 = 2.40, paid 300.00 - 150.00 - 30.00 - 2.40 = 117.60. The file
    # also holds the DME supplier's J1170 claim (charge 50.00, denied CO-109): charged
    # 300.00 + 50.00 = 350.00, in two payments (BPR02 0.00 and 117.60).
    page = Page(render(FIXTURES / "scenarios" / "worked_example.835"))
    assert page.totals["bpr02"] == "117.60" and page.totals["clp04"] == "117.60"
    assert page.totals["clp03"] == "350.00" and page.totals["clp05"] == "30.00"
    assert page.totals["claims"] == "2"
    assert "CO-45 150.00" in page.text and "CO-253 2.40" in page.text
    assert "PR-2 30.00" in page.text
    assert "Sum of CLP04 117.60 − PLB 0.00 = 117.60; BPR02 total 117.60: the payments balance" \
        in page.text


def test_denial_texts_for_the_codes_edi_hit_emits():
    texts = default_code_texts()
    page = Page(render(FIXTURES / "scenarios" / "wrong_place_of_service.835"))
    # CO-5 + M77 (C1-E2) and CO-109 + N104 (the J-code line, E11), all from hit-rules 10.
    for kind, code in (("carc", "5"), ("rarc", "M77"), ("carc", "109"), ("rarc", "N104"),
                       ("carc", "45"), ("carc", "253"), ("carc", "2")):
        assert texts.text(kind, code) in page.text, (kind, code)
    assert "The procedure code/type of bill is inconsistent with the place of service." in page.text
    assert "Denied: CO-5 The procedure code/type of bill" in page.text
    assert not [c for c in page.cells if NOT_IN_TABLE in c]


def test_every_code_edi_hit_emits_has_its_text():
    from edi_hit.pricing.conventions import default_conventions

    texts = default_code_texts()
    conv = default_conventions()
    emitted = {("carc", e.reason) for e in conv.edits.values()}
    emitted |= {("rarc", r) for e in conv.edits.values() for r in e.remarks}
    emitted |= {("carc", c) for c in ("1", "2", "45", "253")}   # the paid-line pattern, 9.7
    missing = [kc for kc in sorted(emitted) if not texts.lookup(*kc).known]
    assert missing == []


def test_a_code_outside_the_table_says_so(tmp_path):
    text = (FIXTURES / "scenarios" / "wrong_place_of_service.835").read_text()
    assert "CAS*CO*5*300~" in text
    path = tmp_path / "other.835"
    path.write_text(text.replace("CAS*CO*5*300~", "CAS*CO*59*300~", 1).replace(
        "LQ*HE*M77~", "LQ*HE*N999~", 1))
    page = Page(render(path))
    assert ["CO", "59", NOT_IN_TABLE] == page.cells[page.cells.index("59") - 1:][:3]
    assert f"CO-59 {NOT_IN_TABLE}" in page.text and f"N999 {NOT_IN_TABLE}" in page.text
    assert ["N999", NOT_IN_TABLE] == page.cells[page.cells.index("N999"):][:2]


def test_every_value_from_the_835_is_escaped(tmp_path):
    text = (FIXTURES / "scenarios" / "worked_example.835").read_text()
    evil_name = "<script>alert(1)</script>"
    evil_pcn = "A\"B'<i>&amp;"
    lines = text.split("~")
    clp = next(i for i, s in enumerate(lines) if s.strip().startswith("CLP*"))
    pcn = lines[clp].split("*")[1]
    text = text.replace("N1*PR*", f"N1*PR*{evil_name} ", 1).replace(f"CLP*{pcn}*", f"CLP*{evil_pcn}*")
    # and a line control number, a remark code and a payee name
    text = text.replace("REF*6R*DME-1-1~", "REF*6R*<blink>ctl</blink>~").replace(
        "LQ*HE*N104~", "LQ*HE*<iframe>N104~").replace("N1*PE*SYNTHETIC DME PHARMACY*",
                                                 "N1*PE*<img src=x onerror=alert(1)>*")
    path = tmp_path / "evil.835"
    path.write_text(text)
    html_text = render(path)
    for raw in ("<script", "<i>", "<blink>", "<iframe", "<img"):
        assert raw not in html_text, raw
    page = Page(html_text)
    assert page.claims[0][0] == evil_pcn
    assert evil_name in page.text and "<blink>ctl</blink>" in page.cells
    assert "<iframe>N104" in page.cells
    assert "<img src=x onerror=alert(1)>" in page.text
    assert not page.tags & {"script", "i", "blink", "iframe", "img"}


def test_the_page_is_deterministic_and_self_contained():
    path = FIXTURES / "scenarios" / "same_category_same_day.835"
    first, second = render(path), render(path)
    assert first == second
    # Nothing to fetch: no link, script, image or import; url() only to the chart's own
    # clip paths (#id); the only http text is the SVG/RDF namespace names.
    for needle in ("src=", "href=\"http", "<link", "<script", "@import", "<img"):
        assert needle not in first, needle
    assert not re.search(r"url\((?!#)", first)
    assert {m for m in re.findall(r"https?://[^\s\"']+", first)} <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
        "http://purl.org/dc/elements/1.1/", "http://creativecommons.org/ns#",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://purl.org/dc/dcmitype/StillImage"}
    assert "@media print" in first and "@page" in first


def test_without_phi_no_names_or_member_ids():
    path = FIXTURES / "scenarios" / "worked_example.835"
    claim = next(iter(read_835(path))).claims[0]
    with_phi, without = Page(render(path)), Page(render(path, phi=False))
    assert claim.patient_last_name and claim.patient_last_name in with_phi.text
    assert claim.patient_last_name not in without.text
    assert claim.patient_id not in without.text


def test_remittances_are_read_one_at_a_time_and_let_go():
    # The report keeps no Remittance: however many it has read, at most the one it is
    # writing and the one just read are alive (6 read here, 2 per pass of the file).
    from edi_hit.x835.model import Remittance

    text = (FIXTURES / "scenarios" / "worked_example.835").read_bytes()
    alive: list[int] = []

    def remittances():
        for _ in range(3):
            for remit in read_835(text):
                gc.collect()
                alive.append(sum(isinstance(o, Remittance) for o in gc.get_objects()))
                yield remit
                del remit

    out = io.StringIO()
    tally = write_report(remittances(), out, generated=GENERATED)
    assert tally.claims == 6 and len(Page(out.getvalue()).claims) == 6
    assert len(alive) == 6 and max(alive) <= 2


def test_reconciliation_adds_expected_against_paid():
    from helpers_pricing import price_scenario
    from edi_hit.x835.reconcile import reconcile

    name = "worked_example"
    priced = price_scenario(name)
    path = FIXTURES / "scenarios" / f"{name}.835"
    recon = reconcile(priced, read_835(path))
    page = Page(render(path, reconciliation=recon))
    # 9.7: expected 117.60 (synthetic rate 150.00) and the 835 paid 117.60: difference 0.00.
    assert page.totals["expected"] == "117.60" and page.totals["remitted"] == "117.60"
    assert page.totals["difference"].startswith("0.00")
    assert "expected" in page.ids
    assert "Expected (priced from the 837) against paid" in page.text


def test_provider_level_adjustments_with_their_texts(tmp_path):
    # The HIT payment of worked_example (CLP04 117.60) with two PLBs: WO (overpayment
    # recovery, 20.00 taken back) and L6 (interest owed, -1.50 paid on top):
    # BPR02 = 117.60 - (20.00 + -1.50) = 99.10.
    text = (FIXTURES / "scenarios" / "worked_example.835").read_text()
    assert "BPR*I*117.6*" in text and "SE*25*0002~" in text
    text = text.replace("BPR*I*117.6*", "BPR*I*99.1*").replace(
        "SE*25*0002~", "PLB*1234567893*20251231*WO:OLDICN1*20*L6*-1.5~\nSE*26*0002~")
    path = tmp_path / "plb.835"
    path.write_text(text)
    assert all(r.balanced for r in read_835(path))
    page = Page(render(path))
    assert page.totals["bpr02"] == "99.10" and page.totals["plb"] == "18.50"
    assert page.totals["clp04"] == "117.60"
    i = page.cells.index("WO")
    assert page.cells[i:i + 3] == ["WO", "Overpayment Recovery", "OLDICN1"]
    assert page.cells[i + 3] == "20.00"
    j = page.cells.index("L6")
    assert page.cells[j:j + 4] == ["L6", "Interest Owed", "", "-1.50"]
    assert "Sum of CLP04 117.60 − PLB 18.50 = 99.10; BPR02 total 99.10: the payments balance" \
        in page.text
