"""Points for the analyses, from data.police.uk files or from the store, with the same filters.

The CLI (``asbhub hotspots``, ``asbhub trends``), the web hotspot page, the analysis tests and
the benchmarks all get their points here, so a month, a crime type or an LPU means the same
thing whichever way the data arrive. Files are read as ``asbhub ingest`` reads them
(:func:`asbhub.ingest.police_uk.read_police_uk`, then :func:`asbhub.geo.to_bng`); the store
is queried through :mod:`asbhub.store.query`.

A :class:`PointSet` carries, besides the points, a JSON-ready description of where they came
from (file names and SHA-256 digests, or the store and the loads behind it) and the filters
applied, so every output can be stamped with the data it was made from.

Examples
--------
>>> from asbhub.data import sample_paths
>>> pts = points_from_files(sample_paths(), PointFilters(months=("2019-01", "2019-01"),
...                                                      crime_types=("asb",)))
>>> pts.frame.height, pts.months_covered()
(2980, ['2019-01'])
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import polars as pl
from numpy.typing import NDArray

from asbhub.domain.months import require_month
from asbhub.domain.vocab import ASB_CRIME_TYPE, POLICE_UK_CRIME_TYPES, RecordType
from asbhub.geo import AreaHierarchy, area_hierarchy, to_bng

if TYPE_CHECKING:
    from asbhub.analysis import HotspotCount, HotspotGiStar, HotspotKDE, HotspotTrend
    from asbhub.store.db import Store

__all__ = [
    "HOTSPOT_METHODS",
    "POINT_COLUMNS",
    "HotspotRequest",
    "NoPointsError",
    "PointFilters",
    "PointSet",
    "TrendRequest",
    "area_lsoa_codes",
    "display_url",
    "points_from_files",
    "points_from_store",
    "police_uk_points",
    "read_harm_weights",
    "resolve_crime_types",
    "run_hotspots",
    "run_trends",
]

#: Columns of every points frame, from files or from the store. Coordinates are British
#: National Grid metres, null where the record was published without a place.
POINT_COLUMNS = ("easting", "northing", "month", "crime_type", "record_type", "lsoa_code")
_POINT_SCHEMA = {
    "easting": pl.Float64,
    "northing": pl.Float64,
    "month": pl.String,
    "crime_type": pl.String,
    "record_type": pl.String,
    "lsoa_code": pl.String,
}

HOTSPOT_METHODS = ("gistar", "kde", "count")
"""The hotspot methods, default first."""

#: What a user may type for anti-social behaviour: 'asb' is shorter than the published name.
ASB_SHORTHAND = "asb"


class NoPointsError(ValueError):
    """No record matches the filters, or none that does has coordinates."""


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


def _check_month(value: str, what: str) -> str:
    return require_month(value, what)


@dataclass(frozen=True)
class PointFilters:
    """Which records to analyse. ``None`` means no restriction.

    Parameters
    ----------
    months : (str, str), optional
        First and last month, inclusive, as ``'YYYY-MM'``.
    crime_types : tuple of str, optional
        data.police.uk crime types; ``'asb'`` stands for Anti-social behaviour, and names are
        matched without regard to case (see :func:`resolve_crime_types`).
    record_types : tuple of str, optional
        ``'asb'``, ``'crime'`` or ``'roc'`` (records of contact, from a force export).
    lpu : str, optional
        A Local Policing Unit of the area hierarchy (any case).
    snt : str, optional
        A Safer Neighbourhood Team, by code (``SW03``) or name (``Abbey``), any case.
    force : str, optional
        Only the records of this force, as its loaded units name it (the store only).
    kinds : tuple of str, optional
        Only records of these kinds of loaded unit (``police_uk_street``, ``force_export``,
        ``public_report``; the store only; see :mod:`asbhub.store.scope`).
    real_only : bool
        Leave synthetic data out (a force named ``SYNTHETIC ...``; the store only).
    """

    months: tuple[str, str] | None = None
    crime_types: tuple[str, ...] | None = None
    record_types: tuple[str, ...] | None = None
    lpu: str | None = None
    snt: str | None = None
    force: str | None = None
    kinds: tuple[str, ...] | None = None
    real_only: bool = False

    def __post_init__(self) -> None:
        if self.months is not None:
            first, last = self.months
            _check_month(first, "from month")
            _check_month(last, "to month")
            if last < first:
                raise ValueError(
                    f"the period runs backwards: from {first} to {last}; "
                    "give the earlier month first"
                )
            object.__setattr__(self, "months", (first, last))
        if self.crime_types is not None:
            object.__setattr__(self, "crime_types", tuple(self.crime_types))
        if self.record_types is not None:
            known = [r.value for r in RecordType]
            bad = [r for r in self.record_types if r not in known]
            if bad:
                raise ValueError(
                    f"unknown record type(s) {', '.join(map(repr, bad))}; "
                    f"expected {', '.join(known)}"
                )
            object.__setattr__(self, "record_types", tuple(self.record_types))

    def describe(self) -> str:
        """The filters in words, for messages: ``'Anti-social behaviour; 2019-01; LPU Erewash'``."""
        parts = []
        if self.crime_types is not None:
            parts.append("crime type " + " or ".join(self.crime_types))
        if self.record_types is not None:
            parts.append("record type " + " or ".join(self.record_types))
        if self.months is not None:
            first, last = self.months
            parts.append(f"month {first}" if first == last else f"months {first} to {last}")
        if self.lpu is not None:
            parts.append(f"LPU {self.lpu}")
        if self.snt is not None:
            parts.append(f"SNT {self.snt}")
        if self.force is not None:
            parts.append(f"force {self.force}")
        if self.kinds is not None:
            parts.append("data " + " or ".join(self.kinds))
        if self.real_only:
            parts.append("no synthetic data")
        return "; ".join(parts) if parts else "no filters"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for stamps: every filter, ``None`` where not applied."""
        return {
            "months": list(self.months) if self.months else None,
            "crime_types": list(self.crime_types) if self.crime_types is not None else None,
            "record_types": list(self.record_types) if self.record_types is not None else None,
            "lpu": self.lpu,
            "snt": self.snt,
            # Only when given, so stamps of runs over every force are as they were.
            **({"force": self.force} if self.force is not None else {}),
            **({"kinds": list(self.kinds)} if self.kinds is not None else {}),
            **({"real_only": True} if self.real_only else {}),
        }


