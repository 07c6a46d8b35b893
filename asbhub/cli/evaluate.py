"""`asbhub near-repeat` and `asbhub evaluate`: the analyses that need event dates (issue #3).

Both need to know *when* each event happened, to the day or better. data.police.uk publishes
a month and nothing finer, so these commands read dated records: a force export
(``occurred_from``) loaded with ``asbhub ingest`` and read with ``--db``. Records without a
date are counted, reported and left out; when none has one the command refuses, saying why.
``asbhub evaluate`` can also work from counts made elsewhere.

Thin, like :mod:`asbhub.cli.analysis`, whose argument and printing helpers it shares.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from asbhub.cli.common import (
    DB_HELP,
    command_line,
    data_arguments,
    force_filters,
    point_filters,
    print_err,
    print_out,
)
from asbhub.domain.dates import LOCAL_TIME_ZONE

if TYPE_CHECKING:
    import shapely

    from asbhub.analysis.evaluation import InterventionEvaluation, InterventionTally
    from asbhub.analysis.near_repeat import NearRepeatKnox
    from asbhub.analysis_inputs import PointFilters, PointSet
    from asbhub.store.db import Store

MONTH_ONLY = "data.police.uk publishes a month for each record but no date or time"


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``near-repeat`` and ``evaluate`` on the main parser's sub-commands."""
    nr = sub.add_parser(
        "near-repeat",
        help="Knox test: do events cluster in space and time (near repeats)?",
        description="Count pairs of events by distance and time apart, and compare with "
        "shuffles of the times (Knox test, Monte Carlo). Needs dated records: "
        "data.police.uk has months only, so load a force export (occurred_from) "
        "with asbhub ingest and read the store with --db. Records without a date "
        "are reported and left out. Bands are closed on the right: '0 to 100 m' "
        "is 0 <= d <= 100, 'over 100 to 200 m' is 100 < d <= 200.",
    )
    data_arguments(nr, DB_HELP)
    nr.add_argument(
        "--spatial-band",
        type=float,
        metavar="M",
        help="width of each spatial band in metres (default 100)",
    )
    nr.add_argument(
        "--spatial-bands",
        type=int,
        metavar="N",
        help="number of spatial bands before the open-ended last (default 5)",
    )
    nr.add_argument(
        "--spatial-edges",
        metavar="A,B,...",
        help="spatial band edges in metres from 0, e.g. 0,50,200 (instead of "
        "--spatial-band and --spatial-bands)",
    )
    nr.add_argument(
        "--temporal-band",
        type=float,
        metavar="DAYS",
        help="width of each temporal band in days (default 7)",
    )
    nr.add_argument(
        "--temporal-bands",
        type=int,
        metavar="N",
        help="number of temporal bands before the open-ended last (default 5)",
    )
    nr.add_argument(
        "--temporal-edges",
        metavar="A,B,...",
        help="temporal band edges in days from 0, e.g. 0,7,14,28 (instead of "
        "--temporal-band and --temporal-bands)",
    )
    nr.add_argument(
        "--permutations",
        type=int,
        default=999,
        metavar="N",
        help="shuffles of the times (default 999: smallest p-value 0.001)",
    )
    nr.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed for the shuffles (default: drawn, printed and stamped, so any "
        "run can be repeated exactly)",
    )
    nr.add_argument(
        "--out",
        action="append",
        required=True,
        type=Path,
        metavar="FILE",
        help="file to write: .csv (one row per band pair, the stamp beside it as "
        "FILE.csv.json) or .json (the stamp inside); repeat for several",
    )
    nr.set_defaults(func=cmd_near_repeat)

    ev = sub.add_parser(
        "evaluate",
        help="did an operation work? rate ratio, WDQ, net effect, WDD",
        description="Evaluate an intervention from before and after counts in a response "
        "area, a control area and optionally a buffer around the response area. "
        "Either give the counts (--response-before ... --control-after), or give "
        "the areas as GeoJSON polygons (EPSG:4326 longitude/latitude, or "
        "EPSG:27700 metres, named in a 'crs' member or told apart by the "
        "coordinates) with the dates, and the events are counted from dated "
        "records in the store (--db). data.police.uk has months only, so its "
        "records cannot be placed in day windows: they are reported and left out.",
    )
    data_arguments(ev, DB_HELP)
    counts = ev.add_argument_group("from counts")
    for area in ("response", "control", "buffer"):
        for when in ("before", "after"):
            counts.add_argument(
                f"--{area}-{when}",
                type=_count,
                metavar="N",
                help=f"events in the {area} area {when} the intervention"
                + (" (with --buffer-before/--buffer-after: optional)" if area == "buffer" else ""),
            )
    areas = ev.add_argument_group("from areas and dated records")
    areas.add_argument(
        "--response",
        type=Path,
        metavar="AREA.geojson",
        help="the area the intervention targeted: GeoJSON polygon(s)",
    )
    areas.add_argument(
        "--control",
        type=Path,
        metavar="AREA.geojson",
        help="a comparable area it did not reach: GeoJSON polygon(s); events "
        "in the response area or buffer are not counted here",
    )
    areas.add_argument(
        "--buffer-distance",
        type=float,
        metavar="M",
        help="count a buffer ring this many metres around the response area",
    )
    areas.add_argument(
        "--start", metavar="YYYY-MM-DD", help="first day of the intervention (UK local time)"
    )
    areas.add_argument(
        "--end",
        metavar="YYYY-MM-DD",
        help="last day of the intervention, included; the after period starts the next day",
    )
    ev.add_argument(
        "--before-days",
        type=float,
        metavar="D",
        help="length of the before period in days (from areas: required, the D "
        "days up to --start; from counts: optional, with --after-days)",
    )
    ev.add_argument(
        "--after-days",
        type=float,
        metavar="D",
        help="length of the after period in days (default: --before-days)",
    )
    ev.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        help="level of the confidence intervals (default 0.95)",
    )
    ev.add_argument(
        "--overdispersion",
        type=float,
        default=1.0,
        metavar="F",
        help="variance inflation over the Poisson (default 1: Poisson)",
    )
    ev.add_argument(
        "--out",
        type=Path,
        metavar="FILE.json",
        help="write the counts, every measure and the stamp as JSON",
    )
    ev.set_defaults(func=cmd_evaluate)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a count (a whole number >= 0), got {text!r}")
    return value


