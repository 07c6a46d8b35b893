"""Rules for Problem Management Plans (PMPs), supervisor reviews and ASB Case Reviews.

No Django, no database: plain values in, plain values out, so the web app, the CLI and a
notebook apply the same rules.

- SARA stages (Scanning, Analysis, Response, Assessment, then Closed) and what each stage must
  hold before a plan moves on: :func:`missing_for_stage`, :func:`check_transition`.
- Supervisor reviews on a cadence: :func:`next_review_due`, :func:`review_status`.
- Working days in England and Wales: :func:`add_working_days`, with the bank holidays in
  :data:`BANK_HOLIDAYS_ENGLAND_WALES`.
- The ASB Case Review (Community Trigger) threshold: :func:`check_threshold`; who meets it
  among the store's complainants (the daily briefing's flags): :func:`case_review_flags`,
  which takes a polars frame.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from asbhub.domain.dates import LOCAL_TIME_ZONE
from asbhub.domain.months import month_at, month_index, month_of, parse_month

if TYPE_CHECKING:  # polars is imported where the flags are made, not to read the rules
    import polars as pl

#: Problem types of the ASB PMPs open in Derbyshire (seed 003, section 5.33). The web app seeds
#: its editable list from these; add to it there rather than here.
PROBLEM_TYPES: tuple[str, ...] = (
    "Juvenile ASB in and around our communities",
    "ASB targeted at addresses",
    "Car cruises",
    "Nuisance motorcycles",
    "Neighbour disputes",
    "Urban Street Gangs",
    "Problems associated with begging, street drinking and homelessness",
    "On street sex workers",
    "Regular criminal damage hotspots",
    "Dwellings whose occupants cause ASB in the community",
    "Premises used for drug dealing",
    "Working with young people on the verge of causing ASB",
    "Public sexual activity",
)


class SaraStage(StrEnum):
    """The stages of a problem-solving plan on the SARA model, in order."""

    SCANNING = "scanning"
    ANALYSIS = "analysis"
    RESPONSE = "response"
    ASSESSMENT = "assessment"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


STAGE_ORDER: tuple[SaraStage, ...] = tuple(SaraStage)


@dataclass(frozen=True)
class PlanAction:
    """One action of a plan's response, as far as the stage rules need it."""

    description: str
    owner_agency: str = ""
    due: dt.date | None = None


@dataclass(frozen=True)
class PlanContent:
    """What a plan holds, as far as the stage rules need it.

    Attributes
    ----------
    statement : str
        The problem statement (Scanning).
    data_summary : str
        The data that show the problem: counts, hotspots, times (Scanning).
    victim, offender, location : str
        The three sides of the problem analysis triangle (Analysis).
    actions : sequence of PlanAction
        The response (Response).
    assessment : str
        What changed and whether it worked (Assessment).
    """

    statement: str = ""
    data_summary: str = ""
    victim: str = ""
    offender: str = ""
    location: str = ""
    actions: Sequence[PlanAction] = ()
    assessment: str = ""


def _blank(text: str) -> bool:
    return not (text or "").strip()


def missing_for_stage(stage: SaraStage | str, content: PlanContent) -> list[str]:
    """What ``stage`` asks for that ``content`` does not yet hold, as sentences for the user.

    A stage's content must be complete before the plan moves past it: Scanning needs the
    problem statement and its data; Analysis the three sides of the problem analysis triangle;
    Response at least one action, each with an owner agency and a due date; Assessment the
    assessment. Closed asks for nothing more.

    Examples
    --------
    >>> missing_for_stage("scanning", PlanContent(statement="Youths at the memorial gardens"))
    ['Describe the data that show the problem (counts, places, times).']
    """
    stage = SaraStage(stage)
    missing: list[str] = []
    if stage is SaraStage.SCANNING:
        if _blank(content.statement):
            missing.append("Write the problem statement.")
        if _blank(content.data_summary):
            missing.append("Describe the data that show the problem (counts, places, times).")
    elif stage is SaraStage.ANALYSIS:
        for side, name in (
            ("victim", "victim"),
            ("offender", "offender"),
            ("location", "location"),
        ):
            if _blank(getattr(content, side)):
                missing.append(f"Complete the {name} side of the problem analysis triangle.")
    elif stage is SaraStage.RESPONSE:
        if not content.actions:
            missing.append("Add at least one action.")
        for number, action in enumerate(content.actions, start=1):
            if _blank(action.owner_agency):
                missing.append(f"Give action {number} an owner agency.")
            if action.due is None:
                missing.append(f"Give action {number} a due date.")
    elif stage is SaraStage.ASSESSMENT:
        if _blank(content.assessment):
            missing.append("Write the assessment: what changed, and did the response work?")
    return missing


