"""The access policy: own agency by role; partners only under a live agreement covering the data."""

from __future__ import annotations

import datetime as dt

import pytest

from asbhub.store.db import setup_django

# Before the imports below touch any model (see tests/partners/conftest.py for why here).
setup_django()

from django.http import Http404  # noqa: E402
from django.utils import timezone  # noqa: E402

from asbhub.records.partners.access import (  # noqa: E402
    can_see,
    get_record_or_404,
    owner_agency_for,
    redact_person,
    shared_incident,
)
from asbhub.records.partners.models import AuditEntry, DataCategory  # noqa: E402

TODAY = dt.date(2025, 6, 15)
VICTIM = DataCategory.VICTIM_PERSONAL
SUSPECT = DataCategory.PERPETRATOR_PERSONAL
SUMMARY = DataCategory.INCIDENT_SUMMARY
PERSONAL = [
    DataCategory.VICTIM_PERSONAL,
    DataCategory.PERPETRATOR_PERSONAL,
    DataCategory.WITNESS_PERSONAL,
]


@pytest.fixture
def council(make_agency):
    return make_agency("Synthetic District Council")


@pytest.fixture
def officer(make_user, council):
    return make_user("council.officer", council, role="partner_officer")


def _person(incident, role):
    return incident.people.get(role=role)


def test_own_agency_sees_its_own_personal_data(make_user, police, incident):
    snt = make_user("snt.officer", police, role="snt_officer")
    for category in DataCategory.values:
        decision = can_see(snt, category, police, on=TODAY)
        assert decision.allowed, decision.reason
        assert decision.reason == f"A record of your own agency, {police.name}."
    view = redact_person(_person(incident, "victim"), can_see(snt, VICTIM, police, on=TODAY))
    assert view.shown
    assert (view.name, view.postcode, view.date_of_birth) == (
        "Avery Testperson",
        "ZZ1 1ZZ",
        dt.date(1970, 1, 2),
    )


def test_partner_without_agreement_gets_no_personal_data(officer, police, council, incident):
    for category in DataCategory.values:
        decision = can_see(officer, category, police, on=TODAY)
        assert not decision.allowed
        assert decision.reason.startswith(
            f"Withheld: {council.name} has no information sharing agreement with {police.name}"
        )
    view = redact_person(_person(incident, "victim"), can_see(officer, VICTIM, police, on=TODAY))
    assert not view.shown
    assert (view.name, view.phone, view.address, view.postcode, view.date_of_birth) == (
        "",
        "",
        "",
        "",
        None,
    )
    assert view.role == "victim"
    assert "no information sharing agreement" in view.withheld_reason


def test_expired_agreement_does_not_count(officer, police, council, make_agreement):
    make_agreement(
        "ISA-OLD",
        [police, council],
        DataCategory.values,
        starts=dt.date(2023, 1, 1),
        ends=dt.date(2025, 6, 14),
    )
    decision = can_see(officer, VICTIM, police, on=TODAY)
    assert not decision.allowed
    assert decision.reason == (
        f"Withheld: Victims' personal details of {police.name} are shared with {council.name} "
        "only under ISA-OLD, which ended on 14 June 2025."
    )
    # The last day of an agreement is still inside it.
    assert can_see(officer, VICTIM, police, on=dt.date(2025, 6, 14)).allowed


def test_future_agreement_does_not_count(officer, police, council, make_agreement):
    make_agreement(
        "ISA-NEXT",
        [police, council],
        DataCategory.values,
        starts=dt.date(2025, 6, 16),
        ends=dt.date(2026, 6, 15),
    )
    decision = can_see(officer, SUSPECT, police, on=TODAY)
    assert not decision.allowed
    assert "ISA-NEXT, which does not start until 16 June 2025" in decision.reason
    assert can_see(officer, SUSPECT, police, on=dt.date(2025, 6, 16)).allowed


def test_revoked_agreement_does_not_count(officer, police, council, make_agreement):
    revoked = timezone.make_aware(dt.datetime(2025, 6, 1, 12, 0))
    make_agreement(
        "ISA-REV",
        [police, council],
        DataCategory.values,
        starts=dt.date(2025, 1, 1),
        ends=dt.date(2026, 1, 1),
        revoked_at=revoked,
    )
    decision = can_see(officer, VICTIM, police, on=TODAY)
    assert not decision.allowed
    assert "ISA-REV, which was revoked on 1 June 2025" in decision.reason


