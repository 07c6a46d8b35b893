"""Repeat victims, perpetrators, locations and addresses, and the recall measure, against
brute force (plain Python loops over rows)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from asbhub.analysis.repeats import (
    PERPETRATOR_MIN_COUNT,
    PERPETRATOR_WINDOW_DAYS,
    RepeatPerpetrators,
    address_keys,
    repeat_addresses,
    repeat_locations,
    repeat_perpetrators,
    repeat_victims,
)

AS_OF = dt.date(2021, 6, 30)
SINCE = dt.date(2021, 6, 1)


def _people(seed: int, n: int = 600) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = dt.date(2020, 1, 1)
    inc = rng.integers(0, n // 2, size=n)
    dates = {int(i): start + dt.timedelta(days=int(rng.integers(0, 600))) for i in set(inc)}
    rtype = {int(i): str(rng.choice(["crime", "asb", "roc"])) for i in set(inc)}
    return pl.DataFrame(
        {
            "incident_id": inc,
            "occurred_from": [dates[int(i)] for i in inc],
            "record_type": [rtype[int(i)] for i in inc],
            "role": rng.choice(["caller", "victim", "witness", "suspect"], size=n),
            "person_id": [
                None if x < 0.05 else int(k)
                for x, k in zip(rng.random(n), rng.integers(0, 60, size=n), strict=True)
            ],
        }
    )


def _brute_victims(
    df: pl.DataFrame, as_of: dt.date, window: int, min_count: int
) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for r in df.iter_rows(named=True):
        ok = r["record_type"] in ("crime", "asb") and (
            r["role"] == "victim" or (r["role"] == "caller" and r["record_type"] == "asb")
        )
        days = (as_of - r["occurred_from"]).days
        if ok and r["person_id"] is not None and 0 <= days < window:
            out.setdefault(r["person_id"], set()).add(r["incident_id"])
    return {k: v for k, v in out.items() if len(v) >= min_count}


@pytest.mark.parametrize(("seed", "window", "min_count"), [(1, 365, 2), (2, 90, 2), (3, 365, 4)])
def test_repeat_victims_match_brute_force(seed: int, window: int, min_count: int) -> None:
    df = _people(seed)
    res = repeat_victims(df, window_days=window, min_count=min_count, as_of=AS_OF, since=SINCE)
    now = _brute_victims(df, AS_OF, window, min_count)
    before_all = _brute_victims(df, SINCE, window, 1)
    got = {r["person_key"]: r for r in res.table.iter_rows(named=True)}
    assert set(got) == set(now)
    for k, ids in now.items():
        row = got[k]
        assert row["n_incidents"] == len(ids)
        assert row["incident_ids"] == sorted(ids)
        dates = [d for i, d in df.select("incident_id", "occurred_from").iter_rows() if i in ids]
        assert row["first_date"] == min(dates) and row["last_date"] == max(dates)
        n_before = len(before_all.get(k, ()))
        assert row["n_before"] == n_before
        assert row["new"] == (n_before < min_count)
        assert row["rising"] == (n_before >= min_count and len(ids) > n_before)
    assert res.parameters["window_days"] == window
    assert res.parameters["min_count"] == min_count
    assert res.parameters["as_of"] == AS_OF.isoformat()
    assert res.parameters["since"] == SINCE.isoformat()


def test_repeat_victims_roc_and_witness_do_not_count() -> None:
    d = dt.date(2021, 1, 1)
    df = pl.DataFrame(
        {
            "incident_id": [1, 2, 3, 4],
            "occurred_from": [d] * 4,
            "record_type": ["roc", "crime", "crime", "asb"],
            "role": ["caller", "witness", "caller", "caller"],
            "person_id": [7, 7, 7, 7],
        }
    )
    assert repeat_victims(df, as_of=d).n_repeat == 0
    df2 = df.with_columns(pl.lit("asb").alias("record_type"))
    res = repeat_victims(df2, as_of=d)
    assert res.table["n_incidents"].to_list() == [3]  # the witness still does not count
    assert res.table["new"].to_list() == [True] and res.table["rising"].to_list() == [None]


def _incidents(seed: int, n: int = 300) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 40, size=n)
    east = 430000 + (base % 8) * 35.0 + np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), 0)
    north = 335000 + (base // 8) * 35.0
    start = dt.date(2020, 6, 1)
    return pl.DataFrame(
        {
            "incident_id": np.arange(n),
            "occurred_from": [start + dt.timedelta(days=int(x)) for x in rng.integers(0, 400, n)],
            "record_type": rng.choice(["crime", "asb", "roc"], size=n),
            "easting": [
                None if x < 0.03 else float(e) for x, e in zip(rng.random(n), east, strict=True)
            ],
            "northing": north.astype(float),
        }
    )


def _brute_locations(
    df: pl.DataFrame, as_of: dt.date, window: int, d: float, min_count: int
) -> list[tuple[tuple[float, float], set[int]]]:
    rows = [
        r
        for r in df.iter_rows(named=True)
        if r["record_type"] in ("crime", "asb")
        and r["easting"] is not None
        and 0 <= (as_of - r["occurred_from"]).days < window
    ]
    points = sorted({(r["easting"], r["northing"]) for r in rows})
    near = {
        p: {r["incident_id"] for r in rows if math.dist(p, (r["easting"], r["northing"])) <= d}
        for p in points
    }
    order = sorted(points, key=lambda p: (-len(near[p]), p[0], p[1]))
    chosen: list[tuple[float, float]] = []
    for p in order:
        if len(near[p]) < min_count:
            break
        if all(math.dist(p, c) > d for c in chosen):
            chosen.append(p)
    return [(p, near[p]) for p in chosen]


@pytest.mark.parametrize(
    ("seed", "distance", "min_count"), [(1, 0.0, 3), (2, 0.0, 5), (3, 40.0, 5), (4, 80.0, 8)]
)
def test_repeat_locations_match_brute_force(seed: int, distance: float, min_count: int) -> None:
    df = _incidents(seed)
    res = repeat_locations(df, distance_m=distance, min_count=min_count, as_of=AS_OF, since=SINCE)
    expect = _brute_locations(df, AS_OF, 365, distance, min_count)
    got = res.table
    assert [(e, n) for e, n in got.select("easting", "northing").iter_rows()] == [
        p for p, _ in expect
    ]
    assert [set(x) for x in got["incident_ids"].to_list()] == [ids for _, ids in expect]
    assert got["n_incidents"].to_list() == [len(ids) for _, ids in expect]
    for row, (p, _) in zip(got.iter_rows(named=True), expect, strict=True):
        before = [
            r
            for r in df.iter_rows(named=True)
            if r["record_type"] in ("crime", "asb")
            and r["easting"] is not None
            and 0 <= (SINCE - r["occurred_from"]).days < 365
            and math.dist(p, (r["easting"], r["northing"])) <= distance
        ]
        assert row["n_before"] == len(before)
        assert row["new"] == (len(before) < min_count)
    assert res.parameters["distance_m"] == distance
    assert res.n_without_point == sum(
        1
        for r in df.iter_rows(named=True)
        if r["easting"] is None
        and r["record_type"] in ("crime", "asb")
        and 0 <= (AS_OF - r["occurred_from"]).days < 365
    )


# --------------------------------------------------------------------------------------------
# Repeat perpetrators
# --------------------------------------------------------------------------------------------

PERP_ROLES = ("suspect", "perpetrator")


def _people_with_perpetrators(seed: int, n: int = 800) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    df = _people(seed, n)
    return df.with_columns(
        pl.Series(
            "role",
            rng.choice(
                ["caller", "victim", "witness", "suspect", "perpetrator"],
                size=n,
                p=[0.2, 0.2, 0.1, 0.35, 0.15],
            ),
        )
    )


def _brute_perpetrators(
    df: pl.DataFrame, as_of: dt.date, window: int, min_count: int
) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for r in df.iter_rows(named=True):
        days = (as_of - r["occurred_from"]).days
        if (
            r["role"] in PERP_ROLES
            and r["record_type"] in ("crime", "asb")
            and r["person_id"] is not None
            and 0 <= days < window
        ):
            out.setdefault(r["person_id"], set()).add(r["incident_id"])
    return {k: v for k, v in out.items() if len(v) >= min_count}


@pytest.mark.parametrize(
    ("seed", "window", "min_count"), [(11, 365, 3), (12, 90, 2), (13, 365, 5), (14, 30, 1)]
)
def test_repeat_perpetrators_match_brute_force(seed: int, window: int, min_count: int) -> None:
    df = _people_with_perpetrators(seed)
    res = repeat_perpetrators(df, window_days=window, min_count=min_count, as_of=AS_OF, since=SINCE)
    assert isinstance(res, RepeatPerpetrators)
    now = _brute_perpetrators(df, AS_OF, window, min_count)
    before_all = _brute_perpetrators(df, SINCE, window, 1)
    assert len(now) > 3  # the case is not vacuous
    got = {r["person_key"]: r for r in res.table.iter_rows(named=True)}
    assert set(got) == set(now)
    for k, ids in now.items():
        row = got[k]
        assert row["n_incidents"] == len(ids) and row["incident_ids"] == sorted(ids)
        n_before = len(before_all.get(k, ()))
        assert (row["n_before"], row["new"]) == (n_before, n_before < min_count)
        assert row["rising"] == (n_before >= min_count and len(ids) > n_before)
    assert res.table["n_incidents"].to_list() == sorted(
        res.table["n_incidents"].to_list(), reverse=True
    )
    in_window = [
        r
        for r in df.iter_rows(named=True)
        if r["role"] in PERP_ROLES
        and r["record_type"] in ("crime", "asb")
        and 0 <= (AS_OF - r["occurred_from"]).days < window
    ]
    assert res.n_rows == len(in_window)
    assert res.n_rows_without_key == sum(r["person_id"] is None for r in in_window)


def _rows(*rows: tuple[int, dt.date, str, str, int | None]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=["incident_id", "occurred_from", "record_type", "role", "person_id"],
        orient="row",
    )


def test_repeat_perpetrators_edges_and_defaults() -> None:
    as_of = dt.date(2021, 6, 30)
    df = _rows(
        # person 1: the window is (as_of - 365, as_of]: 2020-06-30 is out, 2020-07-01 is in.
        (1, dt.date(2020, 6, 30), "crime", "suspect", 1),
        (2, dt.date(2020, 7, 1), "crime", "suspect", 1),
        (3, dt.date(2021, 6, 30), "asb", "perpetrator", 1),
        (4, dt.date(2021, 7, 1), "asb", "suspect", 1),  # after as_of
        # person 2: one incident recorded twice, and two incidents on the same day.
        (10, dt.date(2021, 3, 1), "asb", "suspect", 2),
        (10, dt.date(2021, 3, 1), "asb", "suspect", 2),
        (11, dt.date(2021, 3, 1), "asb", "suspect", 2),
        (12, dt.date(2021, 3, 1), "crime", "suspect", 2),
        # person 3: a victim and a ROC do not count; nor do rows with no key.
        (20, dt.date(2021, 1, 1), "crime", "victim", 3),
        (21, dt.date(2021, 1, 2), "roc", "suspect", 3),
        (22, dt.date(2021, 1, 3), "crime", "suspect", 3),
        (23, dt.date(2021, 1, 4), "crime", "suspect", 3),
        (24, dt.date(2021, 1, 5), "crime", "suspect", None),
    )
    res = repeat_perpetrators(df, as_of=as_of)
    assert res.table.select("person_key", "n_incidents").rows() == [(2, 3)]
    assert res.table["incident_ids"].to_list() == [[10, 11, 12]]
    # Person 1 has exactly two in the window (2 and 3), person 3 two (22 and 23).
    two = repeat_perpetrators(df, as_of=as_of, min_count=2)
    assert dict(two.table.select("person_key", "n_incidents").rows()) == {1: 2, 2: 3, 3: 2}
    assert two.table.filter(pl.col("person_key") == 1)["first_date"].to_list() == [
        dt.date(2020, 7, 1)
    ]
    assert res.n_rows_without_key == 1
    assert res.n_rows == 9  # rows 2, 3, four of person 2, 22, 23, 24
    assert res.parameters["window_days"] == PERPETRATOR_WINDOW_DAYS == 365
    assert res.parameters["min_count"] == PERPETRATOR_MIN_COUNT == 3
    assert res.parameters["roles"] == ["suspect (any)", "perpetrator (any)"]
    # The victims' side of the same rows: only person 3's single victim row qualifies.
    assert repeat_victims(df, as_of=as_of, min_count=1).table["person_key"].to_list() == [3]


def test_repeat_perpetrators_missing_column_says_what_is_expected() -> None:
    df = _rows((1, dt.date(2021, 1, 1), "crime", "suspect", 1)).drop("role")
    with pytest.raises(ValueError, match="lack 'role'"):
        repeat_perpetrators(df)
    with pytest.raises(ValueError, match="at least 1"):
        repeat_perpetrators(df.with_columns(pl.lit("suspect").alias("role")), min_count=0)


# --------------------------------------------------------------------------------------------
# Repeat addresses
# --------------------------------------------------------------------------------------------

_STREETS = [
    ("12 Station Road", "DE1 2AB"),
    ("12 station rd.", "de12ab"),
    ("12 STATION ROAD", None),
    ("3 Mill Lane", "S41 7XY"),
    ("3 Mill Lane", "DE7 5QQ"),
    ("3 mill lane", None),
    ("Flat 2, 9 Elm Street", "NG10 1AA"),
    ("flat 2 9 elm st", None),
    ("Flat 3, 9 Elm Street", "NG10 1AA"),
    ("", "DE1 2AB"),
    (None, None),
    ("40 Birch Avenue", None),
]


def _mini_address(text: str | None) -> str | None:
    """An independent normaliser, enough for the addresses above."""
    if not text:
        return None
    words = "".join(ch if ch.isalnum() or ch == " " else " " for ch in text.lower()).split()
    short = {"road": "rd", "street": "st", "lane": "ln", "avenue": "ave"}
    return " ".join(short.get(w, w) for w in words) or None


def _mini_postcode(text: str | None) -> str | None:
    if not text:
        return None
    t = text.replace(" ", "").upper()
    return f"{t[:-3]} {t[-3:]}"


def _brute_address_keys(pairs: list[tuple[str | None, str | None]]) -> list[str | None]:
    norm = [(_mini_address(a), _mini_postcode(p)) for a, p in pairs]
    codes: dict[str, set[str]] = {}
    for a, p in norm:
        if a and p:
            codes.setdefault(a, set()).add(p)
    out: list[str | None] = []
    for a, p in norm:
        if a is None:
            out.append(None)
        elif p is None and len(codes.get(a, ())) == 1:
            out.append(f"{a}|{next(iter(codes[a]))}")
        else:
            out.append(f"{a}|{p}" if p else a)
    return out


@pytest.mark.parametrize(
    ("seed", "window", "min_count"), [(21, 365, 3), (22, 120, 2), (23, 365, 6)]
)
def test_repeat_addresses_match_brute_force(seed: int, window: int, min_count: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    pick = rng.integers(0, len(_STREETS), size=n)
    start = dt.date(2020, 3, 1)
    df = pl.DataFrame(
        {
            "incident_id": np.arange(n),
            "occurred_from": [start + dt.timedelta(days=int(x)) for x in rng.integers(0, 520, n)],
            "record_type": rng.choice(["crime", "asb", "roc"], size=n),
            "location_text": [_STREETS[i][0] for i in pick],
            "postcode": [_STREETS[i][1] for i in pick],
        }
    )
    keys = _brute_address_keys(list(zip(df["location_text"], df["postcode"], strict=True)))
    assert address_keys(df["location_text"], df["postcode"])["address_key"].to_list() == keys
    res = repeat_addresses(df, window_days=window, min_count=min_count, as_of=AS_OF, since=SINCE)

    def brute(as_of: dt.date, at_least: int) -> dict[str, set[int]]:
        out: dict[str, set[int]] = {}
        for r, k in zip(df.iter_rows(named=True), keys, strict=True):
            if k and r["record_type"] != "roc" and 0 <= (as_of - r["occurred_from"]).days < window:
                out.setdefault(k, set()).add(r["incident_id"])
        return {k: v for k, v in out.items() if len(v) >= at_least}

    now, before = brute(AS_OF, min_count), brute(SINCE, 1)
    assert len(now) >= 2
    got = {r["address_key"]: r for r in res.table.iter_rows(named=True)}
    assert set(got) == set(now)
    for k, ids in now.items():
        assert got[k]["incident_ids"] == sorted(ids)
        assert got[k]["n_before"] == len(before.get(k, ()))
        assert got[k]["new"] == (len(before.get(k, ())) < min_count)
    # "3 Mill Lane" has two postcodes: its rows without one stay on their own key.
    assert "3 mill ln|S41 7XY" in keys and "3 mill ln" in keys
    # "12 STATION ROAD" without a postcode joins the only postcode its address has.
    assert {k for i, k in zip(pick, keys, strict=True) if i == 2} == {"12 station rd|DE1 2AB"}
    in_window = [
        (r, k)
        for r, k in zip(df.iter_rows(named=True), keys, strict=True)
        if r["record_type"] != "roc" and 0 <= (AS_OF - r["occurred_from"]).days < window
    ]
    assert res.n_without_address == sum(k is None for _, k in in_window)
    assert res.n_incidents_used == sum(k is not None for _, k in in_window)
    assert res.parameters["postcode_column"] == "postcode"


def test_address_keys_fill_the_only_postcode() -> None:
    keys = address_keys(
        pl.Series(
            [
                "12 STATION ROAD",
                "12 Station Rd",
                "3 Mill Lane",
                "3 Mill Lane",
                "3 mill lane",
                "",
                "7 Oak Close",
            ]
        ),
        pl.Series([None, "de1 2ab", "S41 7XY", "DE7 5QQ", None, "DE1 2AB", None]),
    )
    assert keys.rows() == [
        ("12 station rd|DE1 2AB", True),
        ("12 station rd|DE1 2AB", False),
        ("3 mill ln|S41 7XY", False),
        ("3 mill ln|DE7 5QQ", False),
        ("3 mill ln", False),
        (None, False),
        ("7 oak cl", False),
    ]
    # Without a postcode column the text alone is the key.
    res = repeat_addresses(
        pl.DataFrame(
            {
                "incident_id": [1, 2, 3],
                "occurred_from": ["2021-01-01", "2021-02-01", "2021-03-01"],
                "record_type": ["asb", "crime", "asb"],
                "location_text": [
                    "On or near Abbey Street",
                    "on or near abbey st.",
                    "On or near X",
                ],
            }
        ),
        min_count=2,
    )
    assert res.table.select("address_key", "n_incidents", "address").rows() == [
        ("on or near abbey st", 2, "on or near abbey st.")
    ]
    assert res.parameters["postcode_column"] is None and res.n_postcode_filled == 0


def test_the_repeat_results_share_one_base() -> None:
    """Issue #11: RepeatVictims, RepeatPerpetrators, RepeatAddresses and RepeatLocations stand
    on RepeatResult, which gives n_repeat, new_or_rising and the window's parameters."""
    import datetime as dt

    from asbhub.analysis import (
        RepeatAddresses,
        RepeatLocations,
        RepeatPerpetrators,
        RepeatResult,
        RepeatVictims,
    )

    table = pl.DataFrame({"new": [True, False, False], "rising": [False, True, False]})
    common = dict(
        window_days=365, min_count=3, as_of=dt.date(2024, 3, 1), since=dt.date(2024, 2, 28)
    )
    made = [
        RepeatVictims(
            table,
            "interim",
            **common,
            record_types=("asb",),
            roles=(("victim", None),),
            n_rows=9,
            n_rows_without_key=1,
        ),
        RepeatPerpetrators(
            table,
            "interim",
            **common,
            record_types=("asb",),
            roles=(),
            n_rows=9,
            n_rows_without_key=0,
        ),
        RepeatAddresses(
            table,
            "address",
            None,
            **common,
            record_types=("asb",),
            n_incidents_used=9,
            n_without_address=0,
            n_postcode_filled=0,
        ),
        RepeatLocations(
            table, 50.0, **common, record_types=("asb",), n_incidents_used=9, n_without_point=0
        ),
    ]
    for result in made:
        assert isinstance(result, RepeatResult)
        assert result.n_repeat == 3 and result.new_or_rising().height == 2
        assert {k: result.parameters[k] for k in ("window_days", "as_of", "since")} == {
            "window_days": 365,
            "as_of": "2024-03-01",
            "since": "2024-02-28",
        }
    assert list(made[0].parameters) == [
        "person_key",
        "window_days",
        "min_count",
        "as_of",
        "since",
        "record_types",
        "roles",
    ]
    assert list(made[2].parameters)[:2] == ["address_column", "postcode_column"]
    assert list(made[3].parameters)[0] == "distance_m"
    no_since = RepeatLocations(table, 50.0, 365, 3, dt.date(2024, 3, 1), None, ("asb",), 9, 0)
    assert no_since.new_or_rising().height == 3 and no_since.parameters["since"] is None
