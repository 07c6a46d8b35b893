"""Linking the store's Person rows: a full link, incremental linking of new rows, and the map
the daily briefing takes.

- :func:`link_full`: train a model on every Person row (or use a given one), cluster, and
  write the clusters, memberships and review queue in one transaction. Analysts' merges,
  splits and confirmations are replayed on top of the engine's clusters, so a rebuild does not
  undo them; rejected pairs stay rejected and are never queued again.
- :func:`link_new`: link Person rows that have no cluster yet against the saved model and the
  existing clusters (:class:`asbhub.linkage.PersonIndex`). Existing memberships never change:
  where new records link to two known people, the pair goes to the review queue instead.
- :func:`link_store`: incremental when a model is saved, else full (``asbhub people link``).
- :func:`person_cluster_map`: ``{person row id: cluster id}`` for
  :func:`asbhub.reports.briefing.build_briefing`'s ``person_key``.

Each run is audited as a change made by the system (no user) with counts only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from asbhub.records.incidents.models import Person
from asbhub.records.partners.access import record_access
from asbhub.records.partners.models import AuditAction
from asbhub.records.people import frames
from asbhub.records.people.models import (
    CandidatePair,
    DecisionKind,
    LinkageModelVersion,
    LinkDecision,
    LinkedPerson,
    LinkMethod,
    Membership,
    PairReason,
    PairStatus,
)

#: The purpose every linkage run and review is logged with.
LINKAGE_PURPOSE = "Person linkage: finding which records are the same person"


@dataclass
class LinkRun:
    """What a linkage run did (printed by ``asbhub people link``).

    Attributes
    ----------
    mode : str
        ``full``, ``incremental`` or ``none`` (no Person rows, or none new).
    people : int
        Person rows with a cluster after the run.
    clusters : int
        Linked people after the run.
    new_links : int
        Memberships written by the run (every row for a full link; the new rows otherwise).
    new_clusters : int
        Linked people created by the run.
    queued_pairs : int
        Pairs added to the review queue by the run.
    open_pairs : int
        Pairs waiting for review after the run.
    model_version : int or None
    trained : bool
        A new model was trained and saved.
    replayed_decisions : int
        Analysts' decisions replayed (full link only).
    seconds : dict of str to float
    """

    mode: str = "none"
    people: int = 0
    clusters: int = 0
    new_links: int = 0
    new_clusters: int = 0
    queued_pairs: int = 0
    open_pairs: int = 0
    model_version: int | None = None
    trained: bool = False
    replayed_decisions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- reading the store ---------------------------------------------------------------------


def prune_stale(using: str = "default") -> int:
    """Delete memberships and queue entries whose Person row is gone (a reload deleted it),
    and linked people left with no members. Returns the rows deleted."""
    live = Person.objects.using(using).values("pk")
    n = Membership.objects.using(using).exclude(person_id__in=live).delete()[0]
    pairs = CandidatePair.objects.using(using)
    n += pairs.exclude(person_a_id__in=live).delete()[0]
    n += pairs.exclude(person_b_id__in=live).delete()[0]
    n += LinkedPerson.objects.using(using).filter(memberships__isnull=True).delete()[0]
    return n


def _rows(queryset: Any) -> list[tuple[Any, ...]]:
    return list(queryset.order_by("pk").values_list(*frames.PERSON_FIELDS))


def current_model(using: str = "default") -> LinkageModelVersion | None:
    """The newest saved model, or None."""
    return LinkageModelVersion.objects.using(using).order_by("-version").first()


def save_model(
    model: Any, using: str = "default", *, trained_on: int = 0, source: str = ""
) -> LinkageModelVersion:
    """Save ``model`` (a :class:`asbhub.linkage.LinkageModel`) as the next version, unless it
    is the newest version already."""
    text = model.to_json()
    digest = LinkageModelVersion.digest_of(text)
    latest = current_model(using)
    if latest is not None and latest.digest == digest:
        return latest
    return LinkageModelVersion.objects.using(using).create(
        version=(latest.version + 1) if latest else 1,
        model_json=text,
        digest=digest,
        trained_on=trained_on,
        source=source[:300],
    )


def person_cluster_map(using: str = "default") -> dict[int, int]:
    """``{incidents_person.id: linked person id}`` for every linked Person row: the
    ``person_key`` of :func:`asbhub.reports.briefing.build_briefing`.

    Examples
    --------
    >>> from asbhub.reports.briefing import build_briefing        # doctest: +SKIP
    >>> build_briefing(store, day, person_key=person_cluster_map(store.alias))  # doctest: +SKIP
    """
    rows = (
        Membership.objects.using(using)
        .filter(person__incident__isnull=False)
        .values_list("person_id", "linked_person_id")
    )
    return {int(p): int(c) for p, c in rows}


# -- writing -------------------------------------------------------------------------------


def _audit_run(mode: str, using: str, detail: Mapping[str, Any]) -> int:
    entry = record_access(
        None,
        AuditAction.CHANGE,
        ("people.linkrun", mode),
        purpose=LINKAGE_PURPOSE,
        detail=dict(detail),
        using=using,
    )
    return entry.seq


def refresh_display(cluster_ids: Iterable[int], using: str = "default") -> None:
    """Recompute the derived fields of these linked people from their members."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return
    members: dict[int, list[tuple[int, str]]] = {}
    for cid, pid, role in (
        Membership.objects.using(using)
        .filter(linked_person_id__in=ids)
        .values_list("linked_person_id", "person_id", "person__role")
    ):
        members.setdefault(cid, []).append((pid, role or ""))
    now = timezone.now()
    updates = []
    for cp in LinkedPerson.objects.using(using).filter(pk__in=ids):
        rows = members.get(cp.pk, [])
        cp.n_records = len(rows)
        cp.roles = ", ".join(sorted({r for _, r in rows if r}))[:100]
        cp.label_person_id = max((p for p, _ in rows), default=None)
        cp.updated_at = now
        updates.append(cp)
    LinkedPerson.objects.using(using).bulk_update(
        updates, ["n_records", "roles", "label_person", "updated_at"], batch_size=500
    )


