"""Queries and writes for PMPs, the powers register and ASB Case Reviews.

Views call these; the rules they apply come from :mod:`asbhub.domain.cases`, and who may see
what from :mod:`asbhub.records.partners.access`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from asbhub.analysis.evaluation import InterventionCounts, evaluate_intervention
from asbhub.domain import cases as rules
from asbhub.records.cases.models import (
    AgeBand,
    CaseReview,
    Pmp,
    PmpPersonRole,
    Power,
    PowerEvent,
    PowerEventKind,
    PowerKind,
    ThresholdRule,
)
from asbhub.records.partners.access import (
    PersonView,
    action_roles,
    can_see,
    owner_agency_for,
    profile_of,
    record_access,
    redact_person,
)
from asbhub.records.partners.models import Agency, AuditAction, DataCategory
from asbhub.store.db import advisory_xact_lock

#: Fields of a plan an edit form may change (links, actions and reviews have their own writes).
EDITABLE_FIELDS = (
    "title",
    "problem_type",
    "lpu",
    "area",
    "stage",
    "statement",
    "data_summary",
    "victim",
    "offender",
    "location",
    "assessment",
    "review_cadence_days",
    "next_review_due",
)

#: Roles that may change plans (the Commissioner's office and administrators only read).
EDITOR_ROLES = action_roles("pmp.change")


class ConcurrentEditError(Exception):
    """Someone else saved the plan after this editor opened it; nothing was written."""


class StageError(ValueError):
    """The plan cannot move to the stage asked for; ``problems`` says what is missing."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


# --------------------------------------------------------------------------------------------
# PMPs: reading
# --------------------------------------------------------------------------------------------


def plan_content(pmp: Pmp, overrides: Mapping[str, Any] | None = None) -> rules.PlanContent:
    """The plan as the stage rules see it, with ``overrides`` (an edit not yet saved)."""
    values = {
        f: getattr(pmp, f)
        for f in ("statement", "data_summary", "victim", "offender", "location", "assessment")
    }
    values.update({k: v for k, v in (overrides or {}).items() if k in values})
    actions = (
        tuple(
            rules.PlanAction(a.description, str(a.owner_agency), a.due)
            for a in pmp.actions.select_related("owner_agency")
        )
        if pmp.pk
        else ()
    )
    return rules.PlanContent(actions=actions, **values)


def review_state(pmp: Pmp, today: dt.date | None = None) -> str:
    """``overdue``, ``due``, ``upcoming`` or ``none`` for the plan's next supervisor review."""
    return rules.review_status(
        pmp.next_review_due,
        today or timezone.localdate(),
        closed=pmp.stage == rules.SaraStage.CLOSED,
    )


def visible_pmps(user: Any, using: str = "default") -> QuerySet[Pmp]:
    """Plans the user may see at all: their agency owns them, is a partner on them, or has a
    live agreement with the owner covering incident summaries."""
    profile = profile_of(user)
    if profile is None or not profile.agency.is_active:
        return Pmp.objects.using(using).none()
    mine = profile.agency
    sharing = [
        a.pk
        for a in Agency.objects.using(using).exclude(pk=mine.pk)
        if can_see(user, DataCategory.INCIDENT_SUMMARY, a).allowed
    ]
    if DataCategory.INCIDENT_SUMMARY not in _role_categories(profile.role):
        return Pmp.objects.using(using).none()
    return (
        Pmp.objects.using(using)
        .filter(Q(owner_agency=mine) | Q(partner_agencies=mine) | Q(owner_agency__in=sharing))
        .distinct()
    )


def _role_categories(role: str) -> frozenset[str]:
    from asbhub.records.partners.access import ROLE_CATEGORIES

    return ROLE_CATEGORIES.get(role, frozenset())


def pmp_or_404(
    user: Any, pk: Any, request: HttpRequest | None = None, using: str = "default"
) -> Pmp:
    """The plan ``pk`` if the user may see it, else 404 (a missing id and another agency's id
    look the same); each refusal is written to the audit log."""
    pmp = (
        visible_pmps(user, using)
        .select_related("owner_agency", "problem_type")
        .filter(pk=pk)
        .first()
        if str(pk).isdigit()
        else None
    )
    if pmp is None:
        record_access(
            user,
            AuditAction.DENIED,
            ("cases.pmp", str(pk)[:64]),
            request=request,
            detail={"reason": "not visible or no such plan"},
            using=using,
        )
        raise Http404("There is no plan with that number that you can see.")
    return pmp


