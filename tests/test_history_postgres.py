"""The PostgreSQL history behind the commands: the same runs give the same 835s, byte for
byte, on SQLite and on PostgreSQL; reruns are refused and replays exact; real processes
on one database never pay twice; the URL's password never shows; without psycopg the
error names the extra. On a real server (tests/fixtures_postgres.py)."""
from __future__ import annotations

import sys
from decimal import Decimal as D

import pytest

from edi_hit.errors import DataError
from edi_hit.pricing.history import PostgresHistory, open_history
from edi_hit.pricing.history.postgres import redact
from fixtures_postgres import create_database, drop_database
from helpers_835 import pyx12_errors
from helpers_pricing import MBI, claim, dme, line
from helpers_runs import adjudicate_args, cli, drugs, one_line_error, paid_visit, write_claims
from test_pipeline_concurrency import run_pairs


def _with_deductible_met(history, *mbis):
    """As helpers_runs.history_with_deductible_met, on any store: each member has met the
    2024 deductible and the DME MAC covered a J1170 on 2024-03-01."""
    with open_history(history) as h:
        for m in mbis or (MBI,):
            h.set_deductible_met(m, 2024, D("240.00"))
        h.import_dme([dme("2024-03-01", mbi=m) for m in mbis or (MBI,)])
    return history


def _runs(folder, history):
    """Four runs on one history: C1 paid; C1 voided (PLB FB -125.44, carried); C2 paid
    and all of it recouped; C3 paid in full. The 835s' bytes and each step's output."""
    _with_deductible_met(history)
    out = []
    icn = None
    steps = [[*drugs(), paid_visit("C1")], None, [paid_visit("C2", "2024-03-12")],
             [paid_visit("C3", "2024-03-19")]]
    for n, claims in enumerate(steps, start=1):
        if claims is None:  # the void of run 1's claim, by its ICN
            claims = [claim(line("G0068", "2024-03-05"), pcn="C1", freq="8", f8=icn)]
        src = write_claims(folder / f"run{n}.837", claims, n)
        dest = folder / f"run{n}.835"
        r = cli(*adjudicate_args([src], dest, history, "--control-number", n))
        assert r.exit_code == 0, r.output
        data = dest.read_bytes()
        if icn is None:
            icn = next(seg for seg in data.split(b"~") if seg.strip().startswith(b"CLP*C1*"))
            icn = icn.split(b"*")[7].decode()
        out.append(data)
    balances = cli("ledger", "balances", "--history", history).output
    trail = cli("ledger", "claim", "C1", "--history", history).output
    return out, balances, trail


def test_the_same_runs_give_the_same_835s_on_sqlite_and_postgresql(tmp_path, pg_url):
    (tmp_path / "s").mkdir()
    (tmp_path / "p").mkdir()
    lite = _runs(tmp_path / "s", tmp_path / "s" / "h.db")
    pg = _runs(tmp_path / "p", pg_url)
    assert pg[0] == lite[0]  # every 835, byte for byte (recoupment included)
    assert b"PLB*" in pg[0][1] and b"FB:" in pg[0][1]
    assert all(pyx12_errors(data) == [] for data in pg[0])
    assert pg[1] == lite[1] and "no open balances" in pg[1]
    assert pg[2] == lite[2]  # C1's trail: decided, voided, where each went
    check = cli("ledger", "check", "--history", pg_url)
    assert check.exit_code == 0, check.output
    with PostgresHistory(pg_url, readonly=True) as h:
        runs = h.runs()
        assert [r.status for r in runs] == ["done"] * 4
        # C1 125.44, the void -125.44 (its FB +125.44 carried), C2 125.44 with FB -125.44,
        # C3 125.44: the BPR02s add up to 250.88
        assert sum(D(r.totals["payment"]) for r in runs) == D("250.88")


def test_a_rerun_is_refused_and_a_replay_is_byte_for_byte(tmp_path, pg_url):
    _with_deductible_met(pg_url)
    src = write_claims(tmp_path / "a.837", [*drugs(), paid_visit("C1")])
    first = cli(*adjudicate_args([src], tmp_path / "a.835", pg_url))
    assert first.exit_code == 0, first.output
    again = cli(*adjudicate_args([src], tmp_path / "b.835", pg_url))
    assert again.exit_code == 1 and "was adjudicated already, in run 1" in again.output
    assert not (tmp_path / "b.835").exists()
    replay = cli(*adjudicate_args([src], tmp_path / "c.835", pg_url, "--replay"))
    assert replay.exit_code == 0, replay.output
    assert (tmp_path / "c.835").read_bytes() == (tmp_path / "a.835").read_bytes()


def test_the_password_never_shows(pg_server):
    assert redact("postgresql://ann:s3cret@db.example:5432/hist?sslmode=require&password=s3cret") \
        == "postgresql://ann@db.example:5432/hist?sslmode=require"
    # a server that is not there: the message names the URL without the password
    base = pg_server.rsplit("/", 1)[0].replace("edihit@", "edihit:s3cret@")
    port = base.rsplit(":", 1)[1]
    url = base.replace(f":{port}", ":1") + "/nothing"
    with pytest.raises(DataError, match="cannot connect to the history") as err:
        PostgresHistory(url)
    assert "s3cret" not in str(err.value) and "postgresql://edihit@127.0.0.1:1/nothing" in str(
        err.value)
    r = cli("ledger", "runs", "--history", url)
    assert r.exit_code == 1 and one_line_error(r.output) and "s3cret" not in r.output


def test_without_psycopg_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg fails
    with pytest.raises(DataError, match=r"needs psycopg 3: pip install 'edi-hit\[postgres\]'"):
        open_history("postgresql://u:pw@127.0.0.1:5/h")
    r = cli("ledger", "runs", "--history", "postgresql://u:pw@127.0.0.1:5/h")
    assert r.exit_code == 1 and one_line_error(r.output) and "edi-hit[postgres]" in r.output
    assert "pw@" not in r.output


def test_a_database_of_another_application_is_refused(pg_url):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(DataError, match="not an edi-hit history database"):
        PostgresHistory(pg_url)


def test_a_read_only_look_at_an_empty_database_creates_nothing(pg_url):
    with pytest.raises(DataError, match="no edi-hit history in this database"):
        PostgresHistory(pg_url, readonly=True)


def test_concurrent_processes_on_one_database_never_pay_twice(tmp_path, pg_server):
    """The SQLite concurrency test's scenario (test_pipeline_concurrency), each pair of
    real processes on a PostgreSQL database of its own: overlapping members, started
    together; some second run waited for the first."""
    names = {}

    def new_database(folder):
        name, url = create_database(pg_server)
        names[url] = name
        return url

    waited = run_pairs(tmp_path, 10, new_database,
                       lambda url: PostgresHistory(url, readonly=True),
                       lambda url: drop_database(pg_server, names[url]))
    assert waited > 0
