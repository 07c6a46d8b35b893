"""Near-repeat (Knox) and intervention evaluation results as files, stamped like hot spot maps.

The stamp (:func:`analysis_stamp`) has the same parts as a hot spot file's
(:func:`asbhub.outputs.make_stamp`): version, ``generated_at``, command line, method,
parameters (including those the analysis chose, such as a drawn seed), what was requested,
the seed, the data (files or store with SHA-256 digests, filters, records used and left out),
attribution and a ``run_id``. As for hot spots:

- a CSV has the stamp beside it as ``FILE.csv.json`` and a ``run_id`` column on every row, so
  runs appended into one Power BI table can be told apart and joined to their stamps;
- a JSON file carries the stamp as its top-level ``"asbhub"`` member.

Pure: no Django and no database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asbhub.outputs.csvsafe import safe_writer
from asbhub.outputs.hotspot_files.stamp import ATTRIBUTION, jsonable

if TYPE_CHECKING:
    from asbhub.analysis.evaluation import InterventionEvaluation, InterventionTally
    from asbhub.analysis.near_repeat import NearRepeatKnox

__all__ = [
    "KNOX_CSV_COLUMNS",
    "analysis_output_format",
    "analysis_stamp",
    "evaluation_document",
    "knox_document",
    "knox_parameters",
    "write_evaluation_json",
    "write_knox",
]

#: Columns of a Knox CSV, one row per spatial x temporal band pair.
KNOX_CSV_COLUMNS = (
    "spatial_band",
    "temporal_band",
    "observed",
    "expected",
    "ratio",
    "p_value",
    "run_id",
)

_METHOD_NAMES = {
    "near-repeat": "Knox test for near repeats (Monte Carlo permutations of times)",
    "evaluate": "Intervention evaluation: rate ratio, WDQ, total net effect and WDD",
}


def analysis_output_format(
    path: Path | str, allowed: tuple[str, ...] = (".csv", ".json"), option: str = "--out"
) -> str:
    """``'csv'`` or ``'json'`` from a file's ending.

    Raises
    ------
    ValueError
        For any other ending, naming the option and the endings understood.

    Examples
    --------
    >>> analysis_output_format("knox.csv")
    'csv'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise ValueError(
            f"{option} {path}: cannot tell the format from "
            f"{suffix or 'no ending'!r}; name the file with "
            f"{' or '.join(allowed)}"
        )
    return suffix[1:]


