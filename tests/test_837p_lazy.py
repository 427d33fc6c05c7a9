"""read_837p(..., lazy=True) is the eager read, decided the same way.

A differential test: for every input the lazy and the eager read hand out the same
items (each claim's to_dict(full=True), each rejection's to_dict), the same counts and
findings, and in raise mode the same claims before the same error. The inputs: every
fixture, every corpus 837P (and every invalid corpus file), every single-segment
deletion and duplication of hit_claims.837 (the integrity test's exhaustive set) and of
LAZY_BASE, a file whose subscribers and claims take every lazy path (a Unit, a Run,
claims under one subscriber, a payer with and without its address, a claim the shapes
do not cover), element mutations of LAZY_BASE's shaped segments (amounts, dates,
pointers, components, element counts at and past their limits), held sets (a pipe),
envelope="warn", and byte-level fuzz of the fuzz test's seeds.
"""
from __future__ import annotations

import copy
import pickle
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import FIXTURES, corpus_files
from edi_hit.claims import Claim, Payer, RejectedClaim, Subscriber
from edi_hit.errors import X12Error
from edi_hit.x837p import read_837p
from edi_hit.x837p import rejects as rejects_module
from edi_hit.x837p.lazy import LazyClaim, LazyPayer, LazySubscriber, Run, Unit
from test_837p_integrity import CASES as INTEGRITY_CASES
from test_837p_integrity import with_se_count
from test_837p_reject_stream import Pipe
from test_fuzz_reader import SEEDS, mutate, mutated_files


_HEAD = [
    "ISA*00*          *00*          *ZZ*SUNRISE01      *ZZ*MACJ6          *260302*0930*^*"
    "00501*000000001*0*T*:",
    "GS*HC*SUNRISE01*MACJ6*20260302*0930*1*X*005010X222A1",
    "ST*837*0001*005010X222A1",
    "BHT*0019*00*HIT0001*20260302*0930*CH",
    "NM1*41*2*SUNRISE HOME INFUSION*****46*SUNRISE01",
    "PER*IC*EDI DESK*TE*2175550101",
    "NM1*40*2*MEDICARE PART B MAC*****46*MACJ6",
    "HL*1**20*1",
    "PRV*BI*PXC*3336H0001X",
    "NM1*85*2*SUNRISE HOME INFUSION*****XX*1234567893",
    "N3*100 MAIN ST",
    "N4*SPRINGFIELD*IL*627010001",
    "REF*EI*371234567",
]
_UNIT = [   # a subscriber level and a claim after the billing provider: Units
    "HL*2*1*22*0",
    "SBR*P*18*******MB",
    "NM1*IL*1*DOE*JANE****MI*1EG4TE5MK73",
    "N3*12 OAK AVE",
    "N4*SPRINGFIELD*IL*627020000",
    "DMG*D8*19480412*F",
    "REF*SY*123456789",
    "PER*IC*JANE DOE*TE*2175550199",
    "NM1*PR*2*MEDICARE PART B MAC*****PI*00952",
    "N3*PO BOX 1000",
    "N4*INDIANAPOLIS*IN*462060000",
    "REF*2U*00952",
    "CLM*A1*100.50***12:B:1*Y*A*Y*Y",
    "DTP*431*D8*20260101",
    "REF*G1*PA1",
    "NTE*ADD*CLAIM NOTE",
    "AMT*F5*10",
    "HI*ABK:A419*ABF:B20",
    "NM1*82*1*NURSE*NORA****XX*1987654328",   # 2310B rendering provider
    "PRV*PE*PXC*163W00000X",
    "REF*G2*R1",
    "LX*1",
    "SV1*HC:G0068:KX*50.25*UN*2***1:2",
    "DTP*472*D8*20260105",
    "REF*6R*1",
    "NTE*ADD*LINE NOTE",
    "LX*2",
    "SV1*HC:J0285*50.25*UN*1***1",
    "DTP*472*RD8*20260106-20260107",
    "LIN**N4*00409123401",                     # 2410 drug
    "CTP****100*ML",
    "REF*XZ*RX1",
    "NM1*DK*1*WELBY*MARCUS****XX*1112223338",  # 2420E ordering provider
    "N3*1 A ST",
    "N4*SPRINGFIELD*IL*627020000",
    "REF*G2*O1",
    "PER*IC*DESK*TE*2175550100",
]
_RUN = [   # claims after a claim while the read is clean: a Run
    "CLM*A2*75***12:B:1*Y*A*Y*Y",          # a second claim of the same subscriber
    "HI*ABK:A419",
    "LX*1",
    "SV1*HC:J0285*75*UN*4***1",
    "DTP*472*D8*20260108",
    "LIN**N4*00409123401",                 # (ends in 2410)
    "CTP****10*ML",
    "HL*3*1*22*0",                         # a subscriber whose payer has no address
    "SBR*P*18*******MB",
    "NM1*IL*1*ROE*RICHARD****MI*2AC3CD4EF56",
    "N3*1 ELM ST",
    "N4*SPRINGFIELD*IL*627020000",
    "DMG*D8*19510930*M",
    "NM1*PR*2*MEDICARE PART B MAC*****PI*00952",
    "CLM*A3*40***12:B:1*Y*A*Y*Y",
    "HI*ABK:I509",
    "LX*1",
    "SV1*HC:G0088*40*UN*10***1",
    "DTP*472*D8*20260203",
    "REF*6R*A3-1",
    "HL*4*1*22*0",                         # a subscriber without payer
    "SBR*P*18*******MB",
    "NM1*IL*1*POE*ANN****MI*3AC3CD4EF57",
    "CLM*A4*60***12:B:1*Y*A*Y*Y",
    "HI*ABK:I509",
    "LX*1",
    "SV1*HC:G0069*60*UN*1***1",
    "DTP*472*D8*20260204",
    "NM1*82*1*NURSE*NORA****XX*1987654328",   # (ends in 2420A)
    "PRV*PE*PXC*163W00000X",
]
_TAIL = [
    "HL*5*1*22*0",
    "SBR*P*18*******MB",
    "NM1*IL*1*LOE*LEE****MI*4AC3CD4EF58",
    "NM1*PR*2*MEDICARE PART B MAC*****PI*00952",
    "CLM*A5*80***12:B:1*Y*A*Y*Y",          # a leap day: read the eager way
    "HI*ABK:I509",
    "LX*1",
    "SV1*HC:G0070*80*UN*4***1",
    "DTP*472*D8*20240229",
    "CLM*A6*90***12:B:1*Y*A*Y*Y",          # after an eager claim: a Unit again
    "HI*ABK:I509",
    "LX*1",
    "SV1*HC:G0070*90*UN*4***1",
    "DTP*472*D8*20260206",
]
LAZY_BASE = _HEAD + _UNIT + _RUN + _TAIL
SHAPED = range(len(_HEAD), len(_HEAD) + len(_UNIT) + len(_RUN))   # segments the shapes cover


