# A DME MAC's 835 as drug evidence: the drug lines it processed with an allowed amount.
#
# Strategy: HIT payment needs a home infusion drug "covered and paid for under the DME
# benefit" (hit-rules 4.8, C26), and the DME MAC's remittance says which drug lines
# it covered. Each claim it processed (CLP02 1, 2, 3, 19, 20 or 21) gives the drug
# J-code lines (SVC01) with an allowed amount above zero (AMT*B6, or paid plus patient
# responsibility when AMT*B6 is absent) as covered DrugClaims for the beneficiary of
# NM1*QC, dated by DTM*472 (or 150). A reversal (CLP02 22) takes its lines' evidence
# back. Denied claims and lines give nothing. The result goes into the history store
# (`edi-hit history import-835`) or to one pricing run (--dme-drugs FILE), beside the
# HIT supplier's 837P. Reading files of either kind (an 835 or a claim-line CSV) is
# here too, since only this layer knows both.
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from edi_hit.errors import DataError
from edi_hit.pricing.codes import CodeTable, default_codes
from edi_hit.pricing.dme import DmeEvidence, read_dme_csv
from edi_hit.pricing.history import DrugClaim

from .model import RemitLine
from .read import RemittanceReader

__all__ = ["dme_drugs_from_835", "load_dme_evidence"]

_PROCESSED = {"1", "2", "3", "19", "20", "21"}
_REVERSAL = "22"
_ZERO = Decimal(0)


def _allowed(line: RemitLine) -> Decimal:
    if line.allowed is not None:
        return line.allowed
    return line.paid + line.patient_responsibility


def dme_drugs_from_835(source: str | Path | bytes | IO[bytes], *, name: str | None = None,
                       codes: CodeTable | None = None) -> DmeEvidence:
    """The covered drug lines of a DME MAC's 835 (path, bytes or binary file)."""
    codes = codes or default_codes()
    label = name or (Path(source).name if isinstance(source, (str, Path)) else "<835>")
    out = DmeEvidence(label)
    kept: dict[tuple[str, date, str], DrugClaim] = {}
    for remit in RemittanceReader(source, name):
        for rc in remit.claims:
            status = rc.status_code
            if status not in _PROCESSED and status != _REVERSAL:
                out.not_covered += sum(1 for ln in rc.lines if codes.drug_code_known(ln.code))
                continue
            mbi = rc.patient_id or ""
            for ln in rc.lines:
                code = (ln.code or "").upper()
                day = ln.service_date
                if not codes.drug_code_known(code) or day is None or not mbi:
                    continue
                key = (mbi, day, code)
                if status == _REVERSAL:
                    kept.pop(key, None)
                    continue
                if _allowed(ln) <= _ZERO:
                    out.not_covered += 1
                    continue
                kept[key] = DrugClaim(
                    mbi, day, code, codes.drug_category(code, day, ln.modifiers), "",
                    f"{label}: ICN {rc.payer_claim_control_number}, segment {ln.segment_index}")
    out.drugs = list(kept.values())
    return out


def load_dme_evidence(paths: Iterable[str | Path],
                      codes: CodeTable | None = None) -> list[DmeEvidence]:
    """DME drug evidence from files: an X12 file (it starts with ISA) is read as the DME
    MAC's 835, anything else as a CSV of claim lines with status."""
    out: list[DmeEvidence] = []
    for path in paths:
        try:
            with open(path, "rb") as fh:
                head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
        except OSError as e:
            raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
        if head.startswith(b"ISA"):
            out.append(dme_drugs_from_835(path, codes=codes))
        else:
            out.append(read_dme_csv(path, codes))
    return out
