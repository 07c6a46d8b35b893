"""Synthetic incidents for ``asbhub demo``, so the daily briefing and the weekly pack have
content: fictional people on the real places of the bundled data.police.uk sample.

SYNTHETIC DATA. Every row's force is :data:`DEMO_FORCE`, which says so, and pages that show
these incidents carry a banner. The people are invented by :mod:`asbhub.synth` (misspelt
names, moved addresses, repeat callers) with a fixed seed.

Two stretches are written, both through the normal ingest path (a force export CSV loaded as
``asbhub ingest`` loads one; a reject fails the demo):

- **recent**: the 26 weeks up to yesterday, so today's briefing has something to say;
- **around the sample**: a subset of the same draw moved back by whole weeks (weekdays and
  times of day kept) to end with the month after the sample's latest month, so a briefing or
  weekly pack for a date in the sample's months has dated incidents beside the open data.

One draw serves both because drawing is the slow part (the person generator's set-up costs
seconds whatever the size).
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from asbhub.store.db import Store

#: The force name of the demonstration incidents: says they are synthetic wherever it is shown.
DEMO_FORCE = "SYNTHETIC demonstration data (fictional people)"
DEMO_SEED = 20_190_228
N_RECENT = 3000
N_AROUND_SAMPLE = 1500
RECENT_WEEKS = 26


def latest_sample_month() -> dt.date:
    import re

    from asbhub.data import sample_paths

    months = []
    for path in sample_paths():
        months += [(int(y), int(m)) for y, m in re.findall(r"(\d{4})-(\d{2})", Path(path).name)]
    year, month = max(months) if months else (2019, 2)
    return dt.date(year, month, 1)


def demo_export(today: dt.date | None = None) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The demonstration export (force export rows with people) and what it covers."""
    from asbhub.synth.incidents import IncidentSynthConfig, generate_force_export

    today = today or dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    start = yesterday - dt.timedelta(weeks=RECENT_WEEKS) + dt.timedelta(days=1)
    recent = generate_force_export(
        start,
        yesterday,
        seed=DEMO_SEED,
        n_incidents=N_RECENT,
        config=IncidentSynthConfig(force=DEMO_FORCE),
    ).export
    recent = recent.with_columns(
        (pl.lit("SYNTHETIC-R-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(6)).alias(
            "incident_reference"
        )
    )
    # The month after the sample's latest month ends the moved stretch.
    latest = latest_sample_month()
    end = (latest + dt.timedelta(days=62)).replace(day=1) - dt.timedelta(days=1)
    weeks = math.ceil((yesterday - end).days / 7)
    every = max(1, N_RECENT // N_AROUND_SAMPLE)
    moved = recent.gather_every(every).head(N_AROUND_SAMPLE)
    # Exact instants move, so a report never lands before its incident across a clock change.
    shift = pl.duration(hours=24 * 7 * weeks)
    moved = moved.with_columns(
        (pl.lit("SYNTHETIC-S-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(6)).alias(
            "incident_reference"
        ),
        *[(pl.col(c) - shift).alias(c) for c in ("occurred_from", "occurred_to", "reported_at")],
    )
    export = pl.concat([moved, recent])
    first_moved = moved["occurred_from"].dt.min()
    info = {
        "force": DEMO_FORCE,
        "seed": DEMO_SEED,
        "incidents": export.height,
        "recent": f"{start.isoformat()} to {yesterday.isoformat()}",
        "around_sample": f"{first_moved:%Y-%m-%d} to {moved['occurred_from'].dt.max():%Y-%m-%d}"
        if moved.height
        else "none",
    }
    return export, info


def seed_demo_incidents(store: Store, today: dt.date | None = None) -> tuple[Any, dict[str, Any]]:
    """Write the demonstration export to a temporary CSV and load it into ``store``.

    Returns
    -------
    (LoadResult, dict)
        The loader's result (``read = stored + already stored + rejected``) and what the
        export covers (force name, seed, periods, incidents).
    """
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.loaders import ingest
    from asbhub.synth.incidents import write_force_export_csv

    export, info = demo_export(today)
    with tempfile.TemporaryDirectory(prefix="asbhub-demo-") as tmp:
        path = write_force_export_csv(export, Path(tmp) / "synthetic-demo-export.csv")
        result = ingest(store, list(expand_inputs([path])))
    return result, info
