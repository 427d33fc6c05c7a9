"""Payer contracts on a PostgreSQL history, through the CLI: the same runs give the same
835s, byte for byte, as on a SQLite history; the accumulators and the services a contract
paid carry across runs on the server and a void takes its share back; `edi-hit history
accumulation` takes a postgresql:// URL. On a real server (tests/fixtures_postgres.py)."""
from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal as D

from edi_hit.pricing.history import PostgresHistory, open_history
from edi_hit.x837p import read_837p
from helpers_835 import segments_of
from helpers_pricing import SYNTHETIC_RATES
from helpers_runs import cli, write_claims
from test_contracts_835 import MEMBER_E, PLAN, YEAR, _clp, _valid
from test_contracts_scenarios import AUTHORIZATIONS, CLAIMS, CONTRACTS


def _adjudicate(sources, out, history, control: int):
    r = cli("adjudicate", *sources, "-o", out, "--history", history, "--contract", CONTRACTS,
            "--authorizations", AUTHORIZATIONS, "--rates", SYNTHETIC_RATES, "--assume-dme-drug",
            "--now", "2026-04-10", "--control-number", control)
    assert r.exit_code == 0, r.output
    return _valid(out)  # pyx12 finds no error and the 835 balances


def _member_e_runs(folder, history) -> list[bytes]:
    """Member E's per diems in four runs on one history: E1 + E2; E3 + E4; E5 (its days
    overlap E4's, decided in run 2); the void of E3 (by the ICN run 2 gave it)."""
    folder.mkdir()
    claims = {c.patient_control_number: c for c in read_837p(CLAIMS)}
    out: list[bytes] = []
    for n, pcns in enumerate((["E1", "E2"], ["E3", "E4"], ["E5"], None), start=1):
        if pcns is None:
            icn = _clp(out[1])["E3"][7]
            e3 = claims["E3"]
            batch = [replace(e3, frequency_code="8", refs=[*e3.refs, type(e3.refs[0])("F8", icn)])]
        else:
            batch = [claims[p] for p in pcns]
        src = write_claims(folder / f"run{n}.837", batch, n)
        out.append(_adjudicate([src], folder / f"run{n}.835", history, n))
    return out


def test_a_deductible_accumulating_across_runs_gives_the_same_835s_on_both_stores(tmp_path,
                                                                                  pg_url):
    lite = _member_e_runs(tmp_path / "s", tmp_path / "h.db")
    pg = _member_e_runs(tmp_path / "p", pg_url)
    assert pg == lite  # every 835, byte for byte
    one, two, three, four = (_clp(data) for data in pg)
    # CLP03-05 (charge, paid, member's share). Run 1, deductible 250.00: E1 2 days x 110.00
    # = 220.00 (charge 300.00) all deductible, paid 0; E2 5 days = 550.00 (charge 750.00):
    # deductible 30.00, coinsurance 20% x 520.00 = 104.00, paid 416.00, share 134.00
    assert (one["E1"][3:6], one["E2"][3:6]) == (["300", "0", "220"], ["750", "416", "134"])
    # run 2 reads 250.00 / 354.00 from the server: E3 7 days = 770.00, coinsurance 154.00
    # but 500.00 - 354.00 = 146.00 of the out-of-pocket maximum left, paid 624.00; E4 770.00
    # and no share (CLP05 left out)
    assert (two["E3"][3:6], two["E4"][3:6]) == (["1050", "624", "146"], ["1050", "770", ""])
    # run 3: E5's 03-21 and 03-22 were paid to E4 in run 2 (services kept on the server):
    # 450.00 x 2/3 = 300.00 CO-97, 1 day at 110.00 paid
    assert three["E5"][3:5] == ["450", "110"]
    assert "SVC*HC:S9501*450*110**1**3~" in pg[2].decode()
    # run 4: the void of E3 reverses its 624.00 (CLP02 22)
    assert four["E3"][2:5] == ["22", "-1050", "-624"]
    with PostgresHistory(pg_url, readonly=True) as h:
        bh = h.load([MEMBER_E])[MEMBER_E]
        # E3's 146.00 out of pocket and its 7 days are taken back: 250.00, 500.00 - 146.00
        assert bh.accumulated(PLAN, YEAR) == (D("250.00"), D("354.00"))
        # S9500 days kept: E1 2 + E2 5 + E4 7; E5's one S9501 day
        assert sorted(s.code for s in bh.services) == ["S9500"] * 14 + ["S9501"]
        assert h.check() == []
        assert [r.status for r in h.runs()] == ["done"] * 4


