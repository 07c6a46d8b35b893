"""The scrutiny report from the bundled Derbyshire sample: figures equal independent counts of
the zip (csv module), every section is present, sections without data say so, and the PDF
prints every page (each page turned into a non-blank image with pdftoppm) with every section
and data hash in its text, and WeasyPrint is imported without its subprocess library lookup."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from asbhub.analysis import InterventionCounts, evaluate_intervention
from asbhub.data import sample_paths
from asbhub.geo import AreaHierarchy
from asbhub.ingest.inputs import expand_inputs
from asbhub.reports import CaseStudy, build_scrutiny, render_html, write_pdf, write_scrutiny
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest
from tests.support import need

PERIOD = "2019-02"
ASB = "Anti-social behaviour"
WHEN = datetime(2025, 1, 1, tzinfo=UTC)
HEADINGS = (
    "ASB incidents by type",
    "ASB incidents and records of contact by month",
    "ASB incidents excluding Covid: latest 12 months against the 12 before",
    "ASB records of contact excluding Covid: latest 12 months against the 12 before",
    "Comparison with other forces",
    "ASB incidents by Local Policing Unit",
    "ASB hot spots",
    "Neighbourhood crime, drugs and theft by year",
    "999 and 101 call handling",
    "Problem Management Plans by LPU",
    "ASB powers used",
    "ASB Case Reviews (Community Trigger)",
)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """Every row of the sample, read with the csv module alone."""
    out = []
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".csv"):
                out += list(csv.DictReader(io.TextIOWrapper(zf.open(name), "utf-8-sig")))
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'store.sqlite3'}"
    s = open_store(url)
    ingest(s, expand_inputs(sample_paths()))
    return s


@pytest.fixture(scope="module")
def report(store):
    return build_scrutiny(store, PERIOD, generated_at=WHEN)


def test_asb_by_type_equals_independent_count(report, rows) -> None:
    t = report.section("asb-by-type").table("asb-by-type")
    expected = sum(r["Crime type"] == ASB for r in rows)
    assert expected == 8507
    assert t.columns == ["ASB incidents by type", "12 months to Feb 2019"]
    assert t.cell("Total", "12 months to Feb 2019") == expected
    assert t.rows == [["Total", expected]]  # police.uk: no ASB category, no invented rows


def test_monthly_and_period_tables(report, rows) -> None:
    per_month = Counter(r["Month"] for r in rows if r["Crime type"] == ASB)
    t = report.section("monthly").table("monthly")
    assert {r[0]: r[1] for r in t.rows} == {
        "Dec 2018": per_month["2018-12"],
        "Jan 2019": per_month["2019-01"],
        "Feb 2019": per_month["2019-02"],
    }
    assert report.section("monthly").charts[0].svg.startswith("<svg")
    cmp = report.section("asb-excluding-covid").table("asb-excluding-covid")
    assert cmp.cell("Total", "12 months to Feb 2019") == sum(per_month.values())
    # The year before was never loaded: "no data", not a count of zero or a -100% change.
    assert cmp.cell("Total", "12 months to Feb 2018") == "no data"
    assert cmp.cell("Total", "% Change") is None


def test_lpu_table_equals_lsoa_mapping(report, rows) -> None:
    lpu_of = dict(AreaHierarchy.load().lsoa.select("lsoa_code", "lpu").iter_rows())
    expected = Counter(
        lpu_of.get(r["LSOA code"], "Outside the force area") if r["LSOA code"] else "No LSOA"
        for r in rows
        if r["Crime type"] == ASB
    )
    t = report.section("asb-by-lpu").table("asb-by-lpu")
    got = {r[0]: r[-1] for r in t.rows if r[0] != "Total"}
    assert {k: v for k, v in got.items() if v} == dict(expected)
    assert t.cell("Total", "ASB incidents") == 8507


def test_crime_and_force_tables(report, rows) -> None:
    crime = report.section("neighbourhood-crime").table("neighbourhood-crime")
    burglary = sum(r["Crime type"] == "Burglary" for r in rows)
    assert crime.cell("Burglary", "12 months to Feb 2019") == burglary
    share = report.section("force-comparison").table("force-share")
    n = len(rows)
    force = "Derbyshire Constabulary"
    assert share.cell("Records", force) == n
    asb_pct = round(100 * 8507 / n, 1)
    assert share.cell(ASB, force) == pytest.approx(asb_pct)


def test_sections_without_data_say_so(report) -> None:
    for sid in ("roc-comparison", "call-handling", "pmps", "powers", "case-reviews"):
        s = report.section(sid)
        assert s.no_data and not s.tables, sid
    html = render_html(report)
    assert "No data: No call logs were loaded" in html


def test_html_has_every_section_and_stamp(report, store) -> None:
    html = render_html(report)
    for heading in HEADINGS:
        assert f". {heading}</h2>" in html, heading
    assert html.count('<p class="stamp">') == len(HEADINGS)
    for unit in report.data_version["incident_sources"]:
        assert unit["content_sha256"] in html
    assert "case-study" not in html  # no PMP supplied: no placeholder section
    # Same store, same parameters, same time: the same report, byte for byte.
    assert render_html(build_scrutiny(store, PERIOD, generated_at=WHEN)) == html


def test_area_limits_tables(store) -> None:
    r = build_scrutiny(store, PERIOD, "erewash", generated_at=WHEN)
    assert r.area == "Erewash"
    lpu = (
        build_scrutiny(store, PERIOD, generated_at=WHEN)
        .section("asb-by-lpu")
        .table("asb-by-lpu")
        .cell("Erewash", "ASB incidents")
    )
    assert (
        r.section("asb-by-type").table("asb-by-type").cell("Total", "12 months to Feb 2019") == lpu
    )
    assert r.report_id != build_scrutiny(store, PERIOD, generated_at=WHEN).report_id


def test_case_study_gives_rate_ratio_with_interval(store) -> None:
    counts = InterventionCounts(
        response_before=188,
        response_after=41,
        buffer_before=60,
        buffer_after=52,
        control_before=160,
        control_after=150,
    )
    case = CaseStudy(
        "Op Dexter, Bolsover town centre",
        counts,
        before_period="Jan-Mar 2021",
        after_period="May-Jul 2021",
    )
    r = build_scrutiny(store, PERIOD, case_study=case, generated_at=WHEN)
    ev = evaluate_intervention(counts)
    t = r.section("case-study").table("case-evaluation")
    assert t.cell("Rate ratio (response against control)", "Value") == ev.rate_ratio.value
    reading = t.cell("Rate ratio (response against control)", "Reading")
    assert f"CI {ev.rate_ratio.ci_low:.2f} to {ev.rate_ratio.ci_high:.2f}" in reading
    assert t.cell("Weighted Displacement Quotient", "Value") == ev.wdq.wdq
    assert "Case study: Op Dexter" in render_html(r)


def test_pdf_renders_every_page(store, report, tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        need(False, "WeasyPrint is not installed (pip install 'asbhub[pdf]')")
    need(shutil.which("pdftoppm"), "pdftoppm is not installed (apt-get install poppler-utils)")
    written = write_scrutiny(store, PERIOD, tmp_path)
    assert written["html"].name == "scrutiny-2019-02.html"
    pdf = written["pdf"]
    assert pdf.name == "scrutiny-2019-02.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) > 1
    from matplotlib.image import imread

    for page in pages:
        assert float(np.var(imread(page))) > 0, page.name
    # Every section printed, and the fixed column widths hold each SHA-256 on one line.
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for heading in HEADINGS:
        assert heading in " ".join(text.split()), heading
    for unit in report.data_version["incident_sources"]:
        assert unit["content_sha256"] in text, unit


def test_every_table_gives_its_column_widths(report) -> None:
    """Tables are laid out "fixed" in print, so each must say how wide its columns are: the
    columns its colgroup spans equal the cells of its first row."""
    import re

    html = render_html(report)
    tables = re.findall(r"<table.*?</table>", html, flags=re.S)
    assert len(tables) >= 10
    for t in tables:
        group = re.search(r"<colgroup>(.*?)</colgroup>", t, flags=re.S)
        assert group, t[:80]
        spans = sum(
            int(m.group(1) or 1)
            for m in re.finditer(r'<col(?: class="[^"]*")?(?: span="(\d+)")?>', group.group(1))
        )
        first = re.search(r"<tr[^>]*>(.*?)</tr>", t, flags=re.S).group(1)
        assert spans == len(re.findall(r"<t[hd][ >]", first)), t[:80]


def test_library_lookup_is_skipped_for_this_thread_only() -> None:
    import ctypes.util
    import threading

    from asbhub.reports.rendering import _no_library_lookup

    real = ctypes.util.find_library
    expected = real("c")
    need(expected, "no C library found by ctypes.util.find_library")
    other: list[str | None] = []
    with _no_library_lookup():
        assert ctypes.util.find_library("c") is None
        worker = threading.Thread(target=lambda: other.append(ctypes.util.find_library("c")))
        worker.start()
        worker.join()
    assert other == [expected]
    assert ctypes.util.find_library is real


_IMPORT_PROBE = """
import subprocess, sys
spawned = []
real = subprocess.Popen.__init__
def counting(self, *args, **kwargs):
    spawned.append(args[0] if args else kwargs.get("args"))
    return real(self, *args, **kwargs)
