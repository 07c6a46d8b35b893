"""asbhub.geo.projection: WGS84 <-> British National Grid against published reference points."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from pyproj.transformer import TransformerGroup

from asbhub.geo import bundled_areas_folder, from_bng, to_bng


def dms(d: float, m: float, s: float) -> float:
    return d + m / 60 + s / 3600


# Ordnance Survey, "A guide to coordinate systems in Great Britain", worked example (Caister
# Water Tower): grid E 651409.903, N 313177.270. Its WGS84 position by the same EPSG:1314
# Helmert, from an independent implementation (C. Veness, movable-type.co.uk OsGridRef docs):
# 52°39'28.723"N, 1°42'57.787"E. Those seconds are rounded to 0.001" (about 3 cm).
CAISTER_LON = dms(1, 42, 57.787)
CAISTER_LAT = dms(52, 39, 28.723)
CAISTER_E, CAISTER_N = 651409.903, 313177.270


def ons_centroids() -> dict[str, np.ndarray]:
    """ONS's published LSOA centroids (WGS84 and BNG), as bundled with the polygons."""
    path = bundled_areas_folder() / "lsoa_bng.geojson"
    props = [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]
    keys = ("centroid_lon", "centroid_lat", "centroid_e", "centroid_n")
    return {k: np.array([p[k] for p in props], dtype=np.float64) for k in keys}


def test_os_worked_example_caister_water_tower() -> None:
    e, n = to_bng(CAISTER_LON, CAISTER_LAT)
    assert e == pytest.approx(CAISTER_E, abs=0.05)
    assert n == pytest.approx(CAISTER_N, abs=0.05)
    lon, lat = from_bng(CAISTER_E, CAISTER_N)
    assert lon == pytest.approx(CAISTER_LON, abs=1e-6)
    assert lat == pytest.approx(CAISTER_LAT, abs=1e-6)


def test_ons_lsoa_centroids_agree_within_two_and_a_half_metres() -> None:
    c = ons_centroids()
    assert len(c["centroid_e"]) == 642
    e, n = to_bng(c["centroid_lon"], c["centroid_lat"])
    dist = np.hypot(e - c["centroid_e"], n - c["centroid_n"])
    # ONS gives 5 decimal places of degrees (~1 m) and whole metres, and the Helmert shift is
    # good to ~2 m; measured here: mean 1.6 m, max 2.4 m.
    assert dist.max() < 2.5
    assert dist.mean() < 2.0


def test_pinned_pipeline_is_proj_own_epsg_1314() -> None:
    # Guards the literal pipeline string against a typo: PROJ's own "OSGB36 to WGS 84 (6)".
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PROJ warns that the OSTN15 grid is not installed
        group = TransformerGroup(4326, 27700, always_xy=True)
    helmert = [t for t in group.transformers if "OSGB36 to WGS 84 (6)" in t.description]
    assert helmert, [t.description for t in group.transformers]
    rng = np.random.default_rng(27700)
    lon, lat = rng.uniform(-6, 1.7, 500), rng.uniform(50, 58.5, 500)
    ref_e, ref_n = helmert[0].transform(lon, lat)
    e, n = to_bng(lon, lat)
    np.testing.assert_allclose(e, ref_e, atol=1e-6)
    np.testing.assert_allclose(n, ref_n, atol=1e-6)


def test_round_trip_across_great_britain() -> None:
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(-7, 1.8, 10_000), rng.uniform(49.9, 60.9, 10_000)
    back_lon, back_lat = from_bng(*to_bng(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-6
    assert np.abs(back_lat - lat).max() < 1e-6
    e, n = rng.uniform(0, 700_000, 1000), rng.uniform(0, 1_250_000, 1000)
    back_e, back_n = to_bng(*from_bng(e, n))
    # PROJ inverts the Helmert rotation to first order, leaving about a millimetre.
    assert np.abs(back_e - e).max() < 5e-3
    assert np.abs(back_n - n).max() < 5e-3


def test_nan_in_nan_out_and_shapes_kept() -> None:
    e, n = to_bng([-1.5, np.nan, -1.5, None], [52.9, 52.9, np.nan, 53.0])
    assert e.dtype == np.float64 and e.shape == (4,)
    assert np.isfinite(e[0]) and np.isfinite(n[0])
    assert np.isnan(e[1:]).all() and np.isnan(n[1:]).all()
    lon, lat = from_bng([433917.0, np.nan], [np.nan, 335978.0])
    assert np.isnan(lon).all() and np.isnan(lat).all()
    grid_e, grid_n = to_bng(np.full((2, 3), -1.5), np.full((2, 3), 53.0))
    assert grid_e.shape == grid_n.shape == (2, 3)
    scalar_e, _ = to_bng(-1.5, 53.0)
    assert scalar_e.shape == ()
    empty_e, empty_n = to_bng([], [])
    assert empty_e.shape == empty_n.shape == (0,)


def test_vectorised_equals_one_at_a_time() -> None:
    lon, lat = np.array([-1.9, -1.4, -1.5]), np.array([53.3, 53.2, 52.8])
    e, n = to_bng(lon, lat)
    for i in range(3):
        ei, ni = to_bng(lon[i], lat[i])
        assert (float(ei), float(ni)) == (e[i], n[i])


def test_mismatched_shapes_say_so() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        to_bng([1.0, 2.0], [52.0])
