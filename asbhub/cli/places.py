"""`asbhub places`: the map points and streets that concentrate records (issue #16 item 4).

Thin: parse, read the points with their published places (:mod:`asbhub.analysis_inputs`),
rank them (:func:`asbhub.analysis.place_concentration`, :func:`asbhub.analysis.patrol_squares`),
write the files (:mod:`asbhub.outputs.place_files`) and print a summary, or one JSON object
with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any

from asbhub.cli.common import (
    DB_HELP,
    command_line,
    data_arguments,
    force_filters,
    harm_weights_of,
    load_areas,
    point_filters,
    print_err,
    print_out,
)

_PERIOD = re.compile(r"^(\d{4}-\d{2})(?:(?:\.\.|:)(\d{4}-\d{2}))?$")


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``asbhub places`` (called from :mod:`asbhub.cli.analysis`)."""
    p = sub.add_parser(
        "places",
        help="rank map points or streets by records (or harm), with Poisson intervals, "
        "concentration, month-to-month stability and patrol squares",
        description="Rank data.police.uk's anonymised map points ('On or near ...') or "
        "streets by records, each with an exact Poisson interval; report the share of places "
        "holding 25%% and 50%% of records, the Gini (Bernasco and Steenbeek's generalized "
        "Gini), the rank correlation from month to month, and the busiest patrol squares. "
        "With --harm-weights the places can be ranked by harm instead.",
    )
    data_arguments(p, DB_HELP)
    p.add_argument(
        "--period",
        metavar="FROM..TO",
        help="months to read, e.g. 2018-10..2019-02 (or one month); the same as --from/--to",
    )
    p.add_argument(
        "--level",
        type=str.lower,
        choices=("point", "street"),
        default="street",
        help="rank streets (map points with one description within --street-join metres; "
        "default) or single map points",
    )
    p.add_argument(
        "--rank-by",
        type=str.lower,
        choices=("count", "harm"),
        default="count",
        help="rank by records (default) or by harm (needs --harm-weights)",
    )
    p.add_argument("--top", type=int, default=20, metavar="N", help="places to list (default 20)")
    p.add_argument(
        "--squares",
        type=int,
        default=20,
        metavar="N",
        help="candidate patrol squares to list (default 20; 0 for none)",
    )
    p.add_argument(
        "--square-size",
        type=float,
        default=150.0,
        metavar="M",
        help="side of a patrol square in metres on British National Grid (default 150)",
    )
    p.add_argument(
        "--street-join",
        type=float,
        default=400.0,
        metavar="M",
        help="map points with the same description within this many metres form one street "
        "(default 400)",
    )
    p.add_argument(
        "--confidence", type=float, default=0.95, help="of the Poisson intervals (default 0.95)"
    )
    p.add_argument(
        "--out",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="write every ranked place and the patrol squares: .geojson (EPSG:4326, for QGIS), "
        ".csv (stamp beside it as FILE.json) or .json; repeatable",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=cmd_places)


def _apply_period(args: argparse.Namespace) -> None:
    if args.period is None:
        return
    if args.month or args.from_month or args.to_month:
        raise ValueError("give either --period or --month / --from and --to, not several")
    m = _PERIOD.match(args.period.strip())
    if m is None:
        raise ValueError(
            f"--period {args.period!r}: expected YYYY-MM..YYYY-MM (e.g. 2018-10..2019-02) or "
            "one month YYYY-MM"
        )
    args.from_month, args.to_month = m.group(1), m.group(2) or m.group(1)


