"""Caches of figures that change only when data is loaded, keyed by the store's version.

The pages people open first (the overview, the hot-spot map, place search, the dashboard)
recompute whole-table figures; :func:`per_store_version` keeps each answer in the process
keyed by :func:`asbhub.store.query.store_version` (the number of loads and the latest load
time), so a new load is seen at the next request. Every such cache is registered here, so one
call, :func:`clear_all`, empties them: the tests call it before each test (their rolled-back
transactions can leave a different store behind the same version), and so may anything that
changes incidents outside a load (a restore: ``docs/deploy.md`` says to restart instead).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

_CACHES: list[Any] = []


def per_store_version(maxsize: int) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)``, registered so :func:`clear_all` empties it.

    The decorated function must take the store's version among its arguments.
    """

    def wrap(fn: F) -> F:
        cached = lru_cache(maxsize=maxsize)(fn)
        _CACHES.append(cached)
        return cast(F, cached)

    return wrap


def clear_all() -> int:
    """Empty every registered cache; returns how many there are."""
    for cached in _CACHES:
        cached.cache_clear()
    return len(_CACHES)
