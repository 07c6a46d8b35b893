"""The API's queries against brute force: who sees which incidents, filters and paging over
the real bundled sample, and tables 5.34 and 5.36 counted by hand."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.api.support import bearer
from tests.fixtures_partners import SYNTHETIC_FORCE

setup_django()

from django.utils import timezone  # noqa: E402

from asbhub.geo import AreaHierarchy  # noqa: E402
from asbhub.records.cases import services as cases  # noqa: E402
from asbhub.records.cases.models import Power, PowerEvent, ProblemType  # noqa: E402
from asbhub.records.incidents.models import Incident, Source  # noqa: E402
from asbhub.records.partners.access import can_see, owner_agency_for  # noqa: E402
from asbhub.records.tokens.services import create_token  # noqa: E402
from asbhub.web.api import services  # noqa: E402


def _source(force: str) -> Source:
    return Source.objects.create(
        kind="force_export",
        force=force,
        month="",
        rows=1,
        content_hash=force[:8],
        file="synthetic",
        loaded_at=timezone.now(),
    )


def test_visible_incidents_match_the_policy_one_by_one(
    db: str, police: Any, make_agency: Any, make_user: Any, make_agreement: Any
) -> None:
    other = make_agency("Other Synthetic Police", kind="police")
    council = make_agency("Synthetic Council")
    mine = []
    for force in (SYNTHETIC_FORCE, "Other Synthetic Police", "Force Nobody Set Up"):
        src = _source(force)
        mine += [
            Incident.objects.create(
                source=src,
                line=n,
                record_type="ASB",
                month="2024-01",
                crime_type="Anti-social behaviour",
            ).pk
            for n in range(3)
        ]
    today = dt.date.today()
    make_agreement(
        "ISA-V1",
        [other, council],
        ["incident_summary"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=1),
    )
    users = [
        make_user("a", police, role="analyst"),
        make_user("b", other, role="snt_officer"),
        make_user("c", council),
        make_user("d", police, role="commissioner_viewer"),
        make_user("e", council, is_active=False),
        make_user("f"),
    ]

    def brute(user: Any) -> set[int]:
        return {
            i.pk
            for i in Incident.objects.filter(pk__in=mine).select_related("source")
            if can_see(user, "incident_summary", owner_agency_for(i)).allowed
        }

    seen = [
        set(services.visible_incidents(u).filter(pk__in=mine).values_list("pk", flat=True))
        for u in users
    ]
    assert seen == [brute(u) for u in users]
    assert [len(s) for s in seen] == [3, 3, 3, 3, 0, 0]  # the rule is not trivially empty
    # With one police agency it owns every incident, whatever force its source names.
    other.is_active = False
    other.save()
    assert (
        set(services.visible_incidents(users[0]).filter(pk__in=mine).values_list("pk", flat=True))
        == brute(users[0])
        == set(mine)
    )


# -- filters and paging over the real sample ------------------------------------------------


@pytest.fixture
def analyst_token(
    sample_store: Any,
    db: str,
    make_agency: Any,
    make_user: Any,
) -> dict[str, str]:
    police = make_agency("Sample Police", kind="police")  # the only police: owns the sample
    return bearer(create_token(make_user("sample.analyst", police, role="analyst")).secret)


def _brute_rows() -> list[tuple[int, str, str, str | None]]:
    rows = list(
        Incident.objects.order_by("pk").values_list(
            "pk", "month", "crime_type", "lpu", "location__lsoa_code"
        )
    )
    derived = AreaHierarchy.load().lpu_for([r[4] for r in rows])
    return [
        (pk, month, ctype, lpu or d)
        for (pk, month, ctype, lpu, _), d in zip(rows, derived, strict=True)
    ]


def _all_pages(client: Any, auth: dict[str, str], limit: int, **filters: str) -> tuple[int, list]:
    ids, offset, counts = [], 0, set()
    while True:
        body = client.get(
            "/api/v1/incidents", {**filters, "limit": limit, "offset": offset}, **auth
        ).json()
        counts.add(body["count"])
        assert len(body["items"]) <= limit
        ids += [i["id"] for i in body["items"]]
        if len(body["items"]) < limit:
            break
        offset += limit
    assert len(counts) == 1
    return counts.pop(), ids


def test_filters_and_paging_match_brute_force(client: Any, analyst_token: dict[str, str]) -> None:
    rows = _brute_rows()
    assert len(rows) > 1000
    months = sorted({r[1] for r in rows})
    lpus = sorted({r[3] for r in rows if r[3]})
    rng = random.Random(7)
    cases_ = [
        {"month": months[1]},
        {"month": months[0], "crime_type": "Anti-social behaviour"},
        {"lpu": rng.choice(lpus)},
        {"month": months[2], "crime_type": "Violence and sexual offences", "lpu": rng.choice(lpus)},
        {"crime_type": "No such crime type"},
    ]
    for filters in cases_:
        expected = [
            pk
            for pk, month, ctype, lpu in rows
            if filters.get("month", month) == month
            and filters.get("crime_type", ctype) == ctype
            and filters.get("lpu", lpu) == lpu
        ]
        for limit in (500, 173):
            count, ids = _all_pages(client, analyst_token, limit, **filters)
            assert (count, ids) == (len(expected), expected), filters
    # Items carry the derived LPU and the month they were filtered on.
    body = client.get("/api/v1/incidents", {"lpu": lpus[0], "limit": 5}, **analyst_token).json()
    assert body["items"] and all(i["lpu"] == lpus[0] for i in body["items"])


def _scope_sql(where: str, params: tuple = ()) -> int:
    """An independent count: raw SQL on the test's connection, not the ORM the API uses."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s "
            f"ON s.id = i.source_id WHERE {where}",
            params,
        )
        return cur.fetchone()[0]


