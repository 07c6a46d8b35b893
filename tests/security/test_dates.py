"""Dates and months at every boundary (issue #10, class 2): one odd date must not take a page
down for everyone.

The rule lives in one place, :mod:`asbhub.domain.dates` (events: 1 January 2000 to today plus
a day; planning dates: to five years ahead; months: January 2000 to this month). Each boundary
is tried with year 1, year 999, year 10000, 30 February and the far future:

- the readers: odd months written straight into the store by SQL, then every page that
  computes a month range is loaded (``/``, ``/hotspots/``, ``/asb-figures/``,
  ``/scrutiny/dashboard/``, ``/briefing/``);
- the public forms (ASB report, Case Review application) and every staff form with a date;
- the ingest readers (data.police.uk Month, force export and call log date-times);
- the API's query parameters.
"""

from __future__ import annotations

import datetime as dt
import os
from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.security.support import as_user, new_client

setup_django()

#: Months no page may choke on, as an old version, a bug or SQL could have stored them.
ODD_MONTHS = ("1-01", "0001-01", "0999-01", "9999-12", "10000-01", "2019-13", "", "not a month")
#: Pages that compute month ranges, with a user who may see each.
READER_PAGES = (
    ("/", None),
    ("/hotspots/", None),
    ("/asb-figures/", None),
    ("/asb-figures/?area=lpu%3AErewash", None),
    ("/scrutiny/dashboard/", "commissioner"),
    ("/briefing/", "analyst"),
)


def _store_odd_months(world: SimpleNamespace) -> None:
    """One incident per odd month, written by SQL around every check, as ASB and as a
    data.police.uk record (the kind the map and the local figures read)."""
    from django.db import connection

    from asbhub.records.incidents.models import Incident, Source

    source = Source.objects.create(
        kind="police_uk",
        force="Synthetic",
        month="0999-01",
        content_hash="6" * 64,
        rows=len(ODD_MONTHS),
        file="odd-months.csv",
        loaded_at=world.incident.source.loaded_at,
    )
    table = Incident._meta.db_table
    inc = world.incident
    for n, month in enumerate(ODD_MONTHS):
        odd = Incident.objects.create(
            source=source,
            line=n + 2,
            record_type="asb",
            month="2019-01",
            crime_type="Anti-social behaviour",
            reported_by="Synthetic",
            location=inc.location,
            asb_category="N",
            lpu="Erewash",
            occurred_from=dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC),
        )
        with connection.cursor() as cur:  # around the model, as SQL or an old version would
            cur.execute(f"UPDATE {table} SET month = %s WHERE id = %s", [month, odd.pk])


@pytest.mark.parametrize(("path", "who"), READER_PAGES)
def test_pages_survive_odd_stored_months(
    world: SimpleNamespace, db: str, path: str, who: str | None
) -> None:
    _store_odd_months(world)
    client = as_user(world, who) if who else new_client()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    # No range of 'missing months' from year 1 or 999: the page stays its normal size.
    assert len(response.content) < 400_000, (path, len(response.content))
    assert b"December 0999" not in response.content and b"Jan 1000" not in response.content


def _store_odd_dates(world: SimpleNamespace) -> None:
    """Date columns at the edges of what the database holds, written by SQL around the forms:
    a plan's action due in year 1 and in 9999, a review and a power in year 1."""
    from asbhub.records.cases.models import PmpAction, PmpReview, Power

    plan = world.plan
    PmpAction.objects.filter(pmp=plan).update(due=dt.date(1, 1, 1))
    PmpAction.objects.create(
        pmp=plan,
        owner_agency=world.council,
        due=dt.date(9999, 12, 31),
        description="Odd far future action",
    )
    PmpReview.objects.filter(pmp=plan).update(next_review_due=dt.date(9999, 12, 31))
    type(plan).objects.filter(pk=plan.pk).update(next_review_due=dt.date(9999, 12, 31))
    Power.objects.filter(pk=world.power.pk).update(issued_on=dt.date(1, 1, 1))


