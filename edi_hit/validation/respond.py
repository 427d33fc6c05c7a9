# The response envelope every acknowledgment shares (999, TA1, 277CA).
#
# Strategy: an acknowledgment answers one received interchange, so its ISA swaps the
# received sender and receiver (unless the caller names them), and every value
# copied from the input is first made safe for the response's own delimiters:
# Clean replaces them (and non-printable characters) with spaces and cuts to the
# element's maximum length. The writers (ack.py, ack277.py) only add their segments.
from __future__ import annotations

from ..x12 import Delimiters, SegmentWriter

__all__ = ["Clean", "open_writer", "finish", "begin_response"]


class Clean:
    """Values copied from the input must not carry the response's delimiters."""

    def __init__(self, delimiters: Delimiters):
        bad = set(delimiters.chars())
        self._table = {ord(c): " " for c in bad}
        self._bad = bad

    def copyable(self, value) -> bool:
        """Whether `value` can be copied into the response exactly as it is."""
        text = "" if value is None else str(value)
        return bool(text) and all(" " <= c <= "~" and c not in self._bad for c in text)

    def __call__(self, value, limit=None) -> str:
        text = "" if value is None else str(value)
        text = "".join(c if " " <= c <= "~" else " " for c in text).translate(self._table)
        text = text.strip()
        return text[:limit] if limit else text


def open_writer(stream, delimiters, line_break):
    return SegmentWriter(stream, delimiters, line_break=line_break)


def finish(writer, stream):
    writer.flush()
    return writer.getvalue() if stream is None else None


def begin_response(writer, ic, clean, control, now, sender, receiver):
    """ISA of the response to interchange `ic`: received receiver -> sender, and back."""
    s_q, s_id = sender or (ic.receiver_qualifier or "ZZ", ic.receiver_id)
    r_q, r_id = receiver or (ic.sender_qualifier or "ZZ", ic.sender_id)
    writer.begin_interchange(clean(s_q, 2) or "ZZ", clean(s_id, 15) or "UNKNOWN",
                             clean(r_q, 2) or "ZZ", clean(r_id, 15) or "UNKNOWN", control,
                             now=now, usage=ic.usage if ic.usage in ("P", "T") else "P")
