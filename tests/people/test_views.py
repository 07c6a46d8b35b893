"""People pages: who sees what (through the access policy), the "why" on the page equals the
stored breakdown, the review queue with CSRF-protected decisions, merge and split forms, and
every view audited."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from asbhub.records.incidents.models import Person  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.records.people.models import (  # noqa: E402
    CandidatePair,
    LinkDecision,
    LinkedPerson,
    LinkMethod,
    Membership,
    PairStatus,
)

HOST = {"HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "192.0.2.10"}


@pytest.fixture
def analyst(make_user: Any, police: Any) -> Any:
    return make_user("analyst.views", police, role="analyst")


def _cluster_with(role: str, size: int = 2) -> LinkedPerson:
    return next(
        c
        for c in LinkedPerson.objects.filter(n_records__gte=size).order_by("pk")
        if role in c.roles.split(", ")
    )


def _names(cluster: LinkedPerson, role: str | None = None) -> set[str]:
    people = Person.objects.filter(linkage__linked_person=cluster).exclude(name="")
    if role:
        people = people.filter(role=role)
    return {p.name for p in people}


def _last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


def test_person_page_asks_why_then_shows_every_record_and_audits(
    client: Any, linked: Any, analyst: Any
) -> None:
    client.force_login(analyst)
    cluster = LinkedPerson.objects.filter(n_records__gte=3).order_by("pk").first()
    names = _names(cluster)
    first = client.get(f"/people/{cluster.pk}/").content.decode()
    assert "Why do you need this person" in first
    assert not any(html.escape(n) in first for n in names)
    page = client.get(f"/people/{cluster.pk}/", {"purpose": "safeguarding"})
    text = page.content.decode()
    assert page.status_code == 200
    assert all(html.escape(n) in text for n in names)
    assert f'id="records-shown">{cluster.n_records}<' in text
    entry = _last_entry()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "view",
        "people.linkedperson",
        str(cluster.pk),
    )
    assert entry.purpose == "Assessing risk to a vulnerable or repeat victim"
    assert sorted(entry.detail["records_shown"]) == sorted(
        Membership.objects.filter(linked_person=cluster).values_list("person_id", flat=True)
    )


def test_the_why_on_the_page_is_the_stored_breakdown(
    client: Any, linked: Any, analyst: Any
) -> None:
    client.force_login(analyst)
    checked = 0
    for cluster in LinkedPerson.objects.filter(n_records__gte=2).order_by("pk")[:5]:
        text = client.get(f"/people/{cluster.pk}/", {"purpose": "case"}).content.decode()
        for m in Membership.objects.filter(linked_person=cluster, match_weight__isnull=False):
            block = re.search(rf'data-why="{m.person_id}">(.*?)</table>', text, re.S)
            assert block, f"no explanation shown for record {m.person_id}"
            shown = [float(w) for w in re.findall(r'data-weight="([-0-9.]+)"', block.group(1))]
            assert shown == pytest.approx([r["weight"] for r in m.breakdown], abs=1e-6)
            assert sum(shown) == pytest.approx(m.match_weight, abs=1e-5)
            levels = re.findall(
                r'<td class="govuk-table__cell">([^<]*)</td>\s*<td class='
                r'"govuk-table__cell govuk-table__cell--numeric"',
                block.group(1),
            )
            null = "Not recorded on one or both records"
            assert [html.unescape(x) for x in levels] == [
                null if r["level"] == "Null" else r["level"] for r in m.breakdown
            ]
            weight = re.search(rf'class="app-weight" data-record="{m.person_id}">([-0-9.]+)<', text)
            assert float(weight.group(1)) == pytest.approx(m.match_weight, abs=0.005)
            checked += 1
    assert checked >= 3


def test_partner_without_agreement_gets_404_like_a_missing_id(
    client: Any, linked: Any, make_user: Any, make_agency: Any
) -> None:
    council = make_agency("Synthetic Borough Council")
    client.force_login(make_user("council.nobody", council, role="partner_officer"))
    cluster = LinkedPerson.objects.order_by("pk").first()
    missing = LinkedPerson.objects.order_by("-pk").first().pk + 1000
    for pk in (cluster.pk, missing):
        page = client.get(f"/people/{pk}/", {"purpose": "case"})
        assert page.status_code == 404
        assert not any(html.escape(n) in page.content.decode() for n in _names(cluster))
        entry = _last_entry()
        assert (entry.action, entry.object_id) == ("denied", str(pk))
    assert client.get("/people/review/").status_code == 403


def test_other_police_force_guessing_ids_gets_404(
    client: Any, linked: Any, make_user: Any, make_agency: Any
) -> None:
    other = make_agency("Another Synthetic Force", kind="police")
    client.force_login(make_user("other.analyst", other, role="analyst"))
    for cluster in LinkedPerson.objects.order_by("pk")[:3]:
        assert client.get(f"/people/{cluster.pk}/", {"purpose": "case"}).status_code == 404
        assert client.get(f"/people/{cluster.pk}/merge/").status_code == 404
    page = client.get("/people/review/")
    assert page.status_code == 403 or "No pairs are waiting" in page.content.decode()


def test_partner_with_victim_agreement_sees_victims_not_suspects(
    client: Any, linked: Any, make_user: Any, make_agency: Any, make_agreement: Any, police: Any
) -> None:
    council = make_agency("Synthetic City Council")
    make_agreement(
        "ISA-T-2",
        [police, council],
        ["incident_summary", "victim_personal"],
        dt.date(2020, 1, 1),
        dt.date(2099, 12, 31),
    )
    client.force_login(make_user("council.victims", council, role="partner_officer"))
    victims, suspects = _cluster_with("victim", 1), _cluster_with("suspect", 1)
    text = client.get(f"/people/{victims.pk}/", {"purpose": "case"}).content.decode()
    assert _names(victims, "victim") and all(
        html.escape(n) in text for n in _names(victims, "victim")
    )
    text = client.get(f"/people/{suspects.pk}/", {"purpose": "case"}).content.decode()
    assert not any(html.escape(n) in text for n in _names(suspects, "suspect"))
    assert "not covered by ISA-T-2" in text
    assert "Merge another person" not in text and "Split this record" not in text
    assert client.get(f"/people/{victims.pk}/merge/").status_code == 403


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_queue_shows_pairs_and_decisions_need_csrf(db: str, linked: Any, analyst: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True, **HOST)
    client.force_login(analyst)
    top = (
        CandidatePair.objects.filter(status=PairStatus.OPEN).order_by("-match_weight", "pk").first()
    )
    page = client.get("/people/review/").content.decode()
    assert f'id="pair-{top.pk}"' in page
    assert html.escape(top.person_a.name) in page and html.escape(top.person_b.name) in page
    block = re.search(rf'data-why-pair="{top.pk}">(.*?)</table>', page, re.S).group(1)
    shown = [float(w) for w in re.findall(r'data-weight="([-0-9.]+)"', block)]
    assert shown == pytest.approx([r["weight"] for r in top.breakdown], abs=1e-6)
    assert _last_entry().detail["pairs"][0] == top.pk
    url = f"/people/review/{top.pk}/decide/"
    assert client.post(url, {"decision": "reject", "reason": "Twins"}).status_code == 403
    top.refresh_from_db()
    assert top.status == PairStatus.OPEN
    bad = client.post(
        url, {"decision": "reject", "reason": "", "csrfmiddlewaretoken": _token(page)}
    )
    assert bad.status_code == 400 and "govuk-error-summary" in bad.content.decode()
    assert "Give a reason" in bad.content.decode()
    done = client.post(
        url,
        {
            "decision": "reject",
            "reason": "Twins at one address",
            "csrfmiddlewaretoken": _token(page),
        },
    )
    assert done.status_code == 302
    top.refresh_from_db()
    assert top.status == PairStatus.REJECTED
    assert LinkDecision.objects.get().reason == "Twins at one address"
    assert f'id="pair-{top.pk}"' not in client.get("/people/review/").content.decode()


def test_merge_and_split_forms(client: Any, linked: Any, analyst: Any) -> None:
    client.force_login(analyst)
    keep, other = LinkedPerson.objects.filter(n_records__gte=2).order_by("pk")[:2]
    moved = set(Membership.objects.filter(linked_person=other).values_list("person_id", flat=True))
    assert client.get(f"/people/{keep.pk}/merge/").status_code == 200
    bad = client.post(f"/people/{keep.pk}/merge/", {"other": "abc", "reason": "x"})
    assert bad.status_code == 400 and "Enter the number of the other" in bad.content.decode()
    ok = client.post(
        f"/people/{keep.pk}/merge/", {"other": str(other.pk), "reason": "Same person, new surname"}
    )
    assert ok.status_code == 302
    assert set(
        Membership.objects.filter(person_id__in=moved).values_list("linked_person_id", flat=True)
    ) == {keep.pk}
    out = min(moved)
    page = client.post(f"/people/{keep.pk}/split/{out}/", {"reason": ""})
    assert page.status_code == 400 and "govuk-error-summary" in page.content.decode()
    done = client.post(f"/people/{keep.pk}/split/{out}/", {"reason": "Different person"})
    fresh = Membership.objects.get(person_id=out)
    assert done.status_code == 302 and done["Location"] == f"/people/{fresh.linked_person_id}/"
    assert fresh.method == LinkMethod.MANUAL
    kinds = list(LinkDecision.objects.values_list("kind", flat=True))
    assert kinds == ["merge", "split"]
    # A record of another person cannot be split out through this one's page.
    stranger = Membership.objects.exclude(linked_person=keep).first().person_id
    assert client.get(f"/people/{keep.pk}/split/{stranger}/").status_code == 404
