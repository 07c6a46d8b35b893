"""The tasking pages' work: the daily briefing as one user may see it, and the weekly LPU pack.

Views call these. The briefing itself is built by :mod:`asbhub.reports.briefing` (no Django);
here it is cut down to what the user is entitled to, through the one access policy
(:mod:`asbhub.records.partners.access`), and every view or download of it is audited.

Hooks for work landing elsewhere
--------------------------------
- **Person linkage** (``asbhub.web.people``): :func:`person_key_map` returns the
  ``incidents_person.id -> cluster`` mapping the briefing takes as ``person_key``. It returns
  None (the briefing's interim key) until the people app exposes one.
- **Risk reviews** (``asbhub.web.risk``): :func:`risk_sections` calls its ``due_reviews`` and
  ``high_risk_victims`` when they exist, and applies the access policy to each row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asbhub.records.partners.access import (
    can_see,
    category_for_person,
    incident_summaries,
    owner_agency_for,
    profile_of,
)
from asbhub.records.partners.models import DataCategory
from asbhub.reports.briefing import (
    DEFAULT_LIMIT,
    Briefing,
    build_briefing,
    previous_working_day,
)
from asbhub.store.db import Store

DB_ALIAS = "default"
STORE_NAME = "the asbhub web app's database"


def web_store(using: str = DB_ALIAS) -> Store:
    """The web app's own database as a :class:`~asbhub.store.db.Store`."""
    return Store(url=STORE_NAME, alias=using)


def person_key_map(using: str = DB_ALIAS) -> Mapping[int, Hashable] | None:
    """Linkage clusters for the briefing's person identity, when person linkage is in use.

    The people app's ``person_cluster_map(using)`` (``{incidents_person.id: linked person
    id}``) when it has linked anyone; the briefing then says it is using linkage clusters.
    None (the briefing's interim key) when linkage has not been run on this store: an empty
    map would make everyone a person of one record, and no one a repeat victim.
    """
    from asbhub.records.people.services import person_cluster_map

    return person_cluster_map(using=using) or None


