"""The names of the tables the store's SQL reads and writes: one constant per table.

The Django models in :mod:`asbhub.records` own these tables; the store may not import them
(the layering in ``docs/architecture.md``), so their names are written once here and
``tests/store/test_sql_owner.py`` checks each against its model's ``Model._meta.db_table``
(:data:`MODELS`). Every SQL statement under :mod:`asbhub.store` takes its table names from
this module, never from a literal.
"""

from __future__ import annotations

__all__ = [
    "AUDIT_ENTRY",
    "CALL",
    "CALL_SOURCE",
    "CASE_REVIEW",
    "CASE_REVIEW_COMPLAINT",
    "INCIDENT",
    "LOCATION",
    "MODELS",
    "PERSON",
    "PMP",
    "SOURCE",
    "THRESHOLD_RULE",
]

INCIDENT = "incidents_incident"
SOURCE = "incidents_source"
LOCATION = "incidents_location"
PERSON = "incidents_person"
CALL = "contact_call"
CALL_SOURCE = "contact_callsource"
PMP = "cases_pmp"
CASE_REVIEW = "cases_casereview"
CASE_REVIEW_COMPLAINT = "cases_casereviewcomplaint"
THRESHOLD_RULE = "cases_thresholdrule"
AUDIT_ENTRY = "partners_auditentry"

#: Django model (``app_label.ModelName``) -> the table name above that its rows live in.
MODELS: dict[str, str] = {
    "incidents.Incident": INCIDENT,
    "incidents.Source": SOURCE,
    "incidents.Location": LOCATION,
    "incidents.Person": PERSON,
    "contact.Call": CALL,
    "contact.CallSource": CALL_SOURCE,
    "cases.Pmp": PMP,
    "cases.CaseReview": CASE_REVIEW,
    "cases.CaseReviewComplaint": CASE_REVIEW_COMPLAINT,
    "cases.ThresholdRule": THRESHOLD_RULE,
    "partners.AuditEntry": AUDIT_ENTRY,
}
