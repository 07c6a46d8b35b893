"""The one base for records that are kept for good: written once, never changed or deleted.

The audit log (:class:`asbhub.records.partners.models.AuditEntry`) and the people-linking
decisions (:class:`asbhub.records.people.models.LinkDecision`) are append-only. A model built
on :class:`AppendOnlyModel` refuses, with :class:`AppendOnlyError`:

- ``save()`` of a row already stored (a new row is always inserted, never updated);
- ``delete()`` of a row;
- the bulk paths that skip ``save()`` and ``delete()``: ``QuerySet.update``, ``delete``,
  ``bulk_update``, and a ``bulk_create`` that would update rows on conflict
  (``update_conflicts=True``).

The database holds the same line for the audit log in a trigger
(:mod:`asbhub.records.partners.dbguard`); this base is the app's side of it, so a mistake in
code fails at once, naming the record kind, rather than deep in a transaction.

A ``ForeignKey(on_delete=SET_NULL)`` on such a model still lets the row it points to be
deleted: that is Django's collector, not an edit of the record, and the record keeps its
copied text (who, what) for that case.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

__all__ = ["AppendOnlyError", "AppendOnlyModel", "AppendOnlyQuerySet"]


class AppendOnlyError(PermissionError):
    """An attempt to change or delete an append-only record; the message names the kind."""


def _refusal(model: type[models.Model], verb: str) -> AppendOnlyError:
    noun = getattr(model, "append_only_noun", model._meta.verbose_name_plural)
    return AppendOnlyError(
        f"{noun} are append-only: they cannot be {verb} (add a new record instead)"
    )


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses every bulk write that would change or remove stored rows."""

    # Bulk paths skip save() and delete(), so each is refused here too.
    def update(self, **kwargs: Any) -> int:
        raise _refusal(self.model, "updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refusal(self.model, "deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise _refusal(self.model, "updated")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if kwargs.get("update_conflicts"):
            raise _refusal(self.model, "updated")
        return super().bulk_create(objs, *args, **kwargs)

    def update_or_create(self, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
        raise _refusal(self.model, "updated")


class AppendOnlyModel(models.Model):
    """Abstract base of an append-only model: see the module's docstring.

    Set ``append_only_noun`` (``"link decisions"``) for the messages; the default is the
    model's ``verbose_name_plural``. A subclass that needs more (the audit log lets only its
    chain writer insert) overrides :meth:`save` and calls ``super().save``.
    """

    append_only_noun: ClassVar[str]

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise _refusal(type(self), "changed")
        kwargs["force_insert"] = True  # never an UPDATE, even for a row given its own pk
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise _refusal(type(self), "deleted")
