"""What a plan's page withholds from its reader, said once (issue #12, the council officer's
first five minutes).

A partner without a live agreement used to read the same "Withheld: ..." paragraph under the
victim, under the offender and under every linked person. :func:`withheld_note` gathers the
withheld parts of a :class:`~asbhub.records.cases.services.PmpView` into one note: each
distinct reason once, naming the parts it withholds; the parts themselves then carry a short
"Withheld" tag that links to the note. Reasons that differ only in the category they name
("Victims' personal details ... ended on 7 November 2026", "Perpetrators' personal details ...
ended on 7 November 2026") are one sentence naming both categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asbhub.records.cases.models import PmpPersonRole
from asbhub.records.partners.models import DataCategory

#: Stands for the category's name while reasons are compared.
_SLOT = "\x00"


@dataclass(frozen=True)
class WithheldLine:
    """One reason, said once, and the parts of the page it withholds."""

    parts: list[str]
    reason: str

    @property
    def parts_text(self) -> str:
        """'The victim section, the offender section and 2 linked people'."""
        text = _join(self.parts)
        return text[:1].upper() + text[1:]

    @property
    def why(self) -> str:
        """The reason without its leading 'Withheld: ' (the note's heading says that)."""
        return self.reason.removeprefix("Withheld: ")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _template(reason: str, label: str) -> str:
    """``reason`` with the category's name (either case of its first letter) as a slot."""
    capital = label[:1].upper() + label[1:]
    return reason.replace(capital, _SLOT + "^").replace(label, _SLOT)


def _fill(template: str, labels: list[str]) -> str:
    names = _join(labels)
    return template.replace(_SLOT + "^", names[:1].upper() + names[1:]).replace(_SLOT, names)


def withheld_note(view: Any) -> list[WithheldLine]:
    """The withheld parts of a plan's page, grouped by reason; empty when nothing is withheld.

    Parameters
    ----------
    view : PmpView
        From :func:`asbhub.records.cases.services.pmp_view`.
    """
    found: list[tuple[str, str, str]] = []  # (part, category label, reason)
    victim, perpetrator = (
        DataCategory.VICTIM_PERSONAL.label,
        DataCategory.PERPETRATOR_PERSONAL.label,
    )
    if not view.victim_decision.allowed:
        found.append(("the victim section", victim, view.victim_decision.reason))
    if not view.offender_decision.allowed:
        found.append(("the offender section", perpetrator, view.offender_decision.reason))
    people: dict[tuple[str, str], int] = {}
    for role, person in view.people:
        if not person.shown:
            label = victim if role == PmpPersonRole.VICTIM.label else perpetrator
            key = (label, person.withheld_reason)
            people[key] = people.get(key, 0) + 1
    for (label, reason), n in people.items():
        who = "victim" if label == victim else "perpetrator"
        found.append((f"{n} linked {who}{'s' if n != 1 else ''}", label, reason))
    summary = DataCategory.INCIDENT_SUMMARY.label
    by_reason: dict[str, int] = {}
    for inc in view.incidents:
        if not inc.shown:
            by_reason[inc.reason] = by_reason.get(inc.reason, 0) + 1
    for reason, n in by_reason.items():
        found.append((f"{n} linked incident{'s' if n != 1 else ''}", summary, reason))
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for part, label, reason in found:
        parts, labels = groups.setdefault(_template(reason, label), ([], []))
        parts.append(part)
        if label not in labels:
            labels.append(label)
    return [
        WithheldLine(parts=parts, reason=_fill(template, labels))
        for template, (parts, labels) in groups.items()
    ]


def shared_by(view: Any) -> str:
    """How the reader sees the plan's personal parts, when an agreement shares them: the
    first allowed decision's reason ("Shared by ... under DEMO-ISA-001 ..."); blank for the
    owner's own staff and when nothing personal is shared."""
    for decision in (view.victim_decision, view.offender_decision):
        if decision.allowed and getattr(decision, "agreement", None):
            return str(decision.reason)
    return ""
