"""asbhub.analysis.tables against counts made here, independently, with the csv module on the
published data.police.uk files, and against the arithmetic of seed 003's tables 5.13, 5.15,
5.18 and 5.19 rebuilt from synthetic records."""

from __future__ import annotations

import csv
import doctest
import io
import zipfile
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import polars as pl
import pytest

import asbhub.analysis.tables as tables
from asbhub.analysis.tables import (
    NO_IMD,
    NO_LSOA,
    NO_SNT,
    OUTSIDE_FORCE,
    area_counts,
    force_share,
    month_label,
    period_compare,
    with_areas,
    year_on_year,
)
from asbhub.domain.months import month_at, month_index
from asbhub.geo import AreaHierarchy, bundled_areas_folder
from asbhub.ingest.police_uk import read_police_uk
from tests.support import ROOT

SAMPLE_ZIP = ROOT / "asbhub" / "data" / "sample" / "police-uk-derbyshire-2018-12-to-2019-02.zip"
SAMPLE_MONTHS = ("2018-12", "2019-01", "2019-02")
FORCES = ("derbyshire", "leicestershire", "lincolnshire", "northamptonshire", "nottinghamshire")
SHARED_MONTHS = ("2018-10", "2018-11", "2018-12", "2019-01", "2019-02")
ASB = "Anti-social behaviour"


# --- the real files, read twice: by asbhub, and by the csv module here ------------------------


@cache
def _sample_bytes() -> tuple[tuple[str, bytes], ...]:
    if not SAMPLE_ZIP.is_file():
        pytest.skip(f"the bundled sample {SAMPLE_ZIP} is missing")
    with zipfile.ZipFile(SAMPLE_ZIP) as zf:
        return tuple((n, zf.read(n)) for n in sorted(zf.namelist()) if n.endswith(".csv"))


@cache
def _sample_frame() -> pl.DataFrame:
    return pl.concat(read_police_uk(n, raw).rows for n, raw in _sample_bytes())


def _csv_rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@cache
def _sample_csv_asb() -> tuple[dict[str, str], ...]:
    return tuple(r for _, raw in _sample_bytes() for r in _csv_rows(raw) if r["Crime type"] == ASB)


@cache
def _areas_by_csv() -> dict[str, dict[str, str]]:
    """The bundled areas.csv, read with the csv module: LSOA code -> its row."""
    with open(bundled_areas_folder() / "areas.csv", newline="") as f:
        return {r["lsoa_code"]: r for r in csv.DictReader(f)}


def _brute_area(row: dict[str, str], field: str, empty: str) -> str:
    code = row["LSOA code"].strip()
    if not code:
        return NO_LSOA
    area = _areas_by_csv().get(code)
    if area is None:
        return OUTSIDE_FORCE
    return area[field] or empty


def _table_counts(table: pl.DataFrame, key: str) -> dict[str, int]:
    special = table["row_type"] != "area"
    keys = pl.when(special).then(pl.col("area")).otherwise(pl.col(key).cast(pl.String))
    return dict(table.select(keys.alias("k"), "count").iter_rows())


# --- area tables on the Derbyshire sample -----------------------------------------------------


def test_lpu_table_matches_a_csv_count_and_sums_to_the_force_total() -> None:
    result = area_counts(_sample_frame(), level="lpu")
    brute = Counter(_brute_area(r, "lpu", "") for r in _sample_csv_asb())
    got = _table_counts(result.table, "lpu")
    assert {k: v for k, v in got.items() if v} == dict(brute)
    assert result.total == len(_sample_csv_asb()) == 8_507  # 2,385 + 2,980 + 3,142
    assert result.table["count"].sum() == result.total
    # Every LPU is a row, and the border and no-LSOA records have rows of their own, named.
    assert result.table.filter(pl.col("row_type") == "area")["lpu"].to_list() == sorted(
        {a["lpu"] for a in _areas_by_csv().values()}
    )
    assert result.table["area"].to_list()[-2:] == [OUTSIDE_FORCE, NO_LSOA]
    assert got[OUTSIDE_FORCE] == brute[OUTSIDE_FORCE] > 0
    assert result.months_missing == ()
    assert result.record_type == ("asb",)


