"""The envelope pre-check (edi_hit.x12.prescan) gives every transaction set the verdict
an EnvelopeTracker fed segment by segment gives it: on every corpus file, on mutated
fixtures (broken trailers, missing SE, line breaks, empty and indented segments, other
delimiters, bad bytes), at tiny chunk sizes, and on fuzzed input."""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import FIXTURES, corpus_files
from edi_hit.errors import Finding, X12Error
from edi_hit.x12 import EnvelopeTracker, SegmentReader
from edi_hit.x12.prescan import EnvelopeScan, check_transaction_sets, rereadable
from test_fuzz_reader import SEEDS, mutate as fuzz_mutate, mutated_files

HIT = (FIXTURES / "837p" / "hit_claims.837").read_bytes().replace(b"\n", b"")
SET_IDS = {"ISA", "IEA", "GS", "GE", "ST", "SE"}


def oracle(data, name=None) -> list:
    """Verdicts the slow way: every segment through SegmentReader, every envelope segment
    through a plain EnvelopeTracker; a set ends at its SE (SE01/SE02 findings), at any
    other envelope segment or at the end (a missing-se finding; before GS, ISA and IEA the
    tracker has none, so the reader's own is expected)."""
    tracker = EnvelopeTracker(file=name)
    verdicts: list = []
    open_set = False
    reader = SegmentReader(data, name)
    index = 0

    def missing(sid, index, controls):
        return Finding("error", "missing-se",
                       f"transaction set {controls[2]} has no SE before {sid}", file=name, segment_index=index, segment_id=sid,
                       interchange_control=controls[0], group_control=controls[1],
                       transaction_control=controls[2])

    try:
        for seg in reader:
            index = reader.index
            sid = seg[0]
            if sid not in SET_IDS:
                continue
            t = tracker
            controls = (t.interchange.control_number if t.interchange else None,
                        t.group.control_number if t.group else None,
                        t.transaction.control_number if t.transaction else None)
            n = len(t.findings)
            t.feed(seg, index)
            new = t.findings[n:]
            if open_set and sid == "SE":
                verdicts.append(tuple(f for f in new if f.code in ("se01-count", "se02-control"))
                                or None)
                open_set = False
            elif open_set:
                verdicts.append(tuple(f for f in new if f.code == "missing-se")
                                or (missing(sid, index, controls),))
                t.transaction = None
                open_set = False
            if sid == "ST":
                open_set = True
        n = len(tracker.findings)
        tracker.finish(index)
        if open_set:
            verdicts.append(tuple(f for f in tracker.findings[n:] if f.code == "missing-se"))
    except X12Error as exc:
        if index == 0:
            return []
        if open_set:
            verdicts.append((exc.to_finding("unreadable"),))
    return verdicts


def scans(data, name=None):
    """(fast pass at the default chunk size, fast pass in tiny chunks, segment pass)."""
    tiny = EnvelopeScan(name, chunk_size=97)
    seg = EnvelopeScan(name)
    src = data if isinstance(data, bytes) else data.read_bytes()
    return (check_transaction_sets(data, name), tiny.run(data),
            seg._segments(io.BytesIO(src)))


def test_a_sound_file_has_one_none_per_transaction_set():
    assert check_transaction_sets(HIT) == [None]
    scan = EnvelopeScan()
    assert scan.run(HIT) == [None] and scan.fast


@pytest.mark.parametrize("kind", ["837p", "835", "invalid"])
def test_every_corpus_file_gets_the_trackers_verdicts(kind):
    files = corpus_files(kind)
    if not files:
        pytest.skip("../shared/corpus is not beside the checkout")
    for path in files:
        want = oracle(path, str(path))
        fast, tiny, seg = scans(path, str(path))
        assert fast == want, path.name
        assert tiny == want, path.name
        assert seg == want, path.name


def _hit(*pairs):
    data = HIT
    for old, new in pairs:
        assert data.count(old) == 1, old
        data = data.replace(old, new)
    return data