def test_the_whole_contract_file_on_postgresql_remits_as_on_sqlite(tmp_path, pg_url):
    # every scenario of issue 12 (per diem, bundling, visit limit, authorizations, drugs,
    # the multiplier schedule) in one run: the rules that read services and accumulators
    # see the same history whichever store keeps it
    lite = _adjudicate([CLAIMS], tmp_path / "s.835", tmp_path / "h.db", 1)
    pg = _adjudicate([CLAIMS], tmp_path / "p.835", pg_url, 1)
    assert pg == lite
    assert "CAS*PR*3*25~" in pg.decode() and "CAS*CO*234*45~" in pg.decode()
    with open_history(tmp_path / "h.db") as a, PostgresHistory(pg_url, readonly=True) as b:
        members = sorted({s[9] for s in segments_of(pg) if s[:3] == ["NM1", "QC", "1"]})
        for m, (x, y) in zip(members, zip(a.load(members).values(), b.load(members).values())):
            assert [(s.day, s.code, s.kind, s.units, s.plan) for s in x.services] == [
                (s.day, s.code, s.kind, s.units, s.plan) for s in y.services], m
            assert {k: sorted(v.values()) for k, v in x.accumulations.items()} == {
                k: sorted(v.values()) for k, v in y.accumulations.items()}, m


def test_cli_history_accumulation_takes_a_postgresql_url(tmp_path, pg_url):
    r = cli("history", "accumulation", "--history", pg_url, "--member", MEMBER_E, "--plan",
            PLAN, "--plan-year", "2026-01-01", "--deductible", "250", "--out-of-pocket", "400.00")
    assert r.exit_code == 0, r.output
    assert MEMBER_E not in r.output and "deductible 250.00, out of pocket 400.00" in r.output
    with PostgresHistory(pg_url, readonly=True) as h:
        assert h.load([MEMBER_E])[MEMBER_E].accumulated(PLAN, YEAR) == (D("250.00"), D("400.00"))
    claims = [c for c in read_837p(CLAIMS) if c.patient_control_number == "E2"]
    e2 = write_claims(tmp_path / "e2.837", claims)
    # `price` looks at the history read-only: it sees what was met, decides nothing
    r = cli("price", e2, "--contract", CONTRACTS, "--rates", SYNTHETIC_RATES, "--history",
            pg_url, "-o", tmp_path / "e2.json")
    assert r.exit_code == 0, r.output
    (priced,) = json.loads((tmp_path / "e2.json").read_text())["claims"]
    assert (priced["total_paid"], priced["patient_responsibility"]) == ("450.00", "100.00")
    with PostgresHistory(pg_url, readonly=True) as h:
        assert h.runs() == [] and h.load([MEMBER_E])[MEMBER_E].services == []
    data = _adjudicate([e2], tmp_path / "e2.835", pg_url, 1)
    # E2: 550.00 allowed, no deductible left; 20% x 550.00 = 110.00 but 500.00 - 400.00 =
    # 100.00 left of the maximum: PR-2 100.00, paid 450.00
    assert _clp(data)["E2"][4:6] == ["450", "100"]
    r = cli("history", "accumulation", "--history", pg_url, "--member", MEMBER_E, "--plan",
            PLAN, "--plan-year", "2026-01-01", "--out-of-pocket", "1e3")
    assert r.exit_code == 1 and "Traceback" not in r.output