@pytest.mark.parametrize(
    "path", ["/pmps/", "/pmps/{plan}/", "/powers/", "/briefing/", "/case-reviews/", "/"]
)
def test_pages_survive_odd_stored_dates(world: SimpleNamespace, db: str, path: str) -> None:
    _store_odd_dates(world)
    response = as_user(world, "analyst").get(path.format(plan=world.plan.pk))
    assert response.status_code == 200, (path, response.status_code)


# -- the rule ----------------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 7)


def test_rule_ranges_are_the_documented_ones() -> None:
    from asbhub.domain import dates

    assert dates.event_range(TODAY) == (dt.date(2000, 1, 1), dt.date(2026, 12, 8))
    assert dates.planning_range(TODAY) == (dt.date(2000, 1, 1), dt.date(2031, 12, 7))
    assert dates.planning_range(dt.date(2024, 2, 29))[1] == dt.date(2029, 2, 28)
    assert dates.month_range_allowed(TODAY) == ("2000-01", "2026-12")
    for bad in (
        dt.date(1, 1, 1),
        dt.date(999, 12, 31),
        dt.date(1999, 12, 31),
        dt.date(2026, 12, 9),
        dt.date(9999, 12, 31),
    ):
        with pytest.raises(dates.DateOutOfRange, match="1 January 2000 to 8 December 2026"):
            dates.check_event_day(bad, TODAY)
    assert dates.check_event_day(dt.date(2000, 1, 1), TODAY) == dt.date(2000, 1, 1)
    assert dates.check_planning_day(dt.date(2031, 12, 7), TODAY) == dt.date(2031, 12, 7)
    with pytest.raises(dates.DateOutOfRange, match="7 December 2031"):
        dates.check_planning_day(dt.date(2031, 12, 8), TODAY)


def test_months_are_written_with_four_digit_years_and_ranges_are_bounded() -> None:
    from asbhub.domain import dates

    assert dates.month_of(dt.date(1, 1, 1)) == "0001-01"  # strftime gave '1-01'
    assert dates.month_of(dt.date(2019, 2, 28)) == "2019-02"
    for odd in ("1-01", "0999-01", "10000-01", "2019-13", "", "2027-01"):
        assert dates.month_problem(odd, TODAY), odd
    assert dates.month_problem("2026-12", TODAY) is None
    assert dates.months_between("2018-11", "2019-02") == [
        "2018-11",
        "2018-12",
        "2019-01",
        "2019-02",
    ]
    assert dates.months_between("1-01", "2019-02") == []
    assert len(dates.months_between("0001-01", "9999-12")) == dates.MAX_MONTHS
    assert dates.split_months(["2019-01", "1-01", None, "0999-01", "2019-01"], TODAY) == (
        ["2019-01"],
        ["0999-01", "1-01"],
    )


# -- forms ---------------------------------------------------------------------------------

#: Written as the forms take them (ISO; the public forms also take day/month/year).
BAD_DAYS = ("0001-01-01", "0999-12-31", "10000-01-01", "2024-02-30", "2999-01-01", "1999-12-31")


def _every_form_date_field() -> list[tuple[str, str, Any]]:
    """(form, field, field object) for every date field of every form in asbhub.web and
    asbhub.records, on a form instance where it can be made without arguments (fields added in
    ``__init__``)."""
    import importlib
    import inspect
    import itertools
    import pkgutil

    from django import forms

    import asbhub.records
    import asbhub.web

    found = []
    for info in itertools.chain(
        pkgutil.walk_packages(asbhub.web.__path__, "asbhub.web."),
        pkgutil.walk_packages(asbhub.records.__path__, "asbhub.records."),
    ):
        if ".migrations" in info.name or info.name.endswith((".wsgi", ".settings")):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, forms.BaseForm):
                continue
            try:
                fields = cls().fields
            except (TypeError, ValueError):  # needs arguments: its declared fields
                fields = cls.base_fields
            for fname, field in fields.items():
                if isinstance(field, forms.DateField):
                    found.append((f"{module.__name__}.{name}", fname, field))
    return found


