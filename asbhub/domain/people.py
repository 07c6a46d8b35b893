"""Who is who, until person linkage has run: the interim person key.

No Django, no database. The daily briefing (:mod:`asbhub.reports.briefing`), the risk records
(:mod:`asbhub.records.risk.services`) and the demonstration data all know a person by this key
when there is no linkage result, so they agree on who is the same person.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

__all__ = ["INTERIM_PERSON_KEY", "interim_person_key", "normalise_surname"]

INTERIM_PERSON_KEY = "interim: surname + date of birth, else surname + postcode"
"""The name the briefing gives the person key it uses until linkage lands."""


def normalise_surname(text: str | None) -> str:
    """Lower case letters only, accents dropped: ``"O'Brien"`` -> ``"obrien"``.

    >>> normalise_surname("Ó Briain-Smith")
    'obriainsmith'
    """
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def interim_person_key(
    name: str | None, date_of_birth: dt.date | str | None, postcode: str | None
) -> str | None:
    """The interim person key: ``surname|YYYY-MM-DD``, else ``surname|POSTCODE``, else None.

    The surname is the last word of the name, lower case, letters only (``O'Brien`` and
    ``OBRIEN`` agree); the postcode is upper case without spaces.

    Examples
    --------
    >>> interim_person_key("Alice  O'Brien", dt.date(1971, 5, 14), None)
    'obrien|1971-05-14'
    >>> interim_person_key("ALICE OBRIEN", None, "de22 9zz")
    'obrien|DE229ZZ'
    >>> interim_person_key("Alice", None, None) is None
    True
    """
    words = (name or "").split()
    surname = normalise_surname(words[-1]) if words else ""
    if not surname:
        return None
    if date_of_birth:
        dob = date_of_birth if isinstance(date_of_birth, str) else date_of_birth.isoformat()
        return f"{surname}|{dob}"
    pc = re.sub(r"\s+", "", (postcode or "").upper())
    return f"{surname}|{pc}" if pc else None
