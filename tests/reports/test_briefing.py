"""The daily briefing from synthetic incidents loaded into a SQLite store: counts by LPU and
repeat victims against independent counts of the export and its ground truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from asbhub.ingest.inputs import expand_inputs
from asbhub.reports import briefing_data
from asbhub.reports.briefing import (
    INTERIM_PERSON_KEY,
    build_briefing,
    interim_person_key,
    render_briefing_html,
    write_briefing,
)
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest
from asbhub.synth.incidents import generate_force_export, write_force_export_csv

DAY = dt.date(2021, 3, 15)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("briefing")
    synth = generate_force_export(
        dt.date(2020, 9, 1), dt.date(2021, 3, 31), seed=11, n_incidents=2500
    )
    path = write_force_export_csv(synth.export, tmp / "export.csv")
    store = open_store(f"sqlite:///{tmp / 'store.sqlite3'}")
    assert ingest(store, expand_inputs([path])).totals()["rejected"] == 0
    return store, synth


def _local_day(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("Europe/London").dt.date()


def test_counts_by_lpu_match_the_export(loaded) -> None:
    store, synth = loaded
    since = DAY - dt.timedelta(days=3)
    b = build_briefing(store, DAY, since=since)
    e = synth.export.with_columns(_local_day("occurred_from").alias("d"))
    e = e.filter((pl.col("d") >= since) & (pl.col("d") < DAY))
    expect = {}
    for lpu, rtype in e.select("lpu", "record_type").iter_rows():
        expect.setdefault(lpu, {"crime": 0, "asb": 0, "roc": 0})[rtype] += 1
    got = {
        r["lpu"]: {k: r[k] for k in ("crime", "asb", "roc")}
        for r in b.incidents_by_lpu.iter_rows(named=True)
    }
    assert got == expect
    assert b.n_incidents == e.height > 0


def test_repeat_victims_match_an_independent_count(loaded) -> None:
    store, synth = loaded
    b = build_briefing(store, DAY)
    assert b.person_key_name == INTERIM_PERSON_KEY
    as_of = DAY - dt.timedelta(days=1)
    # Independently: the export's people, keyed the same way, counted with plain Python.
    rows = (
        synth.export.with_columns(_local_day("occurred_from").alias("d"))
        .explode("people")
        .drop_nulls("people")
        .unnest("people")
    )
    counts: dict[str, set[str]] = {}
    for r in rows.iter_rows(named=True):
        qualifies = (
            r["role"] == "victim"
            and r["record_type"] in ("crime", "asb")
            or (r["role"] == "caller" and r["record_type"] == "asb")
        )
        key = interim_person_key(r["name"], r["date_of_birth"] or None, r["postcode"] or None)
        if qualifies and key and 0 <= (as_of - r["d"]).days < 365:
            counts.setdefault(key, set()).add(r["incident_reference"])
    expect = {k: len(v) for k, v in counts.items() if len(v) >= 2}
    got = dict(b.repeat_victims.table.select("person_key", "n_incidents").iter_rows())
    assert got == expect
    assert len(expect) > 10


def test_interim_key_against_ground_truth(loaded) -> None:
    """The interim key finds most of the true repeat victims (it is not linkage)."""
    store, synth = loaded
    b = build_briefing(store, DAY)
    as_of = DAY - dt.timedelta(days=1)
    e = synth.export.with_columns(_local_day("occurred_from").alias("d")).select(
        "incident_reference", "record_type", "d"
    )
    t = synth.truth.join(e, on="incident_reference")
    t = t.filter(
        ((pl.col("role") == "victim") & pl.col("record_type").is_in(["crime", "asb"]))
        | ((pl.col("role") == "caller") & (pl.col("record_type") == "asb"))
    )
    t = t.filter((pl.col("d") <= as_of) & (pl.col("d") > as_of - dt.timedelta(days=365)))
    true_repeats = t.group_by("person_id").agg(pl.col("incident_reference").n_unique())
    n_true = true_repeats.filter(pl.col("incident_reference") >= 2).height
    assert n_true > 0
    # Spelling variation splits some people: the interim key finds fewer, but not far fewer.
    assert 0.3 * n_true <= b.repeat_victims.n_repeat <= 1.2 * n_true


def test_linkage_hook_and_html(loaded, tmp_path: Path) -> None:
    store, _ = loaded
    with store.connection.cursor() as cur:
        cur.execute("SELECT id FROM incidents_person")
        ids = [r[0] for r in cur.fetchall()]
    # Every person row its own cluster: nobody repeats.
    b = build_briefing(store, DAY, person_key={i: i for i in ids})
    assert b.person_key_name == "linkage clusters"
    assert b.repeat_victims.n_repeat == 0
    html = render_briefing_html(build_briefing(store, DAY))
    for heading in (
        "Incidents by Local Policing Unit",
        "Repeat victims, new or rising",
        "Repeat locations",
        "Emerging hot spots",
        "Problem Management Plans due or overdue for review",
        "OFFICIAL-SENSITIVE",
    ):
        assert heading in html
    assert "interim" in html


def test_since_must_be_before_date(loaded) -> None:
    store, _ = loaded
    with pytest.raises(ValueError, match="before"):
        build_briefing(store, DAY, since=DAY)


# --------------------------------------------------------------------------------------------
# ASB Case Review threshold flags
# --------------------------------------------------------------------------------------------


def _months_back(day: dt.date, months: int) -> dt.date:
    """Written out here rather than taken from the domain module, as an independent check."""
    y, m = day.year, day.month - months
    while m < 1:
        y, m = y - 1, m + 12
    last = [
        31,
        29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][m - 1]
    return dt.date(y, m, min(day.day, last))


def _brute_force_flags(
    rows: list[tuple[str, str, dt.date, dt.date]],
    as_of: dt.date,
    complaints: int = 3,
    months: int = 6,
    within: int = 31,
) -> set[str]:
    """(person key, incident, incident date, report date) -> keys meeting the rule."""
    start = _months_back(as_of, months)
    good: dict[str, set[str]] = {}
    for key, inc, happened, reported in rows:
        if start <= reported <= as_of and (reported - happened).days <= within:
            good.setdefault(key, set()).add(inc)
    return {k for k, v in good.items() if len(v) >= complaints}


def test_case_review_flags_match_a_brute_force_count(loaded) -> None:
    store, synth = loaded
    b = build_briefing(store, DAY)
    as_of = DAY - dt.timedelta(days=1)
    rows = (
        synth.export.with_columns(
            _local_day("occurred_from").alias("d"), _local_day("reported_at").alias("r")
        )
        .explode("people")
        .drop_nulls("people")
        .unnest("people")
    )
    facts = []
    for r in rows.iter_rows(named=True):
        key = interim_person_key(r["name"], r["date_of_birth"] or None, r["postcode"] or None)
        if key and r["role"] in ("victim", "caller") and r["record_type"] in ("asb", "roc"):
            facts.append((key, r["incident_reference"], r["d"], r["r"]))
    expect = _brute_force_flags(facts, as_of)
    flagged = b.case_review.rows.filter(pl.col("kind") == "person")
    assert set(flagged["person_key"].to_list()) == expect
    assert len(expect) >= 3
    # Each flag lists its qualifying complaints, at least three, all of that person's.
    by_key: dict[str, set[str]] = {}
    for key, ref, _, _ in facts:
        by_key.setdefault(key, set()).add(ref)
    for r in flagged.iter_rows(named=True):
        assert len(r["references"]) == r["n_qualifying"] >= 3
        assert set(r["references"]) <= by_key[r["person_key"]]


CRAFT_DAY = dt.date(2021, 3, 15)  # a Monday: since Friday 12 March, "before" = 11 March


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory):
    from tests.tasking.crafted import case_review_rows, load

    tmp = tmp_path_factory.mktemp("caserev")
    store = open_store(f"sqlite:///{tmp / 'store.sqlite3'}")

    rows = case_review_rows()
    load(store, rows, tmp)
    from asbhub.records.cases.models import ThresholdRule

    ThresholdRule.objects.using(store.alias).create(area="High Peak", complaints=2)
    ThresholdRule.objects.using(store.alias).create(
        area="Amber Valley", complaints=3, count_people=True
    )
    return store


def test_case_review_flags_on_crafted_people(crafted) -> None:
    b = build_briefing(crafted, CRAFT_DAY)
    assert b.since == dt.date(2021, 3, 12)  # the previous working day
    rows = {r["name"]: r for r in b.case_review.rows.iter_rows(named=True)}
    assert set(rows) == {
        "Alice Threshold",
        "Dan Newflag",
        "Gus Arearule",
        "Hana Neighbour; Ivan Neighbour; Jo Neighbour",
    }
    assert rows["Alice Threshold"]["references"] == ["A-0", "A-1", "A-2"]
    assert rows["Alice Threshold"]["new"] is False  # already met on 11 March
    assert rows["Dan Newflag"]["new"] is True  # the third complaint came on 13 March
    assert rows["Gus Arearule"]["rule"].startswith("2 complaints")
    place = rows["Hana Neighbour; Ivan Neighbour; Jo Neighbour"]
    assert place["kind"] == "place" and place["n_qualifying"] == 3
    assert "3 different people" in place["reason"]
    assert b.case_review.n_new == 1  # only Dan: the others met it by 11 March
    # The cut briefing (issue #12) lists the newly met and those met before but not yet in a
    # Case Review; those in one are a count; the full briefing (limit None) lists everyone
    # with every complaint.
    html = render_briefing_html(b)
    assert "Dan Newflag" in html and "Alice Threshold" in html and "Not yet reviewed" in html
    assert "1 new, 3 met before and not yet in a Case Review, 0 already met" in html
    alice_incidents = b.case_review.rows.filter(pl.col("name") == "Alice Threshold")[
        "incident_ids"
    ].to_list()[0]
    assert len(alice_incidents) == 3
    reviewed = build_briefing(crafted, CRAFT_DAY, case_reviews={alice_incidents[1]: "CR-7"})
    html = render_briefing_html(reviewed)
    assert "Alice Threshold" not in html and "Dan Newflag" in html
    assert "1 new, 2 met before and not yet in a Case Review, 1 already met and in" in html
    assert reviewed.case_review.n_in_review == 1
    full = render_briefing_html(
        build_briefing(crafted, CRAFT_DAY, limit=None, case_reviews={alice_incidents[1]: "CR-7"})
    )
    assert "Alice Threshold" in full and "A-2: ASB on 01/03/2021" in full
    assert "In Case Review CR-7" in full
    # Without the area rules, the default applies everywhere: Gus (2) is out, Kim (3) is in.
    plain = build_briefing(crafted, CRAFT_DAY, case_review_rules={})
    names = set(plain.case_review.rows["name"].to_list())
    assert names == {"Alice Threshold", "Dan Newflag", "Kim Alone"}


def test_redact_withholds_names_and_complaints(crafted) -> None:
    b = build_briefing(crafted, CRAFT_DAY, limit=None)
    ids = b.person_row_ids()
    assert ids
    hidden = b.redact(lambda rows: "Withheld: not shared." if rows else None)
    html = render_briefing_html(hidden)
    for name in ("Alice Threshold", "Dan Newflag", "Hana Neighbour"):
        assert name in render_briefing_html(b) and name not in html
    # Said once per section with the count (issue #12), not once per row.
    assert "4 people or places withheld: not shared." in html and "A-2:" not in html
    assert html.count("withheld: not shared.") == html.count("briefing-withheld-once")


# --------------------------------------------------------------------------------------------
# Emerging hot spots need months with data
# --------------------------------------------------------------------------------------------

HOT_DAY = dt.date(2021, 7, 15)  # window January to June 2021


def _hot_rows(months: list[int], seed: int = 3) -> list[dict]:
    import random

    from tests.tasking.crafted import incident, places

    rnd = random.Random(seed)
    n_places = len(places("Erewash"))
    rows = []
    for m in months:
        for k in range(14):  # a steady cluster at place 0
            rows.append(incident(f"HC-{m}-{k}", dt.datetime(2021, m, 1 + k, 20)))
        for k in range(60):  # and background across Erewash
            rows.append(
                incident(
                    f"HB-{m}-{k}",
                    dt.datetime(2021, m, 1 + k % 27, 15),
                    place=rnd.randrange(1, n_places),
                )
            )
    return rows


def test_hotspots_ignore_months_without_data(tmp_path: Path) -> None:
    from asbhub.analysis import TREND_CATEGORIES, hotspot_classify
    from tests.tasking.crafted import load

    store = open_store(f"sqlite:///{tmp_path / 'hot.sqlite3'}")
    load(store, _hot_rows([3, 4, 5, 6]), tmp_path)
    b = build_briefing(store, HOT_DAY)
    assert b.hotspot_parameters["months"] == "2021-03 to 2021-06"
    assert b.hotspot_parameters["months_without_data"] == ["2021-01", "2021-02"]
    inc = briefing_data.incident_rows(
        store, dt.datetime(2021, 1, 1, tzinfo=dt.UTC), dt.datetime(2021, 7, 1, tzinfo=dt.UTC)
    )
    days = inc.select(_local_day("occurred_from")).to_series().to_numpy().astype("datetime64[D]")
    pts = inc.select("easting", "northing").to_numpy()
    cluster = inc.filter(pl.col("reference").str.starts_with("HC")).row(0, named=True)
    # The same points over all six months: the empty months make the steady cluster look
    # as if it had only just appeared.
    naive = hotspot_classify(
        pts,
        days,
        period="month",
        start=dt.date(2021, 1, 1),
        end=dt.date(2021, 6, 1),
        cell_size=250.0,
    )
    cats = naive.categories.ravel()
    centres = naive.grid.centres()
    k = int(
        np.argmin(np.hypot(centres[:, 0] - cluster["easting"], centres[:, 1] - cluster["northing"]))
    )
    assert TREND_CATEGORIES[cats[k]] in ("emerging", "new")
    # With the rule, the cluster is a persistent hot spot, not listed as emerging.
    near = b.hotspots.filter(
        (pl.col("easting") - centres[k, 0]).abs()
        < 1 & ((pl.col("northing") - centres[k, 1]).abs() < 1)
    )
    assert near.height == 0


def test_hotspots_say_when_there_is_not_enough_data(tmp_path: Path) -> None:
    from tests.tasking.crafted import load

    store = open_store(f"sqlite:///{tmp_path / 'few.sqlite3'}")
    load(store, _hot_rows([1, 2, 3, 5, 6]), tmp_path)  # April missing: only May and June run
    b = build_briefing(store, HOT_DAY)
    assert b.hotspots is None
    assert "Not enough data" in b.hotspot_note and "April 2021" in b.hotspot_note
    assert "has 2" in b.hotspot_note
    assert "Not enough data" in render_briefing_html(b)
    # A lower minimum lets the two months run.
    assert (
        build_briefing(store, HOT_DAY, hotspot_min_months=2).hotspot_parameters["months"]
        == "2021-05 to 2021-06"
    )


def test_a_month_with_data_on_few_days_is_a_month_without_data(tmp_path: Path) -> None:
    from tests.tasking.crafted import load

    rows = [
        r
        for r in _hot_rows([3, 4, 5, 6])
        if not (r["occurred_from"].month == 3 and r["occurred_from"].day < 25)
    ]
    store = open_store(f"sqlite:///{tmp_path / 'partial.sqlite3'}")
    load(store, rows, tmp_path)
    b = build_briefing(store, HOT_DAY, hotspot_min_months=3)
    # March has incidents on 3 of its 31 days (25 to 27), under half: it is left out.
    assert b.hotspot_parameters["months"] == "2021-04 to 2021-06"
    assert "2021-03" in b.hotspot_parameters["months_without_data"]
    assert build_briefing(store, HOT_DAY).hotspots is None  # 3 months < the default 4


def test_pdf_renders_every_page_marked(crafted, tmp_path: Path) -> None:
    import shutil
    import subprocess

    from tests.support import need

    try:
        import weasyprint  # noqa: F401
    except ImportError:
        need(False, "WeasyPrint is not installed (pip install 'asbhub[pdf]')")
    need(
        shutil.which("pdftoppm") and shutil.which("pdftotext"),
        "pdftoppm and pdftotext are not installed (apt-get install poppler-utils)",
    )
    pdf = tmp_path / "briefing.pdf"
    b = write_briefing(crafted, CRAFT_DAY, str(pdf), fmt="pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and b.case_review.rows.height == 4
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) > 1
    from matplotlib.image import imread

    for number, page in enumerate(pages, start=1):
        assert float(np.var(imread(page))) > 0, page.name
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "OFFICIAL-SENSITIVE" in text, f"page {number} is not marked"
    with pytest.raises(ValueError, match="html or pdf"):
        write_briefing(crafted, CRAFT_DAY, str(tmp_path / "x.doc"), fmt="doc")


# --------------------------------------------------------------------------------------------
# Repeat perpetrators and victims' repeat addresses
# --------------------------------------------------------------------------------------------


def _brute_repeats(
    facts: list[tuple[str, str, dt.date]], as_of: dt.date, min_count: int, window_days: int = 365
) -> dict[str, int]:
    """(key, incident, date) -> {key: distinct incidents in (as_of - window, as_of]} for the
    keys with at least ``min_count``: a plain count, nothing shared with the module."""
    seen: dict[str, set[str]] = {}
    for key, inc, day in facts:
        if 0 <= (as_of - day).days < window_days:
            seen.setdefault(key, set()).add(inc)
    return {k: len(v) for k, v in seen.items() if len(v) >= min_count}


def _export_people(synth) -> pl.DataFrame:
    return (
        synth.export.with_columns(_local_day("occurred_from").alias("d"))
        .explode("people")
        .drop_nulls("people")
        .unnest("people")
    )


def test_repeat_perpetrators_match_an_independent_count(loaded) -> None:
    store, synth = loaded
    b = build_briefing(store, DAY)
    as_of, before = DAY - dt.timedelta(days=1), b.since - dt.timedelta(days=1)
    facts = []
    for r in _export_people(synth).iter_rows(named=True):
        key = interim_person_key(r["name"], r["date_of_birth"] or None, r["postcode"] or None)
        if key and r["role"] == "suspect" and r["record_type"] in ("crime", "asb"):
            facts.append((key, r["incident_reference"], r["d"]))
    expect = _brute_repeats(facts, as_of, 3)
    got = dict(b.repeat_perpetrators.table.select("person_key", "n_incidents").iter_rows())
    assert got == expect and len(expect) >= 5
    # New or rising against the previous briefing's window, counted the same way.
    then = _brute_repeats(facts, before, 1)
    shown = {k for k, n in expect.items() if then.get(k, 0) < 3 or n > then[k]}
    assert set(b.repeat_perpetrator_rows["person_key"].to_list()) == shown
    # Two in 12 months is enough with min_count=2: a superset.
    two = build_briefing(store, DAY, perpetrator_min_count=2).repeat_perpetrators
    assert dict(two.table.select("person_key", "n_incidents").iter_rows()) == _brute_repeats(
        facts, as_of, 2
    )


def test_repeat_addresses_match_an_independent_count(loaded) -> None:
    from asbhub.analysis.repeats import address_keys

    store, synth = loaded
    b = build_briefing(store, DAY)
    as_of = DAY - dt.timedelta(days=1)
    rows = _export_people(synth).filter(
        (pl.col("d") < DAY)
        & (
            ((pl.col("role") == "victim") & pl.col("record_type").is_in(["crime", "asb"]))
            | ((pl.col("role") == "caller") & (pl.col("record_type") == "asb"))
        )
    )
    rows = rows.with_columns(
        pl.col("address").replace("", None), pl.col("postcode").replace("", None)
    )
    # The key is address_keys' (tested in tests/analysis); the grouping, roles, window and
    # one-count-per-incident are counted here by hand.
    keys = address_keys(rows["address"], rows["postcode"])["address_key"].to_list()
    facts = [
        (k, r["incident_reference"], r["d"])
        for k, r in zip(keys, rows.iter_rows(named=True), strict=True)
        if k
    ]
    expect = _brute_repeats(facts, as_of, 3)
    got = dict(b.repeat_addresses.table.select("address_key", "n_incidents").iter_rows())
    assert got == expect and len(expect) >= 3
    # Each row's person records are victims' records with that address.
    with store.connection.cursor() as cur:
        cur.execute("SELECT id, role, address, postcode FROM incidents_person")
        people = {i: (role, a, p) for i, role, a, p in cur.fetchall()}
    for r in b.repeat_address_rows.iter_rows(named=True):
        assert r["person_row_ids"]
        found = {
            address_keys(pl.Series([people[i][1]]), pl.Series([people[i][2]]))["address_key"][0]
            for i in r["person_row_ids"]
        }
        assert {people[i][0] for i in r["person_row_ids"]} <= {"victim", "caller"}
        assert len({f.split("|")[0] for f in found}) == 1, found


@pytest.fixture(scope="module")
def repeats(tmp_path_factory: pytest.TempPathFactory):
    from tests.tasking.crafted import load, repeat_rows

    tmp = tmp_path_factory.mktemp("repeats")
    store = open_store(f"sqlite:///{tmp / 'store.sqlite3'}")
    load(store, repeat_rows(), tmp)
    return store


def _refs(store, ids: list[int]) -> set[str]:
    inc = briefing_data.incident_rows(
        store, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    )
    by_id = dict(inc.select("incident_id", "reference").iter_rows())
    return {by_id[i] for i in ids}


def test_repeat_perpetrators_on_crafted_people(repeats) -> None:
    b = build_briefing(repeats, CRAFT_DAY)
    table = {r["person_key"]: r for r in b.repeat_perpetrators.table.iter_rows(named=True)}
    assert {k: r["n_incidents"] for k, r in table.items()} == {
        "persistent|1980-02-02": 3,
        "rising|1981-03-03": 4,
        "steady|1982-04-04": 3,
    }
    assert _refs(repeats, table["rising|1981-03-03"]["incident_ids"]) == {
        "Q-0",
        "Q-1",
        "Q-2",
        "Q-3",
    }
    shown = {r["name"]: r for r in b.repeat_perpetrator_rows.iter_rows(named=True)}
    assert set(shown) == {"Pat Persistent", "Quinn Rising"}
    assert shown["Pat Persistent"]["new"] and shown["Pat Persistent"]["n_before"] == 2
    assert shown["Quinn Rising"]["rising"] and shown["Quinn Rising"]["n_before"] == 3
    assert shown["Pat Persistent"]["lpu"] == "High Peak"
    html = render_briefing_html(b)
    assert "Repeat perpetrators, new or rising" in html and "Quinn Rising" in html
    assert "Ros Steady" not in html and "3 repeat perpetrators" in html


def test_repeat_addresses_on_crafted_victims(repeats) -> None:
    b = build_briefing(repeats, CRAFT_DAY)
    groups = {
        frozenset(_refs(repeats, r["incident_ids"])): r
        for r in b.repeat_addresses.table.iter_rows(named=True)
    }
    station = frozenset({"V-0", "V2-0", "V3-0"})
    mill = frozenset({"X-0", "X-1", "X-2", "X-3"})
    elm = frozenset({"Z-0", "Z-1", "Z-2"})
    assert set(groups) == {station, mill, elm}
    assert groups[station]["address"] == "12 Station Rd"  # as last written
    assert groups[elm]["postcode"] is None
    refs_of = {r["address_key"]: refs for refs, r in groups.items()}
    rows = {refs_of[r["address_key"]]: r for r in b.repeat_address_rows.iter_rows(named=True)}
    assert set(rows) == {station, mill, elm}
    assert rows[station]["new"] and rows[mill]["rising"] and rows[mill]["n_before"] == 3
    html = render_briefing_html(b)
    assert "12 Station Rd, DE7 5AA" in html and "8 Elm Street" in html
    assert "Oak Close" not in html and "Ash Way" not in html
    # Redacted: no address, no name of a perpetrator, and the reason instead.
    hidden = render_briefing_html(b.redact(lambda ids: "Withheld: not shared." if ids else None))
    for text in ("Station R", "Mill Lane", "Elm Street", "Pat Persistent", "Quinn Rising"):
        assert text in html and text not in hidden, text
    # Once per section, with the count: 3 addresses, 2 perpetrators (issue #12).
    assert "3 addresses withheld: not shared." in hidden
    assert "2 people withheld: not shared." in hidden
