"""The daily briefing as a page and a PDF: each section cut for a 30-minute meeting, the
summary, the HTML (:mod:`asbhub.reports.rendering`) and :func:`briefing_pdf_bytes`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from asbhub.reports.briefing.build import build_briefing
from asbhub.reports.briefing.model import DEFAULT_LIMIT, Briefing
from asbhub.reports.rendering import html_to_pdf, render_template
from asbhub.store.db import Store

# --------------------------------------------------------------------------------------------
# Cutting each section for a 30-minute meeting (issue #12)
# --------------------------------------------------------------------------------------------

#: The sections that can be opened in full on their own page, by id.
SECTIONS = {
    "high-risk": "High risk or vulnerability at first contact",
    "case-review": "ASB Case Review threshold met: new or not yet reviewed",
    "case-review-all": "ASB Case Review threshold met (everyone)",
    "repeat-victims": "Repeat victims, new or rising",
    "repeat-perpetrators": "Repeat perpetrators, new or rising",
    "repeat-locations": "Repeat locations, new or rising",
    "repeat-addresses": "Victims' repeat addresses, new or rising",
    "hotspots": "Emerging hot spots",
    "pmps": "Problem Management Plans due or overdue for review",
}


@dataclass(frozen=True)
class Cut:
    """One section as the page shows it: the ranked rows the reader may see, cut to the
    limit, how many more there are, and what is withheld, said once per reason."""

    rows: list[dict[str, Any]]
    n_more: int
    n_total: int
    withheld: list[tuple[int, str]]

    @property
    def n_withheld(self) -> int:
        return sum(n for n, _ in self.withheld)


def _reasons(reasons: list[str | None]) -> list[tuple[int, str]]:
    counts: dict[str, int] = {}
    for r in reasons:
        if r:
            text = r.removeprefix("Withheld: ").strip()
            counts[text] = counts.get(text, 0) + 1
    return sorted(((n, r) for r, n in counts.items()), key=lambda x: (-x[0], x[1]))


def cut(frame: pl.DataFrame | None, limit: int | None, extra_withheld: tuple[str, ...] = ()) -> Cut:
    """``frame``'s rows (already ranked) without the withheld ones, the first ``limit`` of
    them (all when None), and the withheld rows' reasons counted."""
    if frame is None or not frame.height:
        return Cut([], 0, 0, _reasons(list(extra_withheld)))
    reasons: list[str | None] = list(extra_withheld)
    if "withheld" in frame.columns:
        reasons += frame["withheld"].to_list()
        frame = frame.filter(pl.col("withheld").is_null())
    shown = frame if limit is None else frame.head(limit)
    return Cut(
        list(shown.iter_rows(named=True)),
        frame.height - shown.height,
        frame.height,
        _reasons(reasons),
    )


def briefing_sections(b: Briefing, limit: int | None = DEFAULT_LIMIT) -> dict[str, Cut]:
    """Every cut section of ``b``, ranked by risk: high risk and vulnerability both high
    first; Case Review flags by qualifying complaints (new ones only; ``case-review-all``
    everyone); repeat people, places and addresses new first, then by incidents; hot areas by
    incidents last month, then by the rise; plans overdue first."""
    high = b.high_risk.with_columns(
        (
            (pl.col("thrive_risk") == "high").cast(pl.Int8).fill_null(0)
            + (pl.col("thrive_vulnerability") == "high").cast(pl.Int8).fill_null(0)
        ).alias("_score")
    ).sort(["_score", "occurred_from"], descending=[True, True], nulls_last=True)
    review = b.case_review.rows if b.case_review is not None else None
    new_review = None if b.case_review is None else b.case_review.to_act_on()
    locations = b.repeat_locations.new_or_rising().sort(
        ["new", "n_incidents"], descending=[True, True]
    )
    pmps = b.pmps
    if pmps is not None and pmps.height:
        pmps = pmps.sort([pl.col("status") != "overdue", "next_review_due"])
    return {
        "high-risk": cut(high, limit, b.high_risk_withheld),
        "case-review": cut(new_review, limit),
        "case-review-all": cut(review, None),
        "repeat-victims": cut(b.repeat_victim_rows, limit),
        "repeat-perpetrators": cut(b.repeat_perpetrator_rows, limit),
        "repeat-locations": cut(locations, limit),
        "repeat-addresses": cut(b.repeat_address_rows, limit),
        "hotspots": cut(b.hot_areas, limit),
        "pmps": cut(pmps, limit),
    }


def area_name(row: Mapping[str, Any]) -> str:
    """A hot area in words: neighbourhood, LSOA name, commonest street description."""
    parts = [
        row.get("neighbourhood"),
        row.get("lsoa_name") or row.get("lsoa_code"),
        row.get("street"),
    ]
    return ", ".join(p for p in parts if p) or "Unnamed area"


