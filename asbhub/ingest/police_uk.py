"""Reader for data.police.uk street-level CSV files, exactly as published.

Each monthly download holds one ``YYYY-MM-<force>-street.csv`` per force, one row per crime
or anti-social behaviour (ASB) incident, with twelve columns. ASB rows have an empty Crime ID
and outcome; some forces publish rows with no location or no LSOA. Neither a row's content nor
its Crime ID identifies it (about one row in eight repeats another exactly: separate incidents
at the same anonymised point in the same month), so the reader keeps every row and numbers it
by its line.

Two paths give the same result: a fast one with polars for well-formed files, and a careful
one with the ``csv`` module, taken whenever the fast one cannot vouch for every line (bytes
that are not UTF-8, ragged or truncated rows, quoted line breaks, blank lines).
"""

from __future__ import annotations

import csv

import polars as pl

from asbhub.domain.dates import month_range_allowed
from asbhub.domain.months import MONTH_PATTERN
from asbhub.domain.vocab import ASB_CRIME_TYPE
from asbhub.ingest.common import (
    ParsedFile,
    Reject,
    WrongFileError,
    csv_careful_table,
    csv_fast_table,
)

KIND = "police_uk_street"

COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
# Column names in the typed output, in the same order as COLUMNS.
FIELDS = (
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "outcome",
    "context",
)
HEADER_TEXT = ",".join(COLUMNS)

# Headers of the other files in a data.police.uk download, named so the error can say which.
OTHER_POLICE_UK_FILES = {
    "Outcome type": "a data.police.uk outcomes file (-outcomes.csv)",
    "Object of search": "a data.police.uk stop-and-search file (-stop-and-search.csv)",
}

_LSOA_RE = r"^[EWSN]\d{8}$"


def header_matches(first_line: str) -> bool:
    """True when ``first_line`` is a data.police.uk street-level header."""
    try:
        names = next(csv.reader([first_line.lstrip("\ufeff")]))
    except (StopIteration, csv.Error):
        return False
    return tuple(n.strip() for n in names) == COLUMNS


