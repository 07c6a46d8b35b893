"""One synthetic world for the security tests, built once per module and rolled back after it.

Four agencies (the police force that owns the records, a district council that is a partner on
the police's plan but has no sharing agreement, an unrelated housing provider, and the
Commissioner's office), a user in each role, and one record of every kind a URL can name: an
incident with a victim, a suspect and a witness, a second incident of the same victim, a PMP,
powers, an ASB Case Review with its applicant, a risk assessment, a linked person and a
queued pair, public questions and an API token. Every person is invented.

The world sits in one transaction per module (rolled back at the end); each test then runs in
a savepoint of its own (the partners ``db`` fixture nests inside it), so a test that writes
leaves nothing behind for the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.security.support import build_world, signed_in_clients


@pytest.fixture(scope="module")
def world(default_store: Any) -> Iterator[SimpleNamespace]:
    """The world, in a transaction rolled back when the module's tests are done."""
    from django.db import transaction

    with transaction.atomic(using="default"):
        w = build_world()
        w.clients = signed_in_clients(w)
        yield w
        transaction.set_rollback(True, using="default")
