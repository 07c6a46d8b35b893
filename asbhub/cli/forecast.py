"""`asbhub hotspots evaluate`: how well each hot-spot method predicts next month (issue #16).

Registered as ``hotspots-evaluate``; ``asbhub.cli.main`` reads ``asbhub hotspots evaluate ...``
as that command (``hotspots`` itself takes data paths, so it cannot also take sub-commands).
Prints the mean PAI, PEI, PEI* and RRI per area share and method as a Markdown table (the
tables of docs/forecast-accuracy.md are this output), with ``--per-month`` every month's row,
with ``--json`` everything as one JSON object; ``--out FILE.csv`` writes every row with the
stamp beside it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from asbhub.cli.common import (
    DB_HELP,
    command_line,
    data_arguments,
    harm_weights_of,
    load_points,
    point_filters,
)

COMMAND = "hotspots-evaluate"


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``hotspots-evaluate`` (run as ``asbhub hotspots evaluate``)."""
    from asbhub.analysis import AREA_SHARES, FORECAST_METHODS

    ev = sub.add_parser(
        COMMAND,
        prog="asbhub hotspots evaluate",
        help="forecast accuracy of hot-spot methods (PAI, PEI, PEI*, RRI); run as "
        "'asbhub hotspots evaluate'",
        description="Train each hot-spot method on months 1..k, flag the top 1, 2, 5 and "
        "10%% of the study area, and score month k+1 with PAI, PEI, PEI* and RRI, for every "
        "month available; print the mean per method with the gain over last month's "
        "counts (the naive baseline). Definitions: docs/forecast-accuracy.md.",
    )
    data_arguments(ev, DB_HELP)
    ev.add_argument(
        "--method",
        action="append",
        type=str.lower,
        choices=FORECAST_METHODS,
        help="score this method (repeatable; default all: " + ", ".join(FORECAST_METHODS) + ")",
    )
    ev.add_argument(
        "--share",
        action="append",
        type=float,
        metavar="PCT",
        help="flag this percent of the study area (repeatable; default "
        + ", ".join(f"{s:.0%}".rstrip("%") for s in AREA_SHARES)
        + ")",
    )
    ev.add_argument(
        "--cell", type=float, default=250.0, metavar="M", help="cell size in metres (default 250)"
    )
    ev.add_argument(
        "--band",
        type=float,
        metavar="M",
        help="Gi* neighbour distance in metres (default cell x sqrt 2)",
    )
    ev.add_argument(
        "--bandwidth",
        type=float,
        metavar="M",
        help="KDE quartic radius in metres (default twice the cell size)",
    )
    ev.add_argument("--per-month", action="store_true", help="also print every test month's scores")
    ev.add_argument("--json", action="store_true", help="print everything as one JSON object")
    ev.add_argument(
        "--out",
        action="append",
        type=Path,
        metavar="FILE.csv",
        help="write every row as CSV, with the stamp beside it as FILE.csv.json",
    )
    ev.set_defaults(func=cmd_forecast_evaluate)


def rewrite_argv(argv: list[str]) -> list[str]:
    """``hotspots evaluate ...`` -> ``hotspots-evaluate ...``; anything else unchanged."""
    if argv[:2] == ["hotspots", "evaluate"]:
        return [COMMAND, *argv[2:]]
    return argv


def _force_files(paths: list[Path], force: str) -> list[Path]:
    """The data.police.uk street files of one force under ``paths``, by file name
    (``YYYY-MM-<force>-street.csv``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", force.lower()).strip("-")
    pattern = re.compile(rf"^\d{{4}}-\d{{2}}-{re.escape(slug)}-street\.csv$")
    found: list[Path] = []
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        if p.is_dir():
            found += sorted(f for f in p.rglob("*.csv") if pattern.match(f.name))
        elif pattern.match(p.name):
            found.append(p)
    if not found:
        raise ValueError(
            f"no data.police.uk street files of force {force!r} (named YYYY-MM-{slug}-street.csv) "
            f"under {', '.join(str(p) for p in paths)}; check the force name (e.g. derbyshire) "
            "or give the files themselves"
        )
    return found


def cmd_forecast_evaluate(args: argparse.Namespace) -> int:
    from asbhub.analysis import AREA_SHARES, FORECAST_METHODS, forecast_accuracy
    from asbhub.analysis_inputs import points_from_files
    from asbhub.outputs.forecast_files import (
        best_method_lines,
        forecast_month_markdown,
        forecast_stamp,
        forecast_summary_markdown,
        write_forecast_csv,
    )

    for out_path in args.out or []:
        if out_path.suffix.lower() != ".csv":
            raise ValueError(f"{out_path}: the forecast table is written as .csv; name it FILE.csv")
    shares = tuple(s / 100.0 for s in args.share) if args.share else AREA_SHARES  # given in percent
    methods = tuple(dict.fromkeys(args.method)) if args.method else FORECAST_METHODS
    harm, harm_stamp = harm_weights_of(args)
    filters = point_filters(args)
    if args.paths and args.force:
        points = points_from_files(_force_files(list(args.paths), args.force), filters)
    else:
        points = load_points(args, filters, None)
    frame = points.frame
    weights = None
    if harm is not None:
        from asbhub.analysis import harm_weights

        weights = harm_weights(frame["crime_type"].to_list(), harm)
    result = forecast_accuracy(
        points.xy(),
        frame["month"].to_numpy(),
        methods=methods,
        area_shares=shares,
        cell_size=args.cell,
        band=args.band,
        bandwidth=args.bandwidth,
        weights=weights,
    )
    requested: dict[str, Any] = {
        "methods": list(methods),
        "area_shares": list(shares),
        "cell_size": args.cell,
        "band": args.band,
        "bandwidth": args.bandwidth,
        "force": args.force,
        **harm_stamp,
    }
    stamp = forecast_stamp(
        result, data=points.data_stamp(), command=command_line(), requested=requested
    )
    written = [write_forecast_csv(result, out, stamp) for out in args.out or []]
    if args.json:
        from asbhub.outputs.forecast_files import forecast_csv_rows

        rows = forecast_csv_rows(result, stamp["run_id"])
        payload = {
            "stamp": stamp,
            "summary": result.summary(),
            "rows": [dict(zip(rows[0], r, strict=True)) for r in rows[1:]],
            "written": written,
        }
        sys.stdout.write(json.dumps(payload, indent=2, default=str, allow_nan=True) + "\n")
        return 0

    def out(text: str) -> None:
        sys.stdout.write(text + "\n")

    def err(text: str) -> None:
        sys.stderr.write(text + "\n")

    types = ", ".join(points.filters.crime_types or ["all crime types"])
    months = points.months_covered()
    g = result.grid
    out(
        f"Forecast accuracy: {types}; {months[0]} to {months[-1]}; "
        f"{result.n_points_used:,} records on {g.cell_size:g} m cells; study area "
        f"{result.n_cells:,} cells ({result.study_area_rule})"
    )
    out("")
    out(forecast_summary_markdown(result))
    out("")
    for line in best_method_lines(result):
        out(f"- {line}")
    if args.per_month:
        out("")
        out(forecast_month_markdown(result))
    for skipped in result.skipped:
        err(f"note: {skipped}")
    for w in written:
        err(f"wrote {w['path']}: {w['rows']} rows (stamp in {w['stamp']})")
    err(f"run {stamp['run_id']}")
    return 0
