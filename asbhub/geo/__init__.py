"""Geography: WGS84 <-> British National Grid, and the force > LPU > SNT > LSOA hierarchy.

A pure library (no Django, no database). The supported face is re-exported here::

    from asbhub.geo import AreaHierarchy, to_bng

    areas = AreaHierarchy.load()          # bundled Derbyshire, or $ASBHUB_AREAS
    e, n = to_bng(lon, lat)               # metres on EPSG:27700
    lsoa = areas.locate(e, n)             # LSOA code or None per point
    lpu = areas.lpu_for(lsoa)
"""

from asbhub.geo.areas import (
    AREA_COLUMNS,
    AREAS_ENV_VAR,
    NEIGHBOURHOOD_COLUMNS,
    AreaHierarchy,
    MappingFileError,
    area_hierarchy,
    bundled_areas_folder,
)
from asbhub.geo.locate import LsoaLocator
from asbhub.geo.projection import BNG_EPSG, WGS84_EPSG, from_bng, to_bng

__all__ = [
    "AREA_COLUMNS",
    "AREAS_ENV_VAR",
    "BNG_EPSG",
    "NEIGHBOURHOOD_COLUMNS",
    "WGS84_EPSG",
    "AreaHierarchy",
    "LsoaLocator",
    "MappingFileError",
    "area_hierarchy",
    "bundled_areas_folder",
    "from_bng",
    "to_bng",
]
