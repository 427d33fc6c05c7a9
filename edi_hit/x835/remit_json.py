# Remittances as JSON or NDJSON, written while the 835 is read.
#
# Strategy: RemitWriter takes the streaming reader's events (read.py: a claim as soon
# as it is complete, the transaction at its SE) and writes each at once, so nothing
# grows with the size of a transaction set but the findings.
#
# JSON is the document `edi-hit read-835` has always written, byte for byte:
# {"remittances": [Remittance.to_dict(), ...], "findings": [file-level findings]},
# as json.dump(doc, indent=JSON_INDENT) lays it out (edi_hit.formats). A transaction's keys before "claims" are
# known when its first claim arrives and are written then; each claim follows as it
# comes; the keys after "claims" (provider_adjustments, findings) at its SE. Each piece
# is rendered by json.dumps and shifted to its depth, which is all indenting does.
#
# NDJSON is one record a line (schemas/remittance-ndjson.schema.json):
#   {"record": "claim", "file", "interchange_control_number", "group_control_number",
#    "transaction_control_number", "trace_number", "payer_id", "payee_id",
#    "claim": <claim>, "findings": [its balancing findings]}
#   {"record": "remittance", "claims": <count>, "remittance": <transaction at its SE,
#    "claims" empty: they were the lines before>}
#   {"record": "file", "file", "findings": [file-level findings]}  after each file
from __future__ import annotations

import json
from typing import Any, TextIO

from edi_hit.errors import Finding
from edi_hit.formats import JSON_INDENT

from .model import Remittance
from .read import RemitEvent

__all__ = ["RemitWriter", "FORMATS"]

FORMATS = ("json", "ndjson")


def _sp(depth: int) -> str:
    return " " * (depth * JSON_INDENT)


def _block(value: Any, depth: int) -> str:
    """json.dumps(value, indent=JSON_INDENT) as it appears nested `depth` levels deep."""
    return json.dumps(value, indent=JSON_INDENT).replace("\n", "\n" + _sp(depth))


class RemitWriter:
    """Write remittance events to a text stream as JSON or NDJSON.

        writer = RemitWriter(out, "json")
        for ev in reader.events():
            writer.add(ev)
        writer.end_file(reader.name, reader.findings)
        writer.close()

    Counts: remittances, claims; `balance` lists the balancing findings seen.
    """

    def __init__(self, out: TextIO, fmt: str = "json"):
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        self.out = out
        self.fmt = fmt
        self.remittances = 0
        self.claims = 0
        self.balance: list[Finding] = []
        self._file_findings: list[dict[str, Any]] = []
        self._open: Remittance | None = None   # the transaction whose head is written
        self._in_set = 0                       # its claims written so far
        self._started = False

    def add(self, ev: RemitEvent) -> None:
        remit, claim = ev.remittance, ev.claim
        if claim is not None:
            self.claims += 1
            if self.fmt == "ndjson":
                self._line({"record": "claim", "file": remit.file,
                            "interchange_control_number": remit.interchange_control_number,
                            "group_control_number": remit.group_control_number,
                            "transaction_control_number": remit.transaction_control_number,
                            "trace_number": remit.trace_number, "payer_id": remit.payer.id,
                            "payee_id": remit.payee.id, "claim": claim.to_dict(),
                            "findings": [f.to_dict() for f in ev.claim_findings]})
            else:
                self._json_claim(remit, claim.to_dict())
            self._in_set += 1
            return
        self.balance.extend(f for f in remit.findings if f.code.startswith("balance-"))
        if self.fmt == "ndjson":
            self._line({"record": "remittance", "claims": self._in_set,
                        "remittance": remit.to_dict()})
        else:
            self._json_end(remit)
        self.remittances += 1
        self._open, self._in_set = None, 0

    def end_file(self, name: str | None, findings: list[Finding]) -> None:
        """A file is read to its end; its file-level findings."""
        found = [f.to_dict() for f in findings]
        if self.fmt == "ndjson":
            self._line({"record": "file", "file": name, "findings": found})
        else:
            self._file_findings.extend(found)

    def close(self) -> None:
        """Finish the document (JSON: the closing brackets and the file findings)."""
        if self.fmt == "ndjson":
            return
        self._start()
        self.out.write((f"\n{_sp(1)}]" if self.remittances else "]")
                       + f',\n{_sp(1)}"findings": ' + _block(self._file_findings, 1) + "\n}\n")

    # -- NDJSON --------------------------------------------------------------------------
    def _line(self, record: dict[str, Any]) -> None:
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")

    # -- JSON ----------------------------------------------------------------------------
    def _start(self) -> None:
        if not self._started:
            self._started = True
            self.out.write(f'{{\n{_sp(1)}"remittances": [')

    def _json_head(self, remit: Remittance) -> None:
        """The transaction's keys before "claims", once."""
        if self._open is remit:
            return
        self._start()
        d = remit.to_dict()
        keys = list(d)
        head = {k: d[k] for k in keys[:keys.index("claims")]}
        text = _block(head, 2)[:-len(f"\n{_sp(2)}}}")]  # the object, left open
        self.out.write(("\n" if self.remittances == 0 else ",\n") + _sp(2) + text
                       + f',\n{_sp(3)}"claims": [')
        self._open, self._in_set = remit, 0

    def _json_claim(self, remit: Remittance, claim: dict[str, Any]) -> None:
        self._json_head(remit)
        self.out.write(("\n" if self._in_set == 0 else ",\n") + _sp(4) + _block(claim, 4))

    def _json_end(self, remit: Remittance) -> None:
        self._json_head(remit)
        d = remit.to_dict()
        keys = list(d)
        tail = keys[keys.index("claims") + 1:]
        self.out.write(f"\n{_sp(3)}]" if self._in_set else "]")
        for k in tail:
            self.out.write(f',\n{_sp(3)}{json.dumps(k)}: ' + _block(d[k], 3))
        self.out.write(f"\n{_sp(2)}}}")
