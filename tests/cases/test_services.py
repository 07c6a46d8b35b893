"""Tables 5.34 (PMPs by LPU) and 5.36 (ASB powers) count what was entered, in period only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.utils import timezone  # noqa: E402

from asbhub.records.cases import services  # noqa: E402
from asbhub.records.cases.models import (  # noqa: E402
    CaseReviewComplaint,
    Pmp,
    Power,
    PowerEvent,
    ProblemType,
    ThresholdRule,
)

D = dt.date


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), timezone.get_current_timezone())


@pytest.fixture
def owner(make_agency: Any) -> Any:
    return make_agency("Synthetic District Council")


def _pmp(owner: Any, lpu: str, opened: dt.date, closed: dt.date | None = None) -> Pmp:
    pmp = services.create_pmp(
        owner_agency=owner,
        opened_at=_at(opened),
        title="Test plan",
        problem_type=ProblemType.objects.first(),
        lpu=lpu,
    )
    if closed:
        Pmp.objects.filter(pk=pmp.pk).update(closed_at=_at(closed), stage="closed")
    return pmp


def test_problem_types_seeded_from_seed_003(db: str) -> None:
    names = set(ProblemType.objects.values_list("name", flat=True))
    assert {"Car cruises", "Nuisance motorcycles", "Public sexual activity"} <= names
    assert len(names) >= 13


def test_table_5_34_opened_and_open_by_lpu(db: str, owner: Any) -> None:
    _pmp(owner, "Erewash", D(2024, 1, 10))  # opened, still open
    _pmp(owner, "Erewash", D(2024, 2, 1), closed=D(2024, 2, 20))  # opened, closed in period
    _pmp(owner, "Erewash", D(2023, 6, 1))  # before: open, not opened
    _pmp(owner, "Erewash", D(2023, 6, 1), closed=D(2023, 12, 1))  # closed before: neither
    _pmp(owner, "High Peak", D(2024, 3, 31), closed=D(2024, 4, 2))  # closed after the end: open
    _pmp(owner, "High Peak", D(2024, 4, 1))  # after the period: neither
    _pmp(owner, "Nowhere LPU", D(2024, 2, 2))  # not in the list: own row
    rows = services.table_5_34(
        D(2024, 1, 1), D(2024, 3, 31), lpus=["Amber Valley", "Erewash", "High Peak"]
    )
    got = {r.lpu: (r.opened, r.open) for r in rows}
    assert got == {
        "Amber Valley": (0, 0),
        "Erewash": (2, 2),
        "High Peak": (1, 1),
        "Nowhere LPU": (1, 1),
    }


def _power(owner: Any, kind: str, **kw: Any) -> Power:
    return Power.objects.create(kind=kind, owner_agency=owner, premises="1 Test Row", **kw)


def test_table_5_36_counts_in_period_only(db: str, owner: Any) -> None:
    inside, outside = D(2021, 1, 15), D(2021, 4, 1)
    for day in (inside, inside, outside):
        _power(owner, "cpw", issued_on=day)
    cpn = _power(owner, "cpn", issued_on=inside)
    _power(owner, "cpn", issued_on=outside)
    for kind, day in (
        ("fpn", inside),
        ("fpn", outside),
        ("prosecution", inside),
        ("seizure_warrant", inside),
    ):
        PowerEvent.objects.create(power=cpn, kind=kind, on=day)
    _power(
        owner,
        "injunction",
        age_band="over_18",
        applied_on=inside,
        granted_on=inside,
        power_of_arrest=True,
    )
    _power(owner, "injunction", age_band="over_18", applied_on=D(2020, 12, 1), granted_on=inside)
    _power(owner, "injunction", age_band="under_18", interim=True, applied_on=inside)
    cbo = _power(owner, "cbo", age_band="under_18", applied_on=inside, granted_on=outside)
    PowerEvent.objects.create(power=cbo, kind="prosecution", on=inside)
    _power(owner, "closure_notice_24", issued_on=inside)
    _power(owner, "closure_notice_48", issued_on=outside)
    pspo = _power(owner, "pspo", issued_on=D(2020, 6, 1))
    PowerEvent.objects.create(power=pspo, kind="fpn", on=inside)
    _power(owner, "dispersal", issued_on=inside)  # in the register, not in table 5.36

    table = services.table_5_36(D(2021, 1, 1), D(2021, 3, 31))
    counts = {(s.heading, label): n for s in table for label, n in s.rows}
    assert [s.heading for s in table] == [
        "CIVIL INJUNCTIONS (ASB only) - OVER 18s",
        "CIVIL INJUNCTIONS (ASB only) - UNDER 18s",
        "CLOSURE OF PREMISES",
        "COMMUNITY PROTECTION NOTICES",
        "CRIMINAL BEHAVIOUR ORDERS - OVER 18s",
        "CRIMINAL BEHAVIOUR ORDERS - UNDER 18s",
        "PUBLIC SPACES PROTECTION ORDERS",
    ]
    over, under = (
        "CIVIL INJUNCTIONS (ASB only) - OVER 18s",
        "CIVIL INJUNCTIONS (ASB only) - UNDER 18s",
    )
    cpns, cbo_u = "COMMUNITY PROTECTION NOTICES", "CRIMINAL BEHAVIOUR ORDERS - UNDER 18s"
    expected = {
        (over, "Number of injunctions applied for"): 1,
        (over, "Number of injunctions granted"): 2,
        (over, "Number of injunctions granted with power of arrest attached"): 1,
        (under, "Number of interim injunctions applied for"): 1,
        (under, "Number of injunctions applied for"): 0,
        (cpns, "Number of Community Protection Warning letters issued"): 2,
        (cpns, "Number of Community Protection Notices issued"): 1,
        (cpns, "Number of FPNs issued for breach of CPN"): 1,
        (cpns, "Number of prosecutions for breach of CPN"): 1,
        (cpns, "Number of warrants authorising seizure following failure to comply with CPN"): 1,
        (cpns, "Number of forfeiture orders for failure to comply with CPN"): 0,
        (cbo_u, "Number of Criminal Behaviour Orders applied for"): 1,
        (cbo_u, "Number of Criminal Behaviour Orders granted"): 0,
        (cbo_u, "Number of prosecutions for breach of CBO"): 1,
        ("CLOSURE OF PREMISES", "Number of Closure Notices issued (24 hours)"): 1,
        ("CLOSURE OF PREMISES", "Number of Closure Notices issued (48 hours)"): 0,
        (
            "PUBLIC SPACES PROTECTION ORDERS",
            "Number of FPNs issued for failing to comply with a PSPO",
        ): 1,
        (
            "PUBLIC SPACES PROTECTION ORDERS",
            "Number of new Public Spaces Protection Orders made*",
        ): 0,
    }
    assert {k: counts[k] for k in expected} == expected
    assert sum(counts.values()) == sum(expected.values())
    with pytest.raises(ValueError, match="ends"):
        services.table_5_36(D(2021, 3, 1), D(2021, 2, 1))


def test_case_review_decision_due_and_threshold(db: str, owner: Any) -> None:
    ThresholdRule.objects.create(area="Erewash", complaints=2, decision_working_days=5)
    # Received Thursday 28 March 2024: Easter (29 March, 1 April) and a weekend skipped.
    cr = services.create_case_review(
        owner_agency=owner, area="Erewash", received_on=D(2024, 3, 28), applicant_name="Applicant"
    )
    assert cr.decision_due == D(2024, 4, 8)
    for ref, inc, rep in (
        ("R1", D(2024, 1, 1), D(2024, 1, 2)),
        ("R2", D(2024, 2, 1), D(2024, 3, 10)),
    ):  # 38 days: excluded
        CaseReviewComplaint.objects.create(
            case_review=cr, reference=ref, incident_on=inc, reported_on=rep, problem="noise"
        )
    result = services.check_case_review(cr)
    cr.refresh_from_db()
    assert not result.met and cr.threshold_met is False
    assert cr.rule_used["complaints"] == 2 and "R1" in cr.threshold_reason
    other = services.create_case_review(
        owner_agency=owner, area="High Peak", received_on=D(2024, 3, 28), applicant_name="B"
    )
    assert other.decision_due == D(2024, 4, 15)  # default rule: ten working days
