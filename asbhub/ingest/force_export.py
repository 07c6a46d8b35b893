"""Reader for the asbhub force incident export, as CSV or JSON Lines (see docs/force-export.md).

A force (or a partner) exports its crimes, ASB incidents and records of contact (ROCs) with
the fields police open data lacks: exact times, the NSIR ASB category and closure code, the
Covid-related flag, THRIVE grades and the people involved. A row is identified by its
``incident_reference``: a later export holding the same reference updates that incident.

Both formats become one string table (one column per field, people in a long table of their
own), and one set of vectorised checks validates it, so a CSV and a JSON Lines export of the
same incidents give identical rows. For CSV there are two paths, as for data.police.uk files:
polars for well-formed files, and the ``csv`` module whenever polars cannot vouch for every
line (bytes that are not UTF-8, ragged rows, quoted line breaks in an address, blank lines).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from asbhub.domain.dates import LOCAL_TIME_ZONE
from asbhub.domain.vocab import (
    ASB_CRIME_TYPE,
    CLOSURE_CODES,
    THRIVE_ELEMENTS,
    THRIVE_GRADES,
    AsbCategory,
    PersonRole,
    RecordType,
)
from asbhub.geo.projection import from_bng, to_bng
from asbhub.ingest.common import (
    ParsedFile,
    Reject,
    WrongFileError,
    csv_careful_table,
    csv_fast_table,
)
from asbhub.ingest.datetimes import datetime_checks, parse_datetimes

KIND = "force_export"

THRIVE_COLUMNS = tuple(f"thrive_{e}" for e in THRIVE_ELEMENTS)
#: Every incident column, in the documented order. CSV adds numbered person columns.
COLUMNS: tuple[str, ...] = (
    "incident_reference", "force", "record_type", "crime_type", "asb_category", "closure_code",
    "covid", "occurred_from", "occurred_to", "reported_at", "latitude", "longitude", "easting",
    "northing", "location_text", "lsoa_code", "lpu", "snt", *THRIVE_COLUMNS, "public_report",
)  # fmt: skip
#: Columns a CSV header must have (their values may still be empty where the rules allow).
REQUIRED_COLUMNS = ("incident_reference", "record_type", "occurred_from", "reported_at")
PERSON_FIELDS = ("role", "name", "date_of_birth", "phone", "email", "address", "postcode")
DATETIME_COLUMNS = ("occurred_from", "occurred_to", "reported_at")
#: Both coordinate pairs may be given; further apart than this, the row is rejected.
MAX_PAIR_DISTANCE_M = 50.0

# Names that only a force export header has, to tell it from other CSV files.
_MARKERS = {
    "incident_reference",
    "record_type",
    "occurred_from",
    "reported_at",
    "asb_category",
    "closure_code",
}
_PERSON_COLUMN_RE = re.compile(rf"^person([1-9]\d*)_({'|'.join(PERSON_FIELDS)})$")
EXPECTED_HEADER = ",".join(COLUMNS) + "," + ",".join(f"person1_{f}" for f in PERSON_FIELDS)

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
_FLAG_FORMS = "true, false, yes, no, 1, 0 or empty"
_DT_FORMS = (
    "expected ISO 8601, e.g. 2021-03-01T14:30 (Europe/London time), "
    "2021-03-01T14:30:00Z or 2021-03-01T14:30:00+01:00"
)
_NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
_LSOA_RE = r"^[EWSN]\d{8}$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_PHONE_RE = r"^\+?[0-9 ().\-]+$"
_EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
_POSTCODE_RE = r"^[A-Z]{1,2}[0-9][A-Z0-9]?( ?[0-9][A-Z]{2})?$"
_CONTROL_RE = r"[\x00-\x1f\x7f]"
# EPSG:27700's area of use, and the extent of the grid itself.
_LAT_RANGE, _LON_RANGE = (49.75, 61.01), (-9.01, 2.01)
_EASTING_RANGE, _NORTHING_RANGE = (0.0, 700_000.0), (0.0, 1_300_000.0)
_CLOSURE_LETTER = {k: v.value for k, v in CLOSURE_CODES.items()}
# What asbhub.domain.vocab.asb_category accepts: a name, a letter or a closure code.
_CATEGORY_LETTER = {
    **{c.value: c.value for c in AsbCategory},
    **{c.label.upper(): c.value for c in AsbCategory},
    **_CLOSURE_LETTER,
}
_ROLES = tuple(r.value for r in PersonRole)
_RECORD_TYPES = tuple(r.value for r in RecordType)
_ASB_TYPES = (RecordType.ASB.value, RecordType.ROC.value)

PERSON_DTYPE = pl.Struct({
    "role": pl.String, "name": pl.String, "date_of_birth": pl.Date, "phone": pl.String,
    "email": pl.String, "address": pl.String, "postcode": pl.String,
})  # fmt: skip


def header_matches(first_line: str) -> bool:
    """True when ``first_line`` looks like a force export CSV header.

    Any one force export column name (``incident_reference``, ``record_type``, ...) is
    enough, so that a header missing a required column still reaches this reader, whose
    error then names what is missing.
    """
    try:
        names = next(csv.reader([first_line.lstrip("\ufeff")]))
    except (StopIteration, csv.Error):
        return False
    return any(_normalise(n) in _MARKERS for n in names)


def read_force_export(name: str, raw: bytes) -> ParsedFile:
    """Read one force incident export, CSV or JSON Lines (by the file name's suffix).

    Parameters
    ----------
    name : str
        The file's name: ``.jsonl`` or ``.ndjson`` means JSON Lines, anything else CSV. Used
        in rejects and errors too.
    raw : bytes
        The file's content, UTF-8.

    Returns
    -------
    ParsedFile
        ``rows`` holds one row per valid incident with the columns ``line`` (the line the row
        starts on), ``reference``, ``force`` (None when not given), ``record_type`` (crime,
        asb or roc), ``month`` (``YYYY-MM`` of occurred_from, else reported_at, in UK local
        time), ``crime_type`` ("Anti-social behaviour" for asb and roc rows),
        ``asb_category`` (P, N or E; None for crimes), ``closure_code``, ``covid`` (bool or
        None), ``occurred_from``, ``occurred_to`` and ``reported_at`` (UTC datetimes),
        ``longitude`` and ``latitude`` (WGS84, converted from the grid when only easting and
        northing were given), ``easting`` and ``northing`` (British National Grid, converted
        from WGS84 when only latitude and longitude were given), ``location`` (free text),
        ``lsoa_code``, ``lsoa_name`` (always None: the export carries codes only), ``lpu``,
        ``snt``, ``thrive_threat`` ... ``thrive_engagement`` (low, medium, high or None),
        ``public_report`` (bool), ``people`` and ``row_hash``.

        ``people`` is a list column, one struct per person in file order, with ``role``,
        ``name``, ``date_of_birth`` (a date or None), ``phone``, ``email``, ``address`` and
        ``postcode`` (normalised to ``DE1 2AB``); missing text is ``""``. ``row_hash`` is
        the SHA-256 of the row's canonical typed content, people included, so the same
        incident exported again, however formatted, has the same hash.

        Each rejected row has one :class:`~asbhub.ingest.common.Reject` for its first
        problem.

    Raises
    ------
    WrongFileError
        The file is empty, is not UTF-8, or (CSV) its header lacks a required column, has a
        column the format does not define, or repeats one.
    """
    raw = _check_encoding(name, raw)
    if name.lower().endswith((".jsonl", ".ndjson")):
        table, people, pre_rejects = _jsonl_tables(name, raw)
    else:
        table, people, pre_rejects = _csv_tables(name, raw)
    return _validate(name, table, people, pre_rejects)


# -- whole-file checks -------------------------------------------------------------------------


def _check_encoding(name: str, raw: bytes) -> bytes:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise WrongFileError(
            f"{name}: the file is UTF-16 text; expected UTF-8. Save it again as UTF-8 "
            "(in a spreadsheet: 'CSV UTF-8')."
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise WrongFileError(
            f"{name}: the file is empty; expected a force export: a CSV file whose first "
            "line is the header, or JSON Lines with one incident object per line "
            "(see docs/force-export.md)"
        )
    return raw


def _not_utf8(name: str, line_no: int, line: bytes, exc: UnicodeDecodeError, what: str) -> str:
    return (
        f"{name}: line {line_no} is not UTF-8 text (byte 0x{line[exc.start]:02X} at "
        f"position {exc.start + 1}); expected a UTF-8 {what}. If a spreadsheet saved "
        "the file, save it again as 'CSV UTF-8'."
    )


def _normalise(column: str) -> str:
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


# -- CSV -------------------------------------------------------------------------------------


def _csv_tables(name: str, raw: bytes) -> tuple[pl.DataFrame, pl.DataFrame, list[Reject]]:
    names = _csv_header(name, raw)
    wide = csv_fast_table(raw, names)
    pre_rejects: list[Reject] = []
    if wide is None:
        wide, pre_rejects = csv_careful_table(name, raw, names, again="export it again")
    wide = wide.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    table = wide.select(
        "_row",
        "line",
        *[pl.col(c) if c in names else pl.lit("").alias(c) for c in COLUMNS],
    )
    groups = sorted({int(m.group(1)) for n in names if (m := _PERSON_COLUMN_RE.match(n))})
    parts = []
    for k in groups:
        cols = [
            pl.col(f"person{k}_{f}") if f"person{k}_{f}" in names else pl.lit("")
            for f in PERSON_FIELDS
        ]
        parts.append(
            wide.select(
                "_row",
                pl.lit(k, dtype=pl.Int64).alias("_pos"),
                pl.lit(f"person{k}_").alias("_prefix"),
                *[c.alias(f) for c, f in zip(cols, PERSON_FIELDS, strict=True)],
            )
        )
    people = pl.concat(parts) if parts else _empty_people()
    return table, people, pre_rejects


def _csv_header(name: str, raw: bytes) -> list[str]:
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WrongFileError(_not_utf8(name, 1, first, exc, "force export CSV")) from None
    if text.lstrip().startswith("{"):
        raise WrongFileError(
            f"{name}: line 1 is a JSON object, not a CSV header; a JSON Lines force export "
            "must be named .jsonl (or .ndjson)"
        )
    names = [_normalise(n) for n in next(csv.reader([text]), [])]
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append("missing required column(s): " + ", ".join(missing))
    known = set(COLUMNS)
    unknown = [n for n in names if n not in known and not _PERSON_COLUMN_RE.match(n)]
    if unknown:
        hints = []
        for n in unknown:
            close = difflib.get_close_matches(n, COLUMNS, n=1)
            hints.append(f"{n!r} (did you mean {close[0]!r}?)" if close else repr(n or "(blank)"))
        problems.append("unexpected column(s): " + ", ".join(hints))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append("repeated column(s): " + ", ".join(repeated))
    if problems:
        raise WrongFileError(
            f"{name}: line 1 is not a force export header ({'; '.join(problems)}). Expected "
            f"the columns {', '.join(REQUIRED_COLUMNS)} and any of the others, in any order, "
            f"with people as numbered groups (person1_role ... person1_postcode, person2_...): "
            f"{EXPECTED_HEADER} (see docs/force-export.md)"
        )
    return names


# -- JSON Lines ----------------------------------------------------------------------------------


def _jsonl_tables(name: str, raw: bytes) -> tuple[pl.DataFrame, pl.DataFrame, list[Reject]]:
    cols: dict[str, list[str]] = {c: [] for c in COLUMNS}
    lines: list[int] = []
    people: dict[str, list[Any]] = {k: [] for k in ("_row", "_pos", "_prefix", *PERSON_FIELDS)}
    rejects: list[Reject] = []
    first = True
    allowed = set(COLUMNS) | {"people"}
    for line_no, line in enumerate(raw.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            if first:
                raise WrongFileError(
                    _not_utf8(name, line_no, line, exc, "JSON Lines force export")
                ) from None
            rejects.append(
                Reject(
                    name,
                    line_no,
                    "(row)",
                    line.decode("utf-8", "replace")[:200],
                    f"not valid UTF-8 (byte 0x{line[exc.start]:02X}); expected UTF-8 text",
                )
            )
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            if first and "incident_reference" in text and "," in text and "{" not in text:
                raise WrongFileError(
                    f"{name}: line {line_no} looks like a CSV header, not JSON; a CSV force "
                    "export must be named .csv"
                ) from None
            first = False
            rejects.append(
                Reject(
                    name,
                    line_no,
                    "(row)",
                    text[:200],
                    f"not valid JSON ({exc.msg} at column {exc.colno}); expected "
                    "one JSON object per line",
                )
            )
            continue
        first = False
        problem = _json_object_problem(obj, allowed)
        if problem is not None:
            field, value, reason = problem
            rejects.append(Reject(name, line_no, field, value, reason))
            continue
        row = len(lines)
        lines.append(line_no)
        for c in COLUMNS:
            cols[c].append(_json_text(obj.get(c)))
        for i, person in enumerate(obj.get("people") or []):
            people["_row"].append(row)
            people["_pos"].append(i + 1)
            people["_prefix"].append(f"people[{i}].")
            for f in PERSON_FIELDS:
                people[f].append(_json_text(person.get(f)))
    table = pl.DataFrame(cols, schema={c: pl.String for c in COLUMNS}).with_columns(
        pl.int_range(0, len(lines), dtype=pl.Int64).alias("_row"),
        pl.Series("line", lines, dtype=pl.Int64),
    )
    ppl = pl.DataFrame(people, schema=_empty_people().schema)
    return table, ppl, rejects


def _json_object_problem(obj: object, allowed: set[str]) -> tuple[str, str, str] | None:
    """Why a parsed line cannot be a row, as (field, value, reason); None when it can."""
    if not isinstance(obj, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(obj), "a number"
        )
        return (
            "(row)",
            json.dumps(obj)[:200],
            f"the line holds {kind}; expected one JSON object per line",
        )
    for key, value in obj.items():
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = (f"did you mean {close[0]!r}? " if close else "") + (
                "people go in a 'people' list"
                if key.startswith("person")
                else "see docs/force-export.md for the fields"
            )
            return key, _short(value), f"not a force export field; {hint}"
        if key == "people":
            continue
        problem = _json_scalar_problem(value)
        if problem:
            return key, _short(value), problem
    people = obj.get("people")
    if people is None:
        return None
    if not isinstance(people, list):
        return "people", _short(people), "expected a list of person objects, or null"
    for i, person in enumerate(people):
        where = f"people[{i}]"
        if not isinstance(person, dict):
            return where, _short(person), "expected a person object with role, name, ..."
        for key, value in person.items():
            if key not in PERSON_FIELDS:
                return (
                    f"{where}.{key}",
                    _short(value),
                    "not a person field; expected " + ", ".join(PERSON_FIELDS),
                )
            problem = _json_scalar_problem(value)
            if problem:
                return f"{where}.{key}", _short(value), problem
    return None


def _json_scalar_problem(value: object) -> str | None:
    if isinstance(value, dict | list):
        return "expected a string, number, boolean or null, not a JSON " + (
            "object" if isinstance(value, dict) else "array"
        )
    if isinstance(value, str) and not _encodable(value):
        return "not valid Unicode (a lone surrogate escape); expected text"
    return None


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text[:200]


def _empty_people() -> pl.DataFrame:
    schema = {"_row": pl.Int64, "_pos": pl.Int64, "_prefix": pl.String}
    schema.update({f: pl.String for f in PERSON_FIELDS})
    return pl.DataFrame(schema=schema)


# -- validation ------------------------------------------------------------------------------


def _validate(
    name: str, table: pl.DataFrame, people: pl.DataFrame, pre_rejects: list[Reject]
) -> ParsedFile:
    table = _prepare(table.with_columns(pl.col(COLUMNS).str.strip_chars()))
    people = _prepare_people(people.with_columns(pl.col(PERSON_FIELDS).str.strip_chars()))
    # A person with only a role is still a person; only an all-empty group is no one.
    people = people.filter(pl.any_horizontal([pl.col(f) != "" for f in PERSON_FIELDS]))

    row_checks, person_checks = _row_checks(), _person_checks()
    table = table.with_columns(_first_failure(row_checks).alias("_fail"))
    people = people.with_columns(_first_failure(person_checks).alias("_pfail"))
    bad_people = (
        people.filter(pl.col("_pfail").is_not_null())
        .sort("_row", "_pos")
        .unique("_row", keep="first", maintain_order=True)
    )
    table = table.join(
        bad_people.select("_row", "_pfail", "_prefix", *PERSON_FIELDS).rename(
            {f: f"_p_{f}" for f in PERSON_FIELDS}
        ),
        on="_row",
        how="left",
        maintain_order="left",
    )

    rejects = list(pre_rejects)
    for row in table.filter(
        pl.col("_fail").is_not_null() | pl.col("_pfail").is_not_null()
    ).iter_rows(named=True):
        if row["_fail"] is not None:
            field, _, reason = row_checks[row["_fail"]]
            rejects.append(Reject(name, row["line"], field, row[field], reason.format(**row)))
        else:
            field, _, reason = person_checks[row["_pfail"]]
            rejects.append(
                Reject(name, row["line"], row["_prefix"] + field, row[f"_p_{field}"], reason)
            )
    rejects.sort(key=lambda r: r.line)
    good = table.filter(pl.col("_fail").is_null() & pl.col("_pfail").is_null())
    rows = _typed(good, people.filter(pl.col("_row").is_in(good["_row"].implode())))
    return ParsedFile(
        name=name, kind=KIND, read=rows.height + len(rejects), rows=rows, rejects=rejects
    )


def _first_failure(checks: list[tuple[str, pl.Expr, str]]) -> pl.Expr:
    if not checks:
        return pl.lit(None, dtype=pl.Int64)
    return pl.coalesce(
        [pl.when(cond.fill_null(False)).then(pl.lit(i)) for i, (_, cond, _) in enumerate(checks)]
    )


def _flag(col: str) -> pl.Expr:
    v = pl.col(col).str.to_lowercase()
    return pl.when(v.is_in(_TRUE)).then(True).when(v.is_in(_FALSE)).then(False)


def _prepare(df: pl.DataFrame) -> pl.DataFrame:
    """Add the parsed helper columns the checks and the typed output share (named ``_*``)."""
    rt = pl.col("record_type").str.to_lowercase()
    cat = (
        pl.col("asb_category")
        .str.to_uppercase()
        .replace_strict(_CATEGORY_LETTER, default=None, return_dtype=pl.String)
    )
    code = pl.col("closure_code").str.to_uppercase()
    df = df.with_columns(
        rt.alias("_rt"),
        cat.alias("_cat"),
        code.alias("_code"),
        code.replace_strict(_CLOSURE_LETTER, default=None, return_dtype=pl.String).alias(
            "_code_cat"
        ),
        pl.col("line").min().over("incident_reference").alias("_first_line"),
        *[
            pl.col(c).cast(pl.Float64, strict=False).alias(f"_{c}")
            for c in ("latitude", "longitude", "easting", "northing")
        ],
    )
    df = parse_datetimes(df, DATETIME_COLUMNS)
    # Both coordinate pairs, each converted to the other, for rows that give only one.
    e, n = to_bng(df["_longitude"].to_numpy(), df["_latitude"].to_numpy())
    lon, lat = from_bng(df["_easting"].to_numpy(), df["_northing"].to_numpy())
    return df.with_columns(
        pl.Series("_e_wgs", e, dtype=pl.Float64).fill_nan(None),
        pl.Series("_n_wgs", n, dtype=pl.Float64).fill_nan(None),
        pl.Series("_lon_bng", np.round(lon, 6), dtype=pl.Float64).fill_nan(None),
        pl.Series("_lat_bng", np.round(lat, 6), dtype=pl.Float64).fill_nan(None),
    ).with_columns(
        (
            (pl.col("_e_wgs") - pl.col("_easting")) ** 2
            + (pl.col("_n_wgs") - pl.col("_northing")) ** 2
        )
        .sqrt()
        .round(0)
        .alias("_pair_gap"),
    )


def _row_checks() -> list[tuple[str, pl.Expr, str]]:
    """(field, condition that makes the row bad, reason), in the order they are tried.

    A row is rejected for the first that applies, so each row has exactly one reject. A
    reason may name other columns of the row in braces, e.g. ``{_first_line}``.
    """
    rt = pl.col("_rt")
    is_crime = rt == RecordType.CRIME.value
    is_asb = rt.is_in(_ASB_TYPES)
    empty = {c: pl.col(c) == "" for c in COLUMNS}
    latest = datetime.now(UTC) + timedelta(days=1)
    checks: list[tuple[str, pl.Expr, str]] = [
        (c, pl.col(c).str.contains("\x00", literal=True), "contains a NUL character; expected text")
        for c in COLUMNS
    ]
    checks += [
        (
            "incident_reference",
            empty["incident_reference"],
            "empty; expected the force's incident reference, e.g. DBY-21-000123",
        ),
        (
            "incident_reference",
            pl.col("incident_reference").str.contains(_CONTROL_RE)
            | (pl.col("incident_reference").str.len_chars() > 64),
            "longer than 64 characters or holds a control character; expected a reference",
        ),
        (
            "incident_reference",
            pl.col("line") != pl.col("_first_line"),
            "this reference is already on line {_first_line} of this file; each incident may "
            "appear once per export",
        ),
        (
            "force",
            pl.col("force").str.len_chars() > 100,
            "longer than 100 characters; expected the force's name",
        ),
        (
            "record_type",
            ~rt.is_in(_RECORD_TYPES),
            "not a record type; expected crime, asb (an ASB incident) or roc (a record of contact)",
        ),
        (
            "crime_type",
            is_crime & empty["crime_type"],
            "empty; a crime row needs its crime type, e.g. Burglary",
        ),
        (
            "crime_type",
            is_crime & (pl.col("crime_type").str.to_lowercase() == ASB_CRIME_TYPE.lower()),
            f"{ASB_CRIME_TYPE!r} is not a crime; give the row record_type asb (or roc)",
        ),
        (
            "crime_type",
            is_asb
            & ~empty["crime_type"]
            & (pl.col("crime_type").str.to_lowercase() != ASB_CRIME_TYPE.lower()),
            f"an asb or roc row has no crime type; expected empty or {ASB_CRIME_TYPE!r}",
        ),
        (
            "crime_type",
            pl.col("crime_type").str.len_chars() > 100,
            "longer than 100 characters; expected a crime type",
        ),
        (
            "asb_category",
            is_crime & ~empty["asb_category"],
            "a crime row has no ASB category; expected empty (or record_type asb or roc)",
        ),
        (
            "asb_category",
            ~empty["asb_category"] & pl.col("_cat").is_null(),
            "not an ASB category; expected Personal, Nuisance or Environmental (or P, N, E)",
        ),
        (
            "closure_code",
            is_crime & ~empty["closure_code"],
            "a crime row has no ASB closure code; expected empty (or record_type asb or roc)",
        ),
        (
            "closure_code",
            pl.col("closure_code").str.len_chars() > 10,
            "longer than 10 characters; expected a closure code, e.g. ASN",
        ),
        (
            "asb_category",
            is_asb & empty["asb_category"] & empty["closure_code"],
            "empty, and so is closure_code; an asb or roc row needs its NSIR category "
            "(Personal, Nuisance or Environmental) or closure code (ASP, ASN or ASE)",
        ),
        (
            "closure_code",
            is_asb & empty["asb_category"] & pl.col("_code_cat").is_null(),
            "not a known closure code and no asb_category is given; expected ASP, ASN or ASE, "
            "or give asb_category with the force's own code",
        ),
        (
            "closure_code",
            pl.col("_cat").is_not_null()
            & pl.col("_code_cat").is_not_null()
            & (pl.col("_cat") != pl.col("_code_cat")),
            "disagrees with asb_category {asb_category}: ASP is Personal, ASN Nuisance, "
            "ASE Environmental",
        ),
        ("covid", ~empty["covid"] & _flag("covid").is_null(), f"expected {_FLAG_FORMS}"),
    ]
    for c in DATETIME_COLUMNS:
        checks += datetime_checks(
            c, _DT_FORMS, "the date-time the incident happened or was reported", latest
        )
    checks += [
        (
            "occurred_from",
            empty["occurred_from"] & empty["reported_at"],
            "empty, and so is reported_at; expected at least one of them, e.g. 2021-03-01T14:30",
        ),
        (
            "occurred_to",
            pl.col("_occurred_to_utc") < pl.col("_occurred_from_utc"),
            "earlier than occurred_from {occurred_from}; expected the end of the period",
        ),
    ]
    checks += _coordinate_checks(empty)
    checks += [
        (
            "lsoa_code",
            ~empty["lsoa_code"] & ~pl.col("lsoa_code").str.to_uppercase().str.contains(_LSOA_RE),
            "not an LSOA code; expected a letter and 8 digits, e.g. E01019400",
        ),
        (
            "lpu",
            pl.col("lpu").str.len_chars() > 100,
            "longer than 100 characters; expected the LPU's name",
        ),
        (
            "snt",
            pl.col("snt").str.len_chars() > 100,
            "longer than 100 characters; expected the SNT's code or name",
        ),
    ]
    checks += [
        (
            c,
            ~empty[c] & ~pl.col(c).str.to_lowercase().is_in(THRIVE_GRADES),
            "not a THRIVE grade; expected low, medium, high or empty",
        )
        for c in THRIVE_COLUMNS
    ]
    checks.append(
        (
            "public_report",
            ~empty["public_report"] & _flag("public_report").is_null(),
            f"expected {_FLAG_FORMS}",
        )
    )
    return checks


def _coordinate_checks(empty: dict[str, pl.Expr]) -> list[tuple[str, pl.Expr, str]]:
    checks: list[tuple[str, pl.Expr, str]] = []
    for a, b, unit, example in (
        ("latitude", "longitude", "decimal degrees", "52.9225"),
        ("longitude", "latitude", "decimal degrees", "-1.4746"),
        ("easting", "northing", "metres", "435300"),
        ("northing", "easting", "metres", "336200"),
    ):
        checks.append(
            (a, empty[a] & ~empty[b], f"empty while {b} is given; expected both or neither")
        )
        checks.append(
            (
                a,
                ~empty[a] & ~pl.col(a).str.contains(_NUMBER_RE),
                f"not a number; expected {unit}, e.g. {example}",
            )
        )
    for c, (lo, hi), what in (
        (
            "latitude",
            _LAT_RANGE,
            "a WGS84 latitude in Great Britain (did you swap latitude and longitude?)",
        ),
        ("longitude", _LON_RANGE, "a WGS84 longitude in Great Britain"),
        ("easting", _EASTING_RANGE, "a British National Grid easting in metres"),
        ("northing", _NORTHING_RANGE, "a British National Grid northing in metres"),
    ):
        v = pl.col(f"_{c}")
        checks.append(
            (
                c,
                ~empty[c] & (v.is_nan() | (v < lo) | (v > hi)),
                f"outside {lo:g} to {hi:g}; expected {what}",
            )
        )
    checks.append(
        (
            "easting",
            pl.col("_pair_gap") > MAX_PAIR_DISTANCE_M,
            "easting/northing and latitude/longitude are {_pair_gap:.0f} m apart; "
            f"expected the same place (within {MAX_PAIR_DISTANCE_M:.0f} m), or give "
            "one pair only",
        )
    )
    return checks


def _prepare_people(df: pl.DataFrame) -> pl.DataFrame:
    pc = pl.col("postcode").str.to_uppercase().str.replace_all(r"\s+", " ")
    return df.with_columns(
        pl.col("date_of_birth").str.to_date("%Y-%m-%d", strict=False).alias("_dob"),
        pc.alias("_postcode"),
        pl.col("phone").str.replace_all(r"\D", "").str.len_chars().alias("_phone_digits"),
    )


def _person_checks() -> list[tuple[str, pl.Expr, str]]:
    today = date.today()
    dob = pl.col("_dob")
    given = {f: pl.col(f) != "" for f in PERSON_FIELDS}
    checks: list[tuple[str, pl.Expr, str]] = [
        (f, pl.col(f).str.contains("\x00", literal=True), "contains a NUL character; expected text")
        for f in PERSON_FIELDS
    ]
    return checks + [
        (
            "role",
            ~given["role"],
            "empty; a person needs a role: caller, victim, witness or suspect",
        ),
        (
            "role",
            ~pl.col("role").str.to_lowercase().is_in(_ROLES),
            "not a role; expected caller, victim, witness or suspect",
        ),
        (
            "date_of_birth",
            given["date_of_birth"] & ~pl.col("date_of_birth").str.contains(_DATE_RE),
            "not a date; expected YYYY-MM-DD, e.g. 1984-07-21",
        ),
        (
            "date_of_birth",
            given["date_of_birth"] & dob.is_null(),
            "not a real date (e.g. 30 February); expected YYYY-MM-DD",
        ),
        (
            "date_of_birth",
            (dob < date(1900, 1, 1)) | (dob > today),
            "before 1900 or in the future; expected a date of birth",
        ),
        (
            "phone",
            given["phone"] & ~pl.col("phone").str.contains(_PHONE_RE),
            "not a phone number; expected digits with optional +, spaces, brackets or hyphens, "
            "e.g. 01632 960123",
        ),
        (
            "phone",
            given["phone"] & ((pl.col("_phone_digits") < 7) | (pl.col("_phone_digits") > 15)),
            "not 7 to 15 digits; expected a phone number, e.g. 01632 960123 or +44 1632 960123",
        ),
        ("phone", pl.col("phone").str.len_chars() > 40, "longer than 40 characters"),
        (
            "email",
            given["email"] & ~pl.col("email").str.contains(_EMAIL_RE),
            "not an email address; expected e.g. name@example.org",
        ),
        ("email", pl.col("email").str.len_chars() > 254, "longer than 254 characters"),
        (
            "postcode",
            given["postcode"] & ~pl.col("_postcode").str.contains(_POSTCODE_RE),
            "not a UK postcode; expected e.g. DE1 2AB (or the outward code alone, e.g. DE1)",
        ),
    ]


# -- typed output ----------------------------------------------------------------------------


def _typed(df: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    def opt(col: str) -> pl.Expr:
        return pl.when(pl.col(col) == "").then(None).otherwise(pl.col(col))

    is_asb = pl.col("_rt").is_in(_ASB_TYPES)
    has_wgs = pl.col("latitude") != ""
    has_bng = pl.col("easting") != ""
    when_utc = pl.coalesce("_occurred_from_utc", "_reported_at_utc")
    rows = df.select(
        "line",
        "_row",
        pl.col("incident_reference").alias("reference"),
        opt("force").alias("force"),
        pl.col("_rt").alias("record_type"),
        when_utc.dt.convert_time_zone(LOCAL_TIME_ZONE).dt.strftime("%Y-%m").alias("month"),
        pl.when(is_asb)
        .then(pl.lit(ASB_CRIME_TYPE))
        .otherwise(pl.col("crime_type"))
        .alias("crime_type"),
        pl.when(is_asb).then(pl.coalesce("_cat", "_code_cat")).alias("asb_category"),
        pl.when(pl.col("_code") != "").then(pl.col("_code")).alias("closure_code"),
        _flag("covid").alias("covid"),
        *[pl.col(f"_{c}_utc").alias(c) for c in DATETIME_COLUMNS],
        pl.when(has_wgs)
        .then(pl.col("_longitude"))
        .when(has_bng)
        .then(pl.col("_lon_bng"))
        .alias("longitude"),
        pl.when(has_wgs)
        .then(pl.col("_latitude"))
        .when(has_bng)
        .then(pl.col("_lat_bng"))
        .alias("latitude"),
        pl.when(has_bng)
        .then(pl.col("_easting"))
        .when(has_wgs)
        .then(pl.col("_e_wgs").round(2))
        .alias("easting"),
        pl.when(has_bng)
        .then(pl.col("_northing"))
        .when(has_wgs)
        .then(pl.col("_n_wgs").round(2))
        .alias("northing"),
        opt("location_text").alias("location"),
        opt("lsoa_code").str.to_uppercase().alias("lsoa_code"),
        pl.lit(None, dtype=pl.String).alias("lsoa_name"),
        opt("lpu").alias("lpu"),
        opt("snt").alias("snt"),
        *[opt(c).str.to_lowercase().alias(c) for c in THRIVE_COLUMNS],
        _flag("public_report").fill_null(False).alias("public_report"),
    )
    rows = rows.join(_typed_people(people), on="_row", how="left", maintain_order="left")
    rows = rows.with_columns(
        pl.when(pl.col("people").is_null())
        .then(pl.lit([], dtype=pl.List(PERSON_DTYPE)))
        .otherwise(pl.col("people"))
        .alias("people"),
        pl.col("_people_text").fill_null(""),
    )
    texts = rows.select(_canonical_text().alias("t"))["t"].to_list()
    hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    return rows.drop("_row", "_people_text").with_columns(
        pl.Series("row_hash", hashes, dtype=pl.String)
    )


def _typed_people(people: pl.DataFrame) -> pl.DataFrame:
    pc = pl.col("_postcode").str.replace_all(" ", "", literal=True)
    postcode = (
        pl.when(pc.str.len_chars() > 4)
        .then(pl.concat_str([pc.str.head(-3), pl.lit(" "), pc.str.tail(3)]))
        .otherwise(pc)
    )
    typed = people.sort("_row", "_pos").select(
        "_row",
        pl.struct(
            pl.col("role").str.to_lowercase().alias("role"),
            "name",
            pl.col("_dob").alias("date_of_birth"),
            "phone",
            "email",
            "address",
            postcode.alias("postcode"),
        ).alias("person"),
    )
    text = typed.select(
        "_row",
        pl.concat_str(
            [pl.col("person").struct.field(f).cast(pl.String).fill_null("") for f in PERSON_FIELDS],
            separator="\x1e",
        ).alias("_t"),
    )
    return (
        typed.with_columns(text["_t"])
        .group_by("_row", maintain_order=True)
        .agg(
            pl.col("person").alias("people"),
            pl.col("_t").str.join("\x1d").alias("_people_text"),
        )
    )


_HASHED = (
    "reference",
    "force",
    "record_type",
    "month",
    "crime_type",
    "asb_category",
    "closure_code",
    "covid",
    *DATETIME_COLUMNS,
    "longitude",
    "latitude",
    "easting",
    "northing",
    "location",
    "lsoa_code",
    "lpu",
    "snt",
    *THRIVE_COLUMNS,
    "public_report",
)


def _canonical_text() -> pl.Expr:
    """One string per row holding its typed content; version-tagged so a change of form shows."""
    parts: list[pl.Expr] = [pl.lit("v1")]
    for c in _HASHED:
        e = pl.col(c)
        if c in DATETIME_COLUMNS:
            e = e.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        parts.append(e.cast(pl.String).fill_null("\x00"))
    parts.append(pl.col("_people_text"))
    return pl.concat_str(parts, separator="\x1f")
