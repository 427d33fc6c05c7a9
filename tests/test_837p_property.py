"""Property: any valid claim survives write -> read unchanged."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from helpers_837p import NOW, billing_provider, npi, payer, receiver, submitter
from edi_hit.claims import (Address, Claim, Diagnosis, DrugIdentification, Note, Party, Patient,
                            Ref, ServiceLine, Subscriber)
from edi_hit.x837p import read_837p, write_837p

ALNUM = "ABCDEFGHJKLMNPQRTUVWXY0123456789"
word = st.text(ALNUM, min_size=1, max_size=12)
name = st.builds(lambda a, b: f"{a} {b}" if b else a, word, st.one_of(st.none(), word))
opt = lambda s: st.one_of(st.none(), s)  # noqa: E731
money = st.decimals(min_value=0, max_value=99999, places=2)
units = st.decimals(min_value=1, max_value=999, places=0) | st.decimals(min_value=0, max_value=99, places=3)
day = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
hcpcs = st.sampled_from(["G0068", "G0069", "G0070", "G0088", "G0089", "G0090", "J0285", "J1817"])
modifier = st.text(ALNUM, min_size=2, max_size=2)
address = st.builds(Address, name, st.none(), st.text(ALNUM, min_size=2, max_size=12),
                    st.sampled_from(["IL", "NY"]), st.text("0123456789", min_size=5, max_size=9))


@st.composite
def lines(draw, n):
    out = []
    for i in range(n):
        start = draw(day)
        end = draw(st.one_of(st.none(), st.integers(0, 6).map(lambda k: start + timedelta(days=k))))
        drug = draw(opt(st.builds(DrugIdentification, st.just("N4"),
                                  st.text("0123456789", min_size=11, max_size=11),
                                  units, st.sampled_from(["ML", "UN", "GR", "F2"]))))
        out.append(ServiceLine(
            i + 1, "HC", draw(hcpcs), draw(st.lists(modifier, max_size=4)),
            draw(opt(name)), draw(money), "UN", draw(units), draw(opt(st.sampled_from(["12", "11"]))),
            draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)), start, end,
            draw(opt(word)), drug,
            notes=draw(st.lists(st.builds(Note, st.just("ADD"), name), max_size=1))))
    return out


@st.composite
def claims(draw):
    bp = billing_provider()
    sub, rec, pay = submitter(), receiver(), payer()
    out = []
    for k in range(draw(st.integers(1, 4))):
        mbi = draw(st.from_regex(r"[1-9][AC-HJKMNP-RT-Y][0-9][0-9][AC-HJKMNP-RT-Y][0-9][0-9]"
                                 r"[AC-HJKMNP-RT-Y]{2}[0-9]{2}", fullmatch=True))
        born, gender = draw(st.one_of(st.just((None, None)), st.tuples(
            st.dates(date(1920, 1, 1), date(1960, 12, 31)), st.sampled_from(["F", "M", "U"]))))
        s = Subscriber(member_id=mbi, last_name=draw(name), first_name=draw(opt(word)),
                       birth_date=born, gender=gender,
                       claim_filing_indicator="MB", payer_responsibility="P", relationship="18",
                       address=draw(opt(address)))
        patient = draw(opt(st.builds(Patient, st.just("19"), name, opt(word), st.none(),
                                     st.dates(date(1920, 1, 1), date(2020, 12, 31)),
                                     st.sampled_from(["F", "M"]), address)))
        if patient is not None:
            s = dataclasses.replace(s, relationship=None)
        n_dx = draw(st.integers(1, 14))
        dx = [Diagnosis("ABK" if i == 0 else "ABF", draw(st.text(ALNUM, min_size=3, max_size=7)))
              for i in range(n_dx)]
        ls = draw(lines(draw(st.integers(1, 5))))
        freq = draw(st.sampled_from(["1", "7", "8"]))
        refs = [Ref("F8", draw(word))] if freq != "1" else []
        if draw(st.booleans()):
            refs.insert(0, Ref("G1", draw(word)))
        c = Claim(draw(word), sum((line.charge for line in ls), start=ls[0].charge * 0), "12", "B",
                  freq, dx, refs, ls, bp, s, patient, pay, sub, rec, None, "Y", "A", "Y", "Y")
        if draw(st.booleans()):
            c.parties.append(Party("2310A", "DN", "1", draw(name), draw(opt(word)),
                                   id_qualifier="XX", id=npi(draw(st.text("0123456789", min_size=9, max_size=9)))))
        out.append(c)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims())
def test_write_then_read_gives_the_same_claims(generated):
    data = write_837p(generated, sender_id="SENDER", receiver_id="RECEIVER", now=NOW)
    again = [dataclasses.replace(c, envelope=None) for c in read_837p(data)]
    assert again == generated


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(claims())
def test_generated_claims_pass_pyx12(generated):
    from pyx12_oracle import pyx12_errors

    for c in generated:  # the TR3 allows one diagnosis HI of at most 12 codes
        del c.diagnoses[12:]
    data = write_837p(generated, sender_id="SENDER", receiver_id="RECEIVER", now=NOW, usage="T")
    assert pyx12_errors(data) == []
    assert [dataclasses.replace(c, envelope=None) for c in read_837p(data)] == generated
