# pyx12 in threads (issue 13): level 2 by pyx12 swaps pyx12's process-wide error
# handler class and the "pyx12" logger's handlers for the length of a run. Two runs in
# threads of one process (a gateway) must not see each other's handler or log records,
# and must leave both exactly as they found them.
from __future__ import annotations

import logging
import threading
from pathlib import Path

import pyx12.error_handler

from edi_hit import validate

ROOT = Path(__file__).resolve().parent.parent
VALID = (ROOT / "fixtures" / "validate" / "hit_valid.837").read_bytes()
# NM1*85 entity type 9: not a code the TR3 allows (level 2 error in NM102)
BROKEN = VALID.replace(b"NM1*85*2*SUNRISE", b"NM1*85*9*SUNRISE", 1)


def _level2(data: bytes, name: str):
    report = validate(data, name=name, levels=(1, 2), engine="pyx12")
    return report.ok, [(i.code, i.segment_index, i.segment_id, i.element, i.message)
                       for i in report.issues]


def test_two_pyx12_validations_in_threads_agree_with_running_them_in_turn():
    assert BROKEN != VALID
    expected = {"valid": _level2(VALID, "valid"), "broken": _level2(BROKEN, "broken")}
    assert expected["valid"] == (True, [])
    assert expected["broken"][0] is False and any(
        seg_id == "NM1" for _, _, seg_id, _, _ in expected["broken"][1])

    sentinel = logging.NullHandler()
    pyx12_logger = logging.getLogger("pyx12")
    pyx12_logger.addHandler(sentinel)
    handlers_before = list(pyx12_logger.handlers)
    class_before = pyx12.error_handler.err_handler
    jobs = [("valid", VALID), ("broken", BROKEN)] * 3
    start = threading.Barrier(len(jobs))
    results: dict[int, object] = {}

    def work(n: int, name: str, data: bytes) -> None:
        start.wait()
        try:
            results[n] = _level2(data, name)
        except Exception as exc:  # pragma: no cover - reported by the assert below
            results[n] = exc

    threads = [threading.Thread(target=work, args=(n, name, data))
               for n, (name, data) in enumerate(jobs)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert {n: results.get(n) for n in range(len(jobs))} == {
            n: expected[name] for n, (name, _) in enumerate(jobs)}
        assert pyx12.error_handler.err_handler is class_before
        assert pyx12_logger.handlers == handlers_before
    finally:
        pyx12_logger.removeHandler(sentinel)
