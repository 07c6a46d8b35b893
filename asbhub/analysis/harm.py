"""Harm weights read from a documented CSV, and the harm-weighted WDD (issue #16 item 3).

Counting treats a shoplifting and a robbery alike. A harm index gives each crime type (or
offence) a weight: the Cambridge Crime Harm Index (days of imprisonment a first offender would
receive, Sherman, Neyroud and Neyroud 2016) and ONS's Crime Severity Score (weights from
sentencing data, ONS 2016) both publish one per offence, and give substantially different
results (Ashby 2017). data.police.uk publishes broad categories ("Violence and sexual
offences"), so a weight per category has to be derived from the per-offence figures, and the
file must say how. asbhub therefore bundles no figures: the user supplies a file per run, and
``asbhub/data/harm/example-weights.csv`` shows the format only.

The file (:func:`parse_harm_csv`):

- lines starting with ``#`` are comments, kept in the result as the file's notes (its title,
  index, edition and how categories were derived);
- a header with ``crime_type``, ``weight`` and ``source`` (any order, other columns ignored);
- one row per crime type: a non-negative weight and where the figure comes from.

The harm-weighted WDD (:func:`wdd_harm`) is ptools' ``wdd_harm`` (Wheeler): given a WDD
estimate and standard error per crime type, the harm estimate is ``sum(w_i * est_i)`` and its
variance ``sum(w_i**2 * se_i**2)`` (the types' counts taken as independent).
:func:`evaluate_intervention_harm` runs :func:`~asbhub.analysis.evaluate_intervention` per
crime type and combines them.

Pure: no Django, no database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scipy import special

from .evaluation import InterventionCounts, InterventionEvaluation, evaluate_intervention

__all__ = [
    "HARM_COLUMNS",
    "HarmFileError",
    "HarmWDD",
    "HarmWeights",
    "evaluate_intervention_harm",
    "harm_rows",
    "harm_summary",
    "parse_harm_csv",
    "read_harm_csv",
    "wdd_harm",
]

#: The columns a harm file must have.
HARM_COLUMNS = ("crime_type", "weight", "source")

#: What a user may type for anti-social behaviour, as in the CLI filters.
_ASB = ("asb", "Anti-social behaviour")


class HarmFileError(ValueError):
    """A harm weights file that cannot be used; the message names file, line and field."""


@dataclass(frozen=True)
class HarmWeights:
    """Weights per crime type, read from a file, with where each figure came from.

    Attributes
    ----------
    weights : mapping of str to float
        Crime type (as data.police.uk or the force export spells it) to weight.
    sources : mapping of str to str
        Crime type to the source of its weight.
    name : str
        The file's name.
    sha256 : str
        Digest of the file's bytes, so a stamped output names the exact weights.
    notes : tuple of str
        The file's ``#`` comment lines, without the ``#``.
    """

    weights: Mapping[str, float]
    sources: Mapping[str, str]
    name: str
    sha256: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def stamp(self) -> dict[str, object]:
        """JSON-ready, for an output's stamp."""
        return {
            "name": self.name,
            "sha256": self.sha256,
            "weights": dict(self.weights),
            "sources": dict(self.sources),
            "notes": list(self.notes),
        }


