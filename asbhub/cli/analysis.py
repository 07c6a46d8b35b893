"""`asbhub hotspots | trends | near-repeat | evaluate`: the analysis commands (issue #3).

Thin: parse the arguments, get the points (:mod:`asbhub.analysis_inputs`), run the analysis,
write the files (:mod:`asbhub.outputs`), print the parameters chosen and a short summary.
Errors are raised as ``ValueError`` with a message saying what to change; ``asbhub.cli.main``
prints them and exits with status 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asbhub.cli.common import (
    DB_HELP,
    OUT_HELP,
    command_line,
    data_arguments,
    harm_weights_of,
    load_areas,
    load_points,
    point_filters,
    print_err,
    print_out,
)

if TYPE_CHECKING:
    from asbhub.analysis import HotspotResult
    from asbhub.analysis_inputs import PointSet
    from asbhub.geo import AreaHierarchy


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``hotspots`` and ``trends`` to the main parser's sub-commands."""
    hs = sub.add_parser(
        "hotspots",
        help="hot spot maps (Gi*, kernel density or counts) as GeoJSON, CSV, PNG",
        description="Find hot spots in data.police.uk files (PATH...) or, without PATH, in the "
        "store, and write them as GeoJSON, CSV or PNG, each stamped with the "
        "parameters and data used. Parameters not given are chosen and reported.",
    )
    data_arguments(hs, DB_HELP)
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
    # -- issue #16: the emerging method's own setting (cmd_emerging below runs it) --
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
    data_arguments(tr, DB_HELP)
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


def _write(
    result: HotspotResult,
    points: PointSet,
    outs: list[Path],
    areas: AreaHierarchy | None,
    requested: dict[str, Any],
) -> None:
    from asbhub.outputs import describe_data, lpu_outlines_bng, make_stamp, write_outputs

    stamp = make_stamp(
        result, data=points.data_stamp(), command=command_line(), requested=requested
    )
    outlines = lpu_outlines_bng(areas) if areas is not None else None
    _summary(result, stamp, describe_data(stamp))
    done = write_outputs(result, outs, stamp, areas=areas, outlines=outlines)
    for d in done:
        extra = f" (stamp in {d['path']}.json)" if d["format"] == "csv" else ""
        print_out(f"wrote {d['path']}: {d['cells_written']:,} of {d['cells_total']:,} cells{extra}")
    print_out(f"run {stamp['run_id']}")


# -- commands -------------------------------------------------------------------------------


def cmd_hotspots(args: argparse.Namespace) -> int:
    from asbhub.analysis_inputs import HotspotRequest, run_hotspots
    from asbhub.outputs import output_format

    if args.method == "emerging":  # issue #16
        return cmd_emerging(args)

    # Every check that needs no data runs before any is read.
    for out in args.out:
        output_format(out)
    harm, harm_stamp = harm_weights_of(args)
    request = HotspotRequest(
        method=args.method,
        cell_size=args.cell,
        band=args.band,
        bandwidth=args.bandwidth,
        kernel=args.kernel,
        fdr=not args.no_fdr,
        harm_weights=harm,
    )
    filters = point_filters(args)
    areas = load_areas()
    points = load_points(args, filters, areas)
    result = run_hotspots(points, request)
    if args.method == "gistar":
        from asbhub.analysis import HotspotGiStar, gistar_too_few

        # Too few records to test (issue #12, docs/scope.md): no Gi* classes, the counts per
        # cell instead, and say why.
        assert isinstance(result, HotspotGiStar)  # method "gistar" gives one: narrows the type
        too_few = gistar_too_few(result.counts)
        if too_few is not None:
            print_err(
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
    harm, harm_stamp = harm_weights_of(args)
    request = TrendRequest(
        cell_size=args.cell,
        band=args.band,
        fdr=not args.no_fdr,
        confidence=args.confidence,
        kind=args.kind,
        harm_weights=harm,
    )
    filters = point_filters(args)
    areas = load_areas()
    points = load_points(args, filters, areas)
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


def cmd_emerging(args: argparse.Namespace) -> int:
    """``asbhub hotspots --method emerging``: emerging hot and cold spots over the months of
    the data, written as the other hot-spot files are (GeoJSON, CSV, PNG, stamped)."""
    from asbhub.analysis import hotspot_emerging
    from asbhub.outputs import output_format

    for out in args.out:
        output_format(out)
    if args.bandwidth is not None:
        raise ValueError("--bandwidth applies to --method kde only; emerging takes --band")
    if args.time_steps < 0:
        raise ValueError(f"--time-steps must be 0 or more, got {args.time_steps}")
    harm, harm_stamp = harm_weights_of(args)
    filters = point_filters(args)
    areas = load_areas()
    points = load_points(args, filters, areas)
    weights = None
    if harm is not None:
        from asbhub.analysis import harm_weights

        weights = harm_weights(points.frame["crime_type"].to_list(), harm)
    months = points.filters.months
    start, end = months if months else (None, None)
    result = hotspot_emerging(
        points.xy(),
        points.frame["month"].to_numpy(),
        start=start,
        end=end,
        cell_size=args.cell,
        band=args.band,
        time_steps=args.time_steps,
        fdr=not args.no_fdr,
        weights=weights,
    )
    requested = {
        "method": "emerging",
        "cell_size": args.cell,
        "band": args.band,
        "time_steps": args.time_steps,
        "fdr": not args.no_fdr,
        **harm_stamp,
    }
    _write(result, points, args.out, areas, requested)
    return 0


# -- printing -------------------------------------------------------------------------------


def _summary(result: HotspotResult, stamp: dict[str, Any], what: str) -> None:
    """The parameters chosen and what was found, a line each."""
    from asbhub.analysis import HotspotEmerging, HotspotGiStar, HotspotKDE, HotspotTrend

    prm, data, g = stamp["parameters"], stamp["data"], result.grid
    print_out(f"{stamp['method_name']}: {what}")
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
        print_out(f"  {name:<11} {text}")
