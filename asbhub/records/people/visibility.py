"""What a user may see and do with linked people: every check goes through
:mod:`asbhub.records.partners.access` (the one policy); this module only applies it to clusters,
their member records and the review queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asbhub.records.incidents.models import Person
from asbhub.records.partners.access import (
    Decision,
    PersonView,
    action_roles,
    can_see,
    category_for_person,
    owner_agency_for,
    profile_of,
    redact_person,
)
from asbhub.records.partners.models import DataCategory
from asbhub.records.people.models import CandidatePair, LinkedPerson, Membership, PairStatus

#: Roles that may review pairs, merge and split (their own agency's records only).
REVIEWER_ROLES = action_roles("linkage.decide")


class Owners:
    """``owner_agency_for`` per Person row, asked once per incident source."""

    def __init__(self) -> None:
        self._by_source: dict[int, Any] = {}

    def __call__(self, person: Person) -> Any:
        sid = person.incident.source_id
        if sid not in self._by_source:
            self._by_source[sid] = owner_agency_for(person)
        return self._by_source[sid]


@dataclass(frozen=True)
class WhyRow:
    """One line of a match's explanation, with a bar length for the page."""

    comparison: str
    level: str
    weight: float
    bar: int  # 0-100: share of the largest absolute weight in the explanation

    @property
    def label(self) -> str:
        return (
            "Prior (before any comparison)"
            if self.comparison == "prior"
            else self.comparison.replace("_", " ").capitalize()
        )

    @property
    def level_text(self) -> str:
        return "Not recorded on one or both records" if self.level == "Null" else self.level

    @property
    def direction(self) -> str:
        return "for" if self.weight > 0 else "against" if self.weight < 0 else "neutral"


def why_rows(breakdown: Iterable[dict[str, Any]]) -> list[WhyRow]:
    """The stored breakdown as rows for a table (weights exactly as stored)."""
    rows = list(breakdown or [])
    top = max((abs(float(r["weight"])) for r in rows), default=0.0) or 1.0
    return [
        WhyRow(
            str(r["comparison"]),
            str(r["level"]),
            float(r["weight"]),
            round(100 * abs(float(r["weight"])) / top),
        )
        for r in rows
    ]


def exact_key_words(key: str) -> str:
    """``first_name_canonical+surname+date_of_birth+postcode`` -> ``first name, surname, date
    of birth and postcode``."""
    words = [c.replace("_canonical", "").replace("_", " ") for c in key.split("+") if c]
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


@dataclass(frozen=True)
class MemberView:
    """A member record of a linked person as the user may see it."""

    membership: Membership
    person: PersonView
    incident: Any
    why: list[WhyRow] = field(default_factory=list)

    @property
    def exact_key(self) -> str:
        return exact_key_words(self.membership.exact_key)


def member_views(user: Any, linked: LinkedPerson, owners: Owners | None = None) -> list[MemberView]:
    """The members whose incident the user may see at all, each redacted by its role's
    category; members of incidents the user may not see are left out entirely."""
    owners = owners or Owners()
    out = []
    rows = (
        Membership.objects.using(linked._state.db)
        .filter(linked_person=linked)
        .select_related("person__incident__source")
        .order_by("person__incident__month", "person_id")
    )
    for m in rows:
        owner = owners(m.person)
        if not can_see(user, DataCategory.INCIDENT_SUMMARY, owner):
            continue
        view = redact_person(m.person, can_see(user, category_for_person(m.person), owner))
        out.append(MemberView(m, view, m.person.incident, why_rows(m.breakdown)))
    return out


def may_decide(user: Any, people: Iterable[Person], owners: Owners | None = None) -> Decision:
    """May ``user`` confirm, reject, merge or split over these records? Analysts and
    supervisors of the agency that owns every one of them, entitled to see each one."""
    owners = owners or Owners()
    profile = profile_of(user)
    if profile is None or profile.role not in REVIEWER_ROLES:
        return Decision(
            False,
            "Only analysts and supervisors of the agency that owns the "
            "records can decide which records are the same person.",
        )
    for person in people:
        owner = owners(person)
        if owner is None or owner.pk != profile.agency_id:
            return Decision(
                False,
                f"Record {person.pk} belongs to another agency: only its "
                "own analysts and supervisors can link or unlink it.",
            )
        decision = can_see(user, category_for_person(person), owner)
        if not decision:
            return decision
    return Decision(True, "An analyst or supervisor of the agency that owns the records.")


@dataclass(frozen=True)
class PairView:
    """A queued pair side by side: each record redacted, and which fields differ."""

    pair: CandidatePair
    left: PersonView
    right: PersonView
    cluster_left: int | None
    cluster_right: int | None
    why: list[WhyRow]
    differs: dict[str, bool]


_COMPARED = ("name", "date_of_birth", "phone", "email", "address", "postcode")


def _norm(value: Any) -> str:
    return " ".join(str(value or "").lower().replace(",", " ").split())


def pair_views(
    user: Any, pairs: Iterable[CandidatePair], owners: Owners | None = None
) -> list[PairView]:
    """Pairs the user may decide on, both records shown (others are left out)."""
    owners = owners or Owners()
    out = []
    for pair in pairs:
        a, b = pair.person_a, pair.person_b
        if not may_decide(user, (a, b), owners):
            continue
        left = redact_person(a, can_see(user, category_for_person(a), owners(a)))
        right = redact_person(b, can_see(user, category_for_person(b), owners(b)))
        differs = {f: _norm(getattr(left, f)) != _norm(getattr(right, f)) for f in _COMPARED}
        out.append(
            PairView(
                pair,
                left,
                right,
                getattr(getattr(a, "linkage", None), "linked_person_id", None),
                getattr(getattr(b, "linkage", None), "linked_person_id", None),
                why_rows(pair.breakdown),
                differs,
            )
        )
    return out


def open_pairs(using: str = "default") -> Any:
    """The queue, strongest first, with what the page needs joined in."""
    return (
        CandidatePair.objects.using(using)
        .filter(status=PairStatus.OPEN)
        .select_related(
            "person_a__incident__source",
            "person_b__incident__source",
            "person_a__linkage",
            "person_b__linkage",
        )
        .order_by("-match_weight", "pk")
    )