def parse_harm_csv(text: str, name: str = "<harm weights>") -> HarmWeights:
    """Read a harm weights file's text (see the module notes for the format).

    Parameters
    ----------
    text : str
    name : str
        The file's name, for messages and the stamp.

    Returns
    -------
    HarmWeights

    Raises
    ------
    HarmFileError
        Naming the file, line, field and value of the first problem and the expected form:
        a missing column (with the header found), an empty crime type, a weight that is not a
        non-negative number, an empty source, a crime type listed twice, or no rows.

    Examples
    --------
    >>> w = parse_harm_csv("# my index\\ncrime_type,weight,source\\nBurglary,10,my table 1\\n"
    ...                    "asb,1,my table 2\\n", "mine.csv")
    >>> dict(w.weights), w.notes
    ({'Burglary': 10.0, 'Anti-social behaviour': 1.0}, ('my index',))
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    notes: list[str] = []
    body: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            notes.append(line.lstrip()[1:].strip())
        elif line.strip():
            body.append((number, line))
    if not body:
        raise HarmFileError(
            f"{name}: no header; expected a line 'crime_type,weight,source' and a row per "
            "crime type, such as 'Burglary,10,<where the 10 comes from>'"
        )
    header_line, header_text = body[0]
    header = [h.strip().lower() for h in next(csv.reader(io.StringIO(header_text)))]
    missing = [c for c in HARM_COLUMNS if c not in header]
    if missing:
        raise HarmFileError(
            f"{name}, line {header_line}: the header lacks {', '.join(missing)}; expected "
            f"the columns {', '.join(HARM_COLUMNS)}, found {', '.join(header) or 'none'}"
        )
    at = {c: header.index(c) for c in HARM_COLUMNS}
    weights: dict[str, float] = {}
    sources: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, line in body[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        cells += [""] * (len(header) - len(cells))

        def bad(column: str, expected: str, number: int = number, cells: list[str] = cells) -> str:
            return (
                f"{name}, line {number}, field {column}: expected {expected}, "
                f"got {cells[at[column]]!r}"
            )

        crime_type = cells[at["crime_type"]].strip()
        if not crime_type:
            raise HarmFileError(bad("crime_type", "a crime type such as 'Burglary'"))
        if crime_type.lower() == _ASB[0]:
            crime_type = _ASB[1]
        try:
            weight = float(cells[at["weight"]])
        except ValueError:
            weight = math.nan
        if not (math.isfinite(weight) and weight >= 0):
            raise HarmFileError(bad("weight", "a number 0 or more"))
        source = cells[at["source"]].strip()
        if not source:
            raise HarmFileError(
                bad("source", "where the weight comes from (index, edition, table or offence)")
            )
        if crime_type in weights:
            raise HarmFileError(
                f"{name}, line {number}, field crime_type: {crime_type!r} is listed twice "
                f"(first on line {first_line[crime_type]}); keep one row per crime type"
            )
        weights[crime_type] = weight
        sources[crime_type] = source
        first_line[crime_type] = number
    if not weights:
        raise HarmFileError(
            f"{name}: a header but no weights; add a row per crime type, such as "
            "'Burglary,10,<where the 10 comes from>'"
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return HarmWeights(weights, sources, name, digest, tuple(notes))


def read_harm_csv(path: Path | str) -> HarmWeights:
    """:func:`parse_harm_csv` on a file (UTF-8, with or without a byte-order mark).

    The digest is of the file's bytes.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HarmFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from exc
    parsed = parse_harm_csv(text, str(path))
    return HarmWeights(
        parsed.weights, parsed.sources, parsed.name, hashlib.sha256(raw).hexdigest(), parsed.notes
    )


# --------------------------------------------------------------------------------------------
# Harm-weighted WDD
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HarmWDD:
    """ptools' ``wdd_harm``: WDD estimates per crime type combined with harm weights.

    ``estimate = sum(w_i * est_i)``, ``se = sqrt(sum(w_i**2 * se_i**2))``, ``z = estimate /
    se``, the p-value two-sided from the normal, and ``ci_low``, ``ci_high`` =
    ``estimate -/+ z_(1 - alpha/2) * se``. Negative: less harm than the controls' trends
    imply.

    Attributes
    ----------
    estimate, se : float
    z, p_value : float or None
        None when every standard error is zero.
    ci_low, ci_high : float
    confidence : float
    parts : tuple of (str, float, float, float)
        ``(label, estimate, se, weight)`` per crime type, as combined.
    """

    estimate: float
    se: float
    z: float | None
    p_value: float | None
    ci_low: float
    ci_high: float
    confidence: float
    parts: tuple[tuple[str, float, float, float], ...]


