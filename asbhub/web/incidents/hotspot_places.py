"""Places that concentrate records (issue #16 item 4): a staff page in the hot-spot area, and
its CSV and GeoJSON.

Thin: parse the form, get the points with their published places from the store
(:func:`asbhub.analysis_inputs.points_from_store` with ``places=True``), rank them
(:func:`asbhub.analysis.place_concentration`, :func:`asbhub.analysis.patrol_squares`),
render; the files are :mod:`asbhub.outputs.place_files`, the same the CLI writes.

Who may open it: as the weekly pack (streets and points of every incident in the store), a
signed-in user linked to an active agency who may see the incidents' summaries
(``access.PAGE_CHECKS["hotspot-places"]``, so the navigation asks the same).

Harm (issue #16 item 3): when the server's ``ASBHUB_HARM_WEIGHTS`` names a harm weights file
(docs/harm.md), the page offers ranking by harm as well as by records.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from asbhub.analysis import (
    HarmWeights,
    harm_weights,
    patrol_squares,
    place_concentration,
    read_harm_csv,
)
from asbhub.analysis_inputs import NoPointsError, PointFilters, points_from_store
from asbhub.domain.dates import split_months
from asbhub.domain.vocab import ASB_CRIME_TYPE
from asbhub.outputs.csvsafe import safe_writer
from asbhub.outputs.place_files import PLACE_COLUMNS, place_rows, places_geojson, places_stamp
from asbhub.records.incidents import selectors as services
from asbhub.records.partners.access import can_open, incident_summaries
from asbhub.store import query
from asbhub.store.db import Store
from asbhub.store.scope import Scope, default_scope, latest_complete, scope_months
from asbhub.web.limits import heavy
from asbhub.web.versioned import per_store_version

STORE_NAME = "the asbhub web app's database"
#: Places and patrol squares listed on the page (the files hold every place).
TOP_PLACES = 20
TOP_SQUARES = 10
LEVELS = {"street": "Streets", "point": "Map points"}
SQUARE_SIZES = ("150", "250", "500")
#: The concentration curve's drawing, in SVG user units.
_CURVE_W, _CURVE_H, _CURVE_POINTS = 320, 200, 200


def _check(request: HttpRequest) -> None:
    if not can_open(request.user, "hotspot-places"):
        decision = incident_summaries(request.user)
        reason = decision.reason if not decision.allowed else ""
        raise PermissionDenied(
            f"{reason} The places page lists the streets and map points of every incident, "
            "so it needs an account linked to an active agency that may see incident "
            "summaries. Ask your administrator."
        )


def configured_harm() -> HarmWeights | None:
    """The deployment's harm weights (``ASBHUB_HARM_WEIGHTS``), or None when not set."""
    path = os.environ.get("ASBHUB_HARM_WEIGHTS")
    return read_harm_csv(path) if path else None


def _store() -> Store:
    return Store(url=STORE_NAME, alias=services.DB_ALIAS)


def _choices(scope: Scope) -> dict[str, Any] | None:
    by_type = services.counts_by_month_and_type()
    today = timezone.localdate()
    months = split_months(by_type["months"], today)[0]
    if not months:
        return None
    months = scope_months(_store(), scope, today) or months
    areas = services.area_hierarchy()
    return {
        "months": months,
        "default": latest_complete(months, today) or months[-1],
        "crime_types": sorted({r["crime_type"] for g in by_type["groups"] for r in g["rows"]}),
        "lpus": areas.lpus,
        "force_name": scope.force or areas.force_name,
    }


