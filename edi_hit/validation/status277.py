# Why a claim was rejected, in the 277CA's words: STC category, status and entity codes.
#
# Strategy: every error finding (an Issue of the ValidationReport) becomes one or two
# Status values, by table: first by what the finding means (a few finding codes whose
# sense the element alone does not carry), then by the element in error (SV104 ->
# units of service), with the entity taken from the 837P loop the element is in
# (2010AA -> 85 billing provider) for status codes that require one; a finding no
# table knows is "claim/submission format is invalid". The category says how: A3
# returned as unprocessable (X12 syntax and the TR3, levels 1-2), A6 missing, A7
# invalid, A8 in error against another field (levels 3-4).
#
# Code texts (external code sources 507 and 508, as published in public code tables;
# a public 277 reader's table, not x12.org):
#   A1  Acknowledgement/Receipt - The claim/encounter has been received. This does not
#       mean that the claim has been accepted for adjudication.
#   A3  Acknowledgement/Returned as unprocessable claim - The claim/encounter has been
#       rejected and has not been entered into the adjudication system.
#   A6  Acknowledgement/Rejected for Missing Information - The claim/encounter is
#       missing the information specified in the Status details and has been rejected.
#   A7  Acknowledgement/Rejected for Invalid Information - The claim/encounter has
#       invalid information as specified in the Status details and has been rejected.
#   A8  Acknowledgement/Rejected for relational field in error.
#   19 Entity acknowledges receipt of claim/encounter (entity code required).
#   20 Accepted for processing.           54 Duplicate of a previously processed claim/line.
#   128 Entity's tax id (entity).          153 Entity's id number (entity).
#   158 Entity's date of birth (entity).   164 Entity's contract/member number (entity).
#   178 Submitted charges.                 187 Date(s) of service.
#   249 Place of service.                  254 Principal diagnosis code.
#   255 Diagnosis code.                    400 Claim is out of balance
#   453 Procedure Code Modifier(s) for Service(s) Rendered
#   454 Procedure code for services rendered.    476 Missing or invalid units of service
#   477 Diagnosis code pointer is missing or invalid
#   481 Claim/submission format is invalid.      510 Future date (with the element's code).
#   535 Claim Frequency Code               538 Claim or Encounter Identifier
#   562 Entity's National Provider Identifier (NPI) (entity).   583 Line Item Charge Amount
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Status", "ACCEPTED", "FORMAT_INVALID", "statuses", "received"]


@dataclass(frozen=True, slots=True)
class Status:
    category: str          # STC01-1 (507)
    code: str              # STC01-2 (508)
    entity: str = ""       # STC01-3 (98), when the status code names an entity

    def composite(self) -> list[str | None]:
        return [self.category, self.code, self.entity or None]


ACCEPTED = Status("A1", "20")
FORMAT_INVALID = "481"


def received(entity: str) -> Status:
    """A1:19 with the information source's entity: the batch or provider level."""
    return Status("A1", "19", entity)


# Status codes whose text reads "This code requires use of an Entity Code".
_NEEDS_ENTITY = frozenset({"128", "153", "158", "164", "562"})

# The 837P loop an element is in -> the entity it describes (code source 98).
_LOOP_ENTITY = {"2010AA": "85", "2010AB": "87", "2010BA": "IL", "2010BB": "PR",
                "2010CA": "QC", "2310A": "DN", "2310B": "82", "2310C": "77", "2310D": "DQ",
                "2420A": "82", "2420E": "DK", "2420F": "DN"}

# Findings whose meaning is more than the element they point at.
_BY_CODE = {"claim-total": "400", "duplicate-code-day": "54", "line-date-missing": "187"}
# Findings that need a second status code beside the element's.
_SECOND = {"date-future": "510"}
# Findings that set one field against another (A8).
_RELATIONAL = frozenset({"claim-total", "date-before-birth", "date-order",
                         "duplicate-code-day", "same-category-day", "same-day-lower-category",
                         "initial-visit-too-soon"})

_BY_ELEMENT = {
    "CLM01": "538", "CLM02": "178", "CLM05-1": "249", "CLM05-3": "535",
    "SV101-1": "454", "SV101-2": "454", "SV101-3": "453", "SV101-4": "453", "SV101-5": "453",
    "SV101-6": "453", "SV102": "583", "SV104": "476", "SV105": "249", "SV107-1": "477",
    "SV107-2": "477", "SV107-3": "477", "SV107-4": "477", "DTP03": "187", "DMG02": "158",
    "HI01-2": "254",
}
# An NM109 is a member number in the subscriber/patient loops, an NPI in the provider
# loops, else an entity's id number.
_ID_BY_LOOP = {"2010BA": "164", "2010CA": "164", "2010AA": "562", "2310A": "562",
               "2310B": "562", "2310C": "562", "2310D": "562", "2420A": "562"}


def _element_code(issue) -> str | None:
    element = (issue.element or "").upper()
    if element in _BY_ELEMENT:
        return _BY_ELEMENT[element]
    if re.fullmatch(r"HI(0[2-9]|1[0-2])-2", element):
        return "255"
    if element == "NM109":
        return _ID_BY_LOOP.get(issue.loop or "", "153")
    if element == "REF02" and issue.loop == "2010AA":
        return "128"
    return None


def _entity(code: str, issue) -> str:
    if code not in _NEEDS_ENTITY:
        return ""
    if issue.code == "mbi-format":
        return "IL"
    return _LOOP_ENTITY.get(issue.loop or "", "85" if code in ("562", "128") else "IL")


def _category(issue) -> str:
    if issue.level <= 2:
        return "A3"
    if issue.code in _RELATIONAL:
        return "A8"
    missing = (issue.segment_error == "3" or issue.element_error == "1"
               or (issue.code.endswith("-missing") and not issue.bad_value))
    return "A6" if missing else "A7"


def statuses(issue) -> list[Status]:
    """The status codes of one error finding (one, or two for a future date)."""
    code = _BY_CODE.get(issue.code) or _element_code(issue)
    category = _category(issue)
    if code is None:
        return [Status(category, FORMAT_INVALID)]
    out = [Status(category, code, _entity(code, issue))]
    second = _SECOND.get(issue.code)
    if second:
        out.append(Status(category, second))
    return out
