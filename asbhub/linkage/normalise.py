"""Normalise person fields before linkage: names, dates of birth, UK phones and postcodes, email
and address.

Every normaliser is a vectorised polars expression builder (``*_expr``) with a thin wrapper that
takes one string, a list or a :class:`polars.Series` and returns the same shape, so the linkage
pipeline normalises a million records in a few seconds and a notebook can check one value:

>>> normalise_phone("07700 900123")
'+447700900123'
>>> normalise_postcode("de11aa")
'DE1 1AA'
>>> normalise_date_of_birth("3/4/1985")
'1985-04-03'

Values that carry no information (``"N/A"``, ``"unknown"``, ``0000000000``, a placeholder date
of birth of 1900-01-01) become null, because two records that both say "unknown" are not
evidence of the same person.

:func:`normalise_people` turns a frame with the standard person columns (see
:data:`STANDARD_COLUMNS`) into the columns the linkage model compares.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, overload

import polars as pl

__all__ = [
    "MODEL_COLUMNS",
    "STANDARD_COLUMNS",
    "address_expr",
    "date_of_birth_expr",
    "email_expr",
    "first_name_expr",
    "is_valid_uk_postcode",
    "known_first_name_expr",
    "nickname_table",
    "canonical_first_name",
    "canonical_first_name_expr",
    "name_key_expr",
    "normalise_address",
    "normalise_date_of_birth",
    "normalise_email",
    "normalise_first_name",
    "normalise_people",
    "normalise_phone",
    "normalise_postcode",
    "normalise_surname",
    "phone_expr",
    "postcode_expr",
    "split_full_name",
    "surname_expr",
]

#: Standard input column names, in the order they are documented. Any may be missing. ``full_name``
#: is used only when ``first_name`` and ``surname`` are both absent.
STANDARD_COLUMNS: tuple[str, ...] = (
    "first_name",
    "surname",
    "date_of_birth",
    "address",
    "postcode",
    "phone",
    "email",
    "full_name",
)

#: Columns :func:`normalise_people` produces for the model (besides ``unique_id``).
MODEL_COLUMNS: tuple[str, ...] = (
    "first_name",
    "first_name_canonical",
    "first_name_known",
    "surname",
    "name_key",
    "date_of_birth",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "phone",
    "email",
    "address",
    "address_tokens",
    "address_numbers",
)

# Values people type when they do not know or will not say. Compared after name cleaning
# (lower case, letters only).
_JUNK_NAMES = (
    "unknown",
    "unk",
    "not known",
    "notknown",
    "nk",
    "n k",
    "na",
    "n a",
    "none",
    "null",
    "nil",
    "refused",
    "anon",
    "anonymous",
    "withheld",
    "not given",
    "notgiven",
    "no name",
    "x",
    "xx",
    "xxx",
    "test",
    "tba",
    "tbc",
)
_TITLES = (
    "mr",
    "mrs",
    "miss",
    "ms",
    "mx",
    "dr",
    "rev",
    "revd",
    "sir",
    "dame",
    "lady",
    "lord",
    "master",
    "prof",
    "fr",
    "sr",
)
_SURNAME_SUFFIXES = ("jr", "jnr", "junior", "snr", "senior", "sen", "ii", "iii")
_JUNK_EMAIL_LOCAL = (
    "none",
    "noemail",
    "no",
    "na",
    "n a",
    "nil",
    "unknown",
    "test",
    "notknown",
    "noreply",
    "no-reply",
    "donotreply",
    "nomail",
    "null",
    "x",
)
# Placeholder dates systems fill in when the real one is unknown.
_PLACEHOLDER_DOBS = ("1900-01-01", "1901-01-01", "1899-12-31", "1800-01-01")
_EARLIEST_DOB = dt.date(1900, 1, 1)

# Month names to numbers, before the date's shape is read.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Address words reduced to one short form, so "12 Acacia Avenue" and "12 acacia av" agree token
# by token. Short forms, not long ones: "St" is both "Street" and "Saint", and mapping both to
# "st" is right either way.
_ADDRESS_SHORT_FORMS = {
    "road": "rd",
    "street": "st",
    "saint": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "lane": "ln",
    "close": "cl",
    "drive": "dr",
    "drv": "dr",
    "crescent": "cres",
    "cresc": "cres",
    "gardens": "gdns",
    "garden": "gdn",
    "court": "ct",
    "crt": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "terr": "ter",
    "tce": "ter",
    "grove": "gr",
    "gro": "gr",
    "park": "pk",
    "way": "wy",
    "house": "ho",
    "hse": "ho",
    "apartment": "flat",
    "apt": "flat",
    "appt": "flat",
    "mount": "mt",
    "heights": "hts",
    "estate": "est",
    "buildings": "bldgs",
    "cottages": "cotts",
    "green": "grn",
    "hill": "hl",
    "south": "s",
    "north": "n",
    "east": "e",
    "west": "w",
    "upper": "upr",
    "lower": "lwr",
    "no": "",
}

# UK postcode, space removed: the pattern the Office for National Statistics and GOV.UK publish,
# plus GIR 0AA. The inward code is a digit then two letters from a restricted set.
_UK_POSTCODE_COMPACT = (
    r"^(GIR0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9]"
    r"[ABEHMNPRV-Y])[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_POSTCODE_LIKE_IN_TEXT = r"\b[a-z]{1,2}[0-9][a-z0-9]? ?[0-9][a-z]{2}\b"


# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------


@cache
def nickname_table() -> dict[str, str]:
    """The bundled nickname table: variant (``"bob"``) -> canonical first name (``"robert"``).

    Read from ``asbhub/linkage/nicknames.csv``: common English nicknames, short forms and
    spelling variants (``steven`` -> ``stephen``, ``mohammed`` -> ``muhammad``). Ambiguous short
    forms (``alex``, ``sam``) map to one formal name, so a canonical match is evidence, not proof.

    Returns
    -------
    dict of str to str
    """
    text = resources.files("asbhub.linkage").joinpath("nicknames.csv").read_text("utf-8")
    rows = csv.reader(line for line in text.splitlines() if line and not line.startswith("#"))
    header = next(rows)
    if header != ["variant", "canonical"]:
        raise ValueError(f"nicknames.csv: expected header variant,canonical, got {header}")
    return {variant.strip(): canonical.strip() for variant, canonical in rows}


# --------------------------------------------------------------------------------------------
# Expression builders
# --------------------------------------------------------------------------------------------


def _clean_text(expr: pl.Expr) -> pl.Expr:
    """Lower case, accents stripped (NFKD then combining marks removed), apostrophes dropped,
    anything else that is not a letter or digit turned into one space."""
    return (
        expr.cast(pl.String)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"['’`‘]", "")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )


# One character repeated (``0000000``, ``xxx``): polars' regex engine has no backreferences,
# so spell out the alternatives.
_ONE_CHARACTER_RUN = (
    "^(?:" + "|".join(f"{c}+" for c in "abcdefghijklmnopqrstuvwxyz0123456789") + ")$"
)


def _one_character_run(expr: pl.Expr) -> pl.Expr:
    return expr.str.contains(_ONE_CHARACTER_RUN)


def _null_if(expr: pl.Expr, values: Iterable[str]) -> pl.Expr:
    # replace() reads ``expr`` once; a when/then on it would compute it three times.
    return expr.replace(["", *values], None)


def _letters_only_name(expr: pl.Expr) -> pl.Expr:
    cleaned = _clean_text(expr).str.replace_all(r"[0-9]+", " ").str.replace_all(r" +", " ")
    return _null_if(cleaned.str.strip_chars(), _JUNK_NAMES)


def first_name_expr(expr: pl.Expr) -> pl.Expr:
    """First name: cleaned, titles (``Mr``, ``Dr``) removed, first word only (middle names dropped,
    so ``"Mary Ann"`` and ``"Mary"`` agree)."""
    titles = "|".join(_TITLES)
    cleaned = _letters_only_name(expr).str.replace(rf"^(?:(?:{titles}) )+", "")
    first = cleaned.str.split(" ").list.first()
    return _null_if(first, _JUNK_NAMES)


def surname_expr(expr: pl.Expr) -> pl.Expr:
    """Surname: cleaned, suffixes (``Jnr``) removed, spaces and hyphens dropped, so
    ``"Smith-Jones"``, ``"Smith Jones"`` and ``"SMITHJONES"`` agree and ``"O'Brien"`` is
    ``"obrien"``."""
    suffixes = "|".join(_SURNAME_SUFFIXES)
    cleaned = _letters_only_name(expr).str.replace(rf"(?: (?:{suffixes}))+$", "")
    return _null_if(cleaned.str.replace_all(" ", ""), _JUNK_NAMES)


def canonical_first_name_expr(first_name: pl.Expr) -> pl.Expr:
    """Canonical first name from an already normalised first name, through the nickname table
    (``bob`` -> ``robert``); names not in the table are their own canonical form."""
    return first_name.replace(nickname_table())


@cache
def _known_first_names() -> list[str]:
    table = nickname_table()
    return sorted(set(table) | set(table.values()))


def known_first_name_expr(first_name: pl.Expr) -> pl.Expr:
    """Whether an already normalised first name is in the nickname table (as a variant or a
    canonical name). Two different known names that look alike (``Andy`` and ``Mandy``) are
    two names, not a typo."""
    return (
        pl.when(first_name.is_null()).then(None).otherwise(first_name.is_in(_known_first_names()))
    )


def name_key_expr(first_name_canonical: pl.Expr, surname: pl.Expr) -> pl.Expr:
    """An order-free name key: the canonical first name and surname sorted and joined, so
    ``John Smith`` and ``Smith John`` share a key (a blocking key that survives name swaps)."""
    lo = pl.min_horizontal(first_name_canonical, surname)
    hi = pl.max_horizontal(first_name_canonical, surname)
    return (
        pl.when(first_name_canonical.is_null() | surname.is_null())
        .then(None)
        .otherwise(pl.concat_str([lo, hi], separator=" "))
    )


def date_of_birth_expr(expr: pl.Expr, *, today: dt.date | None = None) -> pl.Expr:
    """Date of birth as an ISO ``YYYY-MM-DD`` string.

    Understands ISO dates (with or without a time), UK day-first dates with ``/``, ``-``, ``.``
    or spaces, ``YYYYMMDD`` and ``DDMMYYYY``, month names (``3 Apr 1985``, ``April 3, 1985``)
    and two-digit years (a year that would be in the future is taken as last century). A
    day-first reading wins over month-first. Impossible and implausible dates (before 1900,
    after ``today``) and common placeholders (1900-01-01) become null.
    """
    day = today or dt.date.today()
    return expr.cast(pl.String).map_batches(
        lambda s: _dates_of_birth(s, day), return_dtype=pl.String
    )


def _dates_of_birth(values: pl.Series, today: dt.date) -> pl.Series:
    # Staged on a frame, each step computed once: as one nested expression the shared steps
    # were recomputed for every reading (ten times slower).
    f = pl.DataFrame({"t": values}).with_columns(
        pl.col("t")
        .str.to_lowercase()
        .str.strip_chars()
        .str.replace(r"[t ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[+-]\d{2}:?\d{2}|z)?$", "")
        .str.replace_all(r"(\d)(st|nd|rd|th)\b", "$1")
        .str.strip_chars()
    )
    f = f.with_columns(pl.col("t").str.contains(r"^[a-z]").alias("month_first"))
    t = pl.col("t")
    for i, month in enumerate(_MONTHS, 1):
        t = t.str.replace(rf"\b{month}[a-z]*\.?", str(i))
    f = f.with_columns(
        t.str.replace_all(r"[,\s]+", " ")
        .str.strip_chars()
        .str.replace_all(r"[-/. ]", "-")
        .alias("t")
    )
    y4 = r"^(\d{1,2})-(\d{1,2})-(\d{4})$"
    y2 = r"^(\d{1,2})-(\d{1,2})-(\d{2})$"
    readings = [
        pl.col("t").str.replace(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "$1-$2-$3"),
        pl.col("t").str.replace(r"^(\d{4})(\d{2})(\d{2})$", "$1-$2-$3"),
        pl.col("t").str.replace(r"^(\d{2})(\d{2})(\d{4})$", "$3-$2-$1"),
        pl.when("month_first").then(None).otherwise(pl.col("t").str.replace(y4, "$3-$2-$1")),
        pl.col("t").str.replace(y4, "$3-$1-$2"),
        pl.when("month_first").then(None).otherwise(pl.col("t").str.replace(y2, "20$3-$2-$1")),
        pl.when("month_first").then(None).otherwise(pl.col("t").str.replace(y2, "19$3-$2-$1")),
    ]
    f = f.select(
        pl.concat_list(r.str.to_date("%Y-%m-%d", strict=False) for r in readings).alias("d")
    )
    # The first reading that is a real date no later than today (which also puts a two-digit
    # year in the right century). A pattern that did not match leaves the text as it was, which
    # chrono may still read as a date in year 3: hence the lower bound.
    e = pl.element()
    f = f.select(
        pl.col("d")
        .list.eval(e.filter((e <= pl.lit(today)) & (e.dt.year() >= 1850)))
        .list.first()
        .alias("d")
    )
    ok = pl.col("d") >= pl.lit(_EARLIEST_DOB)
    out = f.select(
        pl.when(ok).then(pl.col("d").dt.strftime("%Y-%m-%d")).otherwise(None).alias("d")
    )["d"]
    return out.set(out.is_in(list(_PLACEHOLDER_DOBS)).fill_null(False), None)


def phone_expr(expr: pl.Expr) -> pl.Expr:
    """Phone number in an E.164-like form: ``+44`` and the national number without its leading
    zero (``07700 900123``, ``+44 (0)7700 900123``, ``0044 7700900123`` -> ``+447700900123``).

    Extensions are dropped. Non-UK numbers written with ``+`` or ``00`` keep their country code.
    Numbers of the wrong length for the UK (``999``, ``101``) and runs of one digit
    (``00000 000000``) become null.
    """
    return expr.cast(pl.String).map_batches(_phones, return_dtype=pl.String)


def _phones(values: pl.Series) -> pl.Series:
    f = pl.DataFrame({"t": values}).with_columns(
        pl.col("t")
        .str.to_lowercase()
        .str.replace(r"(?:ext|extension|x)\.?\s*\d+\s*$", "")
        .str.replace_all(r"\(0\)", "")
        .str.strip_chars()
    )
    f = f.select(
        pl.col("t").str.starts_with("+").alias("plus"),
        pl.col("t").str.replace_all(r"\D", "").alias("d"),
    )
    d, plus = pl.col("d"), pl.col("plus")
    national = (
        pl.when(plus & d.str.starts_with("44"))
        .then(d.str.slice(2))
        .when(plus)
        .then(None)
        .when(d.str.starts_with("0044"))
        .then(d.str.slice(4))
        .when(d.str.starts_with("00"))
        .then(None)
        .when(d.str.starts_with("44") & (d.str.len_chars() == 12))
        .then(d.str.slice(2))
        .when(d.str.starts_with("0"))
        .then(d.str.slice(1))
        .when(d.str.contains(r"^[1-37-9]\d{8,9}$"))
        .then(d)
        .otherwise(None)
        .str.replace(r"^0", "")
    )
    intl = pl.when(plus).then(d).when(d.str.starts_with("00")).then(d.str.slice(2))
    f = f.with_columns(national.alias("n"), intl.alias("i"))
    n, i = pl.col("n"), pl.col("i")
    uk = pl.when(n.str.contains(r"^[1235789]\d{8,9}$")).then(pl.lit("+44") + n)
    other = pl.when(~i.str.starts_with("44") & i.str.contains(r"^[1-9]\d{6,14}$")).then(
        pl.lit("+") + i
    )
    return f.select(
        pl.when(_one_character_run(d)).then(None).otherwise(pl.coalesce(uk, other)).alias("p")
    )["p"]


def postcode_expr(expr: pl.Expr, *, invalid: str = "keep") -> pl.Expr:
    """UK postcode: upper case, one space before the three-character inward code
    (``de11aa`` -> ``DE1 1AA``).

    An ``O`` or ``I`` typed where the inward code's digit belongs is read as ``0`` or ``1``.
    ``invalid="keep"`` keeps a value that is not a valid UK postcode in a cleaned form (upper
    case, no spaces), so foreign postcodes still compare exactly; ``invalid="null"`` drops it.
    """
    if invalid not in ("keep", "null"):
        raise ValueError(f"invalid must be 'keep' or 'null', got {invalid!r}")
    compact = expr.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    fixed = compact.str.replace(r"O([A-Z]{2})$", "0$1").str.replace(r"I([A-Z]{2})$", "1$1")
    fixed = pl.when(fixed.str.len_chars() >= 5).then(fixed).otherwise(compact)
    valid = fixed.str.contains(_UK_POSTCODE_COMPACT)
    spaced = pl.concat_str(
        [fixed.str.slice(0, fixed.str.len_chars() - 3), pl.lit(" "), fixed.str.slice(-3)]
    )
    fallback = pl.when(compact == "").then(None).otherwise(compact)
    return pl.when(valid).then(spaced).otherwise(fallback if invalid == "keep" else None)


def email_expr(expr: pl.Expr) -> pl.Expr:
    """Email address: trimmed, lower case, ``mailto:`` removed; anything without one ``@`` and a
    dotted domain, and placeholders (``none@none.com``, ``noemail@...``) become null."""
    text = (
        expr.cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace(r"^mailto:", "")
        .str.replace_all(r"\s+", "")
    )
    valid = text.str.contains(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    local = text.str.extract(r"^([^@]+)@", 1)
    junk = local.is_in(list(_JUNK_EMAIL_LOCAL)) | _one_character_run(local)
    return pl.when(valid & ~junk).then(text).otherwise(None)


def address_expr(expr: pl.Expr) -> pl.Expr:
    """Address: lower case, punctuation removed, common words reduced to one short form
    (``Road`` and ``Rd`` -> ``rd``), a postcode inside the text removed (it is compared on its
    own), spaces collapsed."""
    text = expr.cast(pl.String).str.replace_all("&", " and ")
    text = _clean_text(text).str.replace_all(_POSTCODE_LIKE_IN_TEXT, " ")
    # Whole words only.
    words = text.str.split(" ")
    expanded = words.list.eval(pl.element().replace(_ADDRESS_SHORT_FORMS)).list.join(" ")
    expanded = expanded.str.replace_all(r" +", " ").str.strip_chars()
    return _null_if(expanded, _JUNK_NAMES)


# --------------------------------------------------------------------------------------------
# Scalar / Series wrappers
# --------------------------------------------------------------------------------------------


@overload
def _apply(values: str | None, build: Any) -> str | None: ...
@overload
def _apply(values: pl.Series | Iterable[str | None], build: Any) -> pl.Series: ...


def _apply(values: Any, build: Any) -> Any:
    scalar = values is None or isinstance(values, str)
    name = values.name if isinstance(values, pl.Series) else "v"
    data = [values] if scalar else values if isinstance(values, pl.Series) else list(values)
    series = pl.Series("v", data, dtype=pl.String, strict=False)
    out = pl.DataFrame({"v": series}).select(build(pl.col("v"))).to_series().alias(name)
    return out[0] if scalar else out


def normalise_first_name(values: Any) -> Any:
    """Normalise first names (see :func:`first_name_expr`). Takes a string, list or Series.

    >>> normalise_first_name("  Dr. Zoë-Anne ")
    'zoe'
    """
    return _apply(values, first_name_expr)


def normalise_surname(values: Any) -> Any:
    """Normalise surnames (see :func:`surname_expr`).

    >>> normalise_surname("O'Brien-Smith Jnr")
    'obriensmith'
    """
    return _apply(values, surname_expr)


def canonical_first_name(values: Any) -> Any:
    """Canonical first name of raw first names: normalised, then the nickname table applied.

    >>> canonical_first_name("Bob")
    'robert'
    """
    return _apply(values, lambda e: canonical_first_name_expr(first_name_expr(e)))


def normalise_date_of_birth(values: Any, *, today: dt.date | None = None) -> Any:
    """Normalise dates of birth to ``YYYY-MM-DD`` (see :func:`date_of_birth_expr`).

    >>> normalise_date_of_birth(["03/04/1985", "1985-04-03", "3 Apr 1985", "01/01/1900"]).to_list()
    ['1985-04-03', '1985-04-03', '1985-04-03', None]
    """
    return _apply(values, lambda e: date_of_birth_expr(e, today=today))


def normalise_phone(values: Any) -> Any:
    """Normalise UK phone numbers to ``+44...`` (see :func:`phone_expr`).

    >>> normalise_phone(["+44 (0)1632 960123", "01632960123", "999"]).to_list()
    ['+441632960123', '+441632960123', None]
    """
    return _apply(values, phone_expr)


def normalise_postcode(values: Any, *, invalid: str = "keep") -> Any:
    """Normalise UK postcodes (see :func:`postcode_expr`).

    >>> normalise_postcode(["sk17 6aa", "SK176AA", "S K 1 7  6 A A"]).to_list()
    ['SK17 6AA', 'SK17 6AA', 'SK17 6AA']
    """
    return _apply(values, lambda e: postcode_expr(e, invalid=invalid))


def is_valid_uk_postcode(values: Any) -> Any:
    """Whether each value is a valid UK postcode once normalised.

    >>> is_valid_uk_postcode("DE1 1AA"), is_valid_uk_postcode("2119")
    (True, False)
    """

    def build(e: pl.Expr) -> pl.Expr:
        return postcode_expr(e, invalid="null").is_not_null()

    scalar = values is None or isinstance(values, str)
    out = _apply(values, build)
    return bool(out) if scalar else out


def normalise_email(values: Any) -> Any:
    """Normalise email addresses (see :func:`email_expr`).

    >>> normalise_email(" Jo.Bloggs@Example.COM ")
    'jo.bloggs@example.com'
    """
    return _apply(values, email_expr)


def normalise_address(values: Any) -> Any:
    """Normalise addresses (see :func:`address_expr`).

    >>> normalise_address("Flat 2, 12 Acacia Avenue, Derby DE1 1AA")
    'flat 2 12 acacia ave derby'
    """
    return _apply(values, address_expr)


def split_full_name(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Split a full name into (first name, surname) expressions of raw text.

    ``"Smith, John"`` (comma form) is surname first; otherwise the first word is the first name
    and the last word the surname (``"John Paul Smith"`` -> ``John``, ``Smith``).
    """
    text = expr.cast(pl.String).str.strip_chars()
    comma = text.str.contains(",")
    before = text.str.split(",").list.first().str.strip_chars()
    after = text.str.split(",").list.get(1, null_on_oob=True).str.strip_chars()
    words = text.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    n_words = words.list.len()
    first = pl.when(comma).then(after).otherwise(words.list.first())
    surname = pl.when(comma).then(before).when(n_words > 1).then(words.list.last()).otherwise(None)
    return first, surname


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------


