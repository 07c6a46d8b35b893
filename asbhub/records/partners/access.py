"""Who may see what: the access policy in one place, and the audit trail of every access.

A user of the agency that owns a record sees what their role allows. A user of another agency
sees a category of data only while a live information sharing agreement between the two
agencies covers it: started, not ended, not revoked. Whatever is withheld is replaced by a line
that says why (:attr:`Decision.reason`), so a partner knows what to ask for.

Every view, search, create, change and export of a record holding personal data goes through
:func:`record_access`, which appends to the hash-chained audit log.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.http import Http404, HttpRequest
from django.utils import timezone

from asbhub.records.partners.audit import append_entry
from asbhub.records.partners.models import (
    Agency,
    AgencyKind,
    AuditAction,
    AuditEntry,
    DataCategory,
    Role,
    SharingAgreement,
    UserProfile,
)

PERSONAL_CATEGORIES = frozenset(
    {
        DataCategory.VICTIM_PERSONAL,
        DataCategory.PERPETRATOR_PERSONAL,
        DataCategory.WITNESS_PERSONAL,
    }
)

#: What each role may see of its own agency's records; partners' records also need an agreement.
#: The Commissioner's office scrutinises performance and administrators run accounts and
#: agreements: neither job needs anyone's personal details or risk assessments.
ROLE_CATEGORIES: dict[str, frozenset[str]] = {
    Role.ANALYST: frozenset(DataCategory.values),
    Role.SNT_OFFICER: frozenset(DataCategory.values),
    Role.SUPERVISOR: frozenset(DataCategory.values),
    Role.PARTNER_OFFICER: frozenset(DataCategory.values),
    Role.COMMISSIONER_VIEWER: frozenset({DataCategory.INCIDENT_SUMMARY}),
    Role.ADMINISTRATOR: frozenset({DataCategory.INCIDENT_SUMMARY}),
}

#: A person's role in an incident -> the category their details fall under.
PERSON_ROLE_CATEGORY = {
    "victim": DataCategory.VICTIM_PERSONAL,
    "suspect": DataCategory.PERPETRATOR_PERSONAL,
    "caller": DataCategory.WITNESS_PERSONAL,
    "witness": DataCategory.WITNESS_PERSONAL,
}

#: Actions on records that must state a purpose.
DATA_ACTIONS = frozenset(
    {
        AuditAction.VIEW,
        AuditAction.SEARCH,
        AuditAction.CREATE,
        AuditAction.CHANGE,
        AuditAction.EXPORT,
    }
)

#: Purposes a user chooses from before personal data are shown (stored in the log as the text).
PURPOSES: dict[str, str] = {
    "case": "Managing an ASB case or problem-solving plan",
    "tasking": "Preparing for or attending a partnership tasking meeting",
    "safeguarding": "Assessing risk to a vulnerable or repeat victim",
    "powers": "Considering an ASB power (warning, CPN, injunction)",
    "case_review": "An ASB Case Review (Community Trigger)",
    "supervision": "Supervisory review or audit",
}


@dataclass(frozen=True)
class Decision:
    """Whether a user may see one category of a record, and why (shown to the user).

    Attributes
    ----------
    allowed : bool
    reason : str
        A full sentence: the basis when allowed, what is withheld and why when not.
    agreement : str
        Reference of the agreement relied on, when access is through one.
    """

    allowed: bool
    reason: str
    agreement: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _label(category: str) -> str:
    return str(dict(DataCategory.choices)[category])


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def profile_of(user: Any) -> UserProfile | None:
    """The user's :class:`UserProfile`, or None (anonymous, inactive or not linked)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.asbhub_profile
    except UserProfile.DoesNotExist:
        return None


