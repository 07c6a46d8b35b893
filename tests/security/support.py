"""Helpers for the security tests: import them from here (the fixtures are in conftest.py and
are found by name)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.fixtures_partners import SYNTHETIC_FORCE

#: The id no record has: a guess at a missing record.
MISSING_ID = 987654321


#: Personal data in the world: none of these may reach a user not entitled to it.
VICTIM = "Avery Testperson"


SUSPECT = "Blake Madeupname"


WITNESS = "Casey Fictional"


APPLICANT = "Dana Applicantname"


ASKER = "Eli Askername"


ASKER_EMAIL = "eli.askername@example.com"


PEOPLE_SECRETS = (
    VICTIM,
    SUSPECT,
    WITNESS,
    "01234 000001",
    "01234 000002",
    "Victimname",
    "Offendername",
    APPLICANT,
    "07700 900123",
    "9 Imaginary Road",
)


ASKER_SECRETS = (ASKER, ASKER_EMAIL)


def secrets_in(text: str, secrets: tuple[str, ...] = PEOPLE_SECRETS) -> list[str]:
    """The secrets that occur in ``text`` (a page, a JSON body, a CSV)."""
    return [s for s in secrets if s in text]


Text = Callable[[str, str], str]


def _plain(label: str, value: str) -> str:
    return value


def build_world(text: Text = _plain) -> SimpleNamespace:
    """Create the world in the ``default`` database; ``text(label, value)`` may replace any
    free-text value (the XSS tests put their payloads in through it)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from asbhub.records.cases import services as cases
    from asbhub.records.cases.models import (
        CaseReviewAction,
        CaseReviewApplicant,
        CaseReviewComplaint,
        PmpAction,
        PmpIncident,
        PmpPerson,
        PmpReview,
        Power,
        PowerEvent,
        ProblemType,
    )
    from asbhub.records.incidents.models import Incident, Location, Person, Source
    from asbhub.records.partners.models import Agency, UserProfile
    from asbhub.records.people.models import CandidatePair, LinkedPerson, Membership
    from asbhub.records.risk import services as risk
    from asbhub.records.scrutiny.models import Meeting, Question
    from asbhub.records.tokens.services import create_token

    now = timezone.now()
    today = timezone.localdate()

    def agency(name: str, kind: str) -> Any:
        return Agency.objects.create(name=name, kind=kind)

    police = agency(SYNTHETIC_FORCE, "police")
    council = agency("Synthetic District Council", "district_council")
    housing = agency("Synthetic Homes", "housing")
    pcc = agency("Synthetic Commissioner's Office", "commissioner")

    def user(username: str, where: Any = None, role: str = "", **extra: Any) -> Any:
        u = get_user_model()(username=username, **extra)
        u.set_unusable_password()  # Argon2 is slow by design; these users use force_login
        u.save()
        if where is not None:
            UserProfile.objects.create(user=u, agency=where, role=role)
        return u

    users = SimpleNamespace(
        analyst=user("sec.analyst", police, "analyst"),
        snt=user("sec.snt", police, "snt_officer"),
        supervisor=user("sec.supervisor", police, "supervisor"),
        police_admin=user("sec.police.admin", police, "administrator"),
        commissioner=user("sec.commissioner", pcc, "commissioner_viewer"),
        council_officer=user("sec.council.officer", council, "partner_officer"),
        council_supervisor=user("sec.council.supervisor", council, "supervisor"),
        council_admin=user("sec.council.admin", council, "administrator"),
        housing_officer=user("sec.housing.officer", housing, "partner_officer"),
        housing_analyst=user("sec.housing.analyst", housing, "analyst"),
        unlinked=user("sec.unlinked"),
        staff=user("sec.staff", is_staff=True, is_superuser=True),
    )

    source = Source.objects.create(
        kind="force_export",
        force=SYNTHETIC_FORCE,
        month="",
        content_hash="5" * 64,
        rows=2,
        file="synthetic-security",
        loaded_at=now,
    )
    month = f"{today:%Y-%m}"
    yesterday = now - dt.timedelta(days=1)

    def incident(n: int) -> Any:
        loc = Location.objects.create(
            key=f"security|{n}",
            latitude=52.99,
            longitude=-1.31,
            easting=447000.0,
            northing=341000.0,
            description=text("incidents.location.description", f"On or near Synthetic Street {n}"),
            lsoa_code="E01019638",
            lsoa_name="Erewash 016A",
        )
        return Incident.objects.create(
            source=source,
            line=n + 1,
            record_type="asb",
            month=month,
            crime_type="Anti-social behaviour",
            reference=f"SYN-SEC-{n:04d}",
            location=loc,
            asb_category="N",
            lpu="Erewash",
            thrive_risk="high",
            thrive_vulnerability="high",
            occurred_from=yesterday,
            context=text("incidents.incident.context", "Youths shouting in the street"),
            outcome=text("incidents.incident.outcome", "Words of advice"),
        )

    inc = incident(1)
    victim = Person.objects.create(
        incident=inc,
        role="victim",
        name=text("incidents.person.name", VICTIM),
        date_of_birth=dt.date(1970, 1, 2),
        phone="01234 000001",
        address="1 Example Street, Exampleton",
        postcode="ZZ1 1ZZ",
    )
    suspect = Person.objects.create(
        incident=inc, role="suspect", name=SUSPECT, phone="01234 000002"
    )
    witness = Person.objects.create(incident=inc, role="witness", name=WITNESS)
    inc2 = incident(2)
    victim2 = Person.objects.create(
        incident=inc2,
        role="victim",
        name=VICTIM,
        date_of_birth=dt.date(1970, 1, 2),
        postcode="ZZ1 1ZZ",
    )

    plan = cases.create_pmp(
        owner_agency=police,
        partner_agencies=[council],
        lpu="Erewash",
        title=text("cases.pmp.title", "Youths at the memorial gardens"),
        problem_type=ProblemType.objects.order_by("pk").first(),
        statement=text("cases.pmp.statement", "Groups gather after dark"),
        victim=text("cases.pmp.victim", "Mrs Victimname at number 3"),
        offender=text("cases.pmp.offender", "Known youth Offendername"),
        location=text("cases.pmp.location", "The memorial gardens"),
    )
    PmpIncident.objects.create(pmp=plan, incident=inc)
    PmpPerson.objects.create(pmp=plan, person=victim, role="victim")
    PmpPerson.objects.create(pmp=plan, person=suspect, role="perpetrator")
    PmpAction.objects.create(
        pmp=plan,
        owner_agency=council,
        due=today + dt.timedelta(days=7),
        description=text("cases.pmpaction.description", "Extra patrols"),
    )
    PmpReview.objects.create(
        pmp=plan,
        reviewed_at=now,
        reviewer=users.supervisor,
        next_review_due=today + dt.timedelta(days=28),
        notes=text("cases.pmpreview.notes", "Progressing"),
    )

    power = Power.objects.create(
        kind="cpn",
        owner_agency=police,
        person=suspect,
        pmp=plan,
        issued_on=today - dt.timedelta(days=20),
        premises=text("cases.power.premises", "Flat 2, Example Court"),
        notes=text("cases.power.notes", f"Served on {SUSPECT} at home"),
    )
    PowerEvent.objects.create(
        power=power,
        kind="fpn",
        on=today - dt.timedelta(days=5),
        person=suspect,
        notes=text("cases.powerevent.notes", "Breached"),
    )
    housing_power = Power.objects.create(
        kind="cpw",
        owner_agency=housing,
        premises="Flat 9, Imaginary Court",
        issued_on=today - dt.timedelta(days=10),
    )

    case_review = cases.create_case_review(
        owner_agency=police,
        area="Erewash",
        received_on=today - dt.timedelta(days=3),
        applicant_name=text("cases.casereview.applicant_name", APPLICANT),
        applicant_contact="07700 900123",
        description=text("cases.casereview.description", "Noise every night"),
    )
    CaseReviewApplicant.objects.create(
        case_review=case_review,
        applying_for="self",
        name=APPLICANT,
        phone="07700 900123",
        address="9 Imaginary Road",
        postcode="ZZ9 9ZZ",
        consent=True,
        consented_at=now,
    )
    CaseReviewComplaint.objects.create(
        case_review=case_review,
        incident=inc,
        reference="SYN-SEC-0001",
        incident_on=today - dt.timedelta(days=20),
        reported_on=today - dt.timedelta(days=19),
        complainant=APPLICANT,
        problem=text("cases.casereviewcomplaint.problem", "Noise"),
        reported_to="Police",
        description=text("cases.casereviewcomplaint.description", "Loud music"),
    )
    CaseReviewAction.objects.create(
        case_review=case_review,
        owner_agency=police,
        due=today + dt.timedelta(days=10),
        description=text("cases.casereviewaction.description", "Visit the neighbours"),
    )

    from tests.risk.support import HIGH, answers

    assessment = risk.record_assessment(
        person=victim,
        answers=answers(**HIGH),
        agency=police,
        assessor=users.analyst,
        thrive={
            "threat": "high",
            "threat_note": text("risk.riskassessment.thrive_threat_note", "Threats made"),
        },
        thrive_notes=text("risk.riskassessment.thrive_notes", "The victim is frightened"),
    )

    # Due for review yesterday: on the reviews-due list and in the briefing's risk section.
    type(assessment).objects.filter(pk=assessment.pk).update(
        next_review_due=today - dt.timedelta(days=1)
    )
    assessment.refresh_from_db()

    linked = LinkedPerson.objects.create(n_records=2, roles="victim", label_person=victim2)
    Membership.objects.create(
        person=victim, linked_person=linked, method="exact_key", exact_key="security-key"
    )
    Membership.objects.create(
        person=victim2, linked_person=linked, method="exact_key", exact_key="security-key"
    )
    lone = LinkedPerson.objects.create(n_records=1, roles="suspect", label_person=suspect)
    Membership.objects.create(person=suspect, linked_person=lone, method="single")
    a, b = sorted([witness.pk, victim2.pk])
    pair = CandidatePair.objects.create(
        person_a_id=a,
        person_b_id=b,
        match_weight=3.5,
        match_probability=0.9,
        reason="review",
        breakdown=[{"comparison": "name", "level": "fuzzy", "weight": 3.5}],
    )

    past = Meeting.objects.create(
        date=today - dt.timedelta(days=30),
        title=text("scrutiny.meeting.title", "Performance Scrutiny Meeting"),
        theme=text("scrutiny.meeting.theme", "Neighbourhood crime"),
    )
    Meeting.objects.create(date=today + dt.timedelta(days=30), title="Performance Scrutiny Meeting")
    question = Question.objects.create(
        asker_name=ASKER,
        email=ASKER_EMAIL,
        area=text("scrutiny.question.area", "Erewash"),
        text=text("scrutiny.question.text", "What is being done about the gardens?"),
    )
    Question.objects.create(
        asker_name=ASKER,
        name_consent=False,
        email=ASKER_EMAIL,
        area="Erewash",
        text=text("scrutiny.question.text", "How many ASB reports were there?"),
        status="published",
        meeting=past,
        answer=text("scrutiny.question.answer", "Forty."),
        answered_by=text("scrutiny.question.answered_by", "Constabulary"),
        approved_by=users.police_admin,
        approved_at=now,
        published_at=now,
    )

    token = create_token(users.analyst, text("api.apitoken.name", "GIS import"), 30)

    return SimpleNamespace(
        police=police,
        council=council,
        housing=housing,
        pcc=pcc,
        users=users,
        source=source,
        incident=inc,
        incident2=inc2,
        victim=victim,
        victim2=victim2,
        suspect=suspect,
        witness=witness,
        plan=plan,
        power=power,
        housing_power=housing_power,
        case_review=case_review,
        assessment=assessment,
        linked=linked,
        pair=pair,
        question=question,
        token=token.token,
        today=today,
    )


