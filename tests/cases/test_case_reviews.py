"""ASB Case Reviews: list and detail with the threshold check explained, decision with its
working-day due date, meeting and actions, threshold rules by area, and the public form."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from asbhub.domain.cases import add_working_days  # noqa: E402
from asbhub.records.cases import services  # noqa: E402
from asbhub.records.cases.models import (  # noqa: E402
    CaseReview,
    CaseReviewApplicant,
    CaseReviewComplaint,
    ThresholdRule,
)
from asbhub.records.partners.models import AuditEntry  # noqa: E402

D = dt.date


@pytest.fixture
def council(make_agency: Any) -> Any:
    return make_agency("Synthetic Borough Council", area="Erewash")


@pytest.fixture
def application(council: Any) -> CaseReview:
    cr = services.create_case_review(
        owner_agency=council,
        area="Erewash",
        received_on=D(2024, 6, 3),
        applicant_name="Dana Invented",
        applicant_contact="01234 000009",
    )
    for ref, happened, reported, problem in (
        ("C1", D(2024, 3, 1), D(2024, 3, 2), "noise"),
        ("C2", D(2024, 4, 1), D(2024, 4, 20), "noise"),
        ("C3", D(2024, 1, 1), D(2024, 3, 1), "noise"),  # reported 60 days later
        ("C4", D(2023, 10, 1), D(2023, 10, 2), "noise"),  # before the six months
        ("C5", D(2024, 5, 1), D(2024, 5, 2), "parking"),
    ):  # another problem
        CaseReviewComplaint.objects.create(
            case_review=cr,
            reference=ref,
            incident_on=happened,
            reported_on=reported,
            problem=problem,
        )
    return cr


def test_detail_explains_which_complaints_count_and_why(
    client: Any, application: CaseReview, council: Any, make_user: Any
) -> None:
    client.force_login(make_user("council.officer", council))
    page = client.get(f"/case-reviews/{application.pk}/").content.decode()
    assert "Threshold not met: 2 qualifying complaints about &#x27;noise&#x27; (C1, C2)" in page
    assert "reported 60 days after the incident, more than 31" in page
    assert "reported on 02/10/2023, outside the 6 months from 03/12/2023" in page
    assert "about &#x27;parking&#x27;, not the problem counted" in page
    assert "Dana Invented" in page and "01234 000009" in page
    # Due ten working days after Monday 3 June 2024: Monday 17 June.
    assert application.decision_due == D(2024, 6, 17) == add_working_days(D(2024, 6, 3), 10)
    assert "Monday 17 June 2024" in page
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in page  # pending
    views = AuditEntry.objects.filter(object_type="cases.casereview", action="view")
    assert views.count() == 1 and views[0].detail["applicant"] == "shown"


def test_list_filters_overdue_and_other_agencies_see_withheld_applicant(
    client: Any,
    application: CaseReview,
    police: Any,
    council: Any,
    make_user: Any,
    make_agreement: Any,
    make_agency: Any,
) -> None:
    today = timezone.localdate()
    fresh = services.create_case_review(
        owner_agency=council, area="Erewash", received_on=today, applicant_name="Eli Madeup"
    )
    client.force_login(make_user("council.officer", council))
    overdue = client.get("/case-reviews/", {"state": "overdue"}).content.decode()
    assert application.reference in overdue and fresh.reference not in overdue
    pending = client.get("/case-reviews/", {"state": "pending"}).content.decode()
    assert fresh.reference in pending and application.reference not in pending
    # Police with an agreement for summaries only: sees the application, not the applicant.
    make_agreement(
        "ISA-CR",
        [police, council],
        ["incident_summary"],
        today - dt.timedelta(1),
        today + dt.timedelta(30),
    )
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    page = client.get(f"/case-reviews/{application.pk}/").content.decode()
    assert application.reference in page and "Dana Invented" not in page
    assert "not covered by ISA-CR" in page
    assert "Record the decision" not in page  # not the owner: no forms
    assert (
        client.post(
            f"/case-reviews/{application.pk}/decision/",
            {"decision": "met", "notes": "x", "version": 1},
        ).status_code
        == 403
    )
    client.force_login(make_user("stranger", make_agency("Unrelated Housing", kind="housing")))
    assert client.get(f"/case-reviews/{application.pk}/").status_code == 404
    assert application.reference not in client.get("/case-reviews/").content.decode()


def test_complaint_decision_meeting_and_actions_versioned_and_audited(
    client: Any,
    application: CaseReview,
    council: Any,
    police: Any,
    make_user: Any,
) -> None:
    client.force_login(make_user("council.officer", council))
    base = f"/case-reviews/{application.pk}"
    bad = client.post(f"{base}/complaint/", {"reference": "", "version": 1})
    assert bad.status_code == 400 and "Enter the reference" in bad.content.decode()
    assert (
        client.post(
            f"{base}/complaint/",
            {
                "reference": "C6",
                "incident_on": "2024-05-10",
                "reported_on": "2024-05-11",
                "problem": "Noise",
                "version": 1,
            },
        ).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.threshold_met is True and "C6" in application.threshold_reason
    early_meeting = client.post(
        f"{base}/meeting/",
        {
            "meeting_on": "2024-06-20",
            "attendees": [council.pk],
            "recommendations": "r",
            "version": 2,
        },
    )
    assert "only once the threshold is decided as met" in early_meeting.content.decode()
    no_reasons = client.post(f"{base}/decision/", {"decision": "met", "notes": "", "version": 2})
    assert "Give the reasons for the decision" in no_reasons.content.decode()
    assert (
        client.post(
            f"{base}/decision/", {"decision": "met", "notes": "Three complaints", "version": 2}
        ).status_code
        == 302
    )
    stale = client.post(f"{base}/decision/", {"decision": "not_met", "notes": "x", "version": 2})
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    application.refresh_from_db()
    assert (application.decision, application.decided_on) == ("met", timezone.localdate())
    assert application.decided_on > application.decision_due
    page = client.get(f"{base}/").content.decode()
    assert "After the due date" in page
    assert (
        client.post(
            f"{base}/meeting/",
            {
                "meeting_on": "2024-06-20",
                "attendees": [council.pk, police.pk],
                "recommendations": "Mediation; patrols",
                "version": 3,
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/action/",
            {
                "description": "Arrange mediation",
                "owner_agency": council.pk,
                "due": "2024-07-01",
                "version": 4,
            },
        ).status_code
        == 302
    )
    application.refresh_from_db()
    assert set(application.attendees.all()) == {council, police}
    action = application.actions.get()
    assert client.post(f"{base}/action/", {"complete": action.pk, "version": 5}).status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
    changes = AuditEntry.objects.filter(
        object_type="cases.casereview", object_id=str(application.pk), action="change"
    )
    assert changes.count() == 5
    assert {e.purpose for e in changes} == {"An ASB Case Review (Community Trigger)"}


def test_threshold_rules_edited_by_supervisors_only_and_used_for_new_applications(
    client: Any, council: Any, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("council.officer", council))
    assert client.post("/case-reviews/thresholds/", {"area": "Erewash"}).status_code == 403
    client.force_login(make_user("sgt.brown", police, role="supervisor"))
    bad = client.post(
        "/case-reviews/thresholds/",
        {
            "area": "Erewash",
            "complaints": 0,
            "window_months": 6,
            "report_within_days": 31,
            "decision_working_days": 5,
        },
    )
    assert "govuk-error-summary" in bad.content.decode()
    assert (
        client.post(
            "/case-reviews/thresholds/",
            {
                "area": "Erewash",
                "complaints": 5,
                "window_months": 6,
                "report_within_days": 31,
                "count_people": "on",
                "hate_incidents": 1,
                "decision_working_days": 5,
            },
        ).status_code
        == 302
    )
    rule = ThresholdRule.objects.get(area="Erewash")
    assert (rule.complaints, rule.count_people, rule.hate_incidents) == (5, True, 1)
    page = client.get("/case-reviews/thresholds/").content.decode()
    assert "5 different people complaining about the same problem in 6 months" in page
    cr = services.create_case_review(
        owner_agency=council, area="Erewash", received_on=D(2024, 6, 3), applicant_name="x"
    )
    assert cr.decision_due == add_working_days(D(2024, 6, 3), 5)


def _public_post(**extra: Any) -> dict[str, Any]:
    return {
        "applying_for": "other",
        "name": "Frankie Synthetic",
        "phone": "01234 000077",
        "email": "",
        "victim_name": "Gale Synthetic",
        "relationship": "daughter",
        "place": "Outside the shops, Sandiacre",
        "problem": "Youths at the door",
        "description": "<script>alert(1)</script> every night",
        "happened_on_1": "2024-05-01",
        "reported_on_1": "2024-05-02",
        "reported_to_1": "Police",
        "what_1": "<b>Stones</b> thrown",
        "happened_on_2": "2024-05-10",
        "reported_on_2": "2024-05-10",
        "what_2": "Shouting",
        "consent": "on",
        **extra,
    }


def test_public_application_no_login_csrf_required_and_stored_apart(
    db: str, council: Any, police: Any, make_user: Any
) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    form = anonymous.get("/case-review/apply/")
    assert form.status_code == 200 and "Apply for an ASB Case Review" in form.content.decode()
    # Without the CSRF token the post is refused and nothing is stored.
    assert anonymous.post("/case-review/apply/", _public_post()).status_code == 403
    assert not CaseReview.objects.exists()
    token = anonymous.cookies["csrftoken"].value
    done = anonymous.post("/case-review/apply/", {**_public_post(), "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    cr = CaseReview.objects.get()
    assert cr.from_public_form and cr.owner_agency == council  # Erewash's council
    # Issue #12 item 7: asked in the resident's words; staff get the LPU derived from them.
    assert cr.area == "Erewash"
    assert cr.description.startswith("Where the problem is: Outside the shops, Sandiacre\n\n")
    assert (cr.applicant_name, cr.applicant_contact, cr.on_behalf_of) == ("", "", "")
    applicant = CaseReviewApplicant.objects.get(case_review=cr)
    assert (applicant.name, applicant.phone, applicant.victim_name, applicant.consent) == (
        "Frankie Synthetic",
        "01234 000077",
        "Gale Synthetic",
        True,
    )
    assert [(c.incident_on, c.reported_on) for c in cr.complaints.all()] == [
        (D(2024, 5, 1), D(2024, 5, 2)),
        (D(2024, 5, 10), D(2024, 5, 10)),
    ]
    confirmation = anonymous.get(done["Location"]).content.decode()
    assert cr.reference in confirmation and "Frankie" not in confirmation
    entry = AuditEntry.objects.get(object_type="cases.casereview", action="create")
    assert entry.object_id == cr.reference and entry.username == ""
    assert "Frankie" not in str(entry.detail) and "phone" in entry.detail["applicant_fields"]
    # Stored XSS: what the applicant typed comes back escaped to the staff who read it.
    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(make_user("council.officer", council))
    page = staff.get(f"/case-reviews/{cr.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;b&gt;Stones&lt;/b&gt;" in page and "<b>Stones" not in page
    assert "Frankie Synthetic" in page and "On behalf of Gale Synthetic (daughter)" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent": ""}, "You must agree to the information being shared"),
        ({"phone": ""}, "Give a phone number or an email address"),
        ({"victim_name": ""}, "Enter the name of the person you are applying for"),
        (
            {
                "happened_on_1": "",
                "reported_on_1": "",
                "what_1": "",
                "happened_on_2": "",
                "reported_on_2": "",
                "what_2": "",
            },
            "Tell us about at least one incident",
        ),
        (
            {"reported_on_1": "2024-04-01"},
            "Incident 1 cannot have been reported before it happened",
        ),
        (
            {"happened_on_2": "2999-01-01", "reported_on_2": "2999-01-02"},
            "Enter a date from 1 January 2000 to",
        ),
        ({"place": "  "}, "Say where the problem is: a street or place and the town or village"),
    ],
)
def test_public_form_errors_in_a_summary(
    client: Any,
    council: Any,
    change: dict[str, str],
    message: str,
) -> None:
    response = client.post("/case-review/apply/", _public_post(**change))
    body = response.content.decode()
    assert response.status_code == 200 and 'class="govuk-error-summary"' in body
    assert message in body and body.count("<title>Error: ") == 1
    assert not CaseReview.objects.exists()


@pytest.mark.parametrize(
    ("place", "area"),
    [
        ("the park behind the church, Sandiacre", "Erewash"),  # a neighbourhood (SK08)
        ("Long Eaton", "Erewash"),  # every Long Eaton neighbourhood is Erewash
        ("the bus station, Buxton, High Peak", "High Peak"),  # a district and LPU
        ("Derby", ""),  # a city over four LPUs: staff choose the LPU
        ("Atlantis Road, Nowhere", ""),  # nothing known: staff set it
        ("Sandiacre neighbourhood (Erewash)", "Erewash"),  # as the place search fills it
        (
            "On or near Market Place, Bolsover 004A (Bolsover and Shuttlewood neighbourhood)",
            "North East",
        ),  # an LSOA name decides
    ],
)
def test_public_form_asks_for_the_place_in_residents_words(
    client: Any, council: Any, police: Any, place: str, area: str
) -> None:
    page = client.get("/case-review/apply/").content.decode()
    assert "Where is the problem?" in page and "North East" not in page
    assert client.post("/case-review/apply/", _public_post(place=place)).status_code == 302
    cr = CaseReview.objects.get()
    assert cr.area == area
    assert cr.owner_agency == (council if area == "Erewash" else police)
    assert cr.description.startswith(f"Where the problem is: {place}\n\n")


def test_public_form_place_search_works_without_javascript(client: Any) -> None:
    """The optional place search: ?place= lists matches (here a neighbourhood, placed by a
    published street point in one of its LSOAs), each a link whose ?where= fills the box."""
    import csv

    from asbhub.geo import bundled_areas_folder
    from asbhub.records.incidents.models import Location

    with open(bundled_areas_folder() / "areas.csv", encoding="utf-8") as f:
        code = next(r["lsoa_code"] for r in csv.DictReader(f) if r["snt_name"] == "Sandiacre")
    Location.objects.create(
        key="test|sandiacre",
        description="On or near Station Road",
        latitude=52.92,
        longitude=-1.29,
        lsoa_code=code,
    )
    page = client.get("/case-review/apply/", {"place": "Sandiacre"}).content.decode()
    link = re.search(r'href="\?place=Sandiacre&amp;where=([^"#]+)#id_place"', page)
    assert link, page[page.find("place-results") :][:800]
    where = urllib.parse.unquote_plus(link.group(1))
    assert where == "Sandiacre neighbourhood (Erewash)"
    filled = client.get("/case-review/apply/", {"where": where}).content.decode()
    assert re.search(
        r'<input[^>]*name="place"[^>]*value="Sandiacre neighbourhood \(Erewash\)"', filled
    )