def test_every_date_field_of_every_form_keeps_to_the_rule(world: SimpleNamespace, db: str) -> None:
    from django import forms
    from django.utils import timezone

    fields = _every_form_date_field()
    names = {f"{f}.{n}" for f, n, _ in fields}
    # The forms the issue names must be among those found (a rename must not hide one).
    for expected in (
        "asbhub.web.public.forms.PublicReportForm.occurred_on",
        "asbhub.web.cases.forms_case_reviews.PublicCaseReviewForm.happened_on_1",
        "asbhub.web.cases.forms.ActionForm.due",
        "asbhub.web.cases.forms.ReviewForm.next_review_due",
        "asbhub.web.cases.forms.PmpForm.next_review_due",
        "asbhub.web.cases.forms_powers.PowerForm.issued_on",
        "asbhub.web.cases.forms_powers.PowerEventForm.on",
        "asbhub.web.cases.forms_case_reviews.ComplaintForm.incident_on",
        "asbhub.web.cases.forms_case_reviews.CaseReviewActionForm.due",
        "asbhub.web.cases.forms.CaseReviewForm.received_on",
        "asbhub.web.partners.admin.SharingAgreementForm.ends",
        "asbhub.web.scrutiny.admin.MeetingForm.date",
    ):
        assert expected in names, (expected, sorted(names))
    let_through = []
    for form, name, field in fields:
        for value in BAD_DAYS:
            try:
                field.clean(value)
            except forms.ValidationError:
                continue
            let_through.append((form, name, value))
        assert field.clean(timezone.localdate().isoformat()) == timezone.localdate()
    assert not let_through, let_through


def test_range_message_names_the_range(world: SimpleNamespace, db: str) -> None:
    from django import forms
    from django.utils import timezone

    from asbhub.web.cases.forms import ActionForm

    with pytest.raises(forms.ValidationError) as exc:
        ActionForm.base_fields["due"].clean("0001-01-01")
    first, last = "1 January 2000", timezone.localdate().replace(year=timezone.localdate().year + 5)
    assert exc.value.messages == [f"Enter a date from {first} to {last.day} {last:%B} {last.year}"]


@pytest.mark.parametrize(
    "value", ["01/01/0001", "31/12/0999", "01/01/10000", "30/02/2024", "01/01/2999", "31/12/1999"]
)
def test_public_report_refuses_dates_outside_the_range(
    world: SimpleNamespace, db: str, value: str
) -> None:
    from asbhub.records.incidents.models import Incident

    before = Incident.objects.filter(public_report=True).count()
    response = new_client().post(
        "/report-asb/",
        {
            "category": "N",
            "description": "Loud music every night",
            "occurred_on": value,
            "location_text": "Synthetic Street, Exampleton",
        },
    )
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "govuk-error-summary" in html and "govuk-error-message" in html
    assert (
        "Enter a date from 1 January 2000" in html
        or "Enter the date as day/month/year" in html
        or "today or in the past" in html
    ), html[:2000]
    assert Incident.objects.filter(public_report=True).count() == before