def test_snt_lsoa_and_force_tables_match_a_csv_count() -> None:
    frame, rows = _sample_frame(), _sample_csv_asb()
    snt = area_counts(frame, level="snt")
    assert {k: v for k, v in _table_counts(snt.table, "snt_code").items() if v} == dict(
        Counter(_brute_area(r, "snt_code", NO_SNT) for r in rows)
    )
    assert snt.table.filter(pl.col("area") == NO_SNT)["row_type"].to_list() == ["no_snt"]
    lsoa = area_counts(frame, level="lsoa")
    assert lsoa.table.height == len(_areas_by_csv()) + 2
    assert {k: v for k, v in _table_counts(lsoa.table, "lsoa_code").items() if v} == dict(
        Counter(_brute_area(r, "lsoa_code", "") for r in rows)
    )
    force = area_counts(frame, level="force").table
    assert force["area"].to_list() == ["Derbyshire Constabulary", OUTSIDE_FORCE, NO_LSOA]
    in_force = sum(1 for r in rows if r["LSOA code"] in _areas_by_csv())
    assert force["count"].to_list() == [in_force, len(rows) - in_force, 0]


def test_imd_decile_counts_match_a_csv_count_and_sum_to_the_total() -> None:
    result = area_counts(_sample_frame(), level="imd_decile")
    brute = Counter(_brute_area(r, "imd_decile", NO_IMD) for r in _sample_csv_asb())
    got = _table_counts(result.table, "imd_decile")
    assert {k: v for k, v in got.items() if v} == dict(brute)
    assert result.table["count"].sum() == result.total == len(_sample_csv_asb())
    assert result.table.filter(pl.col("row_type") == "area")["imd_decile"].to_list() == list(
        range(1, 11)
    )


def test_area_counts_by_crime_type_split_every_record() -> None:
    result = area_counts(_sample_frame(), level="lpu", by="crime_type", record_type=None)
    every = [r for _, raw in _sample_bytes() for r in _csv_rows(raw)]
    assert result.total == len(every) == 23_677
    brute = Counter((_brute_area(r, "lpu", ""), r["Crime type"]) for r in every)
    table = result.table
    for (lpu, crime_type), n in brute.items():
        assert table.filter(pl.col("area") == lpu)[crime_type].item() == n
    assert (
        table.select(pl.sum_horizontal(result.categories).alias("s"))["s"].to_list()
        == table["count"].to_list()
    )


def test_area_counts_month_limits_and_months_missing() -> None:
    result = area_counts(_sample_frame(), start_month="2019-01", end_month="2019-02")
    assert result.total == sum(1 for r in _sample_csv_asb() if r["Month"] >= "2019-01")
    longer = area_counts(_sample_frame(), start_month="2018-11", end_month="2019-02")
    assert longer.months_missing == ("2018-11",)
    assert any("2018-11" in n for n in longer.notes)


def test_rates_per_thousand_from_a_population_table() -> None:
    codes = sorted(_areas_by_csv())
    population = pl.DataFrame({"lsoa_code": codes, "population": [1_500] * len(codes)})
    result = area_counts(_sample_frame(), level="lpu", population=population)
    lsoas_per_lpu = Counter(a["lpu"] for a in _areas_by_csv().values())
    brute = Counter(_brute_area(r, "lpu", "") for r in _sample_csv_asb())
    for lpu, n_lsoas in lsoas_per_lpu.items():
        row = result.table.filter(pl.col("area") == lpu).row(0, named=True)
        assert row["population"] == 1_500 * n_lsoas
        assert row["rate_per_1000"] == pytest.approx(brute[lpu] * 1000 / (1_500 * n_lsoas))
    outside = result.table.filter(pl.col("area") == OUTSIDE_FORCE).row(0, named=True)
    assert outside["population"] is None and outside["rate_per_1000"] is None
    # An LSOA without a population leaves its LPU without a rate, and says so.
    first = _areas_by_csv()[codes[0]]["lpu"]
    partial = area_counts(_sample_frame(), level="lpu", population=population.slice(1))
    assert partial.table.filter(pl.col("area") == first)["rate_per_1000"].item() is None
    assert any(codes[0] in n for n in partial.notes)
    deciles = area_counts(_sample_frame(), level="imd_decile", population=population)
    assert deciles.table["population"].drop_nulls().sum() == 1_500 * len(codes)


