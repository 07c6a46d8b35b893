"""`asbhub hotspots | trends | near-repeat | evaluate`: the analysis commands (issue #3).

Thin: parse the arguments, get the points (:mod:`asbhub.analysis_inputs`), run the analysis,
write the files (:mod:`asbhub.outputs`), print the parameters chosen and a short summary.
Errors are raised as ``ValueError`` with a message saying what to change; ``asbhub.cli.main``
prints them and exits with status 2.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from asbhub.analysis import HotspotResult
    from asbhub.analysis_inputs import PointFilters, PointSet
    from asbhub.geo import AreaHierarchy

OUT_HELP = (
    "file to write, the format from its ending: .geojson or .json (GeoJSON, EPSG:4326, "
    "for QGIS), .csv (for Power BI and spreadsheets, with the stamp beside it as "
    "FILE.json) or .png (a map for reports); repeat for several"
)


def add_analysis_commands(sub: argparse._SubParsersAction, db_help: str) -> None:
    """Register the analysis commands on the main parser's sub-commands."""
    hs = sub.add_parser(
        "hotspots",
        help="hot spot maps (Gi*, kernel density or counts) as GeoJSON, CSV, PNG",
        description="Find hot spots in data.police.uk files (PATH...) or, without PATH, in the "
        "store, and write them as GeoJSON, CSV or PNG, each stamped with the "
        "parameters and data used. Parameters not given are chosen and reported.",
    )
    _data_arguments(hs, db_help)
    hs.add_argument(
        "--method",
        type=str.lower,
        choices=("gistar", "kde", "count", "emerging"),
        default="gistar",
        help="gistar: Getis-Ord Gi* hot and cold spots with 90/95/99%% confidence "
        "classes (default); kde: kernel density; count: records per cell; emerging: "
        "ArcGIS's emerging hot and cold spots over the months (new, consecutive, "
        "intensifying, persistent, diminishing, sporadic, oscillating, historical; "
        "docs/emerging-hot-spots.md)",
    )
    # -- issue #16: the emerging method's own setting (asbhub/cli_forecast.py runs it) --
    hs.add_argument(
        "--time-steps",
        type=int,
        default=1,
        metavar="N",
        help="emerging: preceding months in each bin's space-time neighbourhood (default 1)",
    )
    hs.add_argument(
        "--cell",
        type=float,
        metavar="M",
        help="cell size in metres (default: chosen from the extent and reported)",
    )
    hs.add_argument(
        "--band",
        type=float,
        metavar="M",
        help="gistar: neighbour distance band in metres (default: cell x sqrt 2, "
        "the cell and its eight neighbours)",
    )
    hs.add_argument(
        "--bandwidth",
        type=float,
        metavar="M",
        help="kde: kernel bandwidth in metres (default: Scott's rule, reported)",
    )
    hs.add_argument(
        "--kernel",
        type=str.lower,
        choices=("quartic", "gaussian"),
        default="quartic",
        help="kde: kernel shape (default quartic)",
    )
    hs.add_argument(
        "--no-fdr",
        action="store_true",
        help="gistar: class on raw p-values instead of Benjamini-Hochberg "
        "FDR-corrected ones (finds many chance hot spots on a big lattice)",
    )
    hs.add_argument(
        "--out", action="append", required=True, type=Path, metavar="FILE", help=OUT_HELP
    )
    hs.set_defaults(func=cmd_hotspots)

    tr = sub.add_parser(
        "trends",
        help="how hot spots changed over months: new, emerging, persistent, ...",
        description="Classify each cell by its Gi* hot spot history over the months of the "
        "data (Mann-Kendall trend on each cell's z-scores): new, emerging, "
        "intensifying, persistent, diminishing, sporadic or former. Needs at "
        "least two months; ten or more give the trend categories their meaning.",
    )
    _data_arguments(tr, db_help)
    tr.add_argument(
        "--cell",
        type=float,
        metavar="M",
        help="cell size in metres (default: chosen from the extent and reported)",
    )
    tr.add_argument(
        "--band",
        type=float,
        metavar="M",
        help="neighbour distance band in metres (default: cell x sqrt 2)",
    )
    tr.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        help="confidence at which a cell counts as hot in a month (default 0.95)",
    )
    tr.add_argument(
        "--kind",
        type=str.lower,
        choices=("hot", "cold"),
        default="hot",
        help="follow hot spots (default) or cold spots",
    )
    tr.add_argument(
        "--no-fdr",
        action="store_true",
        help="judge each month on raw p-values, not FDR-corrected ones",
    )
    tr.add_argument(
        "--out", action="append", required=True, type=Path, metavar="FILE", help=OUT_HELP
    )
    tr.set_defaults(func=cmd_trends)

    # The analyses that need event dates live in their own module, beside these.
    from asbhub.cli_evaluate import add_dated_commands

    add_dated_commands(sub, db_help)

    # -- issue #16: `asbhub hotspots evaluate` (forecast accuracy), in asbhub/cli_forecast.py --
    from asbhub.cli_forecast import add_forecast_commands

    add_forecast_commands(sub, db_help)

    # -- asbhub places (issue #16 item 4): its own module, beside these --
    from asbhub.cli_places import add_places_command

    add_places_command(sub, db_help)


