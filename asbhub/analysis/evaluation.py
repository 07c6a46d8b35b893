"""Did an operation work? Before and after counts in a response area, a buffer ring around it
and a control area, and the standard measures built on them.

- :func:`intervention_counts` counts events (points and times) in each area and period.
- :func:`evaluate_intervention` turns the six (or eight) counts into the measures police
  evaluations and the research literature use: the change in each area, the rate ratio
  (relative effect size) with its confidence interval, Bowers and Johnson's Weighted
  Displacement Quotient and total net effect, and Wheeler and Ratcliffe's Weighted
  Displacement Difference with its standard error.

Each measure has its own sign convention, kept as its authors published it and stated on its
result class. A measure that cannot be computed from the counts (a zero where a division or a
logarithm needs a positive count, no buffer area, an intervention that did not succeed for the
WDQ) is ``None`` with a ``reason`` saying why; nothing raises on awkward counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import special
from shapely.geometry.base import BaseGeometry

from .near_repeat import SECONDS_PER_DAY, event_seconds

__all__ = [
    "Change",
    "DisplacementQuotient",
    "InterventionCounts",
    "InterventionEvaluation",
    "InterventionTally",
    "NetEffect",
    "RateRatio",
    "WeightedDisplacementDifference",
    "Verdict",
    "evaluate_intervention",
    "evaluation_verdict",
    "intervention_counts",
]


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterventionCounts:
    """Events before and after an intervention in the response (R), buffer (B) and control (C)
    areas.

    Attributes
    ----------
    response_before, response_after : int
        ``Rb`` and ``Ra``: the area the intervention targeted.
    control_before, control_after : int
        ``Cb`` and ``Ca``: a comparable area the intervention did not reach, showing what
        would have happened anyway.
    buffer_before, buffer_after : int, optional
        ``Bb`` and ``Ba``: the ring around the response area, where displacement (or a
        diffusion of benefits) would show. Both or neither.
    buffer_control_before, buffer_control_after : int, optional
        A separate control for the buffer, used only by the Weighted Displacement Difference
        (Wheeler and Ratcliffe's ``Cd``). Without it the control serves both areas.
    before_days, after_days : float, optional
        Lengths of the two periods (any unit, the same for both). Only the WDD and the plain
        before/after changes depend on them; the WDQ, net effect and rate ratio compare areas
        within the same period, so the lengths cancel. Omitted: equal periods.
    """

    response_before: int
    response_after: int
    control_before: int
    control_after: int
    buffer_before: int | None = None
    buffer_after: int | None = None
    buffer_control_before: int | None = None
    buffer_control_after: int | None = None
    before_days: float | None = None
    after_days: float | None = None

    def __post_init__(self) -> None:
        for name in (
            "response_before",
            "response_after",
            "control_before",
            "control_after",
            "buffer_before",
            "buffer_after",
            "buffer_control_before",
            "buffer_control_after",
        ):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if isinstance(value, bool | str) or not number.is_integer() or number < 0:
                raise ValueError(f"{name} must be a count (a whole number >= 0), got {value!r}")
            object.__setattr__(self, name, int(number))
        for a, b in (
            ("buffer_before", "buffer_after"),
            ("buffer_control_before", "buffer_control_after"),
            ("before_days", "after_days"),
        ):
            if (getattr(self, a) is None) != (getattr(self, b) is None):
                raise ValueError(f"give both {a} and {b}, or neither")
        if self.buffer_control_before is not None and self.buffer_before is None:
            raise ValueError("buffer_control_* counts need buffer_before and buffer_after too")
        for name in ("before_days", "after_days"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive length of time, got {value!r}")

    @property
    def has_buffer(self) -> bool:
        return self.buffer_before is not None

    @property
    def buffer(self) -> tuple[int, int] | None:
        """``(Bb, Ba)``, or ``None`` without a buffer."""
        if self.buffer_before is None or self.buffer_after is None:
            return None
        return self.buffer_before, self.buffer_after

    @property
    def buffer_control(self) -> tuple[int, int] | None:
        """The buffer's own control ``(Cdb, Cda)``, or ``None`` if the control serves both."""
        if self.buffer_control_before is None or self.buffer_control_after is None:
            return None
        return self.buffer_control_before, self.buffer_control_after

    @property
    def period_scale(self) -> float:
        """``after_days / before_days`` (1 if not given): scales a before count to the after
        period."""
        if self.before_days is None or self.after_days is None:
            return 1.0
        return self.after_days / self.before_days


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """Before and after in one area, with no control: ``ratio = (after / after_days) /
    (before / before_days)`` and ``percent = 100 * (ratio - 1)`` (negative: fewer events)."""

    before: int
    after: int
    ratio: float | None
    percent: float | None
    reason: str | None = None


@dataclass(frozen=True)
class RateRatio:
    """Relative effect size of an area against the control (Farrington and Welsh).

    ``value = (before * Ca) / (after * Cb)``: above 1 the area did better than the control
    (the intervention helped), below 1 worse. It is the control's after/before ratio divided
    by the area's, so the period lengths cancel. ``percent_change = 100 * (1 / value - 1)`` is
    the change in the area relative to the control (negative: fewer events).

    The confidence interval is ``exp(log(value) +/- z * se)`` with
    ``se**2 = overdispersion * (1/before + 1/after + 1/Cb + 1/Ca)``, the variance of a log
    ratio of Poisson counts; ``z`` and ``p_value`` test ``value = 1``, two-sided. Undefined
    (``None``) if any of the four counts is zero.
    """

    value: float | None
    ci_low: float | None
    ci_high: float | None
    se_log: float | None
    z: float | None
    p_value: float | None
    percent_change: float | None
    confidence: float
    reason: str | None = None


@dataclass(frozen=True)
class DisplacementQuotient:
    """Weighted Displacement Quotient (Bowers and Johnson, 2003).

    ``success_measure = Ra/Ca - Rb/Cb`` (negative: the response area improved relative to the
    control), ``buffer_displacement_measure = Ba/Ca - Bb/Cb`` (positive: the buffer worsened
    relative to the control) and ``wdq = buffer_displacement_measure / success_measure``,
    computed only when the intervention succeeded (``success_measure < 0``). Read it as:

    - ``wdq > 1``: diffusion of benefits greater than the direct effect;
    - ``0 < wdq <= 1``: diffusion of benefits into the buffer;
    - ``wdq = 0``: neither displacement nor diffusion;
    - ``-1 <= wdq < 0``: some displacement, smaller than the direct effect (a net benefit);
    - ``wdq < -1``: displacement greater than the direct effect (a net harm).
    """

    success_measure: float | None
    buffer_displacement_measure: float | None
    wdq: float | None
    interpretation: str | None
    reason: str | None = None


@dataclass(frozen=True)
class NetEffect:
    """Total net effect (Bowers and Johnson, 2003): events prevented, net of displacement.

    ``response = Rb * (Ca/Cb) - Ra`` (events the response area was expected to have, given the
    control's trend, less those it had), ``buffer = Bb * (Ca/Cb) - Ba`` and
    ``total = response + buffer``. Positive: events prevented; negative: events added.
    """

    expected_response_after: float | None
    expected_buffer_after: float | None
    response: float | None
    buffer: float | None
    total: float | None
    reason: str | None = None


@dataclass(frozen=True)
class WeightedDisplacementDifference:
    """Weighted Displacement Difference (Wheeler and Ratcliffe, 2018).

    With ``dX = X_after - s * X_before`` for each area, where ``s = after_days / before_days``
    puts the before count on the after period's footing (``s = 1`` for equal periods):

    - ``local = dR - dC`` (a difference in differences for the response area);
    - ``displacement = dB - dCd``, with ``Cd`` the buffer's control (the control itself
      unless separate buffer-control counts were given);
    - ``estimate = local + displacement``. Negative: fewer events than the control's trend
      implies (the intervention helped), in events per after period.

    Counts are taken as Poisson, so ``var(X_after - s X_before) = X_after + s**2 X_before``
    and ``se = sqrt(overdispersion * var)``; with four distinct areas the variance is the
    (weighted) sum of the eight counts, as in the paper. When the control serves both areas
    its counts enter the estimate twice (``-2 dC``) and so its variance four times; summing
    them only twice would overstate the significance. ``z = estimate / se``, the p-value is
    two-sided from the normal and ``ci_low``, ``ci_high`` are ``estimate +/- z * se``.

    The WDD compares raw counts, so it assumes the control has counts of a similar size to the
    area it stands for; with a much larger control read the rate ratio instead.
    """

    local: float
    local_se: float
    displacement: float | None
    displacement_se: float | None
    estimate: float
    se: float
    z: float | None
    p_value: float | None
    ci_low: float
    ci_high: float
    confidence: float
    period_scale: float
    shared_control: bool
    reason: str | None = None


@dataclass(frozen=True)
class InterventionEvaluation:
    """Everything :func:`evaluate_intervention` computes from one set of counts.

    Attributes
    ----------
    counts : InterventionCounts
    response_change, buffer_change, control_change : Change
        Plain before/after change per unit time in each area (``buffer_change`` is ``None``
        without a buffer).
    rate_ratio : RateRatio
        Response area against the control.
    buffer_rate_ratio : RateRatio or None
        Buffer against the control (above 1: diffusion of benefits; below 1: displacement).
    wdq : DisplacementQuotient
    net_effect : NetEffect
    wdd : WeightedDisplacementDifference
    confidence : float
    overdispersion : float
        Factor applied to every Poisson variance (1: pure Poisson).
    """

    counts: InterventionCounts
    response_change: Change
    buffer_change: Change | None
    control_change: Change
    rate_ratio: RateRatio
    buffer_rate_ratio: RateRatio | None
    wdq: DisplacementQuotient
    net_effect: NetEffect
    wdd: WeightedDisplacementDifference
    confidence: float
    overdispersion: float


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def evaluate_intervention(
    counts: InterventionCounts,
    *,
    confidence: float = 0.95,
    overdispersion: float = 1.0,
) -> InterventionEvaluation:
    """Evaluate an intervention from before/after counts in response, buffer and control areas.

    Parameters
    ----------
    counts : InterventionCounts
        From :func:`intervention_counts`, or written out by hand.
    confidence : float, default 0.95
        Level of the confidence intervals.
    overdispersion : float, default 1.0
        Variance inflation over the Poisson (``var = overdispersion * mean``), applied to the
        rate ratios and the WDD. Crime counts are often overdispersed; a value above 1 widens
        every interval. Farrington and Welsh discuss estimating it from the data.

    Returns
    -------
    InterventionEvaluation
        Each measure's formula and sign convention is on its class: :class:`Change`,
        :class:`RateRatio`, :class:`DisplacementQuotient`, :class:`NetEffect`,
        :class:`WeightedDisplacementDifference`.

    References
    ----------
    Bowers, K. J., & Johnson, S. D. (2003). Measuring the geographical displacement and
    diffusion of benefit effects of crime prevention activity. *Journal of Quantitative
    Criminology*, 19(3), 275-301.
    Farrington, D. P., & Welsh, B. C. (2002). Effects of improved street lighting on crime: a
    systematic review. Home Office Research Study 251.
    Wheeler, A. P., & Ratcliffe, J. H. (2018). A simple weighted displacement difference test
    to evaluate place based crime interventions. *Crime Science*, 7(11).

    Examples
    --------
    >>> counts = InterventionCounts(
    ...     response_before=188, response_after=41, buffer_before=60, buffer_after=52,
    ...     control_before=160, control_after=150, before_days=90, after_days=92)
    >>> ev = evaluate_intervention(counts)
    >>> round(ev.rate_ratio.value, 2), round(ev.wdq.wdq, 3), round(ev.net_effect.total, 1)
    (4.3, 0.031, 139.5)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, e.g. 0.95; got {confidence!r}")
    if not (math.isfinite(overdispersion) and overdispersion > 0):
        raise ValueError(
            f"overdispersion must be a positive factor (1 = Poisson), got {overdispersion!r}"
        )
    c = counts
    z_crit = float(special.ndtri(1 - (1 - confidence) / 2))
    buffer_change = buffer_rate_ratio = None
    if (b := c.buffer) is not None:
        buffer_change = _change(*b, c)
        buffer_rate_ratio = _rate_ratio(*b, c, "buffer", z_crit, confidence, overdispersion)
    return InterventionEvaluation(
        counts=c,
        response_change=_change(c.response_before, c.response_after, c),
        buffer_change=buffer_change,
        control_change=_change(c.control_before, c.control_after, c),
        rate_ratio=_rate_ratio(
            c.response_before, c.response_after, c, "response", z_crit, confidence, overdispersion
        ),
        buffer_rate_ratio=buffer_rate_ratio,
        wdq=_wdq(c),
        net_effect=_net_effect(c),
        wdd=_wdd(c, z_crit, confidence, overdispersion),
        confidence=confidence,
        overdispersion=overdispersion,
    )


def _change(before: int, after: int, c: InterventionCounts) -> Change:
    if before == 0:
        return Change(
            before, after, None, None, reason="no events before, so a relative change is undefined"
        )
    ratio = after / (before * c.period_scale)
    return Change(before, after, ratio, 100.0 * (ratio - 1.0))


def _rate_ratio(
    before: int,
    after: int,
    c: InterventionCounts,
    area: str,
    z_crit: float,
    confidence: float,
    overdispersion: float,
) -> RateRatio:
    named = {
        f"{area}_before": before,
        f"{area}_after": after,
        "control_before": c.control_before,
        "control_after": c.control_after,
    }
    zeros = [k for k, v in named.items() if v == 0]
    if zeros:
        return RateRatio(
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            confidence,
            reason=f"zero count in {', '.join(zeros)}: the log rate ratio and its "
            "variance need every count above zero",
        )
    value = (before * c.control_after) / (after * c.control_before)
    se = math.sqrt(overdispersion * sum(1.0 / v for v in named.values()))
    log_rr = math.log(value)
    z = log_rr / se
    return RateRatio(
        value=value,
        ci_low=math.exp(log_rr - z_crit * se),
        ci_high=math.exp(log_rr + z_crit * se),
        se_log=se,
        z=z,
        p_value=_p_two_sided(z),
        percent_change=100.0 * (1.0 / value - 1.0),
        confidence=confidence,
    )


def _wdq(c: InterventionCounts) -> DisplacementQuotient:
    if c.control_before == 0 or c.control_after == 0:
        return DisplacementQuotient(
            None,
            None,
            None,
            None,
            reason="zero count in the control area: the WDQ divides by both control counts",
        )
    sm = c.response_after / c.control_after - c.response_before / c.control_before
    if (b := c.buffer) is None:
        return DisplacementQuotient(
            sm, None, None, None, reason="no buffer area: the WDQ needs buffer counts"
        )
    bdm = b[1] / c.control_after - b[0] / c.control_before
    if sm >= 0:
        return DisplacementQuotient(
            sm,
            bdm,
            None,
            None,
            reason="the response area did not improve relative to the control (success "
            "measure >= 0); Bowers and Johnson define the WDQ only for a success",
        )
    wdq = bdm / sm
    return DisplacementQuotient(sm, bdm, wdq, _wdq_reading(wdq))


def _wdq_reading(wdq: float) -> str:
    if wdq > 1:
        return "diffusion of benefits greater than the direct effect"
    if wdq > 0:
        return "diffusion of benefits"
    if wdq == 0:
        return "no displacement or diffusion"
    if wdq >= -1:
        return "displacement, smaller than the direct effect (net benefit)"
    return "displacement greater than the direct effect (net harm)"


def _net_effect(c: InterventionCounts) -> NetEffect:
    if c.control_before == 0:
        return NetEffect(
            None,
            None,
            None,
            None,
            None,
            reason="no events in the control area before: its trend (Ca/Cb) is undefined",
        )
    trend = c.control_after / c.control_before
    exp_r = c.response_before * trend
    response = exp_r - c.response_after
    if (b := c.buffer) is None:
        return NetEffect(
            exp_r,
            None,
            response,
            None,
            None,
            reason="no buffer area: the total net effect needs buffer counts",
        )
    exp_b = b[0] * trend
    buffer = exp_b - b[1]
    return NetEffect(exp_r, exp_b, response, buffer, response + buffer)


def _wdd(
    c: InterventionCounts, z_crit: float, confidence: float, overdispersion: float
) -> WeightedDisplacementDifference:
    s = c.period_scale

    def delta(before: int, after: int) -> tuple[float, float]:
        return after - s * before, after + s * s * before

    d_r, v_r = delta(c.response_before, c.response_after)
    d_c, v_c = delta(c.control_before, c.control_after)
    local, var_local = d_r - d_c, v_r + v_c
    b, cd = c.buffer, c.buffer_control
    shared = b is not None and cd is None
    if b is not None:
        d_b, v_b = delta(*b)
        if cd is None:
            d_cd, v_cd = d_c, v_c
            # The same control counts enter twice: var(-2 dC) = 4 var(dC).
            var_total = v_r + v_b + 4.0 * v_c
        else:
            d_cd, v_cd = delta(*cd)
            var_total = var_local + v_b + v_cd
        displacement: float | None = d_b - d_cd
        var_disp: float | None = v_b + v_cd
        estimate = local + d_b - d_cd
    else:
        displacement = var_disp = None
        estimate, var_total = local, var_local
    se = math.sqrt(overdispersion * var_total)
    z = p = None
    reason = None
    if se > 0:
        z = estimate / se
        p = _p_two_sided(z)
    else:
        reason = "every count is zero: the WDD has no variance, so no z or p-value"
    return WeightedDisplacementDifference(
        local=local,
        local_se=math.sqrt(overdispersion * var_local),
        displacement=displacement,
        displacement_se=None if var_disp is None else math.sqrt(overdispersion * var_disp),
        estimate=estimate,
        se=se,
        z=z,
        p_value=p,
        ci_low=estimate - z_crit * se,
        ci_high=estimate + z_crit * se,
        confidence=confidence,
        period_scale=s,
        shared_control=shared,
        reason=reason,
    )


def _p_two_sided(z: float) -> float:
    return float(2.0 * special.ndtr(-abs(z)))


# --------------------------------------------------------------------------------------------
# Counting events into areas and periods
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterventionTally:
    """Counts from events, and how they were made.

    Attributes
    ----------
    counts : InterventionCounts
        Ready for :func:`evaluate_intervention`.
    before_window, after_window : tuple
        ``(start, end)`` of each period, start included and end excluded, in the type of the
        input times (``datetime64[s]``, or days).
    buffer_distance : float or None
        Width of the buffer ring in metres, if it was drawn from the response area.
    n_events : int
        Events given.
    n_excluded : int
        Events without coordinates or time (counted nowhere).
    n_during : int
        Events in any area between the two windows (the intervention itself, or a gap).
    n_control_overlap : int
        Events inside the control geometry that were counted in the response area or the
        buffer instead (each event counts in one area only).
    """

    counts: InterventionCounts
    before_window: tuple[Any, Any]
    after_window: tuple[Any, Any]
    buffer_distance: float | None
    n_events: int
    n_excluded: int
    n_during: int
    n_control_overlap: int


AreaLike: TypeAlias = BaseGeometry | ArrayLike


def intervention_counts(
    x: ArrayLike,
    y: ArrayLike,
    t: ArrayLike,
    *,
    response: AreaLike,
    control: AreaLike,
    start: Any,
    end: Any,
    before_days: float,
    after_days: float | None = None,
    buffer_distance: float | None = None,
    buffer: AreaLike | None = None,
) -> InterventionTally:
    """Count events in the response, buffer and control areas, before and after an
    intervention.

    Parameters
    ----------
    x, y : array_like of float, shape ``(n,)``
        Eastings and northings in metres (EPSG:27700), the CRS of the geometries.
    t : array_like, shape ``(n,)``
        Event times: ``numpy.datetime64`` (or ISO strings), or numbers of days.
    response, control : shapely geometry or array_like of bool
        Each area as a (multi)polygon, or as a boolean mask over the events. A point on a
        boundary is inside.
    start, end : datetime-like or float
        The intervention ran from ``start`` (included) to ``end`` (excluded): for an operation
        from 5 to 30 April inclusive give ``"2021-04-05"`` and ``"2021-05-01"``. Same kind as
        ``t`` (dates for dates, days for days).
    before_days : float
        The before window is the ``before_days`` days up to ``start``: ``[start - before_days,
        start)``.
    after_days : float, optional
        The after window is ``[end, end + after_days)``. Default: ``before_days``.
    buffer_distance : float, optional
        Draw the buffer as the ring within this many metres of the response geometry.
    buffer : shapely geometry or array_like of bool, optional
        Or give the buffer area directly (not both).

    Returns
    -------
    InterventionTally

    Notes
    -----
    Each event counts in at most one area, tried in the order response, buffer, control, so a
    control drawn round the whole district works as "the rest of the district". How many
    events the control lost to the other two is reported in ``n_control_overlap``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> x = np.array([50.0, 150.0, 900.0, 50.0, 900.0])
    >>> y = np.array([50.0, 50.0, 50.0, 50.0, 50.0])
    >>> t = np.array(["2021-03-01", "2021-03-02", "2021-03-03", "2021-05-02", "2021-05-09"],
    ...              dtype="datetime64[D]")
    >>> tally = intervention_counts(
    ...     x, y, t, response=box(0, 0, 100, 100), control=box(0, 0, 1000, 1000),
    ...     buffer_distance=100, start="2021-04-05", end="2021-05-01", before_days=90)
    >>> c = tally.counts
    >>> (c.response_before, c.buffer_before, c.control_before, c.response_after)
    (1, 1, 1, 1)
    """
    xx = np.asarray(x, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    secs, t_ok = event_seconds(t)
    n = secs.size
    if xx.shape != (n,) or yy.shape != (n,):
        raise ValueError(
            f"x, y and t must be one-dimensional and the same length; got shapes "
            f"{xx.shape}, {yy.shape} and {secs.shape}"
        )
    numeric = np.asarray(t).dtype.kind in "iuf"
    start_s = _instant(start, numeric, "start")
    end_s = _instant(end, numeric, "end")
    if end_s < start_s:
        raise ValueError(f"end ({end!r}) is before start ({start!r})")
    before_len = _length(before_days, "before_days")
    after_len = before_len if after_days is None else _length(after_days, "after_days")

    ok = t_ok & np.isfinite(xx) & np.isfinite(yy)
    in_r = _area(response, xx, yy, n, "response")
    if buffer is not None and buffer_distance is not None:
        raise ValueError("give either buffer_distance or buffer, not both")
    if buffer_distance is not None:
        if not isinstance(response, BaseGeometry):
            raise ValueError(
                "buffer_distance needs the response area as a shapely geometry; "
                "with a mask, give the buffer itself as buffer="
            )
        if not (math.isfinite(buffer_distance) and buffer_distance > 0):
            raise ValueError(f"buffer_distance must be positive metres, got {buffer_distance!r}")
        buffer = response.buffer(buffer_distance)
    in_b = None if buffer is None else _area(buffer, xx, yy, n, "buffer") & ~in_r
    in_c_raw = _area(control, xx, yy, n, "control")
    in_c = in_c_raw & ~in_r if in_b is None else in_c_raw & ~in_r & ~in_b

    before = ok & (secs >= start_s - before_len) & (secs < start_s)
    after = ok & (secs >= end_s) & (secs < end_s + after_len)
    anywhere = in_r | in_c | (in_b if in_b is not None else False)
    during = ok & anywhere & (secs >= start_s) & (secs < end_s)

    def count(mask: NDArray[np.bool_], period: NDArray[np.bool_]) -> int:
        return int(np.count_nonzero(mask & period))

    counts = InterventionCounts(
        response_before=count(in_r, before),
        response_after=count(in_r, after),
        control_before=count(in_c, before),
        control_after=count(in_c, after),
        buffer_before=None if in_b is None else count(in_b, before),
        buffer_after=None if in_b is None else count(in_b, after),
        before_days=before_len / SECONDS_PER_DAY,
        after_days=after_len / SECONDS_PER_DAY,
    )
    return InterventionTally(
        counts=counts,
        before_window=(_back(start_s - before_len, numeric), _back(start_s, numeric)),
        after_window=(_back(end_s, numeric), _back(end_s + after_len, numeric)),
        buffer_distance=buffer_distance,
        n_events=n,
        n_excluded=int(np.count_nonzero(~ok)),
        n_during=int(np.count_nonzero(during)),
        n_control_overlap=int(np.count_nonzero(ok & in_c_raw & ~in_c)),
    )


def _instant(value: Any, numeric: bool, name: str) -> int:
    arr = np.asarray([value])
    if (arr.dtype.kind in "iuf") != numeric:
        kind = "numbers of days" if numeric else "dates"
        raise ValueError(f"{name} must be the same kind as t ({kind}), got {value!r}")
    secs, ok = event_seconds(arr, name)
    if not ok[0]:
        raise ValueError(f"{name} must be a time, got {value!r}")
    return int(secs[0])


def _length(days: float, name: str) -> int:
    if not (math.isfinite(days) and days > 0):
        raise ValueError(f"{name} must be a positive number of days, got {days!r}")
    return round(days * SECONDS_PER_DAY)


def _back(secs: int, numeric: bool) -> Any:
    return secs / SECONDS_PER_DAY if numeric else np.datetime64(secs, "s")


def _area(
    area: AreaLike, x: NDArray[np.float64], y: NDArray[np.float64], n: int, name: str
) -> NDArray[np.bool_]:
    if isinstance(area, BaseGeometry):
        if not shapely.is_prepared(area):
            # Prepare a copy (WKB round-trips exactly): fast point tests without changing the
            # caller's geometry.
            area = shapely.from_wkb(shapely.to_wkb(area))
            shapely.prepare(area)
        # intersects, not contains: a point on the boundary is in the area.
        inside = np.asarray(shapely.intersects_xy(area, x, y), dtype=bool)
        return inside & np.isfinite(x) & np.isfinite(y)
    mask: NDArray[Any] = np.asarray(area)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(
            f"{name} must be a shapely geometry or a boolean mask of length {n}; "
            f"got dtype {mask.dtype}, shape {mask.shape}"
        )
    return mask


# --------------------------------------------------------------------------------------------
# One verdict in words
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One reading of an evaluation, in words, consistent with its numbers.

    Attributes
    ----------
    outcome : str
        ``worked`` (the rate ratio's interval lies above 1 and the net effect, where known, is
        not a net harm), ``mixed`` (the interval lies above 1 but displacement into the buffer
        outweighed it, or below 1 but the buffer's improvement outweighed it), ``worse`` (the
        interval lies below 1 and no net benefit),
        ``unclear`` (the interval includes 1) or ``unknown`` (no rate ratio could be computed).
    headline : str
        The verdict, one sentence naming the numbers it rests on.
    rate_ratio : str
        What the rate ratio's interval says, to follow the ratio itself ("" when it was not
        computed).
    net_effect : str
        The total net effect with its sign in words ("" when it was not computed): never a
        negative number beside "added", and called a net harm (or benefit) only when the
        verdict is one (issue #12: not beside "no clear effect").
    displacement : str
        What the Weighted Displacement Quotient says, consistent with the verdict ("" when it
        was not given): its "net harm" or "net benefit" is dropped when the verdict does not
        reach that conclusion.
    """

    outcome: str
    headline: str
    rate_ratio: str
    net_effect: str
    displacement: str = ""


def _incidents(n: float) -> str:
    value = f"{abs(n):.1f}"
    return f"{value} incident{'' if value == '1.0' else 's'}"


def evaluation_verdict(
    rate_ratio: float | None,
    ci_low: float | None,
    ci_high: float | None,
    net_effect: float | None,
    confidence: float = 0.95,
    wdq: float | None = None,
) -> Verdict:
    """Read the rate ratio (with its confidence interval) and the total net effect as one verdict.

    The rate ratio decides the direction (above 1: the response area did better than the
    control's trend implies) and the interval decides whether the data can tell it from no
    effect. The net effect (Bowers and Johnson: positive means events prevented, counting the
    buffer) turns a clear result into ``mixed`` when it points the other way. Every
    sentence states the number it rests on, so the words cannot contradict the figures; and
    every part (the headline, the rate ratio's reading, the net effect, the WDQ's reading
    ``wdq``) says the same thing: nothing is called a net harm beside a result the data cannot
    tell from no effect, and a response area that did better while the buffer lost more is
    called mixed in every part (issue #12).

    Examples
    --------
    >>> evaluation_verdict(1.8, 1.2, 2.6, 12.0).outcome
    'worked'
    >>> evaluation_verdict(1.4, 1.1, 1.9, -9.5).net_effect
    "9.5 incidents more than the control's trend implies, counting the buffer: a net harm"
    """
    level = f"{100 * confidence:.0f}%"
    rr_text = ""
    if rate_ratio is not None and ci_low is not None and ci_high is not None:
        if ci_low > 1:
            reading = "the whole interval is above 1"
        elif ci_high < 1:
            reading = "the whole interval is below 1"
        else:
            reading = "the interval includes 1, so the data cannot tell the change from no effect"
        side = (
            "did better than"
            if rate_ratio > 1
            else "did worse than"
            if rate_ratio < 1
            else "did neither better nor worse than"
        )
        mixed = (ci_low > 1 and net_effect is not None and net_effect < 0) or (
            ci_high < 1 and net_effect is not None and net_effect > 0
        )
        if ci_low <= 1 <= ci_high:
            # Within chance: the point estimate's side, not a finding that it did better.
            side = (
                "the point estimate is on the better side of 1"
                if rate_ratio > 1
                else "the point estimate is on the worse side of 1"
                if rate_ratio < 1
                else "the point estimate is 1"
            )
            rr_text = (
                f"{level} confidence interval {ci_low:.2f} to {ci_high:.2f}: {side}; {reading}"
            )
        else:
            where = "on its own (not counting the buffer) " if mixed else ""
            rr_text = (
                f"{level} confidence interval {ci_low:.2f} to {ci_high:.2f}: the response "
                f"area {where}{side} the control; {reading}"
            )
    net_text = ""
    if net_effect is not None:
        if net_effect > 0:
            net_text = (
                f"{_incidents(net_effect)} prevented against the control's trend, "
                "counting the buffer"
            )
        elif net_effect < 0:
            net_text = (
                f"{_incidents(net_effect)} more than the control's trend implies, "
                "counting the buffer: a net harm"
            )
        else:
            net_text = "no incidents prevented, and none more, against the control's trend"
    unclear = (
        bool(rr_text) and ci_low is not None and ci_high is not None and ci_low <= 1 <= ci_high
    )
    if unclear and net_text:
        # Not a harm (or a benefit) the data can tell from chance: the same words as the
        # headline's, in the net effect's own row.
        net_text = (
            f"point estimate {net_text.removesuffix(': a net harm')}, within chance "
            "(the rate ratio's interval includes 1)"
        )
    displacement = _displacement(wdq, net_effect, unclear)
    if not rr_text:
        if net_text:
            headline = (
                f"Cannot be judged: the rate ratio could not be computed; the net "
                f"effect alone is {net_text}."
            )
        else:
            headline = (
                "Cannot be judged: neither the rate ratio nor the net effect could be computed."
            )
        return Verdict("unknown", headline, "", net_text, displacement)
    assert rate_ratio is not None and ci_low is not None and ci_high is not None
    rr_short = f"rate ratio {rate_ratio:.2f}, {level} interval {ci_low:.2f} to {ci_high:.2f}"
    if ci_low > 1 and (net_effect is None or net_effect >= 0):
        tail = f"; {net_text}" if net_text else ""
        headline = f"The response worked: the area did better than the control ({rr_short}){tail}."
        outcome = "worked"
    elif ci_low > 1:
        assert net_effect is not None
        headline = (
            f"Mixed: the response area did better than the control ({rr_short}), but "
            f"displacement into the buffer outweighed it: {net_text}."
        )
        outcome = "mixed"
    elif ci_high < 1 and net_effect is not None and net_effect > 0:
        headline = (
            f"Mixed: the response area did worse than the control ({rr_short}), but "
            f"the buffer improved enough that {net_text}."
        )
        outcome = "mixed"
    elif ci_high < 1:
        tail = f"; {net_text}" if net_text else ""
        headline = (
            f"The response did not work: the area did worse than the control ({rr_short}){tail}."
        )
        outcome = "worse"
    else:
        # Within chance, so the net effect is not called a harm (or a benefit) here.
        tail = f"; the net effect's {net_text}" if net_text else ""
        headline = (
            f"No clear effect: the data cannot tell the change from no effect "
            f"({rr_short}, which includes 1){tail}."
        )
        outcome = "unclear"
    return Verdict(outcome, headline, rr_text, net_text, displacement)


def _displacement(wdq: float | None, net_effect: float | None, unclear: bool) -> str:
    """The WDQ's reading, its "(net harm)" or "(net benefit)" kept only when the verdict
    agrees: not when the rate ratio cannot tell the change from chance, nor against the sign
    of the total net effect."""
    if wdq is None:
        return ""
    reading = _wdq_reading(wdq)
    for net, wrong in (
        (" (net harm)", not (net_effect is None or net_effect < 0)),
        (" (net benefit)", not (net_effect is None or net_effect >= 0)),
    ):
        if reading.endswith(net) and (unclear or wrong):
            reading = reading.removesuffix(net) + (
                ", within chance (the rate ratio's interval includes 1)" if unclear else ""
            )
    return reading
