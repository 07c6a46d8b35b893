"""Harm beside counts in the scrutiny report (issue #16 item 3), when the deployment names a
harm weights file in ``ASBHUB_HARM_WEIGHTS`` (docs/harm.md).

The logic is :func:`asbhub.analysis.harm_rows`; this module only reads the configured file and
shapes the report's table, so the report sections make one small call.
"""

from __future__ import annotations

import os

from asbhub.analysis import harm_rows, read_harm_csv
from asbhub.reports.scrutiny.model import ReportTable

#: The environment variable naming the deployment's harm weights file.
HARM_ENV = "ASBHUB_HARM_WEIGHTS"


def harm_table(counts: ReportTable, table_id: str, total_label: str) -> ReportTable | None:
    """``counts`` (rows ``[crime type, n per period...]``) weighted by the configured harm
    weights, or None when no file is configured."""
    path = os.environ.get(HARM_ENV)
    if not path:
        return None
    harm = read_harm_csv(path)
    rows, missing = harm_rows(counts.rows, harm.weights, total_label)
    caption = f"Harm by type (weights: {os.path.basename(harm.name)}, SHA-256 {harm.sha256[:12]})"
    if missing:
        caption += f"; no weight for {', '.join(missing)}, left out of the total"
    return ReportTable(
        table_id, caption, [counts.columns[0], "Weight", *counts.columns[1:]], rows, decimals=1
    )