def _data_arguments(p: argparse.ArgumentParser, db_help: str) -> None:
    """Where the points come from and which to keep: shared by every analysis command."""
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="data.police.uk street files, folders or .zip archives; "
        "without any, the store is read",
    )
    p.add_argument("--db", help=db_help + "; read when no PATH is given")
    p.add_argument(
        "--crime-type",
        action="append",
        metavar="TYPE",
        help="keep this crime type (repeatable; default all): a data.police.uk "
        "type such as Burglary (any case), or asb for Anti-social behaviour",
    )
    p.add_argument(
        "--record-type",
        action="append",
        type=str.lower,
        choices=("asb", "crime", "roc"),
        help="keep this record type (repeatable; default all); roc = records of "
        "contact from a force export",
    )
    p.add_argument("--month", metavar="YYYY-MM", help="one month")
    p.add_argument("--from", dest="from_month", metavar="YYYY-MM", help="first month (with --to)")
    p.add_argument("--to", dest="to_month", metavar="YYYY-MM", help="last month (with --from)")
    p.add_argument("--lpu", metavar="NAME", help="one Local Policing Unit, e.g. Erewash")
    p.add_argument(
        "--snt", metavar="CODE", help="one Safer Neighbourhood Team, by code (SW03) or name"
    )
    p.add_argument(
        "--force",
        metavar="NAME",
        help="the force whose records are analysed (any case), as the store names it "
        "(default: $ASBHUB_FORCE, else the force with the most published police.uk records; "
        "docs/scope.md); what is left out is printed. Synthetic data (a force named "
        "SYNTHETIC ...) only when --force names it",
    )

    p.add_argument(
        "--harm-weights",
        "--harm",  # issue #16 item 3
        type=Path,
        metavar="CSV",
        help="weight records by crime type: a CSV with header crime_type,weight,source "
        "(see docs/harm.md; asbhub bundles no figures)",
    )


# -- shared steps ---------------------------------------------------------------------------


def _filters(args: argparse.Namespace) -> PointFilters:
    from asbhub.analysis_inputs import PointFilters

    if args.month and (args.from_month or args.to_month):
        raise ValueError("give either --month or --from and --to, not both")
    if bool(args.from_month) != bool(args.to_month):
        raise ValueError(
            "--from and --to go together: give both (the same month twice for "
            "one month, or use --month)"
        )
    months = (
        (args.month, args.month)
        if args.month
        else (args.from_month, args.to_month)
        if args.from_month
        else None
    )
    return PointFilters(
        months=months,
        crime_types=args.crime_type,
        record_types=args.record_type,
        lpu=args.lpu,
        snt=args.snt,
    )


def _areas() -> AreaHierarchy | None:
    from asbhub.geo import MappingFileError, area_hierarchy

    try:
        return area_hierarchy()
    except MappingFileError as exc:
        _err(f"warning: no area files, so cells get no LPU and maps no outlines: {exc}")
        return None


def _points(
    args: argparse.Namespace, filters: PointFilters, areas: AreaHierarchy | None
) -> PointSet:
    from asbhub.analysis_inputs import points_from_files, points_from_store

    if args.paths:
        if args.force:
            raise ValueError(
                "--force filters the records of the store; with files given, "
                "give only that force's files (or load them and use --db)"
            )
        return points_from_files(args.paths, filters, areas)
    from asbhub.cli_store import open_read_store

    store = open_read_store(args.db)
    return points_from_store(store, force_filters(store, filters, args.force), areas)


