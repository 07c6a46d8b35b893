"""No lost updates: of two edits from the same version, the second is refused."""

from __future__ import annotations

from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from asbhub.records.cases import services  # noqa: E402
from asbhub.records.cases.models import Pmp, ProblemType  # noqa: E402


@pytest.fixture
def pmp(make_agency: Any) -> Pmp:
    return services.create_pmp(
        owner_agency=make_agency("Synthetic Council"),
        title="Original",
        problem_type=ProblemType.objects.first(),
        lpu="Erewash",
    )


def test_second_save_from_same_version_is_refused(pmp: Pmp) -> None:
    first = Pmp.objects.get(pk=pmp.pk)  # both editors open version 1
    second = Pmp.objects.get(pk=pmp.pk)
    assert services.save_pmp(first, 1, {"title": "First editor's title", "statement": "First"}) == 2
    with pytest.raises(services.ConcurrentEditError) as refused:
        services.save_pmp(second, 1, {"title": "Second editor's title", "statement": "Second"})
    assert "changed by someone else" in str(refused.value)
    assert "now at version 2" in str(refused.value)
    pmp.refresh_from_db()
    assert (pmp.title, pmp.statement, pmp.version) == ("First editor's title", "First", 2)
    # Starting again from the latest version works.
    assert services.save_pmp(second, 2, {"title": "Second, after reloading"}) == 3


def test_stage_change_checked_before_anything_is_written(pmp: Pmp) -> None:
    with pytest.raises(services.StageError) as err:
        services.save_pmp(pmp, 1, {"stage": "analysis", "title": "Changed"})
    assert "Write the problem statement." in err.value.problems
    pmp.refresh_from_db()
    assert (pmp.title, pmp.version, pmp.stage) == ("Original", 1, "scanning")
    services.save_pmp(pmp, 1, {"stage": "analysis", "statement": "s", "data_summary": "d"})
    pmp.refresh_from_db()
    assert (pmp.stage, pmp.version) == ("analysis", 2)