def normalise_people(
    frame: pl.DataFrame,
    *,
    columns: Mapping[str, str | list[str]] | None = None,
    today: dt.date | None = None,
) -> pl.DataFrame:
    """Normalise a frame of person records into the columns the linkage model compares.

    Parameters
    ----------
    frame : polars.DataFrame
        Person records. Columns are read by their standard names (:data:`STANDARD_COLUMNS`)
        unless ``columns`` maps a standard name to another column; any may be missing.
    columns : mapping, optional
        Standard name -> column in ``frame``, or a list of columns joined with a space (for an
        address split over several columns), e.g. ``{"first_name": "given_name",
        "address": ["street_number", "address_1", "suburb"]}``.
    today : datetime.date, optional
        Latest plausible date of birth (default: today).

    Returns
    -------
    polars.DataFrame
        One row per input row, in order, with the columns of :data:`MODEL_COLUMNS`. A field the
        input lacks is an all-null column.

    Raises
    ------
    KeyError
        If ``columns`` names a column that ``frame`` does not have.
    """
    source = resolve_columns(frame.columns, columns)
    n = frame.height

    def raw(name: str) -> pl.Expr:
        cols = source.get(name)
        if not cols:  # as long as the frame, even when no column is used at all
            return pl.repeat(None, pl.len(), dtype=pl.String)
        parts = [pl.col(c).cast(pl.String) for c in cols]
        return (
            parts[0] if len(parts) == 1 else pl.concat_str(parts, separator=" ", ignore_nulls=True)
        )

    first_raw, surname_raw = raw("first_name"), raw("surname")
    if "first_name" not in source and "surname" not in source and "full_name" in source:
        first_raw, surname_raw = split_full_name(raw("full_name"))

    out = (
        frame.lazy()
        .select(
            _on_distinct(first_raw, first_name_expr).alias("first_name"),
            _on_distinct(surname_raw, surname_expr).alias("surname"),
            _on_distinct(raw("date_of_birth"), lambda e: date_of_birth_expr(e, today=today)).alias(
                "date_of_birth"
            ),
            _on_distinct(raw("postcode"), postcode_expr).alias("postcode"),
            _on_distinct(raw("phone"), phone_expr).alias("phone"),
            _on_distinct(raw("email"), email_expr).alias("email"),
            _on_distinct(raw("address"), address_expr).alias("address"),
        )
        .with_columns(
            canonical_first_name_expr(pl.col("first_name")).alias("first_name_canonical"),
            known_first_name_expr(pl.col("first_name")).alias("first_name_known"),
            # Sector ("DE1 1") and district ("DE1") of a valid UK postcode.
            pl.col("postcode")
            .str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]? [0-9])[A-Z]{2}$", 1)
            .alias("postcode_sector"),
            pl.col("postcode")
            .str.extract(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) [0-9][A-Z]{2}$", 1)
            .alias("postcode_district"),
            pl.col("address")
            .str.split(" ")
            .list.unique(maintain_order=True)
            .alias("address_tokens"),
            # House and flat numbers ("2 12" for "flat 2 12 acacia ave"): neighbours share a street
            # but not these.
            pl.col("address")
            .str.extract_all(r"\b[0-9]+[a-z]?\b")
            .list.join(" ")
            .replace("", None)
            .alias("address_numbers"),
        )
        .with_columns(
            # The surname goes through the nickname table too, so a swapped "Stephenson Danny"
            # keys with "Danny Stephenson".
            name_key_expr(
                pl.col("first_name_canonical"), canonical_first_name_expr(pl.col("surname"))
            ).alias("name_key"),
        )
        .select(MODEL_COLUMNS)
        .collect()
    )
    assert out.height == n
    return out