def can_edit(user: Any, pmp: Pmp) -> bool:
    """Staff of the owner agency or a partner agency on the plan, in a role that edits."""
    profile = profile_of(user)
    if profile is None or profile.role not in EDITOR_ROLES:
        return False
    return (
        profile.agency_id == pmp.owner_agency_id
        or pmp.partner_agencies.filter(pk=profile.agency_id).exists()
    )


@dataclass(frozen=True)
class LinkedIncident:
    pk: int
    shown: bool
    label: str
    #: Why it is withheld (blank when shown), for the page's one withheld note (issue #12).
    reason: str = ""


@dataclass(frozen=True)
class PmpView:
    """A plan as one user may see it: the triangle's personal sides and linked people shown
    or withheld, each withheld part with the reason."""

    pmp: Pmp
    victim_decision: Any
    offender_decision: Any
    people: list[tuple[str, PersonView]] = field(default_factory=list)
    incidents: list[LinkedIncident] = field(default_factory=list)

    def audit_detail(self) -> dict[str, Any]:
        """Ids and codes of what was shown and withheld; never the data."""
        return {
            "owner_agency": str(self.pmp.owner_agency),
            "victim_text": "shown" if self.victim_decision.allowed else "withheld",
            "offender_text": "shown" if self.offender_decision.allowed else "withheld",
            "people_shown": [p.pk for _, p in self.people if p.shown],
            "people_withheld": [p.pk for _, p in self.people if not p.shown],
            "incidents": [i.pk for i in self.incidents],
        }


def pmp_view(user: Any, pmp: Pmp) -> PmpView:
    """What ``user`` may see of ``pmp`` (call after :func:`pmp_or_404`)."""
    owner = pmp.owner_agency
    people = []
    for link in pmp.person_links.select_related("person__incident__source").order_by("pk"):
        category = (
            DataCategory.VICTIM_PERSONAL
            if link.role == PmpPersonRole.VICTIM
            else DataCategory.PERPETRATOR_PERSONAL
        )
        decision = can_see(user, category, owner_agency_for(link.person))
        people.append((link.get_role_display(), redact_person(link.person, decision)))
    incidents = []
    for inc_link in pmp.incident_links.select_related("incident__source").order_by("incident_id"):
        inc = inc_link.incident
        seen = can_see(user, DataCategory.INCIDENT_SUMMARY, owner_agency_for(inc))
        shown = seen.allowed
        label = (
            f"{inc.reference or inc.pk}: {inc.crime_type}, {inc.month}"
            if shown
            else f"Record {inc.pk} (withheld: not shared with your agency)"
        )
        incidents.append(LinkedIncident(inc.pk, shown, label, "" if shown else seen.reason))
    return PmpView(
        pmp=pmp,
        victim_decision=can_see(user, DataCategory.VICTIM_PERSONAL, owner),
        offender_decision=can_see(user, DataCategory.PERPETRATOR_PERSONAL, owner),
        people=people,
        incidents=incidents,
    )


# --------------------------------------------------------------------------------------------
# PMPs: writing
# --------------------------------------------------------------------------------------------


def next_reference(prefix: str, model: Any, year: int, using: str = "default") -> str:
    """The next free reference ``PREFIX-YEAR-NNNN`` for ``model``.

    Call it inside the transaction that stores the record. Writers take turns there: SQLite's
    ``BEGIN IMMEDIATE`` holds the write lock, and on PostgreSQL a transaction-scoped advisory
    lock per stem does, so two records created at once never get the same reference.
    """
    stem = f"{prefix}-{year}-"
    conn = connections[using]
    if conn.vendor == "postgresql" and conn.in_atomic_block:
        advisory_xact_lock(conn, f"asbhub reference {stem}")
    taken = model.objects.using(using).filter(reference__startswith=stem).count()
    number = taken + 1
    while model.objects.using(using).filter(reference=f"{stem}{number:04d}").exists():
        number += 1
    return f"{stem}{number:04d}"