def wdd_harm(
    estimates: Sequence[float],
    ses: Sequence[float],
    weights: Sequence[float],
    *,
    labels: Sequence[str] | None = None,
    confidence: float = 0.90,
) -> HarmWDD:
    """Combine WDD estimates with harm weights, as ptools' ``wdd_harm`` (Wheeler).

    Parameters
    ----------
    estimates, ses : sequence of float
        WDD estimate and its standard error per crime type
        (:attr:`~asbhub.analysis.evaluation.WeightedDisplacementDifference.estimate`, ``se``).
    weights : sequence of float
        Harm weight per crime type, non-negative.
    labels : sequence of str, optional
        Names of the crime types, kept in ``parts``.
    confidence : float, default 0.90
        ptools' default ``alpha = 0.1``.

    Returns
    -------
    HarmWDD

    Examples
    --------
    ptools' own example (robbery, burglary and theft weighted 10, 5 and 1):

    >>> r = wdd_harm([-10, -5, -30], [70 ** 0.5, 105 ** 0.5, 230 ** 0.5], [10, 5, 1])
    >>> r.estimate, round(r.se ** 2, 6)
    (-155.0, 9855.0)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, e.g. 0.90; got {confidence!r}")
    n = len(estimates)
    if len(ses) != n or len(weights) != n or (labels is not None and len(labels) != n):
        raise ValueError(
            "estimates, ses, weights (and labels) must have one entry per crime type; got "
            f"{n}, {len(ses)}, {len(weights)}" + ("" if labels is None else f", {len(labels)}")
        )
    if n == 0:
        raise ValueError("no estimates to combine: give at least one crime type's WDD")
    names = list(labels) if labels is not None else [str(i) for i in range(n)]
    parts = []
    for label, e, s, w in zip(names, estimates, ses, weights, strict=True):
        e, s, w = float(e), float(s), float(w)
        if not (math.isfinite(w) and w >= 0):
            raise ValueError(f"harm weight for {label!r} must be a number 0 or more, got {w!r}")
        if not (math.isfinite(s) and s >= 0):
            raise ValueError(f"standard error for {label!r} must be 0 or more, got {s!r}")
        if not math.isfinite(e):
            raise ValueError(f"estimate for {label!r} must be a number, got {e!r}")
        parts.append((label, e, s, w))
    estimate = math.fsum(w * e for _, e, _, w in parts)
    se = math.sqrt(math.fsum((w * s) ** 2 for _, _, s, w in parts))
    z_crit = float(special.ndtri(1 - (1 - confidence) / 2))
    z = p = None
    if se > 0:
        z = estimate / se
        p = float(2.0 * special.ndtr(-abs(z)))
    return HarmWDD(
        estimate=estimate,
        se=se,
        z=z,
        p_value=p,
        ci_low=estimate - z_crit * se,
        ci_high=estimate + z_crit * se,
        confidence=confidence,
        parts=tuple(parts),
    )


def evaluate_intervention_harm(
    counts_by_type: Mapping[str, InterventionCounts],
    weights: Mapping[str, float] | HarmWeights,
    *,
    confidence: float = 0.90,
    overdispersion: float = 1.0,
) -> tuple[HarmWDD, dict[str, InterventionEvaluation]]:
    """Evaluate an intervention per crime type and combine the WDDs by harm.

    Parameters
    ----------
    counts_by_type : mapping of str to InterventionCounts
        The counts of each crime type (e.g. from
        :func:`~asbhub.analysis.intervention_counts` on that type's events).
    weights : mapping of str to float, or HarmWeights
        A weight for every crime type in ``counts_by_type``.
    confidence, overdispersion
        As for :func:`~asbhub.analysis.evaluate_intervention`; the combined interval uses
        ``confidence``.

    Returns
    -------
    (HarmWDD, dict)
        The combined WDD, and the evaluation of each crime type.

    Raises
    ------
    ValueError
        Naming every crime type without a weight, and the types the weights have.
    """
    table = weights.weights if isinstance(weights, HarmWeights) else weights
    missing = sorted(t for t in counts_by_type if t not in table)
    if missing:
        raise ValueError(
            f"no harm weight for {', '.join(map(repr, missing))}; the weights have "
            f"{', '.join(map(repr, sorted(table))) or 'none'}"
        )
    evaluations = {
        t: evaluate_intervention(c, confidence=confidence, overdispersion=overdispersion)
        for t, c in counts_by_type.items()
    }
    labels = list(evaluations)
    combined = wdd_harm(
        [evaluations[t].wdd.estimate for t in labels],
        [evaluations[t].wdd.se for t in labels],
        [float(table[t]) for t in labels],
        labels=labels,
        confidence=confidence,
    )
    return combined, evaluations


def harm_summary(combined: HarmWDD, weights: HarmWeights | None = None) -> dict[str, object]:
    """The harm-weighted WDD, JSON-ready, to store or show beside the counts (a PMP's
    assessment, a report): estimate, standard error, z, p-value, interval, the parts per
    crime type and, when given, the weights file's name, digest and sources.

    Examples
    --------
    >>> s = harm_summary(wdd_harm([-10.0], [5.0], [2.0], labels=["Robbery"]))
    >>> s["estimate"], s["se"], s["parts"]
    (-20.0, 10.0, [{'crime_type': 'Robbery', 'estimate': -10.0, 'se': 5.0, 'weight': 2.0}])
    """
    out: dict[str, object] = {
        "estimate": combined.estimate,
        "se": combined.se,
        "z": combined.z,
        "p_value": combined.p_value,
        "ci_low": combined.ci_low,
        "ci_high": combined.ci_high,
        "confidence": combined.confidence,
        "parts": [
            {"crime_type": label, "estimate": e, "se": s, "weight": w}
            for label, e, s, w in combined.parts
        ],
    }
    if weights is not None:
        out["weights_file"] = weights.name
        out["weights_sha256"] = weights.sha256
        out["sources"] = {t: weights.sources[t] for t, *_ in combined.parts}
    return out


def harm_rows(
    rows: Sequence[Sequence[object]], weights: Mapping[str, float], total_label: str = "Total"
) -> tuple[list[list[object]], list[str]]:
    """A count table's rows as harm: each ``[label, n_1, n_2, ...]`` becomes ``[label, weight,
    weight * n_1, ...]``, and the ``total_label`` row the column sums of harm.

    A label without a weight gets None (shown "n/a") and is listed in the second value, so
    a report says which weights are missing instead of failing; non-numeric cells stay as
    they are.

    Examples
    --------
    >>> harm_rows([["Burglary", 2, 3], ["Drugs", 1, 0], ["Total", 3, 3]], {"Burglary": 10.0})
    ([['Burglary', 10.0, 20.0, 30.0], ['Drugs', None, None, None], ['Total', None, 20.0, 30.0]], ['Drugs'])
    """
    out: list[list[object]] = []
    missing: list[str] = []
    width = max((len(r) for r in rows), default=1) - 1
    sums = [0.0] * width
    for row in rows:
        label = str(row[0])
        if label == total_label:
            continue
        w = weights.get(label)
        if w is None:
            missing.append(label)
            out.append([label, None, *([None] * (len(row) - 1))])
            continue
        cells: list[object] = [label, float(w)]
        for j, v in enumerate(row[1:]):
            if isinstance(v, int | float) and not isinstance(v, bool):
                cells.append(float(w) * v)
                sums[j] += float(w) * v
            else:
                cells.append(v)
        out.append(cells)
    if any(str(r[0]) == total_label for r in rows):
        out.append([total_label, None, *sums])
    return out, missing