subprocess.Popen.__init__ = counting
if sys.argv[1] == "asbhub":
    from asbhub.reports.rendering import import_weasyprint
    import_weasyprint()
else:
    import weasyprint
import ctypes.util
libs = sorted({line.split()[-1].rsplit("/", 1)[-1] for line in open("/proc/self/maps")
               if any(k in line for k in ("pango", "harfbuzz", "fontconfig", "gobject"))})
print(len(spawned), ctypes.util.find_library.__module__, *libs)
"""


def test_weasyprint_imported_without_processes_and_same_libraries() -> None:
    """Each way in a fresh interpreter: asbhub's import spawns nothing and loads the very
    libraries WeasyPrint's own import loads (which spawns dozens of lookups here)."""
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        need(False, "WeasyPrint is not installed (pip install 'asbhub[pdf]')")
    need(sys.platform.startswith("linux"), "the library lookup is skipped on Linux only")
    out = {}
    for way in ("asbhub", "plain"):
        run = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE, way],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        out[way] = run.stdout.split()
    assert out["asbhub"][0] == "0"
    assert int(out["plain"][0]) > 0  # the lookup this saves is real on this system
    assert out["asbhub"][1] == "ctypes.util"  # the real find_library is back
    assert out["asbhub"][2:] == out["plain"][2:] and any("pango" in x for x in out["asbhub"])