def area_svg(row: Mapping[str, Any]) -> str:
    """The area's hot cells as a small inline SVG map (north up, one square per cell, a
    margin of one cell), with presentation attributes only (no ``style``: the CSP)."""
    ny, nx = row["shape"]
    w, h = nx + 2, ny + 2
    scale = max(6, min(14, 70 // max(w, h)))
    rects = "".join(
        f'<rect x="{c + 1}" y="{ny - r}" width="1" height="1" fill="#d4351c" '
        f'stroke="#ffffff" stroke-width="0.05"/>'
        for r, c in row["cells"]
    )
    label = f"{len(row['cells'])} hot cells of the area, north up"
    return (
        f'<svg class="briefing-area-map" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {w} {h}" width="{w * scale}" height="{h * scale}" role="img" '
        f'aria-label="{label}"><rect x="0" y="0" width="{w}" height="{h}" '
        f'fill="#f3f2f1"/>{rects}</svg>'
    )


def briefing_summary(b: Briefing, sections: Mapping[str, Cut]) -> dict[str, Any]:
    """The first page: what changed since the last briefing, and the top items needing a
    decision (at most five: new Case Review flags, overdue plans, the busiest new hot area,
    high-risk incidents)."""
    decisions: list[str] = []
    for r in [r for r in sections["case-review"].rows if r["new"]][:3]:
        who = (
            f"Place: {r['location'] or 'unknown'}"
            if r["kind"] == "place"
            else r["name"] or "(no name)"
        )
        decisions.append(
            f"{who} ({r['lpu'] or 'Unknown'}) newly meets the ASB Case Review "
            f"threshold ({r['n_qualifying']} qualifying complaints): agree who "
            f"contacts them before they have to apply."
        )
    overdue = [r for r in sections["pmps"].rows if r["status"] == "overdue"]
    if overdue:
        decisions.append(
            f"{len(overdue)} Problem Management Plan"
            f"{'s' if len(overdue) != 1 else ''} overdue for review "
            f"({', '.join(r['reference'] for r in overdue[:3])}"
            f"{', ...' if len(overdue) > 3 else ''}): agree a reviewer."
        )
    if sections["hotspots"].rows:
        top = sections["hotspots"].rows[0]
        decisions.append(
            f"Hot spot {area_name(top)}: {top['last_month']} ASB incidents last "
            f"month ({top['change']:+d}): decide on patrols or a plan."
        )
    both = [
        r
        for r in sections["high-risk"].rows
        if r["thrive_risk"] == "high" and r["thrive_vulnerability"] == "high"
    ]
    if both:
        decisions.append(
            f"{len(both)} incident{'s' if len(both) != 1 else ''} graded high for "
            f"both risk and vulnerability: confirm each has an owner."
        )
    review = b.case_review
    changed = {
        "incidents": b.n_incidents,
        "high_risk": sections["high-risk"].n_total,
        "case_review_new": review.n_new if review else 0,
        "case_review_all": review.rows.height if review else 0,
        "case_review_in_review": review.n_in_review if review else 0,
        "repeat_victims": b.repeat_victim_rows.height,
        "repeat_perpetrators": (
            b.repeat_perpetrator_rows.height if b.repeat_perpetrator_rows is not None else 0
        ),
        "repeat_locations": sections["repeat-locations"].n_total,
        "repeat_addresses": (
            b.repeat_address_rows.height if b.repeat_address_rows is not None else 0
        ),
        "hot_areas": b.hot_areas.height if b.hot_areas is not None else 0,
        "hot_areas_new": (
            b.hot_areas.filter(pl.col("category") == "new").height if b.hot_areas is not None else 0
        ),
        "pmps_overdue": len([r for r in _rows(b.pmps) if r["status"] == "overdue"]),
        "pmps_due": len([r for r in _rows(b.pmps) if r["status"] != "overdue"]),
    }
    return {"changed": changed, "decisions": decisions[:5]}


def render_briefing_body(
    data: Briefing, *, only: str | None = None, more_href: Callable[[str], str] | None = None
) -> str:
    """The briefing's sections as an HTML fragment (GOV.UK Frontend class names), for a page
    that supplies its own header: the web app's briefing page.

    Each section shows ``data.limit`` rows and "and N more"; ``more_href(section_id)`` gives
    the link to that section's full list (the web page's ``section=``), else the text says
    how to get it. ``only`` (a key of :data:`SECTIONS`) renders that one section in full.
    """
    if only is not None and only not in SECTIONS:
        raise ValueError(
            f"unknown briefing section {only!r}: expected one of {', '.join(SECTIONS)}"
        )
    limit = None if only is not None else data.limit
    sections = briefing_sections(data, limit)
    return render_template(
        "briefing/_body.html",
        b=data,
        rows=_rows,
        s=sections,
        only=only,
        limit=limit,
        show=lambda sid: only is None or only == sid,
        more_href=more_href,
        summary=None if only else briefing_summary(data, sections),
        area_name=area_name,
        area_svg=area_svg,
        titles=SECTIONS,
    )


def render_briefing_html(data: Briefing) -> str:
    """The briefing as one self-contained HTML page, marked OFFICIAL-SENSITIVE, that also
    prints to PDF (:func:`write_briefing_pdf`) with the marking on every page.

    Parameters
    ----------
    data : Briefing

    Returns
    -------
    str
    """
    return render_template("briefing/briefing.html", b=data, body=render_briefing_body(data))


def briefing_pdf_bytes(html: str) -> bytes:
    """The briefing page as PDF bytes (WeasyPrint, the ``pdf`` extra: :func:`html_to_pdf`)."""
    return html_to_pdf(html, what="PDF briefings")


def _rows(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    return [] if frame is None else list(frame.iter_rows(named=True))


def write_briefing(
    store: Store,
    date: dt.date,
    path: str,
    since: dt.date | None = None,
    *,
    fmt: str = "html",
    **kwargs: Any,
) -> Briefing:
    """Build the briefing and write it to ``path`` as ``fmt`` (``html`` or ``pdf``).

    ``kwargs`` go to :func:`build_briefing`. Returns the data.
    """
    if fmt not in ("html", "pdf"):
        raise ValueError(f"unknown briefing format {fmt!r}: expected html or pdf")
    data = build_briefing(store, date, since, **kwargs)
    html = render_briefing_html(data)
    if fmt == "pdf":
        with open(path, "wb") as fh:
            fh.write(briefing_pdf_bytes(html))
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(html)
    return data
