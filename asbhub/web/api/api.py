"""The JSON API (``/api/v1/``): incidents, PMPs, powers and the scrutiny tables 5.34 and 5.36.

Every operation needs ``Authorization: Bearer <token>`` (see :mod:`asbhub.records.tokens.services`)
and acts as the token's user under the one access policy,
:mod:`asbhub.records.partners.access`: the same records and the same withheld parts as the web
pages. Detail endpoints return personal data, so they need a ``purpose`` (a code of
:data:`~asbhub.records.partners.access.PURPOSES`), which goes into the audit entry each read
writes. The OpenAPI schema (``openapi.json``) and its docs page (``docs``) are open.

Thin: parse, call :mod:`asbhub.web.api.services`, return.
"""

import datetime as dt
import enum
from typing import Annotated, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Path, Query
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from asbhub.domain import dates
from asbhub.domain.cases import SaraStage
from asbhub.records.cases import services as cases
from asbhub.records.cases.models import Power, PowerKind
from asbhub.records.incidents.models import Incident
from asbhub.records.partners.access import PURPOSES, get_record_or_404, profile_of, record_access
from asbhub.records.partners.models import AuditAction
from asbhub.records.tokens.services import check_token
from asbhub.store.scope import KIND_LABELS
from asbhub.web import ratelimit
from asbhub.web.api import schemas as s
from asbhub.web.api import services

MAX_LIMIT = 500
#: Ids beyond this are refused as invalid rather than passed to a database that cannot hold them.
MAX_ID = 2**53
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
#: Free-text filters: any text but NUL, which PostgreSQL cannot store or compare.
TEXT_PATTERN = r"^[^\x00]*$"
#: Table periods: wide enough for any real question, narrow enough for every date sum to work.
#: The one date rule (asbhub.domain.dates) narrows these further in _period and incident_list:
#: periods from 1 January 2000 to five years ahead, months from January 2000 to this month.
FIRST_DAY, LAST_DAY = dates.EARLIEST_DAY, dt.date(2999, 12, 31)

Purpose = enum.Enum("Purpose", {code: code for code in PURPOSES}, type=str)
Stage = enum.Enum("Stage", {st.value: st.value for st in SaraStage}, type=str)
Kind = enum.Enum("Kind", {k.value: k.value for k in PowerKind}, type=str)
#: Issue #12: the kinds of loaded data an incident list may be scoped to (docs/scope.md).
SourceKind = enum.Enum("SourceKind", {k: k for k in KIND_LABELS}, type=str)
KIND_HINT = (
    "kinds of data to list, repeated: "
    + ", ".join(KIND_LABELS)
    + " (default: police_uk_street and force_export)"
)
SYNTHETIC_HINT = "also list synthetic data (a force named SYNTHETIC ...); default false"
DEMO_HINT = "true: demonstration records only; false: none of them; default both, each marked"

NO_TOKEN = (
    "This endpoint needs an API token: send the header 'Authorization: Bearer <token>'. "
    "Create a token on the page /api/v1/tokens/ (signed in) or with "
    "`asbhub api token create --user NAME`."
)
NOT_LINKED = (
    "Your account is not linked to an agency, so the API shows it nothing; ask an "
    "administrator to give it an agency and a role."
)
PURPOSE_HINT = (
    "why you need the personal data, one of "
    + ", ".join(PURPOSES)
    + " (kept in the audit log with your name)"
)

#: What each parameter expects, for error messages.
FIELD_HINTS = {
    "month": "a month as YYYY-MM, e.g. 2024-05, from 2000-01 to this month",
    "limit": f"a whole number from 1 to {MAX_LIMIT}",
    "offset": "a whole number, 0 or more",
    "start": f"a date as YYYY-MM-DD from {FIRST_DAY}, at most {dates.PLANNING_YEARS} years ahead",
    "end": f"a date as YYYY-MM-DD from {FIRST_DAY}, at most {dates.PLANNING_YEARS} years ahead",
    "purpose": PURPOSE_HINT,
    "stage": "one of " + ", ".join(st.value for st in SaraStage),
    "kind": "one of " + ", ".join(PowerKind.values),
    "overdue": "true or false",
    "force": "a force as the loaded data name it (any case), e.g. Derbyshire Constabulary",
    "source_kind": KIND_HINT,
    "synthetic": "true or false",
    "demo": "true or false",
    "incident_id": "a record number (a positive whole number)",
    "pmp_id": "a plan number (a positive whole number)",
    "power_id": "a power's number (a positive whole number)",
}


