"""A store made by an older asbhub upgrades with ``asbhub db upgrade`` and serves (issue #11).

``tests/fixtures/store-b9c10c5.sqlite3.xz`` is a small SQLite store made by the code of commit
b9c10c5 (before the system of record moved out of ``asbhub/web``) with
``data-raw/fixture_store_seed.py``: a tenth of the bundled sample, the demonstration seeding
(agencies, accounts, PMPs, Case Reviews, synthetic incidents with fictional people, linkage,
risk) and six audit entries. Table names and migration history must keep working for it.
"""

from __future__ import annotations

import json
import lzma
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store-b9c10c5.sqlite3.xz"
ASBHUB = [sys.executable, "-m", "asbhub.cli"]


@pytest.fixture(scope="module")
def old_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("old-store") / "store.sqlite3"
    with lzma.open(FIXTURE) as src, path.open("wb") as out:
        shutil.copyfileobj(src, out)
    return path


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ASBHUB, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def test_old_store_upgrades_verifies_and_serves(old_store: Path) -> None:
    url = f"sqlite:///{old_store}"
    with sqlite3.connect(old_store) as con:
        titles = sorted(r[0] for r in con.execute("SELECT title FROM cases_pmp"))
        n_people = con.execute("SELECT COUNT(*) FROM people_linkedperson").fetchone()[0]
        n_audit = con.execute("SELECT COUNT(*) FROM partners_auditentry").fetchone()[0]
    assert len(titles) == 5 and n_people == 2263 and n_audit == 6

    up = _run("db", "upgrade", "--db", url)
    assert up.returncode == 0, up.stderr
    verify = _run("audit", "verify", "--db", url)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "chain intact" in verify.stdout + verify.stderr

    # Serve it: Django's client in a process whose default store is the upgraded file.
    script = textwrap.dedent("""
        import json, os
        import django
        django.setup()
        from django.contrib.auth.models import User
        from django.test import Client
        from django.conf import settings
        settings.ALLOWED_HOSTS = ["testserver"]
        c = Client()
        c.force_login(User.objects.get(username="demo.analyst"))
        out = {}
        r = c.get("/pmps/")
        out["list"] = [r.status_code, r.content.decode()]
        from django.db import connection
        with connection.cursor() as cur:
            cur.execute("SELECT id, title FROM cases_pmp ORDER BY id LIMIT 1")
            pk, title = cur.fetchone()
            cur.execute("SELECT MIN(id) FROM people_linkedperson")
            person = cur.fetchone()[0]
        r = c.get(f"/pmps/{pk}/?purpose=case")
        out["detail"] = [r.status_code, title, r.content.decode()]
        r = c.get(f"/people/{person}/")
        out["person"] = [r.status_code, ""]
        print(json.dumps(out))
    """)
    env = {**os.environ, "ASBHUB_DB": url, "DJANGO_SETTINGS_MODULE": "asbhub.web.settings"}
    served = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env
    )
    assert served.returncode == 0, served.stderr
    pages = json.loads(served.stdout.strip().splitlines()[-1])
    assert pages["list"][0] == 200
    for title in titles:
        assert title.replace("&", "&amp;").replace("'", "&#x27;") in pages["list"][1]
    status, title, body = pages["detail"]
    assert status == 200 and title in titles
    assert title.replace("&", "&amp;").replace("'", "&#x27;") in body
    assert pages["person"][0] == 200

    # The audited view was appended to the old chain, and the whole chain still verifies.
    with sqlite3.connect(old_store) as con:
        assert con.execute("SELECT COUNT(*) FROM partners_auditentry").fetchone()[0] > n_audit
    again = _run("audit", "verify", "--db", url)
    assert again.returncode == 0, again.stdout + again.stderr
