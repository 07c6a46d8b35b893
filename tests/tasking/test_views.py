"""The briefing and weekly pack pages: police see the people, partners only what their
sharing agreements allow (each withheld row says why), every view or PDF download audited
with its purpose; the weekly pack's page, CSV and map."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from asbhub.store.db import setup_django

setup_django()

from asbhub.records.partners.models import AuditEntry  # noqa: E402

DATE = "2021-03-15"
TASKING = "Preparing for or attending a partnership tasking meeting"
NAMES = ("Alice Threshold", "Dan Newflag")


@pytest.fixture
def loaded(db: str, default_store: Any, tmp_path: Path) -> Any:
    """The crafted Case Review people in the default store (rolled back with the test)."""
    from tests.tasking.crafted import case_review_rows, load

    load(default_store, case_review_rows(), tmp_path)
    return default_store


def _briefing(client: Any, **extra: str) -> Any:
    return client.get("/briefing/", {"date": DATE, "purpose": "tasking", **extra})


def test_police_analyst_sees_people_and_the_view_is_audited(
    client: Any, loaded: Any, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("analyst", police, role="analyst"))
    before = AuditEntry.objects.count()
    page = _briefing(client).content.decode()
    # The cut briefing (issue #12): Dan newly meets the threshold; Alice met it before and
    # is in no Case Review, so she is listed too, without her complaints; all of them are on
    # the full list's own page.
    assert "Dan Newflag" in page and "Alice Threshold" in page and "Not yet reviewed" in page
    assert "A-2: ASB on 01/03/2021" in page and "A-0: ASB on" not in page  # the latest only
    assert "Rita Highrisk" not in page and "R-1" in page  # the high risk incident
    assert "section=case-review-all" in page
    full = _briefing(client, section="case-review-all").content.decode()
    for name in NAMES:
        assert name in full
    assert "A-2: ASB on 01/03/2021" in full and "Back to the whole briefing" in full
    assert _briefing(client, section="nonsense").status_code == 400
    entries = list(AuditEntry.objects.order_by("seq"))[before:]
    assert [(e.action, e.purpose, e.object_type, e.object_id) for e in entries] == [
        ("view", TASKING, "tasking.briefing", DATE)
    ] * 2
    assert entries[0].detail["people_shown"] and not entries[0].detail["people_withheld"]
    assert entries[0].detail["since"] == "2021-03-12"


def test_partner_without_agreement_sees_no_people(
    client: Any,
    loaded: Any,
    police: Any,
    make_agency: Any,
    make_user: Any,
) -> None:
    council = make_agency("Synthetic Borough Council")
    client.force_login(make_user("council", council))
    page = _briefing(client).content.decode()
    for name in NAMES:
        assert name not in page
    assert "A-2:" not in page and "R-1" not in page
    assert "has no information sharing agreement with" in page
    # Without incident summaries nothing incident-level is shown (issue #10, class 6): not
    # even the sections that would list withheld rows with their LPUs, counts and dates.
    assert "Incidents by Local Policing Unit" not in page
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.detail["incidents"] == "withheld" and not entry.detail["people_shown"]


def test_agreement_covering_victims_only_shows_victims_not_callers(
    client: Any,
    loaded: Any,
    police: Any,
    make_agency: Any,
    make_user: Any,
    make_agreement: Any,
) -> None:
    council = make_agency("Synthetic Borough Council")
    today = dt.date.today()
    make_agreement(
        "ISA-TASK",
        [police, council],
        ["incident_summary", "victim_personal"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    client.force_login(make_user("council", council))
    page = _briefing(client, section="case-review-all").content.decode()
    assert "Alice Threshold" in page  # a victim: covered
    assert "Dan Newflag" not in page  # a caller: witness details
    assert "are not covered by ISA-TASK" in page


def test_purpose_is_required_and_dates_are_checked(
    client: Any, loaded: Any, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("analyst", police, role="analyst"))
    before = AuditEntry.objects.count()
    form = client.get("/briefing/", {"date": DATE})
    assert form.status_code == 200 and "Why do you need the briefing?" in form.content.decode()
    assert "Alice Threshold" not in form.content.decode()
    bad = client.get("/briefing/", {"date": "15/03/2021", "purpose": "nonsense"})
    text = bad.content.decode()
    assert bad.status_code == 400 and "There is a problem" in text
    assert "YYYY-MM-DD" in text and "Choose why you need the briefing" in text
    assert AuditEntry.objects.count() == before


def test_signed_out_and_unlinked_users_are_turned_away(
    client: Any, loaded: Any, make_user: Any
) -> None:
    assert _briefing(client).status_code == 302
    client.force_login(make_user("nobody"))
    assert _briefing(client).status_code == 403


def test_pdf_download_is_audited_as_an_export(
    client: Any, loaded: Any, police: Any, make_user: Any, tmp_path: Path
) -> None:
    pytest.importorskip("weasyprint")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    client.force_login(make_user("analyst", police, role="analyst"))
    response = _briefing(client, format="pdf")
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    from matplotlib.image import imread

    assert pages and all(float(np.var(imread(p))) > 0 for p in pages)
    text = (
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        if shutil.which("pdftotext")
        else ""
    )
    if text:
        assert text.count("OFFICIAL-SENSITIVE") >= len(pages)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.purpose, entry.detail["format"]) == ("export", TASKING, "pdf")


def test_weekly_page_csv_and_map(
    client: Any,
    loaded: Any,
    police: Any,
    make_user: Any,
) -> None:
    client.force_login(make_user("analyst", police, role="analyst"))
    query = {"lpu": "Erewash", "week_ending": "2021-03-14"}
    page = client.get("/weekly/", query).content.decode()
    assert "Weekly ASB data pack: Erewash LPU" in page and "By Safer Neighbourhood Team" in page
    # Counted by hand from the crafted rows. ASB in Erewash 8 to 14 March 2021: D-2 and R-1,
    # both on Saturday the 13th. In the four weeks before (8 February to 7 March): D-1, E-1,
    # F-1 (Wednesday 10 February), A-2 and F-2 (Monday 1 March): 5, or 1.25 a week.
    rows = client.get("/weekly/pack.csv", query).content.decode().splitlines()
    assert rows[-1] == "total,Erewash,2,1.25"
    days = [r for r in rows if r.startswith("day,")]
    assert days == [
        "day,Monday 8 March 2021,0,0.50",
        "day,Tuesday 9 March 2021,0,0.00",
        "day,Wednesday 10 March 2021,0,0.75",
        "day,Thursday 11 March 2021,0,0.00",
        "day,Friday 12 March 2021,0,0.00",
        "day,Saturday 13 March 2021,2,0.00",
        "day,Sunday 14 March 2021,0,0.00",
    ]
    png = client.get("/weekly/map.png", query)
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    bad = client.get("/weekly/", {"lpu": "Atlantis"})
    assert bad.status_code == 400 and "Choose an LPU from the list" in bad.content.decode()


def test_risk_sections_follow_the_access_policy(
    client: Any, loaded: Any, police: Any, make_agency: Any, make_user: Any
) -> None:
    """A victim assessed as high risk on 13 March appears for the police, not for a partner
    without an agreement (the risk app's rows name victims and their grading)."""
    from django.utils import timezone

    from asbhub.records.incidents.models import Person
    from asbhub.records.risk import services as risk
    from tests.risk.support import HIGH, answers

    rita = Person.objects.get(name="Rita Highrisk")
    when = dt.datetime(2021, 3, 13, 23, tzinfo=timezone.get_current_timezone())
    risk.record_assessment(person=rita, answers=answers(**HIGH), agency=police, assessed_at=when)
    client.force_login(make_user("analyst", police, role="analyst"))
    page = _briefing(client).content.decode()
    assert "Victims newly assessed as high risk" in page
    assert page.count("Rita Highrisk") == 1  # in the risk section only
    council = make_agency("Synthetic Borough Council")
    client.force_login(make_user("council", council))
    page = _briefing(client).content.decode()
    assert "Rita Highrisk" not in page and "Victims newly assessed as high risk" not in page
    assert "has no information sharing agreement with" in page


@pytest.fixture
def repeats(db: str, default_store: Any, tmp_path: Path) -> Any:
    """The crafted repeat perpetrators and victims' addresses (rolled back with the test)."""
    from tests.tasking.crafted import load, repeat_rows

    load(default_store, repeat_rows(), tmp_path)
    return default_store


PERPETRATORS = ("Pat Persistent", "Quinn Rising")
VICTIM_ADDRESSES = ("12 Station Rd", "3 Mill Lane")  # victims' homes
CALLER_ADDRESS = "8 Elm Street"  # an ASB caller's home


def _person_ids(**filters: str) -> set[int]:
    from asbhub.records.incidents.models import Person

    return set(Person.objects.filter(**filters).values_list("pk", flat=True))


def test_police_see_repeat_perpetrators_and_addresses(
    client: Any, repeats: Any, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("analyst", police, role="analyst"))
    page = _briefing(client).content.decode()
    for text in (*PERPETRATORS, *VICTIM_ADDRESSES, CALLER_ADDRESS):
        assert text in page, text
    assert "Repeat perpetrators, new or rising" in page and "Ros Steady" not in page
    shown = set(AuditEntry.objects.order_by("-seq").first().detail["people_shown"])
    assert _person_ids(name__in=PERPETRATORS) <= shown
    assert _person_ids(address__startswith="12 Station") <= shown


def test_partner_without_agreement_sees_no_perpetrator_or_address(
    client: Any,
    repeats: Any,
    police: Any,
    make_agency: Any,
    make_user: Any,
) -> None:
    council = make_agency("Synthetic Borough Council")
    client.force_login(make_user("council", council))
    page = _briefing(client).content.decode()
    for text in (*PERPETRATORS, *VICTIM_ADDRESSES, CALLER_ADDRESS, "DE7 5AA", "DE7 6BB"):
        assert text not in page, text
    assert "Repeat perpetrators, new or rising" not in page
    assert "has no information sharing agreement with" in page
    detail = AuditEntry.objects.order_by("-seq").first().detail
    assert detail["incidents"] == "withheld" and not set(detail["people_shown"])


@pytest.mark.parametrize(
    ("categories", "shown", "hidden", "reason"),
    [
        (
            ["victim_personal"],
            VICTIM_ADDRESSES,
            (*PERPETRATORS, CALLER_ADDRESS),
            "perpetrators' personal details are not covered by isa-rep",
        ),
        (
            ["perpetrator_personal"],
            PERPETRATORS,
            (*VICTIM_ADDRESSES, CALLER_ADDRESS),
            "victims' personal details are not covered by isa-rep",
        ),
    ],
)
def test_each_section_follows_its_data_category(
    client: Any,
    repeats: Any,
    police: Any,
    make_agency: Any,
    make_user: Any,
    make_agreement: Any,
    categories: list[str],
    shown: tuple[str, ...],
    hidden: tuple[str, ...],
    reason: str,
) -> None:
    """Perpetrators are perpetrator_personal; a victim's address victim_personal and an ASB
    caller's address witness_personal, which neither agreement covers."""
    council = make_agency("Synthetic Borough Council")
    today = dt.date.today()
    make_agreement(
        "ISA-REP",
        [police, council],
        ["incident_summary", *categories],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    client.force_login(make_user("council", council))
    page = _briefing(client).content.decode()
    for text in shown:
        assert text in page, text
    for text in hidden:
        assert text not in page, text
    from html import unescape

    text = unescape(page).lower()  # the reason's first word is capitalised
    assert reason in text
    assert "callers' and witnesses' personal details are not covered by isa-rep" in text


def test_limit_setting_cuts_each_section_with_a_link_to_the_full_list(
    client: Any, loaded: Any, police: Any, make_user: Any
) -> None:
    """ASBHUB_BRIEFING_LIMIT (issue #12): one row a section, "and N more" linking to the
    section's own page, which lists every row."""
    from django.test import override_settings

    client.force_login(make_user("analyst", police, role="analyst"))
    with override_settings(ASBHUB_BRIEFING_LIMIT=1):
        page = _briefing(client).content.decode()
        # Case Review (the default rule here): Dan (new), then Alice and Kim (met before, in
        # no Case Review), most qualifying complaints first.
        assert "Dan Newflag" in page and "Alice Threshold" not in page
        assert "And 2 more: <a" in page and 'section=case-review"' in page
        full = _briefing(client, section="case-review").content.decode()
    assert all(name in full for name in ("Dan Newflag", "Alice Threshold", "Kim Alone"))
    assert "And 2 more" not in full and "Back to the whole briefing" in full
