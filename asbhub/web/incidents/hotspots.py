"""The hotspot page: a map of hot spots for a chosen area, crime type and period, and its data.

Thin: parse the form, get the points from the store (:mod:`asbhub.analysis_inputs`), run the
analysis, render. The map's cells come from ``api/hotspots.geojson`` with the same query, as
the same GeoJSON the CLI writes (:func:`asbhub.outputs.hotspot_geojson`); the page and the
data share one computation through a small cache keyed on the store's loads, so a reload of
the data is never answered from a stale result.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from asbhub.analysis import (
    HarmWeights,
    HotspotGiStar,
    gistar_too_few,
    harm_weights,
    hotspot_emerging,
    read_harm_csv,
)
from asbhub.analysis_inputs import (
    HotspotRequest,
    NoPointsError,
    PointFilters,
    points_from_store,
    run_hotspots,
)
from asbhub.domain.dates import split_months
from asbhub.domain.vocab import ASB_CRIME_TYPE
from asbhub.outputs import cell_table, describe_data, hotspot_geojson, legend_for, make_stamp
from asbhub.records.incidents import selectors as services
from asbhub.store import query
from asbhub.store.db import Store
from asbhub.store.scope import Scope, default_scope, latest_complete, scope_months
from asbhub.web.incidents.views import tile_layer
from asbhub.web.limits import heavy
from asbhub.web.versioned import per_store_version

#: Cell sizes offered, in metres; "auto" lets the analysis choose from the extent and say how.
CELL_SIZES = ("auto", "100", "250", "500", "1000")
METHODS = {
    "gistar": "Hot and cold spots (Getis-Ord Gi*)",
    "kde": "Kernel density",
    "count": "Counts per cell",
    # issue #16: ArcGIS's emerging hot spot categories over the months chosen (two or more)
    "emerging": "Emerging hot spots over the months (new, persistent, intensifying, ...)",
}
#: How many of the strongest cells the page lists in its table.
TOP_CELLS = 20
STORE_NAME = "the asbhub web app's database"


class HotspotForm(forms.Form):
    """What to map. Choices come from the data loaded, so only real options are offered."""

    def __init__(
        self,
        data: dict[str, Any],
        *,
        months: list[str],
        crime_types: list[str],
        lpus: list[str],
        force_name: str,
        harm: HarmWeights | None = None,
    ) -> None:
        super().__init__(data)
        self.harm_requested = data.get("harm", "") not in ("", "0")
        self.harm_configured = harm is not None
        month_choices = [(m, services.month_label(m)) for m in months]
        self.fields["area"] = forms.ChoiceField(
            label="Area",
            required=False,
            choices=[("", f"All of {force_name}")] + [(lpu, f"{lpu} LPU") for lpu in lpus],
        )
        self.fields["crime_type"] = forms.ChoiceField(
            label="Crime type",
            choices=[("asb", ASB_CRIME_TYPE), ("all", "All crime and ASB")]
            + [(t, t) for t in crime_types if t != ASB_CRIME_TYPE],
        )
        self.fields["from"] = forms.ChoiceField(label="From", choices=month_choices)
        self.fields["to"] = forms.ChoiceField(label="To", choices=month_choices)
        self.fields["method"] = forms.ChoiceField(
            label="Method", choices=list(METHODS.items()), widget=forms.RadioSelect
        )
        self.fields["cell"] = forms.ChoiceField(
            label="Cell size",
            choices=[(c, "Automatic" if c == "auto" else f"{c} m") for c in CELL_SIZES],
        )
        # issue #16 item 5: harm weighting, offered only when the server has a weights file.
        if harm is not None:
            self.fields["harm"] = forms.ChoiceField(
                label="Weight by harm",
                required=False,
                choices=[
                    ("", "No: each record counts 1"),
                    ("1", f"Yes: weights from {_base(harm)}"),
                ],
            )

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        if data.get("from") and data.get("to") and data["to"] < data["from"]:
            self.add_error(
                "to",
                "The period must end in or after the month it starts; choose a later ‘To’ month",
            )
        if self.harm_requested and not self.harm_configured:
            self.add_error(
                None,
                "Weight by harm: no harm weights are configured on this server; map without "
                "harm=1, or ask the administrator to set ASBHUB_HARM_WEIGHTS (docs/harm.md)",
            )
        data["harm"] = "1" if self.harm_configured and data.get("harm") == "1" else ""
        return data


def _defaults(month: str) -> dict[str, str]:
    # The latest complete month of real data (issue #12): what the morning briefing asks
    # about first, not the calendar month's few days nor the synthetic tail.
    return {
        "area": "",
        "crime_type": "asb",
        "from": month,
        "to": month,
        "method": "gistar",
        "cell": "auto",
        "harm": "",
    }


def configured_harm() -> HarmWeights | None:
    """The deployment's harm weights (``ASBHUB_HARM_WEIGHTS``, docs/harm.md), or None."""
    path = os.environ.get("ASBHUB_HARM_WEIGHTS")
    return read_harm_csv(path) if path else None


