"""Places residents can find by name, from the store's data.police.uk points and the areas.

The store queries behind :mod:`asbhub.geo.places`: street points ("On or near ...") in the
force's LSOAs, and the mean point of each LSOA for placing neighbourhoods and districts.
Only data.police.uk's published, anonymised descriptions are offered: a resident's own
report (key ``public-report|...``) or a force export's free-text location is never shown.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Avg, Count, Max, Min

from asbhub.geo.places import MIN_QUERY, STREET_PREFIX, Place, area_places, normalise, search
from asbhub.records.incidents.models import Location
from asbhub.records.incidents.selectors import area_hierarchy
from asbhub.store.db import Store
from asbhub.store.query import store_version
from asbhub.web.versioned import per_store_version

DB_ALIAS = "default"
#: Street rows read from the store per search, before ranking: enough for any one name.
STREET_ROWS = 2000


def _published(using: str) -> Any:
    """Locations with a published data.police.uk street description and a map point."""
    return (
        Location.objects.using(using)
        .filter(
            description__startswith=STREET_PREFIX, latitude__isnull=False, longitude__isnull=False
        )
        .exclude(key__startswith="public-report|")
    )


def _force_lsoas() -> dict[str, tuple[str | None, str | None, str | None, str | None]]:
    """lsoa_code -> (lsoa_name, snt_name, lad_name, lpu) for the force's LSOAs."""
    rows = area_hierarchy().lsoa.select("lsoa_code", "lsoa_name", "snt_name", "lad_name", "lpu")
    return {code: (name, snt, lad, lpu) for code, name, snt, lad, lpu in rows.iter_rows()}


def find_places(query: str, limit: int = 10, using: str = DB_ALIAS) -> list[Place]:
    """Streets, neighbourhoods and districts of the force whose name matches ``query``.

    Returns
    -------
    list of Place
        Best first (see :func:`asbhub.geo.places.search`); empty for a query shorter than
        two letters or one that names nothing.
    """
    words = " ".join(query.split())
    if len(normalise(words)) < MIN_QUERY:
        return []
    lsoas = _force_lsoas()
    streets = []
    rows = (
        _published(using)
        .filter(description__icontains=words, lsoa_code__isnull=False)
        .values("description", "lsoa_code")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
        .order_by("description", "lsoa_code")[:STREET_ROWS]
    )
    for row in rows:
        where = lsoas.get(row["lsoa_code"])
        if where is None:  # another force's street
            continue
        streets.append(
            Place.street(
                row["description"],
                where[0],
                where[1],
                round(row["lat"], 6),
                round(row["lon"], 6),
                row["lsoa_code"],
            )
        )
    hoods = area_hierarchy().neighbourhoods.select("snt_name", "lpu").iter_rows()
    areas = area_places(
        ((code, snt, lad, lpu) for code, (_, snt, lad, lpu) in lsoas.items()),
        _lsoa_centres(using),
        hoods,
    )
    return search(words, [*streets, *areas], limit=limit)


def _version(using: str) -> tuple[int, str]:
    """The store's version (:func:`asbhub.store.query.store_version`): the whole-table
    aggregates below are kept per version, so a public page or search does not rescan every
    location on each request (they change only when data is loaded)."""
    return store_version(Store(url=using, alias=using))


def _lsoa_centres(using: str) -> dict[str, tuple[float, float, int]]:
    return _lsoa_centres_at(using, _version(using))


@per_store_version(maxsize=4)
def _lsoa_centres_at(using: str, version: tuple[int, str]) -> dict[str, tuple[float, float, int]]:
    rows = (
        _published(using)
        .filter(lsoa_code__isnull=False)
        .values("lsoa_code")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"), n=Count("id"))
        .order_by()
    )
    return {r["lsoa_code"]: (r["lat"], r["lon"], r["n"]) for r in rows}


def force_bounds(using: str = DB_ALIAS) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the force's published street points, or None.

    The map of the public report form opens on this: where the force's records are, not a
    fixed zoom on a county.
    """
    return _force_bounds_at(using, _version(using))


@per_store_version(maxsize=4)
def _force_bounds_at(using: str, version: tuple[int, str]) -> list[list[float]] | None:
    codes = list(_force_lsoas())
    box = (
        _published(using)
        .filter(lsoa_code__in=codes)
        .aggregate(s=Min("latitude"), w=Min("longitude"), n=Max("latitude"), e=Max("longitude"))
    )
    if box["s"] is None:
        return None
    return [[box["s"], box["w"]], [box["n"], box["e"]]]


def lpu_for_place(text: str, using: str = DB_ALIAS) -> str:
    """The LPU a resident's description of a place lies in, or '' when it names none or more
    than one (staff then set it).

    The description is read part by part (split at commas, semicolons, brackets and new
    lines), the last part first, as the town usually comes last ("the shops on Market
    Place, Long Eaton"). A part decides when every place it names lies in one LPU: first the places
    with exactly that name (an LPU, district, neighbourhood from the area files, or a
    published street), else those whose name starts with it ("Long Eaton" names the Long
    Eaton neighbourhoods, all in Erewash).
    """
    hierarchy = area_hierarchy()
    lsoas = _force_lsoas()
    names: dict[str, set[str]] = {}  # normalised area name -> its LPUs
    for lpu_name in hierarchy.lpus:
        names.setdefault(normalise(lpu_name), set()).add(lpu_name)
    for lsoa_name, _, lad, lpu in lsoas.values():
        for name in (lad, lsoa_name):  # "Erewash", "Erewash 003E"
            if name and lpu:
                names.setdefault(normalise(name), set()).add(lpu)
    for snt, lpu in hierarchy.neighbourhoods.select("snt_name", "lpu").iter_rows():
        if snt and lpu:
            names.setdefault(normalise(snt), set()).add(lpu)

    # Brackets split too: a chosen place reads "Sandiacre neighbourhood (Erewash)".
    parts = [p.strip() for p in re.split(r"[,;\n()]", text) if len(normalise(p)) >= MIN_QUERY]
    for part in reversed(parts):
        words = normalise(part.removeprefix(STREET_PREFIX.strip()))
        streets: dict[str, set[str]] = {}
        for place in find_places(part, limit=500, using=using):
            where = lsoas.get(place.lsoa_code or "")
            if place.kind == "street" and where and where[3]:
                streets.setdefault(normalise(place.name), set()).add(where[3])
        for exact in (True, False):
            lpus: set[str] = set()
            for table in (names, streets):
                for name, found in table.items():
                    if (name == words) if exact else name.startswith(words + " "):
                        lpus |= found
            if len(lpus) == 1:
                return lpus.pop()
            if lpus:
                break  # this part names places in several LPUs: try the next part
    return ""
