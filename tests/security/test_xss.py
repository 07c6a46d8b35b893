"""Stored and reflected script injection: every free-text field of every asbhub model holds a
script payload, and no page of the site shows one raw.

The world of :mod:`tests.security.conftest` is built, then every CharField and TextField
without choices of every asbhub model (and of Django's users), on every row, is overwritten
with a payload carrying a number that says which field and row it is (JSON text the pages
show, such as the questionnaire's questions and the linkage explanations, too). Fields that
are codes or hashes the system writes itself, not text anyone types, are listed in
:data:`NOT_FREE_TEXT` with the reason; a new field that is in neither fails
:func:`test_every_free_text_field_is_covered`.

Then every page is fetched as the users entitled to see most (the police analyst and
supervisor, the Commissioner's office, the anonymous public) and:

- no payload appears raw in any HTML page (nor a 5xx from any page);
- the fields in :data:`EXPECTED_SHOWN` appear escaped, so the pages looked at do show the text;
- every page carries the Content Security Policy forbidding inline script (what the maps and
  other scripts do with the same payloads in Chromium: ``tests/browser/test_xss_maps.py``).

Every form is also posted back with the payload in each of its fields (reflected injection
in error messages and re-filled boxes), and the audit log is read after a query string with
a payload was logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.security.support import as_user, build_world, new_client, signed_in_clients

setup_django()

from tests.security.registry import PUBLIC, RECORD, ROUTES, SIGNED_IN, body, url  # noqa: E402

FULL = '<script>alert("x-{n}")</script><img src=x onerror=alert({n})>'
MEDIUM = "<b onmouseover=alert({n})>"
SHORT = "<u id={n}>"
#: Any payload, raw: only an unescaped payload can match.
RAW = re.compile(r"<script>alert\(|<img src=x onerror=|<b onmouseover=|<u id=\d+>")

#: Char/Text fields that are not free text: codes, keys and hashes asbhub writes itself.
NOT_FREE_TEXT: dict[str, str] = {
    "incidents.source.kind": "source kind code",
    "incidents.source.month": "YYYY-MM",
    "incidents.source.content_hash": "hash",
    "incidents.location.key": "internal key",
    "incidents.location.lsoa_code": "ONS code joined to the area files",
    "incidents.incident.record_type": "ASB/CRIME code",
    "incidents.incident.month": "YYYY-MM",
    "incidents.incident.asb_category": "P/N/E code",
    **{
        f"incidents.incident.thrive_{e}": "THRIVE grade code"
        for e in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
    },
    "incidents.incident.row_hash": "hash",
    "incidents.person.role": "role code: decides the data category",
    "partners.sharingagreement.categories": "category codes",
    "partners.auditentry.*": "append-only; its free text is checked in test_audit_log",
    "partners.auditchainhead.hash": "hash",
    "partners.loginfailure.*": "shown on no page",
    "contact.callsource.content_hash": "hash",
    "contact.call.call_id": "key",
    "contact.call.row_hash": "hash",
    "cases.pmp.reference": "generated PMP-YYYY-NNNN",
    "cases.pmp.evaluation": "computed",
    "cases.casereview.reference": "generated ACR-YYYY-NNNN",
    "cases.casereview.rule_used": "computed",
    "risk.riskassessment.answers": "answer codes",
    "risk.riskreview.answers": "answer codes",
    "people.linkagemodelversion.model_json": "Splink model",
    "people.linkagemodelversion.digest": "hash",
    "people.linkdecision.*": "append-only; a decision with payloads is added",
    "people.linkdecision.people": "ids",
    "api.apitoken.prefix": "generated",
    "api.apitoken.token_hash": "hash",
    "auth.user.password": "hash",
    "auth.user.email": "shown on no page",
    "people.linkdecision.before_clusters": "ids",
    "people.linkdecision.after_clusters": "ids",
}
#: JSON fields whose text the pages show: which keys hold text.
JSON_TEXT = {
    "risk.questionnaireversion.definition": {"text", "name", "description", "label", "hint"},
    "people.membership.breakdown": {"comparison", "level"},
    "people.candidatepair.breakdown": {"comparison", "level"},
}
#: Fields the pages looked at must show (escaped): a field missing here was not rendered.
EXPECTED_SHOWN = {
    "incidents.person.name",
    "incidents.person.address",
    "partners.agency.name",
    "cases.pmp.title",
    "cases.pmp.statement",
    "cases.pmp.victim",
    "cases.pmp.offender",
    "cases.pmpaction.description",
    "cases.pmpreview.notes",
    "cases.problemtype.name",
    "cases.power.notes",
    "cases.power.premises",
    "cases.powerevent.notes",
    "cases.casereview.description",
    "cases.casereviewapplicant.name",
    "cases.casereviewcomplaint.description",
    "cases.casereviewapplicant.address",
    "scrutiny.question.text",
    "scrutiny.question.answer",
    "scrutiny.meeting.title",
    "risk.riskassessment.thrive_notes",
    "risk.questionnaireversion.definition",
    "people.linkdecision.reason",
    "api.apitoken.name",
}


def _models() -> list[Any]:
    from django.apps import apps

    return [
        m
        for m in apps.get_models()
        if m.__module__.startswith("asbhub.") or m._meta.label_lower == "auth.user"
    ]


def free_text_fields() -> dict[str, Any]:
    """``app.model.field`` -> field, for every Char/Text field without choices and JSON."""
    from django.db import models

    out = {}
    for model in _models():
        for f in model._meta.get_fields():
            text = isinstance(f, (models.CharField, models.TextField)) and not f.choices
            if text or isinstance(f, models.JSONField):
                out[f"{model._meta.label_lower}.{f.name}"] = f
    return out


def _exempt(label: str) -> bool:
    return label in NOT_FREE_TEXT or label.rsplit(".", 1)[0] + ".*" in NOT_FREE_TEXT


class Payloads:
    """Numbered payloads, each remembering the field it went into.

    Each row gets its own number (unique fields stay unique), except in fields too short for
    more than the shortest form: there every row of the field shares one small number, so it
    still fits however many rows other tests left in the store.
    """

    def __init__(self) -> None:
        self.labels: dict[int, str] = {}
        self._short: dict[str, int] = {}

    def make(self, label: str, max_length: int | None) -> str:
        if max_length is not None and max_length < len(MEDIUM.format(n=100)):
            n = self._short.setdefault(label, 10 + len(self._short))
        else:
            n = len(self.labels) + 1000
        self.labels[n] = label
        self.last = n
        for form in (FULL, MEDIUM, SHORT):
            value = form.format(n=n)
            if max_length is None or len(value) <= max_length:
                return value
        raise AssertionError(
            f"{label} (max_length {max_length}) is too short for a payload: "
            "list it in NOT_FREE_TEXT if it holds a code"
        )

    def escaped(self, n: int) -> re.Pattern[str]:
        return re.compile(rf"x-{n}(?:&quot;|&#34;|&#x22;)|alert\({n}\)&gt;|&lt;u id={n}&gt;")

    def shown(self, text: str) -> set[str]:
        return {label for n, label in self.labels.items() if self.escaped(n).search(text)}


def _json_payload(value: Any, keys: set[str], label: str, p: Payloads) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                p.make(label, None)
                if k in keys and isinstance(v, str)
                else _json_payload(v, keys, label, p)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_json_payload(v, keys, label, p) for v in value]
    return value


def latest_pks() -> dict[Any, Any]:
    """The highest primary key of each incidents model, before the world is made: the real
    sample other test modules loaded (tens of thousands of records) is not this test's to
    fill. Other models' rows (problem types, the first questionnaire from the migrations) are
    filled whoever made them."""
    from django.db.models import Max

    models = {
        f.model for f in free_text_fields().values() if f.model._meta.app_label == "incidents"
    }
    return {m: m._default_manager.aggregate(top=Max("pk"))["top"] for m in models}


def fill(p: Payloads, after: dict[Any, Any] | None = None) -> None:
    """Overwrite every free-text field of every row made since ``after`` (see
    :func:`latest_pks`; every row when None) with a payload (bypassing save())."""
    fields = free_text_fields()
    by_model: dict[Any, list[tuple[str, Any]]] = {}
    for label, f in fields.items():
        if _exempt(label):
            continue
        by_model.setdefault(f.model, []).append((label, f))
    for model, wanted in by_model.items():
        rows = model._default_manager.all()
        if after and after.get(model) is not None:
            rows = rows.filter(pk__gt=after[model])
        for pk in rows.values_list("pk", flat=True):
            row = model._default_manager.filter(pk=pk)
            values = {}
            for label, f in wanted:
                if label in JSON_TEXT:
                    values[f.name] = _json_payload(
                        row.values_list(f.name, flat=True)[0], JSON_TEXT[label], label, p
                    )
                elif f.get_internal_type() != "JSONField":
                    values[f.name] = p.make(label, f.max_length)
            if values:
                row.update(**values)


def payload_world(p: Payloads) -> SimpleNamespace:
    from asbhub.records.incidents.models import Source
    from asbhub.records.people.models import LinkDecision

    before = latest_pks()
    w = build_world()
    LinkDecision.objects.create(
        kind="split",
        username="sec.analyst",
        reason="placeholder",
        people=[w.victim.pk],
        before_clusters=[w.linked.pk],
        after_clusters=[w.linked.pk],
    )
    fill(p, before)
    reason = p.make("people.linkdecision.reason", None)
    LinkDecision.objects.create(
        kind="merge",
        username="sec.analyst",
        reason=reason,
        people=[w.victim.pk],
        before_clusters=[w.linked.pk],
        after_clusters=[w.linked.pk],
    )
    # The incidents belong to the police agency named as their source's force: keep the two
    # names the same payload so ownership (and so every page) still works.
    w.police.refresh_from_db()
    Source.objects.filter(pk=w.source.pk).update(force=w.police.name)
    for obj in (w.plan, w.power, w.case_review, w.assessment, w.question):
        obj.refresh_from_db()
    return w


@pytest.fixture(scope="module")
def xss(default_store: Any) -> Iterator[SimpleNamespace]:
    from django.db import transaction

    with transaction.atomic(using="default"):
        p = Payloads()
        w = payload_world(p)
        w.clients = signed_in_clients(w)
        w.payloads = p
        w.shown = set()
        yield w
        transaction.set_rollback(True, using="default")


def _html(response: Any) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


PAGES = sorted(
    n
    for n, r in ROUTES.items()
    if r.kind in (PUBLIC, SIGNED_IN, RECORD) and r.method == "GET" and not r.extra.get("image")
)


def test_detectors_tell_raw_from_escaped() -> None:
    """What Django's and Jinja's escaping make of each payload form is found as shown and not
    as raw; the payload itself is found as raw."""
    from django.utils.html import escape
    from markupsafe import escape as jinja_escape

    p = Payloads()
    for form, max_length in ((FULL, None), (MEDIUM, 30), (SHORT, 10)):
        value = p.make("x.y.z", max_length)
        n = p.last
        assert value == form.format(n=n)
        assert RAW.search(value)
        for escaped in (escape(value), str(jinja_escape(value))):
            assert RAW.search(escaped) is None
            assert p.escaped(n).search(escaped)
            assert not p.escaped(n + 1).search(escaped)
    with pytest.raises(AssertionError, match="too short"):
        p.make("a.b.code", 5)


def test_every_free_text_field_is_covered() -> None:
    fields = free_text_fields()
    unknown = sorted(k for k in NOT_FREE_TEXT if not k.endswith(".*") and k not in fields)
    assert not unknown, f"NOT_FREE_TEXT lists fields that no longer exist: {unknown}"
    for label, f in fields.items():
        if f.get_internal_type() == "JSONField" and not _exempt(label):
            assert label in JSON_TEXT, (
                f"{label} is a JSON field: list the keys holding text the pages show in "
                "JSON_TEXT of tests/security/test_xss.py, or why not in NOT_FREE_TEXT"
            )


@pytest.mark.parametrize("name", PAGES)
def test_page_shows_no_raw_payload(name: str, xss: SimpleNamespace, db: str) -> None:
    route = ROUTES[name]
    users = [None] if route.kind == PUBLIC else sorted({route.owner, "supervisor", "commissioner"})
    statuses = {}
    for who in users:
        c = new_client() if who is None else as_user(xss, who)
        response = c.get(url(name, xss))
        statuses[who] = response.status_code
        assert response.status_code < 500, f"{name} as {who}: {response.status_code}"
        # A payload that escaped escaping still could not run: no inline script is allowed.
        policy = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "unsafe" not in policy, (
            f"{name} as {who}: no Content Security Policy forbidding inline script: {policy!r}"
        )
        if _html(response):
            text = body(response)
            raw = RAW.search(text)
            assert raw is None, (
                f"{name} as {who} shows a payload raw: ..."
                f"{text[max(0, raw.start() - 120) : raw.end() + 60]}..."
            )
            xss.shown |= xss.payloads.shown(text)
    data_file = name.endswith(("geojson", "csv", "map"))
    assert 200 in statuses.values() or data_file or route.owner_status != {200}, (
        f"{name} answered {statuses}: the payloads made it fail, so it shows nothing"
    )


def test_form_posted_back_with_payloads(xss: SimpleNamespace, db: str) -> None:
    """Each page with a form, posted back with a payload in every field (the page's own
    field names): error messages and re-filled fields escape what was typed."""
    names_re = re.compile(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"')
    posted = 0
    for name in PAGES:
        route = ROUTES[name]
        c = new_client() if route.kind == PUBLIC else as_user(xss, route.owner)
        page = c.get(url(name, xss))
        if page.status_code != 200 or not _html(page) or "<form" not in body(page):
            continue
        fields = set(names_re.findall(body(page))) - {"csrfmiddlewaretoken"}
        data = {f: FULL.format(n=9000 + i) for i, f in enumerate(sorted(fields))}
        response = c.post(url(name, xss), data)
        if response.status_code == 405:
            continue
        posted += 1
        assert response.status_code < 500, f"{name}: {response.status_code}"
        if _html(response):
            raw = RAW.search(body(response))
            assert raw is None, f"{name} shows a posted payload raw"
    assert posted >= 10


def test_audit_log_escapes_logged_queries(xss: SimpleNamespace, db: str) -> None:
    payload = FULL.format(n=8000)
    analyst = as_user(xss, "analyst")
    analyst.get(f"/pmps/{xss.plan.pk}/incidents/", {"first": payload, "last": payload})
    analyst.get("/partners/audit/", {"q": payload})
    page = as_user(xss, "supervisor").get("/partners/audit/")
    assert page.status_code == 200
    assert RAW.search(body(page)) is None


#: Fields the page tests must have seen at least, for their no-raw-payload checks to count.
LEAST_SHOWN = 40


def check_pages_showed(shown: set[str]) -> None:
    """Fail unless the page tests saw the payloads: every field of ``EXPECTED_SHOWN`` and at
    least ``LEAST_SHOWN`` fields shown (escaped). Nothing shown fails too: the page tests did
    not run, or a broken filler or detector saw nothing, and the page checks proved nothing."""
    assert shown, (
        "no page showed any payload (escaped): run this whole module, whose page tests fill "
        "xss.shown first, and check Payloads.shown and the world's filler"
    )
    missing = sorted(EXPECTED_SHOWN - shown)
    assert not missing, f"no page showed these fields (escaped): {missing}"
    assert len(shown) >= LEAST_SHOWN, (
        f"the pages showed {len(shown)} fields, expected at least {LEAST_SHOWN}: {sorted(shown)}"
    )


def test_expected_fields_were_shown_escaped(xss: SimpleNamespace) -> None:
    """Runs after the page tests (same module, in order): the fields the pages exist to show
    were seen, escaped, so the no-raw-payload checks looked at pages that render them."""
    check_pages_showed(xss.shown)


def test_the_guard_fails_when_the_pages_showed_nothing_or_too_little() -> None:
    with pytest.raises(AssertionError, match="no page showed any payload"):
        check_pages_showed(set())
    one_short = set(sorted(EXPECTED_SHOWN)[1:])
    with pytest.raises(AssertionError, match="no page showed these fields"):
        check_pages_showed(one_short | {f"extra.field{i}" for i in range(LEAST_SHOWN)})
    with pytest.raises(AssertionError, match="expected at least"):
        check_pages_showed(set(EXPECTED_SHOWN))
    check_pages_showed(set(EXPECTED_SHOWN) | {f"extra.field{i}" for i in range(LEAST_SHOWN)})