def _base(harm: HarmWeights) -> str:
    # The page is public: the weights file by its name, never the server's path to it.
    return os.path.basename(harm.name)


def _harm_key() -> str:
    # The weights file's path and time of change: an edited file is re-read (not cached).
    path = os.environ.get("ASBHUB_HARM_WEIGHTS", "")
    return f"{path}:{os.stat(path).st_mtime_ns}" if path and os.path.exists(path) else path


def page_scope() -> Scope:
    """The scope of the page: the deployment's force, recorded police data, no synthetic
    data unless the store holds nothing else (:func:`asbhub.store.scope.default_scope`)."""
    return default_scope(_store())


def _form(request: HttpRequest) -> tuple[HotspotForm | None, dict[str, Any]]:
    """The form bound to the query (with defaults for what it leaves out), or None if the
    store is empty; and what the page needs to describe the choices."""
    by_type = services.counts_by_month_and_type()
    # Only allowed months are offered (asbhub.domain.dates): an odd stored month such as
    # '0999-01' must not become the default period and fail the page for everyone.
    months = split_months(by_type["months"], timezone.localdate())[0]
    if not months:
        return None, {}
    scope = page_scope()
    # The months of the scope's data are offered (so the synthetic tail is not); the store's
    # when the scope has none, and the page then says that nothing matches.
    today = timezone.localdate()
    months = scope_months(_store(), scope, today) or months
    default = latest_complete(months, today) or months[-1]
    crime_types = sorted({r["crime_type"] for g in by_type["groups"] for r in g["rows"]})
    areas = services.area_hierarchy()
    data = {**_defaults(default), **{k: v for k, v in request.GET.items() if v is not None}}
    form = HotspotForm(
        data,
        months=months,
        crime_types=crime_types,
        lpus=areas.lpus,
        force_name=scope.force or areas.force_name,
        harm=configured_harm(),
    )
    return form, {
        "force_name": scope.force or areas.force_name,
        "scope": scope,
        "scope_text": scope.describe(),
        "months": months,
    }


def _store() -> Store:
    return Store(url=STORE_NAME, alias=services.DB_ALIAS)


def _query_string(cleaned: dict[str, Any]) -> str:
    keys = ("area", "crime_type", "from", "to", "method", "cell")
    extra = {"harm": "1"} if cleaned.get("harm") == "1" else {}
    return urlencode({**{k: cleaned[k] for k in keys}, **extra})


