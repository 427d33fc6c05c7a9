# pyx12 as an independent oracle: what we write must validate against the TR3 maps.
#
# Strategy: run pyx12.x12n_document.x12n_document on the bytes in memory, and collect
# the errors from both places pyx12 reports them: the JSON error tree it writes to
# fd_json (interchange, group, transaction, segment and element errors) and the ERROR
# records logged on the "pyx12" logger. The return value of x12n_document alone is
# not enough (it is True for some files with logged errors), and the x12valid exit
# status says nothing about which rule failed. Shared by the 837P and 835 tests.
from __future__ import annotations

import io
import json
import logging

__all__ = ["pyx12_errors"]


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _tree_errors(node, where: str, out: list[str]) -> None:
    if isinstance(node, dict):
        for err in node.get("errors") or ():
            text = err.get("err_str") or str(err)
            line = node.get("cur_line")
            seg = node.get("seg_id")
            prefix = where + (f" {seg}" if seg else "") + (f" line {line}" if line else "")
            out.append(f"{prefix}: {text}".strip())
        for key in ("interchanges", "groups", "transactions", "segments", "elements"):
            for child in node.get(key) or ():
                _tree_errors(child, where or key[:-1], out)
    elif isinstance(node, list):
        for child in node:
            _tree_errors(child, where, out)


def pyx12_errors(data: bytes) -> list[str]:
    """All errors pyx12 finds in an X12 document (empty list: valid).

    Logged ERROR messages come first, then errors of the JSON tree that were not
    already logged with the same text.
    """
    import pyx12.params
    import pyx12.x12n_document

    handler = _Collect()
    logger = logging.getLogger("pyx12")
    old_level = logger.level
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.ERROR:
        logger.setLevel(logging.ERROR)
    fd_json = io.StringIO()
    errors: list[str] = []
    try:
        text = data.decode("ascii", errors="replace") if isinstance(data, bytes) else data
        ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text),
                                               None, None, fd_json=fd_json)
    except Exception as exc:  # pyx12 raises on documents it cannot map at all
        errors.append(f"pyx12 raised {type(exc).__name__}: {exc}")
        ok = False
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    errors.extend(handler.messages)
    tree: list[str] = []
    raw = fd_json.getvalue()
    if raw.strip():
        try:
            _tree_errors(json.loads(raw), "", tree)
        except ValueError:
            tree.append("pyx12 wrote JSON that does not parse")
    logged = " | ".join(errors)
    for t in tree:
        msg = t.split(": ", 1)[-1]
        if msg not in logged:
            errors.append(t)
    if not ok and not errors:
        errors.append("pyx12 returned False without naming an error")
    return errors
