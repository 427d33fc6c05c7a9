# The Spark runner's inputs: which files a glob names, what the ledger calls them, and
# errors brought back from the executors as one line.
#
# Strategy: inputs are listed through Hadoop's FileSystem (the driver's JVM), so a glob
# means on HDFS or S3 what it means on a local disk: a folder stands for the files
# under it, hidden files (".", "_") are skipped as Spark does, and the list is sorted
# (file numbers, hence the order of ties between a beneficiary's claims, follow it).
# The ledger identifies inputs by content: their sha256 is computed on the executors,
# where the bytes are. An edi-hit error raised in a task reaches the driver inside
# Spark's report (a Java stack, a Python traceback); spark_errors() finds the marked
# message (records.MARKER) and raises it as the EdiHitError it was; any other failure
# of the job becomes one line naming its last cause (the CLI prints no traceback).
from __future__ import annotations

import contextlib
import os
import re
from typing import Any, Collection, Iterator

from edi_hit.errors import EdiHitError
from edi_hit.pricing.history import InputFile

from .records import MARKER

# a Python or Java exception's line: a dotted class name, or a bare ...Error/...Exception
_ERROR_LINE = re.compile(r"^((?:[a-z_]\w*\.)+[A-Z]\w*|[A-Z]\w*(?:Error|Exception)): \S")

__all__ = ["list_inputs", "local_path", "identify_inputs", "spark_errors"]


def local_path(name: str) -> str:
    """A local file's path without Hadoop's scheme; other URIs as they are."""
    if name.startswith("file:"):
        path = name[len("file:"):]
        return "/" + path.lstrip("/") if path.startswith("//") else path
    return name


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def list_inputs(spark: Any, inputs: str | list[str]) -> dict[str, int]:
    """The files matching these globs or folders: full URI -> size in bytes, sorted by
    URI; EdiHitError when a pattern matches nothing."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    found: dict[str, int] = {}
    for pattern in [inputs] if isinstance(inputs, str) else list(inputs):
        path = jvm.org.apache.hadoop.fs.Path(os.fspath(pattern))
        fs = path.getFileSystem(conf)
        names: dict[str, int] = {}
        for status in fs.globStatus(path) or []:
            if status.isDirectory():
                base = status.getPath().toUri().getPath().rstrip("/") + "/"
                files = fs.listFiles(status.getPath(), True)
                while files.hasNext():
                    f = files.next()
                    inside = f.getPath().toUri().getPath()[len(base):].split("/")
                    if not any(_hidden(part) for part in inside):
                        names[f.getPath().toString()] = f.getLen()
            elif not _hidden(status.getPath().getName()):
                names[status.getPath().toString()] = status.getLen()
        if not names:
            raise EdiHitError(f"{pattern}: no input files match")
        found.update(names)
    return dict(sorted(found.items()))


def _identify(item: tuple[str, bytes]) -> InputFile:
    from edi_hit.pipeline.inputs import identify

    name, data = item
    return identify([data], [local_path(name)])[1][0]


def identify_inputs(spark: Any, files: Collection[str]) -> list[InputFile]:
    """InputFile records (sha256, size, ISA06, ISA13) of the files, in their order;
    EdiHitError when two have the same content."""
    sc = spark.sparkContext
    found = dict((f.path, f) for f in sc.binaryFiles(",".join(files)).map(_identify).collect())
    out = [found[local_path(f)] for f in files]
    seen: dict[str, str] = {}
    for f in out:
        if f.sha256 in seen:
            raise EdiHitError(f"{f.path} has the same content as {seen[f.sha256]}: give each "
                              f"input once")
        seen[f.sha256] = f.path
    return out


@contextlib.contextmanager
def spark_errors() -> Iterator[None]:
    """Turn a failed Spark job whose cause is an edi-hit error into that error."""
    try:
        yield
    except EdiHitError:
        raise
    except Exception as exc:  # Py4JJavaError, PythonException: their text holds the cause
        text = str(exc)
        at = text.find(MARKER)
        if at >= 0:
            raise EdiHitError(text[at + len(MARKER):].splitlines()[0].strip()) from None
        cause = [ln.strip() for ln in text.splitlines() if _ERROR_LINE.match(ln.strip())]
        raise EdiHitError(f"the Spark job failed: {(cause or [type(exc).__name__])[-1][:500]}") \
            from None
