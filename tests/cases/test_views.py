"""PMP pages: partners see plans with personal data withheld, others get 404, views audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from asbhub.records.cases import services  # noqa: E402
from asbhub.records.cases.models import Pmp, PmpIncident, PmpPerson, ProblemType  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402


@pytest.fixture
def plan(police: Any, incident: Any, make_agency: Any) -> Pmp:
    council = make_agency("Synthetic Council")
    pmp = services.create_pmp(
        owner_agency=police,
        partner_agencies=[council],
        title="Youths at the memorial gardens",
        lpu="North East",
        problem_type=ProblemType.objects.first(),
        statement="Groups of youths",
        victim="Mrs Victimname at no. 3",
        offender="Known youth Offendername",
    )
    PmpIncident.objects.create(pmp=pmp, incident=incident)
    for person in incident.people.filter(role__in=["victim", "suspect"]):
        PmpPerson.objects.create(
            pmp=pmp, person=person, role="victim" if person.role == "victim" else "perpetrator"
        )
    return pmp


def _entries(pmp: Pmp) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="cases.pmp", object_id=str(pmp.pk)))


def test_partner_without_agreement_sees_plan_with_personal_data_withheld(
    client: Any, plan: Pmp, make_user: Any
) -> None:
    council = plan.partner_agencies.get()
    client.force_login(make_user("council.officer", council))
    page = client.get(f"/pmps/{plan.pk}/", {"purpose": "case"}).content.decode()
    assert "Youths at the memorial gardens" in page and "Groups of youths" in page
    for secret in ("Victimname", "Offendername", "Avery Testperson", "Blake Madeupname"):
        assert secret not in page
    assert "has no information sharing agreement with" in page
    assert "1 linked incident: <a" in page  # linked incident withheld too


def test_withheld_is_said_once_not_under_every_part(
    client: Any, plan: Pmp, police: Any, make_user: Any, make_agreement: Any
) -> None:
    """Issue #12: one note at the top says what is withheld and why, each reason once (the
    victim, offender, linked people and incidents withheld for the same reason are one
    sentence naming every category); the parts carry a short tag linking to it."""
    council = plan.partner_agencies.get()
    client.force_login(make_user("council.officer", council))
    page = client.get(f"/pmps/{plan.pk}/", {"purpose": "case"}).content.decode()
    assert page.count('id="withheld"') == 1
    assert page.count("has no information sharing agreement with") == 1
    for label in (
        "victims&#x27; personal details",
        "perpetrators&#x27; personal details",
        "incident summaries",
    ):
        assert label in page, label
    assert page.count('href="#withheld"') >= 3
    # A partial agreement: what it shares is shown and named; the rest said once.
    today = dt.date.today()
    make_agreement(
        "ISA-T2",
        [police, council],
        ["incident_summary", "victim_personal"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    page = client.get(f"/pmps/{plan.pk}/", {"purpose": "case"}).content.decode()
    assert "Shared by " in page and "under ISA-T2" in page
    assert page.count("are not covered by ISA-T2") == 1
    assert page.count('id="withheld"') == 1


def test_partner_with_agreement_sees_people(
    client: Any,
    plan: Pmp,
    police: Any,
    make_user: Any,
    make_agreement: Any,
) -> None:
    council = plan.partner_agencies.get()
    today = dt.date.today()
    make_agreement(
        "ISA-T1",
        [police, council],
        ["incident_summary", "victim_personal"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    client.force_login(make_user("council.officer", council))
    page = client.get(f"/pmps/{plan.pk}/", {"purpose": "case"}).content.decode()
    assert "Avery Testperson" in page and "Victimname" in page
    assert "Blake Madeupname" not in page and "Offendername" not in page


def test_other_agency_guessing_id_gets_404_and_is_logged(
    client: Any, plan: Pmp, make_agency: Any, make_user: Any
) -> None:
    client.force_login(make_user("stranger", make_agency("Unrelated Housing", kind="housing")))
    assert client.get(f"/pmps/{plan.pk}/", {"purpose": "case"}).status_code == 404
    assert client.get("/pmps/999999/", {"purpose": "case"}).status_code == 404
    denied = [e for e in _entries(plan) if e.action == "denied"]
    assert len(denied) == 1 and denied[0].username == "stranger"


def test_every_detail_view_is_audited_with_purpose(
    client: Any,
    plan: Pmp,
    police: Any,
    make_user: Any,
) -> None:
    client.force_login(make_user("pc.smith", police, role="snt_officer"))
    # Without a purpose, the user is asked for one and nothing is shown.
    asked = client.get(f"/pmps/{plan.pk}/").content.decode()
    assert "Why do you need this plan?" in asked and "Victimname" not in asked
    assert _entries(plan) == []
    for _ in range(2):
        assert client.get(f"/pmps/{plan.pk}/", {"purpose": "supervision"}).status_code == 200
    views = [e for e in _entries(plan) if e.action == "view"]
    assert len(views) == 2
    assert views[0].purpose == "Supervisory review or audit" and views[0].username == "pc.smith"
    assert views[0].detail["victim_text"] == "shown"


def test_edit_from_stale_version_refused_over_http(
    client: Any,
    plan: Pmp,
    police: Any,
    make_user: Any,
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    form = {
        "title": "Edited",
        "problem_type": plan.problem_type_id,
        "lpu": "North East",
        "area": "",
        "stage": "scanning",
        "statement": "s",
        "data_summary": "",
        "victim": "",
        "offender": "",
        "location": "",
        "assessment": "",
        "review_cadence_days": 28,
        "next_review_due": "",
        "version": 1,
    }
    assert client.post(f"/pmps/{plan.pk}/edit/", form).status_code == 302
    stale = client.post(f"/pmps/{plan.pk}/edit/", {**form, "title": "Stale"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    plan.refresh_from_db()
    assert (plan.title, plan.version) == ("Edited", 2)


def test_list_and_powers_pages(
    client: Any,
    plan: Pmp,
    police: Any,
    make_user: Any,
) -> None:
    Pmp.objects.filter(pk=plan.pk).update(next_review_due=dt.date(2020, 1, 1))
    client.force_login(make_user("analyst", police, role="analyst"))
    page = client.get("/pmps/", {"overdue": "1"}).content.decode()
    assert plan.reference in page and "Overdue" in page
    powers = client.get("/powers/", {"start": "2021-01-01", "end": "2021-12-31"})
    assert "Number of Community Protection Warning letters issued" in powers.content.decode()


def test_edit_form_leaves_out_withheld_triangle_text(
    client: Any,
    plan: Pmp,
    make_user: Any,
) -> None:
    client.force_login(make_user("council.editor", plan.partner_agencies.get()))
    page = client.get(f"/pmps/{plan.pk}/edit/").content.decode()
    assert "Groups of youths" in page
    assert "Victimname" not in page and "Offendername" not in page
    assert any(e.detail.get("form") == "edit" for e in _entries(plan))


def test_partner_edit_keeps_withheld_text(
    client: Any,
    plan: Pmp,
    make_user: Any,
) -> None:
    client.force_login(make_user("council.editor", plan.partner_agencies.get()))
    form = {
        "title": "Partner edit",
        "problem_type": plan.problem_type_id,
        "lpu": "North East",
        "area": "",
        "stage": "scanning",
        "statement": "s",
        "data_summary": "",
        "location": "",
        "assessment": "",
        "review_cadence_days": 28,
        "next_review_due": "",
        "version": 1,
    }
    assert client.post(f"/pmps/{plan.pk}/edit/", form).status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Partner edit" and plan.victim == "Mrs Victimname at no. 3"
