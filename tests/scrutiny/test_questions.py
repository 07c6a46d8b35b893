"""Public questions: the workflow's rules, the public pages' privacy and escaping, the queue's
permissions and its audit of every view of an asker's details."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.records.scrutiny.models import (  # noqa: E402
    TRANSITIONS,
    IllegalTransition,
    Meeting,
    Question,
    Status,
    check_transition,
)

EMAIL = "secret.asker@example.org"
XSS = '<script>alert("x")</script>'


@pytest.fixture
def office(make_agency: Any, make_user: Any) -> Any:
    agency = make_agency("Office of the PCC", kind="commissioner")
    return make_user("pcc.officer", agency, role="commissioner_viewer")


@pytest.fixture
def meeting(db: str) -> Meeting:
    return Meeting.objects.create(
        date=dt.date(2023, 3, 21),
        title="Performance Scrutiny Meeting",
        theme="Priority 2: Neighbourhood crime & ASB",
    )


def _question(**kw: Any) -> Question:
    values = {
        "area": "Bolsover",
        "text": "Why are there no foot patrols in S43?",
        "theme": "visible_policing",
        "email": EMAIL,
        "asker_name": "Pat Askername",
    }
    return Question.objects.create(**(values | kw))


def _through(q: Question, target: str, user: Any, meeting: Meeting, police: Any) -> None:
    order = [Status.ASSIGNED, Status.ANSWERED, Status.APPROVED, Status.PUBLISHED]
    for status in order[: order.index(target) + 1]:
        q.move_to(
            status,
            user=user,
            assigned_agency=police,
            answer="Our SNT patrols on foot.",
            meeting=meeting,
        )


# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("current", list(TRANSITIONS))
@pytest.mark.parametrize("target", list(TRANSITIONS))
def test_only_listed_moves_are_allowed(current: str, target: str) -> None:
    facts = {"has_assignee": True, "answer": "An answer", "has_approver": True, "has_meeting": True}
    expected = {
        ("received", "assigned"),
        ("assigned", "assigned"),
        ("assigned", "answered"),
        ("answered", "answered"),
        ("answered", "assigned"),
        ("answered", "approved"),
        ("approved", "answered"),
        ("approved", "published"),
    }
    if (current, target) in expected:
        check_transition(current, target, **facts)
    else:
        with pytest.raises(IllegalTransition, match=f"cannot be {target}"):
            check_transition(current, target, **facts)


@pytest.mark.parametrize(
    ("current", "target", "missing", "message"),
    [
        ("received", "assigned", "has_assignee", "name a person or an agency"),
        ("assigned", "answered", "answer", "write the answer"),
        ("answered", "approved", "has_approver", "who approved"),
        ("approved", "published", "has_meeting", "choose the meeting"),
    ],
)
def test_each_move_needs_its_facts(current: str, target: str, missing: str, message: str) -> None:
    facts: dict[str, Any] = {
        "has_assignee": True,
        "answer": "An answer",
        "has_approver": True,
        "has_meeting": True,
    }
    facts[missing] = "  " if missing == "answer" else False
    with pytest.raises(IllegalTransition, match=message):
        check_transition(current, target, **facts)


def test_refused_move_saves_nothing(office: Any, meeting: Meeting) -> None:
    q = _question()
    with pytest.raises(IllegalTransition):
        q.move_to(Status.PUBLISHED, user=office, meeting=meeting)
    q.refresh_from_db()
    assert q.status == Status.RECEIVED and q.meeting is None and q.published_at is None


def test_revised_answer_needs_approving_again(office: Any, meeting: Meeting, police: Any) -> None:
    q = _question()
    _through(q, Status.APPROVED, office, meeting, police)
    assert q.approved_by == office
    q.move_to(Status.ANSWERED, user=office, answer="A better answer.")
    assert q.status == Status.ANSWERED and q.approved_by is None
    with pytest.raises(IllegalTransition):
        q.move_to(Status.PUBLISHED, user=office)


# -- public pages ---------------------------------------------------------------------------


def test_ask_form_saves_question_for_next_meeting(client: Any, db: str) -> None:
    nxt = Meeting.objects.create(
        date=dt.date.today() + dt.timedelta(days=30),
        title="Performance Scrutiny Meeting",
        theme="Road safety",
    )
    page = client.get("/scrutiny/questions/ask/").content.decode()
    assert "csrfmiddlewaretoken" in page and "never published" in page
    response = client.post(
        "/scrutiny/questions/ask/",
        {
            "text": "When will the e-scooters on the Long Eaton paths be stopped?",
            "theme": "e_scooters",
            "area": "Erewash",
            "email": EMAIL,
        },
    )
    assert response.status_code == 302
    q = Question.objects.get()
    assert (q.status, q.meeting, q.theme, q.email) == (Status.RECEIVED, nxt, "e_scooters", EMAIL)


def test_ask_form_refuses_bad_input(client: Any, db: str) -> None:
    response = client.post(
        "/scrutiny/questions/ask/",
        {
            "text": "Why?",
            "theme": "nonsense",
            "area": " ",
            "email": "not-an-email",
            "name_consent": "on",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    for message in (
        "at least 10 characters",
        "Select a valid choice",
        "Enter where you live",
        "valid email",
        "Enter your name",
    ):
        assert message in page
    assert not Question.objects.exists()


def test_ask_form_needs_csrf_token(db: str) -> None:
    from django.test import Client

    strict = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    response = strict.post(
        "/scrutiny/questions/ask/",
        {"text": "A question long enough", "theme": "other", "area": "Erewash"},
    )
    assert response.status_code == 403 and not Question.objects.exists()


def test_only_published_answers_appear_grouped_by_theme(
    client: Any, office: Any, meeting: Meeting, police: Any
) -> None:
    published = _question(text="Why no foot patrols in the S43 area?")
    _through(published, Status.PUBLISHED, office, meeting, police)
    parking = _question(
        text="What about parking outside schools?",
        theme="parking",
        asker_name="Sam Consenting",
        name_consent=True,
        area="South Derbyshire",
    )
    _through(parking, Status.PUBLISHED, office, meeting, police)
    approved_only = _question(text="An approved but unpublished question")
    _through(approved_only, Status.APPROVED, office, meeting, police)
    answered_only = _question(text="An answered but unapproved question")
    _through(answered_only, Status.ANSWERED, office, meeting, police)

    page = client.get("/scrutiny/questions/").content.decode()
    assert "Why no foot patrols in the S43 area?" in page
    assert "approved but unpublished" not in page and "answered but unapproved" not in page
    assert page.index("Visible policing") < page.index("Why no foot patrols")
    assert page.index("Parking and vehicles") < page.index("parking outside schools")
    assert "Resident from Bolsover" in page and "Pat Askername" not in page
    assert "Sam Consenting, South Derbyshire" in page
    assert "Priority 2: Neighbourhood crime &amp; ASB" in page
    assert EMAIL not in page and "secret.asker" not in page


def test_question_text_is_escaped(
    client: Any,
    office: Any,
    meeting: Meeting,
    police: Any,
) -> None:
    q = _question(text=f"Is this safe? {XSS}", area=f"<b>{XSS}</b>")
    _through(q, Status.PUBLISHED, office, meeting, police)
    public = client.get("/scrutiny/questions/").content.decode()
    client.force_login(office)
    staff = client.get(f"/scrutiny/queue/{q.pk}/").content.decode()
    queue = client.get("/scrutiny/queue/").content.decode()
    for page in (public, staff, queue):
        assert XSS not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


# -- the queue ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client: Any, db: str) -> None:
    q = _question()
    for url in ("/scrutiny/queue/", f"/scrutiny/queue/{q.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_partner_officer_is_refused(
    client: Any,
    make_agency: Any,
    make_user: Any,
) -> None:
    q = _question()
    client.force_login(make_user("council.officer", make_agency("Synthetic Council")))
    assert client.get("/scrutiny/queue/").status_code == 403
    assert client.get(f"/scrutiny/queue/{q.pk}/").status_code == 403
    assert (
        client.post(
            f"/scrutiny/queue/{q.pk}/", {"step": "assign", "assigned_agency": ""}
        ).status_code
        == 403
    )
    assert not AuditEntry.objects.filter(object_type="scrutiny.question").exists()


def test_queue_list_hides_and_detail_audits_personal_details(
    client: Any,
    office: Any,
) -> None:
    q = _question()
    client.force_login(office)
    queue = client.get("/scrutiny/queue/").content.decode()
    assert "foot patrols" in queue and EMAIL not in queue and "Pat Askername" not in queue
    page = client.get(f"/scrutiny/queue/{q.pk}/").content.decode()
    assert EMAIL in page and "Pat Askername" in page
    views = AuditEntry.objects.filter(
        object_type="scrutiny.question", object_id=str(q.pk), action="view"
    )
    assert [(e.username, e.purpose) for e in views] == [
        ("pcc.officer", "Answering a public question to the Performance Scrutiny Meeting")
    ]
    assert EMAIL not in str(views[0].detail)


def test_workflow_through_the_pages(
    client: Any,
    office: Any,
    meeting: Meeting,
    police: Any,
) -> None:
    q = _question()
    client.force_login(office)
    url = f"/scrutiny/queue/{q.pk}/"
    # Publishing first is refused and changes nothing.
    refused = client.post(url, {"step": "publish", "meeting": meeting.pk})
    assert refused.status_code == 400 and "cannot be published" in refused.content.decode()
    q.refresh_from_db()
    assert q.status == Status.RECEIVED and q.meeting is None
    steps = [
        {"step": "assign", "assigned_agency": police.pk},
        {"step": "answer", "answer": "Our SNT patrols on foot.", "answered_by": "Constabulary"},
        {"step": "approve"},
        {"step": "publish", "meeting": meeting.pk},
    ]
    for data, status in zip(steps, ["assigned", "answered", "approved", "published"], strict=True):
        assert client.post(url, data).status_code == 302
        q.refresh_from_db()
        assert q.status == status
    assert q.approved_by == office and q.meeting == meeting and q.published_at is not None
    changes = AuditEntry.objects.filter(object_type="scrutiny.question", action="change").order_by(
        "seq"
    )
    assert [e.detail["step"] for e in changes] == ["assign", "answer", "approve", "publish"]
    client.logout()
    assert "Our SNT patrols on foot." in client.get("/scrutiny/questions/").content.decode()
