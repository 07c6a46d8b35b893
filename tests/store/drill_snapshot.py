"""Run as ``python tests/store/drill_snapshot.py snapshot|change`` with ``ASBHUB_DB`` set:
the restore drill's view of a store, in its own process so the store is Django's ``default``
(the pages read that alias) on SQLite and PostgreSQL alike.

``snapshot`` prints one JSON object: the row count of every table, the audit chain's
verification, and a sample of pages (status and a hash of the body with the per-request
CSRF token and CSP nonce taken out). ``change`` adds and deletes rows as a user would.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

import django

#: Pages opened by a signed-in analyst: the overview, hot spots, the PMP list and a PMP.
PAGES = ["/", "/hotspots/", "/pmps/", "PMP", "/asb-figures/"]
VOLATILE = re.compile(
    rb'(csrfmiddlewaretoken" value="|nonce="|"X-CSRFToken": "|csrftoken=)[^"; ]*'
    # an analysis's run: its id (which hashes the time it ran) and time
    rb"|(Run</dt><dd>)[^<]*|(hotspots-)[0-9a-f]{12}"
)


def snapshot() -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from asbhub.records.cases.models import Pmp
    from asbhub.records.partners.audit import verify_store
    from asbhub.store.backup import table_counts
    from asbhub.store.db import open_store

    store = open_store(upgrade=False)
    counts = table_counts(store)
    head_before_pages = _audit_head()
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="demo.analyst"))
    pages = {}
    first = Pmp.objects.order_by("pk").first()
    for page in PAGES:
        url = f"/pmps/{first.pk}/" if page == "PMP" else page
        response = client.get(url)
        body = VOLATILE.sub(lambda m: next(g for g in m.groups() if g) + b"-", response.content)
        if os.environ.get("DRILL_DUMP"):  # to see what differs: diff two dumps
            Path(os.environ["DRILL_DUMP"], url.strip("/").replace("/", "_") or "root").write_bytes(
                body
            )
        pages[url] = [response.status_code, hashlib.sha256(body).hexdigest(), len(body)]
    # The page views above are themselves audited: verify after them, and drop the audit
    # table's count, which the views grow.
    audit = verify_store()
    counts.pop("partners_auditentry", None)
    counts.pop("django_session", None)
    return {
        "counts": counts,
        "audit_ok": audit.ok,
        "audit": audit.summary(),
        "pages": pages,
        # The chain's last entry (seq, hash) before and after this snapshot's page views.
        "audit_head": [head_before_pages, _audit_head()],
    }


def _audit_head() -> list[object]:
    from asbhub.records.partners.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return list(last) if last else []


def change() -> None:
    from asbhub.records.cases.models import Pmp
    from asbhub.records.incidents.models import Incident
    from asbhub.records.partners.access import record_access

    record_access(None, "view", ("incidents.person", "1"), purpose="Restore drill")
    doomed = list(Incident.objects.order_by("pk").values_list("pk", flat=True)[:25])
    Incident.objects.filter(pk__in=doomed).delete()
    pmp = Pmp.objects.order_by("pk").first()
    pmp.title = "CHANGED AFTER THE BACKUP"
    pmp.save()


if __name__ == "__main__":
    from asbhub.store.db import setup_django

    setup_django()
    django.setup()
    if sys.argv[1] == "snapshot":
        sys.stdout.write(json.dumps(snapshot()) + "\n")
    else:
        change()