@dataclass(frozen=True)
class RiskSection:
    """A section of the briefing from the risk questionnaire app (see :func:`risk_sections`):
    ``columns`` are headings, each row a list of cells, or a withheld row's reason."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    withheld: list[str] = field(default_factory=list)


#: What the briefing shows of the risk app's rows: (attribute, heading), in order.
_RISK_COLUMNS = {
    "due": [
        ("incident_reference", "Incident"),
        ("victim_name", "Victim"),
        ("lpu", "LPU"),
        ("band", "Risk"),
        ("next_review_due", "Review due"),
        ("status", "Status"),
        ("owner_agency", "Agency"),
    ],
    "high": [
        ("incident_reference", "Incident"),
        ("victim_name", "Victim"),
        ("lpu", "LPU"),
        ("score", "Score"),
        ("high_since", "High since"),
        ("next_review_due", "Review due"),
        ("owner_agency", "Agency"),
    ],
}


def risk_sections(
    user: Any, day: dt.date, since: dt.date, using: str = DB_ALIAS, policy: _Policy | None = None
) -> list[RiskSection]:
    """Risk reviews due and victims newly assessed as high risk, from ``asbhub.web.risk``'s
    ``due_reviews(today, using)`` and ``high_risk_victims(since, using)`` when it has them.

    Each row names a victim and their risk grading, so it is shown only when ``user`` may see
    both the person (the category of their role) and risk assessments of the agency that owns
    the incident; otherwise the row is left out and its reason listed.
    """
    try:
        from asbhub.records.risk import services as risk
    except ImportError:
        return []
    from asbhub.records.incidents.models import Person

    policy = policy or _Policy(user, using)
    out = []
    for kind, title, name, arg in (
        ("due", "Risk assessments due or overdue for review", "due_reviews", day),
        ("high", "Victims newly assessed as high risk", "high_risk_victims", since),
    ):
        get = getattr(risk, name, None)
        if not callable(get):
            continue
        items = list(get(arg, using=using))
        people: dict[int | None, Person] = {
            p.pk: p
            for p in Person.objects.using(using)
            .filter(pk__in=[getattr(i, "person_id", None) for i in items])
            .select_related("incident__source")
        }
        rows, withheld = [], []
        for item in items:
            person = people.get(getattr(item, "person_id", None))
            reason: str | None = "Withheld: the person is not in the store."
            if person is not None:
                reason = None
                for category in (category_for_person(person), DataCategory.RISK_ASSESSMENT):
                    decision = policy.decide(category, person, person.incident.source_id)
                    if not decision.allowed:
                        reason = decision.reason
                        break
            if reason:
                withheld.append(reason)
                continue
            rows.append([getattr(item, attr, "") for attr, _ in _RISK_COLUMNS[kind]])
        out.append(RiskSection(title, [h for _, h in _RISK_COLUMNS[kind]], rows, withheld))
    return out


@dataclass
class _Policy:
    """Access decisions for one user, memoised by (category, owner agency)."""

    user: Any
    using: str
    decisions: dict[tuple[str, Any], Any] = field(default_factory=dict)
    owners: dict[int, Any] = field(default_factory=dict)

    def decide(self, category: str, obj: Any, source_id: int) -> Any:
        if source_id not in self.owners:
            self.owners[source_id] = owner_agency_for(obj)
        owner = self.owners[source_id]
        key = (category, owner.pk if owner else None)
        if key not in self.decisions:
            self.decisions[key] = can_see(self.user, category, owner)
        return self.decisions[key]


@dataclass(frozen=True)
class BriefingView:
    """The briefing as one user may see it, and what the audit log records about it."""

    briefing: Briefing
    people_shown: list[int]
    people_withheld: list[int]
    risk: list[RiskSection]

    def audit_detail(self, fmt: str) -> dict[str, Any]:
        """Ids and counts only, never the data."""
        b = self.briefing
        return {
            "date": b.date.isoformat(),
            "since": b.since.isoformat(),
            "format": fmt,
            "person_key": b.person_key_name,
            "people_shown": self.people_shown,
            "people_withheld": self.people_withheld,
            "high_risk_withheld": len(b.high_risk_withheld),
            "incidents": "withheld" if b.incidents_withheld else "shown",
        }


def briefing_for(
    user: Any, day: dt.date, since: dt.date | None = None, using: str = DB_ALIAS
) -> BriefingView:
    """The briefing for ``day`` with the people ``user`` may not see withheld, and why.

    A row naming a person or giving their address (a repeat victim, a repeat perpetrator, a
    victim's repeat address, a Case Review flag) is shown only if the user may see every
    record behind it (the category of the person's role: ``perpetrator_personal`` for a
    suspect, ``victim_personal`` for a victim, for the agency that owns the incident, under
    :func:`~asbhub.records.partners.access.can_see`); otherwise its name, address and complaint
    references are replaced by the reason. High risk incidents need the risk
    assessment category. Plans are those the user may see.
    """
    from django.conf import settings

    from asbhub.records.incidents.models import Incident, Person

    # Rows per section before "and N more" (issue #12): ASBHUB_BRIEFING_LIMIT, default 10.
    limit = getattr(settings, "ASBHUB_BRIEFING_LIMIT", DEFAULT_LIMIT)
    data = build_briefing(
        web_store(using),
        day,
        since or previous_working_day(day),
        person_key=person_key_map(using),
        limit=limit,
    )
    policy = _Policy(user, using)
    ids = data.person_row_ids()
    people = {
        p.pk: p
        for p in Person.objects.using(using).filter(pk__in=ids).select_related("incident__source")
    }
    shown: set[int] = set()
    withheld: set[int] = set()

    def person_reason(rows: list[int]) -> str | None:
        reason = None
        for pk in rows:
            p = people.get(pk)
            if p is None:
                reason = reason or "Withheld: the record is no longer in the store."
                continue
            decision = policy.decide(category_for_person(p), p, p.incident.source_id)
            if not decision.allowed:
                reason = reason or decision.reason
        (withheld if reason else shown).update(rows)
        return reason

    incidents = {
        i.pk: i
        for i in Incident.objects.using(using)
        .filter(pk__in=data.high_risk["incident_id"].to_list())
        .select_related("source")
    }

    def incident_reason(pk: int) -> str | None:
        inc = incidents.get(pk)
        if inc is None:
            return "Withheld: the record is no longer in the store."
        decision = policy.decide(DataCategory.RISK_ASSESSMENT, inc, inc.source_id)
        return None if decision.allowed else decision.reason

    visible = data.redact(person_reason, incident_reason)
    if visible.pmps is not None and visible.pmps.height:
        import polars as pl

        from asbhub.records.cases.services import visible_pmps

        refs = set(visible_pmps(user, using).values_list("reference", flat=True))
        visible = _with_pmps(visible, visible.pmps.filter(pl.col("reference").is_in(refs)))
    summaries = incident_summaries(user, using)
    if not summaries.allowed:
        # No incident summaries (as the API gives this user no incidents): nothing incident-level.
        return BriefingView(visible.without_incidents(summaries.reason), [], [], [])
    return BriefingView(
        visible,
        sorted(shown),
        sorted(withheld - shown),
        risk_sections(user, day, visible.since, using, policy),
    )


def _with_pmps(b: Briefing, pmps: Any) -> Briefing:
    from dataclasses import replace

    return replace(b, pmps=pmps)


def may_use_tasking(user: Any) -> bool:
    """Any signed-in user linked to an active agency; what they see is then per record."""
    profile = profile_of(user)
    return profile is not None and profile.agency.is_active


def may_open_weekly(user: Any) -> bool:
    """The weekly pack's check: tasking, and the incident summaries it counts and maps (the
    weekly views refuse anyone else, so the navigation and links ask this too)."""
    return may_use_tasking(user) and incident_summaries(user).allowed