def test_public_report_in_range_is_stored_with_its_month(world: SimpleNamespace, db: str) -> None:
    from asbhub.records.incidents.models import Incident

    response = new_client().post(
        "/report-asb/",
        {
            "category": "N",
            "description": "Loud music every night",
            "occurred_on": "01/01/2000",
            "location_text": "Synthetic Street, Exampleton",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Incident.objects.filter(public_report=True).latest("pk").month == "2000-01"


def test_public_report_year_one_names_the_range(world: SimpleNamespace, db: str) -> None:
    html = (
        new_client()
        .post(
            "/report-asb/",
            {
                "category": "N",
                "description": "Loud music",
                "occurred_on": "01/01/0001",
                "location_text": "Synthetic Street",
            },
        )
        .content.decode()
    )
    assert "Enter a date from 1 January 2000 to" in html


def test_public_report_service_refuses_year_one() -> None:
    """The service behind the form keeps to the rule too (a second way in must not)."""
    from asbhub.domain.dates import DateOutOfRange
    from asbhub.web.public.services import create_public_report

    with pytest.raises(DateOutOfRange, match="1 January 2000"):
        create_public_report(
            {"occurred_on": dt.date(1, 1, 1), "category": "N", "description": "x"}, None
        )


def _apply(value: str) -> Any:
    return new_client().post(
        "/case-review/apply/",
        {
            "applying_for": "self",
            "name": "Fay Syntheticperson",
            "phone": "07700 900999",
            "place": "Erewash",
            "problem": "Noise",
            "description": "Music every night",
            "consent": "on",
            "happened_on_1": value,
            "reported_on_1": value,
            "reported_to_1": "Police",
            "what_1": "Loud music",
        },
    )


@pytest.mark.parametrize(
    "value", ["0001-01-01", "0999-12-31", "10000-01-01", "2024-02-30", "2999-01-01"]
)
def test_public_case_review_refuses_dates_outside_the_range(
    world: SimpleNamespace, db: str, value: str
) -> None:
    from asbhub.records.cases.models import CaseReview

    before = CaseReview.objects.count()
    response = _apply(value)
    assert response.status_code in (200, 400), response.status_code
    html = response.content.decode()
    assert "govuk-error-message" in html
    assert CaseReview.objects.count() == before


def test_public_case_review_year_one_names_the_range(world: SimpleNamespace, db: str) -> None:
    html = _apply("0001-01-01").content.decode()
    assert "Enter a date from 1 January 2000 to" in html


def test_staff_action_form_refuses_year_one_and_keeps_nothing(
    world: SimpleNamespace, db: str
) -> None:
    from asbhub.records.cases.models import PmpAction

    world.plan.refresh_from_db()
    before = PmpAction.objects.filter(pmp=world.plan).count()
    response = as_user(world, "analyst").post(
        f"/pmps/{world.plan.pk}/actions/",
        {
            "version": world.plan.version,
            "description": "Patrols",
            "owner_agency": world.police.pk,
            "due": "0001-01-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400, response.status_code
    assert "Enter a date from 1 January 2000 to" in html
    assert PmpAction.objects.filter(pmp=world.plan).count() == before


# -- ingest ------------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["0001-01", "0999-12", "1999-12", "2999-01", "10000-01", "1-01"])
def test_police_uk_month_outside_the_range_is_rejected_with_line_field_value(month: str) -> None:
    from asbhub.ingest import police_uk

    good = (
        ",2019-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.47,52.92,On or near X,"
        "E01019400,Erewash 016A,Anti-social behaviour,,"
    )
    bad = good.replace("2019-01", month, 1)
    raw = f"{police_uk.HEADER_TEXT}\n{good}\n{bad}\n".encode()
    parsed = police_uk.read_police_uk("2019-01-derbyshire-street.csv", raw)
    assert parsed.read == 2 and parsed.rows.height == 1
    [rej] = parsed.rejects
    assert (rej.file, rej.line, rej.field, rej.value) == (
        "2019-01-derbyshire-street.csv",
        3,
        "Month",
        month,
    ), rej
    assert "expected" in rej.reason and ("2000-01" in rej.reason or "YYYY-MM" in rej.reason)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T10:00",
        "0999-12-31T10:00Z",
        "1999-12-31T12:00Z",
        "2999-01-01T00:00",
        "10000-01-01T00:00",
        "2024-02-30T10:00",
    ],
)
def test_force_export_date_outside_the_range_is_rejected(value: str) -> None:
    from tests.ingest.test_force_export import read, row

    parsed = read([row(incident_reference="GOOD-1"), row(occurred_from=value)], "csv")
    assert parsed.rows["reference"].to_list() == ["GOOD-1"]
    [rej] = parsed.rejects
    assert (rej.file, rej.line, rej.field, rej.value) == (
        "export.csv",
        3,
        "occurred_from",
        value,
    ), rej
    assert (
        "not a date-time" in rej.reason
        or "not a real date" in rej.reason
        or "before 1 January 2000 or in the future" in rej.reason
    ), rej.reason


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T10:00:00",
        "1999-12-31T12:00:00Z",
        "2999-01-01T00:00:00",
        "10000-01-01T00:00:00",
        "2022-02-30T09:14:03",
    ],
)
def test_call_log_date_outside_the_range_is_rejected(value: str) -> None:
    from asbhub.ingest.calls import read_calls
    from tests.contact.test_read_calls import one_reject, row, to_csv

    parsed = read_calls("calls.csv", to_csv([row(), row(call_id="999-2", queued_at=value)]))
    rej = one_reject(parsed)
    assert (rej.file, rej.line, rej.field, rej.value) == ("calls.csv", 3, "queued_at", value)