def allowed_next_stages(stage: SaraStage | str) -> tuple[SaraStage, ...]:
    """The stages a plan at ``stage`` may move to.

    One step on, or one step back (new information sends a plan back to analysis); a closed
    plan may be reopened at Assessment.
    """
    stage = SaraStage(stage)
    i = STAGE_ORDER.index(stage)
    out = []
    if i + 1 < len(STAGE_ORDER):
        out.append(STAGE_ORDER[i + 1])
    if i > 0:
        out.append(STAGE_ORDER[i - 1])
    return tuple(out)


def check_transition(
    current: SaraStage | str, target: SaraStage | str, content: PlanContent
) -> list[str]:
    """Problems with moving a plan from ``current`` to ``target``; empty when it may move.

    Moving on needs the current stage's content complete (:func:`missing_for_stage`); moving
    back needs nothing.
    """
    current, target = SaraStage(current), SaraStage(target)
    if current is target:
        return []
    if target not in allowed_next_stages(current):
        options = " or ".join(s.label for s in allowed_next_stages(current))
        return [f"A plan at {current.label} can move only to {options}, not to {target.label}."]
    if STAGE_ORDER.index(target) < STAGE_ORDER.index(current):
        return []
    return missing_for_stage(current, content)


# --------------------------------------------------------------------------------------------
# Supervisor reviews
# --------------------------------------------------------------------------------------------

#: Days between supervisor reviews when a plan does not set its own cadence.
DEFAULT_REVIEW_CADENCE_DAYS = 28


def next_review_due(last: dt.date, cadence_days: int = DEFAULT_REVIEW_CADENCE_DAYS) -> dt.date:
    """The day the next supervisor review is due: ``cadence_days`` after ``last`` (the last
    review, or the day the plan was opened)."""
    if cadence_days < 1:
        raise ValueError(f"review cadence must be at least 1 day, got {cadence_days}")
    return last + dt.timedelta(days=cadence_days)


def review_status(due: dt.date | None, today: dt.date, closed: bool = False) -> str:
    """``overdue`` (due before today), ``due`` (today), ``upcoming`` or ``none`` (closed or no
    date set)."""
    if closed or due is None:
        return "none"
    if due < today:
        return "overdue"
    return "due" if due == today else "upcoming"


# --------------------------------------------------------------------------------------------
# Working days
# --------------------------------------------------------------------------------------------


def _days(*isos: str) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(s) for s in isos)


#: Bank holidays in England and Wales, 2014 (the Community Trigger began that October) to 2027
#: (GOV.UK, https://www.gov.uk/bank-holidays, including the one-off days of 2020, 2022 and
#: 2023). Extend it each year as GOV.UK publishes.
BANK_HOLIDAYS_ENGLAND_WALES: frozenset[dt.date] = _days(
    "2014-01-01",
    "2014-04-18",
    "2014-04-21",
    "2014-05-05",
    "2014-05-26",
    "2014-08-25",
    "2014-12-25",
    "2014-12-26",
    "2015-01-01",
    "2015-04-03",
    "2015-04-06",
    "2015-05-04",
    "2015-05-25",
    "2015-08-31",
    "2015-12-25",
    "2015-12-28",
    "2016-01-01",
    "2016-03-25",
    "2016-03-28",
    "2016-05-02",
    "2016-05-30",
    "2016-08-29",
    "2016-12-26",
    "2016-12-27",
    "2017-01-02",
    "2017-04-14",
    "2017-04-17",
    "2017-05-01",
    "2017-05-29",
    "2017-08-28",
    "2017-12-25",
    "2017-12-26",
    "2018-01-01",
    "2018-03-30",
    "2018-04-02",
    "2018-05-07",
    "2018-05-28",
    "2018-08-27",
    "2018-12-25",
    "2018-12-26",
    "2019-01-01",
    "2019-04-19",
    "2019-04-22",
    "2019-05-06",
    "2019-05-27",
    "2019-08-26",
    "2019-12-25",
    "2019-12-26",
    "2020-01-01",
    "2020-04-10",
    "2020-04-13",
    "2020-05-08",
    "2020-05-25",
    "2020-08-31",
    "2020-12-25",
    "2020-12-28",
    "2021-01-01",
    "2021-04-02",
    "2021-04-05",
    "2021-05-03",
    "2021-05-31",
    "2021-08-30",
    "2021-12-27",
    "2021-12-28",
    "2022-01-03",
    "2022-04-15",
    "2022-04-18",
    "2022-05-02",
    "2022-06-02",
    "2022-06-03",
    "2022-08-29",
    "2022-09-19",
    "2022-12-26",
    "2022-12-27",
    "2023-01-02",
    "2023-04-07",
    "2023-04-10",
    "2023-05-01",
    "2023-05-08",
    "2023-05-29",
    "2023-08-28",
    "2023-12-25",
    "2023-12-26",
    "2024-01-01",
    "2024-03-29",
    "2024-04-01",
    "2024-05-06",
    "2024-05-27",
    "2024-08-26",
    "2024-12-25",
    "2024-12-26",
    "2025-01-01",
    "2025-04-18",
    "2025-04-21",
    "2025-05-05",
    "2025-05-26",
    "2025-08-25",
    "2025-12-25",
    "2025-12-26",
    "2026-01-01",
    "2026-04-03",
    "2026-04-06",
    "2026-05-04",
    "2026-05-25",
    "2026-08-31",
    "2026-12-25",
    "2026-12-28",
    "2027-01-01",
    "2027-03-26",
    "2027-03-29",
    "2027-05-03",
    "2027-05-31",
    "2027-08-30",
    "2027-12-27",
    "2027-12-28",
)
BANK_HOLIDAY_YEARS = range(2014, 2028)


