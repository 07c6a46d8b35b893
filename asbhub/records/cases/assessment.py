"""Did the plan's response work? Before/after counts around the plan's area, evaluated with
:func:`asbhub.analysis.evaluate_intervention`.

The areas follow the engine's design (response, buffer, control):

- **response**: the LSOAs of the plan's linked incidents and locations;
- **buffer**: the LSOAs of the same LPU that touch the response area, where displacement (or a
  diffusion of benefits) would show;
- **control**: the rest of the LPU, showing what would have happened anyway.

Counted: incidents of the linked incidents' crime types (residents' own unchecked reports
left out), by month, in a before and an after month range with the response between them.

Harm (issue #16 item 3): when ``ASBHUB_HARM_WEIGHTS`` names a harm weights file
(:func:`asbhub.analysis.read_harm_csv`), the summary also holds ``harm``, the harm-weighted
WDD over the crime types (:func:`asbhub.analysis.evaluate_intervention_harm`), shown beside
the counts.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from asbhub.analysis.evaluation import evaluate_intervention, intervention_counts
from asbhub.domain.months import month_start, months_between, next_month
from asbhub.records.cases.models import Pmp
from asbhub.records.incidents.models import Incident
from asbhub.records.incidents.selectors import area_hierarchy

POLYGONS_FILE = "lsoa_bng.geojson"


class AssessmentError(ValueError):
    """The evaluation cannot be computed; the message says why and what to do."""


@lru_cache(maxsize=2)
def _neighbours(folder: str) -> dict[str, frozenset[str]]:
    import shapely
    from shapely.geometry import shape

    with open(f"{folder}/{POLYGONS_FILE}", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    codes = [f["properties"]["lsoa_code"] for f in features]
    geoms = [shape(f["geometry"]) for f in features]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    out: dict[str, set[str]] = {c: set() for c in codes}
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i != j:
            out[codes[i]].add(codes[j])
    return {k: frozenset(v) for k, v in out.items()}


def lsoa_neighbours() -> dict[str, frozenset[str]]:
    """LSOA code -> the codes of the LSOAs whose polygons touch it (read once per process)."""
    return _neighbours(str(area_hierarchy().folder))


@dataclass(frozen=True)
class PlanAreas:
    response: tuple[str, ...]
    buffer: tuple[str, ...]
    control: tuple[str, ...]
    crime_types: tuple[str, ...]


def plan_areas(pmp: Pmp) -> PlanAreas:
    """The response, buffer and control LSOAs and the crime types of a plan."""
    links = pmp.incident_links.select_related("incident__location")
    response = {
        link.incident.location.lsoa_code
        for link in links
        if link.incident.location and link.incident.location.lsoa_code
    }
    response |= {c for c in pmp.locations.values_list("lsoa_code", flat=True) if c}
    crime_types = sorted({link.incident.crime_type for link in links})
    if not response or not crime_types:
        raise AssessmentError(
            f"{pmp.reference} has no linked incidents with a place, so there is no response "
            f"area to evaluate: link the incidents the plan tackles first (Incidents page)."
        )
    lsoa = area_hierarchy().lsoa
    lpus = (
        {pmp.lpu}
        if pmp.lpu in set(lsoa["lpu"].to_list())
        else {x for x in area_hierarchy().lpu_for(sorted(response)) if x is not None}
    )
    in_lpu = set(lsoa.filter(lsoa["lpu"].is_in(sorted(lpus)))["lsoa_code"].to_list())
    near = lsoa_neighbours()
    buffer = {n for code in response for n in near.get(code, ())} & in_lpu - response
    control = in_lpu - response - buffer
    if not control:
        raise AssessmentError(
            f"No part of {', '.join(sorted(lpus)) or 'the LPU'} is left for a control area "
            f"once the response and buffer areas are taken out."
        )
    return PlanAreas(
        tuple(sorted(response)), tuple(sorted(buffer)), tuple(sorted(control)), tuple(crime_types)
    )


def evaluate_plan(
    pmp: Pmp, before: tuple[str, str], after: tuple[str, str], confidence: float = 0.95
) -> dict[str, Any]:
    """Count, evaluate and store (on ``pmp.evaluation``) the plan's before/after comparison.

    Parameters
    ----------
    before, after : (str, str)
        First and last month ('YYYY-MM') of each period; the before period must end before
        the after period starts (the months between are the response itself).

    Returns
    -------
    dict
        The stored summary: ``counts``, ``areas`` (numbers of LSOAs), ``crime_types``,
        ``periods``, ``rate_ratio`` with ``rr_ci_low``/``rr_ci_high``/``rr_p_value``,
        ``response_change_percent``, ``wdq`` with ``wdq_reading``, ``net_effect`` and each
        ``*_reason`` a measure could not be computed for.
    """
    if not (before[0] <= before[1] < after[0] <= after[1]):
        raise AssessmentError(
            f"The before months ({before[0]} to {before[1]}) must come before the after months "
            f"({after[0]} to {after[1]}), each range first month first."
        )
    areas = plan_areas(pmp)
    months = months_between(*before) + months_between(*after)
    rows = list(
        Incident.objects.using(pmp._state.db or "default")
        .filter(
            crime_type__in=areas.crime_types,
            month__in=months,
            public_report=False,
            location__lsoa_code__in=areas.response + areas.buffer + areas.control,
        )
        .values_list("month", "location__lsoa_code", "crime_type")
    )
    t = np.array([month_start(m) for m, _, _ in rows], dtype="datetime64[D]")
    codes = np.array([c for _, c, _ in rows], dtype=object)
    types = np.array([k for _, _, k in rows], dtype=object)

    def tally_of(keep: Any) -> Any:
        zeros = np.zeros(int(np.count_nonzero(keep)))
        return intervention_counts(
            zeros,
            zeros,
            t[keep],
            response=np.isin(codes[keep], areas.response),
            buffer=np.isin(codes[keep], areas.buffer),
            control=np.isin(codes[keep], areas.control),
            start=np.datetime64(month_start(next_month(before[1]))),
            end=np.datetime64(month_start(after[0])),
            before_days=float((month_start(next_month(before[1])) - month_start(before[0])).days),
            after_days=float((month_start(next_month(after[1])) - month_start(after[0])).days),
        )

    tally = tally_of(np.ones(len(rows), dtype=bool))
    ev = evaluate_intervention(tally.counts, confidence=confidence)
    rr, wdq, net = ev.rate_ratio, ev.wdq, ev.net_effect
    summary = {
        "counts": asdict(tally.counts),
        "areas": {
            "response": len(areas.response),
            "buffer": len(areas.buffer),
            "control": len(areas.control),
        },
        "response_lsoas": list(areas.response),
        "crime_types": list(areas.crime_types),
        "periods": {"before": list(before), "after": list(after)},
        "confidence": confidence,
        "response_change_percent": ev.response_change.percent,
        "control_change_percent": ev.control_change.percent,
        "rate_ratio": rr.value,
        "rr_ci_low": rr.ci_low,
        "rr_ci_high": rr.ci_high,
        "rr_p_value": rr.p_value,
        "rr_percent_change": rr.percent_change,
        "rr_reason": rr.reason,
        "wdq": wdq.wdq,
        "wdq_reading": wdq.interpretation,
        "wdq_reason": wdq.reason,
        "net_effect": net.total,
        "net_effect_reason": net.reason,
    }
    harm_file = os.environ.get("ASBHUB_HARM_WEIGHTS")
    if harm_file:  # issue #16 item 3: harm beside the counts, from the configured weights
        from asbhub.analysis import evaluate_intervention_harm, harm_summary, read_harm_csv

        harm = read_harm_csv(harm_file)
        by_type = {k: tally_of(types == k).counts for k in areas.crime_types}
        combined, _ = evaluate_intervention_harm(by_type, harm, confidence=confidence)
        summary["harm"] = harm_summary(combined, harm)
    Pmp.objects.using(pmp._state.db or "default").filter(pk=pmp.pk).update(evaluation=summary)
    pmp.evaluation = summary
    return summary
