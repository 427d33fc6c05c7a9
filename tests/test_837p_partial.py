"""Partial acceptance: read_837p(errors="reject") rejects broken claims and units and
goes on; every claim that enters is counted once as accepted or rejected.

Segment numbers of fixtures/837p/hit_claims.837 used below: 1 ISA, 2 GS, 3 ST, 4 BHT,
8 HL*1 (20), 10 NM1*85, 15 HL*2 (22), 20 DMG, 24 CLM HIT-2026-0001, 42 HL*3 (22),
51 CLM HIT-2026-0002, 53 LX, 54 SV1, 56 NM1*82, 57 HL*4 (22), 66 CLM HIT-2026-0003,
71 DTP, 72 SE, 73 GE, 74 IEA.
"""
from __future__ import annotations

import gc

import pytest

from conftest import FIXTURES, corpus_files
from edi_hit.claims import Claim, RejectedClaim
from edi_hit.errors import X12Error
from edi_hit.x12 import SegmentReader
from edi_hit.x837p import RejectLog, read_837p

HIT = (FIXTURES / "837p" / "hit_claims.837").read_bytes().replace(b"\n", b"")
PCNS = ["HIT-2026-0001", "HIT-2026-0002", "HIT-2026-0003"]
CONTROLS = ("000000001", "1", "0001")
INTELIGENZ = "Inteligenz__X12Parser__Example1_2_And_3_Combined.txt"


def mutate(*pairs: tuple[bytes, bytes], data: bytes = HIT) -> bytes:
    for old, new in pairs:
        assert data.count(old) == 1, old
        data = data.replace(old, new)
    return data


def with_se_count(data: bytes) -> bytes:
    """The fixture after inserting segments: SE01 set to the new count."""
    segs = data.rstrip(b"~").split(b"~")
    st = next(i for i, x in enumerate(segs) if x.startswith(b"ST*"))
    se = next(i for i, x in enumerate(segs) if x.startswith(b"SE*"))
    segs[se] = b"SE*%d*" % (se - st + 1) + segs[se].split(b"*")[2]
    return b"~".join(segs) + b"~"


def read(data, name="t.837"):
    reader = read_837p(data, name=name, errors="reject")
    items = list(reader)
    c = reader.counts
    assert c["seen"] == c["accepted"] + c["rejected"] == len(items), c
    assert c["rejected"] == sum(isinstance(i, RejectedClaim) for i in items)
    return items, reader


def kinds(items):
    return [(type(i).__name__, i.patient_control_number) for i in items]


def only_rejected(items) -> RejectedClaim:
    (r,) = [i for i in items if isinstance(i, RejectedClaim)]
    return r


# -- a bad value inside a claim --------------------------------------------------------

def test_sv1_without_charge_rejects_only_that_claim():
    items, reader = read(mutate((b"SV1*HC:G0088*425.50*UN*10***1", b"SV1*HC:G0068**UN*4")))
    assert kinds(items) == [("Claim", PCNS[0]), ("RejectedClaim", PCNS[1]), ("Claim", PCNS[2])]
    r = items[1]
    assert r.reason == "segment 54 (SV1), element SV102: bad value: expected a decimal amount, got ''"
    assert (r.file, r.segment_index, r.end_index) == ("t.837", 51, 56)
    assert (r.interchange_control, r.group_control, r.transaction_control) == CONTROLS
    (f,) = r.findings
    assert (f.severity, f.code, f.segment_index, f.segment_id, f.element, f.file) == \
        ("error", "bad-value", 54, "SV1", "SV102", "t.837")
    assert reader.counts == {"seen": 3, "accepted": 2, "rejected": 1}
    # the claims around it are whole
    assert [len(c.lines) for c in (items[0], items[2])] == [3, 1]
    assert items[2].lines[0].modifiers == ["KX"]