def can_see(
    user: Any, category: str, owner_agency: Agency | None, on: dt.date | None = None
) -> Decision:
    """May ``user`` see the ``category`` part of a record owned by ``owner_agency``?

    Parameters
    ----------
    user : django.contrib.auth.models.User
    category : str
        A :class:`~asbhub.records.partners.models.DataCategory` code.
    owner_agency : Agency or None
        The agency whose record it is; None (unknown) is refused to everyone.
    on : date, optional
        The day to judge agreements on; default today (local time).

    Returns
    -------
    Decision

    Examples
    --------
    >>> d = can_see(council_officer, "victim_personal", police)      # doctest: +SKIP
    >>> d.allowed, d.reason                                          # doctest: +SKIP
    (False, "Withheld: victims' personal details are not covered by ISA-7, ...")
    """
    if category not in DataCategory.values:
        raise ValueError(
            f"unknown data category {category!r}; expected one of {', '.join(DataCategory.values)}"
        )
    label = _label(category)
    profile = profile_of(user)
    if profile is None:
        return Decision(
            False, f"Withheld: your account is not linked to an agency, so it is shown no {label}."
        )
    if category not in ROLE_CATEGORIES.get(profile.role, frozenset()):
        return Decision(
            False, f"Withheld: the {profile.get_role_display()} role does not include {label}."
        )
    if owner_agency is None:
        return Decision(
            False,
            f"Withheld: no agency is recorded as owning this record, so its "
            f"{label} are shown to no one.",
        )
    mine = profile.agency
    if not mine.is_active:
        return Decision(False, f"Withheld: {mine} is no longer an active agency in asbhub.")
    if mine.pk == owner_agency.pk:
        return Decision(True, f"A record of your own agency, {mine}.")
    return _by_agreement(mine, owner_agency, category, on or timezone.localdate())


def _by_agreement(mine: Agency, owner: Agency, category: str, on: dt.date) -> Decision:
    label = _label(category)
    agreements = list(
        SharingAgreement.objects.using(owner._state.db or "default")
        .between(mine, owner)
        .order_by("-ends")
    )
    covering = [a for a in agreements if a.covers(category)]
    for agreement in covering:
        if agreement.status(on) == "live":
            return Decision(
                True,
                f"Shared by {owner} under {agreement.reference} "
                f"({agreement.title}), in force until {_date(agreement.ends)}.",
                agreement=agreement.reference,
            )
    sentence = label[0].upper() + label[1:]
    if covering:
        a = covering[0]
        why = {
            "expired": f"ended on {_date(a.ends)}",
            "future": f"does not start until {_date(a.starts)}",
            "revoked": (
                f"was revoked on {_date(timezone.localdate(a.revoked_at))}"
                if a.revoked_at
                else "was revoked"
            ),
        }[a.status(on)]
        return Decision(
            False,
            f"Withheld: {sentence} of {owner} are shared with {mine} only "
            f"under {a.reference}, which {why}.",
        )
    live = [a.reference for a in agreements if a.status(on) == "live"]
    if live:
        which = "the live agreement" if len(live) == 1 else "the live agreements"
        return Decision(
            False,
            f"Withheld: {sentence} are not covered by "
            f"{', '.join(live)}, {which} between {mine} and {owner}.",
        )
    return Decision(
        False,
        f"Withheld: {mine} has no information sharing agreement with {owner} that covers {label}.",
    )


def owner_agency_for(obj: Any) -> Agency | None:
    """The agency whose record ``obj`` is.

    A model with an ``owner_agency`` field answers for itself. An incident (and its people)
    belongs to the police force named as its source's force, or to the only police agency when
    exactly one is set up (as for a single force's installation). Otherwise None, which
    :func:`can_see` refuses to everyone: unknown ownership fails closed.
    """
    owner = getattr(obj, "owner_agency", None)
    if isinstance(owner, Agency):
        return owner
    from asbhub.records.incidents.models import Incident, Person

    if isinstance(obj, Person):
        obj = obj.incident
    if not isinstance(obj, Incident):
        return None
    police = Agency.objects.using(obj._state.db or "default").filter(
        kind=AgencyKind.POLICE, is_active=True
    )
    named = police.filter(name=obj.source.force).first()
    if named is not None:
        return named
    only = list(police[:2])
    return only[0] if len(only) == 1 else None


def category_for_person(person: Any) -> str:
    """The data category a person's details fall under, from their role in the incident."""
    try:
        return PERSON_ROLE_CATEGORY[person.role]
    except KeyError:
        # An unknown role is treated as the most guarded third-party category, never as open.
        return DataCategory.WITNESS_PERSONAL


@dataclass(frozen=True)
class PersonView:
    """A person as a given user may see them: details, or a line saying why they are withheld."""

    pk: int
    role: str
    shown: bool
    withheld_reason: str = ""
    name: str = ""
    date_of_birth: dt.date | None = None
    phone: str = ""
    email: str = ""
    address: str = ""
    postcode: str = ""


