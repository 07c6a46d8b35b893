"""One verdict from an evaluation's numbers: each sign combination of the rate ratio's interval
and the total net effect reads one way, and the words never contradict the figures."""

from __future__ import annotations

import pytest

from asbhub.analysis.evaluation import evaluation_verdict

HARM = "9.5 incidents more than the control's trend implies, counting the buffer: a net harm"
PREVENTED = "12.0 incidents prevented against the control's trend, counting the buffer"


@pytest.mark.parametrize(
    ("rr", "lo", "hi", "net", "outcome", "words"),
    [
        # Interval above 1.
        (1.8, 1.2, 2.6, 12.0, "worked", ["The response worked", "did better", PREVENTED]),
        (1.4, 1.1, 1.9, -9.5, "mixed", ["Mixed", "did better", "outweighed it", HARM]),
        (
            1.8,
            1.2,
            2.6,
            0.0,
            "worked",
            ["The response worked", "no incidents prevented, and none more"],
        ),
        (
            1.8,
            1.2,
            2.6,
            None,
            "worked",
            ["The response worked", "(rate ratio 1.80, 95% interval 1.20 to 2.60)."],
        ),
        # Interval below 1.
        (0.6, 0.4, 0.9, -9.5, "worse", ["did not work", "did worse", HARM]),
        (0.6, 0.4, 0.9, 12.0, "mixed", ["Mixed", "did worse", "the buffer improved", PREVENTED]),
        # Interval includes 1.
        (
            1.1,
            0.8,
            1.5,
            -9.5,
            "unclear",
            [
                "No clear effect",
                "includes 1",
                "within chance",
                HARM.removesuffix(": a net harm") + ", within chance",
            ],
        ),
        (0.9, 0.7, 1.2, 12.0, "unclear", ["No clear effect", "within chance", PREVENTED]),
        # No rate ratio.
        (None, None, None, 12.0, "unknown", ["Cannot be judged", PREVENTED]),
        (None, None, None, None, "unknown", ["Cannot be judged", "neither"]),
    ],
)
def test_each_sign_combination_gives_one_consistent_verdict(
    rr: float | None,
    lo: float | None,
    hi: float | None,
    net: float | None,
    outcome: str,
    words: list[str],
) -> None:
    v = evaluation_verdict(rr, lo, hi, net)
    assert v.outcome == outcome
    for w in words:
        assert w in v.headline, (w, v.headline)
    if outcome == "unclear":
        assert "net harm" not in v.headline
    # Never a negative count beside "added"/"prevented", nor both directions at once.
    text = " ".join((v.headline, v.rate_ratio, v.net_effect))
    assert "-9.5" not in text and "added" not in text
    assert not ("did better" in text and "did worse" in text)
    if rr is not None:
        side = "better" if rr > 1 else "worse"
        if outcome == "unclear":
            # Within chance: the point estimate's side, never "did better" (issue #12).
            assert f"the point estimate is on the {side} side of 1" in v.rate_ratio
            assert "did better" not in v.rate_ratio and "did worse" not in v.rate_ratio
        elif outcome == "mixed":
            assert (
                f"the response area on its own (not counting the buffer) did {side} than the "
                "control" in v.rate_ratio
            )
        else:
            assert f"the response area did {side} than the control" in v.rate_ratio
        assert f"{lo:.2f} to {hi:.2f}" in v.rate_ratio
    if outcome == "unclear":
        # Not called a net harm beside "no clear effect" (issue #12).
        assert "net harm" not in " ".join((v.headline, v.rate_ratio, v.net_effect))
        plain = HARM.removesuffix(": a net harm") if net < 0 else PREVENTED
        assert v.net_effect == (
            f"point estimate {plain}, within chance (the rate ratio's interval includes 1)"
        )
    else:
        assert v.net_effect == (
            "" if net is None else HARM if net < 0 else PREVENTED if net > 0 else v.net_effect
        )


@pytest.mark.parametrize(
    ("rr", "lo", "hi", "net", "wdq", "reading"),
    [
        # Displacement outweighing the effect, and the verdict agrees: a net harm.
        (1.4, 1.1, 1.9, -9.5, -1.6, "displacement greater than the direct effect (net harm)"),
        # The same WDQ when the data cannot tell the change from chance: not called a harm.
        (
            1.1,
            0.8,
            1.5,
            -9.5,
            -1.6,
            "displacement greater than the direct effect, within chance (the rate ratio's "
            "interval includes 1)",
        ),
        (1.8, 1.2, 2.6, 12.0, -0.5, "displacement, smaller than the direct effect (net benefit)"),
        (
            1.1,
            0.8,
            1.5,
            2.0,
            -0.5,
            "displacement, smaller than the direct effect, within chance (the rate ratio's "
            "interval includes 1)",
        ),
        (1.8, 1.2, 2.6, 12.0, 0.4, "diffusion of benefits"),
        (1.8, 1.2, 2.6, 12.0, None, ""),
    ],
)
def test_the_wdq_reading_agrees_with_the_verdict(
    rr: float, lo: float, hi: float, net: float, wdq: float | None, reading: str
) -> None:
    assert evaluation_verdict(rr, lo, hi, net, wdq=wdq).displacement == reading


def test_confidence_level_is_named() -> None:
    assert (
        "90% confidence interval 1.20 to 2.60"
        in evaluation_verdict(1.8, 1.2, 2.6, 3.0, confidence=0.9).rate_ratio
    )
    assert evaluation_verdict(1.0, 0.5, 2.0, None).rate_ratio.startswith(
        "95% confidence interval 0.50 to 2.00: the point estimate is 1; the interval includes 1"
    )
