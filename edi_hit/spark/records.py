# What the Spark runner moves: one file's bytes in, keyed records out, and back.
#
# Strategy: the executors run edi-hit's own reader on each file, exactly as `adjudicate`
# does (the envelope pre-scan's verdicts, then read_837p in reject mode, then the 835
# builder's refusal check), and emit records keyed by (member id, first service day,
# file number, claim number): sorting by that key puts each beneficiary's claims
# together in date-of-service order, input order on a tie - the order the pricer
# applies them in. A record is (kind, payload): CLAIM (a Claim to price), REJECTED (a
# RejectedClaim, carried through to the driver's summary), COUNT (claims read in a
# file) and FINDINGS (the reader's warnings in a file), so one pass over the data
# carries everything the driver reports. Errors that stop the run (a file that is not
# X12) are raised with a marker the driver finds in Spark's error text.
from __future__ import annotations

import zlib
from typing import Any, Iterator

from edi_hit.claims import RejectedClaim
from edi_hit.errors import EdiHitError

__all__ = ["CLAIM", "REJECTED", "COUNT", "FINDINGS", "PRICED", "PRICED_COUNT", "MARKER",
           "file_records", "member_partition", "Key"]

CLAIM, REJECTED, COUNT, FINDINGS, PRICED, PRICED_COUNT = (
    "claim", "rejected", "count", "findings", "priced", "priced_count")
#: The text before an edi-hit error's message inside Spark's error report.
MARKER = "EDI-HIT-ERROR: "

Key = tuple[str, int, int, int]  # member id, first service day (ordinal), file, claim
_NO_DAY = 10**7  # after every real day (date.max.toordinal() is 3,652,059)


def member_partition(key: Key) -> int:
    """The partition function: by member id only, stable across processes (unlike
    hash(), which Python salts per process)."""
    return zlib.crc32(key[0].encode("utf-8"))


def fail(exc: EdiHitError) -> RuntimeError:
    """An edi-hit error as raised inside a Spark task, for the driver to find."""
    return RuntimeError(f"{MARKER}{exc}")


def file_records(file_no: int, name: str, data: bytes) -> Iterator[tuple[Key, tuple[str, Any]]]:
    """The records of one 837P file (see the module comment)."""
    from edi_hit.pricing.plan import plan_run
    from edi_hit.pricing.run import member_id
    from edi_hit.spark.rows import first_service_date
    from edi_hit.x835.carry import refusal
    from edi_hit.x837p.read import read_837p

    checked: dict = {}
    n = 0
    try:
        plan = plan_run([data], [name])
        reader = read_837p(data, name=name, errors="reject", envelope_verdicts=plan.verdicts[0])
        for n, item in enumerate(reader, start=1):
            if isinstance(item, RejectedClaim):
                mbi = getattr(item, "member_id", None) or plan.member_at(0, n - 1) or ""
                yield (mbi, _NO_DAY, file_no, n), (REJECTED, item)
                continue
            mbi = member_id(item)
            refused = refusal(item, checked)
            if refused:
                rejected = RejectedClaim(name, refused, item.patient_control_number)
                yield (mbi, _NO_DAY, file_no, n), (REJECTED, rejected)
                continue
            day = first_service_date(item)
            yield (mbi, day.toordinal() if day else _NO_DAY, file_no, n), (CLAIM, item)
        findings = len(getattr(reader, "all_findings", ()))
    except EdiHitError as exc:
        raise fail(exc) from None
    yield ("", 0, file_no, 0), (COUNT, n)
    if findings:
        yield ("", 0, file_no, 0), (FINDINGS, findings)
