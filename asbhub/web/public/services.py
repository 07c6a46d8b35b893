"""What the public pages do: store a resident's report, and count ASB for an area.

The views stay thin (parse, call, render); everything that touches the store is here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest
from django.utils import timezone

from asbhub.domain.dates import check_event_day, is_month, month_of, month_range_allowed
from asbhub.domain.months import last_months
from asbhub.domain.vocab import ASB_CRIME_TYPE, AsbCategory, PersonRole, RecordType
from asbhub.geo import to_bng
from asbhub.records.incidents.models import Incident, Location, Person, Source
from asbhub.records.incidents.selectors import area_hierarchy, month_label
from asbhub.records.partners.access import record_access

DB_ALIAS = "default"
SOURCE_KIND = "public_report"
#: How many months of figures the area page shows, ending at the latest month loaded.
FIGURE_MONTHS = 12
AUDIT_PURPOSE = "A resident reported anti-social behaviour through the public website"


# -- reports ------------------------------------------------------------------------------


def _new_reference() -> str:
    # Random rather than sequential, so a reference reveals nothing about how many reports
    # there are and cannot be guessed to look up someone else's.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on the phone
    return "ASB-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _locate(lon: float | None, lat: float | None, text: str) -> Location | None:
    """A new Location for a report: its point on the British National Grid and its LSOA."""
    easting = northing = None
    lsoa_code: str | None = None
    outside = False
    if lon is not None and lat is not None:
        e, n = to_bng([lon], [lat])
        easting, northing = float(e[0]), float(n[0])
        lsoa_code = area_hierarchy().locate([easting], [northing])[0]
        outside = lsoa_code is None
    if easting is None and not text:
        return None
    lsoa_name = None
    if lsoa_code:
        names = area_hierarchy().lsoa.filter(lsoa_code=lsoa_code)["lsoa_name"].to_list()
        lsoa_name = names[0] if names else None
    # Each report gets its own place: a resident's point may be their home, and must never be
    # merged with (or shown as) one of police.uk's published 'on or near' points.
    return Location.objects.using(DB_ALIAS).create(
        key=f"public-report|{secrets.token_hex(8)}|{lon or ''}|{lat or ''}",
        longitude=lon,
        latitude=lat,
        easting=easting,
        northing=northing,
        description=text,
        lsoa_code=lsoa_code,
        lsoa_name=lsoa_name,
        lsoa_derived=lsoa_code is not None,
        outside_area=outside,
    )


def create_public_report(data: dict[str, Any], request: HttpRequest | None = None) -> Incident:
    """Store a resident's report as an ASB incident flagged ``public_report``.

    Parameters
    ----------
    data : dict
        :class:`~asbhub.web.public.forms.PublicReportForm`'s ``cleaned_data``.
    request : HttpRequest, optional
        For the client address in the audit entry.

    Returns
    -------
    Incident
        The new incident; its ``reference`` is what the resident is given.

    Notes
    -----
    The incident, its location, the caller's details (only if any were given) and the audit
    entry for creating them commit together or not at all. Concurrent reports take turns
    (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a row lock on the report source), so each
    gets the next line number and none is lost.
    """
    now = timezone.now()
    day: dt.date = check_event_day(data["occurred_on"], timezone.localdate())  # dates rule
    occurred = None
    if data.get("occurred_at") is not None:
        occurred = timezone.make_aware(dt.datetime.combine(day, data["occurred_at"]))
    contact = {k: (data.get(k) or "").strip() for k in ("name", "phone", "email")}
    force = area_hierarchy().force_name
    reference = _new_reference()
    with transaction.atomic(using=DB_ALIAS):
        given = [k for k, v in contact.items() if v]
        if given:
            # The caller's id is not known yet, so the entry names the record by its incident
            # reference (unique) and role; the detail lists which fields were given, not them.
            record_access(
                None,
                "create",
                ("incidents.person", f"caller of {reference}"),
                purpose=AUDIT_PURPOSE,
                request=request,
                detail={"reference": reference, "role": PersonRole.CALLER.value, "fields": given},
                using=DB_ALIAS,
            )
        source, _ = Source.objects.using(DB_ALIAS).get_or_create(
            kind=SOURCE_KIND,
            force=force,
            month="",
            defaults={
                "content_hash": "",
                "rows": 0,
                "file": "public report form",
                "loaded_at": now,
            },
        )
        # Reports take turns to number their lines: on PostgreSQL the source row is locked
        # until this transaction ends (SQLite's BEGIN IMMEDIATE already holds the write lock),
        # else two reports read the same last line and both take the next.
        Source.objects.using(DB_ALIAS).select_for_update().filter(pk=source.pk).first()
        line = (source.incidents.aggregate(m=Max("line"))["m"] or 0) + 1
        location = _locate(
            data.get("longitude"), data.get("latitude"), (data.get("location_text") or "").strip()
        )
        lsoa = location.lsoa_code if location else None
        areas = area_hierarchy()
        incident = Incident.objects.using(DB_ALIAS).create(
            source=source,
            line=line,
            record_type=RecordType.ASB.value,
            month=month_of(day),
            crime_type=ASB_CRIME_TYPE,
            reference=reference,
            reported_by=force,
            location=location,
            context=data["description"],
            asb_category=data["category"],
            occurred_from=occurred,
            reported_at=now,
            public_report=True,
            lpu=areas.lpu_for([lsoa])[0],
            snt=areas.snt_for([lsoa])[0],
        )
        Source.objects.using(DB_ALIAS).filter(pk=source.pk).update(rows=line, loaded_at=now)
        if given:
            Person.objects.using(DB_ALIAS).create(
                incident=incident, role=PersonRole.CALLER.value, **contact
            )
    return incident


# -- area figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaChoice:
    """One area a resident can pick: ``value`` is 'lpu:NAME' or 'snt:CODE'."""

    value: str
    label: str


def area_choices() -> dict[str, list[AreaChoice]]:
    """The force's LPUs and neighbourhoods (SNTs), for the figures page's picker."""
    areas = area_hierarchy()
    lpus = [AreaChoice(f"lpu:{name}", name) for name in areas.lpus]
    hoods = sorted(
        (
            AreaChoice(f"snt:{code}", f"{name} ({lpu})")
            for lpu, code, name in areas.neighbourhoods.select(
                "lpu", "snt_code", "snt_name"
            ).iter_rows()
        ),
        key=lambda c: c.label,
    )
    return {"lpus": lpus, "neighbourhoods": hoods}


def _area_lsoas(value: str) -> tuple[str, list[str]] | None:
    """(label, LSOA codes) of an area picker value, or None if it names no area."""
    kind, _, key = value.partition(":")
    lsoa = area_hierarchy().lsoa
    if kind == "lpu":
        codes = lsoa.filter(lpu=key)["lsoa_code"].to_list()
        label = f"{key} Local Policing Unit"
    elif kind == "snt":
        rows = lsoa.filter(snt_code=key)
        codes = rows["lsoa_code"].to_list()
        label = f"{rows['snt_name'][0]} neighbourhood" if codes else ""
    else:
        return None
    return (label, codes) if codes else None


def area_figures(value: str, using: str = DB_ALIAS) -> dict[str, Any] | None:
    """ASB counts for an LPU or neighbourhood: by month for the last 12 months loaded, and by
    category where the source records one.

    Counts only, and only published or force-recorded incidents: residents' own reports
    (``public_report``) are left out, as they are unchecked and may identify the reporter.

    Parameters
    ----------
    value : str
        'lpu:NAME' or 'snt:CODE', as offered by :func:`area_choices`.

    Returns
    -------
    dict or None
        None if ``value`` names no area; else ``label``, ``months`` (each ``{month, label,
        count}``, oldest first), ``total``, ``by_category`` (each ``{label, count}``, with
        'Not recorded' for sources without categories, such as police.uk) and ``lsoas``.
    """
    found = _area_lsoas(value)
    if found is None:
        return None
    label, codes = found
    asb = Incident.objects.using(using).filter(
        record_type=RecordType.ASB.value, public_report=False
    )
    first_ok, last_ok = month_range_allowed(timezone.localdate())
    # The latest allowed month: an odd stored month must not break the page for everyone.
    last = asb.filter(month__gte=first_ok, month__lte=last_ok).aggregate(m=Max("month"))["m"]
    months = last_months(last, FIGURE_MONTHS) if is_month(last) else []
    in_area = asb.filter(month__in=months, location__lsoa_code__in=codes)
    by_month = dict(in_area.values_list("month").annotate(n=Count("id")).order_by())
    by_cat = dict(in_area.values_list("asb_category").annotate(n=Count("id")).order_by())
    categories = [{"label": c.label, "count": by_cat.get(c.value, 0)} for c in AsbCategory]
    unknown = sum(n for k, n in by_cat.items() if k not in {c.value for c in AsbCategory})
    categories.append({"label": "Not recorded", "count": unknown})
    return {
        "label": label,
        "months": [
            {"month": m, "label": month_label(m), "count": by_month.get(m, 0)} for m in months
        ],
        "first_label": month_label(months[0]) if months else "",
        "last_label": month_label(months[-1]) if months else "",
        "kind": "neighbourhood" if value.startswith("snt:") else "Local Policing Unit",
        "total": sum(by_month.values()),
        "by_category": categories,
        "lsoas": len(codes),
    }
