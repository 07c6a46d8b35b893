"""Optimistic locking for every edit form of the cases app.

A form carries the ``version`` its editor started from; a write happens only if the row still
has it (``UPDATE ... WHERE id = %s AND version = %s``), so of two editors who opened the same
version only the first to save succeeds and nothing of the second's is written.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model
from django.utils import timezone

from asbhub.records.cases.services import ConcurrentEditError


def claim_version(obj: Model, expected_version: Any, label: str, **values: Any) -> int:
    """Move ``obj`` from ``expected_version`` to the next version, writing ``values`` with it.

    Call inside the transaction that makes the rest of the change, so a refusal (raised
    before anything else is written) leaves nothing behind.

    Returns
    -------
    int
        The new version (also set on ``obj``).

    Raises
    ------
    ConcurrentEditError
        The row is no longer at ``expected_version``: someone saved it in between.
    """
    model = type(obj)
    using = obj._state.db or "default"
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = -1
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values.setdefault("updated_at", timezone.now())
    updated = (
        model._default_manager.using(using)
        .filter(pk=obj.pk, version=expected)
        .update(version=F("version") + 1, **values)
    )
    if updated == 0:
        current = (
            model._default_manager.using(using)
            .filter(pk=obj.pk)
            .values_list("version", flat=True)
            .first()
        )
        raise ConcurrentEditError(
            f"{label} was changed by someone else after you opened it (you started from "
            f"version {expected_version}; it is now at version {current}). Your changes have "
            f"not been saved and nothing was overwritten: open the page again to see the "
            f"latest version, then make your changes again."
        )
    setattr(obj, "version", expected + 1)  # noqa: B010 - any locked model; Model has no version
    for name, value in values.items():
        setattr(obj, name, value)
    return expected + 1
