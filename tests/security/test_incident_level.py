"""The briefing (page and PDF) and the weekly pack follow the incident-summary category, as the
API does (issue #10, class 6).

A partner whose agreement had expired was given no incidents by the API, yet the briefing
showed it repeat locations with their streets and coordinates, each withheld person's LPU,
counts and dates, and hot-spot cells, and the weekly pack counted and mapped the incidents.
Now, for each user of the synthetic world under each agreement, the briefing shows
incident-level data exactly when the API's incident list
(:func:`asbhub.web.api.services.visible_incidents`) gives that user incidents; the weekly pack
(page, CSV, map) is refused otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from asbhub.store.db import setup_django
from tests.security.support import ALL_CATEGORIES, as_user, share

setup_django()

#: The world's incidents as the briefing would show them: the street of their place, their
#: references, the easting of their point, and the section counting them by LPU.
INCIDENT_LEVEL = (
    "Synthetic Street",
    "SYN-SEC-000",
    "447000",
    "Incidents by Local Policing Unit",
    "Repeat locations",
    "Emerging hot spots",
)

#: (user, categories of a police-council agreement or None, its state).
CASES: dict[str, tuple[str, list[str] | None, str]] = {
    "police-analyst": ("analyst", None, ""),
    "police-administrator": ("police_admin", None, ""),
    "council-summaries-live": ("council_officer", ["incident_summary"], "live"),
    "council-all-live": ("council_supervisor", ALL_CATEGORIES, "live"),
    "council-no-agreement": ("council_officer", None, ""),
    "council-expired": ("council_officer", ALL_CATEGORIES, "expired"),
    "council-revoked": ("council_supervisor", ALL_CATEGORIES, "revoked"),
    "council-future": ("council_officer", ALL_CATEGORIES, "future"),
    "council-people-without-summaries": (
        "council_officer",
        ["victim_personal", "perpetrator_personal"],
        "live",
    ),
    "housing": ("housing_officer", None, ""),
    "commissioner": ("commissioner", None, ""),
}


def _api_gives_incidents(world: SimpleNamespace, who: str) -> bool:
    from asbhub.web.api.services import visible_incidents

    return visible_incidents(getattr(world.users, who)).exists()


def _week(world: SimpleNamespace) -> dict[str, str]:
    return {"lpu": "Erewash", "week_ending": (world.today - dt.timedelta(days=1)).isoformat()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_briefing_follows_the_incident_summary_rule(
    case: str, world: SimpleNamespace, db: str
) -> None:
    who, categories, state = CASES[case]
    if categories:
        share(world, categories, state=state)
    entitled = _api_gives_incidents(world, who)
    page = as_user(world, who).get("/briefing/", {"purpose": "tasking"})
    assert page.status_code == 200, page.status_code
    text = page.content.decode()
    shown = [m for m in INCIDENT_LEVEL if m in text]
    if entitled:
        # The positive control: the same page counts the world's two incidents of yesterday.
        counted = re.search(r"<strong>(\d+)</strong> in all", text)
        assert counted and int(counted.group(1)) >= 2, case
        assert "Incidents by Local Policing Unit" in text
    else:
        assert not shown, f"{case}: the API gives no incidents, the briefing shows {shown}"
        assert "withheld" in text.lower() and "incident summaries" in text.lower(), (
            f"{case}: the briefing withholds its incidents without saying why"
        )


@pytest.mark.parametrize("case", ["police-analyst", "council-expired"])
def test_briefing_pdf_follows_the_incident_summary_rule(
    case: str, world: SimpleNamespace, db: str, tmp_path: Path
) -> None:
    from tests.support import need

    try:
        import weasyprint  # noqa: F401
    except ImportError:
        need(False, "WeasyPrint is not installed (pip install 'asbhub[pdf]')")
    need(shutil.which("pdftotext"), "pdftotext is not installed (apt-get install poppler-utils)")
    who, categories, state = CASES[case]
    if categories:
        share(world, categories, state=state)
    response = as_user(world, who).get("/briefing/", {"purpose": "tasking", "format": "pdf"})
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    pdf = tmp_path / "briefing.pdf"
    pdf.write_bytes(response.content)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    if _api_gives_incidents(world, who):
        assert "Synthetic Street" in text and "Incidents by Local Policing Unit" in text
    else:
        assert not [m for m in INCIDENT_LEVEL if m in text], text[:2000]
        assert "withheld" in text.lower()


@pytest.mark.parametrize("case", sorted(CASES))
def test_weekly_pack_follows_the_incident_summary_rule(
    case: str, world: SimpleNamespace, db: str
) -> None:
    who, categories, state = CASES[case]
    if categories:
        share(world, categories, state=state)
    entitled = _api_gives_incidents(world, who)
    client = as_user(world, who)
    for path in ("/weekly/", "/weekly/pack.csv", "/weekly/map.png"):
        response = client.get(path, _week(world))
        if entitled:
            assert response.status_code == 200, f"{case} {path}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{case} {path}: {response.status_code}"
            assert "incident summaries" in response.content.decode().lower(), path


def test_weekly_pack_counts_the_incidents_for_the_entitled(world: SimpleNamespace, db: str) -> None:
    """The positive control of the weekly checks: the police analyst's CSV counts the
    world's ASB incident of yesterday."""
    text = as_user(world, "analyst").get("/weekly/pack.csv", _week(world)).content.decode()
    assert "total,Erewash,2," in text, text


def test_the_rule_is_the_apis(world: SimpleNamespace, db: str) -> None:
    """:func:`incident_summaries` decides as the API's list does, for every user."""
    from asbhub.records.partners.access import incident_summaries

    for state in ("live", "expired"):
        from django.db import transaction

        with transaction.atomic(using="default"):
            share(world, ["incident_summary"], state=state)
            for who, user in vars(world.users).items():
                assert bool(incident_summaries(user)) == _api_gives_incidents(world, who), who
            transaction.set_rollback(True, using="default")
