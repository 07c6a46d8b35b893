"""The demonstration cases: plans on every SARA stage in real LPUs, powers, a Case Review.

The bundled sample is loaded into the ``default`` store (as the web tests do); the seeding runs
inside a transaction rolled back at the end of the module, so other tests never see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from asbhub.store.db import Store, setup_django

setup_django()

from django.utils import timezone  # noqa: E402

from asbhub.demo.cases import busiest_places, seed_demo_cases  # noqa: E402
from asbhub.demo.partners import POLICE, seed_demo_partners  # noqa: E402
from asbhub.domain.cases import SaraStage  # noqa: E402
from asbhub.records.cases import services  # noqa: E402
from asbhub.records.cases.models import (  # noqa: E402
    CaseReview,
    Pmp,
    PmpAction,
    PmpIncident,
    Power,
    PowerEvent,
)


@pytest.fixture(scope="module")
def seeded(sample_store: Store) -> Iterator[dict[str, Any]]:
    from django.db import transaction

    with transaction.atomic(using="default"):
        passwords = seed_demo_partners()
        first = seed_demo_cases()
        second = seed_demo_cases()
        yield {"passwords": passwords, "first": first, "second": second}
        transaction.set_rollback(True, using="default")


def test_creates_one_labelled_plan_per_stage_in_real_lpus(seeded: dict[str, Any]) -> None:
    plans = list(Pmp.objects.filter(is_demo=True))
    assert sorted(p.stage for p in plans) == sorted(s.value for s in SaraStage)
    places = {p.lpu: p for p in busiest_places(5)}
    for pmp in plans:
        assert pmp.title.startswith("DEMONSTRATION:")
        assert pmp.owner_agency.name == POLICE
        assert pmp.partner_agencies.exists()
        assert pmp.lpu in places
        links = PmpIncident.objects.filter(pmp=pmp).select_related("incident__location")
        assert links.count() == 20
        assert {link.incident.location.lsoa_code for link in links} == {places[pmp.lpu].lsoa_code}
        assert {link.incident.crime_type for link in links} == {"Anti-social behaviour"}
        # Walked through SARA with the optimistic-locking save: one version per save.
        assert pmp.version > 1
    assert len({p.lpu for p in plans}) == 5


def test_one_overdue_review_and_one_overdue_action(seeded: dict[str, Any]) -> None:
    today = timezone.localdate()
    states = [services.review_state(p, today) for p in Pmp.objects.filter(is_demo=True)]
    assert states.count("overdue") == 1
    overdue_actions = PmpAction.objects.filter(
        pmp__is_demo=True, due__lt=today, done_at__isnull=True
    )
    assert overdue_actions.count() == 1
    assert overdue_actions.get().owner_agency.name != ""
    closed = Pmp.objects.get(is_demo=True, stage=SaraStage.CLOSED)
    assert closed.closed_at is not None


def test_powers_and_table_5_36(seeded: dict[str, Any]) -> None:
    today = timezone.localdate()
    assert sorted(Power.objects.filter(is_demo=True).values_list("kind", flat=True)) == [
        "cbo",
        "closure_notice_48",
        "cpn",
        "cpw",
        "cpw",
        "injunction",
        "pspo",
    ]
    assert (
        PowerEvent.objects.filter(power__is_demo=True, kind="fpn", power__kind="cpn").count() == 1
    )
    table: dict[str, int] = {}
    for section in services.table_5_36(today - dt.timedelta(days=364), today):
        for label, n in section.rows:  # the over-18 and under-18 rows share labels
            table[label] = table.get(label, 0) + n
    assert table["Number of Community Protection Warning letters issued"] >= 2
    assert table["Number of Community Protection Notices issued"] >= 1
    assert table["Number of FPNs issued for breach of CPN"] >= 1
    assert table["Number of Criminal Behaviour Orders applied for"] >= 1


def test_case_reviews_in_four_states(seeded: dict[str, Any]) -> None:
    from asbhub.records.cases.case_reviews import decision_state

    today = timezone.localdate()
    reviews = list(CaseReview.objects.filter(is_demo=True))
    states = sorted(decision_state(cr, today) for cr in reviews)
    assert states == ["on_time", "on_time", "overdue", "pending"]
    met = CaseReview.objects.get(is_demo=True, decision="met")
    assert met.threshold_met is True and met.rule_used["complaints"] == 3
    assert met.complaints.count() >= 3 and met.decision_due > met.received_on
    attendees = {a.name for a in met.attendees.all()}
    assert met.meeting_on is not None
    assert {met.owner_agency.name, POLICE, "Derbyshire Youth Offending Service"} == attendees
    assert met.actions.count() == 3 and met.actions.filter(done_at__isnull=False).count() == 1
    not_met = CaseReview.objects.get(is_demo=True, decision="not_met")
    assert not_met.threshold_met is False  # one complaint was reported too late
    public = CaseReview.objects.get(is_demo=True, from_public_form=True)
    assert public.applicant.name.startswith("DEMONSTRATION") and public.applicant_name == ""
    for cr in reviews:
        assert cr.description.startswith("DEMONSTRATION:")


def test_assessed_and_closed_plans_are_evaluated(seeded: dict[str, Any]) -> None:
    for stage in (SaraStage.ASSESSMENT, SaraStage.CLOSED):
        ev = Pmp.objects.get(is_demo=True, stage=stage).evaluation
        c = ev["counts"]
        assert c["response_before"] + c["response_after"] >= 20  # its 20 linked incidents
        assert ev["areas"]["response"] == 1 and ev["areas"]["control"] > 0


def test_rerunning_replaces_rather_than_duplicates(seeded: dict[str, Any]) -> None:
    assert seeded["first"] == seeded["second"]
    assert seeded["second"]["pmps"] == Pmp.objects.filter(is_demo=True).count() == 5
    assert Power.objects.filter(is_demo=True).count() == seeded["second"]["powers"]
    assert CaseReview.objects.filter(is_demo=True).count() == 4
    assert PmpIncident.objects.filter(pmp__is_demo=True).count() == 100


def test_table_5_34_counts_the_plans_in_their_lpus(seeded: dict[str, Any]) -> None:
    today = timezone.localdate()
    rows = {r.lpu: r for r in services.table_5_34(today - dt.timedelta(days=364), today)}
    for pmp in Pmp.objects.filter(is_demo=True):
        assert rows[pmp.lpu].opened >= 1
        if pmp.stage != SaraStage.CLOSED:
            assert rows[pmp.lpu].open >= 1
    assert sum(r.opened for r in rows.values()) >= 5


def test_supervisor_sees_the_plans_on_the_list(seeded: dict[str, Any]) -> None:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    assert client.login(username="demo.supervisor", password=seeded["passwords"]["demo.supervisor"])
    page = client.get("/pmps/").content.decode()
    for pmp in Pmp.objects.filter(is_demo=True):
        assert pmp.reference in page
    # One demonstration plan has its review overdue, tagged (in words, not colour alone).
    assert page.count('<strong class="govuk-tag govuk-tag--red">Overdue</strong>') == 1
    # The navigation links to the case and partner pages, and offers sign out.
    for href in (
        'href="/pmps/"',
        'href="/powers/"',
        'href="/case-reviews/"',
        'href="/briefing/"',
        'href="/partners/usage/"',
        'href="/partners/audit/"',
        'action="/sign-out/"',
    ):
        assert href in page
