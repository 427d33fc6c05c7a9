# A run prices each beneficiary's claims in date-of-service order whatever the input
# order: price (library and CLI) and adjudicate, through the pre-scan and the stream.
from __future__ import annotations

import io
import json
import random
from datetime import datetime
from decimal import Decimal

from click.testing import CliRunner

from edi_hit.cli import main
from edi_hit.pricing import SQLiteHistory, price
from edi_hit.pricing.plan import plan_run, scan_members
from edi_hit.pricing.stream import PricedFeed, price_files
from edi_hit.pricing import Pricer
from edi_hit.x835 import read_835
from edi_hit.pipeline import adjudicate
from edi_hit.x837p import read_837p, write_837p
from helpers_pricing import FIXTURES, claim, line

A_MBI = "7QW2XE4RT55"
NOW = datetime(2026, 12, 1, 12, 0)


def others(n: int, start: int = 0):
    return [claim(line("G0068", "2026-02-02", "150.00"), pcn=f"OTHER{i}", mbi=f"5AB{i:08d}")
            for i in range(start, start + n)]


def to_837(claims) -> bytes:
    return write_837p(claims, sender_id="TESTSENDER", receiver_id="MEDICARE", now=NOW)


def reversed_initial_visits() -> bytes:
    """Claim A (G0088, 2026-03-10) first, 600 others, then claim B (G0088, 2026-03-01)."""
    a = claim(line("G0088", "2026-03-10"), pcn="A-LATE", mbi=A_MBI)
    b = claim(line("G0088", "2026-03-01"), pcn="B-EARLY", mbi=A_MBI)
    return to_837([a, *others(600), b])


def by_pcn(priced) -> dict:
    return {pc.claim.patient_control_number: pc for pc in priced}


def assert_b_paid_a_denied(got: dict):
    (b,) = got["B-EARLY"].lines
    (a,) = got["A-LATE"].lines
    assert b.status == "paid"
    assert a.status == "denied"
    assert [(x.group, x.reason) for x in a.adjustments] == [("CO", "151")]
    assert a.remarks == ["N113"]
    assert any("2026-03-01 (9 days before" in t for t in a.trace)


def test_price_files_applies_a_beneficiary_in_date_order_across_the_file(tmp_path):
    path = tmp_path / "claims.837"
    path.write_bytes(reversed_initial_visits())
    assert_b_paid_a_denied(by_pcn(price_files([path], assume_dme_drug=True)))


def test_price_in_memory_gives_the_same_answer():
    claims = list(read_837p(reversed_initial_visits()))
    assert_b_paid_a_denied(by_pcn(price(claims, assume_dme_drug=True)))


def test_price_cli_on_a_file_and_on_stdin(tmp_path):
    data = reversed_initial_visits()
    path = tmp_path / "claims.837"
    path.write_bytes(data)
    for args, stdin in (([str(path)], None), (["-"], data)):
        r = CliRunner().invoke(main, ["price", *args, "--assume-dme-drug", "-o",
                                      str(tmp_path / "p.json")], input=stdin)
        assert r.exit_code == 0, r.output
        doc = json.loads((tmp_path / "p.json").read_text())
        got = {c["patient_control_number"]: c["lines"][0] for c in doc["claims"]}
        assert got["B-EARLY"]["status"] == "paid"
        assert got["A-LATE"]["status"] == "denied"
        assert got["A-LATE"]["remarks"] == ["N113"]
        assert len(doc["claims"]) == 602 and "rejected" not in doc