def test_incident_list_is_scoped_as_the_pages_are(
    client: Any, analyst_token: dict[str, str]
) -> None:
    """Issue #12 item 2: the list counts the deployment's force and recorded police data, never
    synthetic rows unless asked, and says its scope; another force, kind or synthetic data on
    request; an unknown force is refused naming the forces held. Counts checked by SQL."""
    extra = [
        ("SYNTHETIC demonstration data (fictional people)", "force_export", 4),
        ("Other Test Police", "police_uk_street", 3),
        ("Derbyshire Constabulary", "public_report", 2),
    ]
    for force, kind, n in extra:
        src = _source(force)
        Source.objects.filter(pk=src.pk).update(kind=kind, rows=n)
        for line in range(n):
            Incident.objects.create(
                source=src,
                line=line + 2,
                record_type="ASB",
                month="2019-01",
                crime_type="Anti-social behaviour",
            )
    force = "Derbyshire Constabulary"
    real = _scope_sql(
        "s.force = %s AND s.kind IN ('police_uk_street', 'force_export') "
        "AND UPPER(s.force) NOT LIKE 'SYNTHETIC%%'",
        (force,),
    )
    assert real > 1000

    def body(**params: Any) -> dict[str, Any]:
        response = client.get("/api/v1/incidents", {"limit": 1, **params}, **analyst_token)
        assert response.status_code == 200, response.content
        return response.json()

    default = body()
    assert default["count"] == real
    assert default["scope"] == {
        "force": force,
        "kinds": ["force_export", "police_uk_street"],
        "synthetic": False,
        "text": f"{force}: published police.uk records and force exports; synthetic data left out",
    }
    # Synthetic rows only when asked: the force's own (none) plus none of another force's.
    assert body(synthetic="true")["count"] == real
    other = body(force="other test police")
    assert other["count"] == 3 and other["scope"]["force"] == "Other Test Police"
    reports = body(source_kind="public_report")
    assert reports["count"] == _scope_sql("s.force = %s AND s.kind = 'public_report'", (force,))
    assert reports["count"] == 2
    both = body(source_kind=["public_report", "police_uk_street"])
    assert both["count"] == real + 2
    synthetic = body(force="SYNTHETIC demonstration data (fictional people)")
    assert synthetic["count"] == 4 and synthetic["scope"]["synthetic"] is True
    refused = client.get("/api/v1/incidents", {"force": "Atlantis Police"}, **analyst_token)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "'Atlantis Police'" in detail and "Other Test Police" in detail and force in detail