def test_raise_mode_is_unchanged_for_the_same_file():
    data = mutate((b"SV1*HC:G0088*425.50*UN*10***1", b"SV1*HC:G0068**UN*4"))
    with pytest.raises(X12Error) as info:
        list(read_837p(data, name="t.837"))
    assert str(info.value) == ("t.837: segment 54 (SV1), element SV102: bad value: "
                               "expected a decimal amount, got ''")


def test_bad_clm_amount_rejects_the_claim_it_opens_with_its_clm01():
    items, _ = read(mutate((b"CLM*HIT-2026-0003*260.00*", b"CLM*HIT-2026-0003*26O.00*")))
    assert kinds(items)[2] == ("RejectedClaim", PCNS[2])
    r = items[2]
    assert r.reason == "segment 66 (CLM), element CLM02: bad value: expected a decimal amount, got '26O.00'"
    assert (r.segment_index, r.end_index) == (66, 71)


def test_bad_value_in_the_last_line_then_the_next_claim_is_read():
    items, _ = read(mutate((b"DTP*472*D8*20260209", b"DTP*472*D8*20260230")))
    assert kinds(items) == [("RejectedClaim", PCNS[0]), ("Claim", PCNS[1]), ("Claim", PCNS[2])]
    assert items[0].reason == ("segment 34 (DTP), element DTP03: bad value: expected a real "
                               "calendar date CCYYMMDD, got '20260230'")
    assert (items[0].segment_index, items[0].end_index) == (24, 41)


def test_two_bad_values_in_one_claim_give_one_rejection():
    items, reader = read(mutate((b"SV1*HC:G0068*300.00", b"SV1*HC:G0068*3OO.00"),
                                (b"SV1*HC:G0068*250.00", b"SV1*HC:G0068*2S0.00")))
    assert kinds(items)[0] == ("RejectedClaim", PCNS[0])
    assert [f.segment_index for f in items[0].findings] == [29]
    assert reader.counts == {"seen": 3, "accepted": 2, "rejected": 1}


def test_sv1_before_any_lx_is_out_of_place_and_rejects_its_claim():
    items, _ = read(with_se_count(mutate((b"HI*ABK:I509~", b"HI*ABK:I509~SV1*HC:G0088*1*UN*1~"))))
    r = only_rejected(items)
    assert r.patient_control_number == PCNS[1]
    assert r.reason == ("segment 53 (SV1): segment out of place: expected a segment of loop "
                        "2300, got 'SV1'")


# -- a bad value outside a claim ---------------------------------------------------------

def test_sv1_in_the_billing_provider_rejects_every_claim_under_it():
    items, reader = read(with_se_count(
        mutate((b"N3*100 MAIN ST~", b"N3*100 MAIN ST~SV1*HC:G0068*1*UN*1~"))))
    assert kinds(items) == [("RejectedClaim", p) for p in PCNS]
    reason = ("segment 12 (SV1): segment out of place: expected a segment of loop 2010AA, "
              "got 'SV1'")
    assert {r.reason for r in items} == {reason}
    assert [(r.segment_index, r.end_index) for r in items] == [(25, 42), (52, 57), (67, 72)]
    # the finding is on the reader too: it is not only about the claims
    assert [str(f) for f in reader.findings] == [
        "t.837: segment 12 (SV1): error: segment out of place: expected a segment of loop "
        "2010AA, got 'SV1'"]


def test_bad_subscriber_date_rejects_that_subscribers_claims_only():
    items, reader = read(mutate((b"DMG*D8*19510930*M", b"DMG*D8*19511330*M")))
    assert kinds(items) == [("Claim", PCNS[0]), ("RejectedClaim", PCNS[1]), ("Claim", PCNS[2])]
    # a birth date is PHI: the reason names the element, never the value
    assert items[1].reason == ("segment 47 (DMG), element DMG02: bad value: expected a real "
                               "calendar date CCYYMMDD")
    assert "19511330" not in str(items[1].to_dict())
    assert (items[1].segment_index, items[1].end_index) == (51, 56)
    assert [f.code for f in reader.findings] == ["bad-value"]


