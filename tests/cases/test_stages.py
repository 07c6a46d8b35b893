"""The SARA stage pages: each stage's form, moves refused with the domain's list of what is
missing, optimistic locking (409), withheld triangle text left alone, the evaluation."""

from __future__ import annotations

import math
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.cases.support import LPU, lsoas_of

setup_django()

from asbhub.records.cases import assessment  # noqa: E402
from asbhub.records.cases.models import Pmp, PmpIncident  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402

ASB = "Anti-social behaviour"


def _stage(client: Any, pmp: Pmp, **data: Any) -> Any:
    pmp.refresh_from_db()
    return client.post(f"/pmps/{pmp.pk}/stage/", {"version": pmp.version, **data})


def test_plan_taken_through_every_stage_with_refusals_listing_what_is_missing(
    client: Any, area_plan: Pmp, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    page = client.get(f"/pmps/{area_plan.pk}/stage/").content.decode()
    assert "Problem statement" in page and "Save and move to Analysis" in page
    refused = _stage(client, area_plan, statement="Youths gather", data_summary="", move="analysis")
    body = refused.content.decode()
    assert refused.status_code == 200 and "govuk-error-summary" in body
    assert "Describe the data that show the problem (counts, places, times)." in body
    area_plan.refresh_from_db()
    assert (area_plan.stage, area_plan.statement) == ("scanning", "")  # nothing written
    assert (
        _stage(
            client, area_plan, statement="Youths gather", data_summary="40 reports", move="analysis"
        ).status_code
        == 302
    )
    refused = _stage(
        client, area_plan, victim="Residents", offender="", location="", move="response"
    ).content.decode()
    assert "Complete the offender side of the problem analysis triangle." in refused
    assert "Complete the location side of the problem analysis triangle." in refused
    # Save without moving keeps the stage and the text.
    assert (
        _stage(
            client,
            area_plan,
            victim="Residents",
            offender="A group",
            location="Dark alley",
            move="",
        ).status_code
        == 302
    )
    area_plan.refresh_from_db()
    assert (area_plan.stage, area_plan.offender) == ("analysis", "A group")
    assert (
        _stage(
            client,
            area_plan,
            victim="Residents",
            offender="A group",
            location="Dark alley",
            move="response",
        ).status_code
        == 302
    )
    assert (
        "Add at least one action." in _stage(client, area_plan, move="assessment").content.decode()
    )
    area_plan.refresh_from_db()
    client.post(
        f"/pmps/{area_plan.pk}/actions/",
        {
            "description": "Patrols",
            "owner_agency": police.pk,
            "due": "2030-01-01",
            "version": area_plan.version,
        },
    )
    assert _stage(client, area_plan, move="assessment").status_code == 302
    assert (
        "Write the assessment"
        in _stage(client, area_plan, assessment=" ", move="closed").content.decode()
    )
    # Jumping stages is refused with the allowed moves named.
    jump = _stage(client, area_plan, assessment="It worked", move="scanning").content.decode()
    assert "can move only to Closed or Response, not to Scanning" in jump
    assert _stage(client, area_plan, assessment="It worked", move="closed").status_code == 302
    area_plan.refresh_from_db()
    assert area_plan.stage == "closed" and area_plan.closed_at is not None
    changes = AuditEntry.objects.filter(
        object_type="cases.pmp", object_id=str(area_plan.pk), action="change"
    )
    # Four moves: Scanning -> Analysis -> Response -> Assessment -> Closed.
    assert sum(1 for e in changes if "stage" in e.detail.get("fields", [])) == 4


def test_stale_stage_form_gets_409_and_writes_nothing(
    client: Any, area_plan: Pmp, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    first = client.post(
        f"/pmps/{area_plan.pk}/stage/", {"version": 1, "statement": "First", "data_summary": "d"}
    )
    assert first.status_code == 302
    second = client.post(
        f"/pmps/{area_plan.pk}/stage/", {"version": 1, "statement": "Second", "data_summary": "d"}
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.content.decode()
    area_plan.refresh_from_db()
    assert (area_plan.statement, area_plan.version) == ("First", 2)


def test_partner_without_agreement_cannot_see_or_blank_the_triangle(
    client: Any, area_plan: Pmp, make_user: Any
) -> None:
    Pmp.objects.filter(pk=area_plan.pk).update(
        stage="analysis",
        statement="s",
        data_summary="d",
        victim="Mrs Secretname",
        offender="Mr Hiddenname",
    )
    client.force_login(make_user("council.officer", area_plan.partner_agencies.get()))
    page = client.get(f"/pmps/{area_plan.pk}/stage/").content.decode()
    assert "Secretname" not in page and "Hiddenname" not in page
    assert "has no information sharing agreement" in page
    assert (
        client.post(
            f"/pmps/{area_plan.pk}/stage/",
            {"version": 1, "location": "The park", "move": "response"},
        ).status_code
        == 302
    )
    area_plan.refresh_from_db()
    assert (area_plan.stage, area_plan.victim, area_plan.location) == (
        "response",
        "Mrs Secretname",
        "The park",
    )


def test_other_roles_and_agencies_cannot_use_the_stage_page(
    client: Any,
    area_plan: Pmp,
    police: Any,
    make_user: Any,
    make_agency: Any,
) -> None:
    client.force_login(make_user("opcc", police, role="commissioner_viewer"))
    assert client.get(f"/pmps/{area_plan.pk}/stage/").status_code in (403, 404)
    client.force_login(make_user("other", make_agency("Unrelated Housing", kind="housing")))
    assert client.get(f"/pmps/{area_plan.pk}/stage/").status_code == 404
    client.logout()
    assert client.get(f"/pmps/{area_plan.pk}/stage/").status_code == 302  # to sign in


def _touching(code: str, candidates: list[str]) -> tuple[list[str], list[str]]:
    """Split ``candidates`` into LSOAs whose polygons touch ``code``'s and those that don't,
    straight from the polygons file (independently of the app's neighbour table)."""
    import json

    from shapely.geometry import shape

    from asbhub.records.incidents.selectors import area_hierarchy

    with open(area_hierarchy().folder / "lsoa_bng.geojson", encoding="utf-8") as fh:
        polys = {
            f["properties"]["lsoa_code"]: shape(f["geometry"]) for f in json.load(fh)["features"]
        }
    near = [c for c in candidates if c != code and polys[c].intersects(polys[code])]
    far = [c for c in candidates if c != code and not polys[c].intersects(polys[code])]
    return near, far


def test_evaluation_counts_and_measures_match_a_hand_computation(
    client: Any,
    area_plan: Pmp,
    police: Any,
    make_user: Any,
    make_incidents: Any,
) -> None:
    codes = [c for c, _ in lsoas_of(LPU)]
    response = codes[0]
    near, far = _touching(response, codes)
    # Before: Jan-Mar 2024; the response in April; after: May-Jul 2024.
    plan = {  # (lsoa, month): count
        (response, "2024-01"): 6,
        (response, "2024-03"): 4,
        (response, "2024-06"): 3,
        (response, "2024-04"): 9,  # during the response: not counted
        (near[0], "2024-02"): 5,
        (near[-1], "2024-07"): 4,
        (far[0], "2024-01"): 10,
        (far[1], "2024-05"): 8,
        (far[-1], "2024-03"): 7,
        (far[-1], "2023-12"): 50,  # before the before period: not counted
    }
    made = []
    for (code, month), n in plan.items():
        made += make_incidents([(code, month, ASB)] * n)
    make_incidents([(response, "2024-06", "Burglary")] * 4)  # another crime type
    for inc in made[:2]:
        PmpIncident.objects.create(pmp=area_plan, incident=inc)
    client.force_login(make_user("analyst", police, role="analyst"))
    Pmp.objects.filter(pk=area_plan.pk).update(stage="assessment")
    bad = client.post(
        f"/pmps/{area_plan.pk}/evaluate/",
        {
            "before_first": "2024-05",
            "before_last": "2024-07",
            "after_first": "2024-01",
            "after_last": "2024-03",
        },
    )
    assert bad.status_code == 400 and "must come before the after months" in bad.content.decode()
    ok = client.post(
        f"/pmps/{area_plan.pk}/evaluate/",
        {
            "before_first": "2024-01",
            "before_last": "2024-03",
            "after_first": "2024-05",
            "after_last": "2024-07",
        },
    )
    assert ok.status_code == 302
    area_plan.refresh_from_db()
    ev = area_plan.evaluation
    rb, ra, bb, ba, cb, ca = 10, 3, 5, 4, 17, 8
    c = ev["counts"]
    assert (
        c["response_before"],
        c["response_after"],
        c["buffer_before"],
        c["buffer_after"],
        c["control_before"],
        c["control_after"],
    ) == (rb, ra, bb, ba, cb, ca)
    assert (c["before_days"], c["after_days"]) == (91.0, 92.0)
    assert ev["areas"] == {"response": 1, "buffer": len(near), "control": len(far)}
    rr = (rb * ca) / (ra * cb)
    se = math.sqrt(1 / rb + 1 / ra + 1 / cb + 1 / ca)
    assert ev["rate_ratio"] == pytest.approx(rr)
    assert ev["rr_ci_low"] == pytest.approx(rr * math.exp(-1.959964 * se), rel=1e-5)
    assert ev["rr_ci_high"] == pytest.approx(rr * math.exp(1.959964 * se), rel=1e-5)
    wdq = (ba / ca - bb / cb) / (ra / ca - rb / cb)
    assert ev["wdq"] == pytest.approx(wdq)
    assert ev["net_effect"] == pytest.approx(rb * ca / cb - ra + bb * ca / cb - ba)
    page = client.get(f"/pmps/{area_plan.pk}/stage/").content.decode()
    assert f"{rr:.2f}" in page and "confidence interval" in page and f"{wdq:.3f}" in page


def test_evaluation_without_linked_incidents_says_what_to_do(area_plan: Pmp) -> None:
    with pytest.raises(assessment.AssessmentError, match="link the incidents"):
        assessment.evaluate_plan(area_plan, ("2024-01", "2024-03"), ("2024-05", "2024-07"))


def test_months_between_crosses_the_year() -> None:
    assert assessment.months_between("2023-11", "2024-02") == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
