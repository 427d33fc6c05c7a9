"""Reject mode streams: when the source can be read twice, the envelope pre-check gives
each transaction set's verdict first and claims are handed out as they complete. The
stream is item for item what holding each set until its SE gives (the path a pipe
still takes), and memory stays at a claim or two, however many claims share one ST."""
from __future__ import annotations

import gc
import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import ROOT, corpus_files
from edi_hit.claims import Claim, RejectedClaim, Subscriber
from edi_hit.errors import X12Error
from edi_hit.x12.prescan import check_transaction_sets
from edi_hit.x837p import RejectLog, read_837p
from edi_hit.x837p import claim_handlers as handlers_module
from edi_hit.x837p import machine as machine_module
from test_fuzz_reader import SEEDS, mutate as fuzz_mutate, mutated_files
from test_x12_prescan import MUTATIONS

sys.path.insert(0, str(ROOT / "tools"))
from synth import write_hit_837  # noqa: E402


class Pipe(io.RawIOBase):
    """A source that can be read once (like `parse -` from a pipe)."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def seekable(self):
        return False

    def readinto(self, buf):
        return self._data.readinto(buf)


def outcome(source, name="t.837", **kw):
    """Everything a reject-mode read shows: items, counts, findings, the report lines."""
    reader = read_837p(source, name=name, errors="reject", **kw)
    log = RejectLog()
    items = []
    for item in reader:
        items.append(item.to_dict())
        if item.__class__ is RejectedClaim:
            log.rejected.append(item)
    # an envelope finding in a rejection is the very object the reader lists
    for r in log.rejected:
        for f in r.findings:
            if f.code in ("se01-count", "se02-control", "missing-se", "unreadable"):
                assert any(f is g for g in reader.findings), f
    log.findings.extend(reader.all_findings)
    return (items, reader.counts, [f.to_dict() for f in reader.all_findings], log.lines(100),
            reader.streaming)


def same_as_held(data: bytes):
    try:
        held = outcome(Pipe(data))
    except X12Error as exc:
        with pytest.raises(X12Error) as again:
            outcome(data)
        assert str(again.value) == str(exc)
        return None
    streamed = outcome(data)
    assert held[4] is False and streamed[4] is True
    assert streamed[:4] == held[:4]
    return streamed


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_streaming_is_item_for_item_what_holding_gives(name):
    same_as_held(MUTATIONS[name])


def test_streaming_on_every_corpus_837p_file():
    files = corpus_files("837p") + corpus_files("invalid")
    if not files:
        pytest.skip("../shared/corpus is not beside the checkout")
    for path in files:
        same_as_held(path.read_bytes())


def test_claims_of_a_broken_set_stream_out_rejected_before_the_se_is_read():
    data = MUTATIONS["se02"]
    reader = read_837p(data, name="t.837", errors="reject")
    first = next(reader)
    assert isinstance(first, RejectedClaim) and first.patient_control_number == "HIT-2026-0001"
    assert first.reason == "segment 72 (SE), element SE02: SE02 '0002' does not match ST02 '0001'"
    assert reader.counts == {"seen": 1, "accepted": 0, "rejected": 1}  # SE not read yet
    assert reader.findings == []
    rest = list(reader)
    assert len(rest) == 2 and reader.findings[0] is first.findings[0]


def test_precomputed_verdicts_are_used_instead_of_a_second_scan(monkeypatch):
    data = MUTATIONS["two sets, first broken"]
    verdicts = check_transaction_sets(data, "t.837")

    class NoScan:
        def __init__(self, *a, **k):
            raise AssertionError("scanned again")

    monkeypatch.setattr(machine_module, "EnvelopeScan", NoScan)
    got = outcome(data, envelope_verdicts=verdicts)
    monkeypatch.undo()
    assert got[:4] == outcome(Pipe(data))[:4]


def test_verdicts_that_disagree_with_the_file_stop_the_read():
    sound, broken = MUTATIONS["sound"], MUTATIONS["se01"]
    with pytest.raises(X12Error, match="pre-check disagrees"):
        list(read_837p(broken, errors="reject", envelope_verdicts=check_transaction_sets(sound)))
    with pytest.raises(X12Error, match="fewer transaction sets"):
        list(read_837p(sound, errors="reject", envelope_verdicts=[]))
    with pytest.raises(X12Error, match="more transaction sets"):
        list(read_837p(sound, errors="reject", envelope_verdicts=[None, None]))


def test_a_seekable_file_object_streams_and_is_read_from_where_it_stands(tmp_path):
    path = tmp_path / "a.837"
    path.write_bytes(b"junk" + MUTATIONS["se01"])
    with open(path, "rb") as fh:
        fh.seek(4)
        got = outcome(fh, name=str(path))
    assert got[4] is True
    assert got[:4] == outcome(Pipe(MUTATIONS["se01"]), name=str(path))[:4]


@settings(max_examples=100, deadline=3000, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(mutated_files)
def test_fuzzed_files_stream_as_they_are_held(case):
    seed, ops = case
    same_as_held(fuzz_mutate(SEEDS[seed], ops))


# -- memory: a claim or two at a time, however many claims one ST holds ----------------

@pytest.fixture(scope="module")
def one_big_set(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "one-st.837"
    write_hit_837(path, 5000)  # one ST for all 5,000 claims
    return path


def _max_claims_alive(source, monkeypatch) -> tuple[int, int]:
    """Read in reject mode, dropping each item; (most Claims alive at once, items)."""
    alive = [0, 0]

    class Counted(handlers_module.Claim):  # a subclass gets __weakref__ and __del__
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            alive[0] += 1
            alive[1] = max(alive[1], alive[0])

        def __del__(self):
            alive[0] -= 1

    monkeypatch.setattr(handlers_module, "Claim", Counted)
    n = 0
    for item in read_837p(source, errors="reject"):
        n += 1
        del item
    monkeypatch.undo()
    return alive[1], n


def test_a_5000_claim_transaction_set_is_read_a_claim_at_a_time(one_big_set, monkeypatch):
    assert gc.isenabled()
    peak, n = _max_claims_alive(one_big_set, monkeypatch)
    assert n == 5000
    assert peak <= 3, f"{peak} claims were alive at once"
    assert gc.isenabled()  # streaming pauses nothing


def test_a_pipe_holds_its_set_as_text_not_as_claim_objects(one_big_set):
    # A source read once holds each set until its SE: the claims' segments (as a lazy
    # read keeps them), not about 50 objects a claim for the cyclic GC to scan again
    # and again; each claim is built as it is handed out.
    reader = read_837p(Pipe(one_big_set.read_bytes()), errors="reject")
    before = len(gc.get_objects())
    first = next(reader)          # the set has ended: all 5,000 claims are held now
    held = len(gc.get_objects()) - before
    assert held < 5 * 5000, f"{held} objects tracked for 5,000 held claims"
    rest = list(reader)
    assert len(rest) == 4999
    streamed = list(read_837p(one_big_set, errors="reject"))
    for got, want in zip([first] + rest, streamed):
        assert type(got) is Claim and type(got.subscriber) is Subscriber
        assert got.to_dict() == want.to_dict()


def test_a_rest_that_cannot_be_read_rejects_the_open_set_when_streaming_too():
    from test_x12_prescan import unreadable_rest
    items, counts, findings, lines, streaming = same_as_held(unreadable_rest())
    assert counts["rejected"] == counts["seen"] >= 1
    assert items[0]["findings"][-1]["code"] == "unreadable"