def test_category_not_covered_is_withheld_with_the_reason(
    officer, police, council, incident, make_agreement
):
    make_agreement(
        "ISA-7",
        [police, council],
        [SUMMARY, VICTIM],
        starts=dt.date(2025, 1, 1),
        ends=dt.date(2025, 12, 31),
    )
    victim = can_see(officer, VICTIM, police, on=TODAY)
    assert victim.allowed and victim.agreement == "ISA-7"
    assert victim.reason == (
        f"Shared by {police.name} under ISA-7 (Synthetic agreement ISA-7), "
        "in force until 31 December 2025."
    )
    suspect = can_see(officer, SUSPECT, police, on=TODAY)
    assert not suspect.allowed
    assert suspect.reason == (
        "Withheld: Perpetrators' personal details are not covered by ISA-7, the live agreement "
        f"between {council.name} and {police.name}."
    )
    shared = shared_incident(officer, incident, on=TODAY)
    shown = {p.role: p for p in shared.people}
    assert shown["victim"].shown and shown["victim"].name == "Avery Testperson"
    assert not shown["suspect"].shown and shown["suspect"].name == ""
    assert shown["suspect"].withheld_reason == suspect.reason
    # Callers' and witnesses' details are a category of their own, not covered here either.
    assert not shown["witness"].shown
    assert not shared.risk.allowed and "Risk assessments are not covered" in shared.risk.reason


def test_live_and_expired_agreements_together(officer, police, council, make_agreement):
    """A live agreement for one category does not revive an expired one for another."""
    make_agreement(
        "ISA-A",
        [police, council],
        [SUMMARY],
        starts=dt.date(2025, 1, 1),
        ends=dt.date(2025, 12, 31),
    )
    make_agreement(
        "ISA-B",
        [police, council],
        [SUMMARY, VICTIM],
        starts=dt.date(2020, 1, 1),
        ends=dt.date(2024, 12, 31),
    )
    assert can_see(officer, SUMMARY, police, on=TODAY).agreement == "ISA-A"
    decision = can_see(officer, VICTIM, police, on=TODAY)
    assert not decision.allowed and "ISA-B, which ended on 31 December 2024" in decision.reason


def test_agreement_between_other_agencies_gives_nothing(
    officer, police, council, make_agency, make_agreement
):
    housing = make_agency("Synthetic Homes", kind="housing")
    make_agreement(
        "ISA-H",
        [council, housing],
        DataCategory.values,
        starts=dt.date(2025, 1, 1),
        ends=dt.date(2025, 12, 31),
    )
    assert not can_see(officer, VICTIM, police, on=TODAY).allowed
    assert can_see(officer, VICTIM, housing, on=TODAY).allowed


def test_role_limits_even_own_agency(make_user, police):
    viewer = make_user("opcc.viewer", police, role="commissioner_viewer")
    assert can_see(viewer, SUMMARY, police, on=TODAY).allowed
    for category in [*PERSONAL, DataCategory.RISK_ASSESSMENT]:
        decision = can_see(viewer, category, police, on=TODAY)
        assert not decision.allowed
        assert decision.reason.startswith(
            "Withheld: the Commissioner's office viewer role does not include"
        )
    admin = make_user("sys.admin", police, role="administrator")
    assert not can_see(admin, VICTIM, police, on=TODAY).allowed


def test_accounts_without_an_agency_and_records_without_an_owner(make_user, police):
    from django.contrib.auth.models import AnonymousUser

    unlinked = make_user("no.profile")
    assert not can_see(unlinked, SUMMARY, police, on=TODAY).allowed
    assert "not linked to an agency" in can_see(unlinked, SUMMARY, police, on=TODAY).reason
    assert not can_see(AnonymousUser(), SUMMARY, police, on=TODAY).allowed
    disabled = make_user("gone", police, role="analyst", is_active=False)
    assert not can_see(disabled, SUMMARY, police, on=TODAY).allowed
    analyst = make_user("analyst", police, role="analyst")
    assert not can_see(analyst, VICTIM, None, on=TODAY).allowed
    with pytest.raises(ValueError, match="unknown data category"):
        can_see(analyst, "everything", police)


def test_incident_owner_is_the_police_force_of_its_source(incident, police, make_agency):
    assert owner_agency_for(incident) == police
    assert owner_agency_for(_person(incident, "victim")) == police
    # A second police agency does not confuse it: the name matches the source's force.
    make_agency("Another Constabulary", kind="police")
    assert owner_agency_for(incident) == police


def test_guessed_record_id_gives_nothing(officer, police, incident, make_user):
    from asbhub.records.incidents.models import Incident

    with pytest.raises(Http404) as refused:
        get_record_or_404(officer, Incident.objects.all(), incident.pk)
    with pytest.raises(Http404) as missing:
        get_record_or_404(officer, Incident.objects.all(), incident.pk + 10_000)
    # The same answer whether the record exists or not: existence is not revealed.
    assert str(refused.value) == str(missing.value)
    denied = list(
        AuditEntry.objects.filter(action="denied", username="council.officer").order_by("seq")
    )
    assert [e.object_id for e in denied] == [str(incident.pk), str(incident.pk + 10_000)]
    assert "no information sharing agreement" in denied[0].detail["reason"]
    assert denied[1].detail["reason"] == "no such record"
    snt = make_user("snt", police, role="snt_officer")
    assert get_record_or_404(snt, Incident.objects.all(), incident.pk) == incident


