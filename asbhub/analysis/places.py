"""Places that concentrate crime: data.police.uk map points and streets ranked with honest
uncertainty, how concentrated the records are, how stable month to month, and candidate
patrol squares (issue #16 item 4).

data.police.uk moves each record to an anonymised map point with a description such as "On
or near Market Place". Here:

- a **map point** is one published point: the same coordinates and description;
- a **street** joins the map points that share a description and lie within ``street_join``
  metres of one another (single linkage), so "On or near High Street" in Buxton and in Belper
  stay two streets while the several points along one street become one;
- a **patrol square** is a cell of a square lattice on British National Grid anchored at
  multiples of its side (150 m by default, the small hot spots of the Home Office's Hotspot
  Action Fund), ranked by records or harm.

Each count has an exact (Garwood) Poisson interval: ``[chi2(a/2, 2n) / 2, chi2(1 - a/2,
2n + 2) / 2]``, so a street with 3 records this month is not read as surely worse than one
with 2. Concentration is reported as the share of places holding 25% and 50% of records, the
concentration curve (places from busiest to quietest against the share of records) and the
Gini coefficient, with Bernasco and Steenbeek's (2017) generalized Gini for the common case of
fewer records than places. Stability is the Spearman rank correlation of each place's counts
in consecutive months and the share of the top places that stay top.

The places data.police.uk shows are only those with at least one record in the data read: a
quiet street never appears. The universe of places is therefore every place seen in the data
given (all months of the selection); pass ``universe`` to count places known from elsewhere
(e.g. every map point of all crime types).

Pure: arrays in, frozen results out; no Django, no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = [
    "PLACE_LEVELS",
    "PatrolSquares",
    "PlaceConcentration",
    "PlaceStability",
    "gini",
    "gini_generalized",
    "patrol_squares",
    "place_concentration",
    "poisson_interval",
]

PlaceLevel = Literal["point", "street"]
RankBy = Literal["count", "harm"]

#: The levels places are ranked at.
PLACE_LEVELS: tuple[PlaceLevel, ...] = ("point", "street")

#: Metres within which map points with the same description join one street.
DEFAULT_STREET_JOIN = 400.0


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def poisson_interval(
    counts: ArrayLike, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact (Garwood) interval for the mean of a Poisson count.

    ``low = chi2.ppf(a / 2, 2 n) / 2`` (0 for ``n = 0``) and ``high = chi2.ppf(1 - a / 2,
    2 n + 2) / 2`` with ``a = 1 - confidence``; computed as the inverse regularised gamma
    function, which is the same quantity.

    Examples
    --------
    >>> low, high = poisson_interval([0, 10])
    >>> [round(float(v), 3) for v in low], [round(float(v), 3) for v in high]
    ([0.0, 4.795], [3.689, 18.39])
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, e.g. 0.95; got {confidence!r}")
    n = np.asarray(counts, dtype=np.float64)
    a = 1.0 - confidence
    low = np.where(n > 0, special.gammaincinv(np.maximum(n, 1e-300), a / 2), 0.0)
    high = special.gammaincinv(n + 1.0, 1.0 - a / 2)
    return low, high


def gini(counts: ArrayLike) -> float:
    """Gini coefficient of counts over units, zeros included.

    ``G = 2 sum_i i c_(i) / (n sum c) - (n + 1) / n`` with the counts sorted ascending and
    ``i = 1..n``: 0 when every unit has the same count, ``(n - 1) / n`` when one unit has
    them all.

    Examples
    --------
    >>> gini([0, 0, 0, 4])
    0.75
    """
    c = np.sort(np.asarray(counts, dtype=np.float64).ravel())
    n = c.size
    total = float(c.sum())
    if n == 0 or total <= 0:
        return math.nan
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.dot(i, c) / (n * total) - (n + 1.0) / n)


def gini_generalized(counts: ArrayLike) -> float:
    """Bernasco and Steenbeek's (2017) generalized Gini, for fewer records than places.

    With ``N`` records over ``n`` places and ``N < n``, even the most even spread leaves
    ``n - N`` places empty, so the ordinary Gini cannot fall below ``1 - N / n`` and reads a
    thin month as "concentrated". The generalized Gini measures against the line of maximal
    equality (``N`` places with one record each) instead:

    ``G' = max(1, n / N) * G + min(0, 1 - n / N)``

    equal to ``G`` when ``N >= n``, and 0 when every record is at a different place.

    Bernasco, W., & Steenbeek, W. (2017). More places than crimes: implications for
    evaluating the law of crime concentration at place. *Journal of Quantitative
    Criminology*, 33(3), 451-467.

    Examples
    --------
    >>> round(gini([1, 1, 0, 0]), 3), gini_generalized([1, 1, 0, 0])
    (0.5, 0.0)
    """
    c = np.asarray(counts, dtype=np.float64).ravel()
    g = gini(c)
    n, total = c.size, float(c.sum())
    if math.isnan(g):
        return g
    ratio = n / total
    return float(max(1.0, ratio) * g + min(0.0, 1.0 - ratio))


def _share_holding(sorted_desc: NDArray[np.float64], n_places: int, part: float) -> float:
    """Share of places (the busiest first) needed to hold ``part`` of the total."""
    total = float(sorted_desc.sum())
    if total <= 0 or n_places == 0:
        return math.nan
    cum = np.cumsum(sorted_desc)
    # A small tolerance so that exactly half is "reached" despite float sums.
    k = int(np.searchsorted(cum, part * total - 1e-9 * total, side="left")) + 1
    return k / n_places


def _spearman(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Spearman's rho: Pearson's correlation of average ranks (ties share a rank)."""
    if a.size < 2:
        return math.nan
    ra, rb = _average_ranks(a), _average_ranks(b)
    ra -= ra.mean()
    rb -= rb.mean()
    den = math.sqrt(float(np.dot(ra, ra)) * float(np.dot(rb, rb)))
    return math.nan if den == 0 else float(np.dot(ra, rb) / den)


