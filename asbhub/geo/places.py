"""Find a place by the name residents use: a street, a neighbourhood or a town (district).

A pure library, no outside geocoder: the places are the force's own data. Streets are
data.police.uk's anonymised map points ("On or near Market Place"), each with its LSOA;
neighbourhoods and districts come from the area hierarchy, placed at the mean of the
police.uk points in their LSOAs. The store query that gathers them lives in the web layer
(``asbhub.web.incidents.places``); this module ranks and labels.

>>> streets = [Place.street("On or near Market Place", "Erewash 012A", "Long Eaton Central",
...                         52.898, -1.271, "E01019000")]
>>> [p.label for p in search("market pl", streets)]
['On or near Market Place, Erewash 012A (Long Eaton Central neighbourhood)']
>>> search("x", streets)  # too short to mean a place
[]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["MIN_QUERY", "STREET_PREFIX", "Place", "area_places", "normalise", "search"]

#: data.police.uk's prefix for every anonymised street point.
STREET_PREFIX = "On or near "
#: The shortest query that is searched: one letter matches half the county.
MIN_QUERY = 2
#: Streets first when equally good: a resident reporting ASB usually means a street.
KIND_ORDER = {"street": 0, "neighbourhood": 1, "district": 2}
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, punctuation and runs of spaces as one space: how names are compared.

    >>> normalise("  St. Mary's   Gate ")
    'st mary s gate'
    """
    return _NON_WORD.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class Place:
    """A place a resident can pick: what it is called, where it is and what it lies in.

    ``name`` is the bare name ("Market Place"), ``kind`` one of 'street', 'neighbourhood'
    or 'district', ``detail`` where it lies ("Erewash 012A (Long Eaton Central
    neighbourhood)" or "Erewash"), ``latitude``/``longitude`` the point (WGS84) and
    ``lsoa_code`` the LSOA of a street (None for an area).
    """

    name: str
    kind: str
    detail: str
    latitude: float
    longitude: float
    lsoa_code: str | None = None
    #: True for a neighbourhood with no LSOA of its own, placed at its LPU's centre.
    approximate: bool = False

    @classmethod
    def street(
        cls,
        description: str,
        lsoa_name: str | None,
        snt_name: str | None,
        latitude: float,
        longitude: float,
        lsoa_code: str | None,
    ) -> Place:
        """A data.police.uk street point ("On or near X") in its LSOA and neighbourhood."""
        name = (
            description[len(STREET_PREFIX) :]
            if description.startswith(STREET_PREFIX)
            else description
        )
        detail = lsoa_name or ""
        if snt_name:
            detail = (
                f"{detail} ({snt_name} neighbourhood)" if detail else f"{snt_name} neighbourhood"
            )
        return cls(name.strip(), "street", detail, latitude, longitude, lsoa_code)

    @property
    def label(self) -> str:
        """The place in words, as it goes into a report's description of the place."""
        if self.kind == "street":
            head = f"{STREET_PREFIX}{self.name}"
            return f"{head}, {self.detail}" if self.detail else head
        if self.kind == "neighbourhood":
            return (
                f"{self.name} neighbourhood ({self.detail})"
                if self.detail
                else f"{self.name} neighbourhood"
            )
        return f"{self.name} area"

    @property
    def kind_label(self) -> str:
        """'Street', 'Neighbourhood' or 'Town or district'."""
        if self.approximate:
            return "Neighbourhood (the map shows its whole LPU: mark the place on it)"
        return {"street": "Street", "neighbourhood": "Neighbourhood"}.get(
            self.kind, "Town or district"
        )


def _rank(query: str, name: str) -> int | None:
    """0 same name, 1 name starts with the query, 2 a word starts with it, 3 contains it."""
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if f" {query}" in f" {name}":
        return 2
    if query in name:
        return 3
    return None


def search(query: str, places: Iterable[Place], limit: int = 10) -> list[Place]:
    """The places whose name matches ``query``, best first, at most ``limit``.

    A place matches if its normalised name contains the normalised query; the same name
    first, then names starting with it, then a word starting with it, then anywhere in it;
    streets before neighbourhoods before districts; then by name and detail. A query
    shorter than :data:`MIN_QUERY` characters finds nothing.
    """
    q = normalise(query)
    if len(q) < MIN_QUERY:
        return []
    ranked: list[tuple[tuple[int, int, str, str], Place]] = []
    for place in places:
        rank = _rank(q, normalise(place.name))
        if rank is not None:
            ranked.append(((rank, KIND_ORDER.get(place.kind, 9), place.name, place.detail), place))
    ranked.sort(key=lambda r: r[0])
    return [p for _, p in ranked[:limit]]


def area_places(
    lsoas: Iterable[tuple[str, str | None, str | None, str | None]],
    centres: Mapping[str, tuple[float, float, int]],
    neighbourhoods: Iterable[tuple[str, str]] = (),
) -> list[Place]:
    """Neighbourhoods and districts as places, each at the weighted mean of its LSOAs' points.

    Parameters
    ----------
    lsoas
        ``(lsoa_code, snt_name, lad_name, lpu)`` per LSOA of the force.
    centres
        ``lsoa_code -> (latitude, longitude, points)``: the mean of the stored street points
        in the LSOA and how many there are. An area none of whose LSOAs has a point is left
        out (there is nowhere to put it on the map).
    neighbourhoods
        ``(snt_name, lpu)`` of every neighbourhood of the force: one with no LSOA of its own
        (police.uk lists some with none) is placed at its LPU's centre, ``approximate``.

    >>> area_places([("A", "Abbey", "Derby", "Derby West"), ("B", "Abbey", "Derby", "Derby West")],
    ...             {"A": (53.0, -1.5, 1), "B": (53.2, -1.3, 3)})  # doctest: +NORMALIZE_WHITESPACE
    [Place(name='Abbey', kind='neighbourhood', detail='Derby West', latitude=53.15,
           longitude=-1.35, lsoa_code=None, approximate=False),
     Place(name='Derby', kind='district', detail='', latitude=53.15, longitude=-1.35,
           lsoa_code=None, approximate=False)]
    """
    sums: dict[tuple[str, str, str], list[float]] = {}
    for code, snt, lad, lpu in lsoas:
        if code not in centres:
            continue
        lat, lon, n = centres[code]
        for key in (("neighbourhood", snt, lpu or ""), ("district", lad, ""), ("lpu", lpu, "")):
            if not key[1]:
                continue
            acc = sums.setdefault((key[0], key[1], key[2]), [0.0, 0.0, 0.0])
            acc[0] += lat * n
            acc[1] += lon * n
            acc[2] += n
    out = [
        Place(name, kind, detail, round(s[0] / s[2], 6), round(s[1] / s[2], 6))
        for (kind, name, detail), s in sums.items()
        if s[2] > 0 and kind != "lpu"
    ]
    placed = {(p.name, p.detail) for p in out if p.kind == "neighbourhood"}
    for snt, lpu in neighbourhoods:
        whole = sums.get(("lpu", lpu, ""))
        if (snt, lpu) in placed or whole is None or whole[2] <= 0:
            continue
        placed.add((snt, lpu))
        out.append(
            Place(
                snt,
                "neighbourhood",
                lpu,
                round(whole[0] / whole[2], 6),
                round(whole[1] / whole[2], 6),
                approximate=True,
            )
        )
    out.sort(key=lambda p: (KIND_ORDER[p.kind], p.name))
    return out