def resolve_crime_types(
    requested: Sequence[str] | None, present: Iterable[str]
) -> tuple[str, ...] | None:
    """Spell requested crime types as the data do.

    ``'asb'`` means Anti-social behaviour; ``'all'`` (or nothing) means every type. Other names
    are matched without regard to case against the types present and data.police.uk's list.

    Raises
    ------
    ValueError
        For a name that is neither, listing the types the data hold.

    Examples
    --------
    >>> resolve_crime_types(["asb", "burglary"], ["Burglary", "Anti-social behaviour"])
    ('Anti-social behaviour', 'Burglary')
    >>> resolve_crime_types(["all"], []) is None
    True
    """
    if not requested or any(r.strip().lower() == "all" for r in requested):
        return None
    present = sorted(set(present))
    known = {t.lower(): t for t in (*POLICE_UK_CRIME_TYPES, *present)}
    known[ASB_SHORTHAND] = ASB_CRIME_TYPE
    out: list[str] = []
    for r in requested:
        name = known.get(r.strip().lower())
        if name is None:
            listed = ", ".join(present) if present else "none (no records loaded)"
            raise ValueError(
                f"unknown crime type {r!r}; use 'asb' for {ASB_CRIME_TYPE}, 'all', "
                f"or one of the types in the data: {listed}"
            )
        if name not in out:
            out.append(name)
    return tuple(out)