def test_bad_hl_level_code_rejects_the_claims_of_that_level():
    items, _ = read(mutate((b"HL*3*1*22*0", b"HL*3*1*99*0")))
    assert kinds(items) == [("Claim", PCNS[0]), ("RejectedClaim", PCNS[1]), ("Claim", PCNS[2])]
    assert items[1].reason == ("segment 42 (HL), element HL03: bad value: expected hierarchical "
                               "level code 20, 22 or 23, got '99'")
    # claim 1 ended where the bad HL began
    assert items[0].lines[2].drug.ndc == "00409123401"


def test_a_subscriber_taint_covers_its_dependent_patient_and_ends_at_the_next_hl20(corpus):
    data = (corpus / "837p" / INTELIGENZ).read_bytes()
    assert data.index(b"DMG*D8*19430501*F") < data.index(b"HL*3*2*23")  # segment 20
    items, _ = read(data.replace(b"DMG*D8*19430501*F", b"DMG*D8*19430532*F", 1))
    assert kinds(items) == [("RejectedClaim", "26463774"), ("Claim", "26407789"),
                            ("Claim", "26462967")]
    r = items[0]
    assert r.reason.startswith("segment 20 (DMG), element DMG02: bad value:")
    assert (r.segment_index, r.transaction_control) == (29, "0021")


def test_bad_bht_date_rejects_the_whole_transaction_set():
    items, _ = read(mutate((b"BHT*0019*00*HIT0001*20260302", b"BHT*0019*00*HIT0001*2026030")))
    assert kinds(items) == [("RejectedClaim", p) for p in PCNS]
    assert items[2].reason == ("segment 4 (BHT), element BHT04: bad value: expected a date "
                               "CCYYMMDD, got '2026030'")


def test_wrong_version_rejects_the_group_and_an_835_has_no_claims(corpus):
    items, reader = read(mutate((b"*X*005010X222A1~ST", b"*X*005010X223A2~ST")))
    assert kinds(items) == [("RejectedClaim", p) for p in PCNS]
    assert items[0].reason == ("segment 2 (GS), element GS08: not an 837P 005010X222A1 file: "
                               "expected an 837P version 005010X222A1, got '005010X223A2'")
    items, reader = read(corpus / "invalid" / "kputnam__stupidedi__1.edi")
    assert items == [] and reader.counts == {"seen": 0, "accepted": 0, "rejected": 0}
    assert [(f.segment_id, f.element) for f in reader.findings if f.severity == "error"][:2] == \
        [("GS", "GS01"), ("ST", "ST01")]


# -- the envelope ----------------------------------------------------------------------

@pytest.mark.parametrize("old, new, reason", [
    (b"SE*70*0001", b"SE*71*0001",
     "segment 72 (SE), element SE01: SE01 says 71 segments but the transaction set has 70 (ST to SE)"),
    (b"SE*70*0001", b"SE*70*0002",
     "segment 72 (SE), element SE02: SE02 '0002' does not match ST02 '0001'"),
    (b"SE*70*0001~", b"",
     "segment 72 (GE): transaction set 0001 has no SE before GE"),
])
def test_broken_se_rejects_every_claim_of_the_set(old, new, reason):
    items, reader = read(mutate((old, new)))
    assert kinds(items) == [("RejectedClaim", p) for p in PCNS]
    assert {r.reason for r in items} == {reason}
    assert [(r.segment_index, r.end_index) for r in items] == [(24, 41), (51, 56), (66, 71)]
    assert {(r.interchange_control, r.group_control, r.transaction_control) for r in items} == {CONTROLS}
    assert reason in [f"segment {f.segment_index} ({f.segment_id}), element {f.element}: {f.message}"
                      if f.element else f"segment {f.segment_index} ({f.segment_id}): {f.message}"
                      for f in reader.findings]


def test_truncated_file_rejects_the_open_set():
    data = HIT[:HIT.index(b"SE*70*0001")]
    items, reader = read(data)
    assert kinds(items) == [("RejectedClaim", p) for p in PCNS]
    assert items[0].reason == "segment 71: file ends inside transaction set 0001 (no SE)"
    assert items[2].end_index == 71


