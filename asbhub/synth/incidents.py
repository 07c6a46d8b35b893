"""A synthetic force incident export with ground truth: crimes, ASB incidents and records of
contact (ROCs) with exact times, NSIR categories, Covid flags, real places and fictional people.

:func:`generate_force_export` draws incidents between two dates and returns them in the force
export format (docs/force-export.md) together with the truth the export must not carry: which
true person stands behind each person group. :func:`write_force_export_csv` writes the export
as the documented CSV, with numbered person groups, ready for ``asbhub ingest``.

Calibration and assumptions
---------------------------
- **NSIR mix** of ASB incidents: seed 003 table 5.18, Derbyshire: 10.1% Environmental, 76.0%
  Nuisance, 13.9% Personal. ROCs follow table 5.15 (ROCs excluding Covid, 12 months to
  February 2022: 860 Environmental, 4,386 Nuisance, 623 Personal). The category is drawn
  independently of the Covid flag, so the mix holds in every period.
- **Record types**: 40% crime, 50% ASB incident, 10% ROC (an assumption; a force's real mix
  depends on what it exports).
- **Time**: day of week (Friday and Saturday busiest), month of year (summer busiest for ASB)
  and hour of day with an evening peak (18:00 to 22:00) for ASB and ROCs; crimes are flatter.
  A report follows the start of the incident by minutes (exponential, mean 25 minutes, at most
  12 hours). Times are written as UK local time with their UTC offset, so the hour the clocks
  skip and the hour they repeat are never in doubt.
- **Covid**: seed 003 5.3-5.13 (about half of ASB in the 12 months to February 2021 was Covid
  related, about a quarter in the year after, and fewer from May 2021): ASB and ROC rows from
  23 March 2020 to 30 April 2021 are Covid related with probability 0.5, from 1 May 2021 to
  31 December 2021 with probability 0.15, otherwise never. Crimes leave ``covid`` empty.
- **Places**: real data.police.uk points (the bundled Derbyshire sample by default), drawn in
  proportion to how often each point occurs there, with its LSOA and, through the bundled area
  hierarchy, its LPU and SNT. A repeat caller or victim reports most incidents at one place of
  their own (``home_share``), so repeat victims make repeat locations, as in life.
- **People**: from :func:`asbhub.synth.people.generate_people`, so a repeat caller or victim is
  the same true person across several incidents with varied spellings, phone numbers and
  addresses. Callers, victims and witnesses come from one population and suspects from another.
  Values the export format would reject (a date of birth that is not a date, a phone number
  with too few digits, a malformed postcode or email) are normalised or left empty, as a force
  system's own validation would: every row loads.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import polars as pl

from asbhub.domain.dates import LOCAL_TIME_ZONE
from asbhub.synth.people import generate_people

__all__ = [
    "EXPORT_COLUMNS",
    "IncidentSynthConfig",
    "SyntheticExport",
    "generate_force_export",
    "sample_locations",
    "write_force_export_csv",
]

#: Incident columns of the force export, in the documented order (people follow as groups).
EXPORT_COLUMNS = (
    "incident_reference",
    "force",
    "record_type",
    "crime_type",
    "asb_category",
    "closure_code",
    "covid",
    "occurred_from",
    "occurred_to",
    "reported_at",
    "latitude",
    "longitude",
    "easting",
    "northing",
    "location_text",
    "lsoa_code",
    "lpu",
    "snt",
    "thrive_threat",
    "thrive_harm",
    "thrive_risk",
    "thrive_investigation",
    "thrive_vulnerability",
    "thrive_engagement",
    "public_report",
)
PERSON_FIELDS = ("role", "name", "date_of_birth", "phone", "email", "address", "postcode")
_CATEGORY_NAMES = {"E": "Environmental", "N": "Nuisance", "P": "Personal"}
_THRIVE = (
    "thrive_threat",
    "thrive_harm",
    "thrive_risk",
    "thrive_investigation",
    "thrive_vulnerability",
    "thrive_engagement",
)
_PERSON_STRUCT = pl.Struct({f: pl.String for f in PERSON_FIELDS})


@dataclass(frozen=True)
class IncidentSynthConfig:
    """Shapes and rates of the synthetic export; see the module docstring for their sources.

    Attributes
    ----------
    record_types : dict of str to float
        Share of ``crime``, ``asb`` and ``roc`` rows.
    asb_mix, roc_mix : dict of str to float
        NSIR category shares (``E``, ``N``, ``P``) of ASB incidents and of ROCs.
    hour_asb, hour_crime : tuple of 24 floats
        Relative weight of each hour of the day (UK local time).
    weekday : tuple of 7 floats
        Monday to Sunday.
    month_asb : tuple of 12 floats
        January to December, for ASB and ROCs (crimes are flat through the year).
    covid_periods : tuple of (date, date, float)
        First and last day of each period and the chance an ASB or ROC row in it is Covid
        related.
    home_share : float
        Chance that an incident whose first caller or victim appears more than once happens at
        that person's own place.
    force : str
        The ``force`` column.
    """

    record_types: tuple[tuple[str, float], ...] = (("crime", 0.40), ("asb", 0.50), ("roc", 0.10))
    asb_mix: tuple[tuple[str, float], ...] = (("E", 0.101), ("N", 0.760), ("P", 0.139))
    roc_mix: tuple[tuple[str, float], ...] = (
        ("E", 860 / 5869),
        ("N", 4386 / 5869),
        ("P", 623 / 5869),
    )
    hour_asb: tuple[float, ...] = (
        3.0,
        2.2,
        1.5,
        1.0,
        0.7,
        0.6,
        0.8,
        1.2,
        1.8,
        2.3,
        2.7,
        3.0,
        3.3,
        3.5,
        3.8,
        4.3,
        5.0,
        5.8,
        6.8,
        7.4,
        7.6,
        7.0,
        5.8,
        4.2,
    )
    hour_crime: tuple[float, ...] = (
        3.0,
        2.5,
        2.0,
        1.6,
        1.3,
        1.2,
        1.6,
        2.4,
        3.4,
        3.8,
        4.0,
        4.2,
        4.4,
        4.4,
        4.4,
        4.6,
        4.9,
        5.0,
        5.1,
        5.0,
        4.8,
        4.5,
        4.0,
        3.5,
    )
    weekday: tuple[float, ...] = (0.92, 0.92, 0.95, 0.98, 1.12, 1.20, 1.05)
    month_asb: tuple[float, ...] = (
        0.85,
        0.82,
        0.92,
        1.00,
        1.08,
        1.10,
        1.15,
        1.15,
        1.02,
        1.00,
        0.98,
        0.93,
    )
    covid_periods: tuple[tuple[dt.date, dt.date, float], ...] = (
        (dt.date(2020, 3, 23), dt.date(2021, 4, 30), 0.50),
        (dt.date(2021, 5, 1), dt.date(2021, 12, 31), 0.15),
    )
    home_share: float = 0.6
    force: str = "Derbyshire Constabulary"


class SyntheticExport(NamedTuple):
    """What :func:`generate_force_export` returns.

    Attributes
    ----------
    export : polars.DataFrame
        One row per incident, the columns of :data:`EXPORT_COLUMNS` (date-times as UK local
        aware datetimes, coordinates as floats, ``covid`` and ``public_report`` as booleans,
        the rest text) and ``people``, a list of structs with the person fields as text, in
        group order. No ground truth.
    truth : polars.DataFrame
        One row per person group: ``incident_reference``, ``person_number`` (1-based group
        number), ``role``, ``person_id`` and ``household_id`` (the true identity).
    """

    export: pl.DataFrame
    truth: pl.DataFrame


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------


@cache
def _bundled_locations() -> tuple[pl.DataFrame, pl.DataFrame]:
    from asbhub.data import sample_paths
    from asbhub.geo import area_hierarchy
    from asbhub.ingest.police_uk import read_police_uk

    frames = []
    for path in sample_paths():
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                if name.endswith(".csv"):
                    frames.append(read_police_uk(name, zf.read(name)).rows)
    rows = pl.concat(frames).filter(
        pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null()
    )
    areas = area_hierarchy()
    places = (
        rows.group_by("latitude", "longitude", "location", "lsoa_code")
        .agg(pl.len().alias("weight"))
        .sort("latitude", "longitude", "location", "lsoa_code")
    )
    codes = places["lsoa_code"].to_list()
    places = places.with_columns(
        pl.Series("lpu", areas.lpu_for(codes), pl.String),
        pl.Series("snt", areas.snt_for(codes), pl.String),
    )
    places = places.filter(pl.col("lpu").is_not_null()).rename({"location": "location_text"})
    crime_types = (
        rows.filter(pl.col("record_type") == "crime")
        .group_by("crime_type")
        .agg(pl.len().alias("weight"))
        .sort("crime_type")
    )
    return places, crime_types


def sample_locations() -> pl.DataFrame:
    """The distinct points of the bundled data.police.uk sample that lie in the force's LPUs.

    Returns
    -------
    polars.DataFrame
        ``latitude``, ``longitude``, ``location_text`` (e.g. ``On or near Abbey Street``),
        ``lsoa_code``, ``weight`` (rows of the sample at the point), ``lpu``, ``snt``.
    """
    return _bundled_locations()[0]


# --------------------------------------------------------------------------------------------
# People: the raw records made acceptable to the export format
# --------------------------------------------------------------------------------------------

_DOB_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d %b %Y", "%d/%m/%y")
_PHONE_RE = re.compile(r"^\+?[0-9 ().\-]+$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?( ?[0-9][A-Z]{2})?$")


def _iso_dob(value: str | None, today: dt.date) -> str:
    """A date of birth in any of the synthetic formats as ``YYYY-MM-DD``; ``""`` if none."""
    if not value:
        return ""
    for fmt in _DOB_FORMATS:
        try:
            d = dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        if fmt.endswith("%y") and d > today:
            d = d.replace(year=d.year - 100)
        return d.isoformat() if dt.date(1900, 1, 1) <= d <= today else ""
    return ""


def _clean(value: str | None, pattern: re.Pattern[str]) -> str:
    return value if value and pattern.match(value) else ""


def _phone(value: str | None) -> str:
    if not value or not _PHONE_RE.match(value) or len(value) > 40:
        return ""
    digits = sum(ch.isdigit() for ch in value)
    return value if 7 <= digits <= 15 else ""


def _postcode(value: str | None) -> str:
    if not value:
        return ""
    return value if _POSTCODE_RE.match(re.sub(r"\s+", " ", value.upper())) else ""


def _export_people(records: pl.DataFrame) -> list[dict[str, str]]:
    today = dt.date.today()
    out = []
    for r in records.iter_rows(named=True):
        name = " ".join(p for p in (r["first_name"], r["surname"]) if p)
        out.append(
            {
                "name": name,
                "date_of_birth": _iso_dob(r["date_of_birth"], today),
                "phone": _phone(r["phone"]),
                "email": _clean(r["email"], _EMAIL_RE),
                "address": (r["address"] or "").replace("\n", " "),
                "postcode": _postcode(r["postcode"]),
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


def _choice(
    rng: np.random.Generator, pairs: tuple[tuple[str, float], ...], size: int
) -> np.ndarray:
    names = np.array([k for k, _ in pairs], dtype=object)
    p = np.array([w for _, w in pairs], dtype=float)
    return names[rng.choice(len(names), size=size, p=p / p.sum())]


def _local_times(
    rng: np.random.Generator,
    start: dt.date,
    end: dt.date,
    asb: np.ndarray,
    cfg: IncidentSynthConfig,
) -> np.ndarray:
    """Naive UK local start times (datetime64[m]) with the weekly, seasonal and hourly shape."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    w_day = np.asarray(cfg.weekday)[weekday]
    n = asb.size
    out = np.empty(n, dtype="datetime64[m]")
    for is_asb in (True, False):
        idx = np.flatnonzero(asb == is_asb)
        w = w_day * (np.asarray(cfg.month_asb)[month] if is_asb else 1.0)
        day = days[rng.choice(days.size, size=idx.size, p=w / w.sum())]
        hours = np.asarray(cfg.hour_asb if is_asb else cfg.hour_crime, dtype=float)
        hour = rng.choice(24, size=idx.size, p=hours / hours.sum())
        minute = rng.integers(0, 60, size=idx.size)
        out[idx] = day.astype("datetime64[m]") + (hour * 60 + minute).astype("timedelta64[m]")
    return out


