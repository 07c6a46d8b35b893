"""Forecast accuracy tables (issue #16): the Markdown table ``asbhub hotspots evaluate`` prints,
and the CSV of every row with its stamp beside it as ``FILE.csv.json``, as the hot-spot files
are stamped (:func:`asbhub.outputs.make_stamp`): version, time, command, parameters, data.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asbhub.analysis import ForecastAccuracy
from asbhub.analysis.forecast import METHOD_LABELS
from asbhub.outputs.csvsafe import safe_writer
from asbhub.outputs.hotspot_files import ATTRIBUTION

__all__ = ["forecast_csv_rows", "forecast_stamp", "forecast_summary_markdown", "write_forecast_csv"]

CSV_COLUMNS = (
    "method",
    "trained_from",
    "trained_to",
    "test_month",
    "area_share",
    "cells_flagged",
    "cells_in_study_area",
    "captured",
    "total",
    "oracle_captured",
    "oracle_cells",
    "pai",
    "pei",
    "pei_star",
    "rri",
    "run_id",
)


def _num(value: float, digits: int = 3) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def forecast_summary_markdown(result: ForecastAccuracy) -> str:
    """The mean scores per area share and method, as a Markdown table (the docs' tables)."""
    lines = [
        "| top area | method | months | PAI | PEI | PEI* | RRI | PAI vs naive |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result.summary():
        share = float(row["area_share"])
        lines.append(
            f"| {share:.0%} | {row['method']} | {int(float(row['months']))} "
            f"| {_num(float(row['pai']), 2)} | {_num(float(row['pei']))} "
            f"| {_num(float(row['pei_star']))} | {_num(float(row['rri']), 2)} "
            f"| {_num(float(row['pai_vs_naive']), 2)}x |"
        )
    return "\n".join(lines)


def forecast_month_markdown(result: ForecastAccuracy) -> str:
    """Every method, test month and share, as a Markdown table."""
    lines = [
        "| method | test month | top area | cells | captured | of | PAI | PEI | PEI* | RRI |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result.rows:
        s = r.score
        lines.append(
            f"| {r.method} | {r.test_period} | {r.area_share:.0%} | {s.n_flagged} "
            f"| {s.captured:g} | {s.total:g} | {_num(s.pai, 2)} | {_num(s.pei)} "
            f"| {_num(s.pei_star)} | {_num(s.rri, 2)} |"
        )
    return "\n".join(lines)


def best_method_lines(result: ForecastAccuracy) -> list[str]:
    """One sentence per area share: the method with the highest mean PAI, and by how much it
    beats the naive baseline."""
    out = []
    by_share: dict[float, list[dict[str, Any]]] = {}
    for row in result.summary():
        by_share.setdefault(float(row["area_share"]), []).append(row)
    for share, rows in by_share.items():
        scored = [r for r in rows if math.isfinite(float(r["pai"]))]
        if not scored:
            continue
        best = max(scored, key=lambda r: float(r["pai"]))
        ratio = float(best["pai_vs_naive"])
        vs = f", {ratio:.2f}x the naive baseline's PAI" if math.isfinite(ratio) else ""
        out.append(
            f"top {share:.0%}: best {best['method']} (mean PAI {float(best['pai']):.2f}{vs})"
        )
    return out


def forecast_stamp(
    result: ForecastAccuracy,
    *,
    data: dict[str, Any],
    command: str,
    requested: dict[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """What the table was made from, JSON-ready, with a ``run_id`` as the hot-spot stamps."""
    from asbhub import __version__

    g = result.grid
    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    stamp: dict[str, Any] = {
        "version": __version__,
        "generated_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "command": command,
        "method": "forecast_accuracy",
        "method_name": "Forecast accuracy of hot-spot maps (PAI, PEI, PEI*, RRI)",
        "parameters": {
            **result.parameters,
            "methods": {m: METHOD_LABELS[m] for m in result.methods},
            "area_shares": list(result.area_shares),
            "study_area_rule": result.study_area_rule,
            "cells_in_study_area": result.n_cells,
            "grid": {
                "x0": g.x0,
                "y0": g.y0,
                "cell_size": g.cell_size,
                "nx": g.nx,
                "ny": g.ny,
                "epsg": g.epsg,
            },
            "periods": [p[:7] for p in result.periods],
            "skipped": list(result.skipped),
        },
        "requested": requested or {},
        "seed": None,
        "data": {
            **data,
            "n_points_used": result.n_points_used,
            "n_points_excluded": result.n_points_excluded,
        },
        "attribution": ATTRIBUTION,
    }
    digest = hashlib.sha256(json.dumps(stamp, sort_keys=True, default=str).encode()).hexdigest()
    stamp["run_id"] = digest[:12]
    return stamp


def forecast_csv_rows(result: ForecastAccuracy, run_id: str) -> list[list[Any]]:
    """Header and one row per method, test month and area share."""
    out: list[list[Any]] = [list(CSV_COLUMNS)]

    def cell(v: float) -> Any:
        return "" if math.isnan(v) else ("inf" if math.isinf(v) else round(v, 9))

    for r in result.rows:
        s = r.score
        out.append(
            [
                r.method,
                r.trained_from,
                r.trained_to,
                r.test_period,
                r.area_share,
                s.n_flagged,
                s.n_cells,
                s.captured,
                s.total,
                s.oracle_captured,
                s.oracle_cells,
                cell(s.pai),
                cell(s.pei),
                cell(s.pei_star),
                cell(s.rri),
                run_id,
            ]
        )
    return out


def write_forecast_csv(
    result: ForecastAccuracy, path: Path | str, stamp: dict[str, Any]
) -> dict[str, Any]:
    """Write every row as CSV (UTF-8 with BOM, for Excel and Power BI) and the stamp beside it
    as ``PATH.json``; returns what was written."""
    path = Path(path)
    rows = forecast_csv_rows(result, stamp["run_id"])
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        safe_writer(fh).writerows(rows)
    meta = {
        **stamp,
        "output": {"format": "csv", "table": path.name, "rows": len(rows) - 1},
        "columns": {
            "pai": "(captured / total) / (cells_flagged / cells_in_study_area)",
            "pei": "captured / oracle_captured",
            "pei_star": "pai / ((oracle_captured / total) / (oracle_cells / cells_in_study_area))",
            "rri": "predicted / captured in the flagged cells (empty: the method predicts no "
            "counts)",
        },
    }
    sidecar = path.with_name(path.name + ".json")
    sidecar.write_text(
        json.dumps(meta, indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n",
        encoding="utf-8",
    )
    return {"path": str(path), "rows": len(rows) - 1, "stamp": sidecar.name}