def test_a_rejected_claim_in_a_broken_set_keeps_its_reason_and_gains_the_envelope_finding():
    items, _ = read(mutate((b"SV1*HC:G0088*425.50", b"SV1*HC:G0088*X"), (b"SE*70*0001", b"SE*9*0001")))
    assert [f.code for f in items[1].findings] == ["bad-value", "se01-count"]
    assert items[1].reason.startswith("segment 54 (SV1), element SV102:")
    assert [f.code for f in items[0].findings] == ["se01-count"]


def test_group_and_interchange_trailers_are_findings_not_rejections():
    items, reader = read(mutate((b"GE*1*1", b"GE*2*1"), (b"IEA*1*000000001", b"IEA*1*000000002")))
    assert kinds(items) == [("Claim", p) for p in PCNS]
    assert [(f.code, f.segment_index) for f in reader.findings] == [("ge01-count", 73),
                                                                   ("iea02-control", 74)]


def test_only_the_broken_set_of_two_is_rejected():
    st = HIT.index(b"ST*837")
    se_end = HIT.index(b"GE*")
    second = HIT[st:se_end].replace(b"ST*837*0001", b"ST*837*0002").replace(b"SE*70*0001", b"SE*70*0002")
    first = HIT[st:se_end].replace(b"SE*70*0001", b"SE*69*0001")
    data = HIT[:st] + first + second + HIT[se_end:].replace(b"GE*1*1", b"GE*2*1")
    items, reader = read(data)
    assert kinds(items) == [("RejectedClaim", p) for p in PCNS] + [("Claim", p) for p in PCNS]
    assert {r.transaction_control for r in items[:3]} == {"0001"}
    assert [i.envelope.transaction_control_number for i in items[3:]] == ["0002"] * 3
    assert reader.counts == {"seen": 6, "accepted": 3, "rejected": 3}


def test_a_claim_outside_a_transaction_set_is_counted_and_rejected():
    clm = HIT[HIT.index(b"CLM*HIT-2026-0003"):HIT.index(b"SE*70")]
    items, reader = read(HIT.replace(b"GE*1*1~", b"GE*1*1~" + clm))
    assert kinds(items)[3] == ("RejectedClaim", PCNS[2])
    assert items[3].reason == ("segment 74 (CLM): claim outside a transaction set: expected an ST "
                               "transaction set header before it, got 'CLM'")
    assert (items[3].segment_index, items[3].end_index) == (74, 79)
    assert reader.counts == {"seen": 4, "accepted": 3, "rejected": 1}


def test_not_x12_still_raises():
    with pytest.raises(X12Error, match="PDF"):
        list(read_837p(b"%PDF-1.4", errors="reject"))
    with pytest.raises(ValueError, match="errors must be"):
        read_837p(HIT, errors="ignore")


# -- counting on every corpus file and on mutated fixtures -------------------------------

def _x12(path) -> bool:
    try:
        for _ in SegmentReader(path):
            pass
        return True
    except X12Error:
        return False


@pytest.mark.parametrize("path", [p for p in corpus_files("837p") + corpus_files("invalid")],
                         ids=lambda p: p.name[:50])
def test_counts_on_the_corpus(path):
    if not _x12(path):
        with pytest.raises(X12Error):
            list(read_837p(path, errors="reject"))
        return
    items, reader = read(path)
    clm = sum(seg[0] == "CLM" for seg in SegmentReader(path))
    assert reader.counts["seen"] == clm
    if not any(f.severity == "error" for f in reader.findings):  # the same claims as raise mode
        assert items == list(read_837p(path))