def create_pmp(
    *,
    owner_agency: Agency,
    opened_at: dt.datetime | None = None,
    partner_agencies: list[Agency] | None = None,
    using: str = "default",
    **values: Any,
) -> Pmp:
    """A new plan at Scanning, with its reference and first review date set."""
    opened_at = opened_at or timezone.now()
    with transaction.atomic(using=using):
        pmp = Pmp(owner_agency=owner_agency, opened_at=opened_at, **values)
        pmp.reference = pmp.reference or next_reference("PMP", Pmp, opened_at.year, using)
        if pmp.next_review_due is None:
            pmp.next_review_due = rules.next_review_due(
                timezone.localdate(opened_at), pmp.review_cadence_days
            )
        pmp.save(using=using)
        if partner_agencies:
            pmp.partner_agencies.set(partner_agencies)
    return pmp


def save_pmp(
    pmp: Pmp,
    expected_version: int,
    changes: Mapping[str, Any],
    user: Any = None,
    request: HttpRequest | None = None,
    purpose: str = "Managing an ASB case or problem-solving plan",
) -> int:
    """Write ``changes`` to the plan if it is still at ``expected_version``; return the new one.

    The update is conditional (``UPDATE ... WHERE id = %s AND version = %s``), so of two
    editors who opened the same version only the first to save succeeds; the second gets
    :class:`ConcurrentEditError` and nothing of theirs is written.

    Raises
    ------
    ConcurrentEditError
        Someone saved the plan after ``expected_version``.
    StageError
        A stage change the plan's content does not yet allow.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"these fields cannot be edited here: {', '.join(sorted(unknown))}")
    values = dict(changes)
    using = pmp._state.db or "default"
    target = values.get("stage", pmp.stage)
    problems = rules.check_transition(pmp.stage, target, plan_content(pmp, values))
    if problems:
        raise StageError(problems)
    if target != pmp.stage:
        values["closed_at"] = timezone.now() if target == rules.SaraStage.CLOSED else None
    with transaction.atomic(using=using):
        updated = (
            Pmp.objects.using(using)
            .filter(pk=pmp.pk, version=expected_version)
            .update(version=F("version") + 1, updated_at=timezone.now(), **values)
        )
        if updated == 0:
            current = (
                Pmp.objects.using(using).filter(pk=pmp.pk).values_list("version", flat=True).first()
            )
            raise ConcurrentEditError(
                f"{pmp.reference} was changed by someone else after you opened it (you started "
                f"from version {expected_version}; it is now at version {current}). Your changes "
                f"have not been saved and nothing was overwritten: open the plan again to see "
                f"the latest version, then make your changes again."
            )
        if user is not None:
            record_access(
                user,
                AuditAction.CHANGE,
                pmp,
                purpose=purpose,
                request=request,
                detail={"fields": sorted(values), "version": expected_version + 1},
            )
    return expected_version + 1


def assess_pmp(pmp: Pmp, counts: InterventionCounts) -> dict[str, Any]:
    """Evaluate the plan's response with :func:`asbhub.analysis.evaluation.evaluate_intervention`
    and keep the counts and headline measures on the plan (not a versioned edit: the figures
    come from the data, not an editor)."""
    ev = evaluate_intervention(counts)
    summary = {
        "counts": asdict(counts),
        "response_change_percent": ev.response_change.percent,
        "rate_ratio": ev.rate_ratio.value,
        "wdq": ev.wdq.wdq,
        "net_effect": ev.net_effect.total,
    }
    Pmp.objects.using(pmp._state.db or "default").filter(pk=pmp.pk).update(evaluation=summary)
    pmp.evaluation = summary
    return summary


# --------------------------------------------------------------------------------------------
# Tables for the scrutiny report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LpuRow:
    lpu: str
    opened: int
    open: int


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz),
    )


def table_5_34(
    start: dt.date, end: dt.date, lpus: list[str] | None = None, using: str = "default"
) -> list[LpuRow]:
    """Table 5.34: ASB PMPs opened in ``start``..``end`` (inclusive) and open at its end, by LPU.

    ``lpus`` lists the rows to show (default: the force's LPUs from the area hierarchy); an LPU
    with plans but not in the list gets a row too, so no plan goes uncounted.
    """
    if lpus is None:
        from asbhub.geo import area_hierarchy

        lpus = area_hierarchy().lpus
    lo, hi = _bounds(start, end)
    plans = Pmp.objects.using(using)
    opened = dict(_count_by_lpu(plans.filter(opened_at__gte=lo, opened_at__lt=hi)))
    open_ = dict(
        _count_by_lpu(
            plans.filter(opened_at__lt=hi).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=hi))
        )
    )
    names = list(lpus) + sorted((set(opened) | set(open_)) - set(lpus))
    return [LpuRow(n, opened.get(n, 0), open_.get(n, 0)) for n in names]


def _count_by_lpu(qs: QuerySet[Pmp]) -> list[tuple[str, int]]:
    from django.db.models import Count

    return list(qs.values_list("lpu").annotate(n=Count("pk")).order_by())


@dataclass(frozen=True)
class PowersSection:
    heading: str
    rows: list[tuple[str, int]]


def _powers(kind: str, date_field: str, **where: Any) -> Callable[[dt.date, dt.date, str], int]:
    def count(start: dt.date, end: dt.date, using: str) -> int:
        return (
            Power.objects.using(using)
            .filter(kind=kind, **{f"{date_field}__range": (start, end)}, **where)
            .count()
        )

    return count


def _events(event: str, kind: str, **where: Any) -> Callable[[dt.date, dt.date, str], int]:
    def count(start: dt.date, end: dt.date, using: str) -> int:
        power_where = {f"power__{k}": v for k, v in where.items()}
        return (
            PowerEvent.objects.using(using)
            .filter(kind=event, power__kind=kind, on__range=(start, end), **power_where)
            .count()
        )

    return count


def _injunctions(band: str) -> list[tuple[str, Callable[[dt.date, dt.date, str], int]]]:
    k = PowerKind.INJUNCTION
    return [
        (
            "Number of injunctions applied for",
            _powers(k, "applied_on", age_band=band, interim=False),
        ),
        ("Number of injunctions granted", _powers(k, "granted_on", age_band=band, interim=False)),
        (
            "Number of injunctions granted with power of arrest attached",
            _powers(k, "granted_on", age_band=band, interim=False, power_of_arrest=True),
        ),
        (
            "Number of interim injunctions applied for",
            _powers(k, "applied_on", age_band=band, interim=True),
        ),
        (
            "Number of interim injunctions granted",
            _powers(k, "granted_on", age_band=band, interim=True),
        ),
        (
            "Number of prosecutions for contempt of court/breach of injunction",
            _events(PowerEventKind.PROSECUTION, k, age_band=band),
        ),
    ]


def _cbos(band: str) -> list[tuple[str, Callable[[dt.date, dt.date, str], int]]]:
    k = PowerKind.CBO
    return [
        (
            "Number of Criminal Behaviour Orders applied for",
            _powers(k, "applied_on", age_band=band),
        ),
        ("Number of Criminal Behaviour Orders granted", _powers(k, "granted_on", age_band=band)),
        (
            "Number of prosecutions for breach of CBO",
            _events(PowerEventKind.PROSECUTION, k, age_band=band),
        ),
    ]


E = PowerEventKind
#: Table 5.36's sections and rows, worded as in seed 003, each with how the register counts it.
TABLE_5_36: list[tuple[str, list[tuple[str, Callable[[dt.date, dt.date, str], int]]]]] = [
    ("CIVIL INJUNCTIONS (ASB only) - OVER 18s", _injunctions(AgeBand.OVER_18)),
    ("CIVIL INJUNCTIONS (ASB only) - UNDER 18s", _injunctions(AgeBand.UNDER_18)),
    (
        "CLOSURE OF PREMISES",
        [
            (
                "Number of applications for Closure Orders",
                _powers(PowerKind.CLOSURE_ORDER, "applied_on"),
            ),
            (
                "Number of Closure Notices issued (24 hours)",
                _powers(PowerKind.CLOSURE_NOTICE_24, "issued_on"),
            ),
            (
                "Number of Closure Notices issued (48 hours)",
                _powers(PowerKind.CLOSURE_NOTICE_48, "issued_on"),
            ),
            ("Number of Closure Orders granted", _powers(PowerKind.CLOSURE_ORDER, "granted_on")),
            (
                "Number of prosecutions for breach of Closure Order",
                _events(E.PROSECUTION, PowerKind.CLOSURE_ORDER),
            ),
        ],
    ),
    (
        "COMMUNITY PROTECTION NOTICES",
        [
            (
                "Number of cases where remedial action take due to non-compliance with CPN",
                _events(E.REMEDIAL_ACTION, PowerKind.CPN),
            ),
            ("Number of Community Protection Notices issued", _powers(PowerKind.CPN, "issued_on")),
            (
                "Number of Community Protection Warning letters issued",
                _powers(PowerKind.CPW, "issued_on"),
            ),
            (
                "Number of forfeiture orders for failure to comply with CPN",
                _events(E.FORFEITURE_ORDER, PowerKind.CPN),
            ),
            ("Number of FPNs issued for breach of CPN", _events(E.FPN, PowerKind.CPN)),
            ("Number of prosecutions for breach of CPN", _events(E.PROSECUTION, PowerKind.CPN)),
            (
                "Number of remedial orders for failure to comply with CPN",
                _events(E.REMEDIAL_ORDER, PowerKind.CPN),
            ),
            (
                "Number of warrants authorising seizure following failure to comply with CPN",
                _events(E.SEIZURE_WARRANT, PowerKind.CPN),
            ),
        ],
    ),
    ("CRIMINAL BEHAVIOUR ORDERS - OVER 18s", _cbos(AgeBand.OVER_18)),
    ("CRIMINAL BEHAVIOUR ORDERS - UNDER 18s", _cbos(AgeBand.UNDER_18)),
    (
        "PUBLIC SPACES PROTECTION ORDERS",
        [
            (
                "Number of FPNs issued for failing to comply with a PSPO",
                _events(E.FPN, PowerKind.PSPO),
            ),
            (
                "Number of new Public Spaces Protection Orders made*",
                _powers(PowerKind.PSPO, "issued_on"),
            ),
        ],
    ),
]


def table_5_36(start: dt.date, end: dt.date, using: str = "default") -> list[PowersSection]:
    """Table 5.36, ASB powers used, for ``start``..``end`` inclusive, from the register.

    Each use counts on the day of the step the row names (applied for, issued, granted), and
    each breach, fixed penalty, prosecution or order on its own day.
    """
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    return [
        PowersSection(heading, [(label, count(start, end, using)) for label, count in rows])
        for heading, rows in TABLE_5_36
    ]


# --------------------------------------------------------------------------------------------
# ASB Case Reviews
# --------------------------------------------------------------------------------------------


def rule_for_area(area: str, using: str = "default") -> ThresholdRule:
    """The area's own threshold rule, else the default (blank area), else the built-in one."""
    rules_ = ThresholdRule.objects.using(using)
    return (
        rules_.filter(area=area).first() or rules_.filter(area="").first() or ThresholdRule(area="")
    )


def domain_rule(rule: ThresholdRule) -> rules.ThresholdRule:
    return rules.ThresholdRule(
        complaints=rule.complaints,
        window_months=rule.window_months,
        report_within_days=rule.report_within_days,
        count_people=rule.count_people,
        hate_incidents=rule.hate_incidents,
    )


def create_case_review(
    *,
    owner_agency: Agency,
    area: str,
    received_on: dt.date,
    applicant_name: str,
    using: str = "default",
    **values: Any,
) -> CaseReview:
    """Record an application; its decision is due the area's number of working days later."""
    rule = rule_for_area(area, using)
    cr = CaseReview(
        owner_agency=owner_agency,
        area=area,
        received_on=received_on,
        applicant_name=applicant_name,
        decision_due=rules.add_working_days(received_on, rule.decision_working_days),
        **values,
    )
    cr.reference = next_reference("ACR", CaseReview, received_on.year, using)
    cr.save(using=using)
    return cr


def check_case_review(cr: CaseReview) -> rules.ThresholdResult:
    """Check the application's linked complaints against its area's rule and store the result
    with the rule used."""
    using = cr._state.db or "default"
    rule = domain_rule(rule_for_area(cr.area, using))
    complaints = [
        rules.Complaint(c.reference, c.incident_on, c.reported_on, c.complainant, c.problem, c.hate)
        for c in cr.complaints.all()
    ]
    result = rules.check_threshold(complaints, cr.received_on, rule)
    cr.rule_used = asdict(rule)
    cr.threshold_met, cr.threshold_reason = result.met, result.reason
    cr.save(using=using, update_fields=["rule_used", "threshold_met", "threshold_reason"])
    return result