# Normalise each distinct value once when at most this share of the values are distinct
# (names, dates of birth and postcodes repeat a lot; a million records hold about 200,000
# distinct dates of birth and 120,000 postcodes).
_DISTINCT_SHARE = 0.7


def _on_distinct(expr: pl.Expr, build: Any) -> pl.Expr:
    """``build(expr)``, computed once per distinct value of ``expr`` and joined back (the same
    result, as every normaliser maps one value to one value)."""

    def run(values: pl.Series) -> pl.Series:
        values = values.cast(pl.String)
        distinct = values.unique()
        if distinct.len() > _DISTINCT_SHARE * values.len():
            return pl.DataFrame({"v": values}).select(build(pl.col("v"))).to_series()
        table = pl.DataFrame({"v": distinct}).with_columns(build(pl.col("v")).alias("out"))
        return pl.DataFrame({"v": values}).join(
            table, on="v", how="left", nulls_equal=True, maintain_order="left"
        )["out"]

    return expr.map_batches(run, return_dtype=pl.String)


def resolve_columns(
    available: Iterable[str], columns: Mapping[str, str | list[str]] | None = None
) -> dict[str, list[str]]:
    """Which input columns feed each standard field.

    Standard names found in ``available`` are used as they are (case-insensitively, ignoring
    surrounding spaces); ``columns`` adds or overrides mappings.

    Raises
    ------
    KeyError
        If ``columns`` names an unknown standard field or a column not in ``available``.
    """
    available = list(available)
    by_key = {c.strip().lower(): c for c in available}
    source: dict[str, list[str]] = {}
    for name in STANDARD_COLUMNS:
        if name in by_key:
            source[name] = [by_key[name]]
    for name, cols in (columns or {}).items():
        if name not in STANDARD_COLUMNS:
            raise KeyError(
                f"columns: {name!r} is not a standard column; expected one of "
                f"{', '.join(STANDARD_COLUMNS)}"
            )
        cols_list = [cols] if isinstance(cols, str) else list(cols)
        missing = [c for c in cols_list if c not in available]
        if missing:
            raise KeyError(
                f"columns: {name}={', '.join(cols_list)} but the data has no column "
                f"{', '.join(repr(m) for m in missing)}; it has {', '.join(available)}"
            )
        source[name] = cols_list
    return source