@per_store_version(maxsize=8)
def _analyse(
    version: tuple[int, str],
    area: str,
    crime_type: str,
    first: str,
    last: str,
    method: str,
    cell: str,
    scope: Scope,
    harm_key: str = "",
) -> dict[str, Any]:
    """Points, result, stamp and GeoJSON for one choice; cached per store version."""
    filters = PointFilters(
        months=(first, last),
        crime_types=(crime_type,),
        lpu=area or None,
        force=scope.force,
        kinds=tuple(sorted(scope.kinds)),
        real_only=not scope.synthetic,
    )
    areas = services.area_hierarchy()
    points = points_from_store(_store(), filters, areas, url=STORE_NAME)
    cell_size = None if cell == "auto" else float(cell)
    # issue #16 item 5: harm-weighted when asked (harm_key names the file and its version).
    harm = configured_harm() if harm_key else None
    weights = None if harm is None else dict(harm.weights)
    result: Any
    if method == "emerging":
        # issue #16: not a HotspotRequest method (it needs the months): run here.
        if first == last:
            raise ValueError(
                "emerging hot spots compare months: choose a period of at least two months "
                "(ten or more give the trend categories their meaning)"
            )
        request = None
        result = hotspot_emerging(
            points.xy(),
            points.frame["month"].to_numpy(),
            start=first,
            end=last,
            cell_size=cell_size,
            weights=None
            if weights is None
            else harm_weights(points.frame["crime_type"].to_list(), weights),
        )
    else:
        request = HotspotRequest(
            method=method,  # type: ignore[arg-type]
            cell_size=cell_size,
            harm_weights=weights,
        )
        result = run_hotspots(points, request)
    too_few = None
    if method == "gistar":
        # Too few records to test (issue #12): no Gi* classes; the counts per cell instead,
        # on the same cells, and the page says why.
        assert isinstance(result, HotspotGiStar)  # method "gistar" gives one: narrows the type
        too_few = gistar_too_few(result.counts)
        if too_few is not None:
            request = HotspotRequest(method="count", cell_size=cell_size, harm_weights=weights)
            result = run_hotspots(points, request)
    query_string = _query_string(
        {
            "area": area,
            "crime_type": crime_type,
            "from": first,
            "to": last,
            "method": method,
            "cell": cell,
            "harm": "1" if harm is not None else "",
        }
    )
    harm_stamp: dict[str, Any] = (
        {}
        if harm is None
        else {
            "harm_weights": dict(harm.weights),
            "harm_weights_file": {**harm.stamp(), "name": _base(harm)},
        }
    )
    stamp = make_stamp(
        result,
        data=points.data_stamp(),
        command=f"{reverse('hotspots')}?{query_string}",
        requested={"method": method, "cell_size": cell_size, **harm_stamp},
    )
    geojson = hotspot_geojson(result, stamp, areas)
    geojson["asbhub"]["scope"] = scope.as_dict()
    if too_few is not None:
        geojson["asbhub"]["gistar_refused"] = too_few
    return {
        "points": points,
        "result": result,
        "stamp": stamp,
        "geojson": geojson,
        "cells": cell_table(result, areas),
        "too_few": too_few,
        "scope_text": scope.describe(),
        "harm": harm,
    }


def _run(cleaned: dict[str, Any], scope: Scope) -> dict[str, Any]:
    return _analyse(
        query.store_version(_store()),
        cleaned["area"],
        cleaned["crime_type"],
        cleaned["from"],
        cleaned["to"],
        cleaned["method"],
        cleaned["cell"],
        scope,
        _harm_key() if cleaned.get("harm") == "1" else "",
    )


def wider_period(months: list[str], first: str, last: str, span: int = 3) -> str | None:
    """A wider period to suggest when a period is too thin to test: ``span`` months (at least
    one more than asked) ending at ``last``, from the months offered; None if none is wider."""
    if last not in months or first not in months:
        return None
    start = max(0, min(months.index(last) - span + 1, months.index(first) - 1))
    return months[start] if months[start] < first else None


# -- the page -------------------------------------------------------------------------------


# The page and its GeoJSON share one cached computation (_analyse): the same user asking
# again with the same choices while it runs (the map's own fetch and a click on "Download")
# waits for it rather than being refused (asbhub.web.limits, issue #12).
@heavy(shared="the hot spot map")
def hotspots_page(request: HttpRequest) -> HttpResponse:
    """The hotspot map for the area, crime type, period, method and cell size in the query.

    Bad choices give the form back with a message and status 400; a choice with no records
    says so (status 200: nothing is wrong with the request).
    """
    form, extra = _form(request)
    if form is None:
        return render(request, "incidents/hotspots.html", {"empty": True})
    context: dict[str, Any] = {"form": form, "methods": METHODS, **extra}
    if not form.is_valid():
        return render(request, "incidents/hotspots.html", context, status=400)
    try:
        run = _run(form.cleaned_data, extra["scope"])
    except NoPointsError as exc:
        context["no_points"] = str(exc)
        return render(request, "incidents/hotspots.html", context)
    except ValueError as exc:
        context["problem"] = str(exc)
        return render(request, "incidents/hotspots.html", context, status=400)
    qs = _query_string(form.cleaned_data)
    if run["too_few"] is not None:
        context["too_few"] = run["too_few"]
        wider = wider_period(extra["months"], form.cleaned_data["from"], form.cleaned_data["to"])
        if wider is not None:
            context["wider"] = {
                "from": services.month_label(wider),
                "to": services.month_label(form.cleaned_data["to"]),
                "url": reverse("hotspots")
                + "?"
                + _query_string({**form.cleaned_data, "from": wider}),
            }
    context.update(
        {
            "run": run,
            "stamp": run["stamp"],
            "what": describe_data(run["stamp"]),
            "legend": legend_for(run["result"]),
            "details": _details(run),
            "by_lpu": _by_lpu(run, form.cleaned_data["area"]),
            "top": _top_cells(run),
            "geojson_url": f"{reverse('hotspots-geojson')}?{qs}",
            "outlines": services.lpu_outlines_geojson(),
            "tiles": tile_layer(),
        }
    )
    return render(request, "incidents/hotspots.html", context)