def cmd_places(args: argparse.Namespace) -> int:
    from asbhub.analysis import harm_weights, patrol_squares, place_concentration
    from asbhub.outputs.place_files import places_output_format, places_stamp, write_places

    for out in args.out:
        places_output_format(out)
    for name in ("top", "squares"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name} must be 0 or more, got {getattr(args, name)}")
    if not 0.0 < args.confidence < 1.0:
        raise ValueError(f"--confidence must lie between 0 and 1, e.g. 0.95; got {args.confidence}")
    harm, harm_stamp = harm_weights_of(args)
    if args.rank_by == "harm" and harm is None:
        raise ValueError("--rank-by harm needs --harm-weights FILE (crime_type,weight,source)")
    _apply_period(args)
    filters = point_filters(args)
    areas = load_areas()
    points = _place_points(args, filters, areas)
    frame = points.frame
    weights = None if harm is None else harm_weights(frame["crime_type"].to_numpy(), harm)
    xy = points.xy()
    result = place_concentration(
        frame["place"].to_list(),
        xy[:, 0],
        xy[:, 1],
        months=frame["month"].to_numpy(),
        level=args.level,
        weights=weights,
        rank_by=args.rank_by,
        confidence=args.confidence,
        street_join=args.street_join,
        top=max(args.top, 1),
        areas=_districts(frame, areas),
    )
    squares = None
    if args.squares > 0:
        has = ~frame["place"].is_null().to_numpy()
        squares = patrol_squares(
            xy[has, 0],
            xy[has, 1],
            size=args.square_size,
            n=args.squares,
            weights=None if weights is None else weights[has],
            rank_by=args.rank_by,
            confidence=args.confidence,
        )
    requested = {
        "level": args.level,
        "rank_by": args.rank_by,
        "top": args.top,
        "squares": args.squares,
        "square_size": args.square_size,
        "street_join": args.street_join,
        "confidence": args.confidence,
        **harm_stamp,
    }
    stamp = places_stamp(
        result, squares, data=points.data_stamp(), command=command_line(), requested=requested
    )
    done = [write_places(result, squares, out, stamp) for out in args.out]
    if args.json:
        from asbhub.outputs.place_files import place_rows

        rows = place_rows(result, None, args.top)
        doc = {
            "asbhub": stamp,
            "places": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
            "patrol_squares": []
            if squares is None
            else [
                {k: v for k, v in r.items() if not k.startswith("_")}
                for r in place_rows(result, squares, 0)
            ],
            "written": done,
        }
        print(json.dumps(doc, ensure_ascii=False, allow_nan=False))  # noqa: T201
        return 0
    _print_summary(result, squares, stamp, args.top, print_out)
    for d in done:
        extra = f" (stamp in {d['path']}.json)" if d["format"] == "csv" else ""
        print_out(f"wrote {d['path']}: {d['rows']:,} rows{extra}")
    print_out(f"run {stamp['run_id']}")
    if result.n_without_place:
        print_err(f"{result.n_without_place:,} records without a published place were left out")
    return 0


def _place_points(args: argparse.Namespace, filters: Any, areas: Any) -> Any:
    from asbhub.analysis_inputs import points_from_files, points_from_store

    if args.paths:
        if args.force:
            raise ValueError(
                "--force filters the records of the store; with files given, give only that "
                "force's files (or load them and use --db)"
            )
        return points_from_files(args.paths, filters, areas, places=True)
    from asbhub.cli.common import open_read_store

    store = open_read_store(args.db)
    return points_from_store(store, force_filters(store, filters, args.force), areas, places=True)


def _districts(frame: Any, areas: Any) -> list[str | None] | None:
    """The district (local authority) of each record's LSOA, to tell streets apart."""
    if areas is None:
        return None
    names = dict(areas.lsoa.select("lsoa_code", "lad_name").iter_rows())
    return [names.get(code) for code in frame["lsoa_code"].to_list()]


def _pc(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{100 * v:.1f}%"


def _print_summary(result: Any, squares: Any, stamp: dict[str, Any], top: int, out: Any) -> None:
    what = "streets" if result.level == "street" else "map points"
    out(f"Places ({what}), ranked by {'harm' if result.rank_by == 'harm' else 'records'}")
    out(f"  records     {result.n_records:,} with a published place at {result.n_places:,} {what}")
    out(f"  25% held by {_pc(result.share_for_25)} of {what}; 50% by {_pc(result.share_for_50)}")
    out(
        f"  Gini        {result.gini:.3f} (generalized, Bernasco and Steenbeek 2017: "
        f"{result.gini_generalized:.3f}) over {result.universe:,} {what}"
    )
    st = result.stability
    if st is not None and st.spearman.size:
        pairs = "; ".join(
            f"{st.months[i]}->{st.months[i + 1]}: rho {st.spearman[i]:.2f}, "
            f"top {st.top} kept {_pc(float(st.top_retained[i]))}"
            for i in range(st.spearman.size)
        )
        out(f"  stability   {pairs}")
    n = min(top, len(result.labels))
    pct = round(100 * result.confidence)
    if n:
        out(f"  {'rank':>4}  {'records':>7}  {pct}% interval   place")
        for i in range(n):
            extra = "" if result.harm is None else f"  harm {result.harm[i]:g}"
            out(
                f"  {i + 1:>4}  {int(result.counts[i]):>7}  "
                f"{result.ci_low[i]:6.1f} - {result.ci_high[i]:6.1f}   {result.labels[i]}"
                f"{', ' + result.areas[i] if result.areas[i] else ''}{extra}"
            )
    if squares is not None and squares.x0.size:
        out(
            f"  patrol squares ({squares.size:g} m, by {squares.rank_by}), busiest "
            f"{squares.x0.size} of {squares.n_squares_with_records:,} with records:"
        )
        for i in range(squares.x0.size):
            extra = "" if squares.harm is None else f"  harm {squares.harm[i]:g}"
            out(
                f"  {i + 1:>4}  {int(squares.counts[i]):>7}  {squares.ci_low[i]:6.1f} - "
                f"{squares.ci_high[i]:6.1f}   E {squares.x0[i]:.0f} N {squares.y0[i]:.0f}"
                f"  ({_pc(float(squares.share[i]))}){extra}"
            )