def test_with_areas_names_border_and_missing_lsoas() -> None:
    rows = pl.DataFrame({"lsoa_code": ["E01013456", "E01025631", "", None]})
    out = with_areas(rows, AreaHierarchy.load())
    assert out["area_status"].to_list() == ["in_force", "outside_force", "no_lsoa", "no_lsoa"]
    assert out["lpu"].to_list() == ["Derby West", OUTSIDE_FORCE, NO_LSOA, NO_LSOA]
    assert out["imd_decile"].to_list() == [1, None, None, None]


# --- period comparisons: seed 003's arithmetic, reproduced -----------------------------------

# Table 5.13 (ASB incidents) and 5.15 (ROCs), excluding Covid, 12 months to Feb 2021 and 2022.
TABLE_5_13 = {"E": (896, 712), "N": (17_914, 20_076), "P": (5_878, 5_361)}
TABLE_5_15 = {"E": (985, 860), "N": (4_911, 4_386), "P": (864, 623)}


def _synthetic(
    spec: dict[str, tuple[int, int]],
    record_type: str,
    first_month: str,
    extra: dict[str, object] | None = None,
) -> pl.DataFrame:
    """Records per category spread over 24 months from ``first_month``: (previous, latest)."""
    start = month_index(first_month)
    parts = []
    for cat, counts in spec.items():
        for half, n in enumerate(counts):
            idx = pl.int_range(0, n, eager=True) % 12 + start + 12 * half
            months = [month_at(i) for i in idx.to_list()]
            parts.append(
                pl.DataFrame(
                    {
                        "month": months,
                        "asb_category": [cat] * n,
                        "record_type": [record_type] * n,
                        "covid": [False] * n,
                    },
                    schema={
                        "month": pl.String,
                        "asb_category": pl.String,
                        "record_type": pl.String,
                        "covid": pl.Boolean,
                    },
                )
            )
    frame = pl.concat(parts)
    return frame.with_columns(**{k: pl.lit(v) for k, v in (extra or {}).items()})


@cache
def _derbyshire_2022() -> pl.DataFrame:
    asb = _synthetic(TABLE_5_13, "asb", "2020-03")
    rocs = _synthetic(TABLE_5_15, "roc", "2020-03")
    # Covid-related reports, crimes, and months outside both periods must all be left out.
    covid = _synthetic({"N": (3_000, 400), "E": (900, 50)}, "asb", "2020-03").with_columns(
        covid=pl.lit(True)
    )
    crimes = _synthetic({"N": (50, 60)}, "crime", "2020-03").with_columns(
        asb_category=pl.lit(None, pl.String)
    )
    older = _synthetic({"P": (700, 0)}, "asb", "2019-03")
    return pl.concat([asb, rocs, covid, crimes, older])


def test_period_compare_reproduces_table_5_13() -> None:
    result = period_compare(_derbyshire_2022(), end_month="2022-02", exclude_covid=True)
    assert result.table.rows() == [
        ("Environmental", 896, 712, -184, -21.0, pytest.approx(-184 / 896 * 100)),
        ("Nuisance", 17_914, 20_076, 2_162, 12.0, pytest.approx(2_162 / 17_914 * 100)),
        ("Personal", 5_878, 5_361, -517, -9.0, pytest.approx(-517 / 5_878 * 100)),
        ("Total", 24_688, 26_149, 1_461, 6.0, pytest.approx(1_461 / 24_688 * 100)),
    ]
    assert result.to_report("ASB Incident (excluding Covid)").rows() == [
        ("Environmental", "896", "712", "-184", "-21%"),
        ("Nuisance", "17,914", "20,076", "2,162", "12%"),
        ("Personal", "5,878", "5,361", "-517", "-9%"),
        ("Total", "24,688", "26,149", "1,461", "6%"),
    ]
    assert result.to_report().columns[1:] == [
        "12 months to Feb 2021",
        "12 months to Feb 2022",
        "Change",
        "% Change",
    ]
    assert (result.previous_period, result.latest_period) == (
        ("2020-03", "2021-02"),
        ("2021-03", "2022-02"),
    )
    assert result.n_covid_excluded == 3_000 + 400 + 900 + 50
    assert result.months_missing == () and result.complete