# -- dated records --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DatedPoints:
    """Records matching the filters, with when each began (``occurred_from``).

    Attributes
    ----------
    points : PointSet
    utc : ndarray of datetime64[s]
        ``occurred_from`` in UTC, NaT where the record has none: for elapsed times.
    local : ndarray of datetime64[s]
        The same in UK local wall-clock time: for windows given as dates.
    """

    points: PointSet
    utc: NDArray[np.datetime64]
    local: NDArray[np.datetime64]

    @property
    def n_undated(self) -> int:
        return int(np.isnat(self.utc).sum())


def _dated_points(args: argparse.Namespace, filters: PointFilters, command: str) -> DatedPoints:
    from asbhub.analysis_inputs import points_from_files, points_from_store

    if args.harm_weights is not None:
        raise ValueError(f"--harm-weights applies to hotspots and trends, not {command}")

    if args.paths:
        pts = points_from_files(args.paths, filters)
        raise ValueError(
            f"{command} needs the date of each event, and the {pts.frame.height:,} "
            f"records given ({pts.filters.describe()}) come from data.police.uk "
            f"files: {MONTH_ONLY}. Load dated records, e.g. a force export with "
            f"occurred_from, with 'asbhub ingest FILE --db URL' and run "
            f"'asbhub {command} --db URL'"
        )
    from asbhub.cli.common import open_read_store

    store = open_read_store(args.db)
    pts = points_from_store(store, force_filters(store, filters, args.force))
    occurred = _occurred_from(store, pts.filters)
    if len(occurred) != pts.frame.height:
        raise RuntimeError("the store changed while it was read; run the command again")
    import polars as pl

    s = pl.Series("occurred_from", occurred)
    if s.dtype == pl.Null:
        s = s.cast(pl.Datetime("us"))
    if getattr(s.dtype, "time_zone", None) is None:
        # The store keeps times in UTC; SQLite hands them back without a zone.
        s = s.dt.replace_time_zone("UTC")
    else:
        s = s.dt.convert_time_zone("UTC")
    utc = s.dt.replace_time_zone(None).to_numpy().astype("datetime64[s]")
    local = (
        s.dt.convert_time_zone(LOCAL_TIME_ZONE)
        .dt.replace_time_zone(None)
        .to_numpy()
        .astype("datetime64[s]")
    )
    dated = DatedPoints(pts, utc, local)
    if dated.n_undated == len(utc):
        raise ValueError(
            f"{command} needs the date of each event, and none of the "
            f"{len(utc):,} records matching ({pts.filters.describe()}) has one "
            f"(occurred_from): {MONTH_ONLY}. Load a force export with "
            "occurred_from with 'asbhub ingest', or filter to its records, e.g. "
            "--record-type asb"
        )
    if dated.n_undated:
        print_err(
            f"note: {dated.n_undated:,} of {len(utc):,} records have no date (occurred_from) "
            f"and are left out; {MONTH_ONLY}"
        )
    return dated


