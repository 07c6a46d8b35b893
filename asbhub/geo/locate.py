"""Point-in-polygon: which LSOA holds each British National Grid point.

Force exports often carry coordinates but no LSOA; :class:`LsoaLocator` supplies it. A point in
no LSOA (outside the force, or a bad coordinate) gets ``None`` so the caller can keep and flag
the row rather than drop it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["LsoaLocator"]


class LsoaLocator:
    """Find the LSOA containing each point, vectorised over numpy arrays.

    Parameters
    ----------
    codes : sequence of str
        LSOA codes, one per polygon.
    polygons : sequence of shapely.Polygon or shapely.MultiPolygon
        The LSOA boundaries on British National Grid (EPSG:27700), in metres.

    Notes
    -----
    A point on an edge shared by two LSOAs lies in both; it is given the LSOA with the lower code,
    so the answer never depends on input order or on the spatial index's internal layout. A
    point on the force's outer boundary counts as inside.

    Examples
    --------
    >>> import shapely
    >>> box = shapely.box(0, 0, 10, 10)
    >>> loc = LsoaLocator(["E01000002", "E01000001"], [box, shapely.box(10, 0, 20, 10)])
    >>> loc.locate([5, 10, 99], [5, 5, 5]).tolist()
    ['E01000002', 'E01000001', None]
    """

    def __init__(self, codes: Sequence[str], polygons: Sequence[shapely.Geometry]) -> None:
        if len(codes) != len(polygons):
            raise ValueError(f"{len(codes)} LSOA codes but {len(polygons)} polygons")
        order = np.argsort(np.asarray(codes, dtype=object), kind="stable")
        # Sorted by code, so the lowest tree index among several hits is the lowest code.
        self.codes = np.asarray(codes, dtype=object)[order]
        self.polygons = np.asarray(polygons, dtype=object)[order]
        self._tree = shapely.STRtree(self.polygons)
        # Prepared polygons make each point test a fast indexed look-up (several times faster
        # than letting STRtree evaluate the predicate on unprepared tree geometries).
        shapely.prepare(self.polygons)

    @classmethod
    def from_geojson(cls, path: Path, code_property: str = "lsoa_code") -> LsoaLocator:
        """Read LSOA polygons (already on British National Grid) from a GeoJSON file.

        Parameters
        ----------
        path : pathlib.Path
            A FeatureCollection whose coordinates are EPSG:27700 metres.
        code_property : str, default "lsoa_code"
            The feature property holding the LSOA code.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If a feature lacks ``code_property`` or has no polygon.
        """
        with Path(path).open(encoding="utf-8") as fh:
            features = json.load(fh)["features"]
        codes, geoms = [], []
        for i, feature in enumerate(features):
            code = (feature.get("properties") or {}).get(code_property)
            if not code:
                raise ValueError(
                    f"{path}: feature {i} has no {code_property!r} property; each feature needs "
                    f"properties {{{code_property!r}: <LSOA code>}}"
                )
            geom = shapely.geometry.shape(feature["geometry"])
            if geom.geom_type not in ("Polygon", "MultiPolygon"):
                raise ValueError(
                    f"{path}: feature {i} ({code}) is a {geom.geom_type}, not a polygon"
                )
            codes.append(code)
            geoms.append(geom)
        return cls(codes, geoms)

    def __len__(self) -> int:
        return len(self.codes)

    def locate(self, easting: npt.ArrayLike, northing: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """LSOA code of each point, or ``None`` where the point is in no LSOA.

        Parameters
        ----------
        easting, northing : array_like of float
            British National Grid metres (see :func:`asbhub.geo.to_bng`); NaN gives ``None``.

        Returns
        -------
        numpy.ndarray of object
            One LSOA code (str) or ``None`` per point, in input order.
        """
        e = np.atleast_1d(np.asarray(easting, dtype=np.float64))
        n = np.atleast_1d(np.asarray(northing, dtype=np.float64))
        if e.shape != n.shape or e.ndim != 1:
            raise ValueError(
                f"easting and northing must be 1-d and alike, not {e.shape}, {n.shape}"
            )
        out = np.full(e.shape, None, dtype=object)
        ok = np.flatnonzero(np.isfinite(e) & np.isfinite(n))
        if ok.size == 0 or len(self) == 0:
            return out
        e, n = e[ok], n[ok]
        # Bounding boxes first, then the exact test; "intersects" rather than "within" so that
        # boundary points are found, and resolved to the lowest code below.
        point_idx, poly_idx = self._tree.query(shapely.points(e, n))
        hit = shapely.intersects_xy(self.polygons[poly_idx], e[point_idx], n[point_idx])
        point_idx, poly_idx = point_idx[hit], poly_idx[hit]
        best = np.full(ok.size, len(self), dtype=np.intp)
        np.minimum.at(best, point_idx, poly_idx)
        found = best < len(self)
        out[ok[found]] = self.codes[best[found]]
        return out