def test_record_page_withholds_with_reasons(
    client, officer, police, council, incident, make_agreement
):
    today = timezone.localdate()
    make_agreement(
        "ISA-S",
        [police, council],
        [SUMMARY],
        starts=today - dt.timedelta(days=10),
        ends=today + dt.timedelta(days=10),
    )
    client.force_login(officer)
    url = f"/partners/incidents/{incident.pk}/"
    ask = client.get(url)
    assert ask.status_code == 200 and "Why do you need this record?" in ask.text
    nosy = client.get(url, {"purpose": "nosy"})
    assert nosy.status_code == 200 and "Choose why you need this record" in nosy.text
    assert "Avery Testperson" not in nosy.text
    assert not AuditEntry.objects.filter(action="view").exists()
    page = client.get(url, {"purpose": "tasking"})
    assert page.status_code == 200
    for name in ("Avery Testperson", "Blake Madeupname", "Casey Fictional", "ZZ1 1ZZ"):
        assert name not in page.text
    assert page.text.count("Withheld: ") == 4  # risk assessment and three people
    assert "Victims&#x27; personal details are not covered by ISA-S" in page.text
    view = AuditEntry.objects.filter(action="view").get()
    assert (view.username, view.agency, view.object_type, view.object_id) == (
        "council.officer",
        council.name,
        "incidents.incident",
        str(incident.pk),
    )
    assert view.purpose == "Preparing for or attending a partnership tasking meeting"
    assert view.ip == "192.0.2.10"
    assert view.detail["people_withheld"] == sorted(p.pk for p in incident.people.all())
    assert view.detail["agreements"] == ["ISA-S"]
    assert "Avery" not in str(view.detail)


def test_record_page_of_another_agency_is_404(client, officer, incident):
    client.force_login(officer)
    other = client.get(f"/partners/incidents/{incident.pk}/", {"purpose": "case"})
    missing = client.get(f"/partners/incidents/{incident.pk + 10_000}/", {"purpose": "case"})
    assert other.status_code == missing.status_code == 404
    assert "Avery" not in other.text and "SYN-0001" not in other.text


def test_record_page_shows_own_agency_everything(client, make_user, police, incident):
    client.force_login(make_user("snt", police, role="snt_officer"))
    page = client.get(f"/partners/incidents/{incident.pk}/", {"purpose": "case"})
    assert page.status_code == 200
    for name in ("Avery Testperson", "Blake Madeupname", "Casey Fictional", "ZZ1 1ZZ"):
        assert name in page.text
    assert "Withheld" not in page.text


def test_demo_partners(db):
    from django.test import override_settings

    from asbhub.demo.partners import seed_demo_partners

    # A fast hasher: this test is about what is seeded; test_auth checks the Argon2 hashing.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast.enable()
    try:
        _check_demo_partners(seed_demo_partners)
    finally:
        fast.disable()


def _check_demo_partners(seed_demo_partners):
    from django.contrib.auth import get_user_model

    from asbhub.records.partners.models import Agency, SharingAgreement

    passwords = seed_demo_partners(today=TODAY)
    assert len(passwords) == 11 and len(set(passwords.values())) == 11
    user = get_user_model().objects.get(username="demo.fire")
    assert user.check_password(passwords["demo.fire"])
    assert "demonstration" in user.last_name
    statuses = {
        a.reference: a.status(TODAY)
        for a in SharingAgreement.objects.all()
        if a.reference.startswith("DEMO-")
    }
    assert sorted(statuses.values()) == ["expired", "live", "live", "live"]
    police = Agency.objects.get(name="Derbyshire Constabulary")
    fire = user
    assert can_see(fire, DataCategory.RISK_ASSESSMENT, police, on=TODAY).allowed
    assert not can_see(fire, VICTIM, police, on=TODAY).allowed
    housing = get_user_model().objects.get(username="demo.housing")
    assert "ended on" in can_see(housing, SUMMARY, police, on=TODAY).reason
    # Running again refreshes rather than duplicates, with new passwords.
    again = seed_demo_partners(today=TODAY)
    assert set(again) == set(passwords) and again["demo.fire"] != passwords["demo.fire"]
    assert SharingAgreement.objects.filter(reference__startswith="DEMO-").count() == 4
