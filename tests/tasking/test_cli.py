"""`asbhub briefing --format html|pdf` and `asbhub report weekly` on a store of crafted
synthetic incidents."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from asbhub.cli import main
from asbhub.store.db import open_store
from tests.tasking.crafted import case_review_rows, load


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("tasking-cli")
    url = f"sqlite:///{tmp / 'store.sqlite3'}"
    load(open_store(url), case_review_rows(), tmp)
    return url


def test_briefing_html_and_pdf(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "b.html"
    assert main(["briefing", "--date", "2021-03-15", "--db", db_url, "--out", str(html)]) == 0
    out = capsys.readouterr().out
    assert "since 2021-03-12" in out and "3 at the ASB Case Review threshold" in out
    text = html.read_text(encoding="utf-8")
    assert "Dan Newflag" in text and "A-0: ASB on" not in text  # cut: latest complaint only
    assert (
        main(
            ["briefing", "--date", "2021-03-15", "--db", db_url, "--out", str(html), "--limit", "0"]
        )
        == 0
    )
    assert "A-0: ASB on 01/10/2020" in html.read_text(encoding="utf-8")  # the full one
    pytest.importorskip("weasyprint")
    pdf = tmp_path / "b.pdf"
    assert (
        main(
            [
                "briefing",
                "--date",
                "2021-03-15",
                "--db",
                db_url,
                "--out",
                str(pdf),
                "--format",
                "pdf",
            ]
        )
        == 0
    )
    assert pdf.read_bytes()[:5] == b"%PDF-"
    # Each file is an export of personal data: audited, with the command line as channel.
    from asbhub.records.partners.models import AuditEntry

    store = open_store(db_url)
    entries = list(
        AuditEntry.objects.using(store.alias)
        .filter(object_type="tasking.briefing", object_id="2021-03-15", action="export")
        .order_by("seq")
    )
    assert [(e.detail["channel"], e.detail["format"]) for e in entries] == [
        ("cli", "html"),
        ("cli", "html"),
        ("cli", "pdf"),
    ]
    assert all(e.purpose and e.detail["person_key"] for e in entries)


def test_report_weekly(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "report",
                "weekly",
                "--lpu",
                "Erewash",
                "--week-ending",
                "2021-03-14",
                "--db",
                db_url,
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    written = capsys.readouterr().out
    assert written.count("wrote ") == 3
    rows = list(csv.reader((tmp_path / "weekly-erewash-2021-03-14.csv").open()))
    assert rows[-1] == ["total", "Erewash", "2", "1.25"]
    assert (
        main(["report", "weekly", "--lpu", "Nowhere", "--db", db_url, "--out", str(tmp_path)]) == 2
    )
    assert "expected one of" in capsys.readouterr().err