def redact_person(person: Any, decision: Decision) -> PersonView:
    """``person`` with every personal field removed unless ``decision`` allows it.

    The role stays: "a victim's details are withheld" is itself what a partner needs to know.
    """
    if not decision.allowed:
        return PersonView(
            pk=person.pk, role=person.role, shown=False, withheld_reason=decision.reason
        )
    return PersonView(
        pk=person.pk,
        role=person.role,
        shown=True,
        name=person.name,
        date_of_birth=person.date_of_birth,
        phone=person.phone,
        email=person.email,
        address=person.address,
        postcode=person.postcode,
    )


@dataclass(frozen=True)
class SharedIncident:
    """An incident as one user may see it: the summary, and each part shown or withheld."""

    incident: Any
    owner: Agency | None
    summary: Decision
    risk: Decision
    people: list[PersonView] = field(default_factory=list)

    def audit_detail(self) -> dict[str, Any]:
        """Which parts were shown and withheld: ids and codes only, never the data."""
        return {
            "owner_agency": str(self.owner or ""),
            "risk_assessment": "shown" if self.risk.allowed else "withheld",
            "people_shown": [p.pk for p in self.people if p.shown],
            "people_withheld": [p.pk for p in self.people if not p.shown],
            "agreements": sorted({d.agreement for d in (self.summary, self.risk) if d.agreement}),
        }


def shared_incident(user: Any, incident: Any, on: dt.date | None = None) -> SharedIncident:
    """The parts of ``incident`` that ``user`` may see (call after :func:`get_record_or_404`)."""
    owner = owner_agency_for(incident)
    people = [
        redact_person(p, can_see(user, category_for_person(p), owner, on))
        for p in incident.people.order_by("pk")
    ]
    return SharedIncident(
        incident=incident,
        owner=owner,
        summary=can_see(user, DataCategory.INCIDENT_SUMMARY, owner, on),
        risk=can_see(user, DataCategory.RISK_ASSESSMENT, owner, on),
        people=people,
    )


def client_ip(request: HttpRequest | None) -> str:
    """The client's address as the web server saw it, or ''.

    Only ``REMOTE_ADDR``: X-Forwarded-For is whatever the client chose to send. Behind a
    reverse proxy, have the server rewrite REMOTE_ADDR from the proxy (waitress's
    ``trusted_proxy`` settings do this) rather than trusting the header here.
    """
    if request is None:
        return ""
    raw = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return ipaddress.ip_address(raw).compressed
    except ValueError:
        return ""


def record_access(
    user: Any,
    action: str,
    obj: Any = None,
    purpose: str = "",
    request: HttpRequest | None = None,
    *,
    detail: Mapping[str, Any] | None = None,
    using: str | None = None,
) -> AuditEntry:
    """Append who did ``action`` to ``obj``, when, from where and why, to the audit log.

    Parameters
    ----------
    user : User or None
        Who; None or an anonymous user is logged as nobody.
    action : str
        An :class:`~asbhub.records.partners.models.AuditAction` code.
    obj : model instance, (object_type, object_id) tuple, or None
        What: a record, or a type and id for records not fetched (a refused id, a search).
    purpose : str
        Why: required for view, search, create, change and export.
    request : HttpRequest, optional
        Gives the client's address.
    detail : mapping, optional
        Extra facts as JSON (ids, filters, categories withheld); not the personal data itself.
    using : str, optional
        Database alias; default the record's own database, else ``default``.

    Returns
    -------
    AuditEntry
        The new, chained entry.
    """
    if action not in AuditAction.values:
        raise ValueError(
            f"unknown audit action {action!r}; expected one of {', '.join(AuditAction.values)}"
        )
    if action in DATA_ACTIONS and not (purpose or "").strip():
        raise ValueError(f"a {action} of a record holding personal data must state its purpose")
    object_type, object_id = "", ""
    if isinstance(obj, models.Model):
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
        using = using or obj._state.db
    elif isinstance(obj, tuple):
        object_type, object_id = str(obj[0]), str(obj[1])
    profile = profile_of(user)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return append_entry(
        {
            "user_pk": user.pk if authenticated else None,
            "username": user.get_username() if authenticated else "",
            "agency": profile.agency.name if profile else "",
            "role": profile.role if profile else "",
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "purpose": purpose.strip(),
            "ip": client_ip(request),
            "detail": detail,
        },
        using=using or "default",
    )


