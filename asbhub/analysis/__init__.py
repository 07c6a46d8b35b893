"""Pure analysis functions: arrays in, typed frozen results out (no Django, no database).

Hotspots on a British National Grid lattice:

- :func:`hotspot_count`: points (or harm weight) per cell.
- :func:`hotspot_kde`: kernel density (quartic or Gaussian) on the lattice.
- :func:`hotspot_gistar`: Getis-Ord Gi* z-scores, p-values, Benjamini-Hochberg q-values and
  hot/cold classes at 90, 95 and 99% confidence.
- :func:`hotspot_classify`: new, emerging, intensifying, persistent, diminishing, sporadic and
  former hot spots over weeks or months (Mann-Kendall on each cell's Gi* z).
- :func:`hotspot_emerging`: ArcGIS Pro's emerging hot spot analysis (space-time Gi*,
  Mann-Kendall, new/consecutive/intensifying/persistent/diminishing/sporadic/oscillating/
  historical hot and cold spots); :func:`forecast_accuracy`: PAI, PEI, PEI* and RRI of
  hot-spot maps rolled month by month.
- :func:`harm_weights`: a weight per record from a ``{crime_type: weight}`` mapping;
  :func:`read_harm_csv` reads a documented weights file, :func:`wdd_harm` and
  :func:`evaluate_intervention_harm` weight the WDD by harm (issue #16 item 3).
- Places: :func:`place_concentration` ranks map points and streets with Poisson intervals,
  concentration and stability; :func:`patrol_squares` (issue #16 item 4).

Siblings:

- Area tables and period comparisons: :func:`area_counts`, :func:`period_compare`,
  :func:`year_on_year`, :func:`force_share` (seed 003 tables 5.13, 5.18, 5.19).
- Time: :func:`temporal_profile` (day x hour, peak window), :func:`monthly_exceedance`.
- Near repeats: :func:`near_repeat_knox`. Interventions: :func:`evaluate_intervention`,
  :func:`intervention_counts`.
- Repeats: :func:`repeat_victims`, :func:`repeat_perpetrators`, :func:`repeat_locations`,
  :func:`repeat_addresses`, :func:`repeat_recall`.
- Contact handling: :func:`call_kpis`, :func:`triage_vs_main`.
"""

from .calls import CallKpis, TriageVsMain, call_kpis, format_hms, triage_vs_main
from .emerging import (
    EMERGING_CATEGORIES,
    EmergingCube,
    HotspotEmerging,
    emerging_cube,
    hotspot_emerging,
    spacetime_gistar_z,
)
from .evaluation import (
    InterventionCounts,
    InterventionEvaluation,
    InterventionTally,
    evaluate_intervention,
    intervention_counts,
)
from .forecast import (
    AREA_SHARES,
    FORECAST_METHODS,
    ForecastAccuracy,
    ForecastRow,
    ForecastScore,
    forecast_accuracy,
    forecast_scores,
)
from .gistar import (
    CONFIDENCE_LEVELS,
    GISTAR_CLASS_LABELS,
    GISTAR_MIN_CELLS,
    GISTAR_MIN_RECORDS,
    HotspotGiStar,
    gistar_too_few,
    gistar_z,
    hotspot_gistar,
)
from .grid import Extent, Grid, GriddedPoints, auto_cell_size, grid_points, robust_extent
from .harm import (
    HarmFileError,
    HarmWDD,
    HarmWeights,
    evaluate_intervention_harm,
    harm_rows,
    harm_summary,
    parse_harm_csv,
    read_harm_csv,
    wdd_harm,
)
from .hotspot import (
    HotspotCount,
    HotspotKDE,
    HotspotResult,
    harm_weights,
    hotspot_count,
    hotspot_kde,
)
from .hotspot_trend import TREND_CATEGORIES, HotspotTrend, hotspot_classify
from .near_repeat import KnoxBands, NearRepeatKnox, near_repeat_knox
from .places import (
    PatrolSquares,
    PlaceConcentration,
    PlaceStability,
    gini,
    gini_generalized,
    patrol_squares,
    place_concentration,
    poisson_interval,
)
from .repeats import (
    RepeatAddresses,
    RepeatLocations,
    RepeatPerpetrators,
    RepeatRecall,
    RepeatResult,
    RepeatVictims,
    repeat_addresses,
    repeat_locations,
    repeat_perpetrators,
    repeat_recall,
    repeat_victims,
)
from .stats import MannKendall, fdr_bh, mann_kendall, normal_p_two_sided
from .tables import (
    AreaCounts,
    ForceShare,
    PeriodComparison,
    YearOnYear,
    area_counts,
    force_share,
    period_compare,
    with_areas,
    year_on_year,
)
from .temporal import (
    MonthlyExceedance,
    PeakWindow,
    TemporalProfile,
    monthly_exceedance,
    temporal_profile,
)

__all__ = [
    # hotspots
    "CONFIDENCE_LEVELS",
    # emerging hot spots (issue #16)
    "EMERGING_CATEGORIES",
    "EmergingCube",
    "HotspotEmerging",
    "emerging_cube",
    "hotspot_emerging",
    "spacetime_gistar_z",
    # forecast accuracy (issue #16)
    "AREA_SHARES",
    "FORECAST_METHODS",
    "ForecastAccuracy",
    "ForecastRow",
    "ForecastScore",
    "forecast_accuracy",
    "forecast_scores",
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
    "GISTAR_MIN_CELLS",
    "GISTAR_MIN_RECORDS",
    "gistar_too_few",
    "gistar_z",
    "grid_points",
    "harm_weights",
    "hotspot_classify",
    "hotspot_count",
    "hotspot_gistar",
    "hotspot_kde",
    "robust_extent",
    # harm and places (issue #16 items 3 and 4)
    "HarmFileError",
    "HarmWDD",
    "HarmWeights",
    "PatrolSquares",
    "PlaceConcentration",
    "PlaceStability",
    "evaluate_intervention_harm",
    "gini",
    "gini_generalized",
    "harm_rows",
    "harm_summary",
    "parse_harm_csv",
    "patrol_squares",
    "place_concentration",
    "poisson_interval",
    "read_harm_csv",
    "wdd_harm",
    # statistics
    "MannKendall",
    "fdr_bh",
    "mann_kendall",
    "normal_p_two_sided",
    # area tables and periods
    "AreaCounts",
    "ForceShare",
    "PeriodComparison",
    "YearOnYear",
    "area_counts",
    "force_share",
    "period_compare",
    "with_areas",
    "year_on_year",
    # time
    "MonthlyExceedance",
    "PeakWindow",
    "TemporalProfile",
    "monthly_exceedance",
    "temporal_profile",
    # near repeats and interventions
    "InterventionCounts",
    "InterventionEvaluation",
    "InterventionTally",
    "KnoxBands",
    "NearRepeatKnox",
    "evaluate_intervention",
    "intervention_counts",
    "near_repeat_knox",
    # repeats
    "RepeatAddresses",
    "RepeatLocations",
    "RepeatPerpetrators",
    "RepeatRecall",
    "RepeatResult",
    "RepeatVictims",
    "repeat_addresses",
    "repeat_locations",
    "repeat_perpetrators",
    "repeat_recall",
    "repeat_victims",
    # contact handling
    "CallKpis",
    "TriageVsMain",
    "call_kpis",
    "format_hms",
    "triage_vs_main",
]
