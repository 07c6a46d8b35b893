"""Synthetic person records with ground truth: who is who across incidents, records of contact
(ROCs) and partner records.

:func:`generate_people` draws fictional people in households, gives each a history of addresses
and phone numbers, and writes one record per contact with the variation real force data has:
typos (keyboard-adjacent substitution, deletion, transposition, doubling), nicknames (``Bob``
for ``Robert``), first name and surname swapped, missing fields, UK phone and postcode formats,
dates of birth in several formats and with typos, moves of address, and surname changes. Most
people appear once; a heavy tail appears many times (a power law, as repeat callers do).
Household members share a surname, an address and sometimes a landline: the hard negatives a
linkage must not merge, with a few twins and a few sons named after their fathers.

Fictional by construction
-------------------------
- Names are common UK names from bundled lists (``asbhub/synth/data``); combinations are random.
- Phone numbers come first from Ofcom's ranges reserved for drama (07700 900000-900999, 01632
  960000-960999, 0113/0114/0115/0116/0117/0118/0121/0131/0141/0151/0161 496 0000-0999,
  0191 498 0000-0999, 020 7946 0000-0999: about 15,000 numbers), enough for a few thousand
  people. Larger populations need more, so the rest are drawn from the 01632 code, which Ofcom
  keeps for fiction and has never given to a real area (only 01632 960xxx is formally listed as
  a drama range): such numbers are well formed but cannot be anyone's. Hence at scale most
  phones are in the 01632 format; the mobile formats (07700 900xxx, ``+44 7700 900xxx``)
  appear for the 1,000 drama mobiles.
- Email domains are ``example.com``, ``example.org`` and ``example.net`` (reserved by RFC 2606).
- Addresses use real Derbyshire towns and postcode districts with generated streets and inward
  codes, so a full address is not a real delivery point.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import polars as pl

__all__ = ["SynthConfig", "generate_people", "repeat_count_distribution"]

#: Columns of :func:`generate_people`'s frame, in order.
COLUMNS = (
    "record_id",
    "person_id",
    "household_id",
    "source",
    "recorded_at",
    "first_name",
    "surname",
    "date_of_birth",
    "address",
    "postcode",
    "phone",
    "email",
)


@dataclass(frozen=True)
class SynthConfig:
    """Rates and shapes of the synthetic population. Every rate is per record unless named
    per person or per household.

    Attributes
    ----------
    repeat_alpha, repeat_max : float, int
        Records per person follow P(k) proportional to ``k ** -repeat_alpha`` for
        ``k = 1 .. repeat_max``: with 2.5 about three in four people appear once and a few
        appear dozens of times.
    household_sizes : tuple of float
        Share of households with 1, 2, 3, 4 and 5 people.
    """

    repeat_alpha: float = 2.5
    repeat_max: int = 100
    household_sizes: tuple[float, ...] = (0.30, 0.34, 0.16, 0.13, 0.07)
    own_surname_in_household: float = 0.15  # per person: not the household surname
    twins: float = 0.02  # per child: same birth date as the previous child
    junior: float = 0.02  # per son: named after his father (less usual in the UK than the US)
    mobile: float = 0.80  # per person: has a phone of their own
    new_mobile: float = 0.12  # per person: changes number during the period
    landline: float = 0.30  # per household
    email: float = 0.45  # per person
    moves: float = 0.30  # per household: moves once (and again at the same rate)
    surname_change: float = 0.02  # per woman: changes surname during the period
    first_name_nickname: float = 0.12
    first_name_typo: float = 0.05
    first_name_initial: float = 0.01
    surname_typo: float = 0.05
    names_swapped: float = 0.02
    first_name_missing: float = 0.02
    surname_missing: float = 0.02
    dob_missing: float = 0.12
    dob_typo: float = 0.03
    dob_day_month_swapped: float = 0.01
    address_missing: float = 0.08
    address_typo: float = 0.03
    postcode_missing: float = 0.08
    postcode_typo: float = 0.02
    phone_given: float = 0.65  # when the person has a phone
    phone_typo: float = 0.02
    email_given: float = 0.50  # when the person has an email
    email_typo: float = 0.02
    upper_case: float = 0.15  # names written in capitals (more often in partner records)
    period: tuple[dt.date, dt.date] = (dt.date(2019, 1, 1), dt.date(2025, 12, 31))


# --------------------------------------------------------------------------------------------
# Bundled lists
# --------------------------------------------------------------------------------------------


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("asbhub.synth").joinpath("data", name).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


@dataclass(frozen=True)
class _Lists:
    first_names: pl.DataFrame  # name, sex, era, weight
    surnames: list[str]
    surname_weights: np.ndarray
    towns: list[str]
    districts: list[str]
    district_weights: np.ndarray
    stems: list[str]
    stem_weights: np.ndarray
    street_types: list[str]
    street_type_weights: np.ndarray
    nicknames: dict[str, list[str]]  # canonical (lower) -> variants (lower)


_RARE_PREFIXES = (
    "Ash",
    "Black",
    "Brad",
    "Brook",
    "Cal",
    "Dun",
    "Fair",
    "Hart",
    "Hol",
    "Kings",
    "Lang",
    "Mar",
    "North",
    "Pen",
    "Ray",
    "Shel",
    "Thorn",
    "Wal",
    "West",
    "Whit",
    "Wood",
    "Alder",
    "Bram",
    "Crow",
    "Elder",
    "Fern",
    "Gold",
    "Har",
    "Lin",
    "Mill",
    "Oak",
    "Red",
    "Stan",
    "Sum",
    "Ten",
    "Up",
    "Wyn",
    "Yar",
)
_RARE_SUFFIXES = (
    "ley",
    "ton",
    "ford",
    "field",
    "well",
    "wood",
    "by",
    "croft",
    "worth",
    "ham",
    "shaw",
    "bridge",
    "cott",
    "den",
    "hurst",
    "more",
    "stone",
    "wick",
    "sall",
    "ridge",
)
# Share of people whose surname is outside the common list: real populations have a long tail
# of rare surnames, which the bundled 540 cannot show alone.
_RARE_SURNAME_SHARE = 0.35


@cache
def _lists() -> _Lists:
    from asbhub.linkage.normalise import nickname_table

    first = pl.DataFrame(_read_csv("first_names.csv")).with_columns(
        pl.col("weight").cast(pl.Float64)
    )
    sur = _read_csv("surnames.csv")
    common = [r["name"] for r in sur]
    common_w = np.array([float(r["weight"]) for r in sur])
    rare = sorted({p + s for p in _RARE_PREFIXES for s in _RARE_SUFFIXES} - set(common))
    common_w = common_w / common_w.sum() * (1 - _RARE_SURNAME_SHARE)
    rare_w = np.full(len(rare), _RARE_SURNAME_SHARE / len(rare))
    places = _read_csv("places.csv")
    streets = _read_csv("streets.csv")
    stems = [r for r in streets if r["kind"] == "stem"]
    types = [r for r in streets if r["kind"] == "type"]
    variants: dict[str, list[str]] = {}
    for variant, canonical in nickname_table().items():
        variants.setdefault(canonical, []).append(variant)
    return _Lists(
        first_names=first,
        surnames=common + rare,
        surname_weights=np.concatenate([common_w, rare_w]),
        towns=[r["town"] for r in places],
        districts=[r["district"] for r in places],
        district_weights=_norm([float(r["weight"]) for r in places]),
        stems=[r["name"] for r in stems],
        stem_weights=_norm([float(r["weight"]) for r in stems]),
        street_types=[r["name"] for r in types],
        street_type_weights=_norm([float(r["weight"]) for r in types]),
        nicknames={k: sorted(v) for k, v in variants.items()},
    )


def _norm(w: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(w, dtype=float)
    return a / a.sum()


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------

# Ofcom drama ranges: (area code, local-number prefix). Each holds 1,000 numbers.
_DRAMA_RANGES = (
    ("07700", "900"),
    ("01632", "960"),
    ("0113", "4960"),
    ("0114", "4960"),
    ("0115", "4960"),
    ("0116", "4960"),
    ("0117", "4960"),
    ("0118", "4960"),
    ("0121", "4960"),
    ("0131", "4960"),
    ("0141", "4960"),
    ("0151", "4960"),
    ("0161", "4960"),
    ("0191", "4980"),
    ("020", "79460"),
)


def _phone_pool(k: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """``k`` numbers as (area code, local number): the drama ranges, shuffled, then 01632
    numbers outside 960xxx, all distinct while the 01632 code lasts (about 1,000,000 numbers;
    beyond that numbers repeat, shared by unrelated people)."""
    drama = [(area, f"{pre}{i:03d}") for area, pre in _DRAMA_RANGES for i in range(1000)]
    order = rng.permutation(len(drama))
    areas = [drama[i][0] for i in order[:k]]
    locals_ = [drama[i][1] for i in order[:k]]
    extra = k - len(areas)
    if extra > 0:
        pool = np.setdiff1d(np.arange(1_000_000), np.arange(960_000, 961_000))
        picks = rng.choice(pool, size=extra, replace=extra > len(pool))
        areas += ["01632"] * extra
        locals_ += [f"{p:06d}" for p in picks]
    return areas, locals_


def _format_phones(area: pl.Expr, local: pl.Expr, style: pl.Expr) -> pl.Expr:
    """UK phone formats people and systems write, chosen per record by ``style`` (0-7)."""
    trunk = area.str.slice(1)  # without the leading 0
    split_local = (
        pl.when(local.str.len_chars() == 8)
        .then(pl.concat_str([local.str.slice(0, 4), local.str.slice(4)], separator=" "))
        .otherwise(local)
    )
    return (
        pl.when(style == 0)
        .then(pl.concat_str([area, split_local], separator=" "))
        .when(style == 1)
        .then(pl.concat_str([area, local]))
        .when(style == 2)
        .then(pl.concat_str([pl.lit("+44"), trunk, split_local], separator=" "))
        .when(style == 3)
        .then(pl.concat_str([pl.lit("+44"), trunk, local]))
        .when(style == 4)
        .then(pl.concat_str([pl.lit("+44 (0)"), trunk, pl.lit(" "), split_local]))
        .when(style == 5)
        .then(pl.concat_str([pl.lit("("), area, pl.lit(") "), split_local]))
        .when(style == 6)
        .then(pl.concat_str([pl.lit("0044 "), trunk, pl.lit(" "), local]))
        .otherwise(pl.concat_str([area, local], separator="-"))
    )


# --------------------------------------------------------------------------------------------
# Typos
# --------------------------------------------------------------------------------------------

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_DIGIT_ROW = "1234567890"


@cache
def _adjacent() -> dict[str, str]:
    adj: dict[str, str] = {}
    rows = _KEYBOARD_ROWS
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            near = []
            for dr in (-1, 0, 1):
                rr = r + dr
                if 0 <= rr < len(rows):
                    for dc in (-1, 0, 1):
                        cc = c + dc
                        if (dr, dc) != (0, 0) and 0 <= cc < len(rows[rr]):
                            near.append(rows[rr][cc])
            adj[ch] = "".join(near)
    for i, d in enumerate(_DIGIT_ROW):
        adj[d] = _DIGIT_ROW[max(0, i - 1) : i] + _DIGIT_ROW[i + 1 : i + 2]
    return adj


def typo(text: str, rnd: random.Random) -> str:
    """One keyboard typo: an adjacent-key substitution, a deletion, a transposition of two
    neighbouring characters or a doubled character. Case is kept for substituted letters."""
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    if len(positions) < 2:
        return text
    i = rnd.choice(positions)
    op = rnd.random()
    if op < 0.4:
        ch = text[i]
        near = _adjacent().get(ch.lower(), "")
        if not near:
            return text
        new = rnd.choice(near)
        new = new.upper() if ch.isupper() else new
        return text[:i] + new + text[i + 1 :]
    if op < 0.6:
        return text[:i] + text[i + 1 :]
    if op < 0.8:
        j = i + 1 if i + 1 < len(text) and text[i + 1].isalnum() else i - 1
        if j < 0 or not text[j].isalnum():
            return text
        a, b = sorted((i, j))
        return text[:a] + text[b] + text[a] + text[b + 1 :]
    return text[:i] + text[i] + text[i:]


def _typos(values: list[str | None], mask: np.ndarray, rnd: random.Random) -> list[str | None]:
    out = list(values)
    for i in np.flatnonzero(mask):
        v = out[i]
        if v:
            out[i] = typo(v, rnd)
    return out


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


def repeat_count_distribution(alpha: float = 2.5, k_max: int = 100) -> np.ndarray:
    """P(a person has k records) for k = 1..k_max: a truncated power law ``k ** -alpha``.

    Returns
    -------
    ndarray of float, shape (k_max,)
        Entry ``k - 1`` is P(k).
    """
    k = np.arange(1, k_max + 1, dtype=float)
    return _norm(k**-alpha)


def _dates_between(rng: np.random.Generator, start: dt.date, end: dt.date, size: int) -> np.ndarray:
    lo = np.datetime64(start, "D").astype(np.int64)
    hi = np.datetime64(end, "D").astype(np.int64)
    return rng.integers(lo, hi + 1, size=size).astype("datetime64[D]")


def generate_people(n: int, seed: int = 0, *, config: SynthConfig | None = None) -> pl.DataFrame:
    """Generate ``n`` synthetic person records with ground truth.

    Parameters
    ----------
    n : int
        Number of records (contacts), not people.
    seed : int
        Random seed: the same ``(n, seed, config)`` gives the same frame.
    config : SynthConfig, optional
        Rates of variation; defaults are calibrated to look like force data.

    Returns
    -------
    polars.DataFrame
        Columns ``record_id`` (0..n-1), ``person_id`` and ``household_id`` (ground truth),
        ``source`` (``incident``, ``roc`` or ``partner``), ``recorded_at`` (date), then the raw
        fields as a force system would hold them: ``first_name``, ``surname``,
        ``date_of_birth``, ``address``, ``postcode``, ``phone``, ``email`` (strings, null when
        not recorded). Records are in time order.

    Examples
    --------
    >>> df = generate_people(1000, seed=1)
    >>> df.height, df["person_id"].n_unique() < 1000
    (1000, True)
    """
    if n < 0:
        raise ValueError(f"n must be at least 0, got {n}")
    cfg = config or SynthConfig()
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    lists = _lists()
    if n == 0:
        return pl.DataFrame(
            schema={
                c: (pl.Int64 if c.endswith("_id") else pl.Date if c == "recorded_at" else pl.String)
                for c in COLUMNS
            }
        )

    # People and how many records each has.
    p_k = repeat_count_distribution(cfg.repeat_alpha, cfg.repeat_max)
    mean_k = float((np.arange(1, len(p_k) + 1) * p_k).sum())
    n_people = int(n / mean_k * 1.3) + 10
    counts = rng.choice(np.arange(1, len(p_k) + 1), size=n_people, p=p_k)
    cum = np.cumsum(counts)
    n_people = int(np.searchsorted(cum, n) + 1)
    counts = counts[:n_people].copy()
    counts[-1] -= int(cum[n_people - 1] - n)

    people = _people(n_people, cfg, rng, lists)
    # Series.max() is typed as any literal; household_id is an Int64 column of n_people > 0 rows.
    households = _households(int(people["household_id"].max()) + 1, cfg, rng, lists)  # type: ignore[arg-type]
    records = _records(counts, people, households, cfg, rng, rnd, lists)
    return records.select(COLUMNS)


def _people(
    n_people: int, cfg: SynthConfig, rng: np.random.Generator, lists: _Lists
) -> pl.DataFrame:
    sizes = rng.choice(
        np.arange(1, len(cfg.household_sizes) + 1), size=n_people, p=_norm(cfg.household_sizes)
    )
    household = np.repeat(np.arange(n_people), sizes)[:n_people]
    # Position within household: 0 and 1 are adults, 2+ are children.
    first_of = np.r_[0, np.flatnonzero(np.diff(household)) + 1]
    starts = np.repeat(first_of, np.diff(np.r_[first_of, n_people]))
    position = np.arange(n_people) - starts

    head_dob = _dates_between(rng, dt.date(1940, 1, 1), dt.date(2004, 12, 31), n_people)
    head_dob_h = head_dob[starts]
    partner_dob = head_dob_h + rng.integers(-6 * 365, 6 * 365, size=n_people).astype(
        "timedelta64[D]"
    )
    # Children are born 18 to 42 years after the head, and before the period ends; a head too
    # young for that shares the house with another adult instead.
    # The youngest people in the records are about ten.
    latest = np.datetime64(cfg.period[1] - dt.timedelta(days=10 * 365), "D")
    earliest_child = head_dob_h + np.timedelta64(18 * 365, "D")
    span = np.clip((latest - earliest_child).astype(np.int64), 0, 24 * 365)
    child_dob = earliest_child + (rng.random(n_people) * span).astype("timedelta64[D]")
    child_dob = np.where(span > 30, child_dob, head_dob[::-1])
    dob = np.where(position == 0, head_dob, np.where(position == 1, partner_dob, child_dob))
    dob = np.minimum(dob, latest)
    twin = (position >= 3) & (rng.random(n_people) < cfg.twins)
    dob = np.where(twin, np.roll(dob, 1), dob)

    sex = np.where(
        position == 0, rng.choice(["M", "F"], size=n_people), rng.choice(["M", "F"], size=n_people)
    )
    # Partners are mostly of the other sex.
    head_sex = sex[starts]
    sex = np.where(
        (position == 1) & (rng.random(n_people) < 0.9), np.where(head_sex == "M", "F", "M"), sex
    )
    year = dob.astype("datetime64[Y]").astype(int) + 1970
    era = np.where(year < 1960, "old", np.where(year < 1990, "mid", "young"))
    first = _draw_first_names(sex, era, rng, lists)
    # Sons named after their father (the household head, when a man): a classic hard negative.
    junior = (
        (position >= 2) & (sex == "M") & (head_sex == "M") & (rng.random(n_people) < cfg.junior)
    )
    first = np.where(junior, first[starts], first)
    # Twins get different first names (redrawn until different).
    for i in np.flatnonzero(twin):
        while first[i] == first[i - 1]:
            first[i] = _draw_first_names(sex[i : i + 1], era[i : i + 1], rng, lists)[0]

    surname_h = rng.choice(len(lists.surnames), size=n_people, p=lists.surname_weights)
    own = rng.choice(len(lists.surnames), size=n_people, p=lists.surname_weights)
    surname_idx = np.where(
        rng.random(n_people) < cfg.own_surname_in_household, own, surname_h[starts]
    )
    surname = np.array(lists.surnames, dtype=object)[surname_idx]

    married = (sex == "F") & (position <= 1) & (rng.random(n_people) < cfg.surname_change)
    new_surname = np.array(lists.surnames, dtype=object)[
        rng.choice(len(lists.surnames), size=n_people, p=lists.surname_weights)
    ]
    change_at = _dates_between(rng, *cfg.period, n_people)

    has_mobile = rng.random(n_people) < cfg.mobile
    has_email = rng.random(n_people) < cfg.email
    return pl.DataFrame(
        {
            "person_id": np.arange(n_people, dtype=np.int64),
            "household_id": household.astype(np.int64),
            "sex": sex,
            "first_name": first.astype(str),
            "surname": surname.astype(str),
            "dob": dob.astype("datetime64[D]"),
            # numpy's stubs refuse None in np.where, which takes it as an object scalar (a null)
            "new_surname": np.where(married, new_surname, None),  # type: ignore[call-overload]
            "surname_change_at": change_at,
            "has_mobile": has_mobile,
            "new_mobile": has_mobile & (rng.random(n_people) < cfg.new_mobile),
            "mobile_change_at": _dates_between(rng, *cfg.period, n_people),
            "has_email": has_email,
            "email_style": rng.integers(0, 5, size=n_people),
            "email_domain": rng.choice(
                [
                    "example.com",
                    "example.org",
                    "example.net",
                    "mail.example.com",
                    "post.example.net",
                ],
                size=n_people,
            ),
            "email_number": rng.integers(1, 99, size=n_people),
        }
    )


def _draw_first_names(
    sex: np.ndarray, era: np.ndarray, rng: np.random.Generator, lists: _Lists
) -> np.ndarray:
    names = lists.first_names
    out = np.empty(len(sex), dtype=object)
    for s in ("M", "F"):
        for e in ("old", "mid", "young"):
            mask = (sex == s) & (era == e)
            k = int(mask.sum())
            if not k:
                continue
            pool = names.filter((pl.col("sex") == s) & pl.col("era").is_in(["any", e, "other"]))
            w = pool["weight"].to_numpy() * np.where(pool["era"].to_numpy() == e, 2.0, 1.0)
            out[mask] = rng.choice(pool["name"].to_numpy(), size=k, p=_norm(w))
    return out


def _households(
    n_households: int, cfg: SynthConfig, rng: np.random.Generator, lists: _Lists
) -> pl.DataFrame:
    """Each household's addresses (up to three, with move dates) and landline."""
    n_postcodes = max(50, n_households // 6)
    district = rng.choice(len(lists.districts), size=n_postcodes, p=lists.district_weights)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    pc = [
        f"{lists.districts[d]} {s}{a}{b}"
        for d, s, a, b in zip(
            district,
            rng.integers(0, 10, n_postcodes),
            rng.choice(letters, n_postcodes),
            rng.choice(letters, n_postcodes),
            strict=True,
        )
    ]
    street = [
        f"{lists.stems[s]} {lists.street_types[t]}"
        for s, t in zip(
            rng.choice(len(lists.stems), n_postcodes, p=lists.stem_weights),
            rng.choice(len(lists.street_types), n_postcodes, p=lists.street_type_weights),
            strict=True,
        )
    ]
    town = [lists.towns[d] for d in district]

    def addresses(size: int) -> tuple[list[str], list[str], list[str]]:
        which = rng.integers(0, n_postcodes, size=size)
        number = rng.integers(1, 160, size=size)
        flat = rng.random(size) < 0.12
        flat_no = rng.integers(1, 12, size=size)
        line = [
            (f"Flat {f} " if is_flat else "") + f"{no} {street[w]}"
            for w, no, is_flat, f in zip(which, number, flat, flat_no, strict=True)
        ]
        return line, [town[w] for w in which], [pc[w] for w in which]

    cols: dict[str, object] = {"household_id": np.arange(n_households, dtype=np.int64)}
    for k in range(3):
        line, t, p = addresses(n_households)
        cols[f"address_{k}"] = line
        cols[f"town_{k}"] = t
        cols[f"postcode_{k}"] = p
    move1 = rng.random(n_households) < cfg.moves
    move2 = move1 & (rng.random(n_households) < cfg.moves)
    d1 = _dates_between(rng, *cfg.period, n_households)
    d2 = _dates_between(rng, *cfg.period, n_households)
    first_move, second_move = np.minimum(d1, d2), np.maximum(d1, d2)
    far = np.datetime64(dt.date(9999, 1, 1), "D")
    cols["move_1"] = np.where(move1, first_move, far)
    cols["move_2"] = np.where(move2, second_move, far)
    cols["has_landline"] = rng.random(n_households) < cfg.landline
    return pl.DataFrame(cols)


def _records(
    counts: np.ndarray,
    people: pl.DataFrame,
    households: pl.DataFrame,
    cfg: SynthConfig,
    rng: np.random.Generator,
    rnd: random.Random,
    lists: _Lists,
) -> pl.DataFrame:
    n = int(counts.sum())
    n_people = people.height
    # Phones: one pool for mobiles (old and new) and household landlines, drawn only for those
    # who have them, so the fictional ranges last.
    need = [
        people["has_mobile"].to_numpy(),
        people["new_mobile"].to_numpy(),
        households["has_landline"].to_numpy(),
    ]
    areas, locals_ = _phone_pool(int(sum(int(x.sum()) for x in need)), rng)
    start = 0
    cols = []
    for mask, name in zip(need, ("mobile", "mobile2", "landline"), strict=True):
        k = int(mask.sum())
        area = np.full(len(mask), "", dtype=object)
        local = np.full(len(mask), "", dtype=object)
        area[mask], local[mask] = areas[start : start + k], locals_[start : start + k]
        start += k
        cols.append((name, area, local))
    people = people.with_columns(
        *[
            pl.Series(f"{nm}_{part}", arr.astype(str))
            for nm, a, lo in cols[:2]
            for part, arr in (("area", a), ("local", lo))
        ]
    )
    households = households.with_columns(
        *[
            pl.Series(f"{nm}_{part}", arr.astype(str))
            for nm, a, lo in cols[2:]
            for part, arr in (("area", a), ("local", lo))
        ]
    )

    person = np.repeat(np.arange(n_people), counts)
    recorded = _dates_between(rng, *cfg.period, n)
    source = rng.choice(["incident", "roc", "partner"], size=n, p=[0.5, 0.3, 0.2])
    r = (
        pl.DataFrame(
            {"person_id": person.astype(np.int64), "recorded_at": recorded, "source": source}
        )
        .join(people, on="person_id", how="left")
        .join(households, on="household_id", how="left")
    )
    u = {
        name: rng.random(n)
        for name in (
            "nick",
            "ftypo",
            "init",
            "stypo",
            "swap",
            "fmiss",
            "smiss",
            "dmiss",
            "dtypo",
            "dswap",
            "amiss",
            "atypo",
            "pmiss",
            "ptypo",
            "phone",
            "phtypo",
            "landline",
            "email",
            "etypo",
            "upper",
            "lower",
            "abbrev",
            "town",
            "pcspace",
            "pclower",
            "dfmt",
            "phfmt",
            "ecase",
        )
    }

    # First name: nickname, then initial, typo, case.
    first = r["first_name"].to_list()
    nick = u["nick"] < cfg.first_name_nickname
    for i in np.flatnonzero(nick):
        variants = lists.nicknames.get(first[i].lower())
        if variants:
            first[i] = rnd.choice(variants).capitalize()
    first = _typos(first, u["ftypo"] < cfg.first_name_typo, rnd)
    init = u["init"] < cfg.first_name_initial
    first = [f[0] if init[i] and f else f for i, f in enumerate(first)]

    surname_now = np.where(
        r["new_surname"].is_not_null().to_numpy()
        & (r["recorded_at"].to_numpy() >= r["surname_change_at"].to_numpy()),
        r["new_surname"].to_numpy(),
        r["surname"].to_numpy(),
    )
    surname = _typos(list(surname_now), u["stypo"] < cfg.surname_typo, rnd)
    swap = u["swap"] < cfg.names_swapped
    first_out = [surname[i] if swap[i] else first[i] for i in range(n)]
    surname_out = [first[i] if swap[i] else surname[i] for i in range(n)]

    # Date of birth: typo in the digits, or day and month swapped, then a format.
    dob = r["dob"].to_numpy().astype("datetime64[D]")
    dob_str = np.datetime_as_string(dob, unit="D").astype(object)
    dtypo = u["dtypo"] < cfg.dob_typo
    for i in np.flatnonzero(dtypo):
        s = dob_str[i]
        pos = rnd.choice([2, 3, 5, 6, 8, 9])  # a year, month or day digit, not the century
        cand = s[:pos] + rnd.choice(_adjacent()[s[pos]]) + s[pos + 1 :]
        try:
            dt.date.fromisoformat(cand)
            dob_str[i] = cand
        except ValueError:
            pass
    dswap = u["dswap"] < cfg.dob_day_month_swapped
    for i in np.flatnonzero(dswap):
        y, m, d = dob_str[i].split("-")
        if int(d) <= 12:
            dob_str[i] = f"{y}-{d}-{m}"

    # Address at the time of the record.
    rec_t = r["recorded_at"].to_numpy()
    stage = (rec_t >= r["move_1"].to_numpy()).astype(int) + (
        rec_t >= r["move_2"].to_numpy()
    ).astype(int)
    addr = np.choose(stage, [r[f"address_{k}"].to_numpy() for k in range(3)])
    town = np.choose(stage, [r[f"town_{k}"].to_numpy() for k in range(3)])
    postcode = np.choose(stage, [r[f"postcode_{k}"].to_numpy() for k in range(3)])

    phone_new = r["new_mobile"].to_numpy() & (rec_t >= r["mobile_change_at"].to_numpy())
    use_landline = r["has_landline"].to_numpy() & (
        (u["landline"] < 0.4) | ~r["has_mobile"].to_numpy()
    )
    phone_area = np.where(
        use_landline,
        r["landline_area"].to_numpy(),
        np.where(phone_new, r["mobile2_area"].to_numpy(), r["mobile_area"].to_numpy()),
    )
    phone_local = np.where(
        use_landline,
        r["landline_local"].to_numpy(),
        np.where(phone_new, r["mobile2_local"].to_numpy(), r["mobile_local"].to_numpy()),
    )
    phone_ok = (r["has_mobile"].to_numpy() | r["has_landline"].to_numpy()) & (
        u["phone"] < cfg.phone_given
    )

    partner = source == "partner"
    upper = u["upper"] < np.where(partner, 3 * cfg.upper_case, cfg.upper_case)
    frame = pl.DataFrame(
        {
            "person_id": person.astype(np.int64),
            "household_id": r["household_id"],
            "source": source,
            "recorded_at": rec_t,
            "first_name": first_out,
            "surname": surname_out,
            "dob_iso": dob_str.astype(str),
            "address_line": addr.astype(str),
            "town": town.astype(str),
            "postcode_clean": postcode.astype(str),
            "phone_area": phone_area.astype(str),
            "phone_local": phone_local.astype(str),
            "upper": upper,
            "email_ok": r["has_email"].to_numpy() & (u["email"] < cfg.email_given),
            "email_style": r["email_style"],
            "email_domain": r["email_domain"],
            "email_number": r["email_number"],
            "true_first": r["first_name"],
            "true_surname": r["surname"],
        }
    )
    dfmt = np.where(
        partner,
        rng.choice(8, size=n, p=[0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.3, 0.3]),
        rng.choice(8, size=n, p=[0.45, 0.2, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05]),
    )
    phfmt = rng.integers(0, 8, size=n)
    abbreviate = u["abbrev"] < 0.3
    frame = frame.with_columns(
        pl.Series("dfmt", dfmt),
        pl.Series("phfmt", phfmt),
        pl.Series("abbrev", abbreviate),
        pl.Series("with_town", u["town"] < 0.7),
        pl.Series("pcspace", u["pcspace"] < 0.8),
        pl.Series("pclower", u["pclower"] < 0.1),
        pl.Series("ecase", u["ecase"] < 0.15),
    )
    frame = frame.with_columns(
        pl.when(pl.col("upper"))
        .then(pl.col("first_name").str.to_uppercase())
        .otherwise(pl.col("first_name"))
        .alias("first_name"),
        pl.when(pl.col("upper"))
        .then(pl.col("surname").str.to_uppercase())
        .otherwise(pl.col("surname"))
        .alias("surname"),
        _format_dob(pl.col("dob_iso").str.to_date(), pl.col("dfmt")).alias("date_of_birth"),
        _format_address().alias("address"),
        pl.when(pl.col("pcspace"))
        .then(pl.col("postcode_clean"))
        .otherwise(pl.col("postcode_clean").str.replace(" ", ""))
        .alias("postcode"),
        _format_phones(pl.col("phone_area"), pl.col("phone_local"), pl.col("phfmt")).alias("phone"),
        _email().alias("email"),
    ).with_columns(
        pl.when(pl.col("pclower"))
        .then(pl.col("postcode").str.to_lowercase())
        .otherwise(pl.col("postcode"))
        .alias("postcode"),
    )
    address = _typos(frame["address"].to_list(), u["atypo"] < cfg.address_typo, rnd)
    postcode_t = _typos(frame["postcode"].to_list(), u["ptypo"] < cfg.postcode_typo, rnd)
    phone = _typos(frame["phone"].to_list(), u["phtypo"] < cfg.phone_typo, rnd)
    email = _typos(frame["email"].to_list(), u["etypo"] < cfg.email_typo, rnd)
    addr_missing = u["amiss"] < cfg.address_missing
    # Postcode goes missing mostly with the address (one "address unknown" entry).
    pc_missing = np.where(addr_missing, u["pmiss"] < 0.8, u["pmiss"] < cfg.postcode_missing / 2)
    frame = frame.with_columns(
        _blank(frame["first_name"], u["fmiss"] < cfg.first_name_missing).alias("first_name"),
        _blank(frame["surname"], u["smiss"] < cfg.surname_missing).alias("surname"),
        _blank(frame["date_of_birth"], u["dmiss"] < cfg.dob_missing).alias("date_of_birth"),
        _blank(pl.Series(address, dtype=pl.String), addr_missing).alias("address"),
        _blank(pl.Series(postcode_t, dtype=pl.String), pc_missing).alias("postcode"),
        _blank(pl.Series(phone, dtype=pl.String), ~phone_ok).alias("phone"),
        _blank(pl.Series(email, dtype=pl.String), ~frame["email_ok"].to_numpy()).alias("email"),
    )
    frame = (
        frame.sort(["recorded_at", "person_id"])
        .with_row_index("record_id")
        .with_columns(pl.col("record_id").cast(pl.Int64))
    )
    return frame


def _blank(values: pl.Series, mask: np.ndarray) -> pl.Series:
    return pl.select(pl.when(pl.Series(mask)).then(None).otherwise(pl.lit(values))).to_series()


def _format_dob(d: pl.Expr, style: pl.Expr) -> pl.Expr:
    return (
        pl.when(style == 0)
        .then(d.dt.strftime("%d/%m/%Y"))
        .when(style == 1)
        .then(d.dt.strftime("%Y-%m-%d"))
        .when(style == 2)
        .then(d.dt.strftime("%-d/%-m/%Y"))
        .when(style == 3)
        .then(d.dt.strftime("%d-%m-%Y"))
        .when(style == 4)
        .then(d.dt.strftime("%d.%m.%Y"))
        .when(style == 5)
        .then(d.dt.strftime("%-d %b %Y"))
        .when(style == 6)
        .then(d.dt.strftime("%Y%m%d"))
        .otherwise(d.dt.strftime("%d/%m/%y"))
    )


_ABBREVIATIONS = {
    "Road": "Rd",
    "Street": "St",
    "Avenue": "Ave",
    "Lane": "Ln",
    "Close": "Cl",
    "Drive": "Dr",
    "Crescent": "Cres",
    "Gardens": "Gdns",
    "Terrace": "Terr",
    "Court": "Ct",
    "Place": "Pl",
    "Grove": "Gr",
}


def _format_address() -> pl.Expr:
    # The replacements chain inside one branch: nesting a when/then per abbreviation, each
    # naming the line twice, doubled the expression twelve times over (4,096 copies), and
    # planning it cost seconds per call whatever the number of records.
    short = pl.col("address_line")
    for long, abbreviation in _ABBREVIATIONS.items():
        short = short.str.replace(rf"\b{long}$", abbreviation)
    line = pl.when(pl.col("abbrev")).then(short).otherwise(pl.col("address_line"))
    full = (
        pl.when(pl.col("with_town"))
        .then(pl.concat_str([line, pl.col("town")], separator=", "))
        .otherwise(line)
    )
    return pl.when(pl.col("upper")).then(full.str.to_uppercase()).otherwise(full)


def _email() -> pl.Expr:
    f = pl.col("true_first").str.to_lowercase().str.replace_all(r"[^a-z]", "")
    s = pl.col("true_surname").str.to_lowercase().str.replace_all(r"[^a-z]", "")
    num = pl.col("email_number").cast(pl.String)
    style = pl.col("email_style")
    local = (
        pl.when(style == 0)
        .then(pl.concat_str([f, s], separator="."))
        .when(style == 1)
        .then(pl.concat_str([f, s, num]))
        .when(style == 2)
        .then(pl.concat_str([f.str.slice(0, 1), s]))
        .when(style == 3)
        .then(pl.concat_str([s, f.str.slice(0, 1), num]))
        .otherwise(pl.concat_str([f, num], separator="_"))
    )
    email = pl.concat_str([local, pl.col("email_domain")], separator="@")
    return (
        pl.when(pl.col("ecase"))
        .then(pl.concat_str([local.str.to_titlecase(), pl.col("email_domain")], separator="@"))
        .otherwise(email)
    )