def force_filters(store: Any, filters: PointFilters, name: str | None) -> PointFilters:
    """``filters`` limited to the command's scope (issue #12: ``--force`` NAME in any case,
    else ``$ASBHUB_FORCE``, else the deployment's force; recorded police data; synthetic
    data only when ``--force`` names it), printing what is counted and what is left out."""
    import dataclasses

    from asbhub.cli_store import command_scope, scope_line

    scope = command_scope(store, name)
    _err(scope_line(store, scope))
    return dataclasses.replace(
        filters,
        force=scope.force,
        kinds=tuple(sorted(scope.kinds)),
        real_only=not scope.synthetic,
    )


def _harm(args: argparse.Namespace) -> tuple[dict[str, float] | None, dict[str, Any]]:
    if args.harm_weights is None:
        return None, {}
    import hashlib

    from asbhub.analysis import read_harm_csv

    # The documented file (issue #16 item 3): each weight's source goes into the stamp.
    harm = read_harm_csv(args.harm_weights)
    weights = dict(harm.weights)
    return weights, {
        "harm_weights": weights,
        "harm_weights_file": {
            "name": str(args.harm_weights),
            "sha256": hashlib.sha256(args.harm_weights.read_bytes()).hexdigest(),
            "sources": dict(harm.sources),
            "notes": list(harm.notes),
        },
    }


def _command_line() -> str:
    return shlex.join(["asbhub", *sys.argv[1:]])


def _write(
    result: HotspotResult,
    points: PointSet,
    outs: list[Path],
    areas: AreaHierarchy | None,
    requested: dict[str, Any],
) -> None:
    from asbhub.outputs import describe_data, lpu_outlines_bng, make_stamp, write_outputs

    stamp = make_stamp(
        result, data=points.data_stamp(), command=_command_line(), requested=requested
    )
    outlines = lpu_outlines_bng(areas) if areas is not None else None
    _summary(result, stamp, describe_data(stamp))
    done = write_outputs(result, outs, stamp, areas=areas, outlines=outlines)
    for d in done:
        extra = f" (stamp in {d['path']}.json)" if d["format"] == "csv" else ""
        _out(f"wrote {d['path']}: {d['cells_written']:,} of {d['cells_total']:,} cells{extra}")
    _out(f"run {stamp['run_id']}")


# -- commands -------------------------------------------------------------------------------


def cmd_hotspots(args: argparse.Namespace) -> int:
    from asbhub.analysis_inputs import HotspotRequest, run_hotspots
    from asbhub.outputs import output_format

    if args.method == "emerging":  # issue #16
        from asbhub.cli_forecast import cmd_emerging

        return cmd_emerging(args)

    # Every check that needs no data runs before any is read.
    for out in args.out:
        output_format(out)
    harm, harm_stamp = _harm(args)
    request = HotspotRequest(
        method=args.method,
        cell_size=args.cell,
        band=args.band,
        bandwidth=args.bandwidth,
        kernel=args.kernel,
        fdr=not args.no_fdr,
        harm_weights=harm,
    )
    filters = _filters(args)
    areas = _areas()
    points = _points(args, filters, areas)
    result = run_hotspots(points, request)
    if args.method == "gistar":
        from asbhub.analysis import HotspotGiStar, gistar_too_few

        # Too few records to test (issue #12, docs/scope.md): no Gi* classes, the counts per
        # cell instead, and say why.
        assert isinstance(result, HotspotGiStar)  # method "gistar" gives one: narrows the type
        too_few = gistar_too_few(result.counts)
        if too_few is not None:
            _err(
                f"too few records to test for hot spots: {too_few}; writing counts per cell "
                "instead (give a wider --from/--to, or a larger area)"
            )
            result = run_hotspots(
                points,
                HotspotRequest(method="count", cell_size=request.cell_size, harm_weights=harm),
            )
    requested = {
        "method": args.method,
        "cell_size": args.cell,
        "band": args.band,
        "bandwidth": args.bandwidth,
        "kernel": args.kernel,
        "fdr": not args.no_fdr,
        **harm_stamp,
    }
    _write(result, points, args.out, areas, requested)
    return 0


