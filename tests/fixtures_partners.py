"""Fixtures for every test (a plugin listed in the root conftest's ``pytest_plugins``): the
``default`` store, rolled back after each test, and small factories for agencies, users,
agreements and a synthetic incident.

Everything a test writes to ``default`` is inside a transaction that is rolled back, audit
entries included (they cannot be deleted any other way). The test client runs in the test's
thread, on the same connection, so its views see the test's rows.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from asbhub.store.db import Store, open_store, setup_django

# No Django set-up here at import: pytest imports this plugin before the root conftest's
# pytest_configure has pointed ASBHUB_DB at a throwaway file. Test modules set Django up at
# their top instead: they are imported during collection, always after pytest_configure.

SYNTHETIC_FORCE = "Synthetic Test Constabulary"


@pytest.fixture(scope="session")
def default_store() -> Store:
    """Django's ``default`` database (the session's throwaway SQLite file), migrated."""
    setup_django()
    store = open_store(os.environ["ASBHUB_DB"])
    assert store.alias == "default"
    return store


@pytest.fixture
def db(default_store: Store) -> Iterator[str]:
    """The ``default`` alias inside a transaction that is rolled back after the test."""
    from django.db import transaction

    with transaction.atomic(using="default"):
        yield "default"
        transaction.set_rollback(True, using="default")


@pytest.fixture
def db_client(db: str):
    """Django's test client on the ``db`` transaction (the test's rows, rolled back after)."""
    from django.test import Client

    # 'testserver' is not in ALLOWED_HOSTS outside Django's own runner; 127.0.0.1 is.
    return Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="192.0.2.10")


@pytest.fixture
def client(db_client: Any):
    """``db_client`` by its usual name; tests/web and tests/public override it with the
    sample store's client (``sample_client``)."""
    return db_client


@pytest.fixture
def make_agency(db: str) -> Callable[..., Any]:
    from asbhub.records.partners.models import Agency

    def make(name: str, kind: str = "district_council", area: str = "") -> Agency:
        return Agency.objects.create(name=name, kind=kind, area=area)

    return make


@pytest.fixture
def make_user(db: str) -> Callable[..., Any]:
    from django.contrib.auth import get_user_model

    from asbhub.records.partners.models import UserProfile

    def make(
        username: str,
        agency: Any = None,
        role: str = "partner_officer",
        area: str = "",
        password: str | None = None,
        last_login: dt.datetime | None = None,
        is_active: bool = True,
    ) -> Any:
        user = get_user_model()(username=username, is_active=is_active, last_login=last_login)
        # Hashing is slow by design (Argon2): only accounts that sign in get a password.
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        if agency is not None:
            UserProfile.objects.create(user=user, agency=agency, role=role, area=area)
        return user

    return make


@pytest.fixture
def make_agreement(db: str) -> Callable[..., Any]:
    from asbhub.records.partners.models import SharingAgreement

    def make(
        reference: str,
        parties: list[Any],
        categories: list[str],
        starts: dt.date,
        ends: dt.date,
        **extra: Any,
    ) -> SharingAgreement:
        agreement = SharingAgreement.objects.create(
            reference=reference,
            title=f"Synthetic agreement {reference}",
            purpose="Reducing anti-social behaviour (test)",
            categories=categories,
            starts=starts,
            ends=ends,
            **extra,
        )
        agreement.parties.set(parties)
        return agreement

    return make


@pytest.fixture
def police(make_agency: Callable[..., Any]) -> Any:
    """The police agency that owns the synthetic incident (named as its source's force)."""
    return make_agency(SYNTHETIC_FORCE, kind="police")


@pytest.fixture
def incident(db: str, police: Any) -> Any:
    """A synthetic ASB incident with a victim, a suspect and a witness (invented people)."""
    from django.utils import timezone

    from asbhub.records.incidents.models import Incident, Person, Source

    source = Source.objects.create(
        kind="force_export",
        force=SYNTHETIC_FORCE,
        month="",
        content_hash="0" * 64,
        rows=1,
        file="synthetic",
        loaded_at=timezone.now(),
    )
    inc = Incident.objects.create(
        source=source,
        line=2,
        record_type="ASB",
        month="2024-05",
        crime_type="Anti-social behaviour",
        reference="SYN-0001",
        asb_category="N",
        thrive_risk="high",
        thrive_vulnerability="high",
    )
    Person.objects.create(
        incident=inc,
        role="victim",
        name="Avery Testperson",
        date_of_birth=dt.date(1970, 1, 2),
        phone="01234 000001",
        address="1 Example Street, Exampleton",
        postcode="ZZ1 1ZZ",
    )
    Person.objects.create(
        incident=inc, role="suspect", name="Blake Madeupname", phone="01234 000002"
    )
    Person.objects.create(incident=inc, role="witness", name="Casey Fictional")
    return inc
