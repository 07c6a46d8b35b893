"""The phase banner: 'Demonstration' on a site whose database holds demonstration or synthetic
data, and no banner otherwise.

A context processor gives every page ``phase_banner``: ``None``, or the tag and the line that
``partners/_phase_banner.html`` shows. The database holds demonstration data when any Problem
Management Plan, power or ASB Case Review is marked ``is_demo`` (``asbhub demo`` writes them so),
or any loaded source's force name starts with ``SYNTHETIC`` (as the synthetic incidents' force,
``asbhub.demo.tasking.DEMO_FORCE``, does), in any case: SQLite cannot compare a prefix
case-sensitively, so PostgreSQL is made to agree with it, and a force named 'Synthetic ...' is
no more real than one named 'SYNTHETIC ...'.

The answer is kept for :data:`CACHE_SECONDS` per process and per database, so a busy page costs
no queries: a demonstration loaded into a running server shows its banner within a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, TypedDict

from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest

#: How long one process trusts its answer, in seconds.
CACHE_SECONDS = 60.0
#: The force name prefix that marks a source as synthetic.
SYNTHETIC_PREFIX = "SYNTHETIC"
TAG = "Demonstration"
TEXT = "This service holds demonstration and synthetic data: fictional people."


class PhaseBanner(TypedDict):
    tag: str
    text: str


_lock = threading.Lock()
#: database key -> (monotonic time the answer expires, the answer)
_cache: dict[tuple[str, str], tuple[float, bool]] = {}


def _database_key(alias: str = "default") -> tuple[str, str]:
    settings = connections[alias].settings_dict
    return (settings["ENGINE"], str(settings["NAME"]))


def holds_demonstration_data(alias: str = "default") -> bool:
    """Whether the database holds demonstration or synthetic data, asked of it now.

    Four ``EXISTS`` queries at most; tables not created yet (a database before migrations)
    count as holding none.
    """
    from asbhub.records.cases.models import CaseReview, Pmp, Power
    from asbhub.records.incidents.models import Source

    try:
        # A savepoint inside a request's transaction: on PostgreSQL a failed query would
        # otherwise spoil the rest of the request.
        # Not on SQLite, where every transaction takes the write lock as it begins
        # (BEGIN IMMEDIATE) and this read would queue behind a long load.
        guard = (
            transaction.atomic(using=alias)
            if connections[alias].vendor != "sqlite"
            else nullcontext()
        )
        with guard:
            return (
                any(
                    m.objects.using(alias).filter(is_demo=True).exists()
                    for m in (Pmp, Power, CaseReview)
                )
                or Source.objects.using(alias).filter(force__istartswith=SYNTHETIC_PREFIX).exists()
            )
    except DatabaseError:
        return False


def demonstration_data(
    alias: str = "default", *, clock: Callable[[], float] = time.monotonic
) -> bool:
    """:func:`holds_demonstration_data`, asked at most once a minute per process and database."""
    key = _database_key(alias)
    now = clock()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now < cached[0]:
        return cached[1]
    answer = holds_demonstration_data(alias)
    with _lock:
        _cache[key] = (now + CACHE_SECONDS, answer)
    return answer


def forget() -> None:
    """Drop every cached answer, so the next page asks the database again (for tests, and for
    a command that has just loaded or removed demonstration data in this process)."""
    with _lock:
        _cache.clear()


def phase_banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``phase_banner`` is a :class:`PhaseBanner` or ``None``."""
    banner: PhaseBanner | None = {"tag": TAG, "text": TEXT} if demonstration_data() else None
    return {"phase_banner": banner}
