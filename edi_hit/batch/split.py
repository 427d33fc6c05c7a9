# A batch's first phase: each input file to partition shards, in N processes.
#
# Strategy: one file at a time (batch's pool maps it over the files): hash it, set aside
# what is not X12 or cannot be read (reported with why, never fatal), validate it at
# levels 1-2 with edi-hit's own TR3 engine (tr3: validation/gate.py; the claims of a
# transaction set a 999 would reject are not priced but listed rejected with the finding
# code and segment position; the file's other sets go on), read its claims with the 837P
# reader in reject mode, and write the accepted ones to partition shards: a claim goes
# to partition member_key(member id) mod P (the run plan's stable 64-bit key, plan.py),
# so every beneficiary belongs to exactly one partition. A shard is an 837P
# (.work/fNNNNN-pP-cK.837, 0600) of at most SHARD_CLAIMS claims in input order, written
# deterministically (fixed envelope date and control numbers): the same input gives the
# same shards. A file's split is recorded (.work/fNNNNN.json) once all its shards are in
# place, and a resumed batch takes the record instead of splitting again.
from __future__ import annotations

import json
import os
import re
from datetime import datetime
from typing import Any

from edi_hit.errors import EdiHitError

from .work import write_small

__all__ = ["split", "SHARD_CLAIMS", "SHARD"]

#: Claims in one partition shard (the split holds at most this many per partition).
SHARD_CLAIMS = 2000
_SHARD_NOW = datetime(2000, 1, 1)  # a fixed envelope date: the same input, the same shard
SHARD = re.compile(r"f(\d+)-p(\d+)-c(\d+)\.837$")


def split(task) -> dict:
    """One input file to partition shards (module comment); its manifest fields and
    the shards written, [(partition, path, claims)]."""
    index, name, sha, parts, work, tr3 = task
    record = os.path.join(work, f"f{index:05d}.json")
    if os.path.exists(record):  # split before a kill: the same shards are in place
        with open(record, encoding="utf-8") as fh:
            return json.load(fh)
    out = _split_file(index, name, sha, parts, work, tr3)
    write_small(record, json.dumps(out))
    return out


def _split_file(index: int, name: str, sha: str | None, parts: int, work: str,
                tr3: bool = True) -> dict:
    from edi_hit.claims import RejectedClaim
    from edi_hit.pipeline.inputs import isa_header
    from edi_hit.pricing.plan import member_key, plan_run
    from edi_hit.pricing.run import member_id
    from edi_hit.validation.gate import TR3Gate, tr3_gate
    from edi_hit.x837p.read import read_837p

    out: dict[str, Any] = {"file": name, "sha256": sha, "shards": []}
    try:
        out["size"] = os.path.getsize(name)
        with open(name, "rb") as fh:
            head = fh.read(256)
    except OSError as exc:
        return {**out, "status": "unreadable", "reason": f"cannot read: {exc.strerror}"}
    out["sender"], out["control"] = isa_header(head)
    if (out["sender"], out["control"]) == (None, None):
        return {**out, "status": "not-x12", "reason": "not X12: the file does not begin "
                                                      "with an ISA segment"}
    shards = _Shards(index, parts, work)
    rejects: list[dict] = []
    claims_in = 0
    try:
        gate = tr3_gate(name, name=name) if tr3 else TR3Gate({})
        plan = plan_run([name], [name])
        for item in read_837p(name, name=name, errors="reject",
                              envelope_verdicts=plan.verdicts[0]):
            claims_in += 1
            if isinstance(item, RejectedClaim):
                rejects.append({"patient_control_number": item.patient_control_number,
                                "segment_index": item.segment_index, "reason": item.reason})
                continue
            if (rejected := gate.rejection(item)) is not None:
                rejects.append({"patient_control_number": item.patient_control_number,
                                **rejected.to_dict()})
                continue
            shards.add(member_key(member_id(item)) % parts, item)
        shards.flush_all()
    except (EdiHitError, OSError) as exc:
        shards.discard()
        why = str(exc) if isinstance(exc, EdiHitError) else f"cannot read: {exc.strerror}"
        return {**out, "status": "unreadable", "reason": why}
    out.update(claims_in=claims_in, claims_rejected=len(rejects), rejects=rejects,
               shards=shards.written, status="empty" if not claims_in else "pending")
    return out


class _Shards:
    """Accepted claims of one file by partition, written SHARD_CLAIMS at a time."""

    def __init__(self, index: int, parts: int, work: str):
        self.index, self.work = index, work
        self.pending: list[list] = [[] for _ in range(parts)]
        self.chunks = [0] * parts
        self.written: list[tuple[int, str, int]] = []

    def add(self, partition: int, claim) -> None:
        self.pending[partition].append(claim)
        if len(self.pending[partition]) >= SHARD_CLAIMS:
            self.flush(partition)

    def flush_all(self) -> None:
        for p in range(len(self.pending)):
            if self.pending[p]:
                self.flush(p)

    def flush(self, p: int) -> None:
        from edi_hit.x837p import write_837p

        k = self.chunks[p]
        self.chunks[p] += 1
        path = os.path.join(self.work, f"f{self.index:05d}-p{p}-c{k}.837")
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            write_837p(self.pending[p], fh, sender_id="EDIHITBATCH", receiver_id="EDIHITBATCH",
                       control_number=(self.index % 99_999) * 10_000 + k % 10_000 + 1,
                       now=_SHARD_NOW)
        os.replace(tmp, path)
        self.written.append((p, path, len(self.pending[p])))
        self.pending[p] = []

    def discard(self) -> None:
        for _, path, _ in self.written:
            os.unlink(path)
        self.written = []
