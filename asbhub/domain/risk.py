"""The victim risk questionnaire: questions, weights, bands, review cadence and calibration.

Pure Python (no Django, no database), so the web app, the daily briefing and a notebook share
one set of rules.

- A :class:`Questionnaire` is one *version*: its questions (each yes/no with a weight for yes,
  or a choice of answers each with a weight), the band thresholds (a score at or above
  ``high`` is high risk, at or above ``medium`` medium, else standard) and the review cadence
  per band (DESIGN.md: high every 14 days, medium every 28, standard not reviewed).
  An answer may also carry a floor (``at_least``): a yes to thoughts of self-harm makes the
  victim high risk whatever the score, as the matrices forces use do.
- :func:`next_review_due` and :func:`overdue` apply the cadence.
- :func:`risk_calibration` measures how well each band predicted a repeat incident within
  90 days, with Wilson intervals (:func:`wilson_interval`).

The bundled default version is ``asbhub/data/risk/default_questionnaire.json``
(:func:`default_questionnaire`).

Examples
--------
>>> q = default_questionnaire()
>>> answers = {k.id: "no" for k in q.questions if k.is_yes_no} | {"frequency": "often"}
>>> answers |= {"unsafe_home": "yes", "health": "yes"}
>>> q.score(answers), q.band(answers).value
(12, 'standard')
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from asbhub.domain.vocab import THRIVE_ELEMENTS, THRIVE_GRADES

__all__ = [
    "DEFAULT_QUESTIONNAIRE_PATH",
    "THRIVE_ELEMENTS",
    "THRIVE_GRADES",
    "AnswerOption",
    "AssessedVictim",
    "Band",
    "Calibration",
    "CalibrationRow",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "RiskResult",
    "VictimIncident",
    "default_questionnaire",
    "next_review_due",
    "overdue",
    "risk_calibration",
    "wilson_interval",
]

DEFAULT_QUESTIONNAIRE_PATH = (
    Path(__file__).resolve().parents[1] / "data" / "risk" / "default_questionnaire.json"
)

#: How long after an assessment a repeat incident counts, for calibration.
DEFAULT_HORIZON_DAYS = 90


class Band(StrEnum):
    """Risk bands, lowest first (``Band.order`` compares them)."""

    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def order(self) -> int:
        return _BAND_ORDER[self]

    @property
    def label(self) -> str:
        return f"{self.value.capitalize()} risk"


_BAND_ORDER = {Band.STANDARD: 0, Band.MEDIUM: 1, Band.HIGH: 2}

#: The cadence DESIGN.md sets as the default: days between reviews, None for no review.
DEFAULT_REVIEW_DAYS: dict[Band, int | None] = {Band.HIGH: 14, Band.MEDIUM: 28, Band.STANDARD: None}


class QuestionnaireError(ValueError):
    """A questionnaire or a set of answers is not valid; ``problems`` lists every fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AnswerOption:
    """One answer a question accepts, its weight, and the lowest band it puts a victim in."""

    value: str
    label: str
    weight: int
    at_least: Band | None = None


@dataclass(frozen=True)
class Question:
    """One question: yes/no (``is_yes_no``) or a choice among ``options``."""

    id: str
    text: str
    options: tuple[AnswerOption, ...]
    hint: str = ""
    is_yes_no: bool = False

    def option(self, value: str) -> AnswerOption | None:
        for opt in self.options:
            if opt.value == value:
                return opt
        return None

    @property
    def max_weight(self) -> int:
        return max(o.weight for o in self.options)


@dataclass(frozen=True)
class RiskResult:
    """What :meth:`Questionnaire.assess` found: the score, the band and why."""

    score: int
    band: Band
    band_by_score: Band
    raised_by: tuple[str, ...] = ()
    """Ids of questions whose answer raised the band above what the score gives."""


def _band(value: Any, where: str, problems: list[str]) -> Band | None:
    try:
        return Band(value)
    except ValueError:
        problems.append(f"{where}: unknown band {value!r}; expected standard, medium or high")
        return None


