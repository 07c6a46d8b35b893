"""Reader for call logs: 999, 101, 101 triage and online contacts (see docs/call-logs.md).

A call log has one row per call (or per leg of a call: a 101 triage call transferred to the main
101 queue is two rows), identified by its ``call_id``: a later log holding the same id updates
that call. The reader validates every row as the incident readers do: one reject per bad row,
for its first problem, with file, line, field, value and a reason that says what was expected.

Two paths give the same rows: polars for well-formed files, and the ``csv`` module whenever
polars cannot vouch for every line (bytes that are not UTF-8, ragged rows, quoted line breaks,
blank lines); see :mod:`asbhub.ingest.common`.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import re
from datetime import UTC, datetime, timedelta

import polars as pl

# LOCAL_TIME_ZONE is re-exported: synthetic call logs use the readers' time zone.
from asbhub.domain.dates import LOCAL_TIME_ZONE as LOCAL_TIME_ZONE
from asbhub.domain.vocab import CALL_CHANNELS
from asbhub.ingest.common import (
    ParsedFile,
    Reject,
    WrongFileError,
    csv_careful_table,
    csv_fast_table,
)
from asbhub.ingest.datetimes import datetime_checks, parse_datetimes

KIND = "call_log"

#: The contact channels a call log may hold (asbhub.domain.vocab.CALL_CHANNELS).
CHANNELS: tuple[str, ...] = CALL_CHANNELS
#: Every column, in the documented order.
COLUMNS: tuple[str, ...] = (
    "call_id", "channel", "queued_at", "answered_at", "ended_at", "abandoned", "transferred_to",
    "force",
)  # fmt: skip
#: Columns a header must have (their values may still be empty where the rules allow).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "call_id", "channel", "queued_at", "answered_at", "ended_at", "abandoned",
)  # fmt: skip
DATETIME_COLUMNS: tuple[str, ...] = ("queued_at", "answered_at", "ended_at")
EXPECTED_HEADER = ",".join(COLUMNS)
#: A call whose end is more than this after it was queued is taken for a mistyped date.
MAX_CALL_HOURS = 24
MAX_ID_CHARS = 64
MAX_TEXT_CHARS = 100

# Names only a call log header has, to tell it from other CSV files.
_MARKERS = {"call_id", "queued_at", "answered_at", "abandoned"}
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
_FLAG_FORMS = "true, false, yes, no, 1 or 0"
_DT_FORMS = (
    "expected ISO 8601, e.g. 2022-01-05T14:30:07 (Europe/London time), "
    "2022-01-05T14:30:07.250Z or 2022-06-05T14:30:07+01:00"
)
_CONTROL_RE = r"[\x00-\x1f\x7f]"


def header_matches(first_line: str) -> bool:
    """True when ``first_line`` looks like a call log header.

    Any one call log column name (``call_id``, ``queued_at``, ``answered_at`` or
    ``abandoned``) is enough, so that a header missing a required column still reaches
    :func:`read_calls`, whose error then names what is missing.
    """
    try:
        names = next(csv.reader([first_line.lstrip("\ufeff")]))
    except (StopIteration, csv.Error):
        return False
    return any(_normalise(n) in _MARKERS for n in names)


def read_calls(name: str, raw: bytes) -> ParsedFile:
    """Read one call log CSV file.

    Parameters
    ----------
    name : str
        The file's name, used in rejects and errors.
    raw : bytes
        The file's content, UTF-8 (a byte order mark is allowed).

    Returns
    -------
    ParsedFile
        ``rows`` holds one row per valid call, in file order, with the columns ``line`` (the
        line the row starts on), ``call_id``, ``channel`` (``999``, ``101``, ``triage`` or
        ``online``), ``queued_at``, ``answered_at`` (None when abandoned) and ``ended_at``
        (UTC datetimes, microseconds), ``abandoned`` (bool), ``transferred_to`` and ``force``
        (None when not given), ``wait_seconds`` (from queued to answered, or to the end of an
        abandoned call: how long the caller waited) and ``row_hash`` (the SHA-256 of the
        row's typed content, so the same call logged again, however formatted, has the same
        hash).

        Each rejected row has one :class:`~asbhub.ingest.common.Reject`, for its first
        problem.

    Raises
    ------
    WrongFileError
        The file is empty, UTF-16, not UTF-8 on its first line, JSON, or its header lacks a
        required column, has a column the format does not define, or repeats one.

    Examples
    --------
    >>> raw = (b"call_id,channel,queued_at,answered_at,ended_at,abandoned\\n"
    ...        b"C1,999,2022-02-01T10:00:00,2022-02-01T10:00:06,2022-02-01T10:03:00,false\\n")
    >>> parsed = read_calls("calls.csv", raw)
    >>> parsed.rows["wait_seconds"].to_list()
    [6.0]
    """
    raw = _check_encoding(name, raw)
    names = _header(name, raw)
    table = csv_fast_table(raw, names)
    pre_rejects: list[Reject] = []
    if table is None:
        table, pre_rejects = csv_careful_table(name, raw, names, again="export it again")
    table = table.select(
        "line", *[pl.col(c) if c in names else pl.lit("").alias(c) for c in COLUMNS]
    )
    return _validate(name, table, pre_rejects)


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
            f"{name}: the file is empty; expected a call log: a CSV file whose first line is "
            f"the header {EXPECTED_HEADER} (see docs/call-logs.md)"
        )
    return raw


def _normalise(column: str) -> str:
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


def _header(name: str, raw: bytes) -> list[str]:
    first = raw.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WrongFileError(
            f"{name}: line 1 is not UTF-8 text (byte 0x{first[exc.start]:02X} at position "
            f"{exc.start + 1}); expected a UTF-8 call log CSV. If a spreadsheet saved the "
            "file, save it again as 'CSV UTF-8'."
        ) from None
    if text.lstrip().startswith(("{", "[")):
        raise WrongFileError(
            f"{name}: line 1 is JSON, not a CSV header; a call log is CSV with the header "
            f"{EXPECTED_HEADER} (see docs/call-logs.md)"
        )
    names = [_normalise(n) for n in next(csv.reader([text]), [])]
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append("missing required column(s): " + ", ".join(missing))
    unknown = [n for n in names if n not in COLUMNS]
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
            f"{name}: line 1 is not a call log header ({'; '.join(problems)}). Expected the "
            f"columns {', '.join(REQUIRED_COLUMNS)}, optionally transferred_to and force, in "
            f"any order: {EXPECTED_HEADER} (see docs/call-logs.md)"
        )
    return names


# -- validation ------------------------------------------------------------------------------


def _validate(name: str, table: pl.DataFrame, pre_rejects: list[Reject]) -> ParsedFile:
    table = _prepare(table.with_columns(pl.col(COLUMNS).str.strip_chars()))
    checks = _checks()
    first = pl.coalesce(
        [pl.when(cond.fill_null(False)).then(pl.lit(i)) for i, (_, cond, _) in enumerate(checks)]
    )
    table = table.with_columns(first.alias("_fail"))
    rejects = list(pre_rejects)
    for row in table.filter(pl.col("_fail").is_not_null()).iter_rows(named=True):
        field, _, reason = checks[row["_fail"]]
        rejects.append(Reject(name, row["line"], field, row[field], reason.format(**row)))
    rejects.sort(key=lambda r: r.line)
    rows = _typed(table.filter(pl.col("_fail").is_null()))
    return ParsedFile(
        name=name, kind=KIND, read=rows.height + len(rejects), rows=rows, rejects=rejects
    )


def _flag(col: str) -> pl.Expr:
    v = pl.col(col).str.to_lowercase()
    return pl.when(v.is_in(_TRUE)).then(True).when(v.is_in(_FALSE)).then(False)


def _prepare(df: pl.DataFrame) -> pl.DataFrame:
    """Add the parsed helper columns (named ``_*``) the checks and the typed output share."""
    df = df.with_columns(
        pl.col("channel").str.to_lowercase().alias("_channel"),
        _flag("abandoned").alias("_abandoned"),
        pl.col("line").min().over("call_id").alias("_first_line"),
    )
    df = parse_datetimes(df, DATETIME_COLUMNS)
    return df.with_columns(
        (
            (pl.col("_ended_at_utc") - pl.col("_queued_at_utc")).dt.total_seconds(fractional=True)
            / 3600
        )
        .round(1)
        .alias("_call_hours"),
    )


def _checks() -> list[tuple[str, pl.Expr, str]]:
    """(field, condition that makes the row bad, reason), in the order they are tried.

    A row is rejected for the first that applies, so each row has exactly one reject. A
    reason may name other columns of the row in braces, e.g. ``{_first_line}``.
    """
    empty = {c: pl.col(c) == "" for c in COLUMNS}
    abandoned, answered = pl.col("_abandoned"), ~empty["answered_at"]
    queued, answered_utc, ended = (pl.col(f"_{c}_utc") for c in DATETIME_COLUMNS)
    latest = datetime.now(UTC) + timedelta(days=1)
    checks: list[tuple[str, pl.Expr, str]] = [
        (c, pl.col(c).str.contains("\x00", literal=True), "contains a NUL character; expected text")
        for c in COLUMNS
    ]
    checks += [
        (
            "call_id",
            empty["call_id"],
            "empty; expected the telephony system's call id, e.g. 999-20220201-000123",
        ),
        (
            "call_id",
            pl.col("call_id").str.contains(_CONTROL_RE)
            | (pl.col("call_id").str.len_chars() > MAX_ID_CHARS),
            f"longer than {MAX_ID_CHARS} characters or holds a control character; expected a "
            "call id",
        ),
        (
            "call_id",
            pl.col("line") != pl.col("_first_line"),
            "this call id is already on line {_first_line} of this file; each call may appear "
            "once per log",
        ),
        (
            "channel",
            ~pl.col("_channel").is_in(CHANNELS),
            "not a channel; expected " + ", ".join(CHANNELS),
        ),
        (
            "queued_at",
            empty["queued_at"],
            "empty; expected when the call reached the queue, e.g. 2022-02-01T10:00:00",
        ),
    ]
    checks += datetime_checks(
        "queued_at", _DT_FORMS, "the date-time the call reached the queue", latest
    )
    checks += datetime_checks(
        "answered_at", _DT_FORMS, "the date-time the call was answered", latest
    )
    checks += [
        (
            "ended_at",
            empty["ended_at"],
            "empty; expected when the call ended (or the caller hung up), e.g. 2022-02-01T10:03:00",
        ),
    ]
    checks += datetime_checks("ended_at", _DT_FORMS, "the date-time the call ended", latest)
    checks += [
        (
            "abandoned",
            empty["abandoned"],
            f"empty; expected {_FLAG_FORMS} (true: the caller hung up before an answer)",
        ),
        ("abandoned", abandoned.is_null(), f"not a yes/no value; expected {_FLAG_FORMS}"),
        (
            "transferred_to",
            pl.col("transferred_to").str.contains(_CONTROL_RE)
            | (pl.col("transferred_to").str.len_chars() > MAX_TEXT_CHARS),
            f"longer than {MAX_TEXT_CHARS} characters or holds a control character; expected "
            "where the call went, e.g. control room",
        ),
        (
            "force",
            pl.col("force").str.contains(_CONTROL_RE)
            | (pl.col("force").str.len_chars() > MAX_TEXT_CHARS),
            f"longer than {MAX_TEXT_CHARS} characters or holds a control character; expected "
            "the force's name",
        ),
        (
            "answered_at",
            abandoned & answered,
            "given, but abandoned is {abandoned}: an abandoned call was never answered; leave "
            "answered_at empty, or set abandoned to false",
        ),
        (
            "answered_at",
            ~abandoned & ~answered,
            "empty, but abandoned is {abandoned}: a call that was not abandoned was answered; "
            "give when, or set abandoned to true",
        ),
        (
            "answered_at",
            answered_utc < queued,
            "earlier than queued_at {queued_at}: a call is answered after it reaches the queue",
        ),
        (
            "ended_at",
            ended < answered_utc,
            "earlier than answered_at {answered_at}: a call ends after it is answered",
        ),
        (
            "ended_at",
            ended < queued,
            "earlier than queued_at {queued_at}: a call ends after it reaches the queue",
        ),
        (
            "ended_at",
            (ended - queued) > pl.duration(hours=MAX_CALL_HOURS),
            "{_call_hours} hours after queued_at {queued_at}; expected a call shorter than "
            f"{MAX_CALL_HOURS} hours: check the dates",
        ),
        (
            "transferred_to",
            abandoned & ~empty["transferred_to"],
            "given, but the call was abandoned: an unanswered call cannot be transferred; leave "
            "transferred_to empty, or set abandoned to false",
        ),
    ]
    return checks


# -- typed output ----------------------------------------------------------------------------


def _typed(df: pl.DataFrame) -> pl.DataFrame:
    def opt(col: str) -> pl.Expr:
        return pl.when(pl.col(col) == "").then(None).otherwise(pl.col(col)).alias(col)

    waited_to = pl.coalesce("_answered_at_utc", "_ended_at_utc")
    rows = df.select(
        "line",
        "call_id",
        pl.col("_channel").alias("channel"),
        *[pl.col(f"_{c}_utc").alias(c) for c in DATETIME_COLUMNS],
        pl.col("_abandoned").alias("abandoned"),
        opt("transferred_to"),
        opt("force"),
        (waited_to - pl.col("_queued_at_utc"))
        .dt.total_microseconds()
        .truediv(1_000_000)
        .alias("wait_seconds"),
    )
    texts = rows.select(canonical_text().alias("t"))["t"].to_list()
    hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    return rows.with_columns(pl.Series("row_hash", hashes, dtype=pl.String))


_HASHED = ("call_id", "channel", *DATETIME_COLUMNS, "abandoned", "transferred_to", "force")


def canonical_text() -> pl.Expr:
    """One string per typed call holding its content; version-tagged so a change of form shows.

    Works on :func:`read_calls`'s rows and on :func:`asbhub.synth.calls.generate_calls`'s.
    """
    parts: list[pl.Expr] = [pl.lit("calls-v1")]
    for c in _HASHED:
        e = pl.col(c)
        if c in DATETIME_COLUMNS:
            e = e.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        parts.append(e.cast(pl.String).fill_null("\x00"))
    return pl.concat_str(parts, separator="\x1f")
