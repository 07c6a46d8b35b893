"""WGS84 longitude/latitude <-> British National Grid (EPSG:27700).

Every distance in asbhub (hotspot cells, buffers, near-repeat bands) is measured in metres on
the British National Grid, so coordinates from data.police.uk and force exports (WGS84 degrees)
go through :func:`to_bng` once, on the way in.

The datum shift is pinned to the published seven-parameter Helmert transformation
"OSGB36 to WGS 84 (6)" (EPSG:1314, accuracy about 2 m) rather than left to PROJ's choice.
PROJ would prefer OSTN15 (about 0.1 m) but only where its grid file has been downloaded, so two
machines could disagree by a metre or two; pinning makes every machine, CI and the bundled
boundary files give the same eastings. Two metres is far below the anonymisation of
police.uk points ("on or near" a street) and the 5 m simplification of the bundled LSOAs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

__all__ = ["BNG_EPSG", "WGS84_EPSG", "HELMERT_PIPELINE", "to_bng", "from_bng"]

BNG_EPSG = 27700
WGS84_EPSG = 4326

#: WGS84 (lon, lat in degrees) -> OSGB36 British National Grid (easting, northing in metres),
#: as PROJ itself spells EPSG:1314 + EPSG:27700; kept literal so it cannot drift with proj.db.
HELMERT_PIPELINE = (
    "+proj=pipeline"
    " +step +proj=unitconvert +xy_in=deg +xy_out=rad"
    " +step +proj=push +v_3"
    " +step +proj=cart +ellps=WGS84"
    " +step +inv +proj=helmert +x=446.448 +y=-125.157 +z=542.06"
    " +rx=0.15 +ry=0.247 +rz=0.842 +s=-20.489 +convention=position_vector"
    " +step +inv +proj=cart +ellps=airy"
    " +step +proj=pop +v_3"
    " +step +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000"
    " +ellps=airy"
)

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


@lru_cache(maxsize=1)
def _transformer() -> Transformer:
    # Building a Transformer costs milliseconds and a proj.db look-up; one per process is enough.
    return Transformer.from_pipeline(HELMERT_PIPELINE)


def _as_float_arrays(x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.shape != ya.shape:
        raise ValueError(
            f"coordinate arrays differ in shape: {xa.shape} and {ya.shape}; "
            "pass one x and one y per point"
        )
    return xa, ya


def to_bng(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Project WGS84 longitude and latitude to British National Grid.

    Parameters
    ----------
    lon, lat : array_like of float
        Longitude and latitude in decimal degrees (WGS84, as data.police.uk publishes them).
        Scalars, lists and numpy arrays of the same shape are accepted. NaN marks a missing
        coordinate.

    Returns
    -------
    easting, northing : numpy.ndarray of float64
        Metres on EPSG:27700, the same shape as the input (0-d for scalars). NaN in either
        input gives NaN in both outputs.

    Examples
    --------
    >>> e, n = to_bng(-1.49699, 52.92017)  # an ONS LSOA centroid in Derby
    >>> round(float(e)), round(float(n))
    (433918, 335980)
    """
    xa, ya = _as_float_arrays(lon, lat)
    bad = ~(np.isfinite(xa) & np.isfinite(ya))
    e, n = _transformer().transform(xa, ya)
    e = np.array(e, dtype=np.float64)
    n = np.array(n, dtype=np.float64)
    # PROJ returns inf, not NaN, for some invalid input; callers only ever need "missing".
    e[bad | ~np.isfinite(e)] = np.nan
    n[bad | ~np.isfinite(n)] = np.nan
    return e, n


def from_bng(easting: ArrayLike, northing: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert British National Grid eastings and northings back to WGS84 degrees.

    The exact inverse of :func:`to_bng` (a round trip agrees to well under 1e-6 degrees).

    Parameters
    ----------
    easting, northing : array_like of float
        Metres on EPSG:27700. NaN marks a missing coordinate.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        Decimal degrees, the shape of the input; NaN where either input was NaN.

    Examples
    --------
    >>> lon, lat = from_bng(433918, 335980)
    >>> round(float(lon), 4), round(float(lat), 4)
    (-1.497, 52.9202)
    """
    xa, ya = _as_float_arrays(easting, northing)
    bad = ~(np.isfinite(xa) & np.isfinite(ya))
    lon, lat = _transformer().transform(xa, ya, direction="INVERSE")
    lon = np.array(lon, dtype=np.float64)
    lat = np.array(lat, dtype=np.float64)
    lon[bad | ~np.isfinite(lon)] = np.nan
    lat[bad | ~np.isfinite(lat)] = np.nan
    return lon, lat
