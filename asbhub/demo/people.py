"""Person linkage for ``make demo``: link whatever Person rows the demonstration loaded.

The people themselves come from the demonstration incidents (fictional, synthetic people);
this only links them, so the person pages and the review queue have something to show.
"""

from __future__ import annotations

from typing import Any

from asbhub.records.incidents.models import Person
from asbhub.records.people.services import link_store


def seed_demo_people(using: str = "default") -> dict[str, Any]:
    """Link the store's Person rows (incrementally when a model is saved, else in full).

    Returns
    -------
    dict
        ``people``, ``clusters``, ``new_links``, ``queued_pairs``, ``open_pairs`` and ``mode``
        (``none`` and zeros when the store holds no Person rows: nothing is done), and
        ``error`` when the records were too few to train a model on (the demo goes on).
    """
    keys = ("people", "clusters", "new_links", "queued_pairs", "open_pairs")
    if not Person.objects.using(using).exists():
        return {"mode": "none", **dict.fromkeys(keys, 0)}
    try:
        run = link_store(using)
    except ValueError as exc:
        return {"mode": "none", **dict.fromkeys(keys, 0), "error": str(exc)}
    return {"mode": run.mode, **{k: getattr(run, k) for k in keys}}
