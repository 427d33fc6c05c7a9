# Where each value the claim model names sits in its 837P segment, declared once.
#
# Strategy: one Layout per segment (and per composite the model splits): the model
# field at each element position, and how many elements the segment may have. The
# reader's handlers take their positions from here (as module constants, so the hot
# path indexes a list with a plain int) and the writer builds its segments with
# Layout.build, so a position can never differ between reading and writing. Positions
# the layout does not name are the model's `unused` elements ("SV106"): the reader
# keeps them by reference and the writer puts them back (`unused_positions`). For
# segments whose fields are plain text, Layout.filler compiles (once, as dataclasses
# compiles __init__) a function that copies each element to its field, so the reader
# copies by the table too.
from __future__ import annotations

from typing import Any, Callable

__all__ = ["Layout", "LAYOUTS", "BHT", "CLM", "CLM05", "CTP", "DMG", "DTP", "HL", "LIN", "LX",
           "N3", "N4", "NM1", "NTE", "PAT", "PER", "PRV", "REF", "SBR", "SV1", "SV101"]


class Layout:
    """Field name -> element position (1-based) of one segment or composite."""

    __slots__ = ("id", "size", "at", "names")

    def __init__(self, seg_id: str, size: int, **fields: int):
        self.id = seg_id
        self.size = size                   # the most elements (components) it may have
        self.at = fields                   # field -> position
        self.names = {pos: name for name, pos in fields.items()}
        assert all(1 <= p <= size for p in fields.values()), seg_id

    def __getitem__(self, name: str) -> int:
        return self.at[name]

    def positions(self, *names: str) -> tuple[int, ...]:
        return tuple(self.at[n] for n in names)

    def unused_positions(self, start: int = 1) -> tuple[int, ...]:
        """Positions from `start` that the model keeps only as `unused`."""
        return tuple(p for p in range(start, self.size + 1) if p not in self.names)

    def build(self, **values: Any) -> list[Any]:
        """[id, element 1, ...] with each named value at its position (None elsewhere,
        trailing ones dropped); a composite layout gives the components alone."""
        out: list[Any] = [None] * (self.size + 1)
        at = self.at
        for name, value in values.items():
            out[at[name]] = value
        while len(out) > 1 and out[-1] is None:
            out.pop()
        if self.id:
            out[0] = self.id
            return out
        return out[1:]

    def filler(self, *names: str) -> Callable[[Any, list[str]], None]:
        """fill(obj, elements): obj.<name> = elements[<its position>] or None for each of
        `names` (default: every field); `elements` padded to the layout's size."""
        lines = [f"    obj.{n} = e[{self.at[n]}] or None" for n in names or tuple(self.at)]
        namespace: dict[str, Any] = {}
        exec(f"def fill_{self.id or 'composite'}(obj, e):\n" + "\n".join(lines), namespace)
        fill: Callable[[Any, list[str]], None] = namespace[f"fill_{self.id or 'composite'}"]
        return fill

    def __repr__(self) -> str:
        return f"Layout({self.id!r}, {self.size}, {self.at})"


BHT = Layout("BHT", 6, structure=1, purpose=2, reference=3, date=4, time=5, type=6)
NM1 = Layout("NM1", 12, entity_code=1, entity_type=2, name=3, first_name=4, middle_name=5,
             prefix=6, suffix=7, id_qualifier=8, id=9)
N3 = Layout("N3", 2, line1=1, line2=2)
N4 = Layout("N4", 7, city=1, state=2, postal_code=3, country=4, location_qualifier=5,
            location_id=6, subdivision=7)
REF = Layout("REF", 4, qualifier=1, value=2, description=3, identifiers=4)
PER = Layout("PER", 9, function_code=1, name=2, qualifier1=3, number1=4, qualifier2=5,
             number2=6, qualifier3=7, number3=8, inquiry_reference=9)
PRV = Layout("PRV", 6, specialty_code=1, taxonomy_qualifier=2, taxonomy=3)
DMG = Layout("DMG", 11, format=1, birth_date=2, gender=3)
DTP = Layout("DTP", 3, qualifier=1, format=2, value=3)
NTE = Layout("NTE", 2, code=1, text=2)
HL = Layout("HL", 4, id=1, parent=2, level=3, children=4)
SBR = Layout("SBR", 9, payer_responsibility=1, relationship=2, group_number=3, group_name=4,
             insurance_type=5, coordination_of_benefits=6, condition_response=7,
             employment_status=8, claim_filing_indicator=9)
PAT = Layout("PAT", 9, relationship=1)
CLM = Layout("CLM", 20, patient_control_number=1, total_charge=2, facility=5,
             provider_signature=6, assignment=7, benefits_assignment=8,
             release_of_information=9, patient_signature_source=10, related_causes=11,
             special_program=12, delay_reason=20)
CLM05 = Layout("", 3, place_of_service=1, facility_code_qualifier=2, frequency_code=3)
LX = Layout("LX", 1, line_number=1)
SV1 = Layout("SV1", 21, procedure=1, charge=2, unit_basis=3, units=4, place_of_service=5,
             diagnosis_pointers=7, emergency=9, epsdt=11, family_planning=12, copay_status=15)
SV101 = Layout("", 8, qualifier=1, code=2, modifier1=3, modifier2=4, modifier3=5, modifier4=6,
               description=7)
LIN = Layout("LIN", 31, ndc_qualifier=2, ndc=3)
CTP = Layout("CTP", 11, quantity=4, unit=5)

LAYOUTS: dict[str, Layout] = {x.id: x for x in (BHT, NM1, N3, N4, REF, PER, PRV, DMG, DTP, NTE, HL,
                                               SBR, PAT, CLM, LX, SV1, LIN, CTP)}
