"""The plan page and the stage page give ONE verdict on a plan's evaluation, every row worded
from the same numbers (issue #12): the plan page said "did better than the control" (a fixed
gloss on the rate ratio) beside the WDQ's "net harm", and a result the data could not tell
from chance still had its net effect and WDQ called a net harm.

Each sign combination is made from real before/after counts through the real
:func:`asbhub.analysis.evaluate_intervention` and stored as ``evaluate_plan`` stores it; the
pages' evaluation sections are then read as a user reads them.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from asbhub.analysis import InterventionCounts, evaluate_intervention  # noqa: E402
from asbhub.records.cases.models import Pmp  # noqa: E402

#: (name, Rb, Ra, Bb, Ba, Cb, Ca, outcome): each rate-ratio interval and net-effect sign.
CASES = [
    # Interval above 1, the buffer a little better too: a net benefit, diffusion.
    ("worked", 60, 20, 30, 25, 100, 100, "worked"),
    # Interval above 1, but displacement into the buffer outweighs it (WDQ below -1).
    ("better-but-net-harm", 60, 30, 20, 70, 100, 100, "mixed"),
    # Interval includes 1; the point estimates say displacement greater than the effect.
    ("unclear-harm", 12, 10, 5, 12, 100, 100, "unclear"),
    # Interval includes 1; the point estimates say diffusion of benefits.
    ("unclear-benefit", 12, 10, 20, 10, 100, 100, "unclear"),
    # Interval below 1 and more incidents in the buffer too.
    ("worse", 10, 30, 20, 25, 100, 100, "worse"),
    # Interval below 1, but the buffer improved by more.
    ("worse-but-buffer", 10, 40, 80, 10, 100, 100, "mixed"),
]


def _evaluation(rb: int, ra: int, bb: int, ba: int, cb: int, ca: int) -> dict[str, Any]:
    counts = InterventionCounts(
        response_before=rb,
        response_after=ra,
        buffer_before=bb,
        buffer_after=ba,
        control_before=cb,
        control_after=ca,
    )
    ev = evaluate_intervention(counts)
    rr, wdq, net = ev.rate_ratio, ev.wdq, ev.net_effect
    return {
        "counts": {**asdict(counts), "before_days": 91.0, "after_days": 91.0},
        "areas": {"response": 1, "buffer": 3, "control": 20},
        "crime_types": ["Anti-social behaviour"],
        "periods": {"before": ["2024-01", "2024-03"], "after": ["2024-05", "2024-07"]},
        "confidence": 0.95,
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


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())


def _sections(client: Any, pmp: Pmp) -> dict[str, str]:
    """The evaluation as each page shows it, as text."""
    plan = client.get(f"/pmps/{pmp.pk}/", {"purpose": "case"}).content.decode()
    stage = client.get(f"/pmps/{pmp.pk}/stage/").content.decode()
    plan_part = plan[plan.index(">Assessment</h2>") : plan.index(">People</h2>")]
    stage_part = stage[
        stage.index('id="evaluation"') : stage.index("<form", stage.index('id="evaluation"'))
    ]
    return {"plan page": _text(plan_part), "stage page": _text(stage_part)}


@pytest.mark.parametrize(("name", "rb", "ra", "bb", "ba", "cb", "ca", "outcome"), CASES)
def test_each_sign_combination_reads_as_one_verdict_on_both_pages(
    client: Any,
    area_plan: Pmp,
    police: Any,
    make_user: Any,
    name: str,
    rb: int,
    ra: int,
    bb: int,
    ba: int,
    cb: int,
    ca: int,
    outcome: str,
) -> None:
    ev = _evaluation(rb, ra, bb, ba, cb, ca)
    lo, hi, net = ev["rr_ci_low"], ev["rr_ci_high"], ev["net_effect"]
    # The case is what it says it is (an independent check of the numbers, not the words).
    expected_outcome = (
        "unclear"
        if lo <= 1 <= hi
        else "worked"
        if lo > 1 and net >= 0
        else "worse"
        if hi < 1 and net <= 0
        else "mixed"
    )
    assert expected_outcome == outcome, (name, lo, hi, net)
    Pmp.objects.filter(pk=area_plan.pk).update(stage="assessment", evaluation=ev)
    client.force_login(make_user("analyst", police, role="analyst"))

    for page, text in _sections(client, area_plan).items():
        where = f"{name} on the {page}: {text}"
        better = "did better" in text
        worse = "did worse" in text
        harm = "net harm" in text
        benefit = "net benefit" in text
        # Never both directions, and "better" beside "net harm" (or "worse" beside "net
        # benefit") only where the page calls the result mixed and says why.
        assert not (better and worse), where
        if outcome == "worked":
            assert "The response worked" in text and better, where
            assert not harm and not worse, where
        elif outcome == "worse":
            assert "did not work" in text and worse, where
            assert not better and not benefit, where
        elif outcome == "unclear":
            assert "No clear effect" in text and "within chance" in text, where
            assert not (better or worse or harm or benefit), where
        else:
            assert "Mixed:" in text and "on its own (not counting the buffer)" in text, where
            assert "outweighed it" in text or "the buffer improved" in text, where
        if better and harm or worse and benefit:
            assert "Mixed:" in text, where
        # The figures are there, beside the words.
        assert f"{ev['rate_ratio']:.2f}" in text and f"{lo:.2f} to {hi:.2f}" in text, where
        if ev["wdq"] is not None:
            assert f"{ev['wdq']:.3f}" in text, where
        assert f"{abs(net):.1f} incidents" in text, where
