"""Risk services: recording, reviewing, versioning, who sees what, the briefing's lists and
the calibration table against a brute-force count on the store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.risk.support import HIGH, MEDIUM, answers, at

setup_django()

from asbhub.domain.risk import Band  # noqa: E402
from asbhub.records.incidents.models import Person  # noqa: E402
from asbhub.records.risk import services  # noqa: E402
from asbhub.records.risk.models import (  # noqa: E402
    QuestionnaireVersion,
    RiskAssessment,
    VersionInUseError,
)

D = dt.date


def test_record_assessment_scores_bands_and_sets_the_review(
    victim: Any, police: Any, version: Any
) -> None:
    a = services.record_assessment(
        person=victim,
        answers=answers(**HIGH),
        agency=police,
        assessed_at=at(D(2024, 5, 10)),
        thrive={"threat": "high", "harm": "medium", "threat_note": "Threats made at the door"},
    )
    a.refresh_from_db()
    assert (a.score, a.band, a.current_band) == (29, "high", "high")
    assert a.next_review_due == D(2024, 5, 24)
    assert a.version_number == 1 and a.questionnaire_id == version.pk
    assert a.incident_id == victim.incident_id and a.owner_agency == police
    assert (a.thrive_threat, a.thrive_harm, a.thrive_risk) == ("high", "medium", "")
    assert a.thrive_threat_note == "Threats made at the door"
    medium = services.record_assessment(
        person=victim, answers=answers(**MEDIUM), agency=police, assessed_at=at(D(2024, 5, 10))
    )
    assert (medium.score, medium.band, medium.next_review_due) == (20, "medium", D(2024, 6, 7))
    standard = services.record_assessment(
        person=victim, answers=answers(), agency=police, assessed_at=at(D(2024, 5, 10))
    )
    assert (standard.score, standard.band, standard.next_review_due) == (0, "standard", None)


def test_only_victims_with_complete_answers_are_assessed(
    incident: Any, police: Any, version: Any
) -> None:
    suspect = incident.people.get(role="suspect")
    with pytest.raises(services.RiskError, match="recorded as 'suspect', not as a victim"):
        services.record_assessment(person=suspect, answers=answers(), agency=police)
    victim = incident.people.get(role="victim")
    partial = answers()
    del partial["health"]
    with pytest.raises(services.RiskError, match="question 'health' is not answered"):
        services.record_assessment(person=victim, answers=partial, agency=police)
    with pytest.raises(services.RiskError, match="unknown grade 'severe'"):
        services.record_assessment(
            person=victim, answers=answers(), agency=police, thrive={"risk": "severe"}
        )
    assert not RiskAssessment.objects.exists()


def test_review_changes_band_and_next_date_and_can_close(
    victim: Any, police: Any, version: Any
) -> None:
    a = services.record_assessment(
        person=victim, answers=answers(**HIGH), agency=police, assessed_at=at(D(2024, 5, 10))
    )
    r = services.record_review(
        a, answers=answers(**MEDIUM), agency=police, reviewed_at=at(D(2024, 5, 23)), notes="Calmer"
    )
    a.refresh_from_db()
    assert (r.previous_band, r.band, r.score) == ("high", "medium", 20)
    assert r.next_review_due == a.next_review_due == D(2024, 6, 20)
    assert (a.band, a.score, a.current_band) == ("high", 29, "medium")  # as assessed, kept
    services.record_review(
        a, answers=answers(), agency=police, reviewed_at=at(D(2024, 6, 20)), close=True
    )
    a.refresh_from_db()
    assert a.current_band == "standard" and a.next_review_due is None
    assert a.closed_at == at(D(2024, 6, 20))
    with pytest.raises(services.RiskError, match="was closed on 20 June 2024"):
        services.record_review(a, answers=answers(), agency=police)


def test_a_used_version_never_changes_and_an_edit_makes_a_new_one(
    victim: Any, police: Any, version: Any
) -> None:
    a = services.record_assessment(person=victim, answers=answers(**MEDIUM), agency=police)
    original = dict(version.definition)
    edited = version.questionnaire().edited({("targeted", "yes"): 10}, high=22)
    new, created = services.revise_version(version, edited, by="supervisor", note="Hate up")
    assert created and new.number == 2 and new.based_on == version and not new.published
    version.refresh_from_db()
    assert version.definition == original
    version.definition = new.definition
    with pytest.raises(VersionInUseError, match="create a new version"):
        version.save()
    services.publish_version(new)
    assert services.current_version().number == 2
    b = services.record_assessment(person=victim, answers=answers(**MEDIUM), agency=police)
    a.refresh_from_db()
    assert (a.version_number, a.score, a.band) == (1, 20, "medium")  # old one keeps its own
    assert (b.version_number, b.score, b.band) == (2, 24, "high")  # 10+6+4+4 >= 22
    # A review of the old assessment is scored with its own version 1.
    r = services.record_review(a, answers=answers(**MEDIUM), agency=police)
    assert (r.questionnaire.number, r.score) == (1, 20)


def test_an_unused_draft_is_edited_in_place(version: Any) -> None:
    draft, created = services.revise_version(version, version.questionnaire().edited(high=30))
    assert created
    again, created_again = services.revise_version(draft, draft.questionnaire().edited(high=31))
    assert not created_again and again.pk == draft.pk
    draft.refresh_from_db()
    assert draft.definition["thresholds"]["high"] == 31
    assert QuestionnaireVersion.objects.count() == 2


def test_partner_sees_assessments_only_under_an_agreement_covering_risk(
    victim: Any, police: Any, version: Any, make_agency: Any, make_user: Any, make_agreement: Any
) -> None:
    a = services.record_assessment(person=victim, answers=answers(), agency=police)
    council = make_agency("Synthetic Borough Council")
    officer = make_user("council.officer", council)
    cop = make_user("police.analyst", police, role="analyst")
    viewer = make_user(
        "pcc.viewer", make_agency("Synthetic PCC", kind="commissioner"), role="commissioner_viewer"
    )
    assert list(services.visible_assessments(cop)) == [a]
    assert list(services.visible_assessments(officer)) == []
    today = D.today()
    make_agreement(
        "ISA-SUM",
        [police, council],
        ["incident_summary", "victim_personal"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    assert list(services.visible_assessments(officer)) == []  # risk not covered
    make_agreement(
        "ISA-RISK",
        [police, council],
        ["risk_assessment"],
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=30),
    )
    assert list(services.visible_assessments(officer)) == [a]
    assert list(services.visible_assessments(viewer)) == []  # role has no risk


def test_due_reviews_lists_overdue_and_due_by_date_and_lpu(
    make_victim: Any, police: Any, version: Any
) -> None:
    today = D(2024, 7, 1)
    made = {}
    for name, assessed, lpu, ans in [
        ("Olive Overdue", D(2024, 6, 1), "North", HIGH),  # due 15 June: overdue by 16
        ("Toby Today", D(2024, 6, 17), "South", HIGH),  # due 1 July: due today
        ("Sam Soon", D(2024, 6, 10), "North", MEDIUM),  # due 8 July: upcoming
        ("Stan Standard", D(2024, 5, 1), "North", {}),  # standard: never due
    ]:
        person = make_victim(name, assessed - dt.timedelta(days=1), lpu=lpu)
        made[name] = services.record_assessment(
            person=person, answers=answers(**ans), agency=police, assessed_at=at(assessed)
        )
    rows = services.due_reviews(today)
    assert [(r.victim_name, r.status, r.days_overdue, r.lpu) for r in rows] == [
        ("Olive Overdue", "overdue", 16, "North"),
        ("Toby Today", "due", 0, "South"),
    ]
    assert rows[0].next_review_due == D(2024, 6, 15) and rows[0].band == "high"
    assert [r.victim_name for r in services.due_reviews(today, within_days=7)] == [
        "Olive Overdue",
        "Toby Today",
        "Sam Soon",
    ]
    assert [r.victim_name for r in services.due_reviews(today, lpu="South")] == ["Toby Today"]
    assert services.due_reviews(today, owner_agency_ids=[]) == []
    # Reviewing Olive moves her next review 14 days on from the review: off the list.
    services.record_review(
        made["Olive Overdue"],
        answers=answers(**HIGH),
        agency=police,
        reviewed_at=at(D(2024, 6, 30)),
    )
    assert [r.victim_name for r in services.due_reviews(today)] == ["Toby Today"]


def test_high_risk_victims_since_a_date(make_victim: Any, police: Any, version: Any) -> None:
    early = services.record_assessment(
        person=make_victim("Early High", D(2024, 5, 1)),
        answers=answers(**HIGH),
        agency=police,
        assessed_at=at(D(2024, 5, 2)),
    )
    raised = services.record_assessment(
        person=make_victim("Raised Later", D(2024, 5, 1)),
        answers=answers(**MEDIUM),
        agency=police,
        assessed_at=at(D(2024, 5, 2)),
    )
    services.record_review(
        raised, answers=answers(**HIGH), agency=police, reviewed_at=at(D(2024, 5, 29))
    )
    new = services.record_assessment(
        person=make_victim("New High", D(2024, 6, 1)),
        answers=answers(**HIGH),
        agency=police,
        assessed_at=at(D(2024, 6, 2)),
    )
    dropped = services.record_assessment(
        person=make_victim("Dropped", D(2024, 6, 1)),
        answers=answers(**HIGH),
        agency=police,
        assessed_at=at(D(2024, 6, 2)),
    )
    services.record_review(dropped, answers=answers(), agency=police, reviewed_at=at(D(2024, 6, 3)))
    got = services.high_risk_victims(D(2024, 5, 20))
    assert [(v.victim_name, v.via, v.high_since) for v in got] == [
        ("New High", "assessment", at(D(2024, 6, 2))),
        ("Raised Later", "review", at(D(2024, 5, 29))),
    ]
    assert got[0].assessment_id == new.pk
    everyone = services.high_risk_victims(D(2024, 5, 20), include_earlier=True)
    assert {v.assessment_id for v in everyone} == {early.pk, raised.pk, new.pk}


def test_calibration_on_the_store_counts_hand_worked_repeats(
    make_victim: Any, police: Any, version: Any
) -> None:
    dob = D(1980, 3, 4)
    # Ann Apple: assessed high on 2 Jan 2024, victim again on 20 Feb (day 49): a repeat.
    # Bob Brown: assessed medium on 2 Jan, again on 15 Apr (day 104): not within 90 days.
    # Cat Cole: standard on 2 Jan; she only calls about a crime (a caller of a crime does not
    #   count) on 10 Jan, then is an ASB caller on 1 Mar (counts): a repeat.
    # Dee Dunn: high on 2 Jan; her other incident is a record of contact: not a repeat.
    # Eve Ember: high, assessed 1 Dec 2024: too recent (the data end on 31 Dec 2024).
    # Fay Ford: standard on 2 Jan; she only calls about a crime on 10 Jan: not a repeat.
    # Bob's namesake with another date of birth, victim on 1 Feb, is someone else.
    plan = [
        (
            "Ann Apple",
            [(D(2024, 1, 1), "asb", "victim"), (D(2024, 2, 20), "crime", "victim")],
            HIGH,
        ),
        (
            "Bob Brown",
            [(D(2024, 1, 1), "asb", "victim"), (D(2024, 4, 15), "asb", "victim")],
            MEDIUM,
        ),
        (
            "Cat Cole",
            [
                (D(2024, 1, 1), "asb", "victim"),
                (D(2024, 1, 10), "crime", "caller"),
                (D(2024, 3, 1), "asb", "caller"),
            ],
            {},
        ),
        ("Fay Ford", [(D(2024, 1, 1), "asb", "victim"), (D(2024, 1, 10), "crime", "caller")], {}),
        ("Dee Dunn", [(D(2024, 1, 1), "asb", "victim"), (D(2024, 1, 20), "roc", "victim")], HIGH),
        (
            "Eve Ember",
            [(D(2024, 11, 30), "asb", "victim"), (D(2024, 12, 31), "asb", "victim")],
            HIGH,
        ),
    ]
    for name, incidents, ans in plan:
        first = None
        for day, rtype, role in incidents:
            person = make_victim(name, day, dob=dob, record_type=rtype, role=role)
            first = first or person
        services.record_assessment(
            person=first,
            answers=answers(**ans),
            agency=police,
            assessed_at=at(incidents[0][0] + dt.timedelta(days=1)),
        )
    make_victim("Bob Brown", D(2024, 2, 1), dob=D(1990, 1, 1))
    table = services.calibration()
    assert table.end == D(2024, 12, 31) and table.n_too_recent == 1
    got = {r.band: (r.n_assessed, r.n_repeat) for r in table.rows}
    assert got == {Band.HIGH: (2, 1), Band.MEDIUM: (1, 0), Band.STANDARD: (2, 1)}
    # Linkage clusters instead of the interim key: rows not in the mapping are people alone,
    # so with an empty mapping no one has a repeat; clustering Ann's two rows finds hers.
    alone = services.calibration(person_key={})
    assert sum(r.n_repeat for r in alone.rows) == 0 and alone.n_assessed == 5
    ann = list(
        Person.objects.filter(name="Ann Apple", date_of_birth=dob).values_list("pk", flat=True)
    )
    linked = services.calibration(person_key=dict.fromkeys(ann, "cluster-ann"))
    assert {r.band: (r.n_assessed, r.n_repeat) for r in linked.rows} == {
        Band.HIGH: (2, 1),
        Band.MEDIUM: (1, 0),
        Band.STANDARD: (2, 0),
    }
    # Restricted to an agency with no assessments: nothing counted.
    assert services.calibration(owner_agency_ids=[]).n_assessed == 0


def test_victim_history_joins_the_same_person_across_incidents(
    make_victim: Any, police: Any, version: Any, make_user: Any, make_agency: Any
) -> None:
    dob = D(1966, 7, 7)
    first = make_victim("Ivy Irons", D(2024, 1, 1), dob=dob)
    second = make_victim("IVY IRONS", D(2024, 3, 1), dob=dob)  # same key, other incident
    other = make_victim("Ivy Irons", D(2024, 3, 1), dob=D(1999, 9, 9))
    made = [
        services.record_assessment(person=p, answers=answers(), agency=police, assessed_at=at(day))
        for p, day in ((first, D(2024, 1, 2)), (second, D(2024, 3, 2)), (other, D(2024, 3, 3)))
    ]
    cop = make_user("police.analyst", police, role="analyst")
    assert services.victim_history(cop, first) == [made[1], made[0]]  # newest first
    assert services.victim_history(cop, other) == [made[2]]
    outsider = make_user("council.officer", make_agency("Synthetic Council"))
    assert services.victim_history(outsider, first) == []


def test_unassessed_victims_recent_visible_and_high_thrive_first(
    make_victim: Any, police: Any, version: Any, make_user: Any, make_agency: Any
) -> None:
    today = D.today()
    recent = make_victim("Rae Recent", today - dt.timedelta(days=3))
    urgent = make_victim("Una Urgent", today - dt.timedelta(days=10), lpu="South")
    urgent.incident.thrive_vulnerability = "high"
    urgent.incident.save()
    make_victim("Olly Old", today - dt.timedelta(days=60))
    make_victim("Sue Suspect", today - dt.timedelta(days=2), role="suspect")
    done = make_victim("Dan Done", today - dt.timedelta(days=1))
    services.record_assessment(person=done, answers=answers(), agency=police)
    cop = make_user("police.analyst", police, role="analyst")
    got = services.unassessed_victims(cop, today - dt.timedelta(days=28))
    assert [p.pk for p in got] == [urgent.pk, recent.pk]
    assert services.unassessed_victims(cop, today - dt.timedelta(days=28), limit=1) == [recent]
    since = today - dt.timedelta(days=28)
    assert services.unassessed_victims(cop, since, lpu="South") == [urgent]
    assert services.unassessed_victims(cop, since, lpu="North") == [recent]
    assert services.unassessed_victims(cop, since, lpu="Unknown") == []
    outsider = make_user("council.officer", make_agency("Synthetic Council"))
    assert services.unassessed_victims(outsider, today - dt.timedelta(days=28)) == []