def _two_sets(first_se=b"SE*70*0001", second_se=b"SE*70*0002"):
    st, ge = HIT.index(b"ST*837"), HIT.index(b"GE*")
    body = HIT[st:ge]
    second = body.replace(b"ST*837*0001", b"ST*837*0002").replace(b"SE*70*0001", second_se)
    return HIT[:st] + body.replace(b"SE*70*0001", first_se) + second + \
        HIT[ge:].replace(b"GE*1*1", b"GE*2*1")


def _other_delimiters(data):
    return data.replace(b"*", b"|").replace(b"~", b"\n")


ISA2 = HIT[:HIT.index(b"IEA*")].replace(b"000000001", b"000000002")
MUTATIONS = {
    "sound": HIT,
    "se01": _hit((b"SE*70*0001", b"SE*71*0001")),
    "se02": _hit((b"SE*70*0001", b"SE*70*0002")),
    "se01 and se02": _hit((b"SE*70*0001", b"SE*7*9")),
    "se without elements": _hit((b"SE*70*0001", b"SE")),
    "no se before ge": _hit((b"SE*70*0001~", b"")),
    "truncated": HIT[:HIT.index(b"SE*70")],
    "truncated mid segment": HIT[:HIT.index(b"SE*70") - 5],
    "last segment without terminator": HIT.rstrip(b"~"),
    "two sets, first broken": _two_sets(first_se=b"SE*69*0001"),
    "two sets, second broken": _two_sets(second_se=b"SE*70*0003"),
    "st inside st": _two_sets(first_se=b"REF*XX*1"),
    "no se before gs": _hit((b"SE*70*0001~GE*1*1~", b"GS*HC*A*B*20260302*0930*2*X*005010X222A1~")),
    "no se before iea": _hit((b"SE*70*0001~GE*1*1~", b"")),
    "no se before isa": _hit((b"SE*70*0001~GE*1*1~IEA*1*000000001~", b"")) + ISA2,
    "se outside st": HIT.replace(b"IEA*", b"SE*1*1~IEA*"),
    "crlf": HIT.replace(b"~", b"~\r\n"),
    "lf": HIT.replace(b"~", b"~\n"),
    "breaks inside segments": HIT.replace(b"*", b"*\r\n", 7),
    "empty segment": _hit((b"N3*100 MAIN ST~", b"N3*100 MAIN ST~~")),
    "empty segment, sound after": _hit((b"N3*100 MAIN ST~", b"N3*100 MAIN ST~~"),
                                       (b"SE*70*0001", b"SE*70*0001")),
    "blank lines": HIT.replace(b"~", b"~\n\n"),
    "indented": HIT.replace(b"~", b"~\n  "),
    "tab": _hit((b"~SE*70", b"~\tSE*70")),
    "bom": b"\xef\xbb\xbf" + HIT,
    "leading white space": b"\n\n  " + HIT,
    "text before isa": b"Claims for March\n" + HIT,
    "latin-1 byte": _hit((b"ROE*RICHARD", b"RO\xc9*RICHARD")),
    "newline terminator": HIT.replace(b"~", b"\n"),
    "newline terminator, crlf": HIT.replace(b"~", b"\r\n"),
    "second isa, same delimiters": HIT + ISA2.replace(b"SE*70*0001", b"SE*70*0009")
    + b"GE*1*1~IEA*1*000000002~",
    "second isa, other delimiters": HIT + _other_delimiters(
        ISA2.replace(b"SE*70*0001", b"SE*70*0009") + b"GE*1*1~IEA*1*000000002~"),
    "later isa that does not parse": HIT[:HIT.index(b"GE*")] + b"ISA*00~" + HIT[HIT.index(b"GE*"):],
    "broken later isa inside a set": HIT.replace(b"~LX*1~", b"~ISA*00*~LX*1~", 1),
    "isa-like segment": _hit((b"~N3*100 MAIN ST~", b"~ISAX*1~")),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutated_fixture_gets_the_trackers_verdicts(name):
    data = MUTATIONS[name]
    want = oracle(data, "t.837")
    fast, tiny, seg = scans(data, "t.837")
    assert fast == want
    assert tiny == want
    assert seg == want


def test_verdicts_name_the_finding_and_its_place():
    (v,) = check_transaction_sets(MUTATIONS["se01 and se02"], "t.837")
    assert [(f.code, f.segment_index, f.segment_id, f.element, f.file) for f in v] == [
        ("se01-count", 72, "SE", "SE01", "t.837"), ("se02-control", 72, "SE", "SE02", "t.837")]
    assert (v[0].interchange_control, v[0].group_control, v[0].transaction_control) == \
        ("000000001", "1", "0001")
    (v,) = check_transaction_sets(MUTATIONS["no se before iea"])
    assert [(f.code, f.segment_index, f.message) for f in v] == [
        ("missing-se", 72, "transaction set 0001 has no SE before IEA")]
    first, second = check_transaction_sets(MUTATIONS["two sets, second broken"])
    assert first is None and second[0].code == "se02-control"
    (v,) = check_transaction_sets(MUTATIONS["truncated"])
    assert v[0].message == "file ends inside transaction set 0001 (no SE)"


def test_the_fast_pass_handles_plain_files_and_gives_up_on_the_others():
    for name in ("sound", "crlf", "lf", "two sets, first broken", "second isa, same delimiters",
                 "newline terminator", "newline terminator, crlf", "truncated mid segment"):
        scan = EnvelopeScan()
        scan.run(MUTATIONS[name])
        assert scan.fast, name
    for name in ("empty segment", "indented", "latin-1 byte", "text before isa",
                 "second isa, other delimiters", "later isa that does not parse"):
        scan = EnvelopeScan()
        scan.run(MUTATIONS[name])
        assert not scan.fast, name


def test_a_file_object_is_put_back_where_it_stood(tmp_path):
    path = tmp_path / "a.837"
    path.write_bytes(b"junk" + MUTATIONS["se02"])
    with open(path, "rb") as fh:
        fh.seek(4)
        (v,) = check_transaction_sets(fh)
        assert fh.tell() == 4 and v[0].code == "se02-control" and v[0].file == str(path)
    assert check_transaction_sets(tmp_path / "missing.837") == []
    assert check_transaction_sets(b"%PDF-1.4") == []
    assert rereadable(path) and rereadable(b"x") and not rereadable(_Pipe())


class _Pipe:
    def read(self, n=-1):
        return b""

    def seekable(self):
        return False


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(mutated_files)
def test_fuzzed_files_get_the_trackers_verdicts(case):
    seed, ops = case
    data = fuzz_mutate(SEEDS[seed], ops)
    want = oracle(data, "f.x12")
    assert check_transaction_sets(data, "f.x12") == want
    assert EnvelopeScan("f.x12", chunk_size=211).run(data) == want


def unreadable_rest() -> bytes:
    """A set whose rest cannot be read: an ISA that does not parse where the segment
    reader starts a new buffer (its first megabyte ends with a terminator)."""
    from edi_hit.x12.reader import CHUNK_SIZE
    head = HIT[:HIT.index(b"LX*1~") + 5]
    pad = CHUNK_SIZE - len(head)
    filler = b"NTE*ADD*" + b"X" * 990 + b"~"
    body = filler * (pad // len(filler))
    rest = pad - len(body)
    body += b"NTE*ADD*" + b"Y" * (rest - 9) + b"~"
    data = head + body
    assert len(data) == CHUNK_SIZE and data.endswith(b"~")
    return data + b"ISA*00~" + HIT[HIT.index(b"LX*1~") + 5:]


def test_a_rest_that_cannot_be_read_is_the_open_sets_verdict():
    data = unreadable_rest()
    want = oracle(data, "t.837")
    assert [[f.code for f in v] for v in want] == [["unreadable"]]
    assert check_transaction_sets(data, "t.837") == want