def _queue_pairs(
    frame: Any,
    reason: str,
    cluster_of: Mapping[int, int],
    comparisons: list[str],
    version: LinkageModelVersion,
    using: str,
) -> int:
    """Add pairs of ``frame`` (scored pairs, ids = Person pks) whose records are in different
    clusters and that were never queued before (a rejected pair is never proposed again)."""
    if frame is None or frame.height == 0:
        return 0
    wanted: dict[tuple[int, int], dict[str, Any]] = {}
    for row in frame.iter_rows(named=True):
        a, b = sorted((int(row["unique_id_l"]), int(row["unique_id_r"])))
        ca, cb = cluster_of.get(a), cluster_of.get(b)
        if ca is None or cb is None or ca == cb or (a, b) in wanted:
            continue
        wanted[(a, b)] = row
    if not wanted:
        return 0
    known = set(
        CandidatePair.objects.using(using)
        .filter(person_a_id__in={a for a, _ in wanted})
        .values_list("person_a_id", "person_b_id")
    )
    new = [
        CandidatePair(
            person_a_id=a,
            person_b_id=b,
            match_weight=row["match_weight"],
            match_probability=row["match_probability"],
            breakdown=frames.breakdown(row, comparisons),
            reason=reason,
            model_version=version,
        )
        for (a, b), row in wanted.items()
        if (a, b) not in known
    ]
    CandidatePair.objects.using(using).bulk_create(new, batch_size=500)
    return len(new)


# -- full link -----------------------------------------------------------------------------


def _replay(partition: frames.Partition, using: str) -> int:
    """Apply analysts' merges, confirmations and splits, oldest first."""
    n = 0
    for kind, people in (
        LinkDecision.objects.using(using).order_by("decided_at", "pk").values_list("kind", "people")
    ):
        if kind in (DecisionKind.MERGE, DecisionKind.CONFIRM):
            partition.merge(int(p) for p in people)
            n += 1
        elif kind == DecisionKind.SPLIT:
            for p in people:
                partition.isolate(int(p))
            n += 1
    return n


def _reuse_ids(partition: frames.Partition, old: Mapping[int, int]) -> dict[Any, int | None]:
    """Keep a linked person's id for the new cluster holding most of its records (largest
    clusters choose first), so bookmarks and notes survive a rebuild where they can."""
    taken: set[int] = set()
    out: dict[Any, int | None] = {}
    for key, members in sorted(partition.members.items(), key=lambda kv: (-len(kv[1]), min(kv[1]))):
        counts: dict[int, int] = {}
        for rec in members:
            if rec in old:
                counts[old[rec]] = counts.get(old[rec], 0) + 1
        best = sorted((c for c in counts.items() if c[0] not in taken), key=lambda c: (-c[1], c[0]))
        out[key] = best[0][0] if best else None
        if best:
            taken.add(best[0][0])
    return out