def as_file(segs: list[str]) -> bytes:
    """The segments with their envelope trailers, SE01 counting ST to SE."""
    body = [s.encode() for s in segs] + [b"SE*0*0001", b"GE*1*1", b"IEA*1*000000001"]
    return with_se_count(body)


def describe(item: object) -> tuple:
    if isinstance(item, RejectedClaim):
        return ("rejected", item.to_dict())
    assert isinstance(item, Claim)
    out = ("claim", item.to_dict(full=True))
    assert type(item) is Claim and type(item.subscriber) in (Subscriber, type(None))
    return out


def read(data: bytes, *, lazy: bool, errors: str = "reject", pipe: bool = False,
         envelope: str = "reject") -> tuple:
    """(items, the error raised or None, counts, findings)."""
    items: list = []
    try:
        reader = read_837p(Pipe(data) if pipe else data, name="m.837", errors=errors,
                           envelope=envelope, lazy=lazy)
        for item in reader:
            items.append(describe(item))
    except X12Error as exc:
        return items, (str(exc), exc.segment_index, exc.segment_id, exc.element), None, None
    return items, None, reader.counts, [f.to_dict() for f in reader.all_findings]


def same(data: bytes, **kw) -> tuple:
    eager, lazy = read(data, lazy=False, **kw), read(data, lazy=True, **kw)
    assert lazy == eager
    return eager


def both_modes(data: bytes) -> list:
    """Reject and raise mode agree lazily and eagerly; the reject mode items."""
    same(data, errors="raise")
    return same(data)[0]


# -- the lazy paths are taken ----------------------------------------------------------

def test_lazy_base_takes_every_path(monkeypatch):
    runs: list[int] = []
    take_run = rejects_module.RejectBook.take_run

    def spy(self, run, index):
        assert isinstance(run, Run)
        runs.append(len(run.claims))
        take_run(self, run, index)
    monkeypatch.setattr(rejects_module.RejectBook, "take_run", spy)
    claims = list(read_837p(as_file(LAZY_BASE), lazy=True))
    assert [type(c) for c in claims] == [LazyClaim, LazyClaim, LazyClaim, LazyClaim, Claim,
                                         LazyClaim]
    assert runs == [3]            # A2, A3 and A4 in one Run after A1's Unit
    assert type(claims[2].subscriber) is LazySubscriber and type(claims[2].payer) is LazyPayer
    assert claims[3].payer is None
    assert claims[0].subscriber is claims[1].subscriber   # one subscriber, two claims
    assert claims[0].parties[0].taxonomy == "163W00000X"
    assert claims[0].lines[1].drug.quantity == 100 and claims[0].lines[1].parties[0].contacts
    assert claims[1].lines[0].drug.unit == "ML"
    assert claims[3].lines[0].parties[0].entity_code == "82"
    # ... and the eager read gives the same
    both_modes(as_file(LAZY_BASE))


