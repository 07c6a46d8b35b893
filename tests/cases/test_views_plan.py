"""A plan's working pages: picking incidents (map JSON and the no-JavaScript list), linking and
unlinking, response actions and supervisor reviews; each write versioned and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.cases.support import LPU, OTHER_FORCE, lsoas_of

setup_django()

from asbhub.records.cases.models import Pmp, PmpIncident, PmpReview  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402

ASB = "Anti-social behaviour"


@pytest.fixture
def scene(make_incidents: Any, make_agency: Any) -> dict[str, Any]:
    """Incidents in Erewash: ours in two months and two types, another force's (withheld),
    and one of ours in another LPU (never offered)."""
    codes = [c for c, _ in lsoas_of(LPU)]
    make_agency(OTHER_FORCE, kind="police")  # owns the other force's incidents
    ours = make_incidents(
        [
            (codes[0], "2024-01", ASB),
            (codes[0], "2024-02", ASB),
            (codes[1], "2024-02", ASB),
            (codes[1], "2024-02", "Burglary"),
            (codes[2], "2023-11", ASB),
        ]
    )
    theirs = make_incidents([(codes[0], "2024-02", ASB)], force=OTHER_FORCE)
    elsewhere = make_incidents([(lsoas_of("High Peak")[0][0], "2024-02", ASB)])
    return {"codes": codes, "ours": ours, "theirs": theirs, "elsewhere": elsewhere}


def _entries(pmp: Pmp, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type="cases.pmp", object_id=str(pmp.pk), action=action)
    )


def test_map_json_offers_only_visible_incidents_of_the_lpu_and_months(
    client: Any,
    area_plan: Pmp,
    scene: dict[str, Any],
    police: Any,
    make_user: Any,
) -> None:
    client.force_login(make_user("analyst", police, role="analyst"))
    url = f"/pmps/{area_plan.pk}/incidents.geojson"
    data = client.get(url, {"first": "2024-01", "last": "2024-02"}).json()
    ids = sorted(i["id"] for f in data["features"] for i in f["properties"]["incidents"])
    # Brute force: ours, in Erewash, in Jan-Feb 2024.
    expected = sorted(i.pk for i in scene["ours"] if "2024-01" <= i.month <= "2024-02")
    assert ids == expected and data["matched"] == 4
    assert data["withheld"] == 1  # the other force's incident, not drawn
    only_asb = client.get(url, {"first": "2024-01", "last": "2024-02", "crime_type": ASB}).json()
    assert only_asb["matched"] == 3
    one_lsoa = client.get(
        url, {"first": "2023-01", "last": "2024-12", "area": scene["codes"][1]}
    ).json()
    assert one_lsoa["matched"] == 2
    bad = client.get(url, {"first": "2024-13", "last": "2024-02"})
    assert bad.status_code == 400 and "YYYY-MM" in bad.json()["expected"]
    assert len(_entries(area_plan, "search")) == 3


def test_list_fallback_link_and_unlink_versioned_and_audited(
    client: Any,
    area_plan: Pmp,
    scene: dict[str, Any],
    police: Any,
    make_user: Any,
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    page = client.get(
        f"/pmps/{area_plan.pk}/incidents/",
        {"first": "2024-01", "last": "2024-02", "crime_type": "", "area": ""},
    )
    html = page.content.decode()
    assert page.status_code == 200
    for inc in scene["ours"][:4]:
        assert f'value="{inc.pk}"' in html
    assert f'value="{scene["theirs"][0].pk}"' not in html
    assert "1 more is not shown" in html
    picked = [scene["ours"][0].pk, scene["ours"][2].pk]
    done = client.post(
        f"/pmps/{area_plan.pk}/incidents/", {"op": "link", "incident": picked, "version": 1}
    )
    assert done.status_code == 302
    assert sorted(
        PmpIncident.objects.filter(pmp=area_plan).values_list("incident_id", flat=True)
    ) == sorted(picked)
    area_plan.refresh_from_db()
    assert area_plan.version == 2
    assert area_plan.locations.count() == 2
    # The same form again, from the old version: refused, nothing linked.
    stale = client.post(
        f"/pmps/{area_plan.pk}/incidents/",
        {"op": "link", "incident": [scene["ours"][1].pk], "version": 1},
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    assert PmpIncident.objects.filter(pmp=area_plan).count() == 2
    # Another force's incident (withheld from this user) cannot be linked by a forged post.
    forged = client.post(
        f"/pmps/{area_plan.pk}/incidents/",
        {"op": "link", "incident": [scene["theirs"][0].pk], "version": 2},
    )
    assert (
        forged.status_code == 200 and "no such incident that you can see" in forged.content.decode()
    )
    assert 'class="govuk-error-summary"' in forged.content.decode()
    nothing = client.post(f"/pmps/{area_plan.pk}/incidents/", {"op": "link", "version": 2})
    assert "Choose at least one incident" in nothing.content.decode()
    gone = client.post(
        f"/pmps/{area_plan.pk}/incidents/", {"op": "unlink", "incident": [picked[0]], "version": 2}
    )
    assert gone.status_code == 302
    assert list(
        PmpIncident.objects.filter(pmp=area_plan).values_list("incident_id", flat=True)
    ) == [picked[1]]
    details = [e.detail for e in _entries(area_plan, "change")]
    assert [d["linked_incidents"] for d in details if "linked_incidents" in d] == [sorted(picked)]
    assert [d["unlinked_incidents"] for d in details if "unlinked_incidents" in d] == [[picked[0]]]


def test_partner_sees_withheld_links_and_outsiders_get_403_or_404(
    client: Any,
    area_plan: Pmp,
    scene: dict[str, Any],
    make_user: Any,
    make_agency: Any,
) -> None:
    PmpIncident.objects.create(pmp=area_plan, incident=scene["ours"][0])
    council = area_plan.partner_agencies.get()
    client.force_login(make_user("council.officer", council))
    page = client.get(f"/pmps/{area_plan.pk}/incidents/").content.decode()
    assert f"Record {scene['ours'][0].pk} (withheld" in page
    assert scene["ours"][0].reference not in page
    # No agreement: the police's incidents are not offered to the partner either.
    data = client.get(
        f"/pmps/{area_plan.pk}/incidents.geojson", {"first": "2023-01", "last": "2024-12"}
    ).json()
    assert data["features"] == [] and data["withheld"] == 6
    client.force_login(make_user("viewer", council, role="commissioner_viewer"))
    assert client.get(f"/pmps/{area_plan.pk}/incidents/").status_code in (403, 404)
    client.force_login(make_user("stranger", make_agency("Unrelated Housing", kind="housing")))
    assert client.get(f"/pmps/{area_plan.pk}/incidents/").status_code == 404


def test_actions_added_and_completed_only_for_plan_agencies(
    client: Any,
    area_plan: Pmp,
    police: Any,
    make_user: Any,
    make_agency: Any,
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    url = f"/pmps/{area_plan.pk}/actions/"
    outsider = make_agency("Not On The Plan Council")
    refused = client.post(
        url,
        {"description": "Patrols", "owner_agency": outsider.pk, "due": "2030-01-01", "version": 1},
    )
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    missing = client.post(url, {"description": "", "owner_agency": "", "due": "", "version": 1})
    body = missing.content.decode()
    assert missing.status_code == 400
    for message in (
        "Describe the action",
        "Choose the agency that owns the action",
        "Enter the date the action is due",
    ):
        assert message in body
    council = area_plan.partner_agencies.get()
    ok = client.post(
        url,
        {
            "description": "Joint visits",
            "owner_agency": council.pk,
            "due": "2030-01-01",
            "version": 1,
        },
    )
    assert ok.status_code == 302
    action = area_plan.actions.get()
    assert (action.owner_agency, action.due) == (council, dt.date(2030, 1, 1))
    stale = client.post(url, {"complete": action.pk, "version": 1})
    assert stale.status_code == 409
    assert client.post(url, {"complete": action.pk, "version": 2}).status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None


def test_supervisor_review_sets_next_due_and_list_filters(
    client: Any, area_plan: Pmp, police: Any, make_user: Any
) -> None:
    today = dt.date.today()
    Pmp.objects.filter(pk=area_plan.pk).update(next_review_due=today - dt.timedelta(days=3))
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    assert client.get(f"/pmps/{area_plan.pk}/review/").status_code == 403
    due_today = Pmp.objects.create(
        reference="PMP-T-DUE",
        title="Due today plan",
        problem_type=area_plan.problem_type,
        lpu=LPU,
        owner_agency=police,
        opened_at=area_plan.opened_at,
        next_review_due=today,
    )
    listing = client.get("/pmps/", {"review": "due"}).content.decode()
    assert area_plan.reference in listing and "PMP-T-DUE" in listing
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in listing
    overdue_only = client.get("/pmps/", {"review": "overdue"}).content.decode()
    assert area_plan.reference in overdue_only and "PMP-T-DUE" not in overdue_only

    client.force_login(make_user("sgt.brown", police, role="supervisor"))
    empty = client.post(f"/pmps/{area_plan.pk}/review/", {"notes": "", "version": 1})
    assert "Write what the review found" in empty.content.decode()
    assert (
        client.post(
            f"/pmps/{area_plan.pk}/review/", {"notes": "Progress checked", "version": 1}
        ).status_code
        == 302
    )
    area_plan.refresh_from_db()
    assert area_plan.next_review_due == today + dt.timedelta(days=area_plan.review_cadence_days)
    review = PmpReview.objects.get(pmp=area_plan)
    assert review.notes == "Progress checked" and review.reviewer.username == "sgt.brown"
    assert (
        client.post(f"/pmps/{area_plan.pk}/review/", {"notes": "Again", "version": 1}).status_code
        == 409
    )
    after = client.get("/pmps/", {"review": "due"}).content.decode()
    assert area_plan.reference not in after and due_today.reference in after
    reviews = [e for e in _entries(area_plan, "change") if e.detail.get("review")]
    assert len(reviews) == 1 and reviews[0].purpose == "Supervisory review or audit"