def link_full(
    using: str = "default", *, model: Any = None, seed: int = 42, source: str = ""
) -> LinkRun:
    """Link every Person row of the store from scratch.

    Parameters
    ----------
    using : str
        Database alias (``store.alias``).
    model : asbhub.linkage.LinkageModel, optional
        Use this model as it is (saved as a new version if it differs from the newest).
        Default: train a new one on the store's Person rows.
    seed : int
        Seed for training (u by random sampling).
    source : str
        Where a given model came from, kept with the saved version.

    Returns
    -------
    LinkRun

    Raises
    ------
    ValueError
        When the records hold too little person data to train a model on.
    """
    from asbhub.linkage import link_normalised

    run = LinkRun(mode="full")
    clock = time.perf_counter()
    prune_stale(using)
    rows = _rows(Person.objects.using(using))
    if not rows:
        run.mode = "none"
        return run
    norm = frames.normalised(frames.person_frame(rows))
    run.seconds["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    try:
        result = link_normalised(norm, model=model, seed=seed)
    except ValueError as exc:
        raise ValueError(
            f"person linkage of {len(rows)} records failed: {exc}. Load more "
            "incidents with people, or give a model trained elsewhere "
            "(asbhub people link --full --model MODEL.json)"
        ) from None
    run.seconds["link"] = time.perf_counter() - clock
    clock = time.perf_counter()
    engine = dict(
        zip(
            result.records["unique_id"].to_list(),
            result.records["cluster_id"].to_list(),
            strict=True,
        )
    )
    comparisons = result.model.comparisons
    link_weight = result.model.thresholds.link_weight
    with transaction.atomic(using=using):
        # The audit entry first: on SQLite a transaction must write before it reads.
        _audit_run("full", using, {"records": len(rows), "trained": model is None})
        live = set(Person.objects.using(using).values_list("pk", flat=True))
        partition = frames.Partition({p: c for p, c in engine.items() if p in live})
        run.replayed_decisions = _replay(partition, using)
        old = dict(Membership.objects.using(using).values_list("person_id", "linked_person_id"))
        version = save_model(
            result.model,
            using,
            trained_on=len(rows) if model is None else 0,
            source=source or ("trained on the store" if model is None else ""),
        )
        reuse = _reuse_ids(partition, old)
        Membership.objects.using(using).all().delete()
        CandidatePair.objects.using(using).filter(status=PairStatus.OPEN).delete()
        kept = {i for i in reuse.values() if i is not None}
        LinkedPerson.objects.using(using).exclude(pk__in=kept).delete()
        now = timezone.now()
        fresh = [key for key, i in reuse.items() if i is None]
        made = LinkedPerson.objects.using(using).bulk_create(
            [LinkedPerson(created_at=now, updated_at=now) for _ in fresh], batch_size=500
        )
        ids = {
            **{k: i for k, i in reuse.items() if i is not None},
            **{k: cp.pk for k, cp in zip(fresh, made, strict=True)},
        }
        cluster_of = {rec: ids[key] for rec, key in partition.cluster_of.items()}
        best = frames.best_in_cluster(result.pairs, cluster_of, cluster_of, comparisons)
        members = []
        for rec, cid in cluster_of.items():
            b = best.get(rec)
            method = (
                LinkMethod.MANUAL if rec in partition.moved else frames.method_of(b, link_weight)
            )
            members.append(
                Membership(
                    person_id=rec,
                    linked_person_id=cid,
                    method=method,
                    linked_at=now,
                    model_version=version,
                    match_weight=b.match_weight if b else None,
                    matched_with_id=b.other if b else None,
                    breakdown=b.breakdown if b else [],
                    exact_key=(b.exact_key or "") if b else "",
                )
            )
        Membership.objects.using(using).bulk_create(members, batch_size=1000)
        run.queued_pairs = _queue_pairs(
            result.review, PairReason.REVIEW, cluster_of, comparisons, version, using
        )
        refresh_display(ids.values(), using)
    run.people, run.new_links = len(cluster_of), len(members)
    run.clusters = LinkedPerson.objects.using(using).count()
    run.new_clusters = len(fresh)
    run.open_pairs = CandidatePair.objects.using(using).filter(status=PairStatus.OPEN).count()
    run.model_version, run.trained = version.version, model is None
    run.seconds["write"] = time.perf_counter() - clock
    return run


# -- incremental ---------------------------------------------------------------------------


def link_new(using: str = "default") -> LinkRun:
    """Link Person rows that have no cluster yet, against the saved model and the existing
    clusters; existing memberships are left exactly as they are.

    Raises
    ------
    ValueError
        When no model is saved yet (run a full link first).
    """
    from asbhub.linkage import PersonIndex

    run = LinkRun(mode="incremental")
    clock = time.perf_counter()
    prune_stale(using)
    stored = current_model(using)
    if stored is None:
        raise ValueError(
            "no linkage model is saved in this store yet: run a full link first "
            "(asbhub people link --full)"
        )
    people = Person.objects.using(using)
    new_rows = _rows(people.filter(linkage__isnull=True))
    run.model_version = stored.version
    if not new_rows:
        run.mode = "none"
        run.people = Membership.objects.using(using).count()
        run.clusters = LinkedPerson.objects.using(using).count()
        run.open_pairs = CandidatePair.objects.using(using).filter(status=PairStatus.OPEN).count()
        return run
    model = stored.linkage_model()
    linked = dict(Membership.objects.using(using).values_list("person_id", "linked_person_id"))
    old_rows = _rows(people.filter(pk__in=linked.keys())) if linked else []
    population = frames.normalised(frames.person_frame(old_rows))
    population = population.with_columns(
        pl.Series(
            "cluster_id", [linked[i] for i in population["unique_id"].to_list()], dtype=pl.Int64
        )
    )
    new = frames.normalised(frames.person_frame(new_rows))
    run.seconds["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    index = PersonIndex(population, model)
    try:
        result = index.link(new, normalised=True)
    except ValueError as exc:
        raise ValueError(
            f"incremental linking of {len(new_rows)} new person records failed: "
            f"{exc}. A full link (asbhub people link --full) links every record "
            "afresh"
        ) from exc
    finally:
        index.close()
    run.seconds["link"] = time.perf_counter() - clock
    clock = time.perf_counter()
    comparisons = model.comparisons
    with transaction.atomic(using=using):
        _audit_run(
            "incremental", using, {"records": len(new_rows), "model_version": stored.version}
        )
        now = timezone.now()
        a = result.assignments
        fresh_keys = sorted(set(a.filter(pl.col("new_cluster"))["cluster_id"].to_list()))
        made = LinkedPerson.objects.using(using).bulk_create(
            [LinkedPerson(created_at=now, updated_at=now) for _ in fresh_keys], batch_size=500
        )
        fresh = {k: cp.pk for k, cp in zip(fresh_keys, made, strict=True)}
        cluster_of = dict(linked)
        for uid, cid, is_new in a.select("unique_id", "cluster_id", "new_cluster").iter_rows():
            cluster_of[int(uid)] = fresh[cid] if is_new else int(cid)
        new_ids = [int(r[0]) for r in new_rows]
        best = frames.best_in_cluster(result.pairs, cluster_of, new_ids, comparisons)
        link_weight = model.thresholds.link_weight
        members = [
            Membership(
                person_id=rec,
                linked_person_id=cluster_of[rec],
                linked_at=now,
                method=frames.method_of(best.get(rec), link_weight),
                model_version=stored,
                match_weight=best[rec].match_weight if rec in best else None,
                matched_with_id=best[rec].other if rec in best else None,
                breakdown=best[rec].breakdown if rec in best else [],
                exact_key=(best[rec].exact_key or "") if rec in best else "",
            )
            for rec in new_ids
        ]
        Membership.objects.using(using).bulk_create(members, batch_size=1000)
        # New records that also link to another known person: a full re-link would have merged
        # the two; here a person decides.
        linked_pairs = result.pairs.filter(pl.col("linked"))
        run.queued_pairs = _queue_pairs(
            linked_pairs, PairReason.MERGE, cluster_of, comparisons, stored, using
        )
        run.queued_pairs += _queue_pairs(
            result.review, PairReason.REVIEW, cluster_of, comparisons, stored, using
        )
        touched = {cluster_of[r] for r in new_ids}
        refresh_display(touched, using)
    run.new_links, run.new_clusters = len(members), len(fresh)
    run.people = Membership.objects.using(using).count()
    run.clusters = LinkedPerson.objects.using(using).count()
    run.open_pairs = CandidatePair.objects.using(using).filter(status=PairStatus.OPEN).count()
    run.seconds["write"] = time.perf_counter() - clock
    return run


def link_store(
    using: str = "default", *, full: bool = False, model: Any = None, source: str = ""
) -> LinkRun:
    """``asbhub people link``: incremental when a model is saved and ``full`` is not asked for,
    else a full link (training a model unless ``model`` is given)."""
    if full or model is not None or current_model(using) is None:
        return link_full(using, model=model, source=source)
    return link_new(using)


def cluster_sizes(using: str = "default") -> dict[int, int]:
    """Linked person id -> records, from the memberships (a check on ``n_records``)."""
    return dict(
        Membership.objects.using(using)
        .values("linked_person_id")
        .annotate(n=Count("pk"))
        .values_list("linked_person_id", "n")
    )
