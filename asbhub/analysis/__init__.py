"""Pure analysis functions: arrays in, typed frozen results out (no Django, no database).

Hotspots on a British National Grid lattice:

- :func:`hotspot_count`: points (or harm weight) per cell.
- :func:`hotspot_kde`: kernel density (quartic or Gaussian) on the lattice.
- :func:`hotspot_gistar`: Getis-Ord Gi* z-scores, p-values, Benjamini-Hochberg q-values and
  hot/cold classes at 90, 95 and 99% confidence.
- :func:`hotspot_classify`: new, emerging, intensifying, persistent, diminishing, sporadic and
  former hot spots over weeks or months (Mann-Kendall on each cell's Gi* z).
- :func:`harm_weights`: a weight per record from a ``{crime_type: weight}`` mapping.

Sibling families (temporal profiles, near-repeat, evaluation, ...) are re-exported here as
they are added.
"""

from .gistar import CONFIDENCE_LEVELS, GISTAR_CLASS_LABELS, HotspotGiStar, gistar_z, hotspot_gistar
from .grid import Extent, Grid, GriddedPoints, auto_cell_size, grid_points, robust_extent
from .hotspot import (
    HotspotCount,
    HotspotKDE,
    HotspotResult,
    harm_weights,
    hotspot_count,
    hotspot_kde,
)
from .hotspot_trend import TREND_CATEGORIES, HotspotTrend, hotspot_classify
from .stats import MannKendall, fdr_bh, mann_kendall, normal_p_two_sided

__all__ = [
    # hotspots
    "CONFIDENCE_LEVELS",
    "GISTAR_CLASS_LABELS",
    "TREND_CATEGORIES",
    "Extent",
    "Grid",
    "GriddedPoints",
    "HotspotCount",
    "HotspotGiStar",
    "HotspotKDE",
    "HotspotResult",
    "HotspotTrend",
    "auto_cell_size",
    "gistar_z",
    "grid_points",
    "harm_weights",
    "hotspot_classify",
    "hotspot_count",
    "hotspot_gistar",
    "hotspot_kde",
    "robust_extent",
    # statistics
    "MannKendall",
    "fdr_bh",
    "mann_kendall",
    "normal_p_two_sided",
]
