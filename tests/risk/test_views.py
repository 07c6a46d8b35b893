"""Risk pages: who may open them (302/403/404), form errors, and the audit entries each view,
search, create and change writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.risk.support import HIGH, MEDIUM, answers, at

setup_django()

from django.utils import timezone  # noqa: E402

from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.records.risk import services  # noqa: E402
from asbhub.records.risk.models import QuestionnaireVersion, RiskAssessment  # noqa: E402

D = dt.date


def _post_answers(ans: dict[str, str], **extra: str) -> dict[str, str]:
    return {f"q_{k}": v for k, v in ans.items()} | extra


def _entries(
    object_type: str, object_id: Any = None, action: str | None = None
) -> list[AuditEntry]:
    qs = AuditEntry.objects.filter(object_type=object_type)
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    if action:
        qs = qs.filter(action=action)
    return list(qs)


@pytest.fixture
def cop(police: Any, make_user: Any) -> Any:
    return make_user("snt.officer", police, role="snt_officer")


@pytest.fixture
def overdue(victim: Any, police: Any, version: Any) -> Any:
    """A high-risk assessment whose review was due 16 days ago."""
    assessed = timezone.localdate() - dt.timedelta(days=30)
    return services.record_assessment(
        person=victim, answers=answers(**HIGH), agency=police, assessed_at=at(assessed)
    )


def test_pages_need_a_signed_in_user(client: Any, db: str) -> None:
    for url in ("/risk/", "/risk/calibration/", "/risk/questionnaires/", "/risk/assessments/1/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_roles_without_risk_assessments_are_refused(
    client: Any, overdue: Any, make_agency: Any, make_user: Any
) -> None:
    viewer = make_user(
        "pcc.viewer", make_agency("Synthetic PCC", kind="commissioner"), role="commissioner_viewer"
    )
    client.force_login(viewer)
    assert client.get("/risk/", {"purpose": "supervision"}).status_code == 403
    assert client.get("/risk/calibration/").status_code == 403
    assert client.get(f"/risk/assessments/{overdue.pk}/").status_code == 403
    # The questionnaire itself holds no personal data: any linked account may read it.
    assert client.get("/risk/questionnaires/1/").status_code == 200


def test_due_list_asks_why_then_lists_the_overdue_review_and_audits_the_search(
    client: Any, cop: Any, overdue: Any
) -> None:
    client.force_login(cop)
    ask = client.get("/risk/").content.decode()
    assert "Why do you need the list of risk reviews due?" in ask and "Avery" not in ask
    page = client.get("/risk/", {"purpose": "safeguarding"}).content.decode()
    assert "Avery Testperson" in page and "SYN-0001" in page
    assert 'govuk-tag govuk-tag--red">Overdue' in page and "by 16 days" in page
    assert "High risk" in page
    [entry] = _entries("risk.riskassessment", "reviews-due", "search")
    assert entry.purpose == "Assessing risk to a vulnerable or repeat victim"
    assert entry.detail["unassessed_shown"] == []
    assert entry.detail["assessments"] == [overdue.pk]
    assert entry.detail["names_shown"] == [overdue.person_id]


def test_due_page_lists_recent_victims_not_yet_assessed(
    client: Any, cop: Any, make_victim: Any, version: Any
) -> None:
    fresh = make_victim("Nia New", timezone.localdate() - dt.timedelta(days=2), lpu="East")
    client.force_login(cop)
    page = client.get("/risk/", {"purpose": "safeguarding"}).content.decode()
    assert "Nia New" in page
    assert f'href="/risk/incidents/{fresh.incident_id}/victims/{fresh.pk}/assess/"' in page
    assert (
        "Nia New"
        not in client.get("/risk/", {"purpose": "safeguarding", "lpu": "West"}).content.decode()
    )
    short = client.get("/risk/", {"purpose": "safeguarding", "new_days": "1"})
    assert "Nia New" not in short.content.decode()


def test_partner_without_a_risk_agreement_sees_no_assessments(
    client: Any, overdue: Any, police: Any, make_agency: Any, make_user: Any, make_agreement: Any
) -> None:
    council = make_agency("Synthetic Borough Council")
    today = timezone.localdate()
    make_agreement(
        "ISA-SUM",
        [police, council],
        ["incident_summary", "victim_personal"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    client.force_login(make_user("council.officer", council))
    page = client.get("/risk/", {"purpose": "safeguarding"}).content.decode()
    assert "Avery Testperson" not in page and "No reviews are due" in page
    assert (
        client.get(f"/risk/assessments/{overdue.pk}/", {"purpose": "safeguarding"}).status_code
        == 404
    )
    [denied] = _entries("risk.riskassessment", overdue.pk, "denied")
    assert denied.username == "council.officer"
    # With risk assessments shared the assessment opens; the victim's name follows
    # victim_personal, shared here too.
    make_agreement(
        "ISA-RISK",
        [police, council],
        ["risk_assessment"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    page = client.get(f"/risk/assessments/{overdue.pk}/", {"purpose": "safeguarding"})
    assert page.status_code == 200 and "Avery Testperson" in page.content.decode()
    # Shared, but a partner cannot review another agency's assessment.
    assert client.get(f"/risk/assessments/{overdue.pk}/review/").status_code == 403


def test_risk_shared_but_not_the_victim_shows_the_assessment_with_the_name_withheld(
    client: Any, overdue: Any, police: Any, make_agency: Any, make_user: Any, make_agreement: Any
) -> None:
    council = make_agency("Synthetic Borough Council")
    today = timezone.localdate()
    make_agreement(
        "ISA-RISK",
        [police, council],
        ["incident_summary", "risk_assessment"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    client.force_login(make_user("council.officer", council))
    page = client.get(f"/risk/assessments/{overdue.pk}/", {"purpose": "safeguarding"})
    text = page.content.decode()
    assert page.status_code == 200 and "Avery" not in text and "1 Example Street" not in text
    assert "Victims&#x27; personal details are not covered by ISA-RISK" in text
    due = client.get("/risk/", {"purpose": "safeguarding"}).content.decode()
    assert f"Assessment {overdue.pk}" in due and "Avery" not in due
    [view] = _entries("risk.riskassessment", overdue.pk, "view")
    assert view.detail["victim"] == "withheld"


def test_record_an_assessment_form_errors_then_success(
    client: Any, cop: Any, incident: Any, victim: Any, version: Any
) -> None:
    client.force_login(cop)
    url = f"/risk/incidents/{incident.pk}/victims/{victim.pk}/assess/"
    form = client.get(url)
    text = form.content.decode()
    assert form.status_code == 200 and "Risk assessment: Avery Testperson" in text
    assert text.count('class="govuk-radios__input"') == 15 * 2 + 4  # 15 yes/no, 4 choices
    assert '<option value="high" selected>' in text  # THRIVE risk from the incident
    [viewed] = _entries("incidents.person", victim.pk, "view")
    assert viewed.purpose == "Assessing risk to a vulnerable or repeat victim"

    partial = _post_answers(answers(**HIGH))
    del partial["q_health"]
    bad = client.post(url, partial | {"q_frequency": "sometimes"})
    text = bad.content.decode()
    assert bad.status_code == 400 and "There is a problem" in text
    assert 'href="#id_q_health_0">Answer the question: Is it affecting your health' in text
    assert "Choose one of the answers given" in text
    assert not RiskAssessment.objects.exists()

    done = client.post(
        url,
        _post_answers(
            answers(**HIGH), thrive_threat="high", thrive_threat_note="Threats at the door"
        ),
    )
    assert done.status_code == 302
    a = RiskAssessment.objects.get()
    assert done["Location"] == f"/risk/assessments/{a.pk}/?purpose=safeguarding"
    assert (a.score, a.band, a.thrive_threat, a.assessor_name) == (
        29,
        "high",
        "high",
        "snt.officer",
    )
    [created] = _entries("risk.riskassessment", a.pk, "create")
    assert created.purpose and created.detail["band"] == "high"
    detail = client.get(done["Location"]).content.decode()
    assert "Threats at the door" in detail and "Version 1" in detail


def test_assess_refusals(
    client: Any,
    cop: Any,
    incident: Any,
    victim: Any,
    police: Any,
    make_agency: Any,
    make_user: Any,
    make_agreement: Any,
    version: Any,
) -> None:
    client.force_login(cop)
    suspect = incident.people.get(role="suspect")
    assert (
        client.get(f"/risk/incidents/{incident.pk}/victims/{suspect.pk}/assess/").status_code == 404
    )
    assert (
        client.get(f"/risk/incidents/{incident.pk + 999}/victims/{victim.pk}/assess/").status_code
        == 404
    )
    url = f"/risk/incidents/{incident.pk}/victims/{victim.pk}/assess/"
    council = make_agency("Synthetic Borough Council")
    officer = make_user("council.officer", council)
    client.force_login(officer)
    assert client.get(url).status_code == 404  # nothing shared at all
    today = timezone.localdate()
    make_agreement(
        "ISA-SUM",
        [police, council],
        ["incident_summary", "risk_assessment"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    assert client.get(url).status_code == 403  # the victim is not shared
    assert _entries("incidents.person", victim.pk, "denied")


def test_review_changes_the_band_and_is_audited(client: Any, cop: Any, overdue: Any) -> None:
    client.force_login(cop)
    url = f"/risk/assessments/{overdue.pk}/review/"
    form = client.get(url).content.decode()
    assert (
        'value="constant" class="govuk-radios__input" id="id_q_frequency_3" required checked'
        in form
    )
    done = client.post(url, _post_answers(answers(**MEDIUM), notes="Calmer now"))
    assert done.status_code == 302
    overdue.refresh_from_db()
    assert overdue.current_band == "medium"
    assert overdue.next_review_due == timezone.localdate() + dt.timedelta(days=28)
    [change] = _entries("risk.riskassessment", overdue.pk, "change")
    assert change.detail["previous_band"] == "high" and change.detail["band"] == "medium"
    page = client.get(done["Location"]).content.decode()
    assert "Calmer now" in page and "(was high)" in page


def test_victim_history_lists_the_same_persons_assessments(
    client: Any, cop: Any, incident: Any, victim: Any, overdue: Any
) -> None:
    client.force_login(cop)
    url = f"/risk/incidents/{incident.pk}/victims/{victim.pk}/"
    assert "Why do you need this victim" in client.get(url).content.decode()
    page = client.get(url, {"purpose": "safeguarding"}).content.decode()
    assert "Risk history: Avery Testperson" in page and "ZZ1 1ZZ" in page
    assert f"/risk/assessments/{overdue.pk}/" in page
    [entry] = _entries("incidents.person", victim.pk, "view")
    assert entry.detail["assessments"] == [overdue.pk]


def test_calibration_page_and_csv(client: Any, cop: Any, overdue: Any) -> None:
    client.force_login(cop)
    page = client.get("/risk/calibration/").content.decode()
    assert "How well the risk bands predict a repeat" in page
    assert "dated on one of the 90 days after the day of the assessment" in page
    csv = client.get("/risk/calibration.csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("band,assessed,repeat_within_days,repeats,rate")
    assert [line.split(",")[0] for line in lines[1:4]] == ["standard", "medium", "high"]
    assert _entries("risk.calibration", "csv", "export")


def test_questionnaire_versions_new_version_and_publish(
    client: Any, police: Any, make_user: Any, cop: Any, overdue: Any
) -> None:
    client.force_login(cop)
    assert client.get("/risk/questionnaires/1/edit/").status_code == 403
    assert client.get("/risk/questionnaires/99/").status_code == 404
    client.force_login(make_user("supervisor", police, role="supervisor"))
    page = client.get("/risk/questionnaires/1/").content.decode()
    assert "Create a new version from this one" in page and "Used by</dt>" in page
    form = {
        "medium": "16",
        "high": "28",
        "review_high": "7",
        "review_medium": "28",
        "change_note": "Weekly reviews for high risk",
        "publish": "on",
    }
    weights = {
        f"w_{q.id}__{o.value}": str(o.weight)
        for q in QuestionnaireVersion.objects.get(number=1).questionnaire().questions
        for o in q.options
    }
    bad = client.post("/risk/questionnaires/1/edit/", weights | form | {"medium": "30"})
    assert bad.status_code == 400 and "medium &lt; high" in bad.content.decode()
    weights["w_targeted__yes"] = "9"
    done = client.post("/risk/questionnaires/1/edit/", weights | form)
    assert done.status_code == 302 and done["Location"] == "/risk/questionnaires/2/"
    v2 = QuestionnaireVersion.objects.get(number=2)
    q2 = v2.questionnaire()
    assert v2.published and v2.based_on.number == 1 and q2.question("targeted").max_weight == 9
    assert q2.review_days["high"] == 7
    assert (
        QuestionnaireVersion.objects.get(number=1).questionnaire().question("targeted").max_weight
        == 6
    )
    overdue.refresh_from_db()
    assert overdue.version_number == 1 and overdue.score == 29
    assert services.current_version().number == 2
    assert _entries("risk.questionnaireversion", v2.pk, "create")
    old = client.get("/risk/questionnaires/1/").content.decode()  # still readable
    assert "Published earlier" in old and "Yes (6)" in old and "1 assessment</dd>" in old
    listing = client.get("/risk/questionnaires/").content.decode()
    assert "Published earlier" in listing and "Current" in listing


def test_calibration_page_shows_rates_and_wilson_intervals_as_percentages(
    client: Any, cop: Any, make_victim: Any, police: Any, version: Any
) -> None:
    from asbhub.domain.risk import wilson_interval

    # Two high-risk victims assessed on 2 January 2024: one a victim again on 1 February.
    for name, again in (("Gil Green", D(2024, 2, 1)), ("Hal Hill", None)):
        person = make_victim(name, D(2024, 1, 1), dob=D(1970, 1, 1))
        if again:
            make_victim(name, again, dob=D(1970, 1, 1))
        services.record_assessment(
            person=person, answers=answers(**HIGH), agency=police, assessed_at=at(D(2024, 1, 2))
        )
    make_victim("Someone Else", D(2024, 12, 31))  # the data run to the end of 2024
    client.force_login(cop)
    page = client.get("/risk/calibration/").content.decode()
    low, high = wilson_interval(1, 2)
    assert "50.0%" in page and f"{low * 100:.1f}% to {high * 100:.1f}%" in page
    assert "31 December 2024" in page


def test_calibration_page_uses_linkage_clusters_once_linked(
    client: Any, cop: Any, make_victim: Any, police: Any, version: Any
) -> None:
    """Two records the interim key keeps apart (different dates of birth) are one person to
    linkage: with the clusters stored, the page counts her repeat and says which key."""
    from asbhub.records.people.models import LinkedPerson, LinkMethod, Membership

    first = make_victim("Ivy Ink", D(2024, 1, 1), dob=D(1970, 1, 1))
    again = make_victim("Ivy Ink", D(2024, 2, 1), dob=D(1970, 1, 10))  # a mistyped birth date
    services.record_assessment(
        person=first, answers=answers(**HIGH), agency=police, assessed_at=at(D(2024, 1, 2))
    )
    make_victim("Someone Else", D(2024, 12, 31))
    client.force_login(cop)
    before = client.get("/risk/calibration/").content.decode()
    assert "interim person key" in before and "0.0%" in before
    linked = LinkedPerson.objects.create()
    for person in (first, again):
        Membership.objects.create(person=person, linked_person=linked, method=LinkMethod.MANUAL)
    after = client.get("/risk/calibration/").content.decode()
    assert "person linkage clusters" in after and "100.0%" in after