def area_lsoa_codes(
    areas: AreaHierarchy, lpu: str | None = None, snt: str | None = None
) -> tuple[list[str] | None, str | None, str | None]:
    """The LSOA codes of an LPU and/or SNT, and their names as the area files spell them.

    Parameters
    ----------
    areas : AreaHierarchy
    lpu : str, optional
        LPU name, any case.
    snt : str, optional
        SNT code or name, any case; it must lie in ``lpu`` if both are given.

    Returns
    -------
    codes : list of str or None
        ``None`` when neither is given (the whole force, and records outside it too).
    lpu, snt : str or None
        The canonical LPU name and SNT code.

    Raises
    ------
    ValueError
        For an unknown LPU (listing the valid ones) or SNT, or an SNT outside the LPU.

    Examples
    --------
    >>> codes, lpu, _ = area_lsoa_codes(area_hierarchy(), lpu="erewash")
    >>> lpu, len(codes)
    ('Erewash', 73)
    """
    if lpu is None and snt is None:
        return None, None, None
    frame = areas.lsoa
    lpu_name = None
    if lpu is not None:
        by_lower = {name.lower(): name for name in areas.lpus}
        lpu_name = by_lower.get(lpu.strip().lower())
        if lpu_name is None:
            raise ValueError(
                f"unknown LPU {lpu!r}; the LPUs of {areas.force_name} are: {', '.join(areas.lpus)}"
            )
        frame = frame.filter(pl.col("lpu") == lpu_name)
    snt_code = None
    if snt is not None:
        hoods = areas.neighbourhoods
        wanted = snt.strip().lower()
        match = hoods.filter(
            (pl.col("snt_code").str.to_lowercase() == wanted)
            | (pl.col("snt_name").str.to_lowercase() == wanted)
        )
        if match.height == 0:
            raise ValueError(
                f"unknown SNT {snt!r}; give an SNT code or name from "
                f"{areas.folder / 'neighbourhoods.csv'} (e.g. "
                f"{hoods['snt_code'][0]} or {hoods['snt_name'][0]!r})"
            )
        snt_code, snt_lpu = match["snt_code"][0], match["lpu"][0]
        if lpu_name is not None and snt_lpu != lpu_name:
            raise ValueError(f"SNT {snt!r} ({snt_code}) is in LPU {snt_lpu}, not {lpu_name}")
        frame = frame.filter(pl.col("snt_code") == snt_code)
        if frame.height == 0:
            raise ValueError(
                f"SNT {snt!r} ({snt_code}) has no LSOA of its own in the area "
                "files, so it has no area to filter by; choose its LPU instead"
            )
    return frame["lsoa_code"].to_list(), lpu_name, snt_code


def _load_areas(areas: AreaHierarchy | None) -> AreaHierarchy:
    return areas if areas is not None else area_hierarchy()


# --------------------------------------------------------------------------------------------
# The points
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PointSet:
    """Records matching the filters, on British National Grid, and where they came from.

    Attributes
    ----------
    frame : polars.DataFrame
        One row per record, columns :data:`POINT_COLUMNS`; null coordinates where the record
        has no published place (the analyses report those as excluded).
    filters : PointFilters
        As applied, with crime types and LPU spelt as in the data.
    source : dict
        JSON-ready: ``{"kind": "files", "files": [{name, sha256, rows, rejected}]}`` or
        ``{"kind": "store", "url": ..., "loads": [...]}``.
    """

    frame: pl.DataFrame
    filters: PointFilters
    source: dict[str, Any] = field(default_factory=dict)

    def xy(self) -> NDArray[np.float64]:
        """``(n, 2)`` eastings and northings, NaN where a record has no place."""
        if self.frame.height == 0:
            return np.zeros((0, 2))
        return np.column_stack(
            [
                self.frame["easting"].fill_null(np.nan).to_numpy(),
                self.frame["northing"].fill_null(np.nan).to_numpy(),
            ]
        ).astype(np.float64, copy=False)

    def months_covered(self) -> list[str]:
        """Sorted months holding at least one record."""
        return sorted(self.frame["month"].unique().to_list())

    @property
    def n_without_coordinates(self) -> int:
        easting = self.frame["easting"]
        return int(easting.is_null().sum()) + int(easting.is_nan().sum())

    def data_stamp(self) -> dict[str, Any]:
        """What the data were, for the ``data`` part of an output's stamp."""
        return {
            **self.source,
            "filters": self.filters.as_dict(),
            "months_covered": self.months_covered(),
            "records_matching": self.frame.height,
            "records_without_coordinates": self.n_without_coordinates,
        }


