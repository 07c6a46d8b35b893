"""The powers register entry: record, change (versioned) and add events through the forms;
tables 5.36 and 5.34 for a period equal a brute-force count of what the test posted."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from asbhub.store.db import setup_django

setup_django()

from asbhub.records.cases import services  # noqa: E402
from asbhub.records.cases.models import Pmp, Power, PowerEventKind, PowerKind  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402

START, END = dt.date(2021, 4, 1), dt.date(2022, 3, 31)


def _day(rng: random.Random) -> dt.date:
    # Some inside the period, some either side of it.
    return dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(0, 600))


def _power_post(rng: random.Random, plan_pk: int) -> dict[str, Any]:
    kind = rng.choice(PowerKind.values)
    post: dict[str, Any] = {"kind": kind, "premises": "1 Synthetic Row", "notes": ""}
    if rng.random() < 0.3:
        post["pmp"] = plan_pk
    if kind in (PowerKind.CBO, PowerKind.INJUNCTION):
        post["age_band"] = rng.choice(["over_18", "under_18"])
    for name in ("applied_on", "issued_on", "granted_on"):
        if rng.random() < 0.6:
            post[name] = _day(rng).isoformat()
    if not any(k in post for k in ("applied_on", "issued_on", "granted_on")):
        post["issued_on"] = _day(rng).isoformat()
    if kind == PowerKind.INJUNCTION:
        if rng.random() < 0.5:
            post["interim"] = "on"
        if rng.random() < 0.5:
            post["power_of_arrest"] = "on"
    return post


def _in(post: dict[str, Any], name: str) -> bool:
    return name in post and START <= dt.date.fromisoformat(post[name]) <= END


def _expected_5_36(posted: list[tuple[dict[str, Any], list[tuple[str, str]]]]) -> dict[str, int]:
    """Table 5.36's rows counted straight from what was posted (labels as in seed 003)."""
    out: dict[str, int] = {}

    def add(label: str, n: int) -> None:
        out[label] = out.get(label, 0) + n

    for post, events in posted:
        k, band = post["kind"], post.get("age_band")
        inside = [e for e, on in events if START <= dt.date.fromisoformat(on) <= END]
        if k == PowerKind.INJUNCTION:
            sec = "OVER 18s" if band == "over_18" else "UNDER 18s"
            interim = "interim" in post
            prefix = "interim " if interim else ""
            add(f"{sec}|Number of {prefix}injunctions applied for", _in(post, "applied_on"))
            add(f"{sec}|Number of {prefix}injunctions granted", _in(post, "granted_on"))
            if not interim and "power_of_arrest" in post:
                add(
                    f"{sec}|Number of injunctions granted with power of arrest attached",
                    _in(post, "granted_on"),
                )
            add(
                f"{sec}|Number of prosecutions for contempt of court/breach of injunction",
                inside.count("prosecution"),
            )
        elif k == PowerKind.CBO:
            sec = "CBO OVER" if band == "over_18" else "CBO UNDER"
            add(f"{sec}|Number of Criminal Behaviour Orders applied for", _in(post, "applied_on"))
            add(f"{sec}|Number of Criminal Behaviour Orders granted", _in(post, "granted_on"))
            add(f"{sec}|Number of prosecutions for breach of CBO", inside.count("prosecution"))
        elif k == PowerKind.CPW:
            add("Number of Community Protection Warning letters issued", _in(post, "issued_on"))
        elif k == PowerKind.CPN:
            add("Number of Community Protection Notices issued", _in(post, "issued_on"))
            add("Number of FPNs issued for breach of CPN", inside.count("fpn"))
            add("Number of prosecutions for breach of CPN", inside.count("prosecution"))
            add(
                "Number of cases where remedial action take due to non-compliance with CPN",
                inside.count("remedial_action"),
            )
            add(
                "Number of forfeiture orders for failure to comply with CPN",
                inside.count("forfeiture_order"),
            )
            add(
                "Number of remedial orders for failure to comply with CPN",
                inside.count("remedial_order"),
            )
            add(
                "Number of warrants authorising seizure following failure to comply with CPN",
                inside.count("seizure_warrant"),
            )
        elif k == PowerKind.PSPO:
            add("Number of new Public Spaces Protection Orders made*", _in(post, "issued_on"))
            add("Number of FPNs issued for failing to comply with a PSPO", inside.count("fpn"))
        elif k == PowerKind.CLOSURE_ORDER:
            add("Number of applications for Closure Orders", _in(post, "applied_on"))
            add("Number of Closure Orders granted", _in(post, "granted_on"))
            add("Number of prosecutions for breach of Closure Order", inside.count("prosecution"))
        elif k == PowerKind.CLOSURE_NOTICE_24:
            add("Number of Closure Notices issued (24 hours)", _in(post, "issued_on"))
        elif k == PowerKind.CLOSURE_NOTICE_48:
            add("Number of Closure Notices issued (48 hours)", _in(post, "issued_on"))
    return out