def test_period_compare_reproduces_table_5_15_for_rocs() -> None:
    result = period_compare(_derbyshire_2022(), record_type="roc", exclude_covid=True)
    assert result.end_month == "2022-02"  # chosen: the data's last month
    assert result.to_report().rows() == [
        ("Environmental", "985", "860", "-125", "-13%"),
        ("Nuisance", "4,911", "4,386", "-525", "-11%"),
        ("Personal", "864", "623", "-241", "-28%"),
        ("Total", "6,760", "5,869", "-891", "-13%"),
    ]


def test_period_compare_with_covid_counts_the_covid_reports() -> None:
    result = period_compare(_derbyshire_2022(), end_month="2022-02")
    assert result.table.row(0)[:3] == ("Environmental", 896 + 900, 712 + 50)
    assert result.table.row(3)[:3] == ("Total", 24_688 + 3_900, 26_149 + 450)
    assert result.n_covid_excluded == 0


# Table 5.19: ASB incidents by force, April 2019 to March 2020 against April 2020 to March 2021.
TABLE_5_19 = {
    "Derbyshire": (29_761, 50_222, 20_461, 69.0),
    "Leicestershire": (12_396, 13_338, 942, 8.0),
    "Lincolnshire": (13_063, 25_667, 12_604, 96.0),
    "Northamptonshire": (17_417, 23_972, 6_555, 38.0),
    "Nottinghamshire": (37_190, 48_206, 11_016, 30.0),
    "East Midlands": (109_827, 161_405, 51_578, 47.0),
}


def test_period_compare_by_force_reproduces_table_5_19() -> None:
    frame = pl.concat(
        _synthetic({"N": counts[:2]}, "asb", "2019-04", {"falls_within": force})
        for force, counts in TABLE_5_19.items()
        if force != "East Midlands"
    )
    result = period_compare(frame, "2021-03", by="falls_within", total_label="East Midlands")
    assert {r[0]: r[1:5] for r in result.table.rows()} == TABLE_5_19
    assert result.to_report().columns[1:3] == ["12 months to Mar 2020", "12 months to Mar 2021"]


def test_period_compare_with_a_lag_compares_the_same_months_a_year_apart() -> None:
    frame = _synthetic({"N": (24, 36)}, "asb", "2020-01")  # 2 a month in 2020, 3 in 2021
    quarter = period_compare(frame, "2021-12", months=3, lag=12)
    assert (quarter.previous_period, quarter.latest_period) == (
        ("2020-10", "2020-12"),
        ("2021-10", "2021-12"),
    )
    assert quarter.table.rows() == [
        ("Nuisance", 6, 9, 3, 50.0, 50.0),
        ("Total", 6, 9, 3, 50.0, 50.0),
    ]
    assert quarter.to_report().columns[1:3] == ["3 months to Dec 2020", "3 months to Dec 2021"]
    adjacent = period_compare(frame, "2021-12", months=3)
    assert adjacent.previous_period == ("2021-07", "2021-09")
    assert adjacent.table.row(-1)[1:3] == (9, 9)


def test_zero_baseline_gives_no_percentage_and_a_note() -> None:
    frame = _synthetic({"E": (0, 5), "N": (10, 10)}, "asb", "2020-01")
    result = period_compare(frame, "2021-12", categories=["P", "E", "N"])
    assert result.table.rows() == [
        ("Personal", 0, 0, 0, None, None),
        ("Environmental", 0, 5, 5, None, None),
        ("Nuisance", 10, 10, 0, 0.0, 0.0),
        ("Total", 10, 15, 5, 50.0, 50.0),
    ]
    assert any("Personal, Environmental" in n and "% change not given" in n for n in result.notes)
    assert result.to_report().row(1) == ("Environmental", "0", "5", "5", "n/a")