def police_uk_points(name: str, raw: bytes) -> pl.DataFrame:
    """One data.police.uk street-level file's valid rows as points.

    Read exactly as ``asbhub ingest`` reads it (rejected rows are left out, as they are never
    stored), projected once with :func:`asbhub.geo.to_bng`.

    Returns
    -------
    polars.DataFrame
        :data:`POINT_COLUMNS`, then ``longitude`` and ``latitude`` as published and ``place``
        (the "On or near ..." description, or null).
    """
    from asbhub.ingest.police_uk import read_police_uk

    return _as_points(read_police_uk(name, raw).rows)


def _as_points(rows: pl.DataFrame) -> pl.DataFrame:
    lon = rows["longitude"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lat = rows["latitude"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    e, n = to_bng(lon, lat)
    return rows.select(
        pl.Series("easting", e).fill_nan(None),
        pl.Series("northing", n).fill_nan(None),
        "month",
        "crime_type",
        "record_type",
        "lsoa_code",
        pl.col("longitude").cast(pl.Float64),
        pl.col("latitude").cast(pl.Float64),
        # The published street description, for `asbhub places` (issue #16 item 4).
        pl.when(pl.col("location").str.starts_with("On or near "))
        .then(pl.col("location"))
        .alias("place"),
    )


def _empty_points() -> pl.DataFrame:
    return pl.DataFrame(schema=_POINT_SCHEMA)


def _no_points(filters: PointFilters, months: list[str], types: list[str], where: str) -> None:
    held = (
        f"{where} hold months {months[0]} to {months[-1]} and crime types {', '.join(types)}"
        if months
        else f"{where} hold no records"
    )
    raise NoPointsError(f"no records match the filters ({filters.describe()}); {held}")


def _check_coordinates(frame: pl.DataFrame, filters: PointFilters) -> None:
    if frame.height and frame["easting"].drop_nulls().len() == 0:
        raise NoPointsError(
            f"the {frame.height:,} records matching the filters "
            f"({filters.describe()}) have no coordinates, so there is nothing "
            "to map"
        )


def points_from_files(
    paths: Sequence[Path | str],
    filters: PointFilters | None = None,
    areas: AreaHierarchy | None = None,
    places: bool = False,
) -> PointSet:
    """Points from data.police.uk street-level files, folders or zip archives.

    Parameters
    ----------
    paths : sequence of path
        As ``asbhub ingest`` takes them.
    filters : PointFilters, optional
    areas : AreaHierarchy, optional
        For an LPU or SNT filter; default :meth:`AreaHierarchy.load`.
    places : bool
        Add a ``place`` column: the published "On or near ..." description, or null.

    Raises
    ------
    FileNotFoundError
        For a path that does not exist.
    ValueError
        For a file that is not a street-level file, an unknown crime type or area, or
        (:class:`NoPointsError`) when nothing matches.
    """
    from asbhub.ingest.common import WrongFileError
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.ingest.police_uk import read_police_uk

    filters = filters or PointFilters()
    inputs = list(expand_inputs([Path(p) for p in paths]))
    if not inputs:
        raise ValueError("no .csv files found under " + ", ".join(str(p) for p in paths))
    frames, described = [], []
    for src in inputs:
        raw = src.read_bytes()
        try:
            parsed = read_police_uk(src.name, raw)
        except WrongFileError as exc:
            raise ValueError(
                f"{exc} (the analysis commands read data.police.uk street files; "
                "load other files with asbhub ingest and use --db)"
            ) from exc
        frames.append(_as_points(parsed.rows))
        described.append(
            {
                "name": src.name,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "rows": parsed.rows.height,
                "rejected": len(parsed.rejects),
            }
        )
    frame = pl.concat(frames, how="vertical_relaxed") if frames else _empty_points()
    months = sorted(frame["month"].unique().to_list())
    types = sorted(frame["crime_type"].unique().to_list())
    crime_types = resolve_crime_types(filters.crime_types, types)
    codes: list[str] | None = None
    lpu = snt = None
    if filters.lpu is not None or filters.snt is not None:
        codes, lpu, snt = area_lsoa_codes(_load_areas(areas), filters.lpu, filters.snt)
    resolved = PointFilters(filters.months, crime_types, filters.record_types, lpu, snt)
    cond = pl.lit(True)
    if resolved.months:
        cond &= pl.col("month").is_between(pl.lit(resolved.months[0]), pl.lit(resolved.months[1]))
    if crime_types is not None:
        cond &= pl.col("crime_type").is_in(list(crime_types))
    if resolved.record_types is not None:
        cond &= pl.col("record_type").is_in(list(resolved.record_types))
    if codes is not None:
        cond &= pl.col("lsoa_code").is_in(codes)
    chosen = frame.filter(cond).select(POINT_COLUMNS + (("place",) if places else ()))
    if chosen.height == 0:
        _no_points(resolved, months, types, "the files")
    _check_coordinates(chosen, resolved)
    return PointSet(chosen, resolved, {"kind": "files", "files": described})


def points_from_store(
    store: Store,
    filters: PointFilters | None = None,
    areas: AreaHierarchy | None = None,
    url: str | None = None,
    places: bool = False,
) -> PointSet:
    """Points from the store, with the loads behind them for the stamp.

    ``places=True`` adds a ``place`` column, as :func:`points_from_files` does.

    Parameters
    ----------
    store : Store
        From :func:`asbhub.store.db.open_store` (or ``Store(url, "default")`` in the web app).
    filters : PointFilters, optional
    areas : AreaHierarchy, optional
        For an LPU or SNT filter; default :meth:`AreaHierarchy.load`.
    url : str, optional
        How to name the store in the stamp; default its URL without any password.
    """
    from asbhub.store import query

    filters = filters or PointFilters()
    types = query.store_crime_types(store)
    crime_types = resolve_crime_types(filters.crime_types, types)
    need_areas = filters.lpu is not None or filters.snt is not None
    hierarchy = _load_areas(areas) if need_areas else None
    _, lpu, snt = (
        area_lsoa_codes(hierarchy, filters.lpu, filters.snt) if hierarchy else (None, None, None)
    )
    resolved = PointFilters(
        filters.months,
        crime_types,
        filters.record_types,
        lpu,
        snt,
        filters.force,
        filters.kinds,
        filters.real_only,
    )
    frame = query.incident_points(
        store,
        months=resolved.months,
        crime_types=crime_types,
        record_types=resolved.record_types,
        lpu=lpu,
        snt=snt,
        areas=hierarchy,
        force=resolved.force,
        kinds=resolved.kinds,
        real_only=resolved.real_only,
    )
    if frame.height == 0:
        _no_points(
            resolved,
            query.store_months(store),
            types,
            f"the records of the store {display_url(store.url)}",
        )
    _check_coordinates(frame, resolved)
    if places:  # asbhub places (issue #16 item 4): the same filters, the same order
        described = query.incident_places(
            store,
            months=resolved.months,
            crime_types=crime_types,
            record_types=resolved.record_types,
            lpu=lpu,
            snt=snt,
            areas=hierarchy,
            force=resolved.force,
            kinds=resolved.kinds,
            real_only=resolved.real_only,
        )
        frame = frame.with_columns(pl.Series("place", described, dtype=pl.String))
    covered = sorted(frame["month"].unique().to_list())
    source = {
        "kind": "store",
        "url": url if url is not None else display_url(store.url),
        # Issue #12: only the loads the scope counts (a synthetic or another force's load of
        # the same month is not behind the figures, and the stamp must not say it is).
        "loads": [
            load for load in query.store_loads(store, covered) if _load_in_scope(load, resolved)
        ],
    }
    return PointSet(frame, resolved, source)


def _load_in_scope(load: dict[str, Any], filters: PointFilters) -> bool:
    """Whether a loaded unit (:func:`asbhub.store.query.store_loads`) holds records the
    filters' force, kinds and ``real_only`` count."""
    from asbhub.store.scope import is_synthetic_force

    force = load.get("force") or ""
    if filters.force is not None and force != filters.force:
        return False
    if filters.kinds is not None and load.get("kind") not in filters.kinds:
        return False
    return not (filters.real_only and is_synthetic_force(force))


def display_url(url: str) -> str:
    """A database URL fit to print or stamp: any password removed.

    Examples
    --------
    >>> display_url("postgresql://asb:secret@db.example:5432/asbhub")
    'postgresql://asb@db.example:5432/asbhub'
    >>> display_url("sqlite:///var/demo.sqlite3")
    'sqlite:///var/demo.sqlite3'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    netloc = f"{parts.username}@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=netloc))


# --------------------------------------------------------------------------------------------
# Harm weights
# --------------------------------------------------------------------------------------------


def read_harm_weights(path: Path | str) -> dict[str, float]:
    """Read a documented harm weights file (``crime_type,weight,source``, see
    :func:`asbhub.analysis.parse_harm_csv`) into a mapping.

    Raises
    ------
    ValueError
        Naming the file, line, field and value of the first bad row.
    """
    from asbhub.analysis import read_harm_csv

    return dict(read_harm_csv(path).weights)


# --------------------------------------------------------------------------------------------
# Running the analyses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotRequest:
    """The settings of one hotspot run; ``None`` lets the analysis choose and report.

    Parameters
    ----------
    method : {"gistar", "kde", "count"}
    cell_size, band, bandwidth : float, optional
        Metres.
    kernel : {"quartic", "gaussian"}
        For ``kde``.
    fdr : bool
        For ``gistar``: Benjamini-Hochberg correction of the classes.
    harm_weights : mapping of str to float, optional
        Weight per crime type; every type in the points must have one.
    """

    method: Literal["gistar", "kde", "count"] = "gistar"
    cell_size: float | None = None
    band: float | None = None
    bandwidth: float | None = None
    kernel: Literal["quartic", "gaussian"] = "quartic"
    fdr: bool = True
    harm_weights: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        if self.method not in HOTSPOT_METHODS:
            raise ValueError(f"unknown method {self.method!r}; use {', '.join(HOTSPOT_METHODS)}")
        for name in ("cell_size", "band", "bandwidth"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"{name.replace('_', ' ')} must be a positive number of metres, got {value}"
                )
        if self.band is not None and self.method != "gistar":
            raise ValueError("a band applies to the gistar method only")
        if self.bandwidth is not None and self.method != "kde":
            raise ValueError("a bandwidth applies to the kde method only")


def _weights(points: PointSet, harm: Mapping[str, float] | None) -> NDArray[np.float64] | None:
    if harm is None:
        return None
    from asbhub.analysis import harm_weights

    return harm_weights(points.frame["crime_type"].to_numpy(), harm)


def run_hotspots(
    points: PointSet, request: HotspotRequest
) -> HotspotGiStar | HotspotKDE | HotspotCount:
    """Run the requested hotspot method on the points.

    Records without coordinates, and strays far from the rest, are excluded by the analysis
    and listed in the result's ``excluded_indices`` (positions in ``points.frame``).
    """
    from asbhub.analysis import hotspot_count, hotspot_gistar, hotspot_kde

    xy = points.xy()
    weights = _weights(points, request.harm_weights)
    if request.method == "gistar":
        return hotspot_gistar(
            xy, cell_size=request.cell_size, band=request.band, fdr=request.fdr, weights=weights
        )
    if request.method == "kde":
        return hotspot_kde(
            xy,
            cell_size=request.cell_size,
            bandwidth=request.bandwidth,
            kernel=request.kernel,
            weights=weights,
        )
    return hotspot_count(xy, cell_size=request.cell_size, weights=weights)


@dataclass(frozen=True)
class TrendRequest:
    """The settings of one ``hotspot_classify`` run over months (see its parameters)."""

    cell_size: float | None = None
    band: float | None = None
    fdr: bool = True
    confidence: float = 0.95
    kind: Literal["hot", "cold"] = "hot"
    harm_weights: Mapping[str, float] | None = None


def run_trends(points: PointSet, request: TrendRequest) -> HotspotTrend:
    """Classify each cell by how its hot spot status changed over the months of the points.

    The slices run over the filter's months when given (so a quiet final month still counts),
    else from the first to the last month in the data.
    """
    from asbhub.analysis import hotspot_classify

    months = points.filters.months
    start, end = months if months else (None, None)
    return hotspot_classify(
        points.xy(),
        points.frame["month"].to_numpy(),
        period="month",
        start=start,
        end=end,
        cell_size=request.cell_size,
        band=request.band,
        fdr=request.fdr,
        confidence=request.confidence,
        kind=request.kind,
        weights=_weights(points, request.harm_weights),
    )
