"""Forecast accuracy on the web (issue #16 item 5): how well each hot-spot method's map of
months 1..k predicts month k+1 over the store's months, as ``asbhub hotspots evaluate``.

Thin: parse the choice, get the points from the store in the page's scope (the deployment's
force, recorded data, synthetic left out as on the hot-spot page), run
:func:`asbhub.analysis.forecast_accuracy` under the heavy-job gate, cache it per store
version, render; the CSV and its stamp are those ``--out FILE.csv`` writes
(:mod:`asbhub.outputs.forecast_files`).

Who may open it: the staff of the hot-spot area, as the places page
(``access.PAGE_CHECKS["hotspot-forecast"]``, so the navigation asks the same).
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from asbhub.analysis import forecast_accuracy
from asbhub.analysis.forecast import METHOD_LABELS
from asbhub.analysis_inputs import NoPointsError, PointFilters, points_from_store
from asbhub.domain.dates import split_months
from asbhub.domain.vocab import ASB_CRIME_TYPE
from asbhub.outputs.csvsafe import safe_writer
from asbhub.outputs.forecast_files import best_method_lines, forecast_csv_rows, forecast_stamp
from asbhub.records.incidents import selectors as services
from asbhub.records.partners.access import can_open, incident_summaries
from asbhub.store import query
from asbhub.store.db import Store
from asbhub.store.scope import Scope, default_scope, scope_months
from asbhub.web.limits import heavy
from asbhub.web.versioned import per_store_version

STORE_NAME = "the asbhub web app's database"
CELL_SIZES = ("100", "250", "500", "1000")


def _check(request: HttpRequest) -> None:
    if not can_open(request.user, "hotspot-forecast"):
        decision = incident_summaries(request.user)
        reason = decision.reason if not decision.allowed else ""
        raise PermissionDenied(
            f"{reason} The forecast accuracy page is for staff of an active agency that may "
            "see incident summaries, as the places page. Ask your administrator."
        )


def _store() -> Store:
    return Store(url=STORE_NAME, alias=services.DB_ALIAS)


def _choices(scope: Scope) -> dict[str, Any] | None:
    by_type = services.counts_by_month_and_type()
    today = timezone.localdate()
    months = split_months(by_type["months"], today)[0]
    if not months:
        return None
    return {
        "months": scope_months(_store(), scope, today) or months,
        "crime_types": sorted({r["crime_type"] for g in by_type["groups"] for r in g["rows"]}),
    }


def _form(request: HttpRequest, choices: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    form = {
        "crime_type": request.GET.get("crime_type", "asb"),
        "cell": request.GET.get("cell", "250"),
    }
    errors = []
    if form["crime_type"] not in ("asb", "all", *choices["crime_types"]):
        errors.append("Crime type: choose one from the list (asb, all, or a crime type loaded)")
    if form["cell"] not in CELL_SIZES:
        errors.append(f"Cell size: choose {', '.join(CELL_SIZES)} metres")
    return form, errors


def page_points(crime_type: str, months: list[str], scope: Scope) -> Any:
    """The points the page scores: the scope's records of the crime type over ``months``."""
    filters = PointFilters(
        months=(months[0], months[-1]),
        crime_types=None if crime_type == "all" else (crime_type,),
        force=scope.force,
        kinds=tuple(sorted(scope.kinds)),
        real_only=not scope.synthetic,
    )
    return points_from_store(_store(), filters, services.area_hierarchy(), url=STORE_NAME)


@per_store_version(maxsize=8)
def _analyse(
    version: tuple[int, str], crime_type: str, cell: str, months: tuple[str, ...], scope: Scope
) -> tuple[Any, Any, dict[str, Any]]:
    """Points, result and stamp for one choice; cached per store version."""
    points = page_points(crime_type, list(months), scope)
    result = forecast_accuracy(points.xy(), points.frame["month"].to_numpy(), cell_size=float(cell))
    query_string = urlencode({"crime_type": crime_type, "cell": cell})
    stamp = forecast_stamp(
        result,
        data=points.data_stamp(),
        command=f"{reverse('hotspot-forecast')}?{query_string}",
        requested={
            "methods": list(result.methods),
            "area_shares": list(result.area_shares),
            "cell_size": float(cell),
            "band": None,
            "bandwidth": None,
        },
    )
    stamp["scope"] = scope.as_dict()
    return points, result, stamp


