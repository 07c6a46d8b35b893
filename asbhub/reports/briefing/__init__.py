"""The daily briefing for the LPU inspector and the tasking meeting: data -> HTML -> PDF.

:func:`build_briefing` assembles, for the morning of a date, what happened since the last
briefing (by default the previous working day, so Monday's covers Friday to Sunday): incidents
by Local Policing Unit, high risk at first contact, people who meet their area's ASB Case
Review threshold (flagged before they apply), repeat victims who are new or rising, repeat
locations, repeat perpetrators and victims' repeat addresses that are new or rising, emerging
hot spots, and Problem Management Plans due or overdue for review.
:func:`render_briefing_html` turns it into one self-contained HTML page marked
OFFICIAL-SENSITIVE, which :func:`briefing_pdf_bytes` prints with the marking on every page;
:func:`render_briefing_body` gives the sections alone, for the web app's page.

Dates
-----
An incident's date is the UK local date of its start (``occurred_from``), else of its report
(``reported_at``): the rule the store's ``month`` follows. A briefing for date *D* with
``since`` *S* covers incidents dated *S* to *D - 1* inclusive; the repeat windows and the Case
Review check end on *D - 1* and are compared with those ending on *S - 1* (the previous
briefing's view), which is what makes a row *new*.

Who is who
----------
Until person linkage lands, a person is known by the **interim person key**
(:func:`asbhub.domain.people.interim_person_key`): the normalised surname with the date of birth, or else with the
postcode. It splits a person whose surname is misspelt and joins two namesakes born the same
day; the briefing says it is interim. Linkage plugs in through ``person_key``: a mapping from
``incidents_person.id`` to a cluster id (any hashable), as a linkage run produces. Repeat
victims, repeat perpetrators and Case Review flags all use it.

Personal data: the repeat victim, repeat perpetrator and Case Review tables name people, and
the repeat address table gives victims' home addresses. The page is marked
OFFICIAL-SENSITIVE; :meth:`Briefing.redact` removes what a reader is not entitled to, given
the access policy's answers (the web app passes ``asbhub.records.partners.access``'s).

Modules
-------
- :mod:`~asbhub.reports.briefing.model`: :class:`Briefing`, its redaction, the local dates;
- :mod:`~asbhub.reports.briefing.flags`: what is new or rising (repeats named for the page,
  incidents by LPU, emerging hot spots);
- :mod:`~asbhub.reports.briefing.build`: :func:`build_briefing`;
- :mod:`~asbhub.reports.briefing.render`: sections cut for the meeting, the summary, the
  HTML and the PDF;
- the queries are :mod:`asbhub.reports.briefing_data`.
"""

from asbhub.domain.cases import CaseReviewFlags, case_review_flags
from asbhub.domain.people import INTERIM_PERSON_KEY, interim_person_key
from asbhub.reports.briefing.build import build_briefing, domain_rules, previous_working_day
from asbhub.reports.briefing.model import DEFAULT_LIMIT, LOCAL, RECORD_TYPES, Briefing
from asbhub.reports.briefing.render import (
    SECTIONS,
    Cut,
    area_name,
    area_svg,
    briefing_pdf_bytes,
    briefing_sections,
    briefing_summary,
    cut,
    render_briefing_body,
    render_briefing_html,
    write_briefing,
)

__all__ = [
    "DEFAULT_LIMIT",
    "INTERIM_PERSON_KEY",
    "LOCAL",
    "RECORD_TYPES",
    "SECTIONS",
    "Briefing",
    "CaseReviewFlags",
    "Cut",
    "area_name",
    "area_svg",
    "briefing_pdf_bytes",
    "briefing_sections",
    "briefing_summary",
    "build_briefing",
    "case_review_flags",
    "cut",
    "domain_rules",
    "interim_person_key",
    "previous_working_day",
    "render_briefing_body",
    "render_briefing_html",
    "write_briefing",
]
