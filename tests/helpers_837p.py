# Synthetic Home Infusion Therapy claims for the 837P tests and fixtures.
#
# All data is made up: NPIs are 10 digits whose last digit is the Luhn check digit
# computed with the 80840 prefix; member ids follow the MBI format (1EG4TE5MK73).
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from edi_hit.validation.hit import npi_check_digit
from edi_hit.claims import (Address, BillingProvider, Claim, Contact, Diagnosis,
                            DrugIdentification, Envelope, Party, Payer, Ref, ServiceLine,
                            Subscriber)

NOW = datetime(2026, 3, 2, 9, 30)


def npi(first9: str) -> str:
    return first9 + npi_check_digit(first9)


def npi_is_valid(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and npi_check_digit(value[:9]) == value[9]


PHARMACY_NPI = npi("123456789")   # 1234567893
NURSE_NPI = npi("198765432")
ORDERING_NPI = npi("155555555")


def billing_provider() -> BillingProvider:
    return BillingProvider(
        name="SUNRISE HOME INFUSION", npi=PHARMACY_NPI,
        address=Address("100 MAIN ST", None, "SPRINGFIELD", "IL", "627010001"),
        taxonomy="3336H0001X", tax_id="371234567", tax_id_qualifier="EI",
        specialty_code="BI", taxonomy_qualifier="PXC",
        contacts=[Contact("IC", "BILLING OFFICE", "TE", "2175550100")])


def submitter() -> Party:
    return Party("1000A", "41", "2", "SUNRISE HOME INFUSION", id_qualifier="46", id="SUNRISE01",
                 contacts=[Contact("IC", "EDI DESK", "TE", "2175550101")])


def receiver() -> Party:
    return Party("1000B", "40", "2", "MEDICARE PART B MAC", id_qualifier="46", id="MACJ6")


def payer() -> Payer:
    return Payer("MEDICARE PART B MAC", "PI", "00952",
                 Address("PO BOX 1000", None, "INDIANAPOLIS", "IN", "462060000"))


def subscriber(mbi: str, last: str, first: str, born: date, gender: str) -> Subscriber:
    return Subscriber(member_id=mbi, last_name=last, first_name=first, birth_date=born,
                      gender=gender, claim_filing_indicator="MB", payer_responsibility="P",
                      relationship="18",
                      address=Address("12 OAK AVE", None, "SPRINGFIELD", "IL", "627020000"))


def visit_line(n: int, code: str, day: date, charge: str, units: str,
               modifiers=(), control: str | None = None) -> ServiceLine:
    return ServiceLine(n, "HC", code, list(modifiers), None, Decimal(charge), "UN",
                       Decimal(units), None, [1], day, None, control)


def hit_claims() -> list[Claim]:
    """Three HIT claims: visits with a drug line, an initial visit, a replacement claim."""
    bp, sub_, rec, pay = billing_provider(), submitter(), receiver(), payer()
    env = Envelope(bht_purpose="00", bht_reference="HIT0001", bht_type="CH")
    s1 = subscriber("1EG4TE5MK73", "DOE", "JANE", date(1948, 4, 12), "F")
    s2 = subscriber("2AC3CD4EF56", "ROE", "RICHARD", date(1951, 9, 30), "M")
    c1 = Claim("HIT-2026-0001", Decimal("950.00"), "12", "B", "1",
               [Diagnosis("ABK", "A419"), Diagnosis("ABF", "B20")],
               [Ref("G1", "PA20260001")], [
                   visit_line(1, "G0068", date(2026, 2, 2), "300.00", "8", control="L1"),
                   visit_line(2, "G0068", date(2026, 2, 9), "250.00", "6", control="L2"),
                   ServiceLine(3, "HC", "J0285", [], None, Decimal("400.00"), "UN", Decimal("2"),
                               None, [1, 2], date(2026, 2, 2), None, "L3",
                               DrugIdentification("N4", "00409123401", Decimal("100"), "ML")),
               ], bp, s1, None, pay, sub_, rec, env, "Y", "A", "Y", "Y")
    c1.parties.append(Party("2310A", "DN", "1", "SMITH", "ALAN", id_qualifier="XX",
                            id=ORDERING_NPI))
    c2 = Claim("HIT-2026-0002", Decimal("425.50"), "12", "B", "1",
               [Diagnosis("ABK", "I509")], [], [
                   visit_line(1, "G0088", date(2026, 2, 3), "425.50", "10"),
               ], bp, s2, None, pay, sub_, rec, env, "Y", "A", "Y", "Y")
    c2.lines[0].parties.append(Party("2420A", "82", "1", "NURSE", "NORA", id_qualifier="XX",
                                     id=NURSE_NPI))
    c3 = Claim("HIT-2026-0003", Decimal("260.00"), "12", "B", "7",
               [Diagnosis("ABK", "A419")], [Ref("F8", "22026040123456")], [
                   visit_line(1, "G0069", date(2026, 2, 16), "260.00", "4", ["KX"]),
               ], bp, s1, None, pay, sub_, rec, env, "Y", "A", "Y", "Y")
    return [c1, c2, c3]
