"""835 reader: the corpus reads, values land where they belong, balancing is checked."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import corpus_files
from edi_hit.errors import X12Error
from edi_hit.schemas import errors as schema_errors
from edi_hit.x835 import RemittanceReader, Remittance, read_835

CORPUS_835 = corpus_files("835")


def by_name(fragment):
    return next(p for p in CORPUS_835 if fragment in p.name)


@pytest.mark.parametrize("path", CORPUS_835, ids=lambda p: p.name)
def test_every_corpus_file_reads_and_matches_the_schema(path):
    reader = RemittanceReader(path)
    remits = list(reader)
    assert remits, path.name
    for r in remits:
        assert schema_errors(r.to_dict(), "remittance") == []
        # the corpus is balanced: no balancing finding in any file
        assert [f for f in r.findings if f.code.startswith("balance-")] == []


def test_corpus_transaction_counts():
    counts = {p.name: len(list(read_835(p))) for p in CORPUS_835}
    assert counts["tastypackets__x12-parser__profee-multiple.edi"] == 156
    assert sum(counts.values()) == 167


def test_managed_care_values():
    (r,) = read_835(by_name("managed-care"))
    assert (r.handling_code, r.payment_amount, r.payment_method) == ("I", D("945.00"), "ACH")
    assert r.trace_number == "7170066655" and r.trace_payer_id == "1935665544"
    assert r.payer.name == "RUSHMORE LIFE" and r.payer.city == "RAPID CITY"
    assert (r.payee.id_qualifier, r.payee.id) == ("XX", "5544667733")
    assert r.payee.refs == [("TJ", "777667755")]
    c1, c2 = r.claims
    assert (c1.patient_control_number, c1.status_code, c1.charge, c1.paid) == (
        "5554555444", "1", D("800.00"), D("450.00"))
    assert [(a.group, a.reason, a.amount) for a in c1.adjustments] == [("CO", "A2", D("50.00"))]
    assert (c1.patient_last_name, c1.patient_id) == ("BUDD", "33344555510")
    (line,) = c1.lines
    assert (line.code, line.charge, line.paid, line.service_date) == (
        "99211", D("800.00"), D("500.00"), date(2002, 3, 1))
    assert [(a.group, a.reason, a.amount) for a in line.adjustments] == [("PR", "1", D("300.00"))]
    assert c2.lines[0].adjustment_total == D("650.00")
    # BPR16 '20002316' is not a date: a warning with its position, not a crash
    (bad,) = r.findings
    assert (bad.code, bad.segment_index, bad.element) == ("bad-date", 4, "BPR16")


def test_provider_adjustment_and_lines_with_refs():
    (r,) = read_835(by_name("medicare-part-a"))
    (plb,) = r.provider_adjustments
    assert (plb.provider_id, plb.fiscal_period_date, plb.reason, plb.reference, plb.amount) == (
        "6543210903", date(2002, 12, 31), "CV", "CP", D("-1.27"))
    assert r.claims[1].remarks == ["MA02"]
    (r,) = read_835(by_name("united_healthcare"))
    line = r.claims[0].lines[0]
    assert (line.code, line.control_number, line.allowed, line.units_paid) == (
        "B4152", "800941258001", D("88.92"), D("234"))


def test_balancing_violations_are_findings_with_positions():
    text = by_name("managed-care").read_bytes()
    # SVC03 500.00 -> 510.00 on the first line: line and claim no longer balance
    tampered = text.replace(b"SVC*HC:99211*800.00*500.00~", b"SVC*HC:99211*800.00*510.00~")
    # BPR02 945 -> 946: the transaction no longer balances
    tampered = tampered.replace(b"BPR*I*945.00*", b"BPR*I*946.00*")
    (r,) = read_835(tampered)
    found = {(f.code, f.segment_index, f.segment_id, f.element) for f in r.findings}
    assert ("balance-line", 16, "SVC", "SVC03") in found
    assert ("balance-claim", 13, "CLP", "CLP04") not in found  # CLP04 450 = 800 - 50 - 300
    assert ("balance-transaction", 4, "BPR", "BPR02") in found
    line_finding = next(f for f in r.findings if f.code == "balance-line")
    assert "SVC02 800.00 - CAS 300.00 = 500.00, but SVC03 is 510.00" in line_finding.message
    assert line_finding.transaction_control == "112233"
    assert not r.balanced


def test_claim_balance_violation():
    text = by_name("managed-care").read_bytes()
    tampered = text.replace(b"CLP*5554555444*1*800.00*450.00*", b"CLP*5554555444*1*800.00*440.00*")
    (r,) = read_835(tampered)
    codes = {(f.code, f.segment_index) for f in r.findings}
    assert ("balance-claim", 13) in codes
    assert ("balance-transaction", 4) in codes


def test_not_an_835_is_an_error_naming_the_element():
    path = corpus_files("837p")[0]
    with pytest.raises(X12Error) as err:
        list(read_835(path))
    assert err.value.element == "ST01" and "expected '835', got '837'" in str(err.value)


def test_bad_amount_is_an_error_with_position():
    text = by_name("managed-care").read_bytes().replace(b"*800.00*500.00~", b"*8O0.00*500.00~")
    with pytest.raises(X12Error) as err:
        list(read_835(text, name="bad.835"))
    assert str(err.value) == ("bad.835: segment 16 (SVC), element SVC02: expected a decimal "
                              "amount, got '8O0.00'")


def test_envelope_findings_reach_the_transaction():
    text = by_name("managed-care").read_bytes().replace(b"SE*26*112233", b"SE*27*112233")
    (r,) = read_835(text)
    assert "se01-count" in {f.code for f in r.findings}


def test_json_round_trip():
    for path in CORPUS_835[:6]:
        for r in read_835(path):
            d = json.loads(json.dumps(r.to_dict()))
            assert Remittance.from_dict(d).to_dict() == d
