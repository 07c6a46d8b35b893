"""Other write paths that read, then write, in one transaction, run from eight threads at once
(each its own connection, as waitress's threads are): public ASB Case Review applications
(numbered ACR-YEAR-NNNN from the ones stored, each with a chained audit entry). Every one must be
stored with its own reference, and ``asbhub audit verify`` must still find the chain intact.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading

from asbhub.store.db import open_store

THREADS, EACH = 8, 6


def _application(worker: int, n: int) -> dict:
    # Synthetic applicant and incidents.
    return {
        "area": "Erewash",
        "applying_for": "self",
        "name": f"Synthetic Applicant {worker}-{n}",
        "phone": "01632 960000",
        "email": "",
        "address": "",
        "postcode": "",
        "victim_name": "",
        "relationship": "",
        "problem": "Noise at night",
        "description": f"SYNTHETIC application {worker}-{n}",
        "incidents": [
            {
                "happened_on": dt.date(2024, 5, 1),
                "reported_on": dt.date(2024, 5, 2),
                "reported_to": "Police",
                "what": "Shouting",
            }
        ],
    }


def test_concurrent_case_review_applications_all_stored_chain_intact(store_url: str) -> None:
    store = open_store(store_url)  # sets Django up first
    alias = store.alias
    from django.db import connections

    from asbhub.records.cases.case_reviews import create_public_application
    from asbhub.records.cases.models import CaseReview, CaseReviewApplicant
    from asbhub.records.partners.audit import verify_chain
    from asbhub.records.partners.models import Agency, AuditEntry

    Agency.objects.using(alias).create(name="Synthetic Constabulary", kind="police")
    start = threading.Barrier(THREADS)
    errors: list[str] = []

    def work(worker: int) -> None:
        try:
            start.wait(timeout=60)
            for n in range(EACH):
                create_public_application(_application(worker, n), using=alias)
        except Exception as exc:  # noqa: BLE001 - every failure is reported by the test
            errors.append(f"worker {worker}: {type(exc).__name__}: {exc}")
        finally:
            connections[alias].close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors

    year = dt.date.today().year
    refs = sorted(CaseReview.objects.using(alias).values_list("reference", flat=True))
    assert refs == [f"ACR-{year}-{i:04d}" for i in range(1, THREADS * EACH + 1)]
    names = set(CaseReviewApplicant.objects.using(alias).values_list("name", flat=True))
    assert names == {f"Synthetic Applicant {w}-{n}" for w in range(THREADS) for n in range(EACH)}
    # Each audit entry names the application it created (its reference is taken before the
    # entry is written, so two applications at once must not both be given the same one).
    audited = sorted(
        AuditEntry.objects.using(alias)
        .filter(object_type="cases.casereview")
        .values_list("object_id", flat=True)
    )
    assert audited == refs
    result = verify_chain(alias)
    assert result.ok, result
    assert result.n_entries == THREADS * EACH
