"""Property-based run of every API operation with schemathesis, against the real WSGI app.

The schema is loaded from the app itself (``/api/v1/openapi.json``); each operation gets a
bounded number of generated requests (valid ones, and invalid ones that must be refused with a
4xx), sent with a live token of a police analyst over a few synthetic rows. Every response
must be a non-5xx, with a status, content type and body the schema declares. Generation is
derandomised, with no example database, so a run is the same every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

import schemathesis  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from asbhub.records.tokens.services import create_token  # noqa: E402
from asbhub.web.wsgi import application  # noqa: E402

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def same_connection(db: str) -> Iterator[None]:
    """Keep Django from closing the connection at each request's start and end, as its own
    test client does, so the app sees the test's rolled-back transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(strategy: Any, headers: dict[str, str], seen: list[int]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    check()


def test_every_operation_conforms_to_its_schema(
    same_connection: None, world: SimpleNamespace
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    headers = {"Authorization": f"Bearer {create_token(world.analyst).secret}"}
    real_ids = {
        "incident_id": world.incident.pk,
        "pmp_id": world.plan.pk,
        "power_id": world.power.pk,
    }
    statuses: dict[str, list[int]] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for op in operations:
        seen = statuses.setdefault(op.label, [])
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(op.as_strategy(generation_mode=mode), headers, seen)
        ids = {k: v for k, v in real_ids.items() if "{" + k + "}" in op.path}
        if ids:
            # Random ids are almost all 404s: also fetch the real records, purposes generated.
            _run(op.as_strategy(path_parameters=ids), headers, seen)
    # The run reached the data: every operation answered 200 at least once, and refused
    # invalid input with a 4xx (never a 5xx, which the checks above already rule out).
    for label, seen in statuses.items():
        assert 200 in seen, label
        assert any(400 <= s < 500 for s in seen), label
