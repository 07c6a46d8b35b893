"""Public pages (no sign-in): the ASB report form, the advice page and the area figures.

Area figures are checked against an independent count of the bundled sample made here with the
csv module; the LSOA of a reported point against shapely's own point-in-polygon.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from typing import Any

import pytest
import shapely

from asbhub.data import sample_paths
from asbhub.geo import bundled_areas_folder, from_bng

ASB = "Anti-social behaviour"
XSS = '<script>alert("x")</script>'
INSIDE_LSOA = "E01013453"  # Derby West


def _models() -> Any:
    from asbhub.records.incidents import models

    return models


def _point_inside(code: str) -> tuple[float, float]:
    """(lon, lat) of a point inside LSOA ``code``, found with shapely, not asbhub.geo.locate."""
    with open(bundled_areas_folder() / "lsoa_bng.geojson", encoding="utf-8") as f:
        features = json.load(f)["features"]
    (feature,) = [ft for ft in features if ft["properties"]["lsoa_code"] == code]
    point = shapely.geometry.shape(feature["geometry"]).representative_point()
    lon, lat = from_bng([point.x], [point.y])
    return float(lon[0]), float(lat[0])


def _report(**overrides: Any) -> dict[str, Any]:
    lon, lat = _point_inside(INSIDE_LSOA)
    data = {
        "category": "N",
        "description": "Motorbikes on the playing field every night",
        "occurred_on": "3/2/2019",
        "occurred_at": "21:30",
        "latitude": f"{lat:.6f}",
        "longitude": f"{lon:.6f}",
        "location_text": "",
        "name": "Alex Resident",
        "phone": "01234 567890",
        "email": "alex@example.com",
    }
    data.update(overrides)
    return data


def _control(html: str, field_id: str) -> str:
    """The opening tag of the form control whose id is ``field_id``."""
    tags = re.findall(rf'<(?:input|textarea|select)\b[^>]*\bid="{field_id}"[^>]*>', html)
    assert len(tags) == 1, (field_id, tags)
    return tags[0]


def _classes(html: str, field_id: str) -> set[str]:
    return set(re.search(r'class="([^"]*)"', _control(html, field_id)).group(1).split())


def _counts() -> tuple[int, int, int]:
    m = _models()
    return (m.Incident.objects.count(), m.Person.objects.count(), m.Location.objects.count())


# -- pages render without signing in --------------------------------------------------------


@pytest.mark.parametrize(
    "url,heading",
    [
        ("/report-asb/", "Report anti-social behaviour"),
        ("/asb-advice/", "Anti-social behaviour: advice and who deals with what"),
        ("/asb-figures/", "Anti-social behaviour figures for your area"),
    ],
)
def test_page_renders_without_sign_in(client, url: str, heading: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf"<h1\b[^>]*>{re.escape(heading)}</h1>", html)
    assert re.search(r'<html\b[^>]*\blang="en-GB"', html)
    assert "{#" not in html and "{%" not in html  # no template syntax shown as text
    assert "999" in html or url == "/asb-figures/"


def test_advice_covers_who_deals_with_what(client) -> None:
    html = client.get("/asb-advice/").content.decode()
    for text in (
        "Personal",
        "Nuisance",
        "Environmental",
        "fly-tipping",
        "dog fouling",
        "Public Spaces Protection Orders",
        "harassment",
        "Housing providers",
        "ASB Case Review",
        "<strong>101</strong>",
        "<strong>999</strong>",
    ):
        assert text in html, text


def test_report_form_has_guidance_labels_and_fieldsets(client) -> None:
    html = client.get("/report-asb/").content.decode()
    assert html.count("<fieldset") == 4
    for field in (
        "id_description",
        "id_occurred_on",
        "id_location_text",
        "id_name",
        "id_phone",
        "id_email",
        "id_category_0",
        "id_category_2",
    ):
        assert f'for="{field}"' in html, field
    assert "postcode is not available" in html
    assert "Privacy notice" in html
    assert "Examples: graffiti; fly-tipping" in html
    # GOV.UK Frontend's controls, each with its hint: widths where the answer is short.
    assert _control(html, "id_description").startswith("<textarea")
    for field, classes in [
        ("id_description", "govuk-textarea"),
        ("id_occurred_on", "govuk-input govuk-input--width-10"),
        ("id_occurred_at", "govuk-input govuk-input--width-5"),
        ("id_location_text", "govuk-input"),
        ("id_email", "govuk-input"),
    ]:
        assert _classes(html, field) == set(classes.split()), field
    assert 'aria-describedby="id_description_helptext"' in _control(html, "id_description")
    assert 'id="id_description_helptext"' in html
    assert _classes(html, "id_category_0") == {"govuk-radios__input"}


# -- the report form ------------------------------------------------------------------------


def test_report_creates_one_incident_and_one_caller(client) -> None:
    from asbhub.records.partners.models import AuditEntry

    m = _models()
    before, audits = _counts(), AuditEntry.objects.count()
    response = client.post("/report-asb/", _report())
    assert response.status_code == 302
    reference = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert re.fullmatch(r"ASB-[A-Z2-9]{8}", reference)
    after = _counts()
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 1, 1)

    incident = m.Incident.objects.get(reference=reference)
    assert incident.public_report is True
    assert (incident.record_type, incident.asb_category, incident.month) == ("asb", "N", "2019-02")
    assert incident.source.kind == "public_report"
    assert incident.reported_at is not None
    assert incident.lpu == "Derby West"
    loc = incident.location
    assert (loc.lsoa_code, loc.lsoa_derived, loc.outside_area) == (INSIDE_LSOA, True, False)
    assert 400_000 < loc.easting < 500_000 and 300_000 < loc.northing < 400_000
    (person,) = incident.people.all()
    assert (person.role, person.name, person.phone, person.email) == (
        "caller",
        "Alex Resident",
        "01234 567890",
        "alex@example.com",
    )

    # The creation is audited, without the personal data itself.
    assert AuditEntry.objects.count() == audits + 1
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_type) == ("create", "incidents.person")
    assert reference in entry.object_id
    assert "Alex" not in json.dumps(entry.detail) and "alex@" not in json.dumps(entry.detail)

    done = client.get(response["Location"]).content.decode()
    assert reference in done and "999" in done
    assert "Motorbikes" not in done and "Alex" not in done


def test_report_without_contact_details_stores_no_person(client) -> None:
    before = _counts()
    response = client.post("/report-asb/", _report(name="", phone="", email=""))
    assert response.status_code == 302
    after = _counts()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 0)


def test_point_outside_every_lsoa_is_kept_as_outside_area(client) -> None:
    m = _models()
    # Trafalgar Square, London: far outside Derbyshire.
    response = client.post("/report-asb/", _report(latitude="51.508000", longitude="-0.128000"))
    assert response.status_code == 302
    reference = response["Location"].rstrip("/").rsplit("/", 1)[1]
    loc = m.Incident.objects.get(reference=reference).location
    assert (loc.lsoa_code, loc.outside_area, loc.lsoa_derived) == (None, True, False)
    assert loc.easting == pytest.approx(530_000, abs=1_000)


def test_described_place_without_map_point_is_stored_as_text(client) -> None:
    m = _models()
    response = client.post(
        "/report-asb/",
        _report(latitude="", longitude="", location_text="Play area behind Church Street, Belper"),
    )
    assert response.status_code == 302
    reference = response["Location"].rstrip("/").rsplit("/", 1)[1]
    loc = m.Incident.objects.get(reference=reference).location
    assert loc.description == "Play area behind Church Street, Belper"
    assert (loc.longitude, loc.easting, loc.lsoa_code, loc.outside_area) == (
        None,
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"category": ""}, "id_category_0", "Choose the kind of anti-social behaviour"),
        (
            {"latitude": "", "longitude": "", "location_text": ""},
            "id_location_text",
            "Choose the place on the map or describe it",
        ),
        ({"occurred_on": "31/12/2999"}, "id_occurred_on", "Enter a date from 1 January 2000 to"),
        ({"email": "not-an-email"}, "id_email", "Enter an email address"),
    ],
)
def test_invalid_report_shows_error_summary_and_stores_nothing(
    client, overrides: dict[str, str], field: str, message: str
) -> None:
    before = _counts()
    response = client.post("/report-asb/", _report(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert 'role="alert"' in summary and "There is a problem" in summary
    assert f'href="#{field}"' in summary and message in summary
    assert f'id="{field}"' in html  # the link has somewhere to land
    if field != "id_category_0":
        # The control is marked in error and read out with its message.
        control = _control(html, field)
        assert "govuk-input--error" in _classes(html, field) and 'aria-invalid="true"' in control
        described = re.search(r'aria-describedby="([^"]+)"', control).group(1).split()
        assert f"{field}_error" in described
        error = re.search(
            rf'<p id="{field}_error" class="govuk-error-message">(.*?)</p>', html, re.S
        )
        assert error and message in error.group(1)
    assert "<title>Error: " in html
    assert _counts() == before


def test_csrf_is_enforced(client) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    before = _counts()
    assert strict.post("/report-asb/", _report()).status_code == 403
    assert _counts() == before
    # With the token from the form, the same post goes through.
    html = strict.get("/report-asb/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert (
        strict.post("/report-asb/", {**_report(), "csrfmiddlewaretoken": token}).status_code == 302
    )


def test_free_text_is_escaped_when_the_form_comes_back(client) -> None:
    html = client.post(
        "/report-asb/", _report(category="", description=XSS, location_text=XSS)
    ).content.decode()
    assert XSS not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_stored_report_never_shown_on_public_pages(client) -> None:
    response = client.post(
        "/report-asb/",
        _report(description=XSS, location_text=XSS, name=XSS, email="xss@example.com"),
    )
    assert response.status_code == 302
    pages = [
        client.get(response["Location"]),
        client.get("/asb-figures/?area=lpu:Derby West"),
        client.get("/asb-figures/"),
        client.get("/asb-advice/"),
        client.get("/"),
    ]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "<script>alert" not in html and "alert(" not in html
        assert "xss@example.com" not in html and "Alex Resident" not in html
    # Nor on the public map's data: the month stays the latest police.uk month.
    geo = client.get("/api/incidents/latest-asb.geojson").json()
    assert geo["month"] == "2019-02" and len(geo["features"]) == 3142
    assert "alert(" not in json.dumps(geo)


# -- area figures ---------------------------------------------------------------------------


def _sample_asb_by_lpu(lpu: str) -> tuple[Counter[str], int]:
    """ASB rows of the sample in ``lpu`` by month, and the count of rows, via the csv module."""
    with open(bundled_areas_folder() / "areas.csv", encoding="utf-8") as f:
        lsoas = {r["lsoa_code"] for r in csv.DictReader(f) if r["lpu"] == lpu}
    by_month: Counter[str] = Counter()
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".csv"):
                for r in csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig"))):
                    if r["Crime type"] == ASB and r["LSOA code"] in lsoas:
                        by_month[r["Month"]] += 1
    return by_month, len(lsoas)


@pytest.mark.parametrize("lpu", ["Derby West", "Chesterfield"])
def test_area_figures_match_an_independent_count(client, lpu: str) -> None:
    from asbhub.web.public.services import area_figures

    # A public report in the area must not be counted.
    client.post("/report-asb/", _report())
    expected, n_lsoas = _sample_asb_by_lpu(lpu)
    assert sum(expected.values()) > 0
    result = area_figures(f"lpu:{lpu}")
    assert result is not None and result["lsoas"] == n_lsoas
    assert len(result["months"]) == 12 and result["months"][-1]["month"] == "2019-02"
    got = {m["month"]: m["count"] for m in result["months"] if m["count"]}
    assert got == dict(expected)
    assert result["total"] == sum(expected.values())
    cats = {c["label"]: c["count"] for c in result["by_category"]}
    assert cats == {
        "Personal": 0,
        "Nuisance": 0,
        "Environmental": 0,
        "Not recorded": sum(expected.values()),
    }

    html = client.get("/asb-figures/", {"area": f"lpu:{lpu}"}).content.decode()
    for month, n in expected.items():
        assert re.search(
            rf'<td class="[^"]*\bgovuk-table__cell--numeric\b[^"]*">{n:,}</td>', html
        ), (month, n)


def test_area_figures_for_a_neighbourhood_and_unknown_area(client) -> None:
    from asbhub.web.public.services import area_choices, area_figures

    hood = area_choices()["neighbourhoods"][0]
    result = area_figures(hood.value)
    assert result is not None and result["label"].endswith("neighbourhood")
    assert client.get("/asb-figures/", {"area": hood.value}).status_code == 200
    response = client.get("/asb-figures/", {"area": "lpu:Atlantis"})
    assert response.status_code == 404
    assert "Choose an area from the list" in response.content.decode()
