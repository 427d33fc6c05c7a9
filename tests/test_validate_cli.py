# `edi-hit validate` through click's CliRunner: exit status, output, acknowledgments.
from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import FIXTURES
from edi_hit.cli import main

HIT = str(FIXTURES / "validate" / "hit_valid.837")


def invoke(*args, input=None):
    return CliRunner().invoke(main, ["validate", *args], input=input)


def broken(tmp_path, old, new, name="bad.837"):
    path = tmp_path / name
    path.write_text(open(HIT).read().replace(old, new))
    return str(path)


def test_clean_file_exit_0():
    result = invoke(HIT, "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"{HIT}: 1 transaction set (1 accepted, 0 rejected); "
                                     "2 claims (2 accepted, 0 rejected); 0 errors, 0 warnings")


def test_error_exit_1_names_file_segment_element(tmp_path):
    path = broken(tmp_path, "SV1*HC:G0068*300*UN*8", "SV1*HC:G0068*300*UN*0")
    result = invoke(path, "--no-tr3", "--today", "2026-06-01")
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{path}: segment 23 (SV1), element SV104: error [L4 units-missing]: "
                            "claim HIT-7-1 line 1: E9 units 0: at least 1 fifteen-minute unit "
                            "is required (payer: CO-16 M53)")
    assert "note: TR3 level (2) not run" in result.stdout
    assert "Traceback" not in result.output


def test_json_format(tmp_path):
    path = broken(tmp_path, "CLM*HIT-7-1*550*", "CLM*HIT-7-1*551*")
    result = invoke(path, "--format", "json", "--levels", "1,3", "--today", "2026-06-01")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False and list(doc["levels"]) == ["1", "3"]
    finding = doc["files"][0]["findings"][0]
    assert finding == {
        "severity": "error", "code": "claim-total",
        "message": "claim HIT-7-1: CLM02 551 is not the sum of its 2 SV102 line charges (550)",
        "file": path, "segment_index": 20, "segment_id": "CLM", "element": "CLM02",
        "interchange_control": "000000007", "group_control": "7", "transaction_control": "0001",
        "level": 3, "claim": "HIT-7-1", "element_error": "I12", "element_ref": "782",
        "bad_value": "551", "loop": "2300"}
    counts = doc["files"][0]["counts"]
    assert (counts["claims_accepted"], counts["claims_rejected"]) == (1, 1)


def test_usage_errors_exit_2(tmp_path):
    assert invoke(HIT, "--levels", "5").exit_code == 2
    assert invoke(HIT, "--levels", "a,b").exit_code == 2
    assert invoke(str(tmp_path / "missing.837")).exit_code == 2
    result = invoke(HIT, "--ack", "999")   # the old spelling, without its -o
    assert result.exit_code == 2 and "--ack FILE --ack-type 999" in result.output
    assert invoke(HIT, "--ack-type", "998").exit_code == 2
    assert invoke().exit_code == 2


def test_ack_999_to_file(tmp_path):
    out = tmp_path / "resp.999"
    result = invoke(HIT, "--ack", "999", "-o", str(out), "--today", "2026-06-01")
    assert result.exit_code == 0
    assert "IK5*A~" in out.read_text() and "AK9*A*1*1*1~" in out.read_text()


def test_ack_ta1_to_stdout_moves_findings_to_stderr(tmp_path):
    path = broken(tmp_path, "IEA*1*000000007", "IEA*1*000000009")
    result = invoke(path, "--ack", "ta1", "-o", "-", "--no-tr3")
    assert result.exit_code == 1
    assert result.stdout.startswith("ISA*00*")
    assert "TA1*000000007*260302*0930*R*001~" in result.stdout
    assert "IEA02 '000000009' does not match ISA13 '000000007'" in result.stderr


def test_pdf_gets_one_sentence(tmp_path):
    pdf = tmp_path / "claims.pdf"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj\n")
    result = invoke(str(pdf))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"{pdf}: error [L1 not-x12]: this is a PDF document, not an X12 file")


def test_stdin_and_several_files(tmp_path):
    result = invoke("-", HIT, "--no-tr3", "--today", "2026-06-01", input=b"{}")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("<stdin>: error [L1 not-x12]: this looks like JSON")
    assert f"{HIT}: 1 transaction set (1 accepted" in result.stdout


def test_help_teaches_by_example():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "edi-hit validate claims.837 --ack claims.999" in result.output
    assert "--no-tr3" in result.output and "4,000 segments a second" in result.output
