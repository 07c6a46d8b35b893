"""A plan's assessment shows the harm-weighted WDD beside the counts when the deployment names
a harm weights file (issue #16 item 3), equal to the formula worked here by hand."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.cases.support import LPU, lsoas_of
from tests.cases.test_stages import _touching

setup_django()

from asbhub.records.cases import assessment  # noqa: E402
from asbhub.records.cases.models import Pmp, PmpIncident  # noqa: E402

ASB = "Anti-social behaviour"


def test_harm_weighted_wdd_equals_the_hand_worked_value(
    area_plan: Pmp,
    make_incidents: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    codes = [c for c, _ in lsoas_of(LPU)]
    response = codes[0]
    near, far = _touching(response, codes)
    counts = {  # (crime type, area, month): n; before Jan-Mar 2024, after May-Jul 2024
        (ASB, response, "2024-01"): 10,
        (ASB, response, "2024-06"): 3,
        (ASB, near[0], "2024-02"): 5,
        (ASB, near[0], "2024-07"): 4,
        (ASB, far[0], "2024-01"): 17,
        (ASB, far[0], "2024-05"): 8,
        ("Burglary", response, "2024-02"): 2,
        ("Burglary", response, "2024-05"): 1,
        ("Burglary", near[0], "2024-03"): 1,
        ("Burglary", far[0], "2024-03"): 6,
        ("Burglary", far[0], "2024-06"): 9,
    }
    made = {}
    for (kind, code, month), n in counts.items():
        made[kind, code, month] = make_incidents([(code, month, kind)] * n)
    PmpIncident.objects.create(pmp=area_plan, incident=made[ASB, response, "2024-01"][0])
    PmpIncident.objects.create(pmp=area_plan, incident=made["Burglary", response, "2024-02"][0])
    weights = tmp_path / "harm.csv"
    weights.write_text(
        "# made up for a test\ncrime_type,weight,source\nasb,1,test\nBurglary,20,test\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ASBHUB_HARM_WEIGHTS", str(weights))
    ev = assessment.evaluate_plan(area_plan, ("2024-01", "2024-03"), ("2024-05", "2024-07"))

    # By hand: s = 92 / 91 days; the control serves the buffer too (Wheeler and Ratcliffe):
    # WDD = (Ra - s Rb) - (Ca - s Cb) + (Ba - s Bb) - (Ca - s Cb),
    # var = (Ra + s^2 Rb) + (Ba + s^2 Bb) + 4 (Ca + s^2 Cb).
    s = 92 / 91

    def wdd(rb: int, ra: int, bb: int, ba: int, cb: int, ca: int) -> tuple[float, float]:
        est = (ra - s * rb) - (ca - s * cb) + (ba - s * bb) - (ca - s * cb)
        var = (ra + s * s * rb) + (ba + s * s * bb) + 4 * (ca + s * s * cb)
        return est, var

    e_asb, v_asb = wdd(10, 3, 5, 4, 17, 8)
    e_bur, v_bur = wdd(2, 1, 1, 0, 6, 9)
    harm = ev["harm"]
    assert harm["estimate"] == pytest.approx(1 * e_asb + 20 * e_bur, rel=1e-12)
    assert harm["se"] == pytest.approx(math.sqrt(v_asb + 400 * v_bur), rel=1e-12)
    assert {p["crime_type"]: p["weight"] for p in harm["parts"]} == {ASB: 1.0, "Burglary": 20.0}
    assert harm["weights_file"] == str(weights)
    # The counts are those of both types together, as without harm.
    assert ev["counts"]["response_before"] == 12 and ev["counts"]["control_after"] == 17


def test_no_harm_without_a_weights_file(
    area_plan: Pmp, make_incidents: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = lsoas_of(LPU)[0][0]
    inc = make_incidents([(code, "2024-01", ASB)])
    PmpIncident.objects.create(pmp=area_plan, incident=inc[0])
    monkeypatch.delenv("ASBHUB_HARM_WEIGHTS", raising=False)
    ev = assessment.evaluate_plan(area_plan, ("2024-01", "2024-03"), ("2024-05", "2024-07"))
    assert "harm" not in ev