def _int(value: Any, where: str, problems: list[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{where}: {value!r} is not a whole number")
        return 0
    if value < 0:
        problems.append(f"{where}: {value} is negative; weights and thresholds are 0 or more")
    number: int = value  # an int by the check above (mypy does not narrow Any)
    return number


@dataclass(frozen=True)
class Questionnaire:
    """One version of the victim risk questionnaire.

    Build it with :meth:`from_dict` (which validates); :meth:`to_dict` gives the JSON form
    that is stored with each version.

    Attributes
    ----------
    name, description : str
    questions : tuple of Question
    medium, high : int
        Score thresholds: ``score >= high`` is high, ``score >= medium`` medium.
    review_days : mapping of Band to int or None
        Days from an assessment or review to the next review; None: no review.
    version : int
        The version number (0 for one not yet saved).
    """

    name: str
    questions: tuple[Question, ...]
    medium: int
    high: int
    review_days: Mapping[Band, int | None] = field(
        default_factory=lambda: dict(DEFAULT_REVIEW_DAYS)
    )
    description: str = ""
    version: int = 0

    # ---------------------------------------------------------------- building and checking
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], version: int = 0) -> Questionnaire:
        """Parse and validate the JSON form.

        Raises
        ------
        QuestionnaireError
            With every problem found: duplicate or missing question ids, a question without
            answers, negative or non-integer weights, thresholds out of order, an unknown band.
        """
        problems: list[str] = []
        raw_questions = data.get("questions") or []
        if not isinstance(raw_questions, list) or not raw_questions:
            problems.append("questions: give at least one question")
            raw_questions = []
        questions: list[Question] = []
        seen: set[str] = set()
        for n, raw in enumerate(raw_questions, start=1):
            questions.append(cls._question(raw, n, seen, problems))
        thresholds = data.get("thresholds") or {}
        medium = _int(thresholds.get("medium"), "thresholds.medium", problems)
        high = _int(thresholds.get("high"), "thresholds.high", problems)
        if not problems and not 0 < medium < high:
            problems.append(
                f"thresholds: expected 0 < medium < high, got medium {medium} and "
                f"high {high}; raise high or lower medium"
            )
        max_score = sum(q.max_weight for q in questions if q.options)
        if not problems and high > max_score:
            problems.append(
                f"thresholds.high: {high} is more than the highest possible score "
                f"({max_score}), so no one could be high risk by score"
            )
        review_days: dict[Band, int | None] = dict(DEFAULT_REVIEW_DAYS)
        for key, days in (data.get("review_days") or {}).items():
            band = _band(key, "review_days", problems)
            if band is None:
                continue
            if days is None:
                review_days[band] = None
            elif _int(days, f"review_days.{key}", problems) < 1:
                problems.append(
                    f"review_days.{key}: {days} days; give 1 or more, or null for no review"
                )
            else:
                review_days[band] = days
        if problems:
            raise QuestionnaireError(problems)
        return cls(
            name=str(data.get("name") or "Victim risk assessment"),
            description=str(data.get("description") or ""),
            questions=tuple(questions),
            medium=medium,
            high=high,
            review_days=review_days,
            version=version,
        )

    @staticmethod
    def _question(raw: Any, n: int, seen: set[str], problems: list[str]) -> Question:
        where = f"question {n}"
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: expected an object with id, text and answers")
            return Question(id=f"_{n}", text="", options=())
        qid = str(raw.get("id") or "").strip()
        if not qid:
            problems.append(f"{where}: no id; give each question a short unique id")
        elif qid in seen:
            problems.append(f"{where}: duplicate question id {qid!r}; ids must be unique")
        seen.add(qid)
        where = f"question {qid or n}"
        text = str(raw.get("text") or "").strip()
        if not text:
            problems.append(f"{where}: no text")
        if "options" in raw and "yes_weight" in raw:
            problems.append(
                f"{where}: give either yes_weight (a yes/no question) or options, not both"
            )
        options: list[AnswerOption] = []
        if "yes_weight" in raw:
            floor = (
                _band(raw["yes_at_least"], f"{where}.yes_at_least", problems)
                if raw.get("yes_at_least")
                else None
            )
            options = [
                AnswerOption(
                    "yes", "Yes", _int(raw["yes_weight"], f"{where}.yes_weight", problems), floor
                ),
                AnswerOption("no", "No", 0),
            ]
            return Question(qid, text, tuple(options), str(raw.get("hint") or ""), True)
        values: set[str] = set()
        for m, opt in enumerate(raw.get("options") or [], start=1):
            value = str((opt or {}).get("value") or "").strip()
            if not value:
                problems.append(f"{where}, answer {m}: no value")
            elif value in values:
                problems.append(f"{where}: duplicate answer value {value!r}")
            values.add(value)
            floor = (
                _band(opt["at_least"], f"{where}.{value}.at_least", problems)
                if opt.get("at_least")
                else None
            )
            options.append(
                AnswerOption(
                    value,
                    str(opt.get("label") or value),
                    _int(opt.get("weight"), f"{where}.{value}.weight", problems),
                    floor,
                )
            )
        if not options:
            problems.append(f"{where}: no answers; give yes_weight or a list of options")
        return Question(qid, text, tuple(options), str(raw.get("hint") or ""), False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (:meth:`from_dict` reads it back to an equal questionnaire)."""
        questions = []
        for q in self.questions:
            item: dict[str, Any] = {"id": q.id, "text": q.text}
            if q.hint:
                item["hint"] = q.hint
            if q.is_yes_no:
                yes = q.option("yes")
                assert yes is not None
                item["yes_weight"] = yes.weight
                if yes.at_least:
                    item["yes_at_least"] = yes.at_least.value
            else:
                item["options"] = [
                    {
                        "value": o.value,
                        "label": o.label,
                        "weight": o.weight,
                        **({"at_least": o.at_least.value} if o.at_least else {}),
                    }
                    for o in q.options
                ]
            questions.append(item)
        return {
            "name": self.name,
            "description": self.description,
            "thresholds": {"medium": self.medium, "high": self.high},
            "review_days": {b.value: self.review_days.get(b) for b in Band},
            "questions": questions,
        }

    def edited(
        self,
        weights: Mapping[tuple[str, str], int] | None = None,
        medium: int | None = None,
        high: int | None = None,
        review_days: Mapping[str, int | None] | None = None,
    ) -> Questionnaire:
        """A copy with some weights (``{(question id, answer value): weight}``), thresholds or
        review days changed, validated as a whole (version 0: not saved yet)."""
        data = self.to_dict()
        known = {(q.id, o.value) for q in self.questions for o in q.options}
        unknown = sorted(set(weights or {}) - known)
        if unknown:
            raise QuestionnaireError([f"no answer {v!r} to question {q!r}" for q, v in unknown])
        for item in data["questions"]:
            for (qid, value), weight in (weights or {}).items():
                if qid != item["id"]:
                    continue
                if "yes_weight" in item and value == "yes":
                    item["yes_weight"] = weight
                for opt in item.get("options", []):
                    if opt["value"] == value:
                        opt["weight"] = weight
        if medium is not None:
            data["thresholds"]["medium"] = medium
        if high is not None:
            data["thresholds"]["high"] = high
        if review_days is not None:
            data["review_days"].update(review_days)
        return Questionnaire.from_dict(data)

    # ---------------------------------------------------------------------------- scoring
    @property
    def max_score(self) -> int:
        return sum(q.max_weight for q in self.questions)

    def question(self, qid: str) -> Question | None:
        for q in self.questions:
            if q.id == qid:
                return q
        return None

    def check_answers(self, answers: Mapping[str, str]) -> list[str]:
        """Every fault in ``answers`` (question id -> answer value), as sentences."""
        problems = []
        ids = {q.id for q in self.questions}
        for qid in sorted(set(answers) - ids):
            problems.append(
                f"answer to unknown question {qid!r}; this is version "
                f"{self.version}, whose questions are {', '.join(sorted(ids))}"
            )
        for q in self.questions:
            if q.id not in answers or answers[q.id] in (None, ""):
                problems.append(f"question {q.id!r} is not answered")
            elif q.option(str(answers[q.id])) is None:
                problems.append(
                    f"question {q.id!r}: unknown answer {answers[q.id]!r}; expected "
                    f"one of {', '.join(o.value for o in q.options)}"
                )
        return problems

    def _options(self, answers: Mapping[str, str]) -> list[tuple[Question, AnswerOption]]:
        problems = self.check_answers(answers)
        if problems:
            raise QuestionnaireError(problems)
        chosen = []
        for q in self.questions:
            opt = q.option(str(answers[q.id]))
            assert opt is not None
            chosen.append((q, opt))
        return chosen

    def score(self, answers: Mapping[str, str]) -> int:
        """Sum of the weights of the answers given; every question must be answered."""
        return sum(opt.weight for _, opt in self._options(answers))

    def band_for_score(self, score: int) -> Band:
        if score >= self.high:
            return Band.HIGH
        if score >= self.medium:
            return Band.MEDIUM
        return Band.STANDARD

    def assess(self, answers: Mapping[str, str]) -> RiskResult:
        """Score and band ``answers``; an answer with a floor raises the band to it."""
        chosen = self._options(answers)
        score = sum(opt.weight for _, opt in chosen)
        by_score = self.band_for_score(score)
        band, raised = by_score, []
        for q, opt in chosen:
            if opt.at_least is not None and opt.at_least.order > by_score.order:
                raised.append(q.id)
                if opt.at_least.order > band.order:
                    band = opt.at_least
        return RiskResult(score, band, by_score, tuple(raised))

    def band(self, answers: Mapping[str, str]) -> Band:
        return self.assess(answers).band

    def next_review_due(self, band: Band | str, on: dt.date) -> dt.date | None:
        return next_review_due(band, on, self.review_days)


def default_questionnaire(path: Path | str | None = None) -> Questionnaire:
    """The bundled questionnaire (or the JSON file at ``path``), as version 1."""
    path = Path(path or DEFAULT_QUESTIONNAIRE_PATH)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise QuestionnaireError([f"{path}: not valid JSON ({exc})"]) from exc
    return Questionnaire.from_dict(data, version=1)


def next_review_due(
    band: Band | str, on: dt.date, review_days: Mapping[Band, int | None] | None = None
) -> dt.date | None:
    """The date of the next review after an assessment or review on ``on``; None for none.

    >>> next_review_due("high", dt.date(2024, 3, 1))
    datetime.date(2024, 3, 15)
    >>> next_review_due("standard", dt.date(2024, 3, 1)) is None
    True
    """
    days = (review_days or DEFAULT_REVIEW_DAYS).get(Band(band))
    return None if days is None else on + dt.timedelta(days=days)


def overdue(due: dt.date | None, today: dt.date) -> bool:
    """A review is overdue once the day it was due has passed (due today is not overdue)."""
    return due is not None and due < today


# ------------------------------------------------------------------------------ calibration
def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes in ``n`` trials; (nan, nan) when n is 0.

    >>> [round(x, 4) for x in wilson_interval(3, 10)]
    [0.1078, 0.6032]
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"expected 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return math.nan, math.nan
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class AssessedVictim:
    """One assessment for calibration: who (a person key), when, the band given, and the
    incident it was made on (which does not count as its own repeat)."""

    assessment_id: int
    person_key: Hashable
    assessed_on: dt.date
    band: Band | str
    incident_id: int | None = None


@dataclass(frozen=True)
class VictimIncident:
    """A qualifying incident for a person key (victim of a crime or ASB, caller of ASB)."""

    incident_id: int
    person_key: Hashable
    on: dt.date


@dataclass(frozen=True)
class CalibrationRow:
    band: Band
    n_assessed: int
    n_repeat: int
    rate: float
    low: float
    high: float

    @property
    def rate_percent(self) -> float:
        return self.rate * 100

    @property
    def low_percent(self) -> float:
        return self.low * 100

    @property
    def high_percent(self) -> float:
        return self.high * 100


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`risk_calibration`: one row per band (standard, medium, high).

    Attributes
    ----------
    rows : tuple of CalibrationRow
    end : date
        The end of the data; assessments after ``end - horizon_days`` are left out.
    horizon_days : int
    confidence : float
    n_too_recent : int
        Assessments left out because their 90 days had not run by ``end``.
    """

    rows: tuple[CalibrationRow, ...]
    end: dt.date
    horizon_days: int
    confidence: float
    n_too_recent: int

    @property
    def n_assessed(self) -> int:
        return sum(r.n_assessed for r in self.rows)

    def csv_rows(self) -> list[list[Any]]:
        head = [
            "band",
            "assessed",
            "repeat_within_days",
            "repeats",
            "rate",
            f"wilson_{round(self.confidence * 100)}_low",
            f"wilson_{round(self.confidence * 100)}_high",
            "data_end",
        ]
        out: list[list[Any]] = [head]
        for r in self.rows:
            out.append(
                [
                    r.band.value,
                    r.n_assessed,
                    self.horizon_days,
                    r.n_repeat,
                    "" if math.isnan(r.rate) else f"{r.rate:.4f}",
                    "" if math.isnan(r.low) else f"{r.low:.4f}",
                    "" if math.isnan(r.high) else f"{r.high:.4f}",
                    self.end.isoformat(),
                ]
            )
        return out


def risk_calibration(
    assessments: Iterable[AssessedVictim],
    incidents: Iterable[VictimIncident],
    end: dt.date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    confidence: float = 0.95,
) -> Calibration:
    """How often victims in each band had a repeat incident within ``horizon_days``.

    An assessment counts when made at least ``horizon_days`` before ``end`` (so its whole
    window is in the data). It is a *repeat* when the same person key has another qualifying
    incident (not the one assessed) dated on one of the ``horizon_days`` days after the day
    of the assessment: ``assessed_on < date <= assessed_on + horizon_days``.

    Parameters
    ----------
    assessments : iterable of AssessedVictim
    incidents : iterable of VictimIncident
    end : date, optional
        The last day of the data; default the latest incident date (or assessment date).
    horizon_days : int
    confidence : float
        Of the Wilson intervals.

    Returns
    -------
    Calibration
    """
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be 1 or more, got {horizon_days}")
    assessments = list(assessments)
    by_key: dict[Hashable, list[tuple[dt.date, int]]] = defaultdict(list)
    latest: dt.date | None = None
    for inc in incidents:
        by_key[inc.person_key].append((inc.on, inc.incident_id))
        latest = inc.on if latest is None or inc.on > latest else latest
    for rows in by_key.values():
        rows.sort()
    if end is None:
        dates = [a.assessed_on for a in assessments] + ([latest] if latest else [])
        end = max(dates) if dates else dt.date.today()
    # Clamped: a stored date in year 1 or 9999 (see asbhub.domain.dates) must not overflow.
    horizon = dt.timedelta(days=horizon_days)
    cutoff = end - horizon if end - dt.date.min >= horizon else dt.date.min
    counts = {b: [0, 0] for b in Band}
    too_recent = 0
    for a in assessments:
        if a.assessed_on > cutoff:
            too_recent += 1
            continue
        band = Band(a.band)
        counts[band][0] += 1
        rows = by_key.get(a.person_key, [])
        last = a.assessed_on + horizon if dt.date.max - a.assessed_on >= horizon else dt.date.max
        # First incident dated after the assessment day, then any in the window not its own.
        i = bisect.bisect_right(rows, (a.assessed_on, math.inf))
        while i < len(rows) and rows[i][0] <= last:
            if rows[i][1] != a.incident_id:
                counts[band][1] += 1
                break
            i += 1
    out = []
    for band in Band:
        n, k = counts[band]
        low, high = wilson_interval(k, n, confidence)
        out.append(CalibrationRow(band, n, k, k / n if n else math.nan, low, high))
    return Calibration(tuple(out), end, horizon_days, confidence, too_recent)