@heavy(json=True, shared="the map")
def hotspots_geojson(request: HttpRequest) -> JsonResponse:
    """The cells of the page's map as GeoJSON (EPSG:4326) with the ``asbhub`` stamp; 400 with
    ``error`` and ``fields`` for bad parameters, 404 when no record matches."""
    form, extra = _form(request)
    if form is None:
        return JsonResponse({"error": "no records are loaded"}, status=404)
    if not form.is_valid():
        fields = {k: [str(e) for e in v] for k, v in form.errors.items()}
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        return JsonResponse({"error": f"bad parameters: {message}", "fields": fields}, status=400)
    try:
        run = _run(form.cleaned_data, extra["scope"])
    except NoPointsError as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(
        run["geojson"],
        content_type="application/geo+json",
        json_dumps_params={"separators": (",", ":")},
    )


# -- what the page shows beside the map -----------------------------------------------------


def _details(run: dict[str, Any]) -> list[tuple[str, str]]:
    """The parameters and counts, as (term, description) pairs."""
    stamp, result = run["stamp"], run["result"]
    prm, data, g = stamp["parameters"], stamp["data"], result.grid
    rule = prm["cell_size_rule"]
    out = [
        ("Scope", run["scope_text"]),
        ("Method", stamp["method_name"]),
        (
            "Records",
            f"{data['records_matching']:,} matching; {data['n_points_used']:,} mapped; "
            f"{data['excluded_without_coordinates']:,} without a place and "
            f"{data['excluded_strays_or_outside']:,} far-off strays left out",
        ),
        (
            "Cell size",
            f"{g.cell_size:g} m ("
            + ("chosen by you" if rule == "given" else f"chosen: {rule}")
            + ")",
        ),
    ]
    harm = run.get("harm")
    if harm is not None:
        # issue #16 item 5: which file, and the source column of the weights it used.
        used = sorted(set(run["points"].frame["crime_type"].to_list()))
        sources = "; ".join(
            f"{t}: {harm.weights.get(t, 0.0):g} ({harm.sources.get(t, 'not in the file: 0')})"
            for t in used
        )
        out.append(
            (
                "Harm weights",
                f"each record weighted by its crime type's harm (the counts and records shown are "
                f"sums of weights), from {_base(harm)} "
                f"(sha256 {harm.sha256[:12]}…); weight (source): {sources}",
            )
        )
    if stamp["method"] == "gistar":
        out.append(
            (
                "Neighbours",
                f"cells within {result.band:.0f} m, the cell itself "
                "included (the cell and its eight neighbours)"
                if abs(result.band - g.cell_size * 2**0.5) < 1e-6
                else f"cells within {result.band:.0f} m",
            )
        )
        levels = "/".join(f"{c:.0%}" for c in result.confidence_levels)
        out.append(
            (
                "Significance",
                f"{levels} confidence, "
                + (
                    "Benjamini-Hochberg false discovery rate correction"
                    if result.fdr
                    else "no correction for multiple tests"
                ),
            )
        )
        hot = int((result.classes > 0).sum())
        cold = int((result.classes < 0).sum())
        out.append(("Found", f"{hot:,} hot spot cells and {cold:,} cold spot cells"))
    if stamp["method"] == "emerging":
        cube = result.cube
        out.append(
            (
                "Space-time Gi*",
                f"cells within {cube.band:.0f} m in the same month and the "
                f"{cube.time_steps} before; significant at {cube.confidence:.0%} "
                + ("with" if cube.fdr else "without")
                + " Benjamini-Hochberg false discovery rate correction",
            )
        )
        out.append(
            (
                "Trend",
                f"Mann-Kendall at p ≤ {cube.trend_alpha:g} over {result.n_periods} months; "
                f"ArcGIS Pro's categories ({cube.share:.0%} rule)",
            )
        )
        found = [
            f"{n:,} {k}" for k, n in result.category_counts().items() if n and k != "no pattern"
        ]
        out.append(("Found", "; ".join(found) or "no emerging hot or cold spots"))
    if stamp["method"] == "kde":
        out.append(
            (
                "Kernel",
                f"{result.kernel}, bandwidth {result.bandwidth:.0f} m ({result.bandwidth_rule})",
            )
        )
    output = run["geojson"]["asbhub"]["output"]
    out.append(
        (
            "Lattice",
            f"{g.nx:,} × {g.ny:,} cells of British National Grid; "
            f"{output['cells_written']:,} shown ({output['cells_rule']})",
        )
    )
    out.append(("Run", f"{stamp['run_id']}, asbhub {stamp['version']}, {stamp['generated_at']}"))
    return out