def test_year_1999_is_now_refused_and_2000_kept() -> None:
    """The boundary itself: 1999 passed the old 1900 rule."""
    from tests.ingest.test_force_export import read, row

    parsed = read(
        [
            row(incident_reference="A", occurred_from="2000-01-01T12:00Z"),
            row(incident_reference="B", occurred_from="1999-12-31T12:00Z"),
        ],
        "csv",
    )
    assert parsed.rows["reference"].to_list() == ["A"]
    assert "from 1 January 2000 to" in parsed.rejects[0].reason


# -- the API and page query parameters -------------------------------------------------------


def _api(world: SimpleNamespace, path: str) -> Any:
    from asbhub.records.tokens.services import create_token

    secret = create_token(world.users.analyst, "dates test", 30).secret
    return new_client().get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.parametrize("month", ["0001-01", "0999-12", "1999-12", "2999-01"])
def test_api_month_outside_the_range_is_422_naming_it(
    world: SimpleNamespace, db: str, month: str
) -> None:
    response = _api(world, f"/api/v1/incidents?month={month}")
    assert response.status_code == 422, response.content
    assert "January 2000" in response.json()["detail"], response.json()


@pytest.mark.parametrize("value", ["10000-01-01", "2024-02-30", "1-01"])
def test_api_month_malformed_is_422(world: SimpleNamespace, db: str, value: str) -> None:
    assert _api(world, f"/api/v1/incidents?month={value}").status_code == 422


def test_api_month_in_range_is_answered(world: SimpleNamespace, db: str) -> None:
    month = f"{world.today:%Y-%m}"
    # The world's records are synthetic: asked for by name, whatever real data other tests
    # left in the shared store (the default scope leaves synthetic data out when real is there).
    response = _api(
        world, f"/api/v1/incidents?month={month}&force=Synthetic+Test+Constabulary&synthetic=true"
    )
    assert response.status_code == 200 and response.json()["count"] == 2, response.content


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01", "2020-01-01"),
        ("1900-01-01", "2020-01-01"),
        ("2020-01-01", "2999-01-01"),
        ("2020-01-01", "10000-01-01"),
        ("2024-02-30", "2025-01-01"),
    ],
)
@pytest.mark.parametrize("table", ["5.34", "5.36"])
def test_api_table_period_outside_the_range_is_422(
    world: SimpleNamespace, db: str, table: str, start: str, end: str
) -> None:
    response = _api(world, f"/api/v1/tables/{table}?start={start}&end={end}")
    assert response.status_code == 422, response.content
    assert "2000-01-01" in response.json()["detail"], response.json()


def test_api_table_period_in_range_is_answered(world: SimpleNamespace, db: str) -> None:
    assert _api(world, "/api/v1/tables/5.36?start=2000-01-01&end=2025-01-01").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/briefing/?date=0001-01-01",
        "/briefing/?date=9999-12-31",
        "/weekly/?week_ending=0001-01-03",
        "/powers/?start=0001-01-01&end=0001-01-02",
        "/powers/?end=0001-01-01",
    ],
)
def test_page_date_parameters_outside_the_range_do_not_break_pages(
    world: SimpleNamespace, db: str, path: str
) -> None:
    response = as_user(world, "analyst").get(path)
    assert response.status_code in (200, 400), (path, response.status_code)


@pytest.mark.parametrize("month", ["0999-01", "0001-01", "1999-12", "2999-01"])
def test_plan_month_forms_refuse_months_outside_the_range(
    world: SimpleNamespace, db: str, month: str
) -> None:
    """A plan's evaluation asked for 0999-01 to now would count 28,000 months."""
    from asbhub.records.cases.plan_work import check_query
    from asbhub.web.cases.forms import EvaluationForm

    this_month = f"{world.today:%Y-%m}"
    form = EvaluationForm(
        {
            "before_first": month,
            "before_last": "2019-01",
            "after_first": "2019-02",
            "after_last": this_month,
        }
    )
    assert not form.is_valid()
    assert "January 2000" in " ".join(form.errors["before_first"]), form.errors
    [problem] = check_query(month, this_month)
    assert problem.startswith("From month") and "January 2000" in problem, problem