@pytest.mark.parametrize(
    "params, field",
    [
        ({"month": "2024-13"}, "month"),
        ({"month": "May 2024"}, "month"),
        ({"limit": "501"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_filters_say_what_was_expected(
    client: Any, analyst_token: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = client.get("/api/v1/incidents", params, **analyst_token)
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [field]
    expected = {
        "month": "a month as YYYY-MM, e.g. 2024-05",
        "limit": "from 1 to 500",
        "offset": "0 or more",
    }[field]
    assert expected in body["detail"] and repr(params[field]) in body["detail"]


# -- tables 5.34 and 5.36 -------------------------------------------------------------------


def test_tables_match_counts_by_hand(client: Any, db: str, police: Any, make_user: Any) -> None:
    tz = timezone.get_current_timezone()
    rng = random.Random(3)
    plans = []
    for n in range(40):
        opened = dt.datetime(2024, 1, 1, 12, tzinfo=tz) + dt.timedelta(days=rng.randrange(300))
        closed = opened + dt.timedelta(days=rng.randrange(1, 120)) if rng.random() < 0.5 else None
        lpu = rng.choice(["Synthetic North", "Synthetic South"])
        pmp = cases.create_pmp(
            owner_agency=police,
            title=f"Plan {n}",
            lpu=lpu,
            problem_type=ProblemType.objects.first(),
            opened_at=opened,
            reference=f"PMP-T-{n:03d}",
        )
        if closed:
            type(pmp).objects.filter(pk=pmp.pk).update(closed_at=closed, stage="closed")
        plans.append((lpu, opened, closed))
    kinds = ["cpw", "cpn", "pspo"]
    powers = []
    for _ in range(30):
        kind, day = rng.choice(kinds), dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(300))
        power = Power.objects.create(
            kind=kind, owner_agency=police, premises="Somewhere", issued_on=day
        )
        fpn = day + dt.timedelta(days=rng.randrange(60))
        PowerEvent.objects.create(power=power, kind="fpn", on=fpn)
        powers.append((kind, day, fpn))
    auth = bearer(create_token(make_user("t.analyst", police, role="analyst")).secret)
    start, end = dt.date(2024, 3, 1), dt.date(2024, 6, 30)
    hi = dt.datetime(2024, 7, 1, tzinfo=tz)
    lo = dt.datetime(2024, 3, 1, tzinfo=tz)
    body = client.get("/api/v1/tables/5.34", {"start": start, "end": end}, **auth).json()
    got = {r["lpu"]: (r["opened"], r["open"]) for r in body["rows"]}
    for lpu in ("Synthetic North", "Synthetic South"):
        opened = sum(1 for p_lpu, o, _ in plans if p_lpu == lpu and lo <= o < hi)
        still_open = sum(
            1 for p_lpu, o, c in plans if p_lpu == lpu and o < hi and (c is None or c >= hi)
        )
        assert got[lpu] == (opened, still_open)
        assert opened > 0 and still_open > 0
    body = client.get("/api/v1/tables/5.36", {"start": start, "end": end}, **auth).json()
    rows = {r["label"]: r["count"] for s in body["sections"] for r in s["rows"]}
    in_period = [p for p in powers if start <= p[1] <= end]
    assert rows["Number of Community Protection Warning letters issued"] == sum(
        1 for k, _, _ in in_period if k == "cpw"
    )
    assert rows["Number of Community Protection Notices issued"] == sum(
        1 for k, _, _ in in_period if k == "cpn"
    )
    assert rows["Number of FPNs issued for breach of CPN"] == sum(
        1 for k, _, f in powers if k == "cpn" and start <= f <= end
    )
    assert rows["Number of FPNs issued for failing to comply with a PSPO"] == sum(
        1 for k, _, f in powers if k == "pspo" and start <= f <= end
    )