def _role_slots(
    rng: np.random.Generator, record_type: np.ndarray, category: np.ndarray
) -> list[list[str]]:
    """The roles of each incident's people, in group order."""
    n = record_type.size
    u = rng.random((n, 4))
    slots: list[list[str]] = []
    for i in range(n):
        rt, cat = record_type[i], category[i]
        if rt == "crime":
            p = (0.05, 0.92, 0.10, 0.35)
        elif rt == "asb":
            p = (0.92, 0.45 if cat == "P" else 0.08, 0.10, 0.20)
        else:
            p = (0.95, 0.05, 0.03, 0.05)
        slots.append(
            [
                role
                for role, pr, x in zip(
                    ("caller", "victim", "witness", "suspect"), p, u[i], strict=True
                )
                if x < pr
            ]
        )
    return slots


def _assign(
    order_incident: np.ndarray, n_slots_per: np.ndarray, person_ids: np.ndarray, rnd: random.Random
) -> np.ndarray:
    """Person of each slot, slots in incident time order, with no person twice in one incident.

    ``person_ids`` are already in the records' time order; a duplicate within an incident is
    swapped with a slot of a later (or earlier) incident that does not hold that person.
    """
    pid = person_ids.copy()
    owner = np.repeat(order_incident, n_slots_per)
    total = pid.size
    bounds = np.r_[0, np.cumsum(n_slots_per)]
    slot_range = {
        int(inc): (int(bounds[k]), int(bounds[k + 1])) for k, inc in enumerate(order_incident)
    }
    for s in range(total):
        lo, hi = slot_range[int(owner[s])]
        if pid[s] not in set(pid[lo:s].tolist()):
            continue
        for _ in range(200):
            j = min(max(s + rnd.randint(-60, 60), 0), total - 1)
            if owner[j] == owner[s]:
                continue
            jlo, jhi = slot_range[int(owner[j])]
            here = set(pid[lo:hi].tolist())
            there = set(pid[jlo:jhi].tolist())
            if pid[j] not in here and pid[s] not in there:
                pid[s], pid[j] = pid[j], pid[s]
                break
    return pid


