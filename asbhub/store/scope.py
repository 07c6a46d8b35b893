"""The scope of a figure: which force, and which kinds of data (issue #12, items 2 and 3).

A store can hold several forces, force exports, residents' reports and synthetic data. Every
page and report that counts incidents reads them through one :class:`Scope`, so synthetic
rows never mix into real figures and a report never switches force on its own.

- **The force**: the deployment's own force, the ``ASBHUB_FORCE`` setting (environment
  variable of the same name); when it is unset, the force with the most published police.uk
  records in the store (then the most force-export records). Synthetic forces are never
  chosen while a real one is loaded.
- **The kinds of data**: published police.uk (``police_uk_street``), force exports
  (``force_export``), residents' reports through the public site (``public_report``), and
  synthetic data: any source whose force name starts with ``SYNTHETIC`` in any case (as the
  demonstration's :data:`asbhub.demo.tasking.DEMO_FORCE` does). The default scope counts
  recorded police data only: published police.uk and force exports of the force.
- **The default period**: :func:`latest_complete_month`, the latest month before the current
  calendar month that holds records of the scope (not the calendar month, not the synthetic
  tail).

A store that holds synthetic data only (a demonstration without the sample) gets a scope on
the synthetic force with ``synthetic=True``, and pages say so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from asbhub.domain.dates import split_months
from asbhub.store import tables as t
from asbhub.store.db import Store
from asbhub.store.sql import fetch, in_list

__all__ = [
    "DEFAULT_KINDS",
    "FORCE_ENV_VAR",
    "KIND_LABELS",
    "SYNTHETIC_PREFIX",
    "Scope",
    "configured_force",
    "default_force",
    "default_scope",
    "is_synthetic_force",
    "latest_complete",
    "latest_complete_month",
    "latest_real_month",
    "scope_forces",
    "scope_months",
]

#: The setting (and environment variable) naming the deployment's own force.
FORCE_ENV_VAR = "ASBHUB_FORCE"
#: A source whose force name starts with this (any case) holds synthetic data.
SYNTHETIC_PREFIX = "SYNTHETIC"
POLICE_UK = "police_uk_street"
FORCE_EXPORT = "force_export"
PUBLIC_REPORT = "public_report"
#: How each kind of data is named on pages and in reports.
KIND_LABELS = {
    POLICE_UK: "published police.uk records",
    FORCE_EXPORT: "force exports",
    PUBLIC_REPORT: "residents' reports",
}
#: What a figure counts unless asked otherwise: recorded police data.
DEFAULT_KINDS: frozenset[str] = frozenset({POLICE_UK, FORCE_EXPORT})


def is_synthetic_force(force: str | None) -> bool:
    """Whether a loaded unit's force name marks it as synthetic data.

    >>> is_synthetic_force("SYNTHETIC demonstration data (fictional people)")
    True
    >>> is_synthetic_force("Derbyshire Constabulary")
    False
    """
    return (force or "").strip().upper().startswith(SYNTHETIC_PREFIX)


@dataclass(frozen=True)
class Scope:
    """Which records a figure counts.

    Parameters
    ----------
    force : str or None
        The force, as its loaded units name it; None: every force (a store with one force).
    kinds : frozenset of str
        Source kinds counted (:data:`KIND_LABELS`); default :data:`DEFAULT_KINDS`.
    synthetic : bool
        Count synthetic sources too. False leaves them out whatever the force; a scope on a
        synthetic force needs True.
    """

    force: str | None
    kinds: frozenset[str] = field(default=DEFAULT_KINDS)
    synthetic: bool = False

    def where(self, source: str = "s") -> tuple[str, list[Any]]:
        """A SQL condition on ``incidents_source`` (aliased ``source``) and its parameters."""
        cond, params = in_list(f"{source}.kind", sorted(self.kinds))
        parts = [cond]
        if self.force is not None:
            parts.append(f"{source}.force = %s")
            params.append(self.force)
        if not self.synthetic:
            parts.append(f"UPPER({source}.force) NOT LIKE %s")
            params.append(SYNTHETIC_PREFIX + "%")
        return " AND ".join(parts), params

    def source_ids_sql(self, column: str = "i.source_id") -> tuple[str, list[Any]]:
        """``column IN (the scope's sources)``, for a query on incidents without the join."""
        cond, params = self.where("s")
        return f"{column} IN (SELECT s.id FROM {t.SOURCE} s WHERE {cond})", params

    def kinds_text(self) -> str:
        """'published police.uk records and force exports', in a fixed order."""
        names = [KIND_LABELS.get(k, k) for k in sorted(self.kinds, key=_kind_order)]
        text = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return text + (" (SYNTHETIC data: fictional people)" if self.synthetic else "")

    def describe(self) -> str:
        """The scope in one line, for a page or report: force, kinds and what is left out."""
        force = self.force or "every force loaded"
        left_out = "" if self.synthetic else "; synthetic data left out"
        return f"{force}: {self.kinds_text()}{left_out}"

    def as_dict(self) -> dict[str, Any]:
        """The scope as report parameters."""
        return {"force": self.force, "kinds": sorted(self.kinds), "synthetic": self.synthetic}


def _kind_order(kind: str) -> tuple[int, str]:
    order = list(KIND_LABELS)
    return (order.index(kind) if kind in order else len(order), kind)


def configured_force() -> str | None:
    """The ``ASBHUB_FORCE`` setting: Django's setting when Django is configured, else the
    environment variable; None when unset or blank."""
    value: str | None = None
    try:
        from django.conf import settings

        if settings.configured:
            value = getattr(settings, FORCE_ENV_VAR, None)
    except ImportError:  # pragma: no cover - Django is a dependency
        value = None
    if value is None:
        value = os.environ.get(FORCE_ENV_VAR)
    return value.strip() or None if value else None


def _forces_by_rows(store: Store) -> list[tuple[str, str, int]]:
    """(kind, force, rows) of every loaded unit's force, summed by kind and force."""
    sql = f"SELECT kind, force, SUM(rows) FROM {t.SOURCE} GROUP BY kind, force"
    return [(k, f, int(n or 0)) for k, f, n in fetch(store.connection, sql)]


def default_force(store: Store) -> str | None:
    """The deployment's own force: ``ASBHUB_FORCE``, else the real force with the most
    published police.uk records, else the most force-export records; None when the store holds
    no real force (empty, or synthetic data only)."""
    configured = configured_force()
    if configured is not None:
        return configured
    rows = _forces_by_rows(store)
    for kind in (POLICE_UK, FORCE_EXPORT):
        real = [(n, f) for k, f, n in rows if k == kind and f and not is_synthetic_force(f)]
        if real:
            # Most rows first; a tie goes to the name first in order, so the choice is stable.
            return min(real, key=lambda nf: (-nf[0], nf[1]))[1]
    return None


def default_scope(store: Store, force: str | None = None) -> Scope:
    """The scope a page or report uses unless told otherwise.

    ``force`` (a ``--force`` or a page's choice) wins over the setting. A store with no real
    force but synthetic data gets the synthetic force with the most rows, marked synthetic.
    """
    chosen = force or default_force(store)
    if chosen is not None:
        return Scope(force=chosen, synthetic=is_synthetic_force(chosen))
    synthetic = [(n, f) for _, f, n in _forces_by_rows(store) if is_synthetic_force(f)]
    if synthetic:
        return Scope(force=min(synthetic, key=lambda nf: (-nf[0], nf[1]))[1], synthetic=True)
    return Scope(force=None)


def scope_months(store: Store, scope: Scope, today: date | None = None) -> list[str]:
    """The allowed months (:mod:`asbhub.domain.dates`) holding records of the scope, sorted."""
    cond, params = scope.where("s")
    sql = (
        f"SELECT DISTINCT i.month FROM {t.INCIDENT} i "
        f"JOIN {t.SOURCE} s ON s.id = i.source_id WHERE {cond}"
    )
    return split_months([r[0] for r in fetch(store.connection, sql, params)], today)[0]


def scope_forces(store: Store, scope: Scope) -> dict[str, int]:
    """Records of the scope by force, as the loaded units name it."""
    cond, params = scope.where("s")
    sql = (
        f"SELECT s.force, COUNT(*) FROM {t.INCIDENT} i "
        f"JOIN {t.SOURCE} s ON s.id = i.source_id WHERE {cond} GROUP BY s.force"
    )
    return {str(f): int(n) for f, n in fetch(store.connection, sql, params)}


def latest_complete_month(store: Store, scope: Scope, today: date | None = None) -> str | None:
    """The latest month before ``today``'s calendar month holding records of the scope.

    The current month is never complete (records are still coming in, and police.uk publishes
    a month weeks after it ends). None when the scope has no such month.
    """
    today = today or date.today()
    return latest_complete(scope_months(store, scope, today), today)


def latest_complete(months: list[str], today: date) -> str | None:
    """The latest of sorted ``months`` before ``today``'s calendar month, or None.

    >>> latest_complete(["2019-01", "2019-02", "2026-11", "2026-12"], date(2026, 12, 7))
    '2026-11'
    """
    current = f"{today.year:04d}-{today.month:02d}"
    done = [m for m in months if m < current]
    return done[-1] if done else None


def latest_real_month(alias: str = "default", today: date | None = None) -> str | None:
    """:func:`latest_complete_month` of the default scope of a Django database alias (the
    web app's store), for a page's default period."""
    store = Store(url="the asbhub web app's database", alias=alias)
    return latest_complete_month(store, default_scope(store), today)
