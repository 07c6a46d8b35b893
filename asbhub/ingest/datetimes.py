"""ISO 8601 date-time columns, shared by the readers of force exports and call logs.

A date-time without an offset is Europe/London local time; in the hour the clocks repeat in
October the first (BST) occurrence is taken, and a time in the hour they skip in March has no
instant. Both readers parse and check their date-time columns here, so they agree on every
edge.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from asbhub.domain.dates import EARLIEST_DAY, LOCAL_TIME_ZONE, long_date

#: The one date rule (asbhub.domain.dates): no incident or call before 1 January 2000.
EARLIEST = datetime(EARLIEST_DAY.year, EARLIEST_DAY.month, EARLIEST_DAY.day, tzinfo=UTC)
DT_RE = (
    r"^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:\s*([Zz]|[+-]\d{2}(?::?\d{2})?))?)?$"
)


def parse_datetimes(df: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """Parse ISO 8601 text columns, adding ``_{c}_match``, ``_{c}_naive``, ``_{c}_bad_offset``,
    ``_{c}_gap`` and ``_{c}_utc`` for each column ``c``.

    Staged so that each regex and each parse runs once per column (an expression used twice
    in one ``with_columns`` may be evaluated twice).
    """
    df = df.with_columns(
        pl.col(c)
        .str.extract_groups(DT_RE)
        .struct.rename_fields([f"_{c}_{k}" for k in range(1, 7)])
        .alias(f"_{c}_parts")
        for c in columns
    )
    df = df.unnest([f"_{c}_parts" for c in columns])
    stage: list[pl.Expr] = []
    for c in columns:

        def part(k: int, c: str = c) -> pl.Expr:
            return pl.col(f"_{c}_{k}")

        local = pl.concat_str(
            [
                part(1),
                pl.lit(" "),
                part(2).fill_null("00"),
                pl.lit(":"),
                part(3).fill_null("00"),
                pl.lit(":"),
                part(4).fill_null("00"),
                pl.lit("."),
                part(5).fill_null("").str.pad_end(6, "0").str.slice(0, 6),
            ]
        )
        offset = part(6).str.to_uppercase().str.replace(":", "", literal=True)
        off_h = offset.str.slice(1, 2).cast(pl.Int64, strict=False).fill_null(0)
        off_m = offset.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
        sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
        stage += [
            part(1).is_not_null().alias(f"_{c}_match"),
            local.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False).alias(
                f"_{c}_naive"
            ),
            offset.is_not_null().alias(f"_{c}_aware"),
            pl.when(offset == "Z")
            .then(0)
            .otherwise(sign * (off_h * 60 + off_m))
            .alias(f"_{c}_minutes"),
            (offset.is_not_null() & ((off_h > 14) | (off_m > 59))).alias(f"_{c}_bad_offset"),
        ]
    df = df.with_columns(stage)
    # Naive times are UK local time; an hour that the clocks skipped has no UTC instant, and
    # in the repeated autumn hour the first (BST) occurrence is taken.
    df = df.with_columns(
        pl.col(f"_{c}_naive")
        .dt.replace_time_zone(LOCAL_TIME_ZONE, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .alias(f"_{c}_local")
        for c in columns
    )
    df = df.with_columns(
        e
        for c in columns
        for e in (
            (
                ~pl.col(f"_{c}_aware")
                & pl.col(f"_{c}_naive").is_not_null()
                & pl.col(f"_{c}_local").is_null()
            ).alias(f"_{c}_gap"),
            pl.when(pl.col(f"_{c}_aware"))
            .then(
                pl.col(f"_{c}_naive").dt.replace_time_zone("UTC")
                - pl.duration(minutes=pl.col(f"_{c}_minutes"))
            )
            .otherwise(pl.col(f"_{c}_local"))
            .alias(f"_{c}_utc"),
        )
    )
    return df


def datetime_checks(
    c: str, forms: str, expected: str, latest: datetime
) -> list[tuple[str, pl.Expr, str]]:
    """(field, condition that makes the row bad, reason) for a column parsed by
    :func:`parse_datetimes`. ``forms`` names the accepted forms with examples; ``expected``
    says which date-time the column holds (used when it is out of range)."""
    given = pl.col(c) != ""
    utc = pl.col(f"_{c}_utc")
    return [
        (c, given & ~pl.col(f"_{c}_match"), f"not a date-time; {forms}"),
        (
            c,
            given & (pl.col(f"_{c}_naive").is_null() | pl.col(f"_{c}_bad_offset")),
            f"not a real date, time or UTC offset (e.g. 30 February, 25:00 or +15:00); {forms}",
        ),
        (
            c,
            given & pl.col(f"_{c}_gap"),
            "this local time does not exist in the UK: the clocks went forward an hour then; "
            "give the right time, or a UTC offset (e.g. +00:00)",
        ),
        (
            c,
            given & ((utc < EARLIEST) | (utc > latest)),
            f"before {long_date(EARLIEST_DAY)} or in the future; expected {expected}, from "
            f"{long_date(EARLIEST_DAY)} to {long_date(latest.date())}",
        ),
    ]