def _run(request: HttpRequest) -> tuple[Any, dict[str, Any], HttpResponse | None]:
    """(analysis, context, refusal): the refusal is a response to give instead."""
    _check(request)
    scope = default_scope(_store())
    choices = _choices(scope)
    context: dict[str, Any] = {"scope_text": scope.describe(), "cell_sizes": CELL_SIZES}
    if choices is None:
        return None, {**context, "empty": True}, None
    form, errors = _form(request, choices)
    context.update({"form": form, "errors": errors, "choices": choices, "asb": ASB_CRIME_TYPE})
    if errors:
        return None, context, None
    if len(choices["months"]) < 2:
        # Nothing wrong with the request: the store holds too little to score (status 200).
        context["no_points"] = (
            f"Only {len(choices['months'])} month of records is loaded: forecast accuracy "
            "trains on one month and scores the next, so it needs two months or more"
        )
        return None, context, None
    try:
        run = _analyse(
            query.store_version(_store()),
            form["crime_type"],
            form["cell"],
            tuple(choices["months"]),
            scope,
        )
    except (NoPointsError, ValueError) as exc:
        context["no_points"] = str(exc)
        return None, context, None
    return run, context, None


def _fmt(value: Any, digits: int) -> str:
    v = float(value)
    return "–" if math.isnan(v) else ("∞" if math.isinf(v) else f"{v:.{digits}f}")


def summary_rows(result: Any) -> list[dict[str, Any]]:
    """The summary table as shown: one row per area share and method."""
    return [
        {
            "share": f"{float(r['area_share']):.0%}",
            "method": METHOD_LABELS.get(str(r["method"]), str(r["method"])),
            "method_key": r["method"],
            "months": int(float(r["months"])),
            "pai": _fmt(r["pai"], 2),
            "pei": _fmt(r["pei"], 3),
            "pei_star": _fmt(r["pei_star"], 3),
            "rri": _fmt(r["rri"], 2),
            "vs_naive": _fmt(r["pai_vs_naive"], 2),
        }
        for r in result.summary()
    ]


@login_required
@heavy(shared="the forecast table")  # the default choice is computed too
def forecast_page(request: HttpRequest) -> HttpResponse:
    """The forecast accuracy summary for the crime type and cell size chosen."""
    run, context, _ = _run(request)
    status = 400 if context.get("errors") else 200
    if run is not None:
        points, result, stamp = run
        qs = urlencode(context["form"])
        months = points.months_covered()
        context.update(
            {
                "result": result,
                "stamp": stamp,
                "rows": summary_rows(result),
                "best": best_method_lines(result),
                "first": services.month_label(months[0]),
                "last": services.month_label(months[-1]),
                "n_points": result.n_points_used,
                "cell_size": f"{result.grid.cell_size:g}",
                "csv_url": f"{reverse('hotspot-forecast-csv')}?{qs}",
                "stamp_url": f"{reverse('hotspot-forecast-stamp')}?{qs}",
            }
        )
    return render(request, "incidents/hotspot_forecast.html", context, status=status)


def _file_run(request: HttpRequest) -> tuple[Any, HttpResponse | None]:
    run, context, _ = _run(request)
    if context.get("empty"):
        return None, HttpResponse("No records are loaded.", status=404, content_type="text/plain")
    if context.get("errors"):
        return None, HttpResponse(
            "; ".join(context["errors"]), status=400, content_type="text/plain; charset=utf-8"
        )
    if run is None:
        return None, HttpResponse(
            context.get("no_points", ""), status=404, content_type="text/plain; charset=utf-8"
        )
    return run, None


@login_required
@heavy(shared="the forecast table")
def forecast_csv(request: HttpRequest) -> HttpResponse:
    """Every method, test month and area share as CSV, as ``--out FILE.csv`` writes it."""
    run, refused = _file_run(request)
    if refused is not None:
        return refused
    _, result, stamp = run
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="forecast-accuracy-{stamp["run_id"]}.csv"'
    )
    response.write("\ufeff")  # UTF-8 with BOM, as the CLI's file (Excel, Power BI)
    safe_writer(response).writerows(forecast_csv_rows(result, stamp["run_id"]))
    return response


@login_required
@heavy(json=True, shared="the forecast table")
def forecast_stamp_view(request: HttpRequest) -> HttpResponse:
    """The CSV's stamp (what ``--out FILE.csv`` writes beside it as ``FILE.csv.json``)."""
    run, refused = _file_run(request)
    if refused is not None:
        return refused
    _, result, stamp = run
    meta = {**stamp, "output": {"format": "csv", "rows": len(result.rows)}}
    response = HttpResponse(
        json.dumps(meta, indent=2, ensure_ascii=False, default=str, allow_nan=False),
        content_type="application/json",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="forecast-accuracy-{stamp["run_id"]}.csv.json"'
    )
    return response