def get_record_or_404(
    user: Any, queryset: models.QuerySet, pk: Any, request: HttpRequest | None = None
) -> Any:
    """The record ``pk`` from ``queryset`` if ``user`` may see it at all, else 404.

    "At all" means its incident summary: a user with no access to a record learns nothing
    about it, not even that it exists: a missing id and another agency's id give the same 404.
    Each refusal is logged, so someone trying ids one after another shows up in the audit log.
    """
    obj = None
    try:
        obj = queryset.filter(pk=pk).first()
    except (ValueError, TypeError):
        obj = None
    if obj is not None:
        decision = can_see(user, DataCategory.INCIDENT_SUMMARY, owner_agency_for(obj))
        if decision.allowed:
            return obj
        reason = decision.reason
    else:
        reason = "no such record"
    record_access(
        user,
        AuditAction.DENIED,
        (queryset.model._meta.label_lower, str(pk)[:64]),
        request=request,
        detail={"reason": reason},
        using=queryset.db,
    )
    raise Http404("There is no record with that number that you can see.")


def incident_summaries(user: Any, using: str = "default") -> Decision:
    """May ``user`` see the store's incidents as a whole: the daily briefing's and the weekly
    pack's incident-level parts (counts by LPU and by person, dates, streets, coordinates,
    hot-spot cells)?

    The rule of the API's incident list (:func:`asbhub.web.api.services.visible_incidents`):
    the ``incident_summary`` category of the police agency that owns the incidents, by the
    user's role and, for another agency, a live agreement. These reports are built over every
    incident in the store and cannot yet be cut to one force's, so where several police
    agencies are set up the user must be entitled to each one's (it fails closed).
    """
    category = DataCategory.INCIDENT_SUMMARY
    if profile_of(user) is None:
        return can_see(user, category, None)
    police = list(
        Agency.objects.using(using).filter(kind=AgencyKind.POLICE, is_active=True).order_by("pk")
    )
    if not police:
        return can_see(user, category, None)
    for agency in police:
        decision = can_see(user, category, agency)
        if not decision.allowed:
            return decision
    return decision


# --------------------------------------------------------------------------------------------
# Action permissions: which roles may take each action, beside the visibility policy above.
# --------------------------------------------------------------------------------------------

_EDITORS = frozenset({Role.ANALYST, Role.SNT_OFFICER, Role.SUPERVISOR, Role.PARTNER_OFFICER})

#: Action -> the roles that may take it (None: any signed-in user, on their own records only,
#: such as revoking their own API token or signing out). Every view that creates, changes or
#: decides something is wrapped in :func:`requires_action` with one of these; the record's own
#: rules (owner or partner agency, a live agreement) are checked in the view on top of this.
#: The Commissioner's office and administrators read and run accounts: they take no case
#: actions (``demo.opcc`` cannot open a Case Review).
ACTION_ROLES: dict[str, frozenset[str] | None] = {
    "pmp.create": _EDITORS,
    "pmp.change": _EDITORS,  # edit, stage, actions, evaluation
    "pmp.review": frozenset({Role.SUPERVISOR}),
    "power.record": _EDITORS,  # record, change, add an event
    "case_review.create": _EDITORS,
    "case_review.change": _EDITORS,  # complaint, decision, meeting, actions
    "threshold_rule.change": frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
    "risk.assess": _EDITORS,  # assess and review
    "questionnaire.change": frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR}),
    "linkage.decide": frozenset({Role.ANALYST, Role.SUPERVISOR}),  # pairs, merge, split
    "question.moderate": frozenset({Role.COMMISSIONER_VIEWER, Role.ADMINISTRATOR}),
    "account.own": None,  # sign out, revoke one's own API token
}


def action_roles(action: str) -> frozenset[str]:
    """The roles that may take ``action`` (a key of :data:`ACTION_ROLES` limited to roles):
    the one list a service's own check (``EDITOR_ROLES``, ``ASSESSOR_ROLES``...) is read from,
    so a page and the service behind it can never disagree about who may act."""
    roles = ACTION_ROLES.get(action)
    if roles is None:
        raise ValueError(
            f"unknown or unrestricted action {action!r}; expected one of "
            f"{', '.join(sorted(a for a, r in ACTION_ROLES.items() if r is not None))}"
        )
    return roles


