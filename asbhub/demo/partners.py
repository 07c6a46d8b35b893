"""Demonstration agencies, accounts and sharing agreements for ``make demo``.

DEMONSTRATION DATA. The agencies are real public bodies of the Derbyshire partnership (the
housing provider is fictional); the accounts and agreements are invented and every account is
named "Demo ...". Passwords are random, new on each run, and returned for the demo to print
once: nothing stores them in clear.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from asbhub.records.partners.models import (
    Agency,
    AgencyKind,
    DataCategory,
    Role,
    SharingAgreement,
    UserProfile,
)

POLICE = "Derbyshire Constabulary"
CITY = "Derby City Council"
EREWASH = "Erewash Borough Council"
HOUSING = "Peak Vale Homes (fictional housing provider)"
FIRE = "Derbyshire Fire and Rescue Service"
YOT = "Derbyshire Youth Offending Service"
OPCC = "Office of the Derbyshire Police and Crime Commissioner"

AGENCIES = [
    (POLICE, AgencyKind.POLICE, ""),
    (CITY, AgencyKind.CITY_COUNCIL, "Derby"),
    (EREWASH, AgencyKind.DISTRICT_COUNCIL, "Erewash"),
    (HOUSING, AgencyKind.HOUSING, "Derby and Erewash"),
    (FIRE, AgencyKind.FIRE, ""),
    (YOT, AgencyKind.YOUTH_OFFENDING, ""),
    (OPCC, AgencyKind.COMMISSIONER, ""),
]

#: username, first name, agency, role, area (the usage table's rows).
ACCOUNTS = [
    ("demo.analyst", "Analyst", POLICE, Role.ANALYST, "Derbyshire Constabulary Intelligence Team"),
    ("demo.erewash.snt", "Erewash SNT officer", POLICE, Role.SNT_OFFICER, "Erewash SNT"),
    ("demo.derby.snt", "Derby North SNT officer", POLICE, Role.SNT_OFFICER, "Derby North SNT"),
    ("demo.supervisor", "Supervisor", POLICE, Role.SUPERVISOR, "Erewash SNT"),
    ("demo.admin", "Administrator", POLICE, Role.ADMINISTRATOR, "Force systems"),
    ("demo.city", "City ASB officer", CITY, Role.PARTNER_OFFICER, "Community Safety"),
    ("demo.erewash", "Erewash ASB officer", EREWASH, Role.PARTNER_OFFICER, "Community Safety"),
    ("demo.housing", "Housing officer", HOUSING, Role.PARTNER_OFFICER, "Tenancy Enforcement"),
    ("demo.fire", "Fire safety officer", FIRE, Role.PARTNER_OFFICER, "Community Safety"),
    ("demo.yot", "Youth justice worker", YOT, Role.PARTNER_OFFICER, "Prevention"),
    ("demo.opcc", "Scrutiny officer", OPCC, Role.COMMISSIONER_VIEWER, "Scrutiny"),
]

PERSONAL_AND_RISK = [
    DataCategory.INCIDENT_SUMMARY,
    DataCategory.VICTIM_PERSONAL,
    DataCategory.PERPETRATOR_PERSONAL,
    DataCategory.RISK_ASSESSMENT,
]


def _agreements(today: dt.date) -> list[dict]:
    year = dt.timedelta(days=365)
    return [
        {
            "reference": "DEMO-ISA-001",
            "title": "DEMONSTRATION Derby and Erewash ASB partnership agreement",
            "parties": [POLICE, CITY, EREWASH],
            "purpose": "Preventing and reducing anti-social behaviour and supporting its victims "
            "(Crime and Disorder Act 1998, s. 17 and s. 115).",
            "categories": PERSONAL_AND_RISK,
            "starts": today - year,
            "ends": today + year,
        },
        {
            "reference": "DEMO-ISA-002",
            "title": "DEMONSTRATION deliberate fires and fire-setting agreement",
            "parties": [POLICE, FIRE],
            "purpose": "Reducing deliberate fires and targeting fire-safety visits.",
            "categories": [DataCategory.INCIDENT_SUMMARY, DataCategory.RISK_ASSESSMENT],
            "starts": today - year,
            "ends": today + 2 * year,
        },
        {
            "reference": "DEMO-ISA-003",
            "title": "DEMONSTRATION youth diversion agreement",
            "parties": [POLICE, YOT],
            "purpose": "Diverting young people from anti-social behaviour and offending.",
            "categories": [DataCategory.INCIDENT_SUMMARY, DataCategory.PERPETRATOR_PERSONAL],
            "starts": today - year,
            "ends": today + year,
        },
        {
            "reference": "DEMO-ISA-004",
            "title": "DEMONSTRATION tenancy enforcement agreement (expired)",
            "parties": [POLICE, HOUSING],
            "purpose": "Tenancy enforcement against anti-social behaviour by tenants.",
            "categories": PERSONAL_AND_RISK,
            "starts": today - 3 * year,
            "ends": today - dt.timedelta(days=30),
        },
    ]


def seed_demo_partners(using: str = "default", today: dt.date | None = None) -> dict[str, str]:
    """Create (or refresh) the demonstration agencies, accounts and agreements.

    Parameters
    ----------
    using : str
        Database alias.
    today : date, optional
        The day agreements are dated around; default today.

    Returns
    -------
    dict
        Username -> a new random password, for the demo to print once. Running again gives
        every demonstration account a new password.
    """
    today = today or timezone.localdate()
    users = get_user_model()._default_manager.db_manager(using)
    passwords: dict[str, str] = {}
    with transaction.atomic(using=using):
        agencies = {}
        for name, kind, area in AGENCIES:
            agencies[name], _ = Agency.objects.using(using).update_or_create(
                name=name, defaults={"kind": kind, "area": area, "is_active": True}
            )
        for username, first, agency, role, area in ACCOUNTS:
            user = users.filter(username=username).first() or users.model(username=username)
            user.first_name, user.last_name = "Demo", f"{first} (demonstration account)"
            user.email = f"{username}@example.invalid"
            user.is_active = True
            # The demo administrator runs the admin pages; their role still keeps them from
            # personal data on the case pages (see access.ROLE_CATEGORIES).
            user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
            passwords[username] = secrets.token_urlsafe(12)
            user.set_password(passwords[username])
            user.save(using=using)
            UserProfile.objects.using(using).update_or_create(
                user=user, defaults={"agency": agencies[agency], "role": role, "area": area}
            )
        for spec in _agreements(today):
            parties = [agencies[p] for p in spec.pop("parties")]
            agreement, _ = SharingAgreement.objects.using(using).update_or_create(
                reference=spec["reference"],
                defaults={
                    **spec,
                    "categories": [str(c) for c in spec["categories"]],
                    "signed_by": "DEMONSTRATION: no one signed this agreement",
                    "signed_on": spec["starts"],
                    "revoked_at": None,
                },
            )
            agreement.parties.set(parties)
    return passwords
