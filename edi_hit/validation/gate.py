# Which transaction sets of a file the implementation guide rejects, claim by claim.
#
# Strategy: a batch prices only what a 999 would accept. validate() runs levels 1 and
# 2 (syntax/envelope and edi-hit's own TR3 engine, one streaming pass) and decides each
# transaction set once (report.decide); the gate keeps the rejected sets by their
# envelope key (ISA13, GS06, ST02) with one reason each, so a reader's Claim (whose
# Envelope carries the same three control numbers) is looked up in O(1). Control
# numbers repeated within a file cannot tell their sets apart: a key any rejected set
# carries rejects every claim under it (fail closed). A reason names the finding code,
# the segment position, segment id and element, never the element's value (PHI).
from __future__ import annotations

from dataclasses import dataclass

from .engine import validate

__all__ = ["SetRejection", "TR3Gate", "tr3_gate"]

Key = tuple[str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class SetRejection:
    """Why a transaction set is rejected: its first error, and how many it has."""

    transaction_control: str
    code: str
    segment_index: int | None
    segment_id: str | None
    element: str | None
    errors: int

    @property
    def reason(self) -> str:
        where = f"segment {self.segment_index}" if self.segment_index is not None else "the set"
        what = " ".join(p for p in (self.segment_id, self.element) if p)
        more = f" (+{self.errors - 1} more)" if self.errors > 1 else ""
        return (f"transaction set ST02 {self.transaction_control} rejected by validation "
                f"(levels 1-2): {self.code} at {where}" + (f" ({what})" if what else "") + more)

    def to_dict(self) -> dict:
        return {"code": self.code, "segment_index": self.segment_index,
                "transaction_control": self.transaction_control, "reason": self.reason}


class TR3Gate:
    """The rejected sets of one file; `rejection(claim)` is None for an accepted one."""

    def __init__(self, rejected: dict[Key, SetRejection]):
        self.rejected = rejected

    def rejection(self, claim) -> SetRejection | None:
        return self.rejected.get(claim_key(claim)) if self.rejected else None


def _norm(control) -> str | None:
    """A control number as a key: leading zeros are not significant (ISA13 is 9 digits)."""
    if control is None:
        return None
    text = str(control).strip()
    return text.lstrip("0") or "0" if text.isdigit() else text


def claim_key(claim) -> Key:
    env = claim.envelope
    if env is None:
        return (None, None, None)
    return (_norm(env.interchange_control_number), _norm(env.group_control_number),
            _norm(env.transaction_control_number))


def tr3_gate(path: str, *, name: str | None = None) -> TR3Gate:
    """Validate `path` at levels 1-2 with edi-hit's engine; the gate of its rejected sets."""
    report = validate(path, name=name, levels=(1, 2), engine="edi-hit")
    rejected: dict[Key, SetRejection] = {}
    for ic in report.interchanges:
        for g in ic.groups:
            for t in g.transactions:
                if t.accepted:
                    continue
                key = (_norm(ic.control_number), _norm(g.control_number),
                       _norm(t.control_number))
                rejected.setdefault(key, _rejection(report, t))
    return TR3Gate(rejected)


def _rejection(report, t) -> SetRejection:
    errors = [i for i in t.issues if i.severity == "error" and (i.level <= 2 or i.claim is None)]
    if not errors:  # rejected by its envelope (interchange or group): the first such issue
        errors = [i for i in report.issues if i.severity == "error" and i.code in t.reasons]
    first = errors[0] if errors else None
    return SetRejection(t.control_number, first.code if first else ",".join(t.reasons),
                        first.segment_index if first else t.segment_index,
                        first.segment_id if first else "ST",
                        first.element if first else None, max(len(errors), 1))