def test_a_lazy_claim_decodes_on_first_access_into_a_plain_claim():
    lazy = list(read_837p(as_file(LAZY_BASE), lazy=True))
    eager = list(read_837p(as_file(LAZY_BASE)))
    first = lazy[0]
    assert type(first) is LazyClaim and isinstance(first, Claim)
    assert first.patient_control_number == "A1"          # the first access decodes ...
    assert type(first) is Claim                          # ... into a plain Claim
    assert first == eager[0] and eager[1] == lazy[1]     # equality decodes too, either side
    assert [str(line.charge) for line in first.lines] == ["50.25", "50.25"]
    assert first.lines[1].parties[0].address.city == "SPRINGFIELD"
    assert first.lines[1].service_date_end.isoformat() == "2026-01-07"
    assert first.notes[0].text == "CLAIM NOTE" and first.other[0].elements == ["AMT", "F5", "10"]
    assert first.subscriber.refs[0].value == "123456789"
    # a write decodes first, then changes only what it writes
    lazy[2].patient_control_number = "A3-NEW"
    assert lazy[2].total_charge == eager[2].total_charge and type(lazy[2]) is Claim
    # copies and pickles are of the decoded claim
    assert copy.deepcopy(lazy[3]) == eager[3]
    assert pickle.loads(pickle.dumps(lazy[5])) == eager[5]
    assert type(pickle.loads(pickle.dumps(lazy[5]))) is Claim


# -- the differential test ------------------------------------------------------------------

