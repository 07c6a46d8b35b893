"""Fixtures for the cases pages: synthetic incidents placed in real LSOAs of an LPU.

Tests ask for them by name (never import a fixture). Every incident is invented;
the LSOA codes and names are the force's real ones, so the area hierarchy and its polygons
place them as real data would be placed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from tests.cases.support import LPU, lsoas_of
from tests.fixtures_partners import SYNTHETIC_FORCE


@pytest.fixture
def make_incidents(db: str, police: Any) -> Callable[..., list[Any]]:
    """``make(rows, force=SYNTHETIC_FORCE)``: one incident per (lsoa_code, month, crime_type),
    each at its own invented point inside Derbyshire's bounding box, in a source of ``force``.
    """
    from django.utils import timezone

    from asbhub.records.incidents.models import Incident, Location, Source

    names = {}
    for lpu in ("Erewash", "Amber Valley", "High Peak"):
        names.update(dict(lsoas_of(lpu)))
    sources: dict[str, Any] = {}
    counter = {"n": 0}
    rng = random.Random(7)

    def make(rows: list[tuple[str, str, str]], force: str = SYNTHETIC_FORCE) -> list[Any]:
        if force not in sources:
            sources[force] = Source.objects.create(
                kind="force_export",
                force=force,
                month="",
                content_hash=force[:8].ljust(64, "0"),
                rows=0,
                file="synthetic",
                loaded_at=timezone.now(),
            )
        out = []
        for code, month, crime in rows:
            counter["n"] += 1
            n = counter["n"]
            lat, lon = 52.9 + rng.random() * 0.1, -1.35 + rng.random() * 0.1
            loc = Location.objects.create(
                key=f"test|{n}|{code}",
                latitude=lat,
                longitude=lon,
                easting=450000.0,
                northing=340000.0,
                description=f"On or near Synthetic Street {n}",
                lsoa_code=code,
                lsoa_name=names.get(code, code),
            )
            out.append(
                Incident.objects.create(
                    source=sources[force],
                    line=n,
                    record_type="ASB" if crime.startswith("Anti") else "CRIME",
                    month=month,
                    crime_type=crime,
                    reference=f"SYN-AREA-{n:05d}",
                    location=loc,
                )
            )
        return out

    return make


@pytest.fixture
def area_plan(police: Any, make_agency: Any) -> Any:
    """A plan of the police in Erewash LPU with a council partner, at Scanning."""
    from asbhub.records.cases import services
    from asbhub.records.cases.models import ProblemType

    council = make_agency("Synthetic Borough Council", area=LPU)
    return services.create_pmp(
        owner_agency=police,
        partner_agencies=[council],
        title="Youths at the synthetic park",
        lpu=LPU,
        problem_type=ProblemType.objects.first(),
    )
