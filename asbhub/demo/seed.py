"""What ``asbhub demo`` puts in a store after the bundled sample: each app's demonstration
data, in order, and a synthetic call log, so every page and report has something to show.

:func:`seed_demo` runs the steps (:data:`STEPS`) and hands each step's result to a
``report`` callback as soon as the step ends (the CLI prints it), so a slow step never hides
what came before. Every invented thing says so: agencies and accounts are fictional, cases
are titled ``DEMONSTRATION:``, incidents and calls carry a force name with ``SYNTHETIC`` in
it, and the call log's file name starts with ``SYNTHETIC``.

The call log (:func:`seed_demo_calls`) is drawn by :mod:`asbhub.synth.calls` (calibrated on
seed 003) at a small scale and loaded through the normal ingest path (the loader that
``asbhub ingest`` uses, which recognises a call log by its header): the financial year to
the sample's latest month, so the scrutiny report for a sample month has its 999 and 101
section, and the current financial year (at least the last 26 weeks) to yesterday, so the
dashboard's latest month has it too.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asbhub.store.db import Store

#: The force name of the demonstration calls: says they are synthetic wherever it is shown.
DEMO_CALLS_FORCE = "SYNTHETIC demonstration call log (no real calls)"
#: Start of the call log's file names (the source name the store keeps for each load).
DEMO_CALLS_FILE = "SYNTHETIC-demo-calls"
DEMO_CALLS_SEED = 20_190_228
#: A fiftieth of the calibrated force (about 3,000 999 calls and 7,000 101 calls a year):
#: enough for every figure of the call-handling section, small enough to load in a second.
DEMO_CALLS_SCALE = 0.02
#: The recent stretch covers at least this many weeks (as the demonstration incidents).
DEMO_CALLS_RECENT_WEEKS = 26

#: The steps of :func:`seed_demo`, in the order they run.
STEPS = ("partners", "cases", "incidents", "calls", "people", "risk")


@dataclass
class DemoSeeded:
    """What :func:`seed_demo` made: each step's result by name (see :data:`STEPS`), and the
    step that failed, if one did (the steps after it were not run)."""

    made: dict[str, Any] = field(default_factory=dict)
    failed: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None


def _financial_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def demo_call_periods(today: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
    """The stretches of the demonstration call log: the financial year to the end of the
    sample's latest month, and from the start of the current financial year (or 26 weeks
    back, if that is earlier) to yesterday. Never overlapping: call ids are per day."""
    from asbhub.demo.tasking import latest_sample_month

    today = today or dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    latest = latest_sample_month()
    sample_end = (latest + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    periods = [(_financial_year_start(latest), min(sample_end, yesterday))]
    recent = min(
        _financial_year_start(yesterday),
        yesterday - dt.timedelta(weeks=DEMO_CALLS_RECENT_WEEKS) + dt.timedelta(days=1),
    )
    recent = max(recent, periods[0][1] + dt.timedelta(days=1))
    if recent <= yesterday:
        periods.append((recent, yesterday))
    return periods


def seed_demo_calls(
    store: Store, today: dt.date | None = None, scale: float = DEMO_CALLS_SCALE
) -> tuple[Any, dict[str, Any]]:
    """Draw the demonstration call log and load it into ``store`` through the normal ingest
    path, one file per stretch (:func:`demo_call_periods`).

    Call ids start with ``SYNTHETIC-``, so they can never update a real force's calls loaded
    into the same store. Loading again stores nothing new (the same seed draws the same
    calls).

    Returns
    -------
    (LoadResult, dict)
        The loader's result and what the log covers: ``force``, ``seed``, ``scale``,
        ``periods`` (ISO date pairs), ``calls`` by channel and ``files``.
    """
    import polars as pl

    from asbhub.ingest.common import InputFile
    from asbhub.store.loaders import ingest
    from asbhub.synth.calls import CallSynthConfig, generate_calls, write_calls_csv

    config = CallSynthConfig(force=DEMO_CALLS_FORCE)
    periods = demo_call_periods(today)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="asbhub-demo-calls-") as tmp:
        inputs = []
        for k, (start, end) in enumerate(periods):
            calls = generate_calls(start, end, seed=DEMO_CALLS_SEED + k, config=config, scale=scale)
            calls = calls.with_columns((pl.lit("SYNTHETIC-") + pl.col("call_id")).alias("call_id"))
            for channel, n in calls.group_by("channel").len().iter_rows():
                counts[channel] = counts.get(channel, 0) + int(n)
            name = f"{DEMO_CALLS_FILE}-{start.isoformat()}-to-{end.isoformat()}.csv"
            path = write_calls_csv(calls, Path(tmp) / name)
            # The store keeps the file's name as the source: the bare name, not the temporary
            # folder, so every run of the demo names the same source.
            inputs.append(InputFile(name, path))
        result = ingest(store, inputs)
    info = {
        "force": DEMO_CALLS_FORCE,
        "seed": DEMO_CALLS_SEED,
        "scale": scale,
        "periods": [(s.isoformat(), e.isoformat()) for s, e in periods],
        "calls": dict(sorted(counts.items())),
        "files": [i.name for i in inputs],
    }
    return result, info


def _loaded(result: Any) -> bool:
    return bool(result.ok) and not result.rejects


def seed_demo(
    store: Store, report: Callable[[str, Any], None] | None = None, today: dt.date | None = None
) -> DemoSeeded:
    """Seed every app's demonstration data into ``store`` (which should hold the bundled
    sample already: the cases are set on its places).

    Steps, in order (:data:`STEPS`): ``partners`` (agencies, accounts and agreements: a dict
    of user name to a new password), ``cases`` (PMPs, powers, Case Reviews: counts by kind),
    ``incidents`` (synthetic incidents with fictional people: ``(LoadResult, info)``),
    ``calls`` (the synthetic call log: ``(LoadResult, info)``), ``people`` (person linkage:
    the people app's summary, or ``{"error": ...}``), ``risk`` (risk assessments recorded).

    Parameters
    ----------
    store : Store
    report : callable, optional
        Called as ``report(step, result)`` when each step ends.
    today : datetime.date, optional
        The day the demonstration is set on (default today).

    Returns
    -------
    DemoSeeded
        Each step's result; a load with rejects stops the run there (``failed``).
    """
    from asbhub.demo.cases import seed_demo_cases
    from asbhub.demo.partners import seed_demo_partners
    from asbhub.demo.people import seed_demo_people
    from asbhub.demo.risk import seed_demo_risk
    from asbhub.demo.tasking import seed_demo_incidents

    using = store.alias
    steps: dict[str, Callable[[], Any]] = {
        "partners": lambda: seed_demo_partners(using=using, today=today),
        "cases": lambda: seed_demo_cases(using=using, today=today),
        "incidents": lambda: seed_demo_incidents(store, today),
        "calls": lambda: seed_demo_calls(store, today),
        "people": lambda: seed_demo_people(using=using),
        "risk": lambda: seed_demo_risk(using=using, today=today),
    }
    seeded = DemoSeeded()
    for name in STEPS:
        result = steps[name]()
        seeded.made[name] = result
        if report is not None:
            report(name, result)
        if name in ("incidents", "calls") and not _loaded(result[0]):
            seeded.failed = name
            break
    return seeded
