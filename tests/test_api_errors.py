"""Only EdiHitError - or a TypeError that names the argument - escapes the public API,
and what cannot be written (to X12 or XML) is refused with one line."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

import edi_hit
from conftest import FIXTURES
from edi_hit import ArgumentError, DataError, EdiHitError, X12Error
from edi_hit.claims import Claim, ServiceLine
from edi_hit.cli import main
from edi_hit.x837p.convert import claims_to_xml

HIT = FIXTURES / "837p" / "hit_claims.837"


def claims():
    return list(edi_hit.read_837p(HIT))


# -- wrong arguments --------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: edi_hit.read_837p(42), "read_837p: source must be a path, bytes or a binary file "
                                    "object, not int"),
    (lambda: edi_hit.read_837p(HIT, name=3), "read_837p: name must be a str or None, not int"),
    (lambda: list(edi_hit.build_835(claims())), "build_835: priced_claims[0] is a Claim, not a "
                                                "PricedClaim (price the claims first: "
                                                "edi_hit.price)"),
    (lambda: edi_hit.build_835(claims()[0]), "build_835: priced_claims must be an iterable of "
                                             "PricedClaim objects, not Claim"),
    (lambda: list(edi_hit.price(["x"])), "price: claims[0] is a str, not a Claim"),
    (lambda: list(edi_hit.read_835(3.5)), "read_835: source must be a path, bytes or a binary "
                                          "file object, not float"),
    (lambda: edi_hit.write_837p([object()], sender_id="A", receiver_id="B"),
     "write_837p: claims[0] is a object, not a Claim"),
    (lambda: edi_hit.write_837p(claims(), sender_id=7, receiver_id="B"),
     "write_837p: sender_id must be a str, not int"),
    (lambda: edi_hit.validate(42), "validate: source must be a path, bytes or a binary file "
                                   "object, not int"),
    (lambda: edi_hit.adjudicate("a.837", output="x.835"),
     "adjudicate: sources must be a list of paths, bytes or binary files, not str"),
    (lambda: edi_hit.reconcile([1], []), "reconcile: priced_claims[0] is a int, not a PricedClaim"),
])
def test_a_wrong_argument_type_is_a_type_error_naming_it(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize("call, match", [
    (lambda: edi_hit.read_837p(HIT, errors="ignore"), "errors must be 'raise' or 'reject'"),
    (lambda: edi_hit.validate(HIT, levels=(5,)), r"levels must be among \(1, 2, 3, 4\)"),
    (lambda: edi_hit.validate(HIT, hit="some"), "hit must be 'auto', 'all' or 'none'"),
    (lambda: edi_hit.write_837p(claims(), sender_id="A" * 16, receiver_id="B"),
     "sender_id must be 1 to 15 characters"),
    (lambda: edi_hit.write_837p(claims(), sender_id="A", receiver_id="B", control_number=0),
     "control_number must be 1 to 999999999"),
])
def test_a_wrong_argument_value_is_an_edi_hit_error(call, match):
    with pytest.raises(ArgumentError, match=match) as info:
        call()
    assert isinstance(info.value, EdiHitError) and isinstance(info.value, ValueError)


# -- Claim.from_dict ----------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    ({"total_charge": "abc"}, "total_charge: expected an amount as a string of digits with at "
                              "most one decimal point and an optional minus (no exponent), got "
                              "'abc'"),
    ({"total_charge": "1E5"}, None), ({"total_charge": "NaN"}, None),
    ({"total_charge": 12.5}, None),
    ({"lines": [{"charge": "-"}]}, "lines[0].charge: expected an amount"),
    ({"lines": "G0068"}, "lines: expected an array, got a string"),
    ({"subscriber": {"birth_date": "1948-02-30"}}, "subscriber.birth_date: expected a real date "
                                                   "YYYY-MM-DD"),
    ({"subscriber": {"last_name": 7}}, "subscriber.last_name: expected a string, got a number"),
    ({"total_charge": None}, "total_charge: expected a value, got null"),
    ({"totl_charge": "1"}, "Claim: unknown field 'totl_charge'"),
    ([], "Claim: expected an object, got an array"),
    ({"other": [{"loop": "2320", "elements": [1]}]}, "other[0].elements[0]: expected a string "
                                                     "or an array of strings, got a number"),
])
def test_claim_from_dict_names_the_field(data, message):
    with pytest.raises(DataError) as info:
        Claim.from_dict(data)
    if message is None:
        assert str(info.value).startswith("total_charge: expected an amount")
    else:
        assert str(info.value).startswith(message)


def test_from_dict_never_quotes_a_birth_date_or_a_name():
    with pytest.raises(DataError) as info:
        Claim.from_dict({"subscriber": {"birth_date": "1948-13-01"}})
    assert "1948" not in str(info.value)


def test_from_dict_still_reads_what_to_dict_writes():
    for c in claims():
        assert Claim.from_dict(json.loads(json.dumps(c.to_dict()))) == c


# -- what the 837 writer refuses ------------------------------------------------------------

@pytest.mark.parametrize("bad, what", [
    ("A\x00B", "the control character '\\x00' (character 2)"),
    ("A\x1cB", "the control character '\\x1c' (character 2)"),
    ("A\x7fB", "the control character '\\x7f' (character 2)"),
    ("A\nB", "the control character '\\n' (character 2)"),
    ("A\ud800B", "a lone surrogate U+D800 (character 2), not text"),
    ("A~B", "'~' (character 2), a delimiter of this file"),
])
def test_the_writer_refuses_what_x12_cannot_carry(bad, what):
    c = claims()[1]
    c.lines[0].description = bad
    with pytest.raises(X12Error) as info:
        edi_hit.write_837p([c], sender_id="S", receiver_id="R")
    text = str(info.value)
    assert text.startswith("segment 27 (SV1), element SV101: value contains ")
    assert what in text and bad not in text


def test_the_writer_refuses_an_over_long_value():
    c = claims()[1]
    c.notes.append(__import__("edi_hit.claims", fromlist=["Note"]).Note("ADD", "X" * 100_000))
    with pytest.raises(X12Error, match="NTE02: value is 100,000 characters long, more than the "
                                       "8,192 an element may have"):
        edi_hit.write_837p([c], sender_id="S", receiver_id="R")


def test_generate_with_a_lone_surrogate_is_one_line(tmp_path):
    d = claims()[1].to_dict()
    d["lines"][0]["description"] = "A\ud800"
    src = tmp_path / "c.json"
    src.write_text(json.dumps(d))          # JSON carries it as \\ud800
    r = CliRunner().invoke(main, ["generate", str(src), "-o", str(tmp_path / "o.837")])
    assert r.exit_code == 1 and len(r.stderr.splitlines()) == 1
    assert "lone surrogate U+D800" in r.stderr and not (tmp_path / "o.837").exists()


# -- XML output ---------------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\x00", "\x1c", "\x1f", "\x0b", "\x0c"])
def test_xml_refuses_what_xml_1_0_cannot_carry_naming_claim_and_field(char, tmp_path):
    path = tmp_path / "x.837"
    path.write_bytes(HIT.read_bytes().replace(b"NM1*DN*1*SMITH", f"NM1*DN*1*SM{char}ITH".encode()))
    with pytest.raises(DataError) as info:
        claims_to_xml(edi_hit.read_837p(path))
    assert str(info.value) == (f"XML output: claim HIT-2026-0001, parties[0].name: character 3 "
                               f"is U+{ord(char):04X}, which XML 1.0 cannot carry (write JSON or "
                               "NDJSON instead)")
    r = CliRunner().invoke(main, ["parse", str(path), "--format", "xml", "-o",
                                  str(tmp_path / "o.xml")])
    assert r.exit_code == 1 and len(r.stderr.splitlines()) == 1
    assert "parties[0].name" in r.stderr and not (tmp_path / "o.xml").exists()


def test_xml_keeps_tabs_line_breaks_and_non_ascii_text():
    (c,) = [x for x in claims() if x.patient_control_number == "HIT-2026-0002"]
    c.lines[0].description = "Zoë\tline"
    xml = claims_to_xml([c], as_bytes=True)
    assert "Zoë\tline".encode() in xml
    assert Decimal(c.lines[0].charge) == Decimal("425.50")


def test_a_line_without_a_claim_context_still_converts():
    assert claims_to_xml([Claim("P1", lines=[ServiceLine(1, code="G0068")])], as_bytes=True)
