import json

from click.testing import CliRunner
from lxml import etree

from conftest import CORPUS, FIXTURES
from edi_hit.cli import main
from edi_hit.x12 import SegmentReader
from pyx12_oracle import pyx12_errors

HIT = FIXTURES / "837p" / "hit_claims.837"


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_parse_writes_a_json_array_of_claims(tmp_path):
    out = tmp_path / "claims.json"
    r = run("parse", str(HIT), "-o", str(out))
    assert r.exit_code == 0, r.output
    claims = json.loads(out.read_text())
    assert [c["patient_control_number"] for c in claims] == ["HIT-2026-0001", "HIT-2026-0002",
                                                              "HIT-2026-0003"]
    first = claims[0]["lines"][0]
    assert (first["code"], first["charge"], first["units"], first["service_date"]) == (
        "G0068", "300.00", "8", "2026-02-02")
    assert claims[0]["subscriber"]["member_id"] == "1EG4TE5MK73"


def test_parse_ndjson_to_stdout_one_claim_a_line():
    r = run("parse", str(HIT), "--format", "ndjson")
    lines = r.stdout.splitlines()
    assert r.exit_code == 0 and len(lines) == 3
    assert json.loads(lines[1])["lines"][0]["code"] == "G0088"


def test_parse_reads_stdin_and_writes_xml():
    r = CliRunner().invoke(main, ["parse", "-", "--format", "xml"], input=HIT.read_bytes())
    assert r.exit_code == 0
    root = etree.fromstring(r.stdout_bytes)
    assert root.tag == "claims" and len(root) == 3
    assert root.findtext("claim/lines/line/code") == "G0068"


def test_parse_a_folder_reads_every_file(tmp_path):
    (tmp_path / "a.837").write_bytes(HIT.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.837").write_bytes(HIT.read_bytes())
    r = run("parse", str(tmp_path), "--format", "ndjson")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 6


def test_parse_then_generate_gives_a_pyx12_valid_837p_with_the_same_claims(tmp_path):
    js = tmp_path / "c.json"
    assert run("parse", str(HIT), "-o", str(js)).exit_code == 0
    out = tmp_path / "c.837"
    r = run("generate", str(js), "-o", str(out), "--now", "2026-11-01T12:00",
            "--control-number", "77")
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    # ISA15 T: the claims' own usage indicator (the fixture is a test interchange)
    assert data.startswith(b"ISA*00*          *00*          *ZZ*SUNRISE01      *ZZ*MACJ6          "
                           b"*261101*1200*^*00501*000000077*0*T*:~")
    assert pyx12_errors(data) == []
    again = json.loads(run("parse", str(out)).stdout)
    before = json.loads(js.read_text())
    for claim in again + before:  # the writer makes its own ISA/GS/ST
        claim.pop("envelope")
    assert again == before


def test_generate_is_deterministic(tmp_path):
    js = tmp_path / "c.json"
    run("parse", str(HIT), "-o", str(js))
    a = run("generate", str(js), "--now", "2026-11-01T12:00").stdout_bytes
    b = run("generate", str(js), "--now", "2026-11-01T12:00").stdout_bytes
    assert a == b and a.count(b"CLM*") == 3


def test_generate_names_the_json_path_of_a_schema_error(tmp_path):
    claims = json.loads(run("parse", str(HIT)).stdout)
    claims[0]["lines"][1]["charge"] = "12O.00"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(claims))
    r = run("generate", str(bad), "-o", str(tmp_path / "x.837"))
    assert r.exit_code == 1
    assert f"{bad}: does not match the claim schema: [0].lines[1].charge:" in r.output
    assert "'12O.00'" in r.output
    # the other claims are written (the convention: reject and go on, exit 1) ...
    assert (tmp_path / "x.837").read_bytes().count(b"CLM*") == len(claims) - 1
    # ... and --strict stops at the first bad claim, writing nothing
    r = run("generate", str(bad), "--strict", "-o", str(tmp_path / "y.837"))
    assert r.exit_code == 1 and not (tmp_path / "y.837").exists()


def test_generate_refuses_x12_input_with_a_hint():
    r = run("generate", str(HIT))
    assert r.exit_code == 1
    assert "this is already X12; use `edi-hit parse`" in r.output


def test_bad_837_input_exits_1_naming_file_segment_and_element(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_bytes(HIT.read_bytes().replace(b"SV1*HC:G0068*300.00", b"SV1*HC:G0068*3OO.00"))
    r = run("parse", str(bad))
    assert r.exit_code == 1
    assert f"{bad}: segment 29 (SV1), element SV102:" in r.output
    assert "Traceback" not in r.output


def test_not_x12_gets_one_sentence(tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4 binary")
    r = run("parse", str(pdf))
    assert r.exit_code == 1
    assert r.output.strip() == f"Error: {pdf}: this is a PDF document, not an X12 file"


def test_usage_error_exits_2():
    r = run("parse", str(HIT), "--format", "yaml")
    assert r.exit_code == 2


def test_help_teaches_by_example():
    r = run("parse", "--help")
    assert "edi-hit parse claims.837 -o claims.json" in r.output
    r = run("--help")
    for name in ("parse", "generate"):
        assert name in r.output


def test_corpus_file_with_bom_and_crlf_parses(corpus):
    f = corpus / "837p" / "Inteligenz__X12Parser__Example1_2_And_3_Combined.txt"
    r = run("parse", str(f), "--format", "ndjson")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 3


def test_output_file_gets_the_usual_permissions(tmp_path):
    out = tmp_path / "claims.json"
    run("parse", str(HIT), "-o", str(out))
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    import os
    mask = os.umask(0)
    os.umask(mask)
    return mask
