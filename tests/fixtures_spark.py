"""A local Spark session for the tests that need it: local[2], 4 shuffle partitions, no
UI, errors only in the log. One JVM serves every test of a module (the Spark tests live
in one module: one JVM in all); afterwards the session, its py4j gateway and the JVM
are shut down completely, so later tests see a process with no extra threads (forking
code such as `validate -j` checks that). The tests skip, saying why, when pyspark or
Java is missing (and fail instead in CI: EDI_HIT_REQUIRE_SERVICES=1, set by .ci/run)."""
from __future__ import annotations

import shutil

import pytest

from fixtures_postgres import unavailable


def _shutdown(session) -> None:
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        if proc.stdin is not None:
            proc.stdin.close()  # the JVM exits when its standard input closes
        proc.wait(60)
    SparkContext._gateway = None
    SparkContext._jvm = None


@pytest.fixture(scope="module")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed (pip install 'edi-hit[spark]')")
    if shutil.which("java") is None:
        unavailable("Java (17) is not installed: Spark needs it")
    from edi_hit.spark import local_session

    session = local_session("local[2]", app="edi-hit-tests")
    yield session
    _shutdown(session)