def test_corpus_outcomes(corpus):
    counts = {p.name: read(p)[1].counts for p in corpus_files("837p")}
    # the imsweb samples all say SE01 = 25: their sets are rejected, as a 999 would
    assert counts["imsweb__x12-parser__x12_many_claims.txt"] == \
        {"seen": 820, "accepted": 0, "rejected": 820}
    assert counts[INTELIGENZ] == {"seen": 3, "accepted": 3, "rejected": 0}
    clean = [n for n, c in counts.items() if not n.startswith("imsweb")]
    assert all(counts[n]["rejected"] == 0 for n in clean), clean


def _segments(data: bytes) -> list[bytes]:
    return data.rstrip(b"~").split(b"~")


def test_every_single_bad_element_keeps_the_count():
    segs = _segments(HIT)
    runs = 0
    for i, seg in enumerate(segs):
        els = seg.split(b"*")
        for j in range(1, len(els)):
            bad = els[:j] + [b"9X:\xc3"] + els[j + 1:]
            data = b"~".join(segs[:i] + [b"*".join(bad)] + segs[i + 1:]) + b"~"
            try:
                items, reader = read(data)
            except X12Error:
                assert i == 0  # an ISA that cannot be read: the file is not X12
                continue
            runs += 1
            assert reader.counts["seen"] == 3
    assert runs > 300


def test_truncation_and_dropped_segments_keep_the_count():
    segs = _segments(HIT)
    for n in range(1, len(segs) + 1):
        items, reader = read(b"~".join(segs[:n]) + b"~")
        assert reader.counts["seen"] == sum(s.startswith(b"CLM*") for s in segs[:n])
        if n < 72:  # no SE yet: nothing can be accepted
            assert reader.counts["accepted"] == 0
    for i in range(1, len(segs)):
        items, reader = read(b"~".join(segs[:i] + segs[i + 1:]) + b"~")
        assert reader.counts["seen"] == 3 - segs[i].startswith(b"CLM*")
        # dropping any segment but GE/IEA breaks SE01, so the set is rejected
        assert reader.counts["accepted"] == (3 if i >= 72 else 0)


# -- the reader as a library object ------------------------------------------------------

def test_gc_is_restored_after_reading_and_after_closing_early():
    assert gc.isenabled()
    read(HIT)
    assert gc.isenabled()
    reader = read_837p(HIT, errors="reject")
    first = next(reader)
    assert isinstance(first, Claim)
    reader.close()
    assert gc.isenabled()
    with read_837p(HIT, errors="reject") as reader:
        next(reader)
    assert gc.isenabled()
    gc.disable()
    try:
        read(HIT)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_reject_log_gathers_files_for_a_report():
    log = RejectLog()
    bad = mutate((b"SV1*HC:G0088*425.50*UN*10***1", b"SV1*HC:G0068**UN*4"))
    got = [c.patient_control_number for c in log.accepted(read_837p(bad, name="a.837", errors="reject"))]
    got += [c.patient_control_number for c in log.accepted(read_837p(HIT, name="b.837", errors="reject"))]
    assert got == [PCNS[0], PCNS[2]] + PCNS
    assert log.counts == {"seen": 6, "accepted": 5, "rejected": 1}
    assert log.summary("parse", "r.json") == "parse: 6 claims, 5 accepted, 1 rejected (see r.json)"
    assert log.lines() == ["rejected (claim HIT-2026-0002): a.837: segment 54 (SV1), element SV102: "
                           "bad value: expected a decimal amount, got ''"]
    d = log.to_dict()
    assert d["rejected"][0]["segment_index"] == 51 and d["findings"] == []


def test_a_non_ascii_digit_in_isa09_is_not_a_crash():
    # '¹'.isdigit() is True but int('¹') fails: found by fuzzing reject mode
    data = HIT.replace(b"*260302*0930*", "*26¹302*0930*".encode(), 1)
    items, reader = read(data)
    assert kinds(items) == [("Claim", p) for p in PCNS]
    assert items[0].envelope.interchange_date is None
    # the two-byte character makes the ISA one character too long: an error finding,
    # which raise mode raises
    assert [f.code for f in reader.segment_findings] == ["isa-width"]
    with pytest.raises(X12Error, match="ISA is 106 characters long"):
        list(read_837p(data))
