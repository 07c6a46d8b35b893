"""Vocabularies of UK policing as the seeds use them. No I/O.

Sources: data.police.uk crime types; the National Standard for Incident Recording (NSIR) ASB
categories and Derbyshire's closure codes (seed 003, section 5.1); THRIVE (seed 003, 11.2).
"""

from __future__ import annotations

from enum import StrEnum

ASB_CRIME_TYPE = "Anti-social behaviour"

#: data.police.uk street-level crime types (since May 2017), in the site's order.
POLICE_UK_CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)


class RecordType(StrEnum):
    """What a stored record is: a crime, an ASB incident, or a record of contact (ROC).

    A ROC is a call about ASB that needs no police response (seed 003, 5.11).
    """

    CRIME = "crime"
    ASB = "asb"
    ROC = "roc"


class AsbCategory(StrEnum):
    """NSIR ASB categories, stored as their first letter."""

    PERSONAL = "P"
    NUISANCE = "N"
    ENVIRONMENTAL = "E"

    @property
    def label(self) -> str:
        return {"P": "Personal", "N": "Nuisance", "E": "Environmental"}[self.value]


#: Derbyshire's closure codes for ASB incidents and ROCs (seed 003, 5.1).
CLOSURE_CODES: dict[str, AsbCategory] = {
    "ASP": AsbCategory.PERSONAL,
    "ASN": AsbCategory.NUISANCE,
    "ASE": AsbCategory.ENVIRONMENTAL,
}


def asb_category(value: str) -> AsbCategory:
    """Parse an ASB category from its name, letter or closure code.

    >>> asb_category("Nuisance"), asb_category("ase")
    (<AsbCategory.NUISANCE: 'N'>, <AsbCategory.ENVIRONMENTAL: 'E'>)
    """
    v = value.strip()
    key = v.upper()
    if key in CLOSURE_CODES:
        return CLOSURE_CODES[key]
    for c in AsbCategory:
        if key in (c.value, c.label.upper()):
            return c
    raise ValueError(
        f"{value!r} is not an ASB category; expected Personal, Nuisance or Environmental "
        f"(or P, N, E, or a closure code {', '.join(CLOSURE_CODES)})"
    )


class PersonRole(StrEnum):
    """The part a person plays in an incident."""

    CALLER = "caller"
    VICTIM = "victim"
    WITNESS = "witness"
    SUSPECT = "suspect"


#: THRIVE at first contact: each element graded by the call handler.
THRIVE_ELEMENTS: tuple[str, ...] = (
    "threat",
    "harm",
    "risk",
    "investigation",
    "vulnerability",
    "engagement",
)

#: The grades a THRIVE element may take.
THRIVE_GRADES: tuple[str, ...] = ("low", "medium", "high")

#: The contact channels a call log may hold: the 999 emergency line, the 101 main queue
#: (the control room's "CW 101"), the 101 triage service, and online contact (live chat).
CALL_CHANNELS: tuple[str, ...] = ("999", "101", "triage", "online")