def test_plan_month_forms_take_months_in_the_range(world: SimpleNamespace, db: str) -> None:
    from asbhub.records.cases.plan_work import check_query
    from asbhub.web.cases.forms import EvaluationForm

    assert EvaluationForm(
        {
            "before_first": "2000-01",
            "before_last": "2019-01",
            "after_first": "2019-02",
            "after_last": "2019-03",
        }
    ).is_valid()
    assert check_query("2000-01", f"{world.today:%Y-%m}") == []


def test_odd_risk_review_and_case_review_dates_do_not_break_pages(
    world: SimpleNamespace, db: str
) -> None:
    from asbhub.records.cases.models import CaseReview, CaseReviewAction
    from asbhub.records.risk.models import RiskAssessment

    RiskAssessment.objects.filter(pk=world.assessment.pk).update(next_review_due=dt.date(1, 1, 1))
    CaseReview.objects.filter(pk=world.case_review.pk).update(
        decision_due=dt.date(9999, 12, 31), received_on=dt.date(1, 1, 1)
    )
    CaseReviewAction.objects.filter(case_review=world.case_review).update(due=dt.date(9999, 12, 31))
    client = as_user(world, "analyst")
    for path in (
        "/risk/",
        f"/case-reviews/{world.case_review.pk}/",
        "/case-reviews/",
        "/briefing/",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    response = as_user(world, "commissioner").get("/scrutiny/dashboard/")
    assert response.status_code == 200


#: Apps whose date columns hold what people typed or files said (audit, tokens and sessions are
#: written by asbhub itself, with the time of writing).
DATED_APPS = ("incidents", "cases", "risk", "scrutiny", "contact", "people")


@pytest.mark.parametrize("edge", ["low", "high"])
def test_every_page_survives_edge_dates_in_every_date_column(
    world: SimpleNamespace, db: str, edge: str
) -> None:
    """Every date and date-time column of every row set to year 1 (or 9999) around the
    forms, then every page fetched as the users who see most: none answers 5xx."""
    from django.apps import apps
    from django.db import models

    from tests.security.registry import PUBLIC, RECORD, ROUTES, SIGNED_IN, url

    day = dt.date(1, 1, 1) if edge == "low" else dt.date(9999, 12, 31)
    # A day in: year 1 at midnight UTC is year 0 in London's 1 January (LMT), which no
    # date-time can hold, in any library.
    when = (
        dt.datetime(1, 1, 2, tzinfo=dt.UTC)
        if edge == "low"
        else dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
    )
    changed = []
    for app in DATED_APPS:
        for model in apps.get_app_config(app).get_models():
            values = {}
            for f in model._meta.concrete_fields:
                if isinstance(f, models.DateTimeField):
                    values[f.name] = when
                elif isinstance(f, models.DateField):
                    values[f.name] = day
            if model._meta.label == "people.LinkDecision":  # append-only by design
                continue
            if values and model.objects.update(**values):
                changed.append(model._meta.label)
    assert {
        "incidents.Incident",
        "cases.PmpAction",
        "cases.Power",
        "cases.CaseReview",
        "risk.RiskAssessment",
        "scrutiny.Meeting",
    } <= set(changed), changed
    pages = sorted(
        n
        for n, r in ROUTES.items()
        if r.kind in (PUBLIC, SIGNED_IN, RECORD) and r.method == "GET" and not r.extra.get("image")
    )
    failed = []
    for name in pages:
        route = ROUTES[name]
        for who in [None] if route.kind == PUBLIC else sorted({route.owner, "supervisor"}):
            client = new_client() if who is None else as_user(world, who)
            # Every failure is collected, then reported; DATES_RAISE=1 shows the first's traceback.
            client.raise_request_exception = bool(os.environ.get("DATES_RAISE"))
            try:
                status = client.get(url(name, world)).status_code
            finally:
                client.raise_request_exception = True
            if status >= 500:
                failed.append((name, who, status))
    assert not failed, failed