def may_act(user: Any, action: str) -> Decision:
    """May ``user`` take ``action`` (a key of :data:`ACTION_ROLES`) at all, by their role?"""
    if action not in ACTION_ROLES:
        raise ValueError(
            f"unknown action {action!r}; expected one of "
            f"{', '.join(sorted(ACTION_ROLES))} (add it to ACTION_ROLES in "
            f"asbhub/records/partners/access.py)"
        )
    roles = ACTION_ROLES[action]
    if roles is None:
        return Decision(True, "Any signed-in user may do this to their own records.")
    profile = profile_of(user)
    if profile is None:
        return Decision(
            False,
            "Your account is not linked to an agency, so it cannot do "
            "this. Ask your administrator to link it.",
        )
    if profile.role not in roles:
        names = ", ".join(sorted(str(Role(r).label) for r in roles))
        return Decision(
            False,
            f"The {profile.get_role_display()} role cannot do this "
            f"({action}); only these roles can: {names}.",
        )
    return Decision(True, f"The {profile.get_role_display()} role may do this.")


def requires_action(action: str, methods: tuple[str, ...] | None = None) -> Any:
    """View decorator: refuse (403, audited) a user whose role may not take ``action``.

    Put it under ``@login_required``. ``methods`` limits the check to those HTTP methods (a
    page anyone may read that also takes a POST); default every method (a form that exists
    only to take the action). The wrapped view carries ``asbhub_action`` and
    ``asbhub_action_methods``, which the security tests read to check every action route.
    """
    if action not in ACTION_ROLES:
        raise ValueError(f"unknown action {action!r}; add it to ACTION_ROLES")

    def decorate(view: Any) -> Any:
        from functools import wraps

        from django.core.exceptions import PermissionDenied

        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if methods is None or request.method in methods:
                decision = may_act(request.user, action)
                if not decision.allowed:
                    record_access(
                        request.user,
                        AuditAction.DENIED,
                        ("action", action),
                        request=request,
                        detail={"reason": decision.reason, "path": request.path[:200]},
                    )
                    raise PermissionDenied(decision.reason)
            return view(request, *args, **kwargs)

        checked.asbhub_action = action  # type: ignore[attr-defined]
        checked.asbhub_action_methods = methods  # type: ignore[attr-defined]
        return checked

    return decorate


