# edi-hit on Spark: the main job and a claim lines table, for when one machine is not
# enough (pip install 'edi-hit[spark]'; Java 17).
#
# Strategy: Spark moves claims, edi-hit decides them. The executors run edi-hit's own
# reader and Pricer (records.py, partition.py); the driver writes the 835 with the same
# RemittanceBuilder and reports with the same Summary as `adjudicate` (driver.py), so
# the amounts and codes are the ones `adjudicate` gives on the same files. Claims move
# between stages as Python objects (PySpark pickles them in batches), not as rows: a
# claim's names, addresses and unmodelled segments travel whole and nothing is
# re-parsed. claims_dataframe() is the other face: one row per service line with its
# claim's context (rows.COLUMNS, the documented schema), for analytics and Parquet.
# inputs.py lists files through Hadoop's FileSystem and brings executor errors back
# as one line. pyspark is imported only when a function here needs it.
from __future__ import annotations

from typing import Any

from edi_hit.errors import EdiHitError

from .driver import REMIT, SUMMARY, priced_claims, spark_adjudicate
from .partition import PricingOptions
from .rows import COLUMNS, schema

__all__ = ["spark_adjudicate", "claims_dataframe", "claim_lines_schema", "local_session",
           "priced_claims", "PricingOptions", "COLUMNS", "REMIT", "SUMMARY"]


def _pyspark():
    try:
        import pyspark
    except ImportError:
        raise EdiHitError("the Spark runner needs pyspark (and Java 17): pip install "
                          "'edi-hit[spark]'") from None
    return pyspark


def claim_lines_schema():
    """The StructType of claims_dataframe (rows.COLUMNS)."""
    _pyspark()
    return schema()


def _rows(numbers: dict[str, int], item: tuple[str, bytes]):
    from edi_hit.claims import RejectedClaim
    from edi_hit.x837p.read import read_837p

    from .inputs import local_path
    from .records import fail
    from .rows import claim_rows

    name, data = item
    path = local_path(name)
    try:
        for n, claim in enumerate(read_837p(data, name=path, errors="reject")):
            if claim.__class__ is not RejectedClaim:
                yield from claim_rows(claim, path, numbers[name], n)
    except EdiHitError as exc:
        raise fail(exc) from None


def claims_dataframe(spark: Any, paths: str | list[str]):
    """A DataFrame of the service lines of the 837P files matching `paths` (globs or
    folders on any file system Spark reads): one row per line with its claim's context,
    schema claim_lines_schema(). Claims the reader rejects are left out."""
    from functools import partial

    from .inputs import list_inputs, spark_errors

    _pyspark()
    with spark_errors():
        files = list_inputs(spark, paths)
    numbers = {name: i for i, name in enumerate(files)}
    sc = spark.sparkContext
    lines = sc.binaryFiles(",".join(files)).flatMap(partial(_rows, numbers))
    return spark.createDataFrame(lines, schema())


def local_session(master: str = "local[2]", *, app: str = "edi-hit", shuffle_partitions: int = 4,
                  conf: dict[str, str] | None = None):
    """A SparkSession for one machine (tests, benchmarks, the CLI without a cluster):
    no UI, few shuffle partitions, warnings only. Its Python workers run this
    interpreter (where edi-hit and its extras are installed), not whichever `python3`
    comes first on PATH, unless PYSPARK_PYTHON or `conf` says otherwise."""
    _pyspark()
    import os
    import sys

    from pyspark.sql import SparkSession

    conf = dict(conf or {})
    if not os.environ.get("PYSPARK_PYTHON") and "spark.pyspark.python" not in conf:
        # PySpark starts local workers with PYSPARK_PYTHON (default: python3 on PATH);
        # the one process-wide setting this function makes, and only when unset
        os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = (SparkSession.builder.master(master).appName(app)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
               .config("spark.speculation", "false"))
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