def _form(request: HttpRequest, choices: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The query with defaults, and what is wrong with it (each message says what to do)."""
    months = choices["months"]
    form = {
        "area": request.GET.get("area", ""),
        "crime_type": request.GET.get("crime_type", "asb"),
        "from": request.GET.get("from", choices["default"]),
        "to": request.GET.get("to", choices["default"]),
        "level": request.GET.get("level", "street"),
        "square": request.GET.get("square", "150"),
        "rank_by": request.GET.get("rank_by", "count"),
    }
    errors = []
    if form["area"] and form["area"] not in choices["lpus"]:
        errors.append(f"Area: choose one of the LPUs ({', '.join(choices['lpus'])}) or all")
    if form["crime_type"] not in ("asb", "all", *choices["crime_types"]):
        errors.append("Crime type: choose one from the list")
    for key in ("from", "to"):
        if form[key] not in months:
            errors.append(
                f"{key.title()}: choose a month from the list ({months[0]} to {months[-1]})"
            )
    if not errors and form["to"] < form["from"]:
        errors.append("To: the period must end in or after the month it starts")
    if form["level"] not in LEVELS:
        errors.append("Places: choose streets or map points")
    if form["rank_by"] not in ("count", "harm") or (
        form["rank_by"] == "harm" and not os.environ.get("ASBHUB_HARM_WEIGHTS")
    ):
        errors.append(
            "Rank by: choose records; harm needs the server's ASBHUB_HARM_WEIGHTS file "
            "(docs/harm.md)"
        )
    if form["square"] not in SQUARE_SIZES:
        errors.append(f"Patrol square: choose {', '.join(SQUARE_SIZES)} metres")
    return form, errors


@per_store_version(maxsize=8)
def _analyse(version: tuple[int, str], key: tuple[tuple[str, str], ...], scope: Scope) -> Any:
    """Places, squares and stamp for one choice; cached per store version."""
    form = dict(key)
    form.pop("_harm_file", None)
    crime = form["crime_type"]
    filters = PointFilters(
        months=(form["from"], form["to"]),
        crime_types=None if crime == "all" else (crime,),
        lpu=form["area"] or None,
        force=scope.force,
        kinds=tuple(sorted(scope.kinds)),
        real_only=not scope.synthetic,
    )
    areas = services.area_hierarchy()
    points = points_from_store(_store(), filters, areas, url=STORE_NAME, places=True)
    frame = points.frame
    xy = points.xy()
    districts = dict(areas.lsoa.select("lsoa_code", "lad_name").iter_rows())
    harm = configured_harm() if form["rank_by"] == "harm" else None
    weights = None if harm is None else harm_weights(frame["crime_type"].to_numpy(), harm.weights)
    result = place_concentration(
        frame["place"].to_list(),
        xy[:, 0],
        xy[:, 1],
        months=frame["month"].to_numpy(),
        level=form["level"],  # type: ignore[arg-type]
        weights=weights,
        rank_by="harm" if harm is not None else "count",
        top=TOP_PLACES,
        areas=[districts.get(c) for c in frame["lsoa_code"].to_list()],
    )
    has = ~frame["place"].is_null().to_numpy()
    squares = patrol_squares(
        xy[has, 0],
        xy[has, 1],
        size=float(form["square"]),
        n=TOP_SQUARES,
        weights=None if weights is None else weights[has],
        rank_by="harm" if harm is not None else "count",
    )
    stamp = places_stamp(
        result,
        squares,
        data=points.data_stamp(),
        command=f"{reverse('hotspot-places')}?{urlencode(form)}",
        requested={**form, **({"harm_weights_file": harm.stamp()} if harm else {})},
    )
    stamp["scope"] = scope.as_dict()
    return result, squares, stamp


def _run(form: dict[str, str], scope: Scope) -> Any:
    # The weights file's path and time of change join the key: an edited file is re-read.
    path = os.environ.get("ASBHUB_HARM_WEIGHTS", "")
    stamp = f"{path}:{os.stat(path).st_mtime_ns}" if path and os.path.exists(path) else path
    key = {**form, "_harm_file": stamp if form["rank_by"] == "harm" else ""}
    return _analyse(query.store_version(_store()), tuple(sorted(key.items())), scope)


def _curve(result: Any) -> str:
    """The concentration curve as an SVG polyline's points (at most a few hundred)."""
    n = result.curve_x.size
    step = max(1, n // _CURVE_POINTS)
    idx = list(range(0, n, step))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return " ".join(
        f"{result.curve_x[i] * _CURVE_W:.1f},{(1 - result.curve_y[i]) * _CURVE_H:.1f}" for i in idx
    )


def _pc(v: float) -> str:
    return "–" if v != v else f"{100 * v:.1f}%"


@login_required
@heavy(when=lambda request: bool(request.GET.get("from")))
def places_page(request: HttpRequest) -> HttpResponse:
    """Ranked places, their concentration and stability, and candidate patrol squares."""
    _check(request)
    scope = default_scope(_store())
    choices = _choices(scope)
    if choices is None:
        return render(request, "incidents/hotspot_places.html", {"empty": True})
    form, errors = _form(request, choices)
    context: dict[str, Any] = {
        "form": form,
        "errors": errors,
        "choices": choices,
        "levels": LEVELS,
        "square_sizes": SQUARE_SIZES,
        "month_choices": [(m, services.month_label(m)) for m in choices["months"]],
        "scope_text": scope.describe(),
        "asb": ASB_CRIME_TYPE,
        "harm_file": os.environ.get("ASBHUB_HARM_WEIGHTS", ""),
    }
    if errors:
        return render(request, "incidents/hotspot_places.html", context, status=400)
    try:
        result, squares, stamp = _run(form, scope)
    except (NoPointsError, ValueError) as exc:
        context["no_points"] = str(exc)
        return render(request, "incidents/hotspot_places.html", context)
    qs = urlencode(form)
    rows = place_rows(result, squares, TOP_PLACES)
    for row in rows:
        row["share_text"] = _pc(row["share"]) if row["share"] is not None else "–"
    st = result.stability
    months = []
    if st is not None:
        for i, m in enumerate(st.months):
            months.append(
                {
                    "month": services.month_label(m),
                    "records": int(st.records[i]),
                    "gini": f"{st.gini_generalized[i]:.2f}",
                    "rho": f"{st.spearman[i]:.2f}" if i < st.spearman.size else "",
                    "kept": _pc(float(st.top_retained[i])) if i < st.top_retained.size else "",
                }
            )
    context.update(
        {
            "result": result,
            "stamp": stamp,
            "places": [r for r in rows if r["kind"] != "patrol_square"],
            "squares": [r for r in rows if r["kind"] == "patrol_square"],
            "square_size": squares.size,
            "share_25": _pc(result.share_for_25),
            "share_50": _pc(result.share_for_50),
            "gini": f"{result.gini:.3f}",
            "gini_generalized": f"{result.gini_generalized:.3f}",
            "months": months,
            "top": TOP_PLACES,
            "curve": _curve(result),
            "curve_w": _CURVE_W,
            "curve_h": _CURVE_H,
            "confidence": f"{result.confidence:.0%}",
            "csv_url": f"{reverse('hotspot-places-csv')}?{qs}",
            "geojson_url": f"{reverse('hotspot-places-geojson')}?{qs}",
        }
    )
    return render(request, "incidents/hotspot_places.html", context)


def _file_run(request: HttpRequest) -> tuple[Any, HttpResponse | None]:
    _check(request)
    scope = default_scope(_store())
    choices = _choices(scope)
    if choices is None:
        return None, HttpResponse("No records are loaded.", status=404, content_type="text/plain")
    form, errors = _form(request, choices)
    if errors:
        return None, HttpResponse(
            "; ".join(errors), status=400, content_type="text/plain; charset=utf-8"
        )
    try:
        return _run(form, scope), None
    except (NoPointsError, ValueError) as exc:
        return None, HttpResponse(str(exc), status=404, content_type="text/plain; charset=utf-8")


@login_required
@heavy
def places_csv(request: HttpRequest) -> HttpResponse:
    """Every ranked place and the patrol squares as CSV (formula-injection safe)."""
    run, refused = _file_run(request)
    if refused is not None:
        return refused
    result, squares, stamp = run
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="places-{stamp["run_id"]}.csv"'
    writer = safe_writer(response)
    writer.writerow([*PLACE_COLUMNS, "run_id"])
    for row in place_rows(result, squares):
        writer.writerow(
            [*("" if row[k] is None else row[k] for k in PLACE_COLUMNS), stamp["run_id"]]
        )
    return response


@login_required
@heavy(json=True)
def places_geojson_view(request: HttpRequest) -> HttpResponse:
    """Every ranked place and the patrol squares as GeoJSON (EPSG:4326) with the stamp."""
    run, refused = _file_run(request)
    if refused is not None:
        return refused
    result, squares, stamp = run
    return HttpResponse(
        json.dumps(places_geojson(result, squares, stamp), separators=(",", ":")),
        content_type="application/geo+json",
    )