#: Parameter types shared by the operations.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"rows per page, 1 to {MAX_LIMIT}")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")]
Text = Annotated[str | None, Query(max_length=100, pattern=TEXT_PATTERN)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Day = Annotated[dt.date, Query(ge=FIRST_DAY, le=LAST_DAY, description="YYYY-MM-DD")]
Why = Annotated[Purpose, Query(description=PURPOSE_HINT)]


class BearerToken(HttpBearer):
    """``Authorization: Bearer asb_...``: the token's user, if the token is live."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        checked = check_token(token)
        if checked.user is None:
            request.asbhub_auth_reason = checked.reason
            return None
        request.asbhub_token = checked.token
        return checked.user


class AsbhubApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        # Short, stable ids ("incident_list") for clients generated from the schema.
        return operation.view_func.__name__


api = AsbhubApi(
    title="asbhub API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    description="Incidents, Problem Management Plans, the ASB powers register and the scrutiny "
    "tables, under the same information-sharing rules as the web pages. Personal "
    "data a user is not entitled to is null, and each record's `withheld` list says "
    "which categories were withheld and why. See docs/api.md.",
)

LIST_ERRORS = {401: s.ErrorPublic, 403: s.ErrorPublic, 422: s.ErrorPublic}
DETAIL_ERRORS = {**LIST_ERRORS, 404: s.ErrorPublic, 429: s.ErrorPublic}  # 429: issue #10


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    reason = getattr(request, "asbhub_auth_reason", "") or NO_TOKEN
    response = api.create_response(request, {"detail": reason}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="asbhub"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        where = str(err.get("loc", ("",))[0])
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")]
        name = loc[0] if loc else ""
        field = ".".join(loc) or "request"
        # ninja leaves the value out of its errors; the client needs to see what it sent.
        sent = (
            request.GET.get(name)
            if where == "query"
            else (request.resolver_match.kwargs.get(name) if request.resolver_match else None)
        )
        got = f" (got {sent!r})" if sent is not None else ""
        expected = FIELD_HINTS.get(name, str(err.get("msg", "a valid value")))
        errors.append({"field": field, "message": f"expected {expected}{got}"})
    text = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return api.create_response(
        request, {"detail": f"The request was not valid. {text}.", "errors": errors}, status=422
    )


class TooManyReads(Exception):
    """A token has read more records with personal data than ``api_detail`` allows."""

    def __init__(self, decision: ratelimit.Decision) -> None:
        super().__init__("too many detail reads")
        self.decision = decision


@api.exception_handler(TooManyReads)
def _too_many(request: HttpRequest, exc: TooManyReads) -> HttpResponse:
    d = exc.decision
    response = api.create_response(
        request,
        {
            "detail": (
                f"This token has read {d.limit} records with personal data in the last "
                f"{d.window_seconds // 60} minutes, the most allowed (setting ASBHUB_RATE_LIMITS "
                f"'api_detail'). Try again after {d.resets_at:%Y-%m-%d %H:%M:%S} UTC, in "
                f"{d.retry_after} seconds. For many records use the list endpoints, which carry no "
                "personal data."
            )
        },
        status=429,
    )
    response["Retry-After"] = str(d.retry_after)
    return response


def _throttle_detail(request: HttpRequest) -> None:
    """Issue #10 (floods): count a detail read (personal data) against the token's limit."""
    token = getattr(request, "asbhub_token", None)
    who = f"token:{token.prefix}" if token else f"user:{request.auth.pk}"
    decision = ratelimit.hit("api_detail", who)
    if not decision.allowed:
        ratelimit.audit_refusal(
            decision,
            "api_detail",
            who,
            request,
            user=request.auth,
            channel="api",
            token=token.prefix if token else "",
        )
        raise TooManyReads(decision)


def _user(request: HttpRequest) -> Any:
    user = request.auth
    if profile_of(user) is None:
        raise HttpError(403, NOT_LINKED)
    return user


def _audit_view(request: HttpRequest, obj: Any, purpose: Any, detail: dict[str, Any]) -> None:
    token = getattr(request, "asbhub_token", None)
    record_access(
        request.auth,
        AuditAction.VIEW,
        obj,
        purpose=PURPOSES[purpose.value],
        request=request,
        detail={**detail, "channel": "api", "token": token.prefix if token else ""},
    )


def _page(qs: Any, limit: int, offset: int, to_dict: Any) -> dict[str, Any]:
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [to_dict(x) for x in qs[offset : offset + limit]],
    }