def test_period_compare_reports_missing_months() -> None:
    frame = _synthetic({"N": (120, 120)}, "asb", "2020-01").filter(
        ~pl.col("month").is_in(["2020-05", "2021-11"])
    )
    result = period_compare(frame, "2021-12")
    assert result.months_missing == ("2020-05", "2021-11")
    assert not result.complete
    assert result.table.row(-1)[:3] == ("Total", 110, 110)
    assert any("2020-05, 2021-11" in n for n in result.notes)
    # Told that the data covers those months (with no records), the comparison is complete.
    months = [month_at(i) for i in range(month_index("2020-01"), month_index("2021-12") + 1)]
    assert period_compare(frame, "2021-12", coverage=months).complete


def test_period_compare_on_the_real_sample() -> None:
    by_month = Counter(r["Month"] for r in _sample_csv_asb())
    one = period_compare(_sample_frame(), months=1)
    assert one.notes[0].startswith("the data has no ASB category")
    assert one.table.rows()[0][:4] == (
        "Total",
        by_month["2019-01"],
        by_month["2019-02"],
        by_month["2019-02"] - by_month["2019-01"],
    )
    assert one.latest_label == "Feb 2019" and one.complete
    three = period_compare(_sample_frame(), end_month="2019-02", months=3, by=None)
    assert three.months_missing == ("2018-09", "2018-10", "2018-11")
    assert three.table.row(0)[1:3] == (0, sum(by_month.values()))
    assert three.table.row(0)[4] is None


def test_period_compare_by_lpu_after_with_areas() -> None:
    frame = with_areas(_sample_frame())
    result = period_compare(frame, months=1, by="lpu")
    brute = Counter(_brute_area(r, "lpu", "") for r in _sample_csv_asb() if r["Month"] == "2019-02")
    assert {r[0]: r[2] for r in result.table.rows()[:-1] if r[2]} == dict(brute)


def test_year_on_year_by_month() -> None:
    frame = _synthetic({"N": (24, 36), "P": (12, 0)}, "asb", "2020-01")
    result = year_on_year(frame, "2021-12", months=3, by="asb_category")
    rows = (
        result.table.filter(pl.col("month") == "2021-12")
        .select(
            "month_label",
            "previous_month",
            "category",
            "previous",
            "latest",
            "change",
            "pct_change",
        )
        .rows()
    )
    assert rows == [
        ("Dec 2021", "2020-12", "Nuisance", 2, 3, 1, 50.0),
        ("Dec 2021", "2020-12", "Personal", 1, 0, -1, -100.0),
        ("Dec 2021", "2020-12", "Total", 3, 3, 0, 0.0),
    ]
    gappy = frame.filter(pl.col("month") != "2020-11")
    totals = year_on_year(gappy, "2021-12", months=2)
    assert totals.table.select("month", "previous", "latest", "change", "complete").rows() == [
        ("2021-11", None, 3, None, False),
        ("2021-12", 3, 3, 0, True),
    ]
    assert totals.months_missing == ("2020-11",)


# --- shares by force: the five East Midlands forces' real files ---------------------------------


def test_force_share_of_asb_per_force_and_month_matches_a_csv_count(
    shared_police_uk: Path,
) -> None:
    frames, brute_asb, brute_all = [], Counter(), Counter()
    names = {}
    for month in SHARED_MONTHS:
        for force in FORCES:
            path = shared_police_uk / month / f"{month}-{force}-street.csv"
            raw = path.read_bytes()
            frames.append(read_police_uk(path.name, raw).rows)
            for r in _csv_rows(raw):
                names[force] = r["Falls within"]
                brute_all[(force, month)] += 1
                brute_asb[(force, month)] += r["Crime type"] == ASB
    result = force_share(pl.concat(frames), per_month=True, total_label="East Midlands")
    assert result.category == "crime_type" and "crime types" in result.notes[0]
    assert result.record_type is None and result.months_missing == {}
    shares = {
        (f, m): (a, n)
        for f, m, a, n in result.shares.select("force", "month", ASB, "count").iter_rows()
    }
    counts = {
        (f, m): (a, n)
        for f, m, a, n in result.counts.select("force", "month", ASB, "count").iter_rows()
    }

    def pct(part: int, whole: int) -> float:
        return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))

    for force in FORCES:
        for month in SHARED_MONTHS:
            key = (names[force], month)
            assert counts[key] == (brute_asb[(force, month)], brute_all[(force, month)])
            assert shares[key] == (
                pct(brute_asb[(force, month)], brute_all[(force, month)]),
                brute_all[(force, month)],
            )
    for month in SHARED_MONTHS:
        asb = sum(brute_asb[(f, month)] for f in FORCES)
        every = sum(brute_all[(f, month)] for f in FORCES)
        assert counts[("East Midlands", month)] == (asb, every)
        assert shares[("East Midlands", month)] == (pct(asb, every), every)
    # The checked totals in SOURCES.md: ASB over the five months per force.
    totals = {f: sum(brute_asb[(f, m)] for m in SHARED_MONTHS) for f in FORCES}
    assert totals == {
        "derbyshire": 13_931,
        "leicestershire": 4_694,
        "lincolnshire": 5_157,
        "northamptonshire": 7_427,
        "nottinghamshire": 11_282,
    }
    whole = force_share(pl.concat(frames)).counts
    assert dict(whole.select("force", ASB).iter_rows()) == {
        **{names[f]: t for f, t in totals.items()},
        "All forces": sum(totals.values()),
    }