FIXTURE_FILES = sorted(FIXTURES.rglob("*.837"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_every_fixture(path):
    data = path.read_bytes()
    both_modes(data)
    same(data, pipe=True)


CORPUS_FILES = corpus_files("837p") + corpus_files("invalid")


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_every_corpus_file(path, corpus):
    data = path.read_bytes()
    both_modes(data)
    same(data, pipe=True)
    same(data, envelope="warn")


def test_the_corpus_has_lazy_claims(corpus):
    # (most claims of the corpus sit in sets whose SE01 is wrong: counted leniently)
    lazy = sum(type(c) is LazyClaim for p in corpus_files("837p")
               for c in read_837p(p.read_bytes(), errors="reject", lazy=True, envelope="warn"))
    assert lazy >= 800


@pytest.mark.parametrize("name, data", INTEGRITY_CASES, ids=[c[0] for c in INTEGRITY_CASES])
def test_every_deletion_and_duplication_of_hit_claims(name, data):
    both_modes(data)


def _segment_mutations():
    for i, seg in enumerate(LAZY_BASE):
        sid = seg.split("*", 1)[0]
        yield f"delete-{i + 1}-{sid}", LAZY_BASE[:i] + LAZY_BASE[i + 1:]
        yield f"duplicate-{i + 1}-{sid}", LAZY_BASE[:i + 1] + LAZY_BASE[i:]


SEGMENT_CASES = list(_segment_mutations())


@pytest.mark.parametrize("name, segs", SEGMENT_CASES, ids=[c[0] for c in SEGMENT_CASES])
def test_every_deletion_and_duplication_of_the_lazy_base(name, segs):
    data = as_file(segs)
    both_modes(data)
    same(data, pipe=True)


# Values that sit on the edges of what the handlers accept.
VALUES = ["", "-1", "7.", ".5", "1.2.3", "1E2", "X", "20240229", "20230229", "20231131",
          "00000101", "09990101", "20230101-20230105", "1:2", "1::2", "HC:G0068:::::DESC:8:9"]


def _element_mutations():
    for i in SHAPED:
        seg = LAZY_BASE[i].split("*")
        sid = seg[0]
        for k in range(1, len(seg) + 1):
            for v in VALUES:
                new = seg[:k] + [v] + seg[k + 1:]
                yield f"{i + 1}-{sid}{k:02d}={v or 'empty'}", i, "*".join(new)
        for extra in (1, 12, 20):   # elements past the last: at and past the layout's limit
            yield f"{i + 1}-{sid}+{extra}", i, LAZY_BASE[i] + "*" * (extra - 1) + "*Z"


ELEMENT_CASES = list(_element_mutations())


def test_the_element_mutations_are_many():
    assert len(ELEMENT_CASES) > 2000


@pytest.mark.parametrize("chunk", range(8))
def test_every_element_mutation_of_the_shaped_segments(chunk):
    for name, i, seg in ELEMENT_CASES[chunk::8]:
        segs = LAZY_BASE[:i] + [seg] + LAZY_BASE[i + 1:]
        try:
            same(as_file(segs))
        except AssertionError:
            pytest.fail(f"lazy and eager reads differ on {name}")


def test_element_mutations_in_raise_mode_and_held():
    for name, i, seg in ELEMENT_CASES[::7]:
        data = as_file(LAZY_BASE[:i] + [seg] + LAZY_BASE[i + 1:])
        try:
            same(data, errors="raise")
            same(data, pipe=True)
        except AssertionError:
            pytest.fail(f"lazy and eager reads differ on {name}")


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files)
def test_byte_level_fuzz(case):
    seed, ops = case
    data = mutate(SEEDS[seed], ops)
    both_modes(data)


def test_other_delimiters_and_line_breaks():
    base = as_file(LAZY_BASE)
    both_modes(base.replace(b"~", b"~\r\n"))
    swapped = base.replace(b"*", b"|").replace(b":", b">")
    assert b"|" in swapped and swapped.count(b">") > 5
    both_modes(swapped)
    claims = list(read_837p(swapped, lazy=True))
    assert type(claims[0]) is LazyClaim and claims[0].lines[0].modifiers == ["KX"]


@pytest.mark.parametrize("hl", ["HL*5*4*99*0", "HL*5*3*99*0", "HL*5*2*99*0", "HL*5*4*23*0",
                                "HL*5*4*20*1", "HL*5**22*0"])
def test_an_hl_after_a_run_hangs_where_it_would_after_an_eager_read(hl):
    # An unknown HL03 takes its level from its parent's (HL02): the run's last HL01
    # counts. The level decides which later HL ends the taint it brings: HL*6 (a
    # subscriber) ends a taint at the patient level, not one at the provider level.
    at = LAZY_BASE.index("HL*5*1*22*0")
    later = ["HL*6*1*22*0", "SBR*P*18*******MB", "NM1*IL*1*MOE*MO****MI*5AC3CD4EF59",
             "CLM*A7*10***12:B:1*Y*A*Y*Y", "LX*1", "SV1*HC:G0070*10*UN*1***1"]
    items = both_modes(as_file(LAZY_BASE[:at] + [hl] + LAZY_BASE[at + 1:] + later))
    if hl == "HL*5*4*99*0":   # under the run's last subscriber: a patient level
        assert items[-1][0] == "claim" and items[-1][1]["patient_control_number"] == "A7"


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 13, 20])
def test_loops_too_long_are_refused_at_the_same_segment(limit):
    for segs in (LAZY_BASE, LAZY_BASE[:len(_HEAD)] + _RUN * 3 + _TAIL):
        data = as_file(segs)
        for errors in ("reject", "raise"):
            eager = _read_limited(data, False, errors, limit)
            assert _read_limited(data, True, errors, limit) == eager


def _read_limited(data: bytes, lazy: bool, errors: str, limit: int) -> tuple:
    items: list = []
    try:
        reader = read_837p(data, errors=errors, lazy=lazy, max_loop_segments=limit)
        for item in reader:
            items.append(describe(item))
    except X12Error as exc:
        return items, str(exc)
    return items, reader.counts, [f.to_dict() for f in reader.all_findings]


def test_a_file_of_several_chunks(tmp_path):
    import sys
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "tools"))
    from synth import write_hit_837
    path = tmp_path / "big.837"
    write_hit_837(path, 3000, claims_per_st=1000)   # 1.2 MB: claims cut by chunk ends
    data = path.read_bytes()
    assert len(data) > 1 << 20
    eager = [c.to_dict() for c in read_837p(data)]
    lazy = list(read_837p(data, lazy=True))
    assert sum(type(c) is LazyClaim for c in lazy) > 2900
    assert [c.to_dict() for c in lazy] == eager
    held = [c.to_dict() for c in read_837p(Pipe(data), lazy=True)]
    assert held == eager


def test_lazy_claims_write_and_price_as_eager_ones():
    import edi_hit
    data = as_file(LAZY_BASE)
    eager, lazy = list(read_837p(data)), list(read_837p(data, lazy=True))
    assert type(lazy[0]) is LazyClaim
    now = datetime(2026, 3, 2, 9, 30)
    assert edi_hit.write_837p(lazy, sender_id="S", receiver_id="R", now=now) == \
        edi_hit.write_837p(eager, sender_id="S", receiver_id="R", now=now)
    lazy = list(read_837p(data, lazy=True))
    priced = [p.to_dict() for p in edi_hit.price(lazy)]
    assert priced == [p.to_dict() for p in edi_hit.price(eager)]
