"""One cache of the area hierarchy, in asbhub.geo (issue #11 item 4)."""

import re
import shutil
from pathlib import Path

import pytest

import asbhub
from asbhub.geo import AREAS_ENV_VAR, AreaHierarchy, MappingFileError, area_hierarchy
from asbhub.geo.areas import bundled_areas_folder

PACKAGE = Path(asbhub.__file__).parent


def test_read_once_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(AREAS_ENV_VAR, raising=False)
    first = area_hierarchy()
    assert area_hierarchy() is first
    assert area_hierarchy(bundled_areas_folder()) is first
    assert area_hierarchy(str(bundled_areas_folder())) is first
    fresh = AreaHierarchy.load()
    assert fresh is not first and fresh.lsoa.equals(first.lsoa)

    from asbhub.store.db import setup_django

    setup_django()
    from asbhub.records.incidents.selectors import area_hierarchy as page_areas

    assert page_areas() is first  # the pages use the same cache


def test_keyed_by_the_folder_the_variable_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = tmp_path / "areas"
    shutil.copytree(bundled_areas_folder(), copy)
    bundled = area_hierarchy()
    monkeypatch.setenv(AREAS_ENV_VAR, str(copy))
    other = area_hierarchy()
    assert other is not bundled and other.folder == copy and area_hierarchy() is other
    monkeypatch.setenv(AREAS_ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(MappingFileError, match="does not exist"):
        area_hierarchy()  # an error is not cached: fix the variable and it reads
    monkeypatch.setenv(AREAS_ENV_VAR, str(copy))
    assert area_hierarchy() is other


def test_no_other_cache_of_the_hierarchy() -> None:
    cached_loads = re.compile(
        r"@(lru_)?cache[^\n]*\n(def|async def) \w+\([^)]*\)[^:]*:\s*\n\s*return AreaHierarchy\.load"
    )
    found = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if cached_loads.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["geo/areas.py"], found
