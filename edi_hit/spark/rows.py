# The claim lines table: one row per service line with its claim's context, the schema
# of `claims_dataframe` (and of its Parquet), declared once as data.
#
# Strategy: COLUMNS names each column, its Spark SQL type and what it holds, in order;
# claim_rows() turns a Claim into row tuples in that order and schema() builds the
# StructType from the same table, so the README's table, the rows and the DataFrame
# cannot drift apart. Money is DECIMAL (never double), dates DATE. The rows carry no
# names, birth dates or addresses; member_id is the one PHI column (analytics need it
# to group by beneficiary). Nothing here imports pyspark until schema() is called.
from __future__ import annotations

from datetime import date
from typing import Any

__all__ = ["COLUMNS", "claim_rows", "schema", "first_service_date"]

MONEY = "decimal(18,2)"

#: (column, Spark SQL type, meaning), in row order.
COLUMNS: list[tuple[str, str, str]] = [
    ("file", "string", "the input file, as the file system names it"),
    ("file_no", "int", "the file's place in the run (inputs sorted by path), from 0"),
    ("claim_no", "int", "the claim's place in its file (every CLM counts), from 0"),
    ("line_index", "int", "the line's place in its claim, from 0"),
    ("transaction_control", "string", "ST02 of the claim's transaction set"),
    ("patient_control_number", "string", "CLM01"),
    ("member_id", "string", "2010BA NM109, the beneficiary (PHI)"),
    ("billing_npi", "string", "2010AA NM109"),
    ("payer_id", "string", "2010BB NM109"),
    ("frequency", "string", "CLM05-3: 1 original, 7 replacement, 8 void"),
    ("claim_charge", MONEY, "CLM02"),
    ("claim_place_of_service", "string", "CLM05-1"),
    ("first_service_date", "date", "the claim's earliest line date (its date-of-service order)"),
    ("line_number", "int", "LX01"),
    ("code", "string", "SV101-2, the HCPCS code"),
    ("modifiers", "array<string>", "SV101-3..6"),
    ("charge", MONEY, "SV102"),
    ("units", "decimal(18,3)", "SV104"),
    ("place_of_service", "string", "SV105 (the claim's when empty)"),
    ("service_date", "date", "DTP*472, or the start of its range"),
    ("service_date_end", "date", "DTP*472 range end; null for one day"),
    ("line_control", "string", "REF*6R"),
]


def first_service_date(claim: Any) -> date | None:
    days = [ln.service_date for ln in claim.lines if ln.service_date is not None]
    return min(days) if days else None


def claim_rows(claim: Any, file: str, file_no: int, claim_no: int) -> list[tuple]:
    """The claim's lines as row tuples in COLUMNS order."""
    sub, bp, payer, env = claim.subscriber, claim.billing_provider, claim.payer, claim.envelope
    head = (file, file_no, claim_no)
    context = (
        env.transaction_control_number if env is not None else None,
        claim.patient_control_number,
        sub.member_id if sub is not None else None,
        bp.npi if bp is not None else None,
        payer.id if payer is not None else None,
        claim.frequency_code,
        claim.total_charge,
        claim.place_of_service,
        first_service_date(claim),
    )
    return [(*head, i, *context, ln.line_number, ln.code, list(ln.modifiers), ln.charge,
             ln.units, ln.place_of_service or claim.place_of_service, ln.service_date,
             ln.service_date_end, ln.control_number)
            for i, ln in enumerate(claim.lines)]


def _type(name: str):
    from pyspark.sql import types as T

    simple = {"string": T.StringType(), "int": T.IntegerType(), "date": T.DateType(),
              "array<string>": T.ArrayType(T.StringType())}
    if name in simple:
        return simple[name]
    precision, scale = name[len("decimal("):-1].split(",")
    return T.DecimalType(int(precision), int(scale))


def schema():
    """COLUMNS as a pyspark StructType (every column nullable)."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, _type(kind), True) for name, kind, _ in COLUMNS])

