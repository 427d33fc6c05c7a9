"""read-835 streams: the reader hands out one claim at a time (RemittanceReader.events,
stream_835), read_835 keeps nothing of a Remittance it handed out, and the CLI writes
JSON (byte for byte the document it always wrote) and NDJSON as it reads."""
from __future__ import annotations

import gc
import io
import json
import sys
from datetime import datetime
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, ROOT, corpus_files
from edi_hit.cli import main
from edi_hit.formats import dump_document
from edi_hit.pipeline import adjudicate
from edi_hit.schemas import errors as schema_errors
from edi_hit.x835 import RemitClaim, Remittance, RemittanceReader, read_835
from edi_hit.x835.read import stream_835
from edi_hit.x835.remit_json import RemitWriter

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0)


def all_835s() -> list:
    return [*corpus_files("835"), *sorted(FIXTURES.rglob("*.835"))]


def old_document(paths) -> str:
    """What read-835 wrote before it streamed: the whole document, then dump_document."""
    remits, findings = [], []
    for p in paths:
        reader = RemittanceReader(p, str(p))
        remits.extend(reader)
        findings.extend(reader.findings)
    out = io.StringIO()  # the one JSON layout (edi_hit.formats)
    dump_document({"remittances": [r.to_dict() for r in remits],
                   "findings": [f.to_dict() for f in findings]}, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_835(tmp_path_factory) -> bytes:
    """1,200 claims in one transaction set (one billing provider), adjudicated."""
    folder = tmp_path_factory.mktemp("big835")
    src = folder / "in.837"
    write_hit_837(src, 1200, providers=1)
    out = io.BytesIO()
    adjudicate([src], output=out, assume_dme_drug=True, now=NOW)
    return out.getvalue()


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


# -- the reader --------------------------------------------------------------------------

def test_events_give_every_claim_of_read_835_in_order_with_the_same_transactions():
    files = all_835s()
    assert len(files) >= 3
    for p in files:
        whole = list(read_835(p))
        claims, ends = [], []
        for ev in stream_835(p):
            if ev.claim is not None:
                claims.append(ev.claim.to_dict())
                assert ev.remittance.claims == []  # not kept
            else:
                ends.append(ev.remittance)
        assert claims == [c.to_dict() for r in whole for c in r.claims], p.name
        assert [{**r.to_dict(), "claims": []} for r in whole] == [r.to_dict() for r in ends]


def _bump(data: bytes, segment: str, element: int, by: str) -> bytes:
    """The first `segment` with element n changed by `by` (an amount)."""
    text = data.decode()
    i = text.index(segment + "*")
    j = text.index("~", i)
    parts = text[i:j].split("*")
    parts[element] = str(D(parts[element]) + D(by))
    return (text[:i] + "*".join(parts) + text[j:]).encode()


def test_a_claim_event_carries_its_balancing_findings():
    data = (FIXTURES / "demo" / "dme-mac.835").read_bytes()
    bad = _bump(data, "CLP", 3, "0.01")  # CLP03 one cent more: the claim equation is off
    events = list(stream_835(bad))
    ev = next(e for e in events if e.claim is not None)
    assert [f.code for f in ev.claim_findings] == ["balance-claim"]
    assert "(off by 0.01)" in ev.claim_findings[0].message
    assert [e.claim_findings for e in events if e.claim is not None][1:] == \
        [()] * (sum(e.claim is not None for e in events) - 1)
    end = next(e for e in events if e.claim is None)
    assert [f.code for f in end.remittance.findings] == ["balance-claim"]  # BPR sums CLP04
    assert end.remittance.findings == next(iter(read_835(bad))).findings


def _alive(kind) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def test_streaming_holds_one_claim_whatever_the_size_of_the_transaction(big_835):
    assert big_835.count(b"ST*835*") == 1
    gc.collect()
    before = _alive(RemitClaim)
    most = n = 0
    for ev in stream_835(big_835):
        n += ev.claim is not None
        if n % 500 == 1:
            most = max(most, _alive(RemitClaim) - before)
    assert n == 1200
    assert most <= 2  # the claim handed out (and at most the one being read)
    whole = next(iter(read_835(big_835)))
    assert len(whole.claims) == 1200 and _alive(RemitClaim) - before >= 1200


def test_read_835_keeps_nothing_of_a_remittance_it_handed_out():
    data = (FIXTURES / "demo" / "dme-mac.835").read_bytes()
    two = data + data.replace(b"ISA*", b"ISA*", 1)  # the file twice: two interchanges
    gc.collect()
    it = iter(read_835(two))
    first = next(it)
    del first
    second = next(it)  # the generator read the second set with the first handed out
    gc.collect()
    assert [r for r in gc.get_objects() if type(r) is Remittance] == [second]
    assert list(it) == []


# -- the CLI ------------------------------------------------------------------------------

def test_json_output_is_byte_for_byte_the_whole_document(tmp_path):
    files = all_835s()
    for p in files:
        out = tmp_path / f"{p.stem}.json"
        r = run("read-835", p, "-o", out)
        assert r.exit_code == 0, r.output
        assert out.read_text() == old_document([p]), p.name
    out = tmp_path / "all.json"
    assert run("read-835", *files[:4], "-o", out).exit_code == 0
    assert out.read_text() == old_document(files[:4])


def test_json_output_of_a_large_transaction(tmp_path, big_835):
    src = tmp_path / "big.835"
    src.write_bytes(big_835)
    out = tmp_path / "big.json"
    assert run("read-835", src, "-o", out).exit_code == 0
    doc = json.loads(out.read_text())
    assert len(doc["remittances"][0]["claims"]) == 1200
    assert out.read_text() == old_document([src])


def claim_records(paths) -> list[dict]:
    """RemitWriter's NDJSON, a record per claim as it is read (the library's stream; the
    CLI's --format ndjson is one transaction a line, the command-line convention)."""
    out = io.StringIO()
    writer = RemitWriter(out, "ndjson")
    for p in paths:
        reader = RemittanceReader(p, str(p))
        for ev in reader.events():
            writer.add(ev)
        writer.end_file(reader.name, reader.findings)
    writer.close()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_ndjson_records_match_the_schema_and_the_remittances(tmp_path):
    files = all_835s()[:5]
    records = claim_records(files)
    for rec in records:
        assert schema_errors(rec, "remittance-ndjson") == [], rec["record"]
    claims = [rec for rec in records if rec["record"] == "claim"]
    whole = [r for p in files for r in read_835(p, name=str(p))]
    assert [c["claim"] for c in claims] == [c.to_dict() for r in whole for c in r.claims]
    remits = [rec for rec in records if rec["record"] == "remittance"]
    assert [rec["remittance"] for rec in remits] == [{**r.to_dict(), "claims": []} for r in whole]
    assert [rec["claims"] for rec in remits] == [len(r.claims) for r in whole]
    assert [rec["file"] for rec in records if rec["record"] == "file"] == [str(p) for p in files]
    first = whole[0]
    assert claims[0]["transaction_control_number"] == first.transaction_control_number
    assert claims[0]["trace_number"] == first.trace_number
    assert claims[0]["payee_id"] == first.payee.id


def test_ndjson_is_one_claim_a_line_and_strict_still_fails(tmp_path, big_835):
    src = tmp_path / "big.835"
    src.write_bytes(_bump(big_835, "SVC", 3, "-0.01"))  # SVC03 short: the line equation off
    r = run("read-835", src, "--format", "ndjson", "-o", tmp_path / "o.ndjson")
    assert r.exit_code == 1 and "error: " in r.output and "but SVC03 is -0.01" in r.output
    r = run("read-835", src, "--format", "ndjson", "--allow-rejects", "-o", tmp_path / "o.ndjson")
    assert r.exit_code == 0 and "warning: " in r.output
    records = claim_records([src])
    assert [rec["record"] for rec in records] == ["claim"] * 1200 + ["remittance", "file"]
    assert [f["code"] for f in records[0]["findings"]] == ["balance-line"]
    assert "(off by 0.01)" in records[0]["findings"][0]["message"]
    assert all(rec["findings"] == [] for rec in records[1:1200])
    assert [f["code"] for f in records[1200]["remittance"]["findings"]] == ["balance-line"]
    r = run("read-835", src, "--format", "ndjson", "--strict", "-o", tmp_path / "p.ndjson")
    assert r.exit_code == 1 and "--strict: stopped at the first" in r.output
    assert not (tmp_path / "p.ndjson").exists()


def test_read_835_of_an_837_writes_nothing_to_stdout():
    r = CliRunner().invoke(main, ["read-835", str(FIXTURES / "837p" / "hit_claims.837")])
    assert r.exit_code == 1 and "expected '835'" in r.output
    assert "remittances" not in r.output


def test_the_writer_refuses_an_unknown_format():
    with pytest.raises(ValueError):
        RemitWriter(io.StringIO(), "xml")