def read_police_uk(name: str, raw: bytes) -> ParsedFile:
    """Read one data.police.uk street-level CSV file.

    Parameters
    ----------
    name : str
        The file's name, used in rejects and errors.
    raw : bytes
        The file's content.

    Returns
    -------
    ParsedFile
        Valid rows with typed columns ``line``, ``crime_id``, ``month``, ``reported_by``,
        ``falls_within``, ``longitude``, ``latitude``, ``location``, ``lsoa_code``,
        ``lsoa_name``, ``crime_type``, ``outcome``, ``context`` and ``record_type``
        (``"asb"`` or ``"crime"``), and a reject for every row that failed validation.

    Raises
    ------
    WrongFileError
        The file is empty, is not UTF-8 at all, or its header is not the street-level one.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    _check_header(name, raw)
    table = csv_fast_table(raw, list(FIELDS))
    pre_rejects: list[Reject] = []
    if table is None:
        table, pre_rejects = csv_careful_table(
            name, raw, list(FIELDS), list(COLUMNS), again="download it again from data.police.uk"
        )
    return _validate(name, table, pre_rejects)


def _check_header(name: str, raw: bytes) -> None:
    if not raw.strip():
        raise WrongFileError(
            f"{name}: the file is empty; expected a data.police.uk street-level CSV "
            f"whose first line is the header: {HEADER_TEXT}"
        )
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WrongFileError(
            f"{name}: line 1 is not UTF-8 text (byte 0x{first[exc.start]:02X} at position "
            f"{exc.start + 1}); expected a UTF-8 data.police.uk street-level CSV. If the file "
            "was saved by a spreadsheet, save it again as 'CSV UTF-8'."
        ) from None
    names = [n.strip() for n in next(csv.reader([text]), [])]
    if tuple(names) == COLUMNS:
        return
    for marker, what in OTHER_POLICE_UK_FILES.items():
        if marker in names:
            raise WrongFileError(
                f"{name}: this is {what}, which asbhub does not load; "
                f"expected a street-level file (-street.csv) with the header: {HEADER_TEXT}"
            )
    missing = [c for c in COLUMNS if c not in names]
    extra = [c for c in names if c not in COLUMNS]
    detail = []
    if missing:
        detail.append("missing column(s): " + ", ".join(repr(c) for c in missing))
    if extra:
        detail.append("unexpected column(s): " + ", ".join(repr(c) for c in extra))
    if not detail:
        detail.append("the columns are in another order")
    raise WrongFileError(
        f"{name}: line 1 is not a data.police.uk street-level header ({'; '.join(detail)}); "
        f"expected exactly: {HEADER_TEXT}"
    )


# (field, condition that makes the row bad, reason) checked in this order; a row is rejected
# for the first that applies, so each row has exactly one reject. The conditions read the
# helper columns _lon and _lat (the coordinates as numbers, null where not a number).
def _checks() -> list[tuple[str, pl.Expr, str]]:
    lon, lat = pl.col("longitude"), pl.col("latitude")
    lon_f, lat_f = pl.col("_lon"), pl.col("_lat")
    first_month, last_month = month_range_allowed()
    return [
        (
            "Month",
            ~pl.col("month").str.contains(MONTH_PATTERN),
            "not a month; expected YYYY-MM with a month 01 to 12, e.g. 2019-01",
        ),
        # The one date rule (asbhub.domain.dates): a month in 0999 would stretch every page.
        (
            "Month",
            (pl.col("month") < first_month) | (pl.col("month") > last_month),
            f"outside the allowed range; expected a month from {first_month} to {last_month}",
        ),
        (
            "Falls within",
            pl.col("falls_within").str.strip_chars() == "",
            "empty; expected the force's name, e.g. Derbyshire Constabulary",
        ),
        (
            "Reported by",
            pl.col("reported_by").str.strip_chars() == "",
            "empty; expected the reporting force's name",
        ),
        (
            "Crime type",
            pl.col("crime_type").str.strip_chars() == "",
            "empty; expected a data.police.uk crime type, e.g. Anti-social behaviour",
        ),
        (
            "Longitude",
            (lon == "") & (lat != ""),
            "empty while Latitude is given; expected both coordinates or neither",
        ),
        (
            "Latitude",
            (lat == "") & (lon != ""),
            "empty while Longitude is given; expected both coordinates or neither",
        ),
        (
            "Longitude",
            (lon != "") & lon_f.is_null(),
            "not a number; expected decimal degrees, e.g. -1.476",
        ),
        (
            "Latitude",
            (lat != "") & lat_f.is_null(),
            "not a number; expected decimal degrees, e.g. 52.922",
        ),
        (
            "Longitude",
            (lon_f < -180) | (lon_f > 180) | lon_f.is_nan(),
            "outside -180 to 180; expected a WGS84 longitude",
        ),
        (
            "Latitude",
            (lat_f < -90) | (lat_f > 90) | lat_f.is_nan(),
            "outside -90 to 90; expected a WGS84 latitude",
        ),
        (
            "LSOA code",
            (pl.col("lsoa_code") != "") & ~pl.col("lsoa_code").str.contains(_LSOA_RE),
            "not an LSOA code; expected a letter and 8 digits, e.g. E01019400",
        ),
    ]


_SOURCE_COLUMN = dict(zip(COLUMNS, FIELDS, strict=True))


def _validate(name: str, df: pl.DataFrame, pre_rejects: list[Reject]) -> ParsedFile:
    checks = _checks()
    conds = [cond.fill_null(False) for _, cond, _ in checks]
    df = df.with_columns(
        pl.col("longitude").cast(pl.Float64, strict=False).alias("_lon"),
        pl.col("latitude").cast(pl.Float64, strict=False).alias("_lat"),
    ).with_columns(pl.any_horizontal(conds).alias("_bad"))
    rejects = list(pre_rejects)
    bad = df.filter(pl.col("_bad"))
    if bad.height:
        # Only the bad rows are told apart by reason: most files have none.
        first = pl.coalesce([pl.when(c).then(pl.lit(i)) for i, c in enumerate(conds)])
        for row in bad.with_columns(first.alias("_fail")).iter_rows(named=True):
            field, _, reason = checks[row["_fail"]]
            rejects.append(Reject(name, row["line"], field, row[_SOURCE_COLUMN[field]], reason))
        rejects.sort(key=lambda r: r.line)
    good = _typed(df.filter(~pl.col("_bad")))
    return ParsedFile(
        name=name, kind=KIND, read=good.height + len(rejects), rows=good, rejects=rejects
    )


def _typed(df: pl.DataFrame) -> pl.DataFrame:
    """Values as published; an empty optional field becomes null."""

    def opt(col: str) -> pl.Expr:
        return pl.when(pl.col(col) != "").then(pl.col(col)).alias(col)

    asb = pl.col("crime_type") == ASB_CRIME_TYPE
    return df.select(
        "line",
        opt("crime_id"),
        "month",
        "reported_by",
        "falls_within",
        pl.col("_lon").alias("longitude"),
        pl.col("_lat").alias("latitude"),
        opt("location"),
        opt("lsoa_code"),
        opt("lsoa_name"),
        "crime_type",
        opt("outcome"),
        opt("context"),
        pl.when(asb).then(pl.lit("asb")).otherwise(pl.lit("crime")).alias("record_type"),
    )
