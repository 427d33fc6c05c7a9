"""The claim lines table is declared once (edi_hit.spark.rows.COLUMNS): the rows follow
it, and README documents exactly it. No Spark needed."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

from conftest import ROOT
from edi_hit.spark.rows import COLUMNS, claim_rows
from helpers_pricing import claim, line


def test_rows_follow_the_declared_columns():
    c = claim(line("G0068", "2024-03-12", "300.00", "4"),
              line("G0069", "2024-03-05", "150.00", "1", n=2, pos="12"), pcn="A1")
    rows = claim_rows(c, "in/a.837", 3, 7)
    assert all(len(r) == len(COLUMNS) for r in rows)
    named = [dict(zip((n for n, _, _ in COLUMNS), r)) for r in rows]
    assert [(r["line_index"], r["code"], r["charge"], r["units"], r["service_date"])
            for r in named] == [(0, "G0068", D("300.00"), D("4"), date(2024, 3, 12)),
                                (1, "G0069", D("150.00"), D("1"), date(2024, 3, 5))]
    # the claim's context on every line; its date order is its earliest line
    assert {(r["file"], r["file_no"], r["claim_no"], r["patient_control_number"],
             r["claim_charge"], r["first_service_date"]) for r in named} == {
        ("in/a.837", 3, 7, "A1", D("450.00"), date(2024, 3, 5))}
    assert named[0]["place_of_service"] == "12"  # the claim's, where the line has none


def test_readme_documents_the_columns():
    text = (ROOT / "README.md").read_text()
    documented = re.findall(r"^\| `(\w+)` \| ([^|]+?) \| ([^|]+?) \|$", text, re.M)
    assert documented == [(n, t, d) for n, t, d in COLUMNS]


def test_a_failed_spark_job_becomes_one_line():
    import pytest

    from edi_hit.errors import EdiHitError
    from edi_hit.spark.inputs import spark_errors
    from edi_hit.spark.records import MARKER

    java = ("An error occurred while calling o42.collect.\n"
            ": org.apache.spark.SparkException: Job aborted due to stage failure: ...\n"
            "org.apache.spark.api.python.PythonException: Traceback (most recent call last):\n"
            '  File "worker.py", line 1, in main\n')
    with pytest.raises(EdiHitError) as err, spark_errors():  # an edi-hit error in a task
        raise RuntimeError(java + f"RuntimeError: {MARKER}in/x.txt: not an X12 interchange\n")
    assert str(err.value) == "in/x.txt: not an X12 interchange"
    with pytest.raises(EdiHitError) as err, spark_errors():  # anything else: its last cause
        raise RuntimeError(java + "psycopg.errors.AdminShutdown: terminating connection\n"
                           "\tat org.apache.spark.Executor.run(Executor.scala:1)\n")
    assert str(err.value) == ("the Spark job failed: psycopg.errors.AdminShutdown: "
                              "terminating connection")
