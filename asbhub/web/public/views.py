"""Public pages, open to anyone without signing in.

Thin: parse the request, call :mod:`asbhub.web.public.services`, render. Nothing here shows
a stored report back: the confirmation page gives only the reference it was handed.
"""

from __future__ import annotations

import re

from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from asbhub.records.incidents.selectors import lpu_outlines_geojson
from asbhub.store.db import is_lock_error
from asbhub.web import ratelimit
from asbhub.web.incidents.places import find_places, force_bounds
from asbhub.web.incidents.views import tile_layer
from asbhub.web.public import services
from asbhub.web.public.forms import CATEGORY_GUIDANCE, LAT_RANGE, LON_RANGE, PublicReportForm
from asbhub.web.ratelimit import limit_posts

REFERENCE_RE = re.compile(r"ASB-[A-Z2-9]{8}")
BUSY_MESSAGE = (
    "Your report has not been sent yet: the service is busy. Check your answers and "
    "select Send report again in a minute."
)


@limit_posts("public_form", "reports")  # issue #10: floods
def report_asb(request: HttpRequest) -> HttpResponse:
    """The report form; a valid report is stored and the resident sent to its reference."""
    busy = False
    if request.method == "POST":
        form = PublicReportForm(request.POST)
        if form.is_valid():
            try:
                incident = services.create_public_report(form.cleaned_data, request)
            except OperationalError as exc:
                if not is_lock_error(exc):
                    raise
                # Another writer (a long load) held the database past the busy timeout: give
                # the form back as typed, so the report is sent again rather than lost.
                form.add_error(None, BUSY_MESSAGE)
                busy = True
            else:
                return redirect("public:report-done", reference=incident.reference)
    else:
        form = PublicReportForm(initial=_picked_place(request))
    query = " ".join(request.GET.get("place", "").split())[:100]
    if query and (refused := ratelimit.limit_public_search(request)) is not None:
        return refused
    places = find_places(query) if query else []
    categories = [
        {
            "field": radio,
            "summary": CATEGORY_GUIDANCE[radio.data["value"]][0],
            "examples": CATEGORY_GUIDANCE[radio.data["value"]][1],
        }
        for radio in form["category"]
    ]
    response = render(
        request,
        "public/report.html",
        {
            "form": form,
            "categories": categories,
            "tiles": tile_layer(),
            "outlines": lpu_outlines_geojson(),
            "bounds": force_bounds(),
            "place_query": query,
            "places": places,
        },
        status=503 if busy else 200,
    )
    if busy:
        response["Retry-After"] = "30"
    return response


def _picked_place(request: HttpRequest) -> dict[str, object]:
    """The form's place from a place search result's link (``?lat=&lon=&where=``): the page
    works without JavaScript. A point outside Great Britain or not a number is ignored."""
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return {}
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        return {}
    return {"latitude": lat, "longitude": lon, "location_text": request.GET.get("where", "")[:500]}


def report_places(request: HttpRequest) -> HttpResponse:
    """Places matching ``?q=`` as JSON, for the report form's place search with JavaScript.

    Only published street descriptions and area names: never a resident's report. Limited
    per address (``public_search`` in ``ASBHUB_RATE_LIMITS``): 429 with ``Retry-After``.
    """
    query = " ".join(request.GET.get("q", "").split())[:100]
    if (refused := ratelimit.limit_public_search(request)) is not None:
        return refused
    return JsonResponse(
        {
            "query": query,
            "places": [
                {
                    "name": p.name,
                    "kind": p.kind_label,
                    "detail": p.detail,
                    "label": p.label,
                    "latitude": p.latitude,
                    "longitude": p.longitude,
                }
                for p in (find_places(query) if query else [])
            ],
        }
    )


def report_done(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation: the reference and what happens next (no details of the report)."""
    if not REFERENCE_RE.fullmatch(reference):
        raise Http404("No such reference")
    return render(request, "public/report_done.html", {"reference": reference})


def advice(request: HttpRequest) -> HttpResponse:
    """What ASB is, who deals with what, how to report it and how to ask for a Case Review."""
    return render(
        request,
        "public/advice.html",
        {
            "guidance": [
                {
                    "label": label,
                    "summary": CATEGORY_GUIDANCE[value][0],
                    "examples": CATEGORY_GUIDANCE[value][1],
                }
                for value, label in PublicReportForm.base_fields["category"].choices
            ]
        },
    )


def figures(request: HttpRequest) -> HttpResponse:
    """ASB counts for a chosen LPU or neighbourhood (``?area=lpu:NAME`` or ``snt:CODE``)."""
    choices = services.area_choices()
    value = request.GET.get("area", "")
    result = services.area_figures(value) if value else None
    status = 404 if value and result is None else 200
    return render(
        request,
        "public/figures.html",
        {
            "choices": choices,
            "area": value,
            "result": result,
            "unknown_area": status == 404,
            "months": services.FIGURE_MONTHS,
        },
        status=status,
    )