def purpose_required(
    template: str, context: Callable[..., Mapping[str, Any]] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """View decorator: say why first. A page that shows personal data opens only once the
    request names a purpose (``?purpose=``, a key of :data:`PURPOSES`); until then it shows
    ``template``, the page that asks for one, and nothing is read or audited.

    The view is called with the purpose's text as the keyword argument ``purpose`` (what
    :func:`record_access` records). ``context(request, *args, **kwargs)`` gives the asking page
    its own context: fetch the record there (``get_record_or_404``), so a record the user may
    not see is a 404 whether or not a purpose was given. The asking page always gets
    ``purposes``, ``first_purpose``, ``error`` (a purpose was given but is not one of ours) and
    ``keep`` (the other query parameters, to carry through the form). Put it under
    ``@login_required`` (and any ``@requires_action``). The wrapped view carries
    ``asbhub_purpose_required``, which the security tests read.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        from functools import wraps

        from django.shortcuts import render

        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            code = request.GET.get("purpose", "")
            if code in PURPOSES:
                return view(request, *args, purpose=PURPOSES[code], **kwargs)
            page = dict(context(request, *args, **kwargs)) if context is not None else {}
            page.update(
                purposes=PURPOSES,
                first_purpose=next(iter(PURPOSES)),
                error="purpose" in request.GET,
                keep={k: v for k, v in request.GET.items() if k != "purpose"},
            )
            return render(request, template, page)

        checked.asbhub_purpose_required = True  # type: ignore[attr-defined]
        return checked

    return decorate


# --------------------------------------------------------------------------------------------
# Which pages a user may open (issue #12): the views and the navigation ask the same check,
# so a link is shown exactly to those the page would let in.
# --------------------------------------------------------------------------------------------


def is_signed_in(user: Any) -> bool:
    """Signed in with an active account (what ``login_required`` lets through)."""
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.is_active


def is_linked(user: Any) -> bool:
    """Signed in and linked to an agency (the pages that work on the agency's records)."""
    return profile_of(user) is not None


def may_see_risk(user: Any) -> bool:
    """Linked, in a role whose categories include risk assessments (the risk pages)."""
    profile = profile_of(user)
    return profile is not None and DataCategory.RISK_ASSESSMENT in ROLE_CATEGORIES.get(
        profile.role, frozenset()
    )


#: URL name -> the check its view makes, as the dotted path of a predicate ``f(user) -> bool``
#: (``f(user, record)`` for a record's own pages) or of a frozenset of roles (the user's role
#: must be in it). Dotted paths, imported when first asked, because those modules import this
#: one. A page not listed is open to everyone. Templates ask it with ``{% can_open %}``
#: (asbhub.web.partners.templatetags.access_tags).
PAGE_CHECKS: dict[str, str] = {
    "tasking:briefing": "asbhub.web.tasking.services.may_use_tasking",
    "tasking:weekly": "asbhub.web.tasking.services.may_open_weekly",
    # Places (issue #16 item 4): the streets and points of every incident, as the weekly pack.
    "hotspot-places": "asbhub.web.tasking.services.may_open_weekly",
    # Forecast accuracy (issue #16 item 5): in the hot-spot staff pages, as places.
    "hotspot-forecast": "asbhub.web.tasking.services.may_open_weekly",
    "cases:pmp-list": "asbhub.records.partners.access.is_linked",
    "cases:pmp-create": "asbhub.records.cases.services.EDITOR_ROLES",
    "cases:pmp-review": "asbhub.records.cases.plan_work.can_review",  # with the plan
    "cases:power-create": "asbhub.records.cases.powers.can_edit_power",
    "cases:case-review-list": "asbhub.records.partners.access.is_signed_in",
    "cases:powers": "asbhub.records.partners.access.is_linked",
    "risk:due": "asbhub.records.partners.access.may_see_risk",
    "risk:calibration": "asbhub.records.partners.access.may_see_risk",
    "risk:versions": "asbhub.records.partners.access.is_linked",
    "people:queue": "asbhub.records.people.visibility.REVIEWER_ROLES",
    "scrutiny:dashboard": "asbhub.web.scrutiny.services.DASHBOARD_ROLES",
    "partners:usage": "asbhub.web.partners.views.REVIEWERS",
    "partners:audit-log": "asbhub.web.partners.views.REVIEWERS",
    "api-tokens:list": "asbhub.records.partners.access.is_signed_in",
}


def can_open(user: Any, page: str, record: Any = None) -> bool:
    """Would the view named ``page`` (a URL name such as ``"people:queue"``) let ``user`` in?

    ``record`` is the plan (say) whose own page it is, for checks that depend on it.

    Examples
    --------
    >>> can_open(partner_officer, "partners:audit-log")              # doctest: +SKIP
    False
    """
    from django.utils.module_loading import import_string

    action = _page_actions().get(page)
    if action is not None and not may_act(user, action).allowed:
        return False  # the view's @requires_action would refuse it
    path = PAGE_CHECKS.get(page)
    if path is None:
        return True
    check = import_string(path)
    if isinstance(check, frozenset):
        profile = profile_of(user)
        return profile is not None and profile.role in check
    return bool(check(user) if record is None else check(user, record))


_PAGE_ACTIONS: dict[str, str] | None = None


def _page_actions() -> dict[str, str]:
    """URL name -> the action its view's :func:`requires_action` checks on GET, read once from
    the URL patterns, so a link is never shown to someone that decorator would refuse."""
    global _PAGE_ACTIONS
    if _PAGE_ACTIONS is None:
        from django.urls import URLPattern, URLResolver, get_resolver

        found: dict[str, str] = {}

        def walk(patterns: Any, prefix: str) -> None:
            for entry in patterns:
                if isinstance(entry, URLResolver):
                    space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
                    walk(entry.url_patterns, space)
                elif isinstance(entry, URLPattern) and entry.name:
                    action = getattr(entry.callback, "asbhub_action", None)
                    methods = getattr(entry.callback, "asbhub_action_methods", None)
                    if action and (methods is None or "GET" in methods):
                        found[prefix + entry.name] = action

        walk(get_resolver().url_patterns, "")
        _PAGE_ACTIONS = found
    return _PAGE_ACTIONS
