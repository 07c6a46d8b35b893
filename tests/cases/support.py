"""Helpers for the cases tests: import them from here (the fixtures are in conftest.py and
are found by name)."""

from __future__ import annotations

LPU = "Erewash"
OTHER_FORCE = "Other Synthetic Constabulary"


def lsoas_of(lpu: str) -> list[tuple[str, str]]:
    from asbhub.records.incidents.selectors import area_hierarchy

    rows = area_hierarchy().lsoa.filter(lpu=lpu).select("lsoa_code", "lsoa_name").rows()
    return sorted(rows)