def _period(start: dt.date, end: dt.date) -> None:
    first, last = dates.planning_range(timezone.localdate())
    for name, day in (("start", start), ("end", end)):
        if dates.day_problem(day, first, last):
            raise HttpError(
                422,
                f"The period's {name} ({day}) is outside the allowed range: "
                f"give a date as YYYY-MM-DD from {first} to {last}.",
            )
    if end < start:
        raise HttpError(
            422,
            f"The period ends ({end}) before it starts ({start}): give a start "
            "on or before the end, both as YYYY-MM-DD.",
        )


# -- incidents -------------------------------------------------------------------------------


@api.get(
    "/incidents",
    response={200: s.IncidentPagePublic, **LIST_ERRORS},
    summary="Incidents you may see",
    tags=["incidents"],
)
def incident_list(
    request: HttpRequest,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
    crime_type: Text = None,
    lpu: Text = None,
    force: Text = None,
    source_kind: Annotated[list[SourceKind] | None, Query(description=KIND_HINT)] = None,
    synthetic: Annotated[bool, Query(description=SYNTHETIC_HINT)] = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Summaries (no people, no risk assessments), oldest record first, ``limit`` at a time.

    Scoped as the pages are (issue #12, docs/scope.md): the deployment's force, recorded police
    data, synthetic data left out unless ``synthetic=true``; the answer's ``scope`` says which.
    """
    user = _user(request)
    if month is not None and (problem := dates.month_problem(month, timezone.localdate())):
        raise HttpError(422, f"The month {problem}.")
    try:
        scope = services.list_scope(
            force, [k.value for k in source_kind] if source_kind else None, synthetic=synthetic
        )
    except services.ScopeError as exc:
        raise HttpError(422, f"The {exc}.") from None
    lpu_of = services.lpu_lookup()
    qs = services.filter_incidents(
        services.scope_incidents(services.visible_incidents(user), scope),
        month=month,
        crime_type=crime_type,
        lpu=lpu,
        lpu_of=lpu_of,
    )
    qs = qs.select_related("location").order_by("pk")
    page = _page(qs, limit, offset, lambda i: services.incident_summary(i, lpu_of))
    return {**page, "scope": services.scope_dict(scope)}


@api.get(
    "/incidents/{incident_id}",
    response={200: s.IncidentPublic, **DETAIL_ERRORS},
    summary="One incident, with the people you are entitled to see",
    tags=["incidents"],
)
def incident_detail(request: HttpRequest, incident_id: Id, purpose: Why) -> dict[str, Any]:
    """404 alike for a missing id and a record you may not see; every read audited."""
    user = _user(request)
    _throttle_detail(request)
    try:
        inc = get_record_or_404(
            user,
            Incident.objects.select_related("source", "location"),
            incident_id,
            request=request,
        )
    except Http404:
        raise HttpError(404, "There is no incident with that id that you can see.") from None
    out, detail = services.incident_detail(user, inc)
    _audit_view(request, inc, purpose, detail)
    return out


# -- PMPs ------------------------------------------------------------------------------------


@api.get(
    "/pmps",
    response={200: s.PmpPagePublic, **LIST_ERRORS},
    summary="Problem Management Plans you may see",
    tags=["pmps"],
)
def pmp_list(
    request: HttpRequest,
    lpu: Text = None,
    stage: Stage | None = None,
    overdue: bool = False,
    demo: Annotated[bool | None, Query(description=DEMO_HINT)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """As the PMP list page: filter by LPU, SARA stage and overdue review; next review first.
    Demonstration plans are marked ``is_demo`` (``demo=false`` leaves them out)."""
    user = _user(request)
    qs = services.visible_pmps(user, lpu=lpu, stage=stage.value if stage else None, overdue=overdue)
    if demo is not None:
        qs = qs.filter(is_demo=demo)
    return _page(qs, limit, offset, services.pmp_summary)


@api.get(
    "/pmps/{pmp_id}",
    response={200: s.PmpPublic, **DETAIL_ERRORS},
    summary="One plan, with the personal parts you are entitled to see",
    tags=["pmps"],
)
def pmp_detail(request: HttpRequest, pmp_id: Id, purpose: Why) -> dict[str, Any]:
    """404 alike for a missing id and a plan you may not see; every read audited."""
    user = _user(request)
    _throttle_detail(request)
    try:
        pmp = cases.pmp_or_404(user, pmp_id, request)
    except Http404:
        raise HttpError(404, "There is no plan with that id that you can see.") from None
    out, detail = services.pmp_detail(user, pmp)
    _audit_view(request, pmp, purpose, detail)
    return out


# -- powers ----------------------------------------------------------------------------------


@api.get(
    "/powers",
    response={200: s.PowerPagePublic, **LIST_ERRORS},
    summary="Uses of ASB powers you may see",
    tags=["powers"],
)
def power_list(
    request: HttpRequest,
    kind: Kind | None = None,
    demo: Annotated[bool | None, Query(description=DEMO_HINT)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Your agency's register and partners' under a live agreement; newest first.
    Demonstration records are marked ``is_demo`` (``demo=false`` leaves them out)."""
    user = _user(request)
    qs = services.visible_powers(user, kind=kind.value if kind else None)
    if demo is not None:
        qs = qs.filter(is_demo=demo)
    return _page(qs, limit, offset, services.power_summary)


@api.get(
    "/powers/{power_id}",
    response={200: s.PowerPublic, **DETAIL_ERRORS},
    summary="One use of a power, with its subject if you are entitled",
    tags=["powers"],
)
def power_detail(request: HttpRequest, power_id: Id, purpose: Why) -> dict[str, Any]:
    """404 alike for a missing id and a power you may not see; every read audited."""
    user = _user(request)
    _throttle_detail(request)
    qs = Power.objects.select_related("owner_agency", "person__incident__source")
    try:
        power = get_record_or_404(user, qs, power_id, request=request)
    except Http404:
        raise HttpError(404, "There is no power with that id that you can see.") from None
    out, detail = services.power_detail(user, power)
    _audit_view(request, power, purpose, detail)
    return out


# -- scrutiny tables -------------------------------------------------------------------------


@api.get(
    "/tables/5.34",
    response={200: s.Table534Public, **LIST_ERRORS},
    summary="Table 5.34: ASB PMPs opened and open, by LPU",
    tags=["tables"],
)
def table_5_34(request: HttpRequest, start: Day, end: Day) -> dict[str, Any]:
    """Counts over every plan (no personal data), as in the scrutiny report."""
    _user(request)
    _period(start, end)
    rows = cases.table_5_34(start, end)
    return {
        "start": start,
        "end": end,
        "rows": [{"lpu": r.lpu, "opened": r.opened, "open": r.open} for r in rows],
    }


@api.get(
    "/tables/5.36",
    response={200: s.Table536Public, **LIST_ERRORS},
    summary="Table 5.36: ASB powers used",
    tags=["tables"],
)
def table_5_36(request: HttpRequest, start: Day, end: Day) -> dict[str, Any]:
    """Counts from the whole register (no personal data), as on the powers page."""
    _user(request)
    _period(start, end)
    sections = cases.table_5_36(start, end)
    return {
        "start": start,
        "end": end,
        "sections": [
            {"heading": sec.heading, "rows": [{"label": lab, "count": n} for lab, n in sec.rows]}
            for sec in sections
        ],
    }
