"""`asbhub api token create | list | revoke`, run in a fresh process against a store file."""

from __future__ import annotations

import hashlib
import subprocess
import sys

RUNNER = """
import argparse, sys
from asbhub.cli.api import register
parser = argparse.ArgumentParser(prog="asbhub")
register(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
try:
    sys.exit(args.func(args))
except ValueError as exc:
    sys.stderr.write(f"error: {exc}\\n")
    sys.exit(2)
"""


def asbhub_api(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, "api", *args], capture_output=True, text=True, timeout=300
    )


def test_create_list_revoke(sqlite_url: str) -> None:
    from asbhub.store.db import open_store

    store = open_store(sqlite_url)
    from django.contrib.auth import get_user_model

    from asbhub.records.partners.models import AuditEntry
    from asbhub.records.tokens.models import ApiToken

    get_user_model().objects.db_manager(store.alias).create_user("cli.analyst")
    made = asbhub_api(
        "token",
        "create",
        "--user",
        "cli.analyst",
        "--name",
        "nightly",
        "--days",
        "7",
        "--db",
        sqlite_url,
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert "shown once" in made.stderr and secret not in made.stderr
    token = ApiToken.objects.using(store.alias).get()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.expires - token.created).days == 7 and token.name == "nightly"

    listed = asbhub_api("token", "list", "--user", "cli.analyst", "--db", sqlite_url)
    assert f"asb_{token.prefix}_...  live" in listed.stdout and secret not in listed.stdout

    gone = asbhub_api("token", "revoke", token.prefix, "--db", sqlite_url)
    assert gone.returncode == 0 and "revoked" in gone.stderr
    token.refresh_from_db()
    assert token.revoked_at is not None
    again = asbhub_api("token", "revoke", secret, "--db", sqlite_url)
    assert "already revoked" in again.stderr

    log = list(
        AuditEntry.objects.using(store.alias).filter(object_type="api.apitoken").order_by("seq")
    )
    assert [(e.action, e.detail["channel"]) for e in log] == [("create", "cli"), ("change", "cli")]
    store.close()


def test_errors_name_the_fix(sqlite_url: str) -> None:
    from asbhub.store.db import open_store

    open_store(sqlite_url).close()
    nobody = asbhub_api("token", "create", "--user", "nobody", "--db", sqlite_url)
    assert nobody.returncode == 2 and "no user 'nobody'" in nobody.stderr
    unknown = asbhub_api("token", "revoke", "asb_0123456789ab_", "--db", sqlite_url)
    assert unknown.returncode == 2 and "no token with prefix '0123456789ab'" in unknown.stderr
