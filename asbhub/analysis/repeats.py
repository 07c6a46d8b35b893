"""Repeat victims and repeat locations over a rolling window (pure: polars frames in, typed
frozen results out).

A **repeat victim** (DESIGN.md, configurable) is a person with more than one recorded crime
or ASB incident in 12 months: here, a person key with at least ``min_count`` distinct
qualifying incidents dated in the window ``(as_of - window_days, as_of]``. An incident
qualifies for a person when they are its victim, or its caller on an ASB incident (the caller
of an ASB incident is usually the person it affects). Records of contact (ROCs) are not
recorded incidents and do not count by default.

A **repeat location** is a place with at least ``min_count`` qualifying incidents in the
window: the same point (``distance_m=0``), or points within ``distance_m`` metres of one
another on British National Grid (see :func:`repeat_locations`).

Both say whether each repeat is **new** (not a repeat in the window ending at ``since``) or
**rising** (a repeat then too, with more incidents in the window now than then).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

__all__ = ["RepeatLocations", "RepeatVictims", "repeat_locations", "repeat_victims"]

DEFAULT_RECORD_TYPES: tuple[str, ...] = ("crime", "asb")
DEFAULT_ROLES: tuple[tuple[str, str | None], ...] = (("victim", None), ("caller", "asb"))


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _date_expr(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.date()
    if dtype == pl.Date:
        return pl.col(column)
    return pl.col(column).cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


@dataclass(frozen=True)
class RepeatVictims:
    """Result of :func:`repeat_victims`.

    Attributes
    ----------
    table : polars.DataFrame
        One row per repeat victim, most incidents first: ``person_key``, ``n_incidents`` (in
        the window ending at ``as_of``), ``first_date``, ``last_date``, ``n_before``
        (incidents in the window ending at ``since``; null without ``since``), ``new``,
        ``rising`` (null without ``since``), ``incident_ids`` (sorted).
    person_key, window_days, min_count, as_of, since, record_types, roles
        The parameters used; ``roles`` as ``(role, record type or None for any)`` pairs.
    n_rows, n_rows_without_key : int
        Qualifying person rows in the window, and those left out for having no key.
    """

    table: pl.DataFrame
    person_key: str
    window_days: int
    min_count: int
    as_of: dt.date
    since: dt.date | None
    record_types: tuple[str, ...]
    roles: tuple[tuple[str, str | None], ...]
    n_rows: int
    n_rows_without_key: int
    parameters: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", {
            "person_key": self.person_key, "window_days": self.window_days,
            "min_count": self.min_count, "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "record_types": list(self.record_types),
            "roles": [f"{r} ({t or 'any'})" for r, t in self.roles]})

    @property
    def n_repeat(self) -> int:
        return self.table.height

    def new_or_rising(self) -> pl.DataFrame:
        """Rows that are new or rising since ``since`` (all rows without ``since``)."""
        if self.since is None:
            return self.table
        return self.table.filter(pl.col("new") | pl.col("rising"))


def _window_counts(rows: pl.DataFrame, key: str, as_of: dt.date, window_days: int
                   ) -> pl.DataFrame:
    lo = as_of - dt.timedelta(days=window_days)
    inside = rows.filter((pl.col("_date") > lo) & (pl.col("_date") <= as_of))
    return inside.group_by(key).agg(
        pl.col("_incident").n_unique().alias("n_incidents"),
        pl.col("_date").min().alias("first_date"),
        pl.col("_date").max().alias("last_date"),
        pl.col("_incident").unique().sort().alias("incident_ids"),
    )


def repeat_victims(
    incidents_people: pl.DataFrame,
    person_key: str = "person_id",
    window_days: int = 365,
    min_count: int = 2,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    *,
    incident_column: str = "incident_id",
    date_column: str = "occurred_from",
    record_types: tuple[str, ...] = DEFAULT_RECORD_TYPES,
    roles: tuple[tuple[str, str | None], ...] = DEFAULT_ROLES,
) -> RepeatVictims:
    """People with at least ``min_count`` qualifying incidents in the window.

    Parameters
    ----------
    incidents_people : polars.DataFrame
        One row per person per incident: ``incident_column``, ``date_column`` (date,
        datetime or ISO text; its date is the incident's date), ``record_type``, ``role``
        and ``person_key``.
    person_key : str
        The column that says who is who: a true id in tests, a linkage cluster, or an
        interim key. Rows with a null key are left out (and counted).
    window_days : int
        The window is ``(as_of - window_days, as_of]``, by date.
    min_count : int
        Distinct incidents needed; 2 is "more than one".
    as_of : date or str, optional
        Last day of the window; default the latest date in the data.
    since : date or str, optional
        The date of the previous look: a repeat is *new* if it was not one in the window
        ending at ``since``, and *rising* if it was but has more incidents now.
    incident_column, date_column : str
    record_types : tuple of str
        Record types that count (default crime and ASB incidents, not ROCs).
    roles : tuple of (str, str or None)
        Roles that count, each with the record type it is limited to (None: any).

    Returns
    -------
    RepeatVictims
    """
    if window_days < 1 or min_count < 1:
        raise ValueError("window_days and min_count must be at least 1")
    role_ok = pl.lit(False)
    for role, rtype in roles:
        cond = pl.col("role") == role
        if rtype is not None:
            cond &= pl.col("record_type") == rtype
        role_ok |= cond
    rows = incidents_people.select(
        pl.col(incident_column).alias("_incident"),
        _date_expr(incidents_people, date_column).alias("_date"),
        pl.col("record_type"), pl.col("role"), pl.col(person_key).alias("_key"),
    ).filter(pl.col("record_type").is_in(list(record_types)) & role_ok
             & pl.col("_date").is_not_null())
    if as_of is None:
        as_of_d = rows["_date"].max() or dt.date.today()
    else:
        as_of_d = _as_date(as_of)
    since_d = _as_date(since) if since is not None else None
    lo = as_of_d - dt.timedelta(days=window_days)
    in_window = rows.filter((pl.col("_date") > lo) & (pl.col("_date") <= as_of_d))
    n_rows = in_window.height
    n_no_key = in_window.filter(pl.col("_key").is_null()).height
    keyed = rows.filter(pl.col("_key").is_not_null())
    now = _window_counts(keyed, "_key", as_of_d, window_days).filter(
        pl.col("n_incidents") >= min_count)
    if since_d is not None:
        before = _window_counts(keyed, "_key", since_d, window_days).select(
            "_key", pl.col("n_incidents").alias("n_before"))
        now = now.join(before, on="_key", how="left").with_columns(
            pl.col("n_before").fill_null(0))
        now = now.with_columns(
            (pl.col("n_before") < min_count).alias("new"),
            ((pl.col("n_before") >= min_count)
             & (pl.col("n_incidents") > pl.col("n_before"))).alias("rising"))
    else:
        now = now.with_columns(pl.lit(None, pl.Int64).alias("n_before"),
                               pl.lit(True).alias("new"), pl.lit(None, pl.Boolean).alias("rising"))
    table = now.rename({"_key": "person_key"}).select(
        "person_key", "n_incidents", "first_date", "last_date", "n_before", "new", "rising",
        "incident_ids").sort(["n_incidents", "last_date", "person_key"],
                             descending=[True, True, False])
    return RepeatVictims(table, person_key, window_days, min_count, as_of_d, since_d,
                         tuple(record_types), tuple(roles), n_rows, n_no_key)


@dataclass(frozen=True)
class RepeatLocations:
    """Result of :func:`repeat_locations`.

    Attributes
    ----------
    table : polars.DataFrame
        One row per repeat location, most incidents first: ``easting``, ``northing`` (the
        centre: a point with incidents), ``n_incidents`` (incidents within ``distance_m`` of the
        centre in the window ending at ``as_of``), ``first_date``, ``last_date``, ``n_before``,
        ``new``, ``rising`` (as :class:`RepeatVictims`), ``incident_ids``, and the first
        ``location_text`` seen at the centre if the input has one.
    distance_m, window_days, min_count, as_of, since, record_types
        The parameters used.
    n_incidents_used, n_without_point : int
        Qualifying incidents in the window, and those left out for having no coordinates.
    """

    table: pl.DataFrame
    distance_m: float
    window_days: int
    min_count: int
    as_of: dt.date
    since: dt.date | None
    record_types: tuple[str, ...]
    n_incidents_used: int
    n_without_point: int
    parameters: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", {
            "distance_m": self.distance_m, "window_days": self.window_days,
            "min_count": self.min_count, "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "record_types": list(self.record_types)})

    @property
    def n_repeat(self) -> int:
        return self.table.height

    def new_or_rising(self) -> pl.DataFrame:
        """Rows that are new or rising since ``since`` (all rows without ``since``)."""
        if self.since is None:
            return self.table
        return self.table.filter(pl.col("new") | pl.col("rising"))


def _neighbour_sets(points: np.ndarray, distance_m: float) -> list[list[int]]:
    """For each distinct point, the distinct points within ``distance_m`` (itself included)."""
    if distance_m <= 0:
        return [[i] for i in range(len(points))]
    tree = cKDTree(points)
    return [sorted(x) for x in tree.query_ball_point(points, r=distance_m)]


def repeat_locations(
    incidents: pl.DataFrame,
    distance_m: float = 0.0,
    window_days: int = 365,
    min_count: int = 3,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    *,
    incident_column: str = "incident_id",
    date_column: str = "occurred_from",
    record_types: tuple[str, ...] = DEFAULT_RECORD_TYPES,
) -> RepeatLocations:
    """Places with at least ``min_count`` qualifying incidents in the window.

    Each distinct point (exact easting and northing) counts the incidents at points within
    ``distance_m`` of it, itself included (with ``distance_m=0``, at the point alone). Points
    reaching ``min_count`` become repeat locations greedily: the point with most incidents
    first (ties by easting, then northing), then the next that is further than ``distance_m``
    from every one already chosen, so one cluster is listed once.

    Parameters
    ----------
    incidents : polars.DataFrame
        One row per incident: ``incident_column``, ``date_column``, ``record_type``,
        ``easting``, ``northing`` (British National Grid metres; null for no point), and
        optionally ``location_text``.
    distance_m : float
        0 for the same point; more to join points within that distance (cKDTree).
    window_days, min_count, as_of, since, incident_column, date_column, record_types
        As :func:`repeat_victims`; default ``min_count`` 3.

    Returns
    -------
    RepeatLocations
    """
    if window_days < 1 or min_count < 1 or distance_m < 0:
        raise ValueError("window_days and min_count must be at least 1 and distance_m >= 0")
    has_text = "location_text" in incidents.columns
    rows = incidents.select(
        pl.col(incident_column).alias("_incident"),
        _date_expr(incidents, date_column).alias("_date"),
        pl.col("record_type"),
        pl.col("easting").cast(pl.Float64), pl.col("northing").cast(pl.Float64),
        (pl.col("location_text") if has_text else pl.lit(None, pl.String)).alias("_text"),
    ).filter(pl.col("record_type").is_in(list(record_types)) & pl.col("_date").is_not_null())
    as_of_d = _as_date(as_of) if as_of is not None else (rows["_date"].max() or dt.date.today())
    since_d = _as_date(since) if since is not None else None
    lo = as_of_d - dt.timedelta(days=window_days)
    in_window = rows.filter((pl.col("_date") > lo) & (pl.col("_date") <= as_of_d))
    no_point = pl.col("easting").is_null() | pl.col("northing").is_null()
    n_without = in_window.filter(no_point).height
    rows = rows.filter(~no_point).unique(["_incident"], keep="first", maintain_order=True)
    n_used = in_window.filter(~no_point).height

    def counted(end: dt.date) -> pl.DataFrame:
        start = end - dt.timedelta(days=window_days)
        return rows.filter((pl.col("_date") > start) & (pl.col("_date") <= end))

    def per_point(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.group_by("easting", "northing").agg(
            pl.col("_incident").sort().alias("ids"), pl.col("_date").min().alias("first"),
            pl.col("_date").max().alias("last"), pl.col("_text").first().alias("text"),
        ).sort("easting", "northing")

    now = per_point(counted(as_of_d))
    schema = {"easting": pl.Float64, "northing": pl.Float64, "n_incidents": pl.Int64,
              "first_date": pl.Date, "last_date": pl.Date, "n_before": pl.Int64,
              "new": pl.Boolean, "rising": pl.Boolean,
              "incident_ids": pl.List(incidents.schema[incident_column]),
              "location_text": pl.String}
    out: list[dict[str, Any]] = []
    if now.height:
        pts = now.select("easting", "northing").to_numpy()
        near = _neighbour_sets(pts, distance_m)
        ids_at = now["ids"].to_list()
        firsts, lasts, texts = now["first"].to_list(), now["last"].to_list(), now["text"].to_list()
        n_at = np.array([sum(len(ids_at[j]) for j in nb) for nb in near])
        before_frame = counted(since_d) if since_d is not None else None
        if before_frame is not None and before_frame.height:
            bpts = per_point(before_frame)
            btree = cKDTree(bpts.select("easting", "northing").to_numpy())
            bsizes = bpts["ids"].list.len().to_numpy()
        order = sorted(range(len(pts)), key=lambda i: (-n_at[i], pts[i][0], pts[i][1]))
        chosen: list[int] = []
        for i in order:
            if n_at[i] < min_count:
                break
            if any(np.hypot(*(pts[i] - pts[c])) <= distance_m for c in chosen):
                continue
            chosen.append(i)
            nb = near[i]
            n_before = None
            if since_d is not None:
                if before_frame is not None and before_frame.height:
                    hits = btree.query_ball_point(pts[i], r=distance_m if distance_m > 0 else 0.0)
                    n_before = int(bsizes[hits].sum()) if hits else 0
                else:
                    n_before = 0
            out.append({
                "easting": float(pts[i][0]), "northing": float(pts[i][1]),
                "n_incidents": int(n_at[i]),
                "first_date": min(firsts[j] for j in nb), "last_date": max(lasts[j] for j in nb),
                "n_before": n_before,
                "new": True if n_before is None else n_before < min_count,
                "rising": None if n_before is None else (n_before >= min_count
                                                         and int(n_at[i]) > n_before),
                "incident_ids": sorted(x for j in nb for x in ids_at[j]),
                "location_text": texts[i],
            })
    table = pl.DataFrame(out, schema=schema)
    return RepeatLocations(table, float(distance_m), window_days, min_count, as_of_d, since_d,
                           tuple(record_types), n_used, n_without)
