"""The Commissioner's dashboard on the bundled sample: the same figures as the scrutiny report
for the same month and LPU, every table's CSV matches the page, and who may see it."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils.html import escape

from asbhub.reports import build_scrutiny
from asbhub.reports.rendering import format_cell
from asbhub.reports.scrutiny import ScrutinyReport
from asbhub.store.db import Store, setup_django

setup_django()

PERIOD = "2019-02"
LPU = "Erewash"


class _Tables(HTMLParser):
    """Every ``<table id=...>`` of a page as rows of cell texts (headings row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id"):
            self._table = str(dict(attrs)["id"])
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return {k.removeprefix("table-"): v for k, v in parser.tables.items() if k.startswith("table-")}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture
def web(sample_store: Store, db: str) -> Any:
    """The test client on the store holding the sample; users are rolled back after the test."""
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1")


@pytest.fixture
def viewer(web: Any, make_agency: Any, make_user: Any) -> Any:
    user = make_user(
        "pcc.viewer",
        make_agency("Office of the PCC", kind="commissioner"),
        role="commissioner_viewer",
    )
    web.force_login(user)
    return web


def _report(area: str | None = None) -> ScrutinyReport:
    from asbhub.web.scrutiny.services import STORE_NAME

    # Built here, directly, from the same store: what `asbhub report scrutiny` would print.
    return build_scrutiny(Store(STORE_NAME, "default"), PERIOD, area)


@pytest.mark.parametrize("area", [None, LPU])
def test_figures_equal_the_scrutiny_report(viewer: Any, area: str | None) -> None:
    page = viewer.get("/scrutiny/dashboard/", {"period": PERIOD, "area": area or ""})
    assert page.status_code == 200
    html = page.content.decode()
    report = _report(area)
    assert report.report_id in html and report.title in html
    tables = _page_tables(html)
    expected = {t.id: t for s in report.sections for t in s.tables}
    assert set(tables) == set(expected) and "asb-by-type" in tables
    for table_id, t in expected.items():
        assert tables[table_id][0] == list(t.columns)
        assert tables[table_id][1:] == [
            [
                format_cell(v) if j == 0 else format_cell(v, t.decimals, j in t.percent_columns)
                for j, v in enumerate(row)
            ]
            for row in t.rows
        ], table_id
    for s in report.sections:
        assert escape(s.title) in html and escape(s.source) in html
        if s.no_data:
            assert escape(f"No data: {s.no_data}") in html


def test_lpu_drill_down_changes_the_figures(viewer: Any) -> None:
    force = _page_tables(viewer.get("/scrutiny/dashboard/", {"period": PERIOD}).content.decode())
    lpu = _page_tables(
        viewer.get("/scrutiny/dashboard/", {"period": PERIOD, "area": LPU}).content.decode()
    )
    by_lpu = _report().section("asb-by-lpu").table("asb-by-lpu")
    erewash = next(r for r in by_lpu.rows if r[0] == LPU)
    # The LPU's own ASB total is the force table's Erewash row, and smaller than the force's.
    assert lpu["asb-by-type"][-1][-1] == format_cell(erewash[1])
    assert int(lpu["asb-by-type"][-1][-1].replace(",", "")) < int(
        force["asb-by-type"][-1][-1].replace(",", "")
    )


def test_every_table_downloads_as_csv_matching_the_page(viewer: Any) -> None:
    html = viewer.get("/scrutiny/dashboard/", {"period": PERIOD}).content.decode()
    tables = _page_tables(html)
    report = _report()
    for s in report.sections:
        for t in s.tables:
            assert f"format=csv&amp;table={t.id}" in html
            response = viewer.get(
                "/scrutiny/dashboard/", {"period": PERIOD, "format": "csv", "table": t.id}
            )
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/csv")
            assert f"scrutiny-{PERIOD}-{t.id}.csv" in response["Content-Disposition"]
            rows = list(csv.reader(io.StringIO(response.content.decode())))
            assert rows[0][1:] == tables[t.id][0][1:]
            assert len(rows) - 1 == len(tables[t.id]) - 1 == len(t.rows)
            for got, row, shown in zip(rows[1:], t.rows, tables[t.id][1:], strict=True):
                assert got == ["" if v is None else str(v) for v in row]
                assert got[0] == shown[0]
                # Numbers in the CSV are the page's figures without their formatting.
                for value, text in zip(got[1:], shown[1:], strict=True):
                    if not value:
                        assert text == "n/a"
                    elif _is_number(value):
                        assert float(value) == pytest.approx(
                            float(text.replace(",", "").rstrip("%")), abs=0.51
                        )
                    else:
                        assert value == text


def test_bad_choices_are_refused(viewer: Any) -> None:
    assert viewer.get("/scrutiny/dashboard/", {"period": "1999-01"}).status_code == 400
    assert viewer.get("/scrutiny/dashboard/", {"area": "Atlantis"}).status_code == 400
    missing = viewer.get("/scrutiny/dashboard/", {"format": "csv", "table": "nope"})
    assert missing.status_code == 404
    assert viewer.get("/scrutiny/dashboard/", {"format": "xml"}).status_code == 404


def test_anonymous_is_sent_to_sign_in(web: Any) -> None:
    response = web.get("/scrutiny/dashboard/", {"format": "csv", "table": "asb-by-type"})
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize(
    ("role", "status"),
    [("partner_officer", 403), ("analyst", 403), ("supervisor", 200), ("administrator", 200)],
)
def test_roles(
    web: Any,
    make_agency: Any,
    make_user: Any,
    role: str,
    status: int,
) -> None:
    web.force_login(make_user(f"user.{role}", make_agency("Synthetic Council"), role=role))
    assert web.get("/scrutiny/dashboard/", {"period": PERIOD}).status_code == status