def _occurred_from(store: Store, filters: PointFilters) -> list[Any]:
    """``occurred_from`` of the records the points query returned, in the same order."""
    from asbhub.store import query

    return query.incident_times(
        store,
        months=filters.months,
        crime_types=filters.crime_types,
        record_types=filters.record_types,
        lpu=filters.lpu,
        snt=filters.snt,
        force=filters.force,
    )


def _data_stamp(dated: DatedPoints, used: int) -> dict[str, Any]:
    return {
        **dated.points.data_stamp(),
        "records_without_date": dated.n_undated,
        "n_points_used": used,
    }


# -- near-repeat ----------------------------------------------------------------------------


def _edges(text: str | None, option: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(
            f"{option} {text!r}: expected numbers separated by commas, starting at 0, e.g. 0,50,200"
        ) from None


def _bands(args: argparse.Namespace, axis: str, unit: str) -> dict[str, Any]:
    edges = _edges(getattr(args, f"{axis}_edges"), f"--{axis}-edges")
    width, n = getattr(args, f"{axis}_band"), getattr(args, f"{axis}_bands")
    if edges is not None and (width is not None or n is not None):
        raise ValueError(f"give either --{axis}-edges or --{axis}-band/--{axis}-bands, not both")
    if width is not None and not (math.isfinite(width) and width > 0):
        raise ValueError(f"--{axis}-band must be a positive number of {unit}, got {width:g}")
    if n is not None and n < 1:
        raise ValueError(f"--{axis}-bands must be at least 1, got {n}")
    if edges is not None:
        from asbhub.analysis.near_repeat import KnoxBands

        try:  # check now, before any data is read, and name the option
            (KnoxBands.spatial if axis == "spatial" else KnoxBands.temporal)(edges)
        except ValueError as exc:
            raise ValueError(f"--{axis}-edges: {exc}") from None
    return {f"{axis}_edges": edges, f"{axis}_bandwidth": width, f"n_{axis}_bands": n}


def cmd_near_repeat(args: argparse.Namespace) -> int:
    from asbhub.analysis.near_repeat import near_repeat_knox
    from asbhub.outputs.analysis_files import (
        analysis_output_format,
        analysis_stamp,
        knox_parameters,
        write_knox,
    )

    for out in args.out:
        analysis_output_format(out)
    bands = {**_bands(args, "spatial", "metres"), **_bands(args, "temporal", "days")}
    if args.permutations < 1:
        raise ValueError(f"--permutations must be at least 1, e.g. 999; got {args.permutations}")
    if args.seed is not None and args.seed < 0:
        raise ValueError(f"--seed must be a whole number >= 0, got {args.seed}")
    filters = point_filters(args)
    dated = _dated_points(args, filters, "near-repeat")
    xy = dated.points.xy()
    ok = ~np.isnat(dated.utc)
    knox = near_repeat_knox(
        xy[ok, 0],
        xy[ok, 1],
        dated.utc[ok],
        **bands,
        n_permutations=args.permutations,
        seed=args.seed,
    )
    requested = {**bands, "n_permutations": args.permutations, "seed": args.seed}
    data = {
        **_data_stamp(dated, knox.n_events),
        "excluded_without_coordinates": int(len(knox.excluded_indices)),
    }
    stamp = analysis_stamp(
        "near-repeat",
        knox_parameters(knox),
        data=data,
        command=command_line(),
        seed=knox.seed,
        requested=requested,
    )
    _knox_summary(knox, dated, stamp)
    for out in args.out:
        done = write_knox(knox, out, stamp)
        extra = f" (stamp in {out}.json)" if done["format"] == "csv" else ""
        print_out(f"wrote {out}: {done['rows']} band pairs{extra}")
    print_out(f"run {stamp['run_id']}")
    return 0


def _knox_summary(knox: NearRepeatKnox, dated: DatedPoints, stamp: dict[str, Any]) -> None:
    seeded = (
        "given"
        if stamp["requested"]["seed"] is not None
        else f"drawn; give --seed {knox.seed} to repeat this run"
    )
    n_all = dated.points.frame.height
    print_out(f"{stamp['method_name']}: {dated.points.filters.describe()}")
    rows = [
        (
            "events",
            f"{knox.n_events:,} used of {n_all:,} matching; {dated.n_undated:,} "
            f"without a date and {len(knox.excluded_indices):,} without coordinates "
            "left out",
        ),
        ("pairs", f"{knox.n_pairs:,} ({knox.n_close_pairs:,} within {knox.spatial.edges[-1]:g} m)"),
        ("space", f"{', '.join(knox.spatial.labels)} ({knox.spatial.rule})"),
        (
            "time",
            f"{', '.join(knox.temporal.labels)} ({knox.temporal.rule}; event times "
            "to the second, UTC)",
        ),
        ("permutations", f"{knox.n_permutations:,}"),
        ("seed", f"{knox.seed} ({seeded})"),
    ]
    for name, text in rows:
        print_out(f"  {name:<13}{text}")
    header = ("spatial band", "temporal band", "observed", "expected", "ratio", "p")
    table = [header] + [
        (
            r["spatial_band"],
            r["temporal_band"],
            f"{r['observed']:,}",
            f"{r['expected']:,.2f}",
            "-" if math.isnan(r["ratio"]) else f"{r['ratio']:.2f}",
            f"{r['p_value']:.3f}",
        )
        # The table's values are typed object; each column has the one type named in its docs.
        for r in cast("list[dict[str, Any]]", knox.table())
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [
            row[i].ljust(widths[i]) if i < 2 else row[i].rjust(widths[i])
            for i in range(len(header))
        ]
        print_out("  " + "  ".join(cells))
    print_out(
        "  ratio = observed / expected; p = share of permutations with at least as many pairs "
        "(one-sided)"
    )


# -- evaluate -------------------------------------------------------------------------------

_COUNT_OPTIONS = (
    "response_before",
    "response_after",
    "control_before",
    "control_after",
    "buffer_before",
    "buffer_after",
)
_AREA_OPTIONS = ("response", "control", "buffer_distance", "start", "end")


def _opt(name: str) -> str:
    return "--" + name.replace("_", "-")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from asbhub.analysis.evaluation import InterventionCounts, evaluate_intervention
    from asbhub.outputs.analysis_files import (
        analysis_output_format,
        analysis_stamp,
        write_evaluation_json,
    )

    if args.out is not None:
        analysis_output_format(args.out, (".json",))
    if not 0.0 < args.confidence < 1.0:
        raise ValueError(f"--confidence must lie between 0 and 1, e.g. 0.95; got {args.confidence}")
    if not (math.isfinite(args.overdispersion) and args.overdispersion > 0):
        raise ValueError(
            f"--overdispersion must be a positive factor (1 = Poisson), got {args.overdispersion}"
        )
    for name in ("before_days", "after_days"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{_opt(name)} must be a positive number of days, got {value:g}")
    by_counts = [n for n in _COUNT_OPTIONS if getattr(args, n) is not None]
    by_areas = [n for n in _AREA_OPTIONS if getattr(args, n) is not None]
    if by_counts and by_areas:
        raise ValueError(
            f"give either counts ({', '.join(map(_opt, by_counts))}) or areas "
            f"({', '.join(map(_opt, by_areas))}), not both"
        )
    tally: InterventionTally | None = None
    if by_counts or not by_areas:
        reading = [
            name
            for name, v in (
                ("PATH", args.paths),
                ("--db", args.db),
                ("--crime-type", args.crime_type),
                ("--record-type", args.record_type),
                ("--month", args.month),
                ("--from", args.from_month),
                ("--lpu", args.lpu),
                ("--snt", args.snt),
                ("--force", args.force),
                ("--harm-weights", args.harm_weights),
            )
            if v
        ]
        if reading:
            raise ValueError(
                f"{', '.join(reading)}: records are read and filtered only with "
                "--response and --control; with counts given by hand there is "
                "nothing to read"
            )
        missing = [_opt(n) for n in _COUNT_OPTIONS[:4] if getattr(args, n) is None]
        if missing:
            raise ValueError(
                f"missing {', '.join(missing)}: give the four counts "
                "--response-before, --response-after, --control-before and "
                "--control-after, or areas with --response and --control"
            )
        if (args.buffer_before is None) != (args.buffer_after is None):
            raise ValueError("give both --buffer-before and --buffer-after, or neither")
        if args.after_days is not None and args.before_days is None:
            raise ValueError(
                "--after-days needs --before-days (both, or neither for equal periods)"
            )
        after_days = args.after_days if args.after_days is not None else args.before_days
        counts = InterventionCounts(
            response_before=args.response_before,
            response_after=args.response_after,
            control_before=args.control_before,
            control_after=args.control_after,
            buffer_before=args.buffer_before,
            buffer_after=args.buffer_after,
            before_days=args.before_days,
            after_days=after_days,
        )
        data: dict[str, Any] = {"kind": "counts", "note": "counts given on the command line"}
    else:
        tally, data = _tally(args)
        counts = tally.counts
    evaluation = evaluate_intervention(
        counts, confidence=args.confidence, overdispersion=args.overdispersion
    )
    requested = {
        k: getattr(args, k)
        for k in (
            *_COUNT_OPTIONS,
            *_AREA_OPTIONS,
            "before_days",
            "after_days",
            "confidence",
            "overdispersion",
        )
    }
    params = {
        "confidence": args.confidence,
        "overdispersion": args.overdispersion,
        "before_days": counts.before_days,
        "after_days": counts.after_days,
    }
    stamp = analysis_stamp(
        "evaluate",
        params,
        data=data,
        command=command_line(),
        requested={k: str(v) if isinstance(v, Path) else v for k, v in requested.items()},
    )
    _evaluation_summary(evaluation, tally)
    if args.out is not None:
        write_evaluation_json(evaluation, args.out, stamp, tally)
        print_out(f"wrote {args.out}")
    print_out(f"run {stamp['run_id']}")
    return 0


def _day(text: str | None, option: str) -> date:
    if text is None:
        raise ValueError(
            f"{option} is needed with --response and --control: a date, YYYY-MM-DD, e.g. 2021-04-05"
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{option} {text!r} is not a date; expected YYYY-MM-DD, e.g. 2021-04-05"
        ) from None


def _tally(args: argparse.Namespace) -> tuple[InterventionTally, dict[str, Any]]:
    import hashlib

    from asbhub.analysis.evaluation import intervention_counts

    for name in ("response", "control"):
        if getattr(args, name) is None:
            raise ValueError(
                f"{_opt(name)} is needed: a GeoJSON file of the {name} area's polygon(s)"
            )
    start, end = _day(args.start, "--start"), _day(args.end, "--end")
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    if args.before_days is None:
        raise ValueError(
            "--before-days is needed with --response and --control: the length "
            "of the before period in days, e.g. 90"
        )
    if args.buffer_distance is not None and not (
        math.isfinite(args.buffer_distance) and args.buffer_distance > 0
    ):
        raise ValueError(
            f"--buffer-distance must be a positive number of metres, got {args.buffer_distance:g}"
        )
    response, r_crs = read_area(args.response, "--response")
    control, c_crs = read_area(args.control, "--control")
    dated = _dated_points(args, point_filters(args), "evaluate")
    xy = dated.points.xy()
    after_days = args.after_days if args.after_days is not None else args.before_days
    tally = intervention_counts(
        xy[:, 0],
        xy[:, 1],
        dated.local,
        response=response,
        control=control,
        start=np.datetime64(start.isoformat()),
        end=np.datetime64((end + timedelta(days=1)).isoformat()),
        before_days=args.before_days,
        after_days=after_days,
        buffer_distance=args.buffer_distance,
    )
    areas = {
        name: {
            "name": str(path),
            "crs": crs,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
        for name, path, crs in (
            ("response", args.response, r_crs),
            ("control", args.control, c_crs),
        )
    }
    data = {**_data_stamp(dated, tally.n_events - tally.n_excluded), "areas": areas}
    return tally, data


def read_area(path: Path, option: str) -> tuple[shapely.Geometry, str]:
    """One area from a GeoJSON file, on British National Grid.

    A FeatureCollection, Feature or bare geometry of Polygons and MultiPolygons (several are
    joined into one area). Coordinates are EPSG:4326 longitude and latitude (RFC 7946) or
    EPSG:27700 metres: a ``crs`` member naming either decides; without one, coordinates that
    fit longitude and latitude are read as such, and the rest as British National Grid.

    Returns
    -------
    geometry : shapely.Geometry
        In EPSG:27700 metres.
    crs : str
        ``'EPSG:4326'`` or ``'EPSG:27700'``, as read.
    """
    import json

    import shapely
    from shapely.geometry import shape

    from asbhub.geo import to_bng

    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{option} {path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{option} {path}: not a GeoJSON file ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{option} {path}: expected a GeoJSON object")
    kind = doc.get("type")
    geoms = (
        [f.get("geometry") for f in doc.get("features") or []]
        if kind == "FeatureCollection"
        else [doc.get("geometry")]
        if kind == "Feature"
        else [doc]
    )
    try:
        shapes = [shape(g) for g in geoms if g]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{option} {path}: a geometry could not be read ({exc})") from None
    if not shapes or any(s.geom_type not in ("Polygon", "MultiPolygon") for s in shapes):
        found = sorted({s.geom_type for s in shapes}) or ["nothing"]
        raise ValueError(
            f"{option} {path}: expected Polygon or MultiPolygon geometries, found "
            f"{', '.join(found)}"
        )
    area = shapely.union_all(shapes)
    crs_name = json.dumps(doc.get("crs") or "").upper()
    if "27700" in crs_name:
        crs = "EPSG:27700"
    elif "4326" in crs_name or "CRS84" in crs_name:
        crs = "EPSG:4326"
    else:
        x0, y0, x1, y1 = area.bounds
        crs = "EPSG:4326" if -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90 else "EPSG:27700"
    if crs == "EPSG:4326":
        area = shapely.transform(area, lambda c: np.column_stack(to_bng(c[:, 0], c[:, 1])))
    if not area.is_valid:
        raise ValueError(
            f"{option} {path}: the polygon is not valid "
            f"({shapely.is_valid_reason(area)}); fix it, e.g. in QGIS with "
            "Fix geometries"
        )
    if area.area <= 0:
        raise ValueError(f"{option} {path}: the polygon has no area")
    return area, crs


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "-" if value is None else format(value, fmt)


def _evaluation_summary(ev: InterventionEvaluation, tally: InterventionTally | None) -> None:
    c = ev.counts
    level = f"{ev.confidence:.0%}"
    print_out("Intervention evaluation")
    if tally is not None:
        b0, b1 = tally.before_window
        a0, a1 = tally.after_window
        print_out(
            f"  {'windows':<12}before {b0} to {b1}, after {a0} to {a1} (start included, end "
            "excluded; UK local time)"
        )
        print_out(
            f"  {'events':<12}{tally.n_events - tally.n_excluded:,} dated with coordinates; "
            f"{tally.n_during:,} during the intervention not counted; "
            f"{tally.n_control_overlap:,} in the control also in the response area or buffer, "
            "counted there"
        )
    days = (
        ""
        if c.before_days is None
        else f" (before {c.before_days:g} days, after {c.after_days:g} days)"
    )
    print_out(
        f"  {'counts':<12}response {c.response_before:,} -> {c.response_after:,}; control "
        f"{c.control_before:,} -> {c.control_after:,}"
        + (f"; buffer {c.buffer_before:,} -> {c.buffer_after:,}" if c.buffer else "")
        + days
    )
    rr = ev.rate_ratio
    if rr.value is None:
        print_out(f"  {'rate ratio':<12}undefined: {rr.reason}")
    else:
        print_out(
            f"  {'rate ratio':<12}{rr.value:.3f} ({level} CI {rr.ci_low:.3f} to "
            f"{rr.ci_high:.3f}; p {rr.p_value:.3g}): the response area changed "
            f"{rr.percent_change:+.1f}% relative to the control (RR above 1: it did better)"
        )
    if ev.buffer_rate_ratio is not None:
        br = ev.buffer_rate_ratio
        print_out(
            f"  {'buffer RR':<12}"
            + (
                f"undefined: {br.reason}"
                if br.value is None
                else f"{br.value:.3f} ({level} CI {br.ci_low:.3f} to {br.ci_high:.3f}; p "
                f"{br.p_value:.3g})"
            )
        )
    q = ev.wdq
    print_out(
        f"  {'WDQ':<12}"
        + (
            f"undefined: {q.reason}"
            if q.wdq is None
            else f"{q.wdq:.3f}: {q.interpretation} (success measure {q.success_measure:.4f}, buffer "
            f"displacement measure {q.buffer_displacement_measure:.4f})"
        )
    )
    ne = ev.net_effect
    print_out(
        f"  {'net effect':<12}"
        + (
            f"undefined: {ne.reason}"
            if ne.total is None
            else f"{ne.total:.1f} events prevented in total (response {ne.response:.1f}, buffer "
            f"{ne.buffer:.1f}; negative: events added)"
        )
    )
    w = ev.wdd
    if w.p_value is None:
        print_out(f"  {'WDD':<12}{w.estimate:.1f}: undefined z and p: {w.reason}")
    else:
        print_out(
            f"  {'WDD':<12}{w.estimate:.1f} events (SE {w.se:.2f}, z {w.z:.2f}, p "
            f"{w.p_value:.3g}; {level} CI {w.ci_low:.1f} to {w.ci_high:.1f}; negative: fewer "
            "events than the control's trend implies)"
        )
    if ev.overdispersion != 1:
        print_out(f"  {'note':<12}Poisson variances inflated by {ev.overdispersion:g}")