def is_working_day(day: dt.date, holidays: Iterable[dt.date] = BANK_HOLIDAYS_ENGLAND_WALES) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < 5 and day not in frozenset(holidays)


def add_working_days(
    start: dt.date, days: int, holidays: Iterable[dt.date] = BANK_HOLIDAYS_ENGLAND_WALES
) -> dt.date:
    """The working day that is ``days`` working days after ``start`` (``start`` not counted).

    Raises
    ------
    ValueError
        If the count runs past the years the bundled bank holiday table covers (a silent
        guess could set a statutory deadline on a bank holiday), or ``days`` is negative.

    Examples
    --------
    >>> add_working_days(dt.date(2024, 12, 20), 3)   # Friday; 25 and 26 December skipped
    datetime.date(2024, 12, 27)
    """
    if days < 0:
        raise ValueError(f"days must be zero or more, got {days}")
    hols = frozenset(holidays)
    default_table = hols == BANK_HOLIDAYS_ENGLAND_WALES
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if default_table and day.year not in BANK_HOLIDAY_YEARS:
            raise ValueError(
                f"no bank holidays are bundled for {day.year}: add that year's England and Wales "
                f"bank holidays to asbhub.domain.cases.BANK_HOLIDAYS_ENGLAND_WALES"
            )
        if is_working_day(day, hols):
            left -= 1
    return day


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, or that month's last day if shorter
    (31 August less six months is 28 or 29 February)."""
    index = month_index(month_of(day)) - months
    if index < dt.MINYEAR * 12:  # a stored year-1 date (see asbhub.domain.dates): no year 0
        return dt.date.min
    year, month = parse_month(month_at(index))
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------------------------
# ASB Case Review threshold
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Complaint:
    """One complaint about ASB linked to a Case Review application.

    Attributes
    ----------
    reference : str
        The incident or complaint reference, quoted in the reason.
    incident_on : date
        When the behaviour happened.
    reported_on : date
        When it was reported to the council, police or housing provider.
    complainant : str
        Who complained (any stable key: for the per-person rule).
    problem : str
        A key naming the problem, so complaints about different problems are not added up.
    hate : bool
        A hate incident or crime.
    """

    reference: str
    incident_on: dt.date
    reported_on: dt.date
    complainant: str = ""
    problem: str = ""
    hate: bool = False


@dataclass(frozen=True)
class ThresholdRule:
    """A local threshold for an ASB Case Review.

    The default is the common one: three complaints about the same problem in the six months
    before the application, each reported within one month of the incident. Variants: count
    people rather than complaints (``count_people=True, complaints=5``), or let a single hate
    incident meet it (``hate_incidents=1``).
    """

    complaints: int = 3
    window_months: int = 6
    report_within_days: int = 31
    count_people: bool = False
    hate_incidents: int | None = None

    def describe(self) -> str:
        what = "different people complaining" if self.count_people else "complaints"
        text = (
            f"{self.complaints} {what} about the same problem in {self.window_months} months, "
            f"each reported within {self.report_within_days} days of the incident"
        )
        if self.hate_incidents:
            text += f"; or {self.hate_incidents} hate incident(s)"
        return text


@dataclass(frozen=True)
class ThresholdResult:
    """Whether an application meets the threshold, and why.

    Attributes
    ----------
    met : bool
    reason : str
        A sentence naming the rule and the complaints that counted.
    counted : tuple of str
        References of the complaints that counted towards the threshold.
    excluded : tuple of (str, str)
        References left out, each with why.
    """

    met: bool
    reason: str
    counted: tuple[str, ...] = ()
    excluded: tuple[tuple[str, str], ...] = field(default=())


def check_threshold(
    complaints: Iterable[Complaint], received_on: dt.date, rule: ThresholdRule | None = None
) -> ThresholdResult:
    """Does an ASB Case Review application received on ``received_on`` meet ``rule``?

    A complaint qualifies if it was reported in the window (from ``window_months`` before the
    application up to the day it arrived, both days included) and within
    ``report_within_days`` of the incident. Qualifying complaints are grouped by problem; the
    threshold is met if one problem has enough complaints (or enough different complainants),
    or enough qualifying hate incidents when the rule allows that shortcut.

    Examples
    --------
    >>> c = [Complaint(f"C{i}", dt.date(2024, m, 1), dt.date(2024, m, 2), problem="noise")
    ...      for i, m in enumerate((3, 4, 5))]
    >>> check_threshold(c, dt.date(2024, 6, 1)).met
    True
    """
    rule = rule or ThresholdRule()
    start = months_before(received_on, rule.window_months)
    qualifying: list[Complaint] = []
    excluded: list[tuple[str, str]] = []
    for c in complaints:
        if c.reported_on < start or c.reported_on > received_on:
            excluded.append(
                (
                    c.reference,
                    f"reported on {c.reported_on:%d/%m/%Y}, outside the "
                    f"{rule.window_months} months from {start:%d/%m/%Y}",
                )
            )
        elif (c.reported_on - c.incident_on).days > rule.report_within_days:
            excluded.append(
                (
                    c.reference,
                    f"reported {(c.reported_on - c.incident_on).days} days "
                    f"after the incident, more than "
                    f"{rule.report_within_days}",
                )
            )
        else:
            qualifying.append(c)
    if rule.hate_incidents:
        hate = [c.reference for c in qualifying if c.hate]
        if len(hate) >= rule.hate_incidents:
            return ThresholdResult(
                True,
                f"Threshold met: {len(hate)} hate incident(s) ({', '.join(hate)}) "
                f"under the rule '{rule.describe()}'.",
                tuple(hate),
                tuple(excluded),
            )
    groups: dict[str, list[Complaint]] = defaultdict(list)
    for c in qualifying:
        groups[c.problem.strip().lower()].append(c)
    best_key, best_count = "", 0
    for key, group in sorted(groups.items()):
        count = len({c.complainant for c in group}) if rule.count_people else len(group)
        if count > best_count:
            best_key, best_count = key, count
    counted = tuple(c.reference for c in groups.get(best_key, []))
    unit = "different people" if rule.count_people else "qualifying complaints"
    about = f" about '{best_key}'" if best_key else ""
    if best_count >= rule.complaints:
        return ThresholdResult(
            True,
            f"Threshold met: {best_count} {unit}{about} ({', '.join(counted)}) under the "
            f"rule '{rule.describe()}'.",
            counted,
            tuple(excluded),
        )
    listed = f" ({', '.join(counted)})" if counted else ""
    return ThresholdResult(
        False,
        f"Threshold not met: {best_count} {unit}{about}{listed}; the rule "
        f"'{rule.describe()}' needs {rule.complaints}.",
        counted,
        tuple(excluded),
    )


# --------------------------------------------------------------------------------------------
# ASB Case Review threshold flags: who meets the threshold, from the store's people
# --------------------------------------------------------------------------------------------

#: Records that are complaints about ASB, and the people whose complaints they are.
COMPLAINT_RECORD_TYPES = ("asb", "roc")
COMPLAINANT_ROLES = ("victim", "caller")


@dataclass(frozen=True)
class CaseReviewFlags:
    """People (and, under a rule that counts people, places) who meet their area's ASB Case
    Review threshold as of the briefing: for the tasking chair to act on before they apply.

    Attributes
    ----------
    rows : polars.DataFrame
        ``kind`` (``person`` or ``place``), ``name`` (the person's latest recorded name, or
        the names of the people complaining about the place, joined), ``location``, ``lpu``,
        ``rule`` (in words), ``n_qualifying``, ``references`` and ``complaints`` (each
        qualifying complaint with its incident and report dates), ``reason`` (the threshold
        check's sentence), ``new`` (not met at the previous briefing), ``person_key``,
        ``person_row_ids``, ``withheld`` (null, or why the names are withheld),
        ``incident_ids`` (the qualifying complaints' incidents), ``case_review`` (the
        reference of a Case Review holding one of them, from :meth:`with_reviews`, or null).
    as_of, before : datetime.date
        The day the threshold is checked for (the day before the briefing), and the day the
        previous briefing checked it for.
    rules : dict
        Area (``""`` for the default) -> the rule in words.
    n_people, n_places : int
        Complainants and places whose complaints were checked.
    """

    rows: pl.DataFrame
    as_of: dt.date
    before: dt.date
    rules: dict[str, str]
    n_people: int
    n_places: int

    @property
    def n_new(self) -> int:
        return int(self.rows["new"].sum()) if self.rows.height else 0

    def to_act_on(self) -> pl.DataFrame:
        """The flags a tasking meeting acts on (issue #12): newly met since the last
        briefing, or met before and not yet in a Case Review; new first, then by qualifying
        complaints."""
        import polars as pl

        return self.rows.filter(pl.col("new") | pl.col("case_review").is_null()).sort(
            ["new", "n_qualifying"], descending=[True, True]
        )

    @property
    def n_in_review(self) -> int:
        """Met before and already in a Case Review: collapsed to a count on the briefing."""
        return int(self.rows.height - self.to_act_on().height)

    def with_reviews(self, reviewed: Mapping[int, str]) -> CaseReviewFlags:
        """The flags with ``case_review``: the reference of a Case Review holding any of the
        flag's qualifying complaints (``reviewed``: incident id -> reference), else null."""
        import dataclasses

        import polars as pl

        refs = [
            next((reviewed[i] for i in ids or [] if i in reviewed), None)
            for ids in self.rows["incident_ids"].to_list()
        ]
        return dataclasses.replace(
            self, rows=self.rows.with_columns(pl.Series("case_review", refs, dtype=pl.String))
        )


def _flag_schema() -> dict[str, Any]:
    import polars as pl

    return {
        "kind": pl.String,
        "name": pl.String,
        "location": pl.String,
        "lpu": pl.String,
        "rule": pl.String,
        "n_qualifying": pl.Int64,
        "references": pl.List(pl.String),
        "complaints": pl.List(pl.String),
        "reason": pl.String,
        "new": pl.Boolean,
        "person_key": pl.String,
        "person_row_ids": pl.List(pl.Int64),
        "withheld": pl.String,
        "incident_ids": pl.List(pl.Int64),
        "case_review": pl.String,
    }


def _rule_lookup(
    rules: Mapping[str, ThresholdRule] | None,
) -> Callable[[str | None], ThresholdRule]:
    table = dict(rules or {})

    def rule_for(area: str | None) -> ThresholdRule:
        return table.get(area or "") or table.get("") or ThresholdRule()

    return rule_for


def case_review_flags(
    people: pl.DataFrame,
    as_of: dt.date,
    before: dt.date,
    rules: Mapping[str, ThresholdRule] | None = None,
) -> CaseReviewFlags:
    """Who meets the ASB Case Review threshold of their area on ``as_of``.

    Each complaint is an ASB incident or record of contact in which the person is the victim
    or the caller (once per incident): behaviour on the incident's start date, reported on its
    report date. The area is the LPU of the person's latest complaint, and its rule is
    ``rules[lpu]``, else ``rules[""]``, else the default (three complaints in six months, each
    reported within 31 days). The threshold itself is
    :func:`asbhub.domain.cases.check_threshold`, as if they applied on ``as_of``; a rule that
    counts different people (``count_people``) is checked per place, with the people
    complaining about it. Two limits of incident data, said on the page: all of a person's
    complaints are taken as one problem, and there is no hate-incident marker, so the
    hate-incident shortcut of a rule cannot be applied.

    Parameters
    ----------
    people : polars.DataFrame
        One row per person per incident with ``person_key`` (the briefing's person identity,
        the linkage hook), ``person_row_id``, ``incident_id``, ``reference``, ``role``,
        ``record_type``, ``name``, ``lpu``, ``location_id``, ``location_text``,
        ``occurred_from`` and ``reported_at`` (UTC-aware).
    as_of, before : datetime.date
    rules : mapping of str to ThresholdRule, optional

    Returns
    -------
    CaseReviewFlags
    """
    import polars as pl

    rule_for = _rule_lookup(rules)
    local = LOCAL_TIME_ZONE
    c = people.filter(
        pl.col("role").is_in(COMPLAINANT_ROLES)
        & pl.col("record_type").is_in(COMPLAINT_RECORD_TYPES)
        & pl.col("person_key").is_not_null()
    )
    c = c.with_columns(
        pl.coalesce("occurred_from", "reported_at")
        .dt.convert_time_zone(local)
        .dt.date()
        .alias("incident_on"),
        pl.coalesce("reported_at", "occurred_from")
        .dt.convert_time_zone(local)
        .dt.date()
        .alias("reported_on"),
    ).filter(pl.col("reported_on") <= as_of)
    c = c.sort("reported_on", "incident_id", "person_row_id").unique(
        ["person_key", "incident_id"], keep="first", maintain_order=True
    )
    rows: list[dict[str, Any]] = []
    by_person: dict[str, list[dict[str, Any]]] = {}
    for r in c.iter_rows(named=True):
        by_person.setdefault(r["person_key"], []).append(r)
    for key, group in by_person.items():
        latest = group[-1]
        rule = rule_for(latest["lpu"])
        if rule.count_people or len(group) < min(rule.complaints, rule.hate_incidents or 10**9):
            continue
        flag = _check(group, rule, as_of, before, lambda r: r["person_key"])
        if flag:
            rows.append(
                {
                    **flag,
                    "kind": "person",
                    "name": latest["name"],
                    "location": latest["location_text"],
                    "lpu": latest["lpu"],
                    "person_key": key,
                }
            )
    places: dict[int, list[dict[str, Any]]] = {}
    for r in c.iter_rows(named=True):
        if r["location_id"] is not None and rule_for(r["lpu"]).count_people:
            places.setdefault(r["location_id"], []).append(r)
    for group in places.values():
        latest = group[-1]
        rule = rule_for(latest["lpu"])
        if len({r["person_key"] for r in group}) < rule.complaints:
            continue
        flag = _check(group, rule, as_of, before, lambda r: r["person_key"])
        if flag:
            names = sorted({r["name"] for r in group if r["name"]})
            rows.append(
                {
                    **flag,
                    "kind": "place",
                    "name": "; ".join(names),
                    "location": latest["location_text"],
                    "lpu": latest["lpu"],
                    "person_key": None,
                }
            )
    frame = pl.DataFrame(
        [{**r, "withheld": None, "case_review": None} for r in rows], schema=_flag_schema()
    )
    frame = frame.sort(["new", "n_qualifying"], descending=[True, True])
    described = {area: rule.describe() for area, rule in sorted((rules or {}).items())}
    described.setdefault("", rule_for("").describe())
    return CaseReviewFlags(
        rows=frame,
        as_of=as_of,
        before=before,
        rules=described,
        n_people=len(by_person),
        n_places=len(places),
    )


def _check(
    group: list[dict[str, Any]],
    rule: ThresholdRule,
    as_of: dt.date,
    before: dt.date,
    complainant: Callable[[dict[str, Any]], str],
) -> dict[str, Any] | None:
    complaints = [
        Complaint(
            r["reference"] or f"incident {r['incident_id']}",
            r["incident_on"],
            r["reported_on"],
            complainant=complainant(r),
        )
        for r in group
    ]
    result = check_threshold(complaints, as_of, rule)
    if not result.met:
        return None
    earlier = check_threshold([x for x in complaints if x.reported_on <= before], before, rule)
    counted = set(result.counted)
    used = [r for r, x in zip(group, complaints, strict=True) if x.reference in counted]
    return {
        "rule": rule.describe(),
        "n_qualifying": len(used),
        "references": [x.reference for x in complaints if x.reference in counted],
        "complaints": [
            f"{r['reference'] or r['incident_id']}: {r['record_type'].upper()} on "
            f"{r['incident_on']:%d/%m/%Y}, reported {r['reported_on']:%d/%m/%Y}"
            for r in used
        ],
        "reason": result.reason,
        "new": not earlier.met,
        "person_row_ids": sorted({r["person_row_id"] for r in group}),
        "incident_ids": sorted({r["incident_id"] for r in used}),
    }