def test_write_pdf_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builtins

    real = builtins.__import__

    def no_weasyprint(name: str, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    with pytest.raises(ImportError, match=r"asbhub\[pdf\]"):
        write_pdf("<p>x</p>", tmp_path / "x.pdf")


def test_hotspot_map_is_svg_with_a_key_that_counts_cells(report, store) -> None:
    from asbhub.analysis import hotspot_gistar
    from asbhub.store import query

    s = report.section("hotspots")
    chart = s.charts[0]
    assert chart.svg.startswith("<svg") and "data:image/png;base64," in chart.svg
    assert ">Erewash</text>" in chart.svg  # LPU outlines are named
    # The key is words, not colour alone, and its counts are the Gi* result's own (recomputed
    # here from the same points).
    pts = query.incident_points(store, months=("2018-12", "2019-02"), crime_types=[ASB])
    in_force = set(AreaHierarchy.load().lsoa["lsoa_code"].to_list())
    pts = pts.filter(pts["lsoa_code"].is_in(in_force))
    result = hotspot_gistar(np.column_stack([pts["easting"], pts["northing"]]))
    classes = np.asarray(result.classes)
    keep = (np.asarray(result.counts) > 0) | (classes != 0)
    key = dict((label.rsplit(" (", 1)[0], label) for _, label in chart.legend)
    n99 = int((keep & (classes == 3)).sum())
    assert (
        n99
        == result.n_hot(3)
        == s.table("hotspot-summary").cell("Hot spot cells at 99% confidence", "Value")
        > 0
    )
    assert key["Hot spot, 99% confidence"].endswith(f"({n99:,} cells)")
    assert key["Not significant"].endswith(f"({int((keep & (classes == 0)).sum()):,} cells)")


def test_import_tried_again_the_ordinary_way_when_the_sonames_fail(tmp_path: Path) -> None:
    """A system where only the lookup finds the libraries: the first import fails (here a
    stand-in WeasyPrint that needs ``find_library``), the second, unpatched, succeeds."""
    need(sys.platform.startswith("linux"), "the library lookup is skipped on Linux only")
    fake = tmp_path / "weasyprint"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "import ctypes.util\n"
        "from . import part\n"
        "if ctypes.util.find_library('c') is None:\n"
        "    raise OSError('cannot load library: libpango-1.0-0')\n"
        "LOADED_WITH = ctypes.util.find_library('c')\n"
    )
    (fake / "part.py").write_text("")
    probe = (
        "import ctypes.util, sys\n"
        "from asbhub.reports.rendering import import_weasyprint\n"
        "wp = import_weasyprint()\n"
        "print(wp.__file__, wp.LOADED_WITH, ctypes.util.find_library('c'),"
        " 'weasyprint.part' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{Path(__file__).parents[2]}"}
    run = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    where, loaded_with, after, part = run.stdout.split()
    assert where == str(fake / "__init__.py")
    assert loaded_with != "None" and loaded_with == after  # second try had the real lookup
    assert part == "True"