def _average_ranks(v: NDArray[np.float64]) -> NDArray[np.float64]:
    order = np.argsort(v, kind="stable")
    sv = v[order]
    # Runs of equal values share the mean of their positions (1-based).
    starts = np.r_[0, np.flatnonzero(np.diff(sv)) + 1]
    ends = np.r_[starts[1:], sv.size]
    mean_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(v.size)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PlaceStability:
    """How the ranking holds from one month to the next.

    Attributes
    ----------
    months : tuple of str
        The months, in order.
    records : ndarray of int64
        Records per month.
    gini, gini_generalized : ndarray of float64
        Per month, over the universe of places.
    spearman : ndarray of float64
        Rank correlation of the places' counts in month ``t`` and ``t + 1`` (one fewer than
        the months); NaN where a month has no records.
    top_retained : ndarray of float64
        Of the top places in month ``t`` (those with at least the count of the ``top``-th
        busiest, and at least one record), the share also top in month ``t + 1``.
    top : int
    """

    months: tuple[str, ...]
    records: NDArray[np.int64]
    gini: NDArray[np.float64]
    gini_generalized: NDArray[np.float64]
    spearman: NDArray[np.float64]
    top_retained: NDArray[np.float64]
    top: int


@dataclass(frozen=True, eq=False)
class PlaceConcentration:
    """Places ranked busiest first, and how concentrated the records are.

    Attributes
    ----------
    level : {"point", "street"}
    rank_by : {"count", "harm"}
    labels : tuple of str
        Each place's description ("On or near Market Place").
    areas : tuple of str
        The area given for each place's busiest map point (e.g. its district), or "".
    easting, northing : ndarray of float64
        A map point of each place (for a street, its busiest point).
    counts : ndarray of int64
    ci_low, ci_high : ndarray of float64
        Exact Poisson interval of each count at ``confidence``.
    harm : ndarray of float64 or None
        Sum of harm weights per place, when weights were given.
    n_points : ndarray of int64
        Map points in each place (1 at the point level).
    share, cumulative_share : ndarray of float64
        The place's share of the records (or of the harm, ranked by harm), and that of it and
        every busier place.
    n_records : int
        Records with a place (used).
    n_without_place : int
        Records given with no published place (left out).
    n_places : int
        Places with at least one record.
    universe : int
        Places counted for the concentration (with zeros): ``n_places`` unless given.
    share_for_25, share_for_50 : float
        Share of the universe's places, busiest first, holding 25% and 50% of the records.
    gini, gini_generalized : float
    curve_x, curve_y : ndarray of float64
        The concentration curve: share of places (busiest first) and share of records, from
        (0, 0) to (1, 1).
    stability : PlaceStability or None
        When months were given.
    confidence : float
    street_join : float
        Metres (used at the street level).
    """

    level: PlaceLevel
    rank_by: RankBy
    labels: tuple[str, ...]
    areas: tuple[str, ...]
    easting: NDArray[np.float64]
    northing: NDArray[np.float64]
    counts: NDArray[np.int64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    harm: NDArray[np.float64] | None
    n_points: NDArray[np.int64]
    share: NDArray[np.float64]
    cumulative_share: NDArray[np.float64]
    n_records: int
    n_without_place: int
    n_places: int
    universe: int
    share_for_25: float
    share_for_50: float
    gini: float
    gini_generalized: float
    curve_x: NDArray[np.float64]
    curve_y: NDArray[np.float64]
    stability: PlaceStability | None
    confidence: float
    street_join: float

    def parameters(self) -> dict[str, object]:
        """The settings, JSON-ready, for a stamp."""
        return {
            "level": self.level,
            "rank_by": self.rank_by,
            "confidence": self.confidence,
            "street_join_m": self.street_join if self.level == "street" else None,
            "universe": self.universe,
            "top": None if self.stability is None else self.stability.top,
            "interval": "exact Poisson (Garwood)",
            "gini": "Bernasco and Steenbeek (2017) generalized Gini",
        }


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------


def _check_xy(x: ArrayLike, y: ArrayLike, n: int) -> tuple[NDArray[np.float64], ...]:
    xx = np.asarray(x, dtype=np.float64).ravel()
    yy = np.asarray(y, dtype=np.float64).ravel()
    if xx.size != n or yy.size != n:
        raise ValueError(
            f"labels, x and y must have one entry per record; got {n}, {xx.size} and {yy.size}"
        )
    return xx, yy


def _weights(weights: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n:
        raise ValueError(f"weights must have one entry per record: {w.size} for {n} records")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError("weights must be numbers 0 or more (harm weights per record)")
    return w


def _street_groups(
    point_labels: NDArray[np.intp], px: NDArray[np.float64], py: NDArray[np.float64], join: float
) -> NDArray[np.intp]:
    """Street id of each map point: same description and chained within ``join`` metres."""
    n = px.size
    tree = cKDTree(np.column_stack([px, py]))
    pairs = tree.query_pairs(join, output_type="ndarray")
    if pairs.size:
        same = point_labels[pairs[:, 0]] == point_labels[pairs[:, 1]]
        pairs = pairs[same]
    graph = coo_matrix(
        (np.ones(pairs.shape[0], dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    )
    _, ids = connected_components(graph, directed=False)
    out: NDArray[np.intp] = np.asarray(ids, dtype=np.intp)
    return out


def place_concentration(
    labels: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    *,
    months: ArrayLike | None = None,
    level: PlaceLevel = "point",
    weights: ArrayLike | None = None,
    rank_by: RankBy = "count",
    confidence: float = 0.95,
    street_join: float = DEFAULT_STREET_JOIN,
    universe: int | None = None,
    top: int = 20,
    areas: ArrayLike | None = None,
) -> PlaceConcentration:
    """Rank places by records (or harm) and measure how concentrated they are.

    Parameters
    ----------
    labels : (n,) array_like of str or None
        Each record's published place description ("On or near Market Place"); None or ""
        for a record with no place (left out and counted in ``n_without_place``).
    x, y : (n,) array_like of float
        Eastings and northings of the map points (EPSG:27700); NaN for no place.
    months : (n,) array_like of str, optional
        ``'YYYY-MM'`` of each record, for the month-to-month stability.
    level : {"point", "street"}
    weights : (n,) array_like of float, optional
        Harm weight per record (:func:`~asbhub.analysis.harm_weights`).
    rank_by : {"count", "harm"}
        ``"harm"`` needs ``weights``; the shares and the concentration are then of harm.
    confidence : float, default 0.95
        Of the Poisson intervals.
    street_join : float, default 400
        Metres within which map points with the same description join one street.
    universe : int, optional
        Number of places to measure concentration over, if more are known than appear here.
    top : int, default 20
        How many top places the month-to-month retention follows.
    areas : (n,) array_like of str, optional
        An area name per record (e.g. the district of its LSOA), reported for each place so
        that two "On or near High Street" can be told apart.

    Returns
    -------
    PlaceConcentration

    Examples
    --------
    >>> r = place_concentration(["On or near A", "On or near A", "On or near B"],
    ...                         [0.0, 0.0, 500.0], [0.0, 0.0, 0.0])
    >>> r.labels, r.counts.tolist(), r.share_for_50
    (('On or near A', 'On or near B'), [2, 1], 0.5)
    """
    if level not in PLACE_LEVELS:
        raise ValueError(f"level must be one of {', '.join(PLACE_LEVELS)}, got {level!r}")
    if rank_by not in ("count", "harm"):
        raise ValueError(f"rank_by must be 'count' or 'harm', got {rank_by!r}")
    if not (math.isfinite(street_join) and street_join > 0):
        raise ValueError(f"street_join must be a positive number of metres, got {street_join!r}")
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ValueError(f"top must be a whole number 1 or more, got {top!r}")
    lab = np.asarray(labels, dtype=object).ravel()
    n = lab.size
    xx, yy = _check_xy(x, y, n)
    w = _weights(weights, n)
    if rank_by == "harm" and w is None:
        raise ValueError("rank_by='harm' needs weights (a harm weight per record)")
    text = np.array([v if isinstance(v, str) else "" for v in lab], dtype=object)
    has = (text != "") & np.isfinite(xx) & np.isfinite(yy)
    idx = np.flatnonzero(has)
    # A map point: its description and coordinates (to a decimetre: every record at one
    # published point projects to the same coordinates).
    keys = np.array([f"{text[i]}|{round(xx[i], 1)}|{round(yy[i], 1)}" for i in idx], dtype=object)
    if idx.size == 0:
        raise ValueError(
            f"none of the {n:,} records has a published place (an 'On or near ...' "
            "description with a map point); give data.police.uk street records"
        )
    point_keys, point_of = np.unique(keys, return_inverse=True)
    point_of = point_of.ravel()
    first = np.zeros(point_keys.size, dtype=np.intp)
    first[point_of[::-1]] = idx[::-1]
    px, py = xx[first], yy[first]
    point_text = text[first]
    if level == "street":
        _, label_id = np.unique(point_text.astype(str), return_inverse=True)
        group_of_point = _street_groups(label_id.ravel().astype(np.intp), px, py, street_join)
    else:
        group_of_point = np.arange(point_keys.size, dtype=np.intp)
    group = group_of_point[point_of]
    n_groups = int(group_of_point.max()) + 1
    counts = np.bincount(group, minlength=n_groups).astype(np.int64)
    harm = (
        None
        if w is None
        else np.bincount(group, weights=w[idx], minlength=n_groups).astype(np.float64)
    )
    point_counts = np.bincount(point_of, minlength=point_keys.size)
    # The busiest map point of each place stands for it on a map.
    order_pts = np.lexsort((np.arange(point_keys.size), -point_counts, group_of_point))
    rep = np.full(n_groups, -1, dtype=np.intp)
    g_sorted = group_of_point[order_pts]
    firsts = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    rep[g_sorted[firsts]] = order_pts[firsts]
    n_points = np.bincount(group_of_point, minlength=n_groups).astype(np.int64)

    if areas is None:
        place_areas = np.full(n_groups, "", dtype=object)
    else:
        area_of = np.asarray(areas, dtype=object).ravel()
        if area_of.size != n:
            raise ValueError(f"areas must have one entry per record: {area_of.size} for {n}")
        place_areas = np.array(
            [a if isinstance(a, str) else "" for a in area_of[first[rep]]], dtype=object
        )
    value = counts.astype(np.float64) if rank_by == "count" or harm is None else harm
    group_labels = point_text[rep].astype(str)
    order = np.lexsort((group_labels, -counts, -value))
    low, high = poisson_interval(counts[order], confidence)
    total = float(value.sum())
    sorted_value = value[order]
    share = sorted_value / total if total > 0 else np.zeros(n_groups)
    n_places = n_groups
    if universe is None:
        universe = n_places
    elif universe < n_places:
        raise ValueError(
            f"universe ({universe}) is smaller than the {n_places} places with records"
        )
    padded = np.r_[sorted_value, np.zeros(universe - n_places)]
    cum = np.cumsum(padded)
    curve_x = np.arange(universe + 1) / universe
    curve_y = np.r_[0.0, cum / total] if total > 0 else np.zeros(universe + 1)
    stability = None
    if months is not None:
        stability = _stability(np.asarray(months).ravel(), idx, group, n_groups, universe, top)
    return PlaceConcentration(
        level=level,
        rank_by=rank_by,
        labels=tuple(group_labels[order].tolist()),
        areas=tuple(place_areas[order].tolist()),
        easting=px[rep][order],
        northing=py[rep][order],
        counts=counts[order],
        ci_low=low,
        ci_high=high,
        harm=None if harm is None else harm[order],
        n_points=n_points[order],
        share=share,
        cumulative_share=np.cumsum(share),
        n_records=int(idx.size),
        n_without_place=int(n - idx.size),
        n_places=n_places,
        universe=int(universe),
        share_for_25=_share_holding(padded, universe, 0.25),
        share_for_50=_share_holding(padded, universe, 0.50),
        gini=gini(padded),
        gini_generalized=gini_generalized(padded),
        curve_x=curve_x,
        curve_y=curve_y,
        stability=stability,
        confidence=confidence,
        street_join=float(street_join),
    )


def _stability(
    months: NDArray[np.generic],
    idx: NDArray[np.intp],
    group: NDArray[np.intp],
    n_groups: int,
    universe: int,
    top: int,
) -> PlaceStability:
    if months.size <= int(idx.max()):
        raise ValueError("months must have one entry per record")
    m_text = np.array([str(v)[:7] for v in months[idx]])
    month_names, month_of = np.unique(m_text, return_inverse=True)
    nm = month_names.size
    table = np.zeros((nm, universe))
    np.add.at(table, (month_of.ravel(), group), 1.0)
    records = table.sum(axis=1).astype(np.int64)
    g = np.array([gini(row) for row in table])
    gg = np.array([gini_generalized(row) for row in table])
    rho = np.full(max(nm - 1, 0), math.nan)
    kept = np.full(max(nm - 1, 0), math.nan)
    for t in range(nm - 1):  # bounded: one pass per pair of consecutive months
        a, b = table[t], table[t + 1]
        if a.sum() > 0 and b.sum() > 0:
            rho[t] = _spearman(a, b)
            top_a, top_b = _top_set(a, top), _top_set(b, top)
            kept[t] = len(top_a & top_b) / len(top_a)
    return PlaceStability(
        months=tuple(month_names.tolist()),
        records=records,
        gini=g,
        gini_generalized=gg,
        spearman=rho,
        top_retained=kept,
        top=top,
    )


def _top_set(counts: NDArray[np.float64], top: int) -> set[int]:
    """Places with a record and at least the count of the ``top``-th busiest (ties kept)."""
    positive = counts[counts > 0]
    if positive.size == 0:
        return set()
    k = min(top, positive.size)
    threshold = np.sort(positive)[::-1][k - 1]
    return set(np.flatnonzero(counts >= threshold).tolist())


# --------------------------------------------------------------------------------------------
# Patrol squares
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PatrolSquares:
    """The busiest squares of a lattice, candidates for hot spot patrols.

    Attributes
    ----------
    size : float
        Side of each square in metres.
    rank_by : {"count", "harm"}
    x0, y0 : ndarray of float64
        South-west corner of each chosen square (EPSG:27700), busiest first.
    counts : ndarray of int64
    ci_low, ci_high : ndarray of float64
        Exact Poisson interval of each count.
    harm : ndarray of float64 or None
    share : ndarray of float64
        Of all records (or of all harm) in the data.
    n_records : int
        Records with coordinates.
    n_squares_with_records : int
    confidence : float
    """

    size: float
    rank_by: RankBy
    x0: NDArray[np.float64]
    y0: NDArray[np.float64]
    counts: NDArray[np.int64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    harm: NDArray[np.float64] | None
    share: NDArray[np.float64]
    n_records: int
    n_squares_with_records: int
    confidence: float


def patrol_squares(
    x: ArrayLike,
    y: ArrayLike,
    *,
    size: float = 150.0,
    n: int = 20,
    weights: ArrayLike | None = None,
    rank_by: RankBy = "count",
    confidence: float = 0.95,
) -> PatrolSquares:
    """The ``n`` busiest squares of side ``size`` on British National Grid.

    The lattice is anchored at multiples of ``size`` (so squares from different runs line
    up), and a square holds the records whose map point lies in ``[x0, x0 + size) x
    [y0, y0 + size)``. Ties are broken by the other measure, then south-west first.

    Examples
    --------
    >>> sq = patrol_squares([10.0, 20.0, 400.0], [10.0, 140.0, 10.0], size=150, n=1)
    >>> sq.x0.tolist(), sq.y0.tolist(), sq.counts.tolist()
    ([0.0], [0.0], [2])
    """
    if not (math.isfinite(size) and size > 0):
        raise ValueError(f"size must be a positive number of metres, e.g. 150; got {size!r}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a whole number 1 or more, got {n!r}")
    xx = np.asarray(x, dtype=np.float64).ravel()
    yy = np.asarray(y, dtype=np.float64).ravel()
    if xx.size != yy.size:
        raise ValueError(f"x and y must be the same length; got {xx.size} and {yy.size}")
    w = _weights(weights, xx.size)
    if rank_by not in ("count", "harm"):
        raise ValueError(f"rank_by must be 'count' or 'harm', got {rank_by!r}")
    if rank_by == "harm" and w is None:
        raise ValueError("rank_by='harm' needs weights (a harm weight per record)")
    ok = np.isfinite(xx) & np.isfinite(yy)
    ix = np.floor(xx[ok] / size).astype(np.int64)
    iy = np.floor(yy[ok] / size).astype(np.int64)
    cells, inverse = np.unique(np.column_stack([ix, iy]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    counts = np.bincount(inverse, minlength=cells.shape[0]).astype(np.int64)
    harm = (
        None
        if w is None
        else np.bincount(inverse, weights=w[ok], minlength=cells.shape[0]).astype(np.float64)
    )
    value = counts.astype(np.float64) if rank_by == "count" or harm is None else harm
    other = (
        counts.astype(np.float64) if rank_by == "harm" else (harm if harm is not None else value)
    )
    order = np.lexsort((cells[:, 0], cells[:, 1], -other, -value))[:n]
    low, high = poisson_interval(counts[order], confidence)
    total = float(value.sum())
    return PatrolSquares(
        size=float(size),
        rank_by=rank_by,
        x0=cells[order, 0].astype(np.float64) * size,
        y0=cells[order, 1].astype(np.float64) * size,
        counts=counts[order],
        ci_low=low,
        ci_high=high,
        harm=None if harm is None else harm[order],
        share=value[order] / total if total > 0 else np.zeros(order.size),
        n_records=int(ok.sum()),
        n_squares_with_records=int(cells.shape[0]),
        confidence=confidence,
    )
