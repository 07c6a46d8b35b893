"""Formula injection in the CSV downloads: text someone typed (an agency's name and area, a
crime type or place from a force export, a user's area) must not reach a spreadsheet as a
cell starting with ``=``, ``+``, ``-`` or ``@``, which Excel and LibreOffice run as a formula.

Every CSV the site offers is found (the overview's tables, the usage table, each table of the
scrutiny dashboard, the risk calibration and the weekly pack), downloaded by a user entitled to
it after those fields were set to formulas, and read cell by cell. A cell that is a number
(``-3``, ``-0.5``) is data, not a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.security.support import as_user, build_world, signed_in_clients

setup_django()

from tests.security.registry import body, url  # noqa: E402

FORMULAS = {
    "council name": '=HYPERLINK("http://example.invalid/","click")',
    "council area": "+SUM(1,2)",
    "profile area": "@SUM(1)",
    "crime type": "-2+3+cmd|' /C calc'!A0",
    "place": "=1+1",
}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?%?")


@pytest.fixture(scope="module")
def formulas(default_store: Any) -> Iterator[SimpleNamespace]:
    from django.db import transaction

    from asbhub.records.incidents.models import Incident, Location
    from asbhub.records.partners.models import Agency, UserProfile

    with transaction.atomic(using="default"):
        w = build_world()
        Agency.objects.filter(pk=w.council.pk).update(
            name=FORMULAS["council name"], area=FORMULAS["council area"]
        )
        UserProfile.objects.filter(agency=w.council).update(area=FORMULAS["profile area"])
        Incident.objects.filter(source=w.source).update(crime_type=FORMULAS["crime type"])
        # The overview counts real records only (sources named SYNTHETIC..., as this world's,
        # are left out: issue #12): a published copy of one row carries the crime type too.
        from django.utils import timezone

        from asbhub.records.incidents.models import Source

        published = Source.objects.create(
            kind="police_uk",
            force="Formula Test Constabulary",
            month="2019-02",
            content_hash="6" * 64,
            rows=1,
            file="formula-security",
            loaded_at=timezone.now(),
        )
        row = Incident.objects.filter(source=w.source).first()
        row.pk = None
        row.source = published
        row.reference = f"formula-{row.reference}"[:64]
        row.save()
        Location.objects.filter(incidents__source=w.source).update(description=FORMULAS["place"])
        w.clients = signed_in_clients(w)
        yield w
        transaction.set_rollback(True, using="default")


def csv_downloads(w: SimpleNamespace) -> list[tuple[str, str]]:
    """(user, URL) of every CSV download: fixed ones and the dashboard's tables."""
    fixed = [
        ("supervisor", "/?format=csv&table=types"),
        ("supervisor", "/?format=csv&table=areas"),
        ("supervisor", "/partners/usage/?format=csv"),
        ("supervisor", url("risk:calibration-csv", w)),
        ("supervisor", url("tasking:weekly-csv", w)),
    ]
    page = body(as_user(w, "supervisor").get("/scrutiny/dashboard/"))
    tables = sorted(set(re.findall(r"format=csv&amp;table=([\w.-]+)", page)))
    query = re.search(r'href="\?([^"]*)&amp;format=csv', page)
    base = query.group(1).replace("&amp;", "&") if query else ""
    return fixed + [
        ("supervisor", f"/scrutiny/dashboard/?{base}&format=csv&table={t}") for t in tables
    ]


def dangerous_cells(text: str) -> list[str]:
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.fullmatch(cell)
    ]


def test_the_formulas_reach_the_downloads(formulas: SimpleNamespace, db: str) -> None:
    """The check below looks at downloads that do carry the typed text (neutralised or not):
    the council's name is in the usage table and the crime type in the overview's."""
    usage = body(as_user(formulas, "supervisor").get("/partners/usage/?format=csv"))
    assert "HYPERLINK" in usage
    types = body(as_user(formulas, "supervisor").get("/?format=csv&table=types"))
    assert "cmd|" in types


def test_no_download_starts_a_cell_with_a_formula(formulas: SimpleNamespace, db: str) -> None:
    problems = []
    downloads = csv_downloads(formulas)
    assert len(downloads) > 5, "the dashboard offers its tables as CSV"
    for who, target in downloads:
        response = as_user(formulas, who).get(target)
        assert response.status_code == 200, f"{target}: {response.status_code}"
        assert response["Content-Type"].startswith("text/csv"), target
        cells = dangerous_cells(body(response))
        if cells:
            problems.append(f"{target}: {cells[:3]}")
    assert not problems, "cells a spreadsheet runs as formulas: " + "; ".join(problems)


def test_dangerous_cells_finds_formulas_not_numbers() -> None:
    text = 'a,=1+1,-3,-0.5,+SUM(1),@x,12%\r\n-2+3,"=HYPERLINK(""x"")",ok\r\n'
    assert dangerous_cells(text) == ["=1+1", "+SUM(1)", "@x", "-2+3", '=HYPERLINK("x")']