def test_force_share_by_asb_category_in_the_shape_of_table_5_18() -> None:
    # Derbyshire's 5.18 row: 10.1 / 76.0 / 13.9 from 101 / 760 / 139 incidents.
    frame = pl.concat(
        [
            _synthetic(
                {"E": (0, 101), "N": (0, 760), "P": (0, 139)},
                "asb",
                "2020-04",
                {"falls_within": "Derbyshire"},
            ),
            _synthetic(
                {"E": (0, 156), "N": (0, 753), "P": (0, 91)},
                "asb",
                "2020-04",
                {"falls_within": "Leicestershire"},
            ),
            _synthetic(
                {"E": (0, 1), "N": (0, 2)}, "roc", "2020-04", {"falls_within": "Derbyshire"}
            ),
        ]
    )
    result = force_share(frame, total_label="East Midlands")
    assert result.category == "asb_category" and result.record_type == ("asb",)
    assert result.shares.rows() == [
        ("Derbyshire", 10.1, 76.0, 13.9, 1000),
        ("Leicestershire", 15.6, 75.3, 9.1, 1000),
        ("East Midlands", 12.9, 75.7, 11.5, 2000),  # 257, 1513, 230 of 2,000
    ]
    assert result.shares.columns == ["force", "Environmental", "Nuisance", "Personal", "count"]
    lacking = force_share(
        frame.filter((pl.col("falls_within") == "Derbyshire") | (pl.col("month") != "2021-06"))
    )
    assert lacking.months_missing == {"Leicestershire": ("2021-06",)}


# --- helpers, errors and the examples in the docstrings ----------------------------------------


def test_rounding_is_half_away_from_zero_as_the_report() -> None:
    assert tables._pct(1, 8, 0) == (13.0, 12.5)
    assert tables._pct(-1, 8, 0) == (-13.0, -12.5)
    assert tables._pct(-41, 200, 0) == (-21.0, -20.5)
    assert tables._pct(1, 40, 1) == (2.5, 2.5)
    assert tables._pct(5, 0, 0) == (None, None)
    assert month_label("2021-12") == "Dec 2021"


def test_errors_say_what_is_wrong_and_how_to_fix_it() -> None:
    with pytest.raises(ValueError, match=r"row 1 has month '2019-13'; expected YYYY-MM"):
        period_compare(pl.DataFrame({"month": ["2019-01", "2019-13"], "record_type": "asb"}))
    with pytest.raises(ValueError, match="police.uk files do not"):
        period_compare(_sample_frame(), exclude_covid=True)
    with pytest.raises(ValueError, match="no column.*lsoa_code"):
        area_counts(pl.DataFrame({"month": ["2019-01"]}))
    with pytest.raises(ValueError, match="not an area level"):
        area_counts(_sample_frame(), level="ward")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="use with_areas first"):
        period_compare(_sample_frame(), by="lpu")
    with pytest.raises(ValueError, match="must not overlap"):
        period_compare(_sample_frame(), months=3, lag=2)
    with pytest.raises(ValueError, match="record_type=None"):
        period_compare(pl.DataFrame({"month": ["2019-01"]}))


def test_docstring_examples_run() -> None:
    assert doctest.testmod(tables, raise_on_error=False).failed == 0