def generate_force_export(
    start: dt.date,
    end: dt.date,
    seed: int = 0,
    n_incidents: int = 1000,
    locations: pl.DataFrame | None = None,
    *,
    config: IncidentSynthConfig | None = None,
) -> SyntheticExport:
    """Draw a synthetic force incident export with ground truth.

    Parameters
    ----------
    start, end : datetime.date
        First and last day of the incidents (inclusive). ``end`` may not be after today: the
        loader rejects date-times in the future.
    seed : int
        Random seed: the same arguments give the same export.
    n_incidents : int
        Rows (incidents, crimes and ROCs together).
    locations : polars.DataFrame, optional
        Places to put incidents: ``latitude``, ``longitude``, ``location_text``,
        ``lsoa_code``, ``lpu``, ``snt`` and optionally ``weight``. Default:
        :func:`sample_locations`, the real points of the bundled data.police.uk sample.
    config : IncidentSynthConfig, optional

    Returns
    -------
    SyntheticExport
        ``(export, truth)``; the truth is kept out of the export.

    Raises
    ------
    ValueError
        When ``end`` is before ``start`` or after today, or ``n_incidents`` is negative.

    Examples
    --------
    >>> export, truth = generate_force_export(dt.date(2021, 1, 1), dt.date(2021, 3, 31),
    ...                                       seed=1, n_incidents=200)
    >>> export.height, export["incident_reference"].n_unique()
    (200, 200)
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if end > dt.date.today():
        raise ValueError(f"end {end} is in the future: the loader rejects future times")
    if n_incidents < 0:
        raise ValueError(f"n_incidents must be at least 0, got {n_incidents}")
    cfg = config or IncidentSynthConfig()
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    places = sample_locations() if locations is None else locations
    if places.is_empty():
        raise ValueError("no locations to place incidents on")
    if "weight" not in places.columns:
        places = places.with_columns(pl.lit(1.0).alias("weight"))
    crime_types = _bundled_locations()[1]
    n = n_incidents

    record_type = _choice(rng, cfg.record_types, n)
    # numpy's stubs refuse None in np.where, which takes it as an object scalar (a null)
    category = np.where(
        record_type == "asb",
        _choice(rng, cfg.asb_mix, n),
        np.where(record_type == "roc", _choice(rng, cfg.roc_mix, n), None),  # type: ignore[call-overload]
    )
    crime_type = np.where(  # type: ignore[call-overload]
        record_type == "crime", _choice(rng, tuple(crime_types.iter_rows()), n), None
    )

    # Times: naive local start, then local report time; made aware below.
    local = _local_times(rng, start, end, record_type != "crime", cfg)
    order = np.argsort(local, kind="stable")
    local, record_type, category, crime_type = (
        local[order],
        record_type[order],
        category[order],
        crime_type[order],
    )
    delay = np.minimum(rng.exponential(25.0, n), 720).astype(np.int64)
    duration = rng.exponential(40.0, n).astype(np.int64) + 5
    has_to = rng.random(n) < 0.6

    # People: callers, victims and witnesses from one population, suspects from another.
    slots = _role_slots(rng, record_type, category)
    incident_of_slot = np.repeat(np.arange(n), [len(s) for s in slots])
    role_of_slot = np.array([r for s in slots for r in s], dtype=object)
    is_suspect = role_of_slot == "suspect"
    person_id = np.zeros(role_of_slot.size, dtype=np.int64)
    household_id = np.zeros(role_of_slot.size, dtype=np.int64)
    people_rows: list[dict[str, str]] = [{}] * role_of_slot.size
    offset = 0
    for pool, pool_seed in ((~is_suspect, seed), (is_suspect, seed + 104_729)):
        idx = np.flatnonzero(pool)  # already in incident time order
        recs = generate_people(idx.size, seed=pool_seed).sort("recorded_at", "record_id")
        per = np.bincount(incident_of_slot[idx], minlength=n)
        present = np.flatnonzero(per)
        pid = _assign(present, per[present], recs["person_id"].to_numpy() + offset, rnd)
        by_pid = {int(p): k for k, p in enumerate(recs["person_id"].to_numpy() + offset)}
        # Records follow the persons: each slot takes the next unused record of its person.
        queues: dict[int, list[int]] = {}
        for k, p in enumerate(recs["person_id"].to_numpy() + offset):
            queues.setdefault(int(p), []).append(k)
        pick = np.array([queues[int(p)].pop(0) for p in pid], dtype=np.int64)
        del by_pid
        person_id[idx] = pid
        household_id[idx] = recs["household_id"].to_numpy()[pick] + offset
        exported = _export_people(recs[pick.tolist()])
        for k, s in enumerate(idx):
            people_rows[s] = exported[k]
        offset = int(person_id[idx].max()) + 1 if idx.size else offset

    # Places: weighted draw, and a repeat caller or victim mostly at their own place.
    w = places["weight"].cast(pl.Float64).to_numpy()
    place = rng.choice(places.height, size=n, p=w / w.sum())
    first_person = np.full(n, -1, dtype=np.int64)
    for s in np.flatnonzero(~is_suspect)[::-1]:
        first_person[incident_of_slot[s]] = person_id[s]
    victims, counts = np.unique(person_id[~is_suspect], return_counts=True)
    repeaters = set(victims[counts > 1].tolist())
    home = {int(p): int(rng.choice(places.height, p=w / w.sum())) for p in sorted(repeaters)}
    at_home = rng.random(n) < cfg.home_share
    for i in range(n):
        if first_person[i] in repeaters and at_home[i]:
            place[i] = home[int(first_person[i])]
    where = places[place.tolist()]

    covid = np.zeros(n, dtype=bool)
    day = local.astype("datetime64[D]")
    u = rng.random(n)
    for lo, hi, p in cfg.covid_periods:
        inside = (day >= np.datetime64(lo, "D")) & (day <= np.datetime64(hi, "D"))
        covid |= inside & (u < p)
    asb_like = record_type != "crime"

    thrive = {}
    for c in _THRIVE:
        p_hi = 0.12 if c == "thrive_vulnerability" else 0.05
        draw = rng.random(n)
        level = np.where(draw < p_hi, "high", np.where(draw < p_hi + 0.25, "medium", "low"))
        # numpy's stubs refuse None in np.where, which takes it as an object scalar (a null)
        thrive[c] = np.where(rng.random(n) < 0.85, level, None)  # type: ignore[call-overload]
    public = asb_like & (rng.random(n) < 0.08)

    year = (day.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    refs = [f"SYN{seed}-{y:02d}-{i + 1:06d}" for i, y in enumerate(year)]

    def aware(values: np.ndarray, name: str) -> pl.Series:
        s = pl.Series(name, values.astype("datetime64[us]"))
        tz = s.dt.replace_time_zone(LOCAL_TIME_ZONE, ambiguous="earliest", non_existent="null")
        # A time in the hour the clocks skip in March moves on an hour, as a clock would.
        shifted = (s + pl.duration(hours=1)).dt.replace_time_zone(
            LOCAL_TIME_ZONE, ambiguous="earliest", non_existent="null"
        )
        return tz.fill_null(shifted).alias(name)

    bounds = np.r_[0, np.cumsum([len(s) for s in slots])]
    people_lists = [
        [{"role": role_of_slot[s], **people_rows[s]} for s in range(bounds[i], bounds[i + 1])]
        for i in range(n)
    ]
    export = pl.DataFrame(
        {
            "incident_reference": refs,
            "force": [cfg.force] * n,
            "record_type": record_type.astype(str),
            "crime_type": pl.Series(crime_type.tolist(), dtype=pl.String),
            "asb_category": pl.Series([_CATEGORY_NAMES.get(c) for c in category], dtype=pl.String),
            "closure_code": pl.Series([f"AS{c}" if c else None for c in category], dtype=pl.String),
            # numpy's stubs refuse None in np.where, which takes it as an object scalar (a null)
            "covid": pl.Series(np.where(asb_like, covid, None).tolist(), dtype=pl.Boolean),  # type: ignore[call-overload]
            "occurred_from": aware(local, "occurred_from"),
            "latitude": where["latitude"].cast(pl.Float64),
            "longitude": where["longitude"].cast(pl.Float64),
            "easting": pl.Series([None] * n, dtype=pl.Float64),
            "northing": pl.Series([None] * n, dtype=pl.Float64),
            "location_text": where["location_text"].cast(pl.String),
            "lsoa_code": where["lsoa_code"].cast(pl.String),
            "lpu": where["lpu"].cast(pl.String),
            "snt": where["snt"].cast(pl.String),
            **{c: pl.Series(v.tolist(), dtype=pl.String) for c, v in thrive.items()},
            "public_report": public,
            "people": pl.Series(people_lists, dtype=pl.List(_PERSON_STRUCT)),
        }
    )
    # Ends and reports are exact instants after the start, so a change of the clocks between
    # them never puts one before the other.
    start_at = pl.col("occurred_from")
    export = export.with_columns(
        # polars' stubs leave out the Series pl.duration takes (as it does any expression)
        pl.when(pl.Series(has_to))
        .then(start_at + pl.duration(minutes=pl.Series(duration)))  # type: ignore[arg-type]
        .otherwise(None)
        .alias("occurred_to"),
        (start_at + pl.duration(minutes=pl.Series(delay))).alias("reported_at"),  # type: ignore[arg-type]
    ).select(*EXPORT_COLUMNS, "people")
    number = np.arange(role_of_slot.size) - bounds[incident_of_slot] + 1
    truth = pl.DataFrame(
        {
            "incident_reference": pl.Series([refs[i] for i in incident_of_slot], dtype=pl.String),
            "person_number": number.astype(np.int64),
            "role": pl.Series(role_of_slot.tolist(), dtype=pl.String),
            "person_id": person_id,
            "household_id": household_id,
        }
    )
    return SyntheticExport(export, truth)


def write_force_export_csv(export: pl.DataFrame, path: str | Path) -> Path:
    """Write an export as the documented force export CSV (docs/force-export.md).

    Every incident column is written, in the documented order; then one group of seven
    columns (``personN_role`` ... ``personN_postcode``) per person up to the most any row has.
    Date-times are UK local time with their UTC offset, to the minute
    (``2021-01-09T21:40+00:00``); booleans are ``yes`` and ``no``; empty values are empty
    fields.

    Parameters
    ----------
    export : polars.DataFrame
        From :func:`generate_force_export` (its ``export``).
    path : str or Path

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)

    def cell(c: str) -> pl.Expr:
        dtype = export.schema[c]
        col = pl.col(c)
        if isinstance(dtype, pl.Datetime):
            col = col.dt.convert_time_zone(LOCAL_TIME_ZONE).dt.strftime("%Y-%m-%dT%H:%M%:z")
        elif dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("yes")).when(~col).then(pl.lit("no"))
        col = col.cast(pl.String)
        return pl.when(col == "").then(None).otherwise(col).alias(c)

    flat = export.select([cell(c) for c in EXPORT_COLUMNS])
    # Series.max() is typed as any literal; the max of list lengths is an int (or None).
    groups = int(export["people"].list.len().max() or 0) if export.height else 0  # type: ignore[arg-type]
    people = export["people"].to_list()
    extra = {}
    for g in range(groups):
        for f in PERSON_FIELDS:
            extra[f"person{g + 1}_{f}"] = [
                (p[g][f] or None) if g < len(p) else None for p in people
            ]
    if extra:
        flat = flat.hstack(pl.DataFrame(extra, schema={k: pl.String for k in extra}))
    flat.write_csv(path, line_terminator="\n", null_value="")
    return path
