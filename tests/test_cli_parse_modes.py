"""`edi-hit parse` --strict and --lenient, and read_837p's raise mode and envelope="warn"."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, corpus_files
from edi_hit.cli import main
from edi_hit.claims import RejectedClaim
from edi_hit.errors import ArgumentError, X12Error
from edi_hit.x12 import SegmentReader
from edi_hit.x837p import read_837p

HIT = FIXTURES / "837p" / "hit_claims.837"
PCNS = ["HIT-2026-0001", "HIT-2026-0002", "HIT-2026-0003"]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def se_wrong(tmp_path):
    """SE01 and SE02 both wrong (70 -> 7, 0001 -> 0009)."""
    path = tmp_path / "se.837"
    path.write_bytes(HIT.read_bytes().replace(b"SE*70*0001", b"SE*7*0009"))
    return path


def test_strict_is_never_looser_than_the_default(se_wrong, tmp_path):
    out = tmp_path / "c.json"
    default = run("parse", str(se_wrong), "-o", str(out))
    assert default.exit_code == 1 and json.loads(out.read_text()) == []
    out.unlink()
    strict = run("parse", str(se_wrong), "--strict", "-o", str(out))
    assert strict.exit_code == 1 and not out.exists()
    assert strict.stderr == (f"Error: {se_wrong}: segment 72 (SE), element SE01: SE01 says 7 "
                             "segments but the transaction set has 70 (ST to SE)\n")
    # the library's raise mode says the same, before handing out any claim of the set
    reader = read_837p(se_wrong)
    with pytest.raises(X12Error, match="SE01 says 7 segments") as info:
        next(reader)
    assert (info.value.segment_index, info.value.element) == (72, "SE01")


def test_raise_mode_stops_where_reject_mode_first_rejects(tmp_path):
    data = HIT.read_bytes().replace(b"SV1*HC:G0088*425.50", b"SV1*HC:G0088*-425.50")
    items = list(read_837p(data, errors="reject"))
    assert [type(i).__name__ for i in items] == ["Claim", "RejectedClaim", "Claim"]
    got = []
    with pytest.raises(X12Error) as info:
        for claim in read_837p(data, name="t.837"):
            got.append(claim.patient_control_number)
    assert got == [PCNS[0]]    # the claims before the first rejection, then its error
    assert str(info.value) == ("t.837: segment 54 (SV1), element SV102: bad value: expected an "
                               "amount of zero or more (a negative one is not compliant, X12 "
                               "RFI 2499), got '-425.50'")
    assert items[1].reason == str(info.value).removeprefix("t.837: ")


def test_a_group_trailer_error_stops_strict_mode_too(tmp_path):
    path = tmp_path / "ge.837"
    path.write_bytes(HIT.read_bytes().replace(b"GE*1*1", b"GE*3*1"))
    assert run("parse", str(path), "--format", "ndjson").exit_code == 1
    r = run("parse", str(path), "--strict", "--format", "ndjson")
    assert r.exit_code == 1 and "GE01 says 3 transaction sets" in r.stderr


def test_lenient_turns_envelope_mismatches_into_warnings(se_wrong):
    r = run("parse", str(se_wrong), "--lenient", "--format", "ndjson")
    assert r.exit_code == 0
    assert [json.loads(x)["patient_control_number"] for x in r.stdout.splitlines()] == PCNS
    assert r.stderr.splitlines() == [
        f"{se_wrong}: segment 72 (SE), element SE01: warning: SE01 says 7 segments but the "
        "transaction set has 70 (ST to SE)",
        f"{se_wrong}: segment 72 (SE), element SE02: warning: SE02 '0009' does not match ST02 "
        "'0001'",
        "parse: 3 claims, 3 accepted, 0 rejected"]
    # --strict with --lenient: the mismatches are warnings, so nothing stops the read
    assert run("parse", str(se_wrong), "--lenient", "--strict").exit_code == 0


def test_lenient_still_rejects_a_broken_claim(tmp_path):
    path = tmp_path / "b.837"
    path.write_bytes(HIT.read_bytes().replace(b"SE*70*0001", b"SE*9*0001")
                     .replace(b"SV1*HC:G0088*425.50", b"SV1*HC:G0088*X"))
    r = run("parse", str(path), "--lenient", "--format", "ndjson")
    assert r.exit_code == 1
    assert [json.loads(x)["patient_control_number"] for x in r.stdout.splitlines()] == \
        [PCNS[0], PCNS[2]]
    reader = read_837p(path, errors="reject", envelope="warn")
    items = list(reader)
    assert [type(i).__name__ for i in items] == ["Claim", "RejectedClaim", "Claim"]
    assert [(f.severity, f.code) for f in reader.findings] == [("warning", "se01-count")]


def test_a_missing_se_is_not_an_envelope_count_and_still_rejects(tmp_path):
    data = HIT.read_bytes().replace(b"SE*70*0001~", b"")
    items = list(read_837p(data, errors="reject", envelope="warn"))
    assert all(isinstance(i, RejectedClaim) for i in items) and len(items) == 3


def _clm(path) -> int:
    return sum(seg[0] == "CLM" for seg in SegmentReader(path))


@pytest.mark.parametrize("path", corpus_files("837p"), ids=lambda p: p.name[:60])
def test_every_corpus_837p_converts_with_lenient(path, tmp_path):
    out = tmp_path / "c.ndjson"
    r = run("parse", str(path), "--lenient", "--format", "ndjson", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    claims = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(claims) == _clm(path) > 0


def test_the_imsweb_files_need_lenient(corpus):
    path = corpus / "837p" / "imsweb__x12-parser__x12_many_claims.txt"
    r = run("parse", str(path), "--format", "ndjson")
    assert r.exit_code == 1 and r.stdout == ""
    assert "parse: 820 claims, 0 accepted, 820 rejected" in r.stderr


def test_modes_are_checked():
    with pytest.raises(ArgumentError, match="envelope must be 'reject' or 'warn'"):
        read_837p(HIT, envelope="ignore")
    with pytest.raises(ValueError, match="errors must be 'raise' or 'reject'"):
        read_837p(HIT, errors="ignore")
