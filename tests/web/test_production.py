"""The production server (issue #18 item 5): unsafe settings refused by name, Django's deploy
checks clean, the health probe, and one JSON log line per request."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asbhub.web.production import unsafe_settings

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "production-like-Zq8vN2xR7tLw4mKp9sB3hJ6dF1cG5yT0aE8uW2iO7nQ4rV9x"
SAFE = {"ASBHUB_SECRET_KEY": GOOD_KEY, "ASBHUB_HTTPS": "1"}


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASBHUB_") or k in ("ASBHUB_DB", "ASBHUB_TEST_PG_URL")
    }
    return env | extra


def _python(code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=_env(**extra),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=300,
    )


def test_a_safe_configuration_passes() -> None:
    assert unsafe_settings(4, "postgresql", dict(SAFE)) == []
    assert unsafe_settings(1, "sqlite", dict(SAFE)) == []


@pytest.mark.parametrize(
    ("change", "workers", "vendor", "names"),
    [
        ({"ASBHUB_DEBUG": "1"}, 1, "postgresql", "ASBHUB_DEBUG"),
        ({"ASBHUB_SECRET_KEY": ""}, 1, "postgresql", "SECRET_KEY is not set (ASBHUB_SECRET_KEY)"),
        ({"ASBHUB_SECRET_KEY": "short"}, 1, "postgresql", "development or default key"),
        ({"ASBHUB_SECRET_KEY": "tests-only-" + "x" * 60}, 1, "postgresql", "default key"),
        ({"ASBHUB_HTTPS": ""}, 1, "postgresql", "ASBHUB_HTTPS"),
        ({}, 2, "sqlite", "--workers 2 on a SQLite store"),
    ],
)
def test_each_unsafe_setting_is_named(
    change: dict[str, str], workers: int, vendor: str, names: str
) -> None:
    problems = unsafe_settings(workers, vendor, SAFE | change)
    assert len(problems) == 1, problems
    assert names in problems[0]


def test_serve_production_refuses_debug_and_a_missing_key(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite3'}"
    code = "import sys; from asbhub.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "db", "upgrade", "--db", db],
        env=_env(),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    args = [sys.executable, "-c", code, "serve", "--production", "--db", db, "--port", "1"]
    proc = subprocess.run(
        args,
        env=_env(ASBHUB_DEBUG="1", ASBHUB_HTTPS="1"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "refusing to serve: 2 unsafe setting(s)" in proc.stderr
    assert "DEBUG is on (ASBHUB_DEBUG=1)" in proc.stderr
    assert "SECRET_KEY is not set (ASBHUB_SECRET_KEY)" in proc.stderr


DEPLOY_CHECK = (
    "import django, sys; from django.core.management import call_command; django.setup(); "
    "call_command('check', deploy=True, fail_level='WARNING')"
)


def test_check_deploy_is_clean_under_production_settings() -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "asbhub.web.settings",
        "ASBHUB_SECRET_KEY": GOOD_KEY,
        "ASBHUB_HTTPS": "1",
        "ASBHUB_ALLOWED_HOSTS": "asb.example.gov.uk",
        "ASBHUB_TRUSTED_PROXY": "127.0.0.1",
    }
    proc = _python(DEPLOY_CHECK, ASBHUB_PRODUCTION="1", **env)
    assert proc.returncode == 0, proc.stderr
    assert "System check identified no issues" in proc.stdout + proc.stderr
    # Not vacuous: without the production block the same check warns (no HTTPS redirect).
    proc = _python(DEPLOY_CHECK, **env)
    assert proc.returncode != 0
    assert "security.W008" in proc.stderr


def test_healthz_answers_ok_without_sign_in(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_names_a_database_that_cannot_be_reached() -> None:
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='127.0.0.1').get('/healthz'); "
        "print(r.status_code, r.content.decode())"
    )
    # Port 1 on the loopback: nothing listens, so the connection is refused.
    proc = _python(
        code,
        DJANGO_SETTINGS_MODULE="asbhub.web.settings",
        ASBHUB_DB="postgresql://nobody@127.0.0.1:1/nothing",
    )
    assert proc.returncode == 0, proc.stderr
    status, body = proc.stdout.strip().split(" ", 1)
    assert status == "503"
    answer = json.loads(body)
    assert answer["status"] == "error"
    assert answer["database"].startswith("OperationalError")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_one_json_line_per_request(client) -> None:
    from django.contrib.auth import get_user_model

    logger = logging.getLogger("asbhub.requests")
    handler = _Lines()
    logger.addHandler(handler)
    try:
        client.get("/healthz")
        client.get("/no-such-page/")
        user = get_user_model().objects.create_user("log.test", password="x" * 20)
        client.force_login(user)
        client.get("/healthz?name=Someone")
    finally:
        logger.removeHandler(handler)
    records = [json.loads(line) for line in handler.lines]
    assert [(r["route"], r["status"], r["user"], r["method"]) for r in records] == [
        ("healthz", 200, None, "GET"),
        (None, 404, None, "GET"),
        ("healthz", 200, user.pk, "GET"),
    ]
    for r in records:
        assert set(r) == {"time", "user", "method", "route", "status", "duration_ms", "pid"}
        assert r["duration_ms"] >= 0 and r["time"].endswith("+00:00")
    assert "Someone" not in "".join(handler.lines)  # never the query string