def test_adjudicate_applies_a_beneficiary_in_date_order_across_files(tmp_path):
    # the two claims of A in different files, the later-dated one first
    a = claim(line("G0088", "2026-03-10"), pcn="A-LATE", mbi=A_MBI)
    b = claim(line("G0088", "2026-03-01"), pcn="B-EARLY", mbi=A_MBI)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "1.837").write_bytes(to_837([a, *others(300)]))
    (tmp_path / "in" / "2.837").write_bytes(to_837([*others(300, 300), b]))
    out = tmp_path / "remit.835"
    report = tmp_path / "summary.json"
    r = CliRunner().invoke(main, ["adjudicate", str(tmp_path / "in"), "-o", str(out),
                                  "--assume-dme-drug", "--report", str(report)])
    assert r.exit_code == 0, r.output
    remitted = {c.patient_control_number: c for rm in read_835(out) for c in rm.claims}
    assert remitted["B-EARLY"].status_code == "1"
    assert remitted["A-LATE"].status_code == "1"  # processed, its one line denied
    (ln,) = remitted["A-LATE"].lines
    assert [(x.group, x.reason) for x in ln.adjustments] == [("CO", "151")]
    assert ln.remarks == ["N113"]
    doc = json.loads(report.read_text())
    assert (doc["claims_in"], doc["claims_rejected"], doc["claims"]) == (602, 0, 602)
    assert len(doc["files"]) == 2


def test_the_deductible_is_absorbed_by_the_earlier_dated_claim():
    late = claim(line("G0068", "2026-05-10", "300.00"), pcn="LATE", mbi=A_MBI)
    early = claim(line("G0068", "2026-05-03", "300.00"), pcn="EARLY", mbi=A_MBI)
    data = to_837([late, *others(600), early])
    out = io.BytesIO()
    summary = adjudicate([data], output=out, assume_dme_drug=True, now=NOW)
    assert summary.claims == 602
    got = by_pcn(price_files([data], assume_dme_drug=True))
    pr1 = {k: got[k].lines[0].adjustment_total("PR", "1") for k in ("EARLY", "LATE")}
    # 2026: deductible 283.00, illustrative G0068 rate 173.89
    assert pr1 == {"EARLY": Decimal("173.89"), "LATE": Decimal("109.11")}
    remitted = {c.patient_control_number: c for rm in read_835(out.getvalue()) for c in rm.claims}
    assert remitted["EARLY"].paid == Decimal("0.00")
    assert remitted["LATE"].paid == got["LATE"].total_paid > 0


def test_results_do_not_depend_on_input_order_or_file_split():
    rng = random.Random(7)
    mbis = [f"3CD{i:08d}" for i in range(40)]
    claims = []
    for n in range(240):
        day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
        code = rng.choice(("G0068", "G0088", "G0069", "G0089", "J1170"))
        claims.append(claim(line(code, day, rng.choice(("150.00", "300.00"))), pcn=f"P{n}",
                            mbi=rng.choice(mbis)))
    def result(priced):
        return {pc.claim.patient_control_number: [(pl.status, pl.paid, pl.adjustments)
                                                   for pl in pc.lines] for pc in priced}
    want = result(price(claims))
    shuffled = claims[:]
    rng.shuffle(shuffled)
    assert result(price(shuffled)) == want
    files = [to_837(shuffled[:100]), to_837(shuffled[100:])]
    assert result(price_files(files)) == want
    assert result(price_files(files[::-1])) == want


def test_memory_holds_only_the_beneficiaries_in_flight():
    """Each priced claim comes out at most a ready set after its claim was read."""
    data = to_837(others(1000))
    pricer = Pricer(assume_dme_drug=True, group_size=50)
    read = [0]

    def counting(items):
        for item in items:
            read[0] += 1
            yield item

    lag = 0
    for n, _ in enumerate(PricedFeed(pricer, [data], progress=counting), start=1):
        lag = max(lag, read[0] - n)
    assert lag < 50


def test_a_rejected_claim_counts_down_its_beneficiary(tmp_path):
    first = claim(line("G0068", "2026-03-02"), pcn="KEEP", mbi=A_MBI)
    second = claim(line("G0068", "2026-03-09", "777.00"), pcn="BROKEN", mbi=A_MBI)
    data = to_837([first, second, *others(200)]).replace(b"SV1*HC:G0068*777", b"SV1*HC:G0068*7X7")
    pricer = Pricer(assume_dme_drug=True, group_size=1)
    read, seen_at = [0], {}

    def counting(items):
        for item in items:
            read[0] += 1
            yield item

    feed = PricedFeed(pricer, [data], progress=counting)
    for pc in feed:
        seen_at[pc.claim.patient_control_number] = read[0]
    assert [r.patient_control_number for r in feed.rejected] == ["BROKEN"]
    assert seen_at["KEEP"] <= 3  # priced once BROKEN was read, not at the end
    assert feed.claims_in == 202 == feed.claims_priced + len(feed.rejected)
    assert feed.plan_mismatches == 0 and feed.late == 0


