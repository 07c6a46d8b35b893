"""Link any CSV of person records: the spreadsheet flow behind ``asbhub link PEOPLE.csv``.

Standard column names (matched ignoring case and surrounding spaces; any may be missing):

============== ==============================================================================
first_name     given name; titles, middle names and nicknames are handled
surname        family name
date_of_birth  ``dd/mm/yyyy``, ``yyyy-mm-dd``, ``yyyymmdd``, ``3 Apr 1985``, two-digit years...
address        one line (or several columns joined, see ``columns``)
postcode       UK postcodes are compared by sector and district; others exactly
phone          UK numbers in any common format (``07700 900123``, ``+44 7700 900123``...)
email          email address
full_name      used only when there is neither first_name nor surname
============== ==============================================================================

Other column names are mapped with ``columns``: ``{"first_name": "Forename",
"address": ["House", "Street", "Town"]}``, or on the command line
``--columns first_name=Forename,address=House+Street+Town`` (see :func:`parse_columns`).

The output is the input, every column as it was, plus ``cluster_id`` (records with the same id
are the same person; the id is the row number, from 1, of the cluster's first record, or its
value in ``id_column``) and ``best_match_weight`` (the strongest match weight, in bits, between
the record and any other; empty when no other record came close).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

from asbhub.outputs.csvsafe import safe_frame

from .model import LinkageModel, LinkResult, Thresholds, link_normalised
from .normalise import STANDARD_COLUMNS, normalise_people, resolve_columns

__all__ = ["OUTPUT_COLUMNS", "link_csv", "parse_columns"]

#: Columns :func:`link_csv` adds (replacing any of the same name in the input).
OUTPUT_COLUMNS = ("cluster_id", "best_match_weight")


def parse_columns(spec: str) -> dict[str, str | list[str]]:
    """Parse a column mapping written as ``standard=column,...``; ``+`` joins several columns.

    >>> parse_columns("first_name=Forename, address=House+Street")
    {'first_name': 'Forename', 'address': ['House', 'Street']}

    Raises
    ------
    ValueError
        If an item is not ``name=column`` or names no standard column.
    """
    out: dict[str, str | list[str]] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, cols = item.partition("=")
        name, cols = name.strip(), cols.strip()
        if not sep or not name or not cols:
            raise ValueError(
                f"--columns: {item!r} is not standard_name=column (e.g. first_name=Forename)"
            )
        if name not in STANDARD_COLUMNS:
            raise ValueError(
                f"--columns: {name!r} is not a standard column; expected one of "
                f"{', '.join(STANDARD_COLUMNS)}"
            )
        parts = [c.strip() for c in cols.split("+") if c.strip()]
        out[name] = parts[0] if len(parts) == 1 else parts
    return out


def link_csv(
    path: str | Path,
    out: str | Path,
    columns: Mapping[str, str | list[str]] | str | None = None,
    *,
    id_column: str | None = None,
    review_out: str | Path | None = None,
    thresholds: Thresholds | None = None,
    model: LinkageModel | None = None,
    separator: str = ",",
    seed: int = 42,
) -> LinkResult:
    """Link the person records in a CSV file and write each record's cluster.

    Parameters
    ----------
    path : str or Path
        CSV with a header row. Every column is read as text.
    out : str or Path
        Where to write the input columns plus :data:`OUTPUT_COLUMNS`.
    columns : mapping or str, optional
        Standard name -> CSV column (or list of columns joined with a space), or the same
        written as ``"first_name=Forename,address=House+Street"``.
    id_column : str, optional
        A column of unique record ids to use as cluster ids (default: row numbers from 1).
    review_out : str or Path, optional
        Also write the review queue (uncertain pairs, side by side) here.
    thresholds : Thresholds, optional
    model : LinkageModel, optional
        A trained model (e.g. ``LinkageModel.from_json("model.json")``). By default a model is
        trained on the file itself, which needs a few hundred records or more: a file of a
        handful of records gives it too little to learn from, and is best linked with a model
        trained on a larger set.
    separator : str
        Field separator (``","``; ``";"`` or ``"\\t"`` for other exports).
    seed : int
        Seed for u estimation.

    Returns
    -------
    LinkResult
        With ``unique_id`` the row number from 1 (or ``id_column``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file has no records, or no column is a standard person column (or mapped to
        one), or the mapped columns hold no usable values.
    KeyError
        If ``columns`` names a column the file lacks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from asbhub.synth import generate_people
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> people = generate_people(2000, seed=1).rename({"first_name": "Forename",
    ...                                                 "date_of_birth": "DOB"})
    >>> people.drop("person_id", "household_id").write_csv(d / "people.csv")
    >>> result = link_csv(d / "people.csv", d / "clusters.csv",
    ...                   "first_name=Forename,date_of_birth=DOB")
    >>> out = pl.read_csv(d / "clusters.csv")
    >>> out.columns[-2:], out["cluster_id"].n_unique() < out.height
    (['cluster_id', 'best_match_weight'], True)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    frame = pl.read_csv(
        path,
        infer_schema=False,
        separator=separator,
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
    )
    if frame.height == 0:
        raise ValueError(f"{path}: no records (only a header, or an empty file)")
    mapping = parse_columns(columns) if isinstance(columns, str) else columns
    try:
        source = resolve_columns(frame.columns, mapping)
    except KeyError as exc:
        raise KeyError(f"{path}: {exc.args[0]}") from None
    if not source:
        raise ValueError(
            f"{path}: no person columns found. The file has columns {', '.join(frame.columns)}; "
            f"name them (or map them with --columns) as any of {', '.join(STANDARD_COLUMNS)}, "
            "e.g. --columns first_name=Forename,date_of_birth=DOB"
        )
    if id_column is not None:
        if id_column not in frame.columns:
            raise KeyError(f"{path}: no id column {id_column!r}")
        ids = frame[id_column]
        if ids.null_count() or ids.n_unique() != ids.len():
            raise ValueError(f"{path}: id column {id_column!r} has empty or repeated values")
    else:
        ids = pl.Series(range(1, frame.height + 1), dtype=pl.Int64)
    norm = normalise_people(frame, columns=mapping).with_columns(ids.alias("unique_id"))
    try:
        result = link_normalised(norm, model=model, thresholds=thresholds, seed=seed)
    except ValueError as exc:
        used = ", ".join(f"{k} <- {'+'.join(v)}" for k, v in source.items())
        raise ValueError(f"{path}: {exc} (columns used: {used})") from None
    records = result.records.select("cluster_id", "best_match_weight")
    keep = frame.drop([c for c in OUTPUT_COLUMNS if c in frame.columns])
    safe_frame(keep.hstack(records)).write_csv(out)
    if review_out is not None:
        review = result.review.with_columns(pl.col(pl.List(pl.String)).list.join(" "))
        safe_frame(review).write_csv(review_out)
    return result
