"""The phase banner: 'Demonstration' only while the database holds demonstration or synthetic
data (a case marked is_demo, or a source whose force starts with SYNTHETIC), asked at most once
a minute per process."""

from __future__ import annotations

from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.db.models import Value  # noqa: E402
from django.db.models.functions import Concat  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from asbhub.demo.tasking import DEMO_FORCE  # noqa: E402
from asbhub.records.cases import services  # noqa: E402
from asbhub.records.cases.models import CaseReview, Pmp, Power, ProblemType  # noqa: E402
from asbhub.records.incidents.models import Source  # noqa: E402
from asbhub.web import banner  # noqa: E402

TAG_HTML = '<strong class="govuk-tag govuk-phase-banner__content__tag">Demonstration</strong>'
LINE = "This service holds demonstration and synthetic data: fictional people."


@pytest.fixture
def real_only(db: str) -> str:
    """The default store as a force's own would be: whatever other tests left marked as
    demonstration or synthetic is unmarked, inside the test's rolled-back transaction."""
    for model in (Pmp, Power, CaseReview):
        model.objects.filter(is_demo=True).update(is_demo=False)
    Source.objects.filter(force__istartswith="synthetic").update(
        force=Concat(Value("Real "), "force")
    )
    banner.forget()
    yield db
    banner.forget()


def _pmp(police: Any, *, is_demo: bool) -> Pmp:
    pmp = services.create_pmp(
        owner_agency=police,
        partner_agencies=[],
        title="Invented plan",
        lpu="Erewash",
        problem_type=ProblemType.objects.first(),
    )
    Pmp.objects.filter(pk=pmp.pk).update(is_demo=is_demo)
    return pmp


def _source(force: str) -> Source:
    return Source.objects.create(
        kind="force_export",
        force=force,
        month="",
        content_hash="b" * 64,
        rows=0,
        file="invented.csv",
        loaded_at=timezone.now(),
    )


def _page_banner() -> str:
    """The banner as a page draws it: the template rendered with the context processor."""
    from django.conf import settings

    templates = [dict(t, OPTIONS=dict(t["OPTIONS"])) for t in settings.TEMPLATES]
    processors = templates[0]["OPTIONS"]["context_processors"]
    templates[0]["OPTIONS"]["context_processors"] = [
        p for p in processors if p != "asbhub.web.banner.phase_banner"
    ] + ["asbhub.web.banner.phase_banner"]
    with override_settings(TEMPLATES=templates):
        return render_to_string("partners/_phase_banner.html", request=RequestFactory().get("/"))


def test_no_banner_on_a_force_own_data(real_only: str, police: Any) -> None:
    _pmp(police, is_demo=False)
    _source("Derbyshire Constabulary")
    assert banner.holds_demonstration_data() is False
    assert banner.phase_banner(RequestFactory().get("/")) == {"phase_banner": None}
    html = _page_banner()
    assert "govuk-phase-banner" not in html and "Demonstration" not in html
    assert html.strip() == ""


@pytest.mark.parametrize("marker", ["demo plan", "demo force", "synthetic test force"])
def test_banner_with_demonstration_or_synthetic_data(
    real_only: str,
    police: Any,
    marker: str,
) -> None:
    if marker == "demo plan":
        _pmp(police, is_demo=True)
    elif marker == "demo force":
        _source(DEMO_FORCE)  # 'SYNTHETIC demonstration data ...'
    else:
        _source("Synthetic Invented Constabulary")
    assert banner.holds_demonstration_data() is True
    assert banner.phase_banner(RequestFactory().get("/")) == {
        "phase_banner": {"tag": "Demonstration", "text": LINE}
    }
    html = " ".join(_page_banner().split())
    assert 'class="govuk-phase-banner"' in html and TAG_HTML in html and LINE in html
    assert "Alpha" not in html


def test_a_force_merely_mentioning_synthetic_is_not_marked(real_only: str) -> None:
    _source("Constabulary (not SYNTHETIC)")
    assert banner.holds_demonstration_data() is False


def test_answer_is_kept_for_a_minute(real_only: str, police: Any) -> None:
    now = [1000.0]

    def clock() -> float:
        return now[0]

    assert banner.demonstration_data(clock=clock) is False
    pmp = _pmp(police, is_demo=True)
    now[0] += banner.CACHE_SECONDS - 0.5
    assert banner.demonstration_data(clock=clock) is False  # still the cached answer
    now[0] += 1.0
    assert banner.demonstration_data(clock=clock) is True  # asked again after a minute
    Pmp.objects.filter(pk=pmp.pk).update(is_demo=False)
    assert banner.demonstration_data(clock=clock) is True
    banner.forget()
    assert banner.demonstration_data(clock=clock) is False