def test_history_is_written_only_when_the_run_completes(tmp_path):
    db = tmp_path / "hit.db"
    data = to_837(others(20))
    stream = price_files([data], history=str(db), assume_dme_drug=True, group_size=5)
    next(stream)
    stream.close()
    with SQLiteHistory(db) as h:
        assert h.db.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert len(list(price_files([data], history=str(db), assume_dme_drug=True))) == 20
    with SQLiteHistory(db) as h:
        assert h.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 20


# -- the pre-scan agrees with the reader ----------------------------------------------------

def _reader_members(source) -> list[str]:
    return [(c.subscriber.member_id if c.subscriber else None) or "" for c in read_837p(source)]


def test_scan_agrees_with_the_reader_on_every_fixture():
    files = [p for p in FIXTURES.rglob("*") if p.suffix in (".837", ".x12", ".edi", ".txt")]
    assert files
    checked = 0
    for p in files:
        try:
            want = _reader_members(p)
        except Exception:
            continue
        assert scan_members(p) == want, p.name
        checked += 1
    assert checked >= 10


def test_scan_handles_cob_subscribers_line_breaks_and_changing_delimiters():
    from edi_hit.x12 import Delimiters

    claims = [claim(line("G0068", "2026-03-02"), pcn=f"C{i}", mbi=f"1AA{i:08d}") for i in range(3)]
    plain = to_837(claims)
    other = write_837p(claims[:2], sender_id="S", receiver_id="R", now=NOW,
                       delimiters=Delimiters("|", "^", ">", "\n"), line_break=False)
    for data in (plain, plain.replace(b"~\n", b"~\r\n"), plain + other):
        assert scan_members(data) == _reader_members(data)
    # 2330A (other subscriber) is NM1*IL too, after the CLM: not the claim's member
    cob = plain.replace(b"HI*", b"SBR*S*18*******MB~NM1*IL*1*OTHER*SUB****MI*OTHERID~HI*", 1)
    assert scan_members(cob) == ["1AA00000000", "1AA00000001", "1AA00000002"]
    plan = plan_run([plain, plain])
    assert plan.claims == 6 and plan.beneficiaries == 3
    assert [plan.count(f"1AA{i:08d}") for i in range(4)] == [2, 2, 2, 0]


def test_scan_of_something_that_is_not_x12_is_empty(tmp_path):
    bad = tmp_path / "x.837"
    bad.write_text("not X12")
    assert scan_members(bad) == [] and scan_members(tmp_path / "missing.837") == []


def test_the_plan_scan_gives_the_envelope_verdicts_in_the_same_pass():
    from edi_hit.pricing.plan import scan_file
    from edi_hit.x12.prescan import check_transaction_sets
    from test_x12_prescan import MUTATIONS

    for name, data in MUTATIONS.items():
        members, verdicts = scan_file(data, "t.837")
        assert verdicts == check_transaction_sets(data, "t.837"), name
        assert members == scan_members(data), name
    plan = plan_run([MUTATIONS["se01"], MUTATIONS["sound"]], ["a.837", "b.837"])
    assert [f.file for f in plan.verdicts[0][0]] == ["a.837"] and plan.verdicts[1] == [None]


def test_the_feed_streams_a_broken_set_without_scanning_twice(monkeypatch):
    from edi_hit.x837p import machine as read_module

    class NoSecondScan:
        def __init__(self, *a, **k):
            raise AssertionError("the reader scanned the envelopes again")

    monkeypatch.setattr(read_module, "EnvelopeScan", NoSecondScan)
    good = to_837(others(3))
    bad = to_837(others(2, start=3)).replace(b"SE*", b"SE*9", 1)
    rejected: list = []
    priced = list(price_files([good, bad], assume_dme_drug=True, rejected=rejected))
    assert len(priced) == 3 and len(rejected) == 2
    assert all("SE01" in r.reason and r.findings[-1].code == "se01-count" for r in rejected)