def _lpu_label(lpu: str | None) -> str:
    return lpu or services.OUTSIDE_FORCE_AREA


def _by_lpu(run: dict[str, Any], area: str) -> dict[str, Any] | None:
    """Gi* hot spot cells per LPU at each confidence level, and the records in them."""
    if run["stamp"]["method"] != "gistar":
        return None
    result = run["result"]
    levels = result.confidence_levels
    cells = run["cells"]
    names = [area] if area else services.area_hierarchy().lpus
    rows: dict[str, list[int]] = {name: [0] * (len(levels) + 2) for name in names}
    for rec in cells.filter(cells["class"] > 0).iter_rows(named=True):
        row = rows.setdefault(_lpu_label(rec["lpu"]), [0] * (len(levels) + 2))
        row[len(levels) - rec["class"]] += 1
        row[len(levels)] += 1
        # Harm-weighted (issue #16 item 5): the sum of the weights, not truncated.
        row[len(levels) + 1] += int(rec["count"]) if run["harm"] is None else rec["count"]
    body: list[dict[str, Any]] = [{"lpu": k, "counts": v} for k, v in rows.items()]
    totals = [sum(r["counts"][i] for r in body) for i in range(len(levels) + 2)]
    return {
        "levels": [f"{c:.0%}" for c in reversed(levels)],
        "rows": body,
        "totals": totals,
        "records": run["stamp"]["data"]["n_points_used"],
    }


def _top_cells(run: dict[str, Any]) -> dict[str, Any]:
    """The strongest cells: Gi* hot spots by z, or the densest or busiest cells."""
    method = run["stamp"]["method"]
    cells = run["cells"]
    names = dict(services.area_hierarchy().lsoa.select("lsoa_code", "lsoa_name").iter_rows())
    if method == "gistar":
        chosen = cells.filter(cells["class"] > 0).sort(["class", "z"], descending=True)
        caption = f"The {TOP_CELLS} strongest hot spots"
    elif method == "emerging":
        # Hot categories first (intensifying, persistent, consecutive, new, ...), by z now.
        hot_codes = list(range(1, 9))
        chosen = cells.filter(cells["class"].is_in(hot_codes)).sort("z_last", descending=True)
        caption = f"The {TOP_CELLS} strongest emerging hot spots (by this month's z)"
    elif method == "kde":
        chosen = cells.sort("density", descending=True)
        caption = f"The {TOP_CELLS} densest cells"
    else:
        chosen = cells.sort("count", descending=True)
        caption = f"The {TOP_CELLS} busiest cells"
    rows = []
    for i, rec in enumerate(chosen.head(TOP_CELLS).iter_rows(named=True), start=1):
        rows.append(
            {
                "rank": i,
                "lpu": _lpu_label(rec["lpu"]),
                "lsoa": names.get(rec["lsoa_code"] or "", rec["lsoa_code"] or "–"),
                "cell_id": rec["cell_id"],
                "count": rec.get("count"),
                "z": rec.get("z", rec.get("z_last")),
                "density": rec.get("density"),
                "class_label": rec["class_label"],
                "note": rec.get("note") or "",
            }
        )
    return {"caption": caption, "rows": rows, "method": method, "total": chosen.height}