def signed_in_clients(w: SimpleNamespace) -> dict[str, Any]:
    """A test client signed in as each user of the world (the sessions live as long as the
    module's transaction, so tests need not sign in again)."""
    from django.conf import settings

    out = {}
    for name, user in vars(w.users).items():
        c = new_client()
        c.force_login(user)
        out[name] = (c, c.cookies[settings.SESSION_COOKIE_NAME].value)
    return out


def as_user(w: SimpleNamespace, name: str) -> Any:
    """The world's client signed in as ``name`` (an attribute of ``w.users``).

    Its session cookie is put back each time: a test that signed it out (its session row is
    restored when the test's savepoint rolls back) must not leave it signed out for the next.
    """
    from django.conf import settings

    c, session_key = w.clients[name]
    c.cookies.clear()
    c.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return c


ALL_CATEGORIES = [
    "incident_summary",
    "victim_personal",
    "perpetrator_personal",
    "witness_personal",
    "risk_assessment",
]


def share(
    world: SimpleNamespace,
    categories: list[str],
    reference: str = "ISA-SEC-1",
    *,
    state: str = "live",
) -> Any:
    """An agreement between the police and the council covering ``categories``: ``live``,
    or (to show only a live one counts) ``expired``, ``future`` or ``revoked``."""
    from django.utils import timezone

    from asbhub.records.partners.models import SharingAgreement

    today = timezone.localdate()
    starts, ends = {
        "live": (today - dt.timedelta(days=10), today + dt.timedelta(days=30)),
        "revoked": (today - dt.timedelta(days=10), today + dt.timedelta(days=30)),
        "expired": (today - dt.timedelta(days=400), today - dt.timedelta(days=1)),
        "future": (today + dt.timedelta(days=1), today + dt.timedelta(days=400)),
    }[state]
    agreement = SharingAgreement.objects.create(
        reference=reference,
        title=f"Synthetic agreement {reference}",
        purpose="Reducing anti-social behaviour (test)",
        categories=categories,
        starts=starts,
        ends=ends,
        revoked_at=timezone.now() if state == "revoked" else None,
        revoked_reason="Ended early (test)" if state == "revoked" else "",
    )
    agreement.parties.set([world.police, world.council])
    return agreement


def new_client(**extra: Any) -> Any:
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="192.0.2.10", **extra)
