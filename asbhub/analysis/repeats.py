"""Repeat victims, repeat perpetrators, repeat locations and repeat addresses over a rolling
window (pure: polars frames in, typed frozen results out).

A **repeat victim** (DESIGN.md, configurable) is a person with more than one recorded crime
or ASB incident in 12 months: here, a person key with at least ``min_count`` distinct
qualifying incidents dated in the window ``(as_of - window_days, as_of]``. An incident
qualifies for a person when they are its victim, or its caller on an ASB incident (the caller
of an ASB incident is usually the person it affects). Records of contact (ROCs) are not
recorded incidents and do not count by default.

A **repeat perpetrator** is the same count over the suspect (or perpetrator) role, by default
three or more crime or ASB incidents in 12 months (see :func:`repeat_perpetrators` for why).

A **repeat location** is a place with at least ``min_count`` qualifying incidents in the
window: the same point (``distance_m=0``), or points within ``distance_m`` metres of one
another on British National Grid (see :func:`repeat_locations`); a **repeat address** is the
same normalised address text and postcode (:func:`repeat_addresses`).

All say whether each repeat is **new** (not a repeat in the window ending at ``since``) or
**rising** (a repeat then too, with more incidents in the window now than then), and report
the parameters they used. :func:`repeat_recall` measures how well a person key (linkage
clusters, an interim key) finds the repeat people that the true identities give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

__all__ = [
    "PERPETRATOR_MIN_COUNT",
    "PERPETRATOR_ROLES",
    "PERPETRATOR_WINDOW_DAYS",
    "RepeatAddresses",
    "RepeatLocations",
    "RepeatPerpetrators",
    "RepeatRecall",
    "RepeatResult",
    "RepeatVictims",
    "address_keys",
    "repeat_addresses",
    "repeat_locations",
    "repeat_perpetrators",
    "repeat_recall",
    "repeat_victims",
]

DEFAULT_RECORD_TYPES: tuple[str, ...] = ("crime", "asb")
DEFAULT_ROLES: tuple[tuple[str, str | None], ...] = (("victim", None), ("caller", "asb"))
#: Repeat perpetrator defaults: three or more incidents in 12 months as suspect or perpetrator.
PERPETRATOR_ROLES: tuple[tuple[str, str | None], ...] = (("suspect", None), ("perpetrator", None))
PERPETRATOR_WINDOW_DAYS = 365
PERPETRATOR_MIN_COUNT = 3


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _end_date(as_of: dt.date | str | None, rows: pl.DataFrame) -> dt.date:
    """``as_of`` as a date; by default the latest ``_date`` in ``rows`` (today if none)."""
    if as_of is not None:
        return _as_date(as_of)
    latest = rows["_date"].max()
    return latest if isinstance(latest, dt.date) else dt.date.today()


def _date_expr(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Datetime):
        return pl.col(column).dt.date()
    if dtype == pl.Date:
        return pl.col(column)
    return pl.col(column).cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


class RepeatResult:
    """What the repeat results share (:class:`RepeatVictims`, :class:`RepeatPerpetrators`,
    :class:`RepeatAddresses`, :class:`RepeatLocations`): a ``table`` of repeats over a window of
    ``window_days`` ending at ``as_of``, compared with the window ending at ``since``, the
    parameters used, and the rows that are new or rising.

    Each result is a frozen dataclass with its own fields; this base adds no fields (so each
    keeps its order of arguments) but the common behaviour.
    """

    table: pl.DataFrame
    window_days: int
    min_count: int
    as_of: dt.date
    since: dt.date | None
    record_types: tuple[str, ...]
    parameters: dict[str, Any]

    @property
    def n_repeat(self) -> int:
        """How many repeats (rows of ``table``)."""
        return self.table.height

    def new_or_rising(self) -> pl.DataFrame:
        """Rows that are new or rising since ``since`` (all rows without ``since``)."""
        if self.since is None:
            return self.table
        return self.table.filter(pl.col("new") | pl.col("rising"))

    def _set_parameters(self, first: dict[str, Any], last: dict[str, Any] | None = None) -> None:
        # The result's own parameters, then the window's, then any that close the list.
        window = {
            "window_days": self.window_days,
            "min_count": self.min_count,
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "record_types": list(self.record_types),
        }
        object.__setattr__(self, "parameters", {**first, **window, **(last or {})})


@dataclass(frozen=True)
class RepeatVictims(RepeatResult):
    """Result of :func:`repeat_victims` (and, as :class:`RepeatPerpetrators`, of
    :func:`repeat_perpetrators`).

    Attributes
    ----------
    table : polars.DataFrame
        One row per repeat person, most incidents first: ``person_key``, ``n_incidents`` (in
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
        self._set_parameters(
            {"person_key": self.person_key},
            {"roles": [f"{r} ({t or 'any'})" for r, t in self.roles]},
        )


@dataclass(frozen=True)
class RepeatPerpetrators(RepeatVictims):
    """Result of :func:`repeat_perpetrators`: the same fields as :class:`RepeatVictims`, the
    people being the suspects (or perpetrators) named in the incidents."""


def _window_counts(rows: pl.DataFrame, key: str, as_of: dt.date, window_days: int) -> pl.DataFrame:
    lo = as_of - dt.timedelta(days=window_days)
    inside = rows.filter((pl.col("_date") > lo) & (pl.col("_date") <= as_of))
    return inside.group_by(key).agg(
        pl.col("_incident").n_unique().alias("n_incidents"),
        pl.col("_date").min().alias("first_date"),
        pl.col("_date").max().alias("last_date"),
        pl.col("_incident").unique().sort().alias("incident_ids"),
    )


def _keyed_repeats(
    keyed: pl.DataFrame, as_of: dt.date, since: dt.date | None, window_days: int, min_count: int
) -> pl.DataFrame:
    """Keys (``_key``) with at least ``min_count`` distinct incidents in the window ending at
    ``as_of``, with the counts, dates and new/rising flags every repeat table shares."""
    now = _window_counts(keyed, "_key", as_of, window_days).filter(
        pl.col("n_incidents") >= min_count
    )
    if since is not None:
        before = _window_counts(keyed, "_key", since, window_days).select(
            "_key", pl.col("n_incidents").alias("n_before")
        )
        now = now.join(before, on="_key", how="left").with_columns(pl.col("n_before").fill_null(0))
        return now.with_columns(
            (pl.col("n_before") < min_count).alias("new"),
            (
                (pl.col("n_before") >= min_count) & (pl.col("n_incidents") > pl.col("n_before"))
            ).alias("rising"),
        )
    return now.with_columns(
        pl.lit(None, pl.Int64).alias("n_before"),
        pl.lit(True).alias("new"),
        pl.lit(None, pl.Boolean).alias("rising"),
    )


def _check_window(window_days: int, min_count: int) -> None:
    if window_days < 1 or min_count < 1:
        raise ValueError(
            f"window_days and min_count must be at least 1 (got window_days="
            f"{window_days}, min_count={min_count}); e.g. 365 and 2"
        )


def _person_rows(
    incidents_people: pl.DataFrame,
    keys: dict[str, str],
    incident_column: str,
    date_column: str,
    record_types: tuple[str, ...],
    roles: tuple[tuple[str, str | None], ...],
) -> pl.DataFrame:
    """Qualifying dated person rows: ``_incident``, ``_date``, ``record_type``, ``role`` and
    one column per entry of ``keys`` (output name -> input column)."""
    need = [incident_column, date_column, "record_type", "role", *keys.values()]
    missing = [c for c in dict.fromkeys(need) if c not in incidents_people.columns]
    if missing:
        raise ValueError(
            f"the person rows lack {', '.join(map(repr, missing))}; expected one "
            f"row per person per incident with {', '.join(map(repr, need))}"
        )
    role_ok = pl.lit(False)
    for role, rtype in roles:
        cond = pl.col("role") == role
        if rtype is not None:
            cond &= pl.col("record_type") == rtype
        role_ok |= cond
    return incidents_people.select(
        pl.col(incident_column).alias("_incident"),
        _date_expr(incidents_people, date_column).alias("_date"),
        pl.col("record_type"),
        pl.col("role"),
        *[pl.col(src).alias(out) for out, src in keys.items()],
    ).filter(
        pl.col("record_type").is_in(list(record_types)) & role_ok & pl.col("_date").is_not_null()
    )


def _repeat_people(
    cls: type[RepeatVictims],
    incidents_people: pl.DataFrame,
    person_key: str,
    window_days: int,
    min_count: int,
    as_of: dt.date | str | None,
    since: dt.date | str | None,
    incident_column: str,
    date_column: str,
    record_types: tuple[str, ...],
    roles: tuple[tuple[str, str | None], ...],
) -> RepeatVictims:
    _check_window(window_days, min_count)
    rows = _person_rows(
        incidents_people, {"_key": person_key}, incident_column, date_column, record_types, roles
    )
    as_of_d = _end_date(as_of, rows)
    since_d = _as_date(since) if since is not None else None
    lo = as_of_d - dt.timedelta(days=window_days)
    in_window = rows.filter((pl.col("_date") > lo) & (pl.col("_date") <= as_of_d))
    n_no_key = in_window.filter(pl.col("_key").is_null()).height
    now = _keyed_repeats(
        rows.filter(pl.col("_key").is_not_null()), as_of_d, since_d, window_days, min_count
    )
    table = (
        now.rename({"_key": "person_key"})
        .select(
            "person_key",
            "n_incidents",
            "first_date",
            "last_date",
            "n_before",
            "new",
            "rising",
            "incident_ids",
        )
        .sort(["n_incidents", "last_date", "person_key"], descending=[True, True, False])
    )
    return cls(
        table,
        person_key,
        window_days,
        min_count,
        as_of_d,
        since_d,
        tuple(record_types),
        tuple(roles),
        in_window.height,
        n_no_key,
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
    return _repeat_people(
        RepeatVictims,
        incidents_people,
        person_key,
        window_days,
        min_count,
        as_of,
        since,
        incident_column,
        date_column,
        record_types,
        roles,
    )


def repeat_perpetrators(
    incidents_people: pl.DataFrame,
    person_key: str = "person_id",
    window_days: int = PERPETRATOR_WINDOW_DAYS,
    min_count: int = PERPETRATOR_MIN_COUNT,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    *,
    incident_column: str = "incident_id",
    date_column: str = "occurred_from",
    record_types: tuple[str, ...] = DEFAULT_RECORD_TYPES,
    roles: tuple[tuple[str, str | None], ...] = PERPETRATOR_ROLES,
) -> RepeatPerpetrators:
    """People named as suspect (or perpetrator) in at least ``min_count`` incidents in the
    window: :func:`repeat_victims` with the other side's roles.

    Defaults: 12 months (365 days) and **three** distinct crime or ASB incidents. Three, not
    two as for victims, because a suspect named twice is common in the neighbour disputes
    that make up much ASB (each side reports the other), and a tasking list of everyone named
    twice would bury the persistent perpetrators; three in 12 months matches the repeat
    location default and the ASB Case Review's "three complaints". Set ``min_count=2`` for
    "more than one". Records of contact do not count (they record no offence).

    Parameters
    ----------
    incidents_people : polars.DataFrame
        As :func:`repeat_victims`.
    person_key, window_days, min_count, as_of, since, incident_column, date_column
        As :func:`repeat_victims`.
    record_types : tuple of str
        Default crime and ASB incidents.
    roles : tuple of (str, str or None)
        Default ``suspect`` and ``perpetrator`` on any record type.

    Returns
    -------
    RepeatPerpetrators

    Examples
    --------
    >>> rows = pl.DataFrame({"incident_id": [1, 2, 3, 3], "occurred_from": ["2024-01-05",
    ...     "2024-03-01", "2024-06-30", "2024-06-30"], "record_type": ["asb"] * 4,
    ...     "role": ["suspect", "suspect", "suspect", "victim"], "person_id": [9, 9, 9, 4]})
    >>> repeat_perpetrators(rows).table.select("person_key", "n_incidents").rows()
    [(9, 3)]
    """
    return cast(
        RepeatPerpetrators,
        _repeat_people(
            RepeatPerpetrators,
            incidents_people,
            person_key,
            window_days,
            min_count,
            as_of,
            since,
            incident_column,
            date_column,
            record_types,
            roles,
        ),
    )


@dataclass(frozen=True)
class RepeatAddresses(RepeatResult):
    """Result of :func:`repeat_addresses`.

    Attributes
    ----------
    table : polars.DataFrame
        One row per repeat address, most incidents first: ``address_key`` (normalised address,
        ``|`` and the postcode when known), ``address`` and ``postcode`` (as last written in
        the window), ``n_incidents``, ``first_date``, ``last_date``, ``n_before``, ``new``,
        ``rising`` (as :class:`RepeatVictims`), ``incident_ids``.
    address_column, postcode_column, window_days, min_count, as_of, since, record_types
        The parameters used.
    n_incidents_used, n_without_address : int
        Qualifying incidents in the window with an address, and those left out for having
        none.
    n_postcode_filled : int
        Rows in the window without a postcode that took the only postcode their address has
        elsewhere in the data.
    """

    table: pl.DataFrame
    address_column: str
    postcode_column: str | None
    window_days: int
    min_count: int
    as_of: dt.date
    since: dt.date | None
    record_types: tuple[str, ...]
    n_incidents_used: int
    n_without_address: int
    n_postcode_filled: int
    parameters: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self._set_parameters(
            {"address_column": self.address_column, "postcode_column": self.postcode_column}
        )


def address_keys(addresses: pl.Series, postcodes: pl.Series | None = None) -> pl.DataFrame:
    """The key :func:`repeat_addresses` groups by, for each row.

    The address is normalised as person linkage normalises it
    (:func:`asbhub.linkage.normalise_address`: lower case, no punctuation, ``Road`` and ``Rd``
    alike, a postcode inside the text removed); the postcode as a UK postcode (``DE1 2AB``).
    The key is ``address|POSTCODE``, or the address alone when no postcode is known. A row
    without a postcode whose address has exactly one postcode on other rows takes that one,
    so an address written once without its postcode is not split off; an address with two
    or more postcodes (the same street name in two towns) keeps its rows apart. No address:
    no key (null), whatever the postcode, as a postcode is a street or two, not a place.

    Returns
    -------
    polars.DataFrame
        One row per input row: ``address_key`` and ``postcode_filled`` (True where the row
        took its postcode from other rows).

    Examples
    --------
    >>> address_keys(pl.Series(["12 Station Rd.", "12 station road", "9 Elm St", None]),
    ...              pl.Series(["de1 2ab", None, None, "DE1 2AB"])).rows()
    [('12 station rd|DE1 2AB', False), ('12 station rd|DE1 2AB', True), ('9 elm st', False), \
(None, False)]
    """
    from asbhub.linkage import normalise_address, normalise_postcode

    addr = normalise_address(addresses.cast(pl.String))
    pc = (
        normalise_postcode(postcodes.cast(pl.String))
        if postcodes is not None
        else pl.Series([None] * len(addr), dtype=pl.String)
    )
    f = pl.DataFrame({"a": addr, "p": pc}, schema={"a": pl.String, "p": pl.String})
    only = (
        f.drop_nulls()
        .unique()
        .group_by("a")
        .agg(pl.col("p").first(), pl.len().alias("k"))
        .filter(pl.col("k") == 1)
        .select("a", pl.col("p").alias("_only"))
    )
    f = f.join(only, on="a", how="left", maintain_order="left")
    filled = pl.col("a").is_not_null() & pl.col("p").is_null() & pl.col("_only").is_not_null()
    return f.select(
        pl.when(pl.col("a").is_null())
        .then(None)
        .when(pl.coalesce("p", "_only").is_null())
        .then(pl.col("a"))
        .otherwise(pl.col("a") + "|" + pl.coalesce("p", "_only"))
        .alias("address_key"),
        filled.alias("postcode_filled"),
    )


def repeat_addresses(
    incidents: pl.DataFrame,
    window_days: int = 365,
    min_count: int = 3,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    *,
    address_column: str = "location_text",
    postcode_column: str | None = "postcode",
    incident_column: str = "incident_id",
    date_column: str = "occurred_from",
    record_types: tuple[str, ...] = DEFAULT_RECORD_TYPES,
) -> RepeatAddresses:
    """Addresses with at least ``min_count`` qualifying incidents in the window: repeat
    locations by the same address rather than by distance (:func:`repeat_locations`).

    The same address is the same :func:`address_keys` key: normalised address text, with the
    postcode when one is known. Use it where addresses are recorded (a force's own incident
    address, or a victim's home address on person rows); data.police.uk's anonymised "On or
    near ..." text names a street, so there it gives repeat streets.

    Parameters
    ----------
    incidents : polars.DataFrame
        One row per incident (or per person per incident: each incident counts once per
        address): ``incident_column``, ``date_column``, ``record_type``, ``address_column``
        and, if not None and present, ``postcode_column``.
    window_days, min_count, as_of, since, incident_column, date_column, record_types
        As :func:`repeat_victims`; default ``min_count`` 3, as repeat locations.
    address_column : str
        Free-text address (default ``location_text``).
    postcode_column : str or None
        Postcode column; ignored when the frame has no such column.

    Returns
    -------
    RepeatAddresses
    """
    _check_window(window_days, min_count)
    if address_column not in incidents.columns:
        raise ValueError(
            f"no address column {address_column!r}; the frame has "
            f"{', '.join(incidents.columns)}; pass address_column="
        )
    pc_col = postcode_column if postcode_column in incidents.columns else None
    keys = address_keys(
        incidents[address_column], incidents[pc_col] if pc_col is not None else None
    )
    frame = incidents.with_columns(
        keys["address_key"].alias("_key"),
        keys["postcode_filled"].alias("_filled"),
        pl.col(address_column).cast(pl.String).alias("_addr"),
        (pl.col(pc_col).cast(pl.String) if pc_col else pl.lit(None, pl.String)).alias("_pc"),
    )
    rows = frame.select(
        pl.col(incident_column).alias("_incident"),
        _date_expr(frame, date_column).alias("_date"),
        "record_type",
        "_key",
        "_filled",
        "_addr",
        "_pc",
    ).filter(pl.col("record_type").is_in(list(record_types)) & pl.col("_date").is_not_null())
    as_of_d = _end_date(as_of, rows)
    since_d = _as_date(since) if since is not None else None
    lo = as_of_d - dt.timedelta(days=window_days)
    in_window = rows.filter((pl.col("_date") > lo) & (pl.col("_date") <= as_of_d))
    now = _keyed_repeats(
        rows.filter(pl.col("_key").is_not_null()), as_of_d, since_d, window_days, min_count
    )
    # The address as last written in the window, so a list shows what officers now type.
    last = (
        in_window.filter(pl.col("_key").is_not_null())
        .sort("_date", "_incident")
        .group_by("_key")
        .agg(
            pl.col("_addr").last().alias("address"),
            pl.col("_pc").drop_nulls().last().alias("postcode"),
        )
    )
    table = (
        now.join(last, on="_key", how="left")
        .rename({"_key": "address_key"})
        .select(
            "address_key",
            "address",
            "postcode",
            "n_incidents",
            "first_date",
            "last_date",
            "n_before",
            "new",
            "rising",
            "incident_ids",
        )
        .sort(["n_incidents", "last_date", "address_key"], descending=[True, True, False])
    )
    has_key = pl.col("_key").is_not_null()
    n_used = in_window.filter(has_key)["_incident"].n_unique()
    # An incident is without an address only when none of its rows has one.
    n_without = in_window["_incident"].n_unique() - n_used
    filled = in_window.filter(pl.col("_filled")).height
    return RepeatAddresses(
        table,
        address_column,
        pc_col,
        window_days,
        min_count,
        as_of_d,
        since_d,
        tuple(record_types),
        n_used,
        n_without,
        filled,
    )


@dataclass(frozen=True)
class RepeatLocations(RepeatResult):
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
        self._set_parameters({"distance_m": self.distance_m})


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
        pl.col("easting").cast(pl.Float64),
        pl.col("northing").cast(pl.Float64),
        (pl.col("location_text") if has_text else pl.lit(None, pl.String)).alias("_text"),
    ).filter(pl.col("record_type").is_in(list(record_types)) & pl.col("_date").is_not_null())
    as_of_d = _end_date(as_of, rows)
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
        return (
            frame.group_by("easting", "northing")
            .agg(
                pl.col("_incident").sort().alias("ids"),
                pl.col("_date").min().alias("first"),
                pl.col("_date").max().alias("last"),
                pl.col("_text").first().alias("text"),
            )
            .sort("easting", "northing")
        )

    now = per_point(counted(as_of_d))
    schema: dict[str, Any] = {
        "easting": pl.Float64,
        "northing": pl.Float64,
        "n_incidents": pl.Int64,
        "first_date": pl.Date,
        "last_date": pl.Date,
        "n_before": pl.Int64,
        "new": pl.Boolean,
        "rising": pl.Boolean,
        "incident_ids": pl.List(incidents.schema[incident_column]),
        "location_text": pl.String,
    }
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
            out.append(
                {
                    "easting": float(pts[i][0]),
                    "northing": float(pts[i][1]),
                    "n_incidents": int(n_at[i]),
                    "first_date": min(firsts[j] for j in nb),
                    "last_date": max(lasts[j] for j in nb),
                    "n_before": n_before,
                    "new": True if n_before is None else n_before < min_count,
                    "rising": None
                    if n_before is None
                    else (n_before >= min_count and int(n_at[i]) > n_before),
                    "incident_ids": sorted(x for j in nb for x in ids_at[j]),
                    "location_text": texts[i],
                }
            )
    table = pl.DataFrame(out, schema=schema)
    return RepeatLocations(
        table,
        float(distance_m),
        window_days,
        min_count,
        as_of_d,
        since_d,
        tuple(record_types),
        n_used,
        n_without,
    )


@dataclass(frozen=True)
class RepeatRecall:
    """Result of :func:`repeat_recall`: repeat people found with one key (e.g. linkage
    clusters) against those found with the true identity.

    A true repeat person is **found** when one found key holds at least ``min_count`` of
    that person's own distinct incidents in the window (their person rows, not merely the
    same incidents). A found repeat is **correct** when at least ``min_count`` of its
    incidents in the window are one true person's. Recall is found / true repeats; precision
    is correct / found repeats. A person split over two found keys that each reach
    ``min_count`` is found, and both keys are correct (``n_split`` counts such people).

    Attributes
    ----------
    found, truth : RepeatVictims
        Repeats by the key under test and by the true key, with the same parameters.
    n_true, n_found, n_true_found, n_found_correct, n_split : int
    recall, precision : float
        NaN when there is nothing to divide by.
    completeness : float
        Mean, over true repeats found, of the share of the person's window incidents that the
        best found key holds (1.0: every found repeat victim is whole).
    missed : polars.DataFrame
        True repeats not found: ``true_key``, ``n_incidents``, ``best_found_incidents`` (the
        most any one found key holds).
    false : polars.DataFrame
        Found repeats not correct: ``found_key``, ``n_incidents``, ``n_people`` (true people
        behind them).
    """

    found: RepeatVictims
    truth: RepeatVictims
    n_true: int
    n_found: int
    n_true_found: int
    n_found_correct: int
    n_split: int
    completeness: float
    missed: pl.DataFrame
    false: pl.DataFrame

    @property
    def recall(self) -> float:
        return self.n_true_found / self.n_true if self.n_true else float("nan")

    @property
    def precision(self) -> float:
        return self.n_found_correct / self.n_found if self.n_found else float("nan")

    @property
    def parameters(self) -> dict[str, Any]:
        return {**self.found.parameters, "true_key": self.truth.person_key}


def repeat_recall(
    incidents_people: pl.DataFrame,
    found_key: str,
    true_key: str,
    window_days: int = 365,
    min_count: int = 2,
    as_of: dt.date | str | None = None,
    *,
    incident_column: str = "incident_id",
    date_column: str = "occurred_from",
    record_types: tuple[str, ...] = DEFAULT_RECORD_TYPES,
    roles: tuple[tuple[str, str | None], ...] = DEFAULT_ROLES,
) -> RepeatRecall:
    """How well a person key finds the true repeat victims (recall and precision).

    Runs :func:`repeat_victims` keyed by ``found_key`` and by ``true_key`` on the same rows
    and parameters, and matches them through the person rows (see :class:`RepeatRecall`).
    With perpetrator ``roles`` it measures repeat perpetrators alike.

    Parameters
    ----------
    incidents_people : polars.DataFrame
        As :func:`repeat_victims`, with both key columns.
    found_key, true_key : str
        The key under test (linkage cluster, interim key) and the ground truth.
    window_days, min_count, as_of, incident_column, date_column, record_types, roles
        As :func:`repeat_victims`.

    Returns
    -------
    RepeatRecall
    """

    def by(key: str, end: dt.date | str | None) -> RepeatVictims:
        return repeat_victims(
            incidents_people,
            key,
            window_days,
            min_count,
            end,
            incident_column=incident_column,
            date_column=date_column,
            record_types=record_types,
            roles=roles,
        )

    truth = by(true_key, as_of)
    found = by(found_key, truth.as_of)
    rows = _person_rows(
        incidents_people,
        {"_f": found_key, "_t": true_key},
        incident_column,
        date_column,
        record_types,
        roles,
    )
    lo = truth.as_of - dt.timedelta(days=window_days)
    rows = rows.filter(
        (pl.col("_date") > lo)
        & (pl.col("_date") <= truth.as_of)
        & pl.col("_f").is_not_null()
        & pl.col("_t").is_not_null()
    )
    # Distinct incidents of each true person under each found key.
    both = rows.group_by("_t", "_f").agg(pl.col("_incident").n_unique().alias("n"))
    t_tab = truth.table.select(pl.col("person_key").alias("_t"), "n_incidents")
    f_tab = found.table.select(pl.col("person_key").alias("_f"), "n_incidents")
    best_t = both.group_by("_t").agg(
        pl.col("n").max().alias("best"), (pl.col("n") >= min_count).sum().alias("keys")
    )
    t_tab = t_tab.join(best_t, on="_t", how="left").with_columns(
        pl.col("best").fill_null(0), pl.col("keys").fill_null(0)
    )
    hit = t_tab.filter(pl.col("best") >= min_count)
    best_f = both.group_by("_f").agg(
        pl.col("n").max().alias("best"), pl.col("_t").n_unique().alias("n_people")
    )
    f_tab = f_tab.join(best_f, on="_f", how="left").with_columns(pl.col("best").fill_null(0))
    correct = f_tab.filter(pl.col("best") >= min_count)
    share = (hit["best"] / hit["n_incidents"]).mean()
    completeness = float(share) if isinstance(share, float) else float("nan")
    missed = (
        t_tab.filter(pl.col("best") < min_count)
        .select(
            pl.col("_t").alias("true_key"),
            "n_incidents",
            pl.col("best").alias("best_found_incidents"),
        )
        .sort("n_incidents", descending=True)
    )
    false = (
        f_tab.filter(pl.col("best") < min_count)
        .select(pl.col("_f").alias("found_key"), "n_incidents", pl.col("n_people").fill_null(0))
        .sort("n_incidents", descending=True)
    )
    return RepeatRecall(
        found,
        truth,
        t_tab.height,
        f_tab.height,
        hit.height,
        correct.height,
        hit.filter(pl.col("keys") > 1).height,
        completeness,
        missed,
        false,
    )
