"""The one purpose_required decorator (asbhub.records.partners.access): every page that shows
personal data asks why first, through it (issue #11 item 4)."""

from __future__ import annotations

from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.http import Http404, HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from asbhub.records.partners.access import PURPOSES, purpose_required  # noqa: E402


def _page(calls: list[Any]) -> Any:
    def context(request: Any, pk: int) -> dict[str, Any]:
        if pk == 404:
            raise Http404("no such record")
        return {"heading": f"Why do you need record {pk}?", "what": "It shows a victim."}

    @purpose_required("risk/purpose.html", context)
    def view(request: Any, pk: int, purpose: str) -> HttpResponse:
        calls.append((pk, purpose))
        return HttpResponse(f"record {pk} for {purpose}")

    return view


def _get(query: str) -> Any:
    request = RequestFactory().get("/record/7" + query)
    request.user = AnonymousUser()
    return request


def test_asks_first_and_reads_nothing(db: str) -> None:
    calls: list[Any] = []
    response = _page(calls)(_get("?lpu=Erewash"), pk=7)
    page = response.content.decode()
    assert response.status_code == 200 and calls == []
    assert "Why do you need record 7?" in page
    assert 'name="lpu" value="Erewash"' in page  # other parameters carried through
    for code in PURPOSES:
        assert f'value="{code}"' in page
    assert "govuk-error-summary" not in page  # no error before a first answer


def test_an_unknown_purpose_asks_again_with_an_error(db: str) -> None:
    calls: list[Any] = []
    response = _page(calls)(_get("?purpose=curiosity"), pk=7)
    assert calls == [] and "govuk-error-summary" in response.content.decode()


def test_a_known_purpose_opens_the_page_with_its_text(db: str) -> None:
    calls: list[Any] = []
    code, text = next(iter(PURPOSES.items()))
    response = _page(calls)(_get(f"?purpose={code}"), pk=7)
    assert response.content.decode() == f"record 7 for {text}"
    assert calls == [(7, text)]


def test_a_record_out_of_sight_is_404_before_the_question(db: str) -> None:
    with pytest.raises(Http404):
        _page([])(_get(""), pk=404)


def test_every_page_that_asks_why_uses_the_decorator() -> None:
    from asbhub.web.cases import views as cases
    from asbhub.web.partners import views as partners
    from asbhub.web.people import views as people
    from asbhub.web.risk import views as risk

    pages = [
        cases.pmp_detail,
        partners.incident_record,
        people.person_detail,
        risk.victim,
        risk.assessment,
        risk.due,
    ]
    assert all(getattr(p, "asbhub_purpose_required", False) for p in pages)


def test_services_read_their_roles_from_the_one_action_table() -> None:
    from asbhub.records.cases import case_reviews
    from asbhub.records.cases import services as cases
    from asbhub.records.partners.access import ACTION_ROLES, action_roles
    from asbhub.records.people import visibility
    from asbhub.records.risk import services as risk
    from asbhub.web.scrutiny import services as scrutiny

    assert cases.EDITOR_ROLES is ACTION_ROLES["pmp.change"]
    assert risk.ASSESSOR_ROLES is ACTION_ROLES["risk.assess"]
    assert risk.QUESTIONNAIRE_ROLES is ACTION_ROLES["questionnaire.change"]
    assert visibility.REVIEWER_ROLES is ACTION_ROLES["linkage.decide"]
    assert case_reviews.RULE_ROLES is ACTION_ROLES["threshold_rule.change"]
    assert scrutiny.QUEUE_ROLES is ACTION_ROLES["question.moderate"]
    with pytest.raises(ValueError, match="unrestricted action 'account.own'"):
        action_roles("account.own")
