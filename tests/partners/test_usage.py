"""Table 5.30: the share of users with access who signed in within the last 12 months."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from asbhub.store.db import setup_django

# Before the imports below touch any model (see tests/partners/conftest.py for why here).
setup_django()

from django.utils import timezone  # noqa: E402

from asbhub.records.partners.models import UserProfile  # noqa: E402
from asbhub.records.partners.usage import NO_AREA, twelve_months_before, usage_by_area  # noqa: E402

AS_OF = timezone.make_aware(dt.datetime(2025, 6, 15, 12, 0))


@pytest.fixture
def craft(db, make_agency, make_user):
    """Accounts with known sign-ins relative to ``as_of``; every other profile is removed
    inside the test's transaction."""

    def craft(as_of: dt.datetime) -> tuple:
        return _craft(as_of, make_agency, make_user)

    return craft


@pytest.fixture
def crafted(craft):
    return craft(AS_OF)


def _craft(as_of: dt.datetime, make_agency, make_user) -> tuple:
    UserProfile.objects.all().delete()
    recent, long_ago = as_of - dt.timedelta(days=30), as_of - dt.timedelta(days=400)
    police = make_agency("Synthetic Constabulary", kind="police")
    council = make_agency("Synthetic Council")
    amber, chesterfield = "Amber Valley SNT", "Chesterfield SNT"
    make_user("a1", police, "snt_officer", amber, last_login=recent)
    make_user("a2", police, "snt_officer", amber, last_login=as_of)
    # Exactly 12 months before counts; a minute earlier does not.
    make_user("a3", police, "snt_officer", amber, last_login=twelve_months_before(as_of))
    make_user(
        "a4",
        police,
        "snt_officer",
        amber,
        last_login=twelve_months_before(as_of) - dt.timedelta(minutes=1),
    )
    make_user("a5", police, "snt_officer", amber, last_login=recent, is_active=False)
    make_user("c1", police, "snt_officer", chesterfield, last_login=None)
    make_user("c2", police, "snt_officer", chesterfield, last_login=long_ago)
    make_user("c3", police, "supervisor", chesterfield, last_login=as_of + dt.timedelta(days=1))
    make_user("k1", council, "partner_officer", "", last_login=recent)
    make_user("k2", council, "partner_officer", "Community Safety", last_login=recent)
    make_user("k3", council, "partner_officer", "Community Safety", last_login=long_ago)
    make_user("k4", council, "partner_officer", "Community Safety", last_login=recent)
    make_user("nobody", None, last_login=recent)  # no agency: no access to count
    return police, council


def test_usage_by_area_counts(crafted) -> None:
    table = usage_by_area(as_of=AS_OF)
    assert table.since == timezone.make_aware(dt.datetime(2024, 6, 15, 12, 0))
    assert [(r.agency, r.area, r.users, r.logged_in) for r in table.rows] == [
        ("Synthetic Constabulary", "Amber Valley SNT", 4, 3),
        ("Synthetic Constabulary", "Chesterfield SNT", 3, 0),
        ("Synthetic Council", "Community Safety", 3, 2),
        ("Synthetic Council", NO_AREA, 1, 1),
    ]
    assert [round(r.percent) for r in table.rows] == [75, 0, 67, 100]
    assert [(r.agency, r.users, r.logged_in) for r in table.agencies] == [
        ("Synthetic Constabulary", 7, 3),
        ("Synthetic Council", 4, 3),
    ]
    assert (table.total.users, table.total.logged_in) == (11, 6)
    assert table.total.percent == pytest.approx(600 / 11)


def test_no_users_no_percentage(db) -> None:
    UserProfile.objects.all().delete()
    table = usage_by_area(as_of=AS_OF)
    assert table.rows == [] and table.total.percent is None


def test_twelve_months_before_leap_day() -> None:
    assert twelve_months_before(dt.datetime(2024, 2, 29, 9)) == dt.datetime(2023, 2, 28, 9)
    assert twelve_months_before(dt.datetime(2025, 3, 1)) == dt.datetime(2024, 3, 1)


def test_usage_page_for_supervisors_only(client, craft, make_user) -> None:
    police, _ = craft(timezone.now())
    client.force_login(make_user("sup", police, "supervisor", "Amber Valley SNT"))
    page = client.get("/partners/usage/")
    assert page.status_code == 200
    assert re.search(r"<h1\b[^>]*>Who uses asbhub</h1>", page.text)
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", page.text)
    # Crafted a moment ago: a3 (exactly 12 months before then) has just dropped out, c3's
    # sign-in a day ahead is not counted, and the supervisor has just signed in: 3 of 5.
    assert cells[4:] == [
        "Synthetic Constabulary, all areas",
        "8",
        "3",
        "38%",
        "Amber Valley SNT",
        "5",
        "3",
        "60%",
        "Chesterfield SNT",
        "3",
        "0",
        "0%",
        "Synthetic Council, all areas",
        "4",
        "3",
        "75%",
        "Community Safety",
        "3",
        "2",
        "67%",
        "No area recorded",
        "1",
        "1",
        "100%",
        "All agencies",
        "12",
        "6",
        "50%",
    ]
    download = client.get("/partners/usage/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0][:3] == ["Agency", "Area", "Users with access"]
    assert ["Synthetic Council", "Community Safety", "3", "2", "67"] in rows
    client.force_login(make_user("snt", police, "snt_officer", "Amber Valley SNT"))
    assert client.get("/partners/usage/").status_code == 403


def test_usage_page_for_administrators(client, crafted, make_user) -> None:
    _, council = crafted
    client.force_login(make_user("adm", council, "administrator"))
    assert client.get("/partners/usage/").status_code == 200
