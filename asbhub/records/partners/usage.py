"""Who uses the system: table 5.30 of the May 2022 scrutiny report, kept up to date.

Seed 003, table 5.30, gives for each police area the "percentage of users with access who have
logged on in last year" to E-CINS. :func:`usage_by_area` gives the same for asbhub, by agency
and area (SNT or team), so low use shows up before a review has to find it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from asbhub.records.partners.models import UserProfile

#: How an account with no area recorded is labelled.
NO_AREA = "No area recorded"


@dataclass(frozen=True)
class UsageRow:
    """Users with access in one agency and area, and how many signed in within 12 months."""

    agency: str
    area: str
    users: int
    logged_in: int

    @property
    def percent(self) -> float | None:
        """Share of users who signed in, 0-100; None when there are no users."""
        return 100.0 * self.logged_in / self.users if self.users else None


@dataclass(frozen=True)
class UsageTable:
    """Table 5.30's shape: rows by agency and area, a subtotal per agency, a grand total."""

    as_of: dt.datetime
    since: dt.datetime
    rows: list[UsageRow]
    agencies: list[UsageRow]
    total: UsageRow

    def rows_of(self, agency: str) -> list[UsageRow]:
        return [r for r in self.rows if r.agency == agency]


def twelve_months_before(moment: dt.datetime) -> dt.datetime:
    """The same date and time a year earlier (28 February for 29 February)."""
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:
        return moment.replace(year=moment.year - 1, day=28)


def usage_by_area(as_of: dt.datetime | None = None, using: str = "default") -> UsageTable:
    """Users with access, and those who signed in within the 12 months before ``as_of``.

    Parameters
    ----------
    as_of : datetime, optional
        The end of the 12 months; default now.
    using : str
        Database alias.

    Returns
    -------
    UsageTable

    Notes
    -----
    "With access" means an active account linked to an agency: a disabled account has no
    access, so it neither counts as a user nor drags the percentage down. A sign-in is Django's
    ``last_login``, so each user counts once however often they signed in.
    """
    as_of = as_of or timezone.now()
    since = twelve_months_before(as_of)
    recent = Q(user__last_login__gte=since, user__last_login__lte=as_of)
    counts = (
        UserProfile.objects.using(using)
        .filter(user__is_active=True)
        .values("agency__name", "area")
        .annotate(users=Count("pk"), logged_in=Count("pk", filter=recent))
        .order_by("agency__name", "area")
    )
    rows = [
        UsageRow(c["agency__name"], c["area"] or NO_AREA, c["users"], c["logged_in"])
        for c in counts
    ]
    rows.sort(key=lambda r: (r.agency, r.area == NO_AREA, r.area))
    agencies: list[UsageRow] = []
    for name in dict.fromkeys(r.agency for r in rows):
        own = [r for r in rows if r.agency == name]
        agencies.append(
            UsageRow(name, "", sum(r.users for r in own), sum(r.logged_in for r in own))
        )
    total = UsageRow("", "", sum(r.users for r in rows), sum(r.logged_in for r in rows))
    return UsageTable(as_of=as_of, since=since, rows=rows, agencies=agencies, total=total)
