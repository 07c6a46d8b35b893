"""Make tests/fixtures/store-b9c10c5.sqlite3.xz: a small store made by asbhub as of commit b9c10c5.

Run with that commit's code (before the system of record moved out of asbhub/web, issue #11):

    mkdir -p /tmp/fixstore/small && unzip asbhub/data/sample/*.zip -d /tmp/fixstore/src
    for m in 2018-12 2019-01 2019-02; do mkdir -p /tmp/fixstore/small/$m
      awk 'NR==1 || NR%10==0' /tmp/fixstore/src/$m/$m-derbyshire-street.csv \
        > /tmp/fixstore/small/$m/$m-derbyshire-street.csv; done
    python data-raw/fixture_store_seed.py /tmp/fixstore/pre.sqlite3
    sqlite3 /tmp/fixstore/pre.sqlite3 VACUUM
    xz -9 -c /tmp/fixstore/pre.sqlite3 > tests/fixtures/store-b9c10c5.sqlite3.xz

A tenth of the bundled sample's rows, the demonstration seeding for 7 December 2026 (agencies,
accounts, PMPs, Case Reviews, synthetic incidents with fictional people, calls, linkage, risk)
and one audited view of each PMP.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path


def main(path: str) -> None:
    url = f"sqlite:///{Path(path).resolve()}"
    os.environ["ASBHUB_DB"] = url
    from asbhub.cli import _ingest_with_progress
    from asbhub.demo.seed import seed_demo
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.db import open_store

    store = open_store(url)
    result = _ingest_with_progress(store, list(expand_inputs([Path("/tmp/fixstore/small")])), False)
    assert result.ok
    assert seed_demo(store, today=dt.date(2026, 12, 7)).ok

    from django.contrib.auth.models import User

    from asbhub.records.cases.models import Pmp
    from asbhub.records.partners.access import record_access
    from asbhub.records.partners.audit import verify_chain

    analyst = User.objects.get(username="demo.analyst")
    for plan in Pmp.objects.all():
        record_access(analyst, "view", plan,
                      purpose="fixture: store made before the records move (issue #11)")
    assert verify_chain().ok


if __name__ == "__main__":
    main(sys.argv[1])