def analysis_stamp(
    method: str,
    parameters: dict[str, Any],
    *,
    data: dict[str, Any],
    command: str,
    seed: int | None = None,
    requested: dict[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """What a near-repeat or evaluation file was made from, JSON-ready.

    Parameters
    ----------
    method : {"near-repeat", "evaluate"}
    parameters : dict
        Every parameter the analysis used, including those it chose.
    data : dict
        Where the events came from (:meth:`asbhub.analysis_inputs.PointSet.data_stamp` and
        the records used and left out), or ``{"kind": "counts"}`` for counts given by hand.
    command : str
        The command line that made it.
    seed : int, optional
        The seed of any random draws (the Knox permutations).
    requested : dict, optional
        Settings as asked for, ``None`` where left to the analysis.
    generated_at : datetime, optional
        Default now (UTC).

    Returns
    -------
    dict
        ``version``, ``generated_at``, ``command``, ``method``, ``method_name``,
        ``parameters``, ``requested``, ``seed``, ``data``, ``attribution`` and ``run_id`` (the
        first 12 hex digits of the SHA-256 of the rest).
    """
    from asbhub import __version__

    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    stamp: dict[str, Any] = {
        "version": __version__,
        "generated_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "command": command,
        "method": method,
        "method_name": _METHOD_NAMES[method],
        "parameters": jsonable(parameters),
        "requested": jsonable(requested or {}),
        "seed": seed,
        "data": jsonable(data),
        "attribution": ATTRIBUTION,
    }
    digest = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()
    stamp["run_id"] = digest[:12]
    return stamp


# --------------------------------------------------------------------------------------------
# Knox
# --------------------------------------------------------------------------------------------


def knox_parameters(knox: NearRepeatKnox) -> dict[str, Any]:
    """The bands (edges, labels, intervals, the rule that chose them), permutations, seed and
    the events and pairs counted, JSON-ready."""

    def bands(b: Any) -> dict[str, Any]:
        return {
            "edges": list(b.edges),
            "unit": b.unit,
            "labels": list(b.labels),
            "intervals": list(b.intervals),
            "rule": b.rule,
        }

    return {
        "spatial_bands": bands(knox.spatial),
        "temporal_bands": bands(knox.temporal),
        "temporal_intervals_unit": "seconds",
        "n_permutations": knox.n_permutations,
        "seed": knox.seed,
        "n_events": knox.n_events,
        "n_pairs": knox.n_pairs,
        "n_close_pairs": knox.n_close_pairs,
    }


def _cells(knox: NearRepeatKnox) -> list[dict[str, Any]]:
    return [jsonable(row) for row in knox.table()]


def knox_document(knox: NearRepeatKnox, stamp: dict[str, Any]) -> dict[str, Any]:
    """The Knox table as one JSON document: the stamp as ``"asbhub"``, the band labels and one
    cell per band pair (a ratio with no expected pairs is ``null``)."""
    return {
        "asbhub": stamp,
        "spatial_bands": list(knox.spatial.labels),
        "temporal_bands": list(knox.temporal.labels),
        "cells": _cells(knox),
    }


def write_knox(knox: NearRepeatKnox, path: Path | str, stamp: dict[str, Any]) -> dict[str, Any]:
    """Write the Knox table as ``.csv`` (stamp beside it as ``FILE.csv.json``) or ``.json``.

    Returns
    -------
    dict
        ``path``, ``format`` and ``rows`` written.
    """
    path = Path(path)
    fmt = analysis_output_format(path)
    cells = _cells(knox)
    if fmt == "json":
        _write_json(path, knox_document(knox, stamp))
        return {"path": str(path), "format": fmt, "rows": len(cells)}
    # utf-8-sig: Excel and Power BI then read the file as UTF-8 without being told.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = safe_writer(fh)
        writer.writerow(KNOX_CSV_COLUMNS)
        for c in cells:
            writer.writerow(
                ["" if c[k] is None else c[k] for k in KNOX_CSV_COLUMNS[:-1]] + [stamp["run_id"]]
            )
    meta = {
        **stamp,
        "output": {
            "format": "csv",
            "table": path.name,
            "rows": len(cells),
            "columns": list(KNOX_CSV_COLUMNS),
        },
    }
    _write_json(path.with_name(path.name + ".json"), meta)
    return {"path": str(path), "format": fmt, "rows": len(cells)}


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def evaluation_document(
    evaluation: InterventionEvaluation,
    stamp: dict[str, Any],
    tally: InterventionTally | None = None,
) -> dict[str, Any]:
    """The evaluation as one JSON document: the stamp as ``"asbhub"``, the counts, each
    measure with its fields as on its class (``None`` with a ``reason`` where undefined), and
    for counts made from events, the windows and what was left out."""
    measures = {
        f.name: jsonable(dataclasses.asdict(getattr(evaluation, f.name)))
        if getattr(evaluation, f.name) is not None
        else None
        for f in dataclasses.fields(evaluation)
        if f.name not in ("counts", "confidence", "overdispersion")
    }
    doc: dict[str, Any] = {
        "asbhub": stamp,
        "counts": jsonable(dataclasses.asdict(evaluation.counts)),
        "confidence": evaluation.confidence,
        "overdispersion": evaluation.overdispersion,
        "measures": measures,
    }
    if tally is not None:
        doc["tally"] = {
            "before_window": [str(v) for v in tally.before_window],
            "after_window": [str(v) for v in tally.after_window],
            "windows_note": "start included, end excluded; UK local time",
            "buffer_distance": tally.buffer_distance,
            "n_events": tally.n_events,
            "n_excluded": tally.n_excluded,
            "n_during": tally.n_during,
            "n_control_overlap": tally.n_control_overlap,
        }
    return doc


def write_evaluation_json(
    evaluation: InterventionEvaluation,
    path: Path | str,
    stamp: dict[str, Any],
    tally: InterventionTally | None = None,
) -> dict[str, Any]:
    """Write :func:`evaluation_document` to a ``.json`` file; returns ``path`` and ``format``."""
    path = Path(path)
    analysis_output_format(path, (".json",))
    _write_json(path, evaluation_document(evaluation, stamp, tally))
    return {"path": str(path), "format": "json"}


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