def cmd_trends(args: argparse.Namespace) -> int:
    from asbhub.analysis_inputs import TrendRequest, run_trends
    from asbhub.outputs import output_format

    for out in args.out:
        output_format(out)
    if not 0.0 < args.confidence < 1.0:
        raise ValueError(f"--confidence must lie between 0 and 1, e.g. 0.95; got {args.confidence}")
    harm, harm_stamp = _harm(args)
    request = TrendRequest(
        cell_size=args.cell,
        band=args.band,
        fdr=not args.no_fdr,
        confidence=args.confidence,
        kind=args.kind,
        harm_weights=harm,
    )
    filters = _filters(args)
    areas = _areas()
    points = _points(args, filters, areas)
    result = run_trends(points, request)
    requested = {
        "cell_size": args.cell,
        "band": args.band,
        "fdr": not args.no_fdr,
        "confidence": args.confidence,
        "kind": args.kind,
        **harm_stamp,
    }
    _write(result, points, args.out, areas, requested)
    return 0


# -- printing -------------------------------------------------------------------------------

_console = Console(soft_wrap=True, highlight=False)
_err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def _out(text: str) -> None:
    # markup=False: paths and rules hold square brackets that rich would read as markup.
    _console.print(text, markup=False)


def _err(text: str) -> None:
    _err_console.print(text, markup=False)


def _summary(result: HotspotResult, stamp: dict[str, Any], what: str) -> None:
    """The parameters chosen and what was found, a line each."""
    from asbhub.analysis import HotspotEmerging, HotspotGiStar, HotspotKDE, HotspotTrend

    prm, data, g = stamp["parameters"], stamp["data"], result.grid
    _out(f"{stamp['method_name']}: {what}")
    rows = [
        ("cell size", f"{g.cell_size:g} m ({prm['cell_size_rule']})"),
        (
            "lattice",
            f"{g.nx} x {g.ny} cells from ({g.x0:.0f}, {g.y0:.0f}) on British "
            f"National Grid; {prm['extent_rule']}",
        ),
    ]
    if isinstance(result, HotspotGiStar | HotspotTrend | HotspotEmerging):
        default = " (default: cell x sqrt 2)" if stamp["requested"].get("band") is None else ""
        rows.append(("band", f"{result.band:.0f} m{default}"))
        rows.append(
            (
                "FDR",
                "Benjamini-Hochberg correction on"
                if result.fdr
                else "off: classes on raw p-values",
            )
        )
    if isinstance(result, HotspotKDE):
        rows.append(
            (
                "kernel",
                f"{result.kernel}, bandwidth {result.bandwidth:.0f} m ({result.bandwidth_rule})",
            )
        )
    if result.weighted:
        rows.append(("weights", "harm weights by crime type"))
    rows.append(
        (
            "records",
            f"{data['records_matching']:,} matching; {data['n_points_used']:,} "
            f"mapped; {data['excluded_without_coordinates']:,} without "
            f"coordinates and {data['excluded_strays_or_outside']:,} strays "
            "left out",
        )
    )
    if isinstance(result, HotspotGiStar):
        levels = result.confidence_levels
        for sign, word in ((1, "hot spots"), (-1, "cold spots")):
            per = [
                (f"{levels[k - 1]:.0%}", int((result.classes == sign * k).sum()))
                for k in range(len(levels), 0, -1)
            ]
            total = sum(n for _, n in per)
            rows.append(
                (word, f"{total:,} cells (" + "; ".join(f"{lvl}: {n:,}" for lvl, n in per) + ")")
            )
    elif isinstance(result, HotspotTrend):
        counts = result.category_counts()
        rows.append(("months", f"{result.n_periods}: {', '.join(prm['periods'])}"))
        rows.append(
            ("categories", "; ".join(f"{k}: {v:,}" for k, v in counts.items() if k != "no pattern"))
        )
    elif isinstance(result, HotspotEmerging):  # issue #16
        counts = result.category_counts()
        rows.append(("months", f"{result.n_periods}: {', '.join(prm['periods'])}"))
        rows.append(("analysed", f"{prm['cells_analysed']:,} cells ({prm['mask_rule']})"))
        rows.append(
            ("categories", "; ".join(f"{k}: {v:,}" for k, v in counts.items() if k != "no pattern"))
        )
    elif isinstance(result, HotspotKDE):
        rows.append(("peak", f"{float(result.density.max()):.3g} {result.units}"))
    else:
        counts = result.counts  # type: ignore[attr-defined]
        rows.append(
            (
                "cells",
                f"{int((counts > 0).sum()):,} with records; the busiest has "
                f"{float(counts.max()):g}",
            )
        )
    for name, text in rows:
        _out(f"  {name:<11} {text}")