def _table_as_dict(sections: list[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in sections:
        for label, n in s.rows:
            if "CIVIL INJUNCTIONS" in s.heading:
                key = f"{s.heading.rsplit(' - ', 1)[1]}|{label}"
            elif "CRIMINAL BEHAVIOUR" in s.heading:
                key = f"CBO {s.heading.rsplit(' - ', 1)[1].split()[0]}|{label}"
            else:
                key = label
            out[key] = out.get(key, 0) + n
    return out


def test_table_5_36_equals_what_was_posted_through_the_forms(
    client: Any, area_plan: Pmp, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    rng = random.Random(2021)
    posted: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
    for _ in range(60):
        post = _power_post(rng, area_plan.pk)
        response = client.post("/powers/new/", post)
        assert response.status_code == 302, response.content.decode()[:2000]
        power = Power.objects.latest("pk")
        events = []
        first = min(
            dt.date.fromisoformat(post[k])
            for k in ("applied_on", "issued_on", "granted_on")
            if k in post
        )
        for version in range(1, rng.randrange(1, 4)):
            kind = rng.choice(PowerEventKind.values)
            on = (first + dt.timedelta(days=rng.randrange(0, 200))).isoformat()
            assert (
                client.post(
                    f"/powers/{power.pk}/", {"kind": kind, "on": on, "version": version}
                ).status_code
                == 302
            )
            events.append((kind, on))
        posted.append((post, events))
    got = _table_as_dict(services.table_5_36(START, END))
    expected = _expected_5_36(posted)
    for label, n in expected.items():
        assert got[label] == n, label
    # Rows the brute force never touched count nothing the test did not post either.
    assert sum(got.values()) == sum(expected.values())
    assert sum(got.values()) > 20  # the period holds a good share of what was posted
    created = AuditEntry.objects.filter(object_type="cases.power", action="create")
    assert created.count() == 60 and {e.purpose for e in created} == {
        "Considering an ASB power (warning, CPN, injunction)"
    }


def test_table_5_34_equals_plans_opened_and_closed_through_the_forms(
    client: Any, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("analyst", police, role="analyst"))
    rng = random.Random(34)
    from asbhub.records.cases.models import ProblemType

    problem = ProblemType.objects.first()
    opened: dict[str, int] = {}
    closed: dict[str, int] = {}
    for n in range(12):
        lpu = rng.choice(["Erewash", "High Peak", "Chesterfield"])
        assert (
            client.post(
                "/pmps/new/",
                {
                    "title": f"Plan {n}",
                    "problem_type": problem.pk,
                    "lpu": lpu,
                    "area": "",
                    "statement": "s",
                    "data_summary": "d",
                    "victim": "",
                    "offender": "",
                    "location": "",
                    "assessment": "",
                    "review_cadence_days": 28,
                    "next_review_due": "",
                },
            ).status_code
            == 302
        )
        opened[lpu] = opened.get(lpu, 0) + 1
        pmp = Pmp.objects.latest("pk")
        if rng.random() < 0.5:
            # Closed through the stage pages, as a user would.
            steps = [
                {"statement": "s", "data_summary": "d", "move": "analysis"},
                {"victim": "v", "offender": "o", "location": "l", "move": "response"},
            ]
            for step in steps:
                pmp.refresh_from_db()
                client.post(f"/pmps/{pmp.pk}/stage/", {**step, "version": pmp.version})
            pmp.refresh_from_db()
            client.post(
                f"/pmps/{pmp.pk}/actions/",
                {
                    "description": "a",
                    "owner_agency": police.pk,
                    "due": "2030-01-01",
                    "version": pmp.version,
                },
            )
            for step in ({"move": "assessment"}, {"assessment": "done", "move": "closed"}):
                pmp.refresh_from_db()
                client.post(f"/pmps/{pmp.pk}/stage/", {**step, "version": pmp.version})
            pmp.refresh_from_db()
            assert pmp.stage == "closed"
            closed[lpu] = closed.get(lpu, 0) + 1
    today = dt.date.today()
    rows = {
        r.lpu: (r.opened, r.open)
        for r in services.table_5_34(today, today, lpus=["Erewash", "High Peak", "Chesterfield"])
    }
    for lpu in ("Erewash", "High Peak", "Chesterfield"):
        assert rows[lpu] == (opened.get(lpu, 0), opened.get(lpu, 0) - closed.get(lpu, 0))


def test_power_form_errors_edit_locking_person_withheld_and_roles(
    client: Any,
    police: Any,
    make_user: Any,
    incident: Any,
    make_agency: Any,
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    errors = client.post("/powers/new/", {"kind": "cbo"})
    body = errors.content.decode()
    assert errors.status_code == 200 and "govuk-error-summary" in body
    for message in (
        "Link the power to a person, premises or a PMP.",
        "Say whether the subject is 18 or over, or under 18.",
        "Give at least one date: applied for, issued or granted.",
    ):
        assert message in body
    suspect = incident.people.get(role="suspect")
    assert (
        client.post(
            "/powers/new/",
            {
                "kind": "cbo",
                "person": suspect.pk,
                "age_band": "over_18",
                "applied_on": "2024-06-01",
            },
        ).status_code
        == 302
    )
    power = Power.objects.latest("pk")
    assert power.person == suspect and power.owner_agency == police
    assert "Blake Madeupname" in client.get(f"/powers/{power.pk}/").content.decode()
    edit = {
        "kind": "cbo",
        "person": suspect.pk,
        "age_band": "over_18",
        "applied_on": "2024-06-01",
        "granted_on": "2024-07-01",
        "version": 1,
    }
    assert client.post(f"/powers/{power.pk}/edit/", edit).status_code == 302
    stale = client.post(f"/powers/{power.pk}/edit/", {**edit, "granted_on": "2024-08-01"})
    assert stale.status_code == 409
    power.refresh_from_db()
    assert (power.granted_on, power.version) == (dt.date(2024, 7, 1), 2)
    early = client.post(
        f"/powers/{power.pk}/", {"kind": "breach", "on": "2024-01-01", "version": 2}
    )
    assert "first date (01/06/2024)" in early.content.decode()
    # A partner without an agreement cannot name the police's suspect in their register.
    council = make_agency("Synthetic Council")
    client.force_login(make_user("council.officer", council))
    refused = client.post(
        "/powers/new/", {"kind": "cpw", "person": suspect.pk, "issued_on": "2024-06-01"}
    )
    assert "no person record" in refused.content.decode()
    assert client.get(f"/powers/{power.pk}/").status_code == 404  # not their register
    client.force_login(make_user("opcc", police, role="commissioner_viewer"))
    assert client.get("/powers/new/").status_code == 403
    assert "Blake Madeupname" not in client.get(f"/powers/{power.pk}/").content.decode()
