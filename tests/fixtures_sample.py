"""Fixtures for web tests (a plugin listed in the root conftest's ``pytest_plugins``): Django's
test client against the ``default`` store, loaded with the real sample.

The root conftest points ``ASBHUB_DB`` (so Django's ``default`` alias) at a throwaway SQLite
file before Django is set up; these fixtures fill it with the bundled sample once per module.
Nothing here sets Django up at import: pytest imports plugins before ``pytest_configure``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from asbhub.store.db import Store


def _empty(store: Store) -> None:
    from asbhub.records.incidents.models import Incident, Location, Person, Source

    # Children first: Incident.location is PROTECT, so locations go after their incidents.
    for model in (Person, Incident, Location, Source):
        model.objects.using(store.alias).all().delete()


@pytest.fixture(scope="module")
def sample_store() -> Store:
    """The ``default`` store holding exactly the bundled Derbyshire sample."""
    from asbhub.data import sample_paths
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.db import open_store, setup_django
    from asbhub.store.load import ingest

    setup_django()
    # The views read the ``default`` alias: the default URL opens exactly that alias.
    store = open_store(os.environ["ASBHUB_DB"])
    assert store.alias == "default"
    # Start from nothing, whatever another module left in the shared default file.
    _empty(store)
    result = ingest(store, list(expand_inputs(sample_paths())))
    assert result.ok
    return store


@pytest.fixture
def sample_client(sample_store: Store) -> Any:
    """Django's test client on the sample store, inside a transaction rolled back after the
    test: what a test posts (a public report, say) never reaches later modules, which share
    the ``default`` file. The client runs in this thread, on this connection, so its views
    see the test's rows."""
    from django.db import transaction
    from django.test import Client

    # The test client's default host 'testserver' is not in ALLOWED_HOSTS outside Django's
    # own test runner; a host the settings allow keeps the settings untouched.
    with transaction.atomic(using=sample_store.alias):
        yield Client(HTTP_HOST="127.0.0.1")
        transaction.set_rollback(True, using=sample_store.alias)


@pytest.fixture
def empty_default_store(sample_store: Store):
    """The default store with everything deleted inside a transaction that is rolled back,
    so the sample is still there for the next test. The test client runs in this thread and
    on this connection, so its views see the empty store."""
    from django.db import transaction

    with transaction.atomic(using=sample_store.alias):
        _empty(sample_store)
        yield sample_store
        transaction.set_rollback(True, using=sample_store.alias)
