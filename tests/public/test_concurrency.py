"""Residents' reports under concurrency: a real ``asbhub serve`` (waitress) on 127.0.0.1, eight
client threads posting the public ASB report form as a browser would (cookie and CSRF token),
and every report must be answered with its reference and be stored, on SQLite and PostgreSQL.

Issue #10 (3): on SQLite a report's transaction read before it wrote, could not take the write
lock once another report had committed, and answered 500 ("database is locked").
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

THREADS = 8
#: Each thread posts at least MIN_EACH reports, then more until MAX_EACH or SECONDS have
#: passed: the loop is bounded both ways, and nothing is asserted about time.
MIN_EACH, MAX_EACH, SECONDS = 6, 40, 20.0
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DONE = re.compile(r"/report-asb/done/(ASB-[A-Z0-9]{8})/$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _asbhub(*args: str) -> list[str]:
    return [sys.executable, "-m", "asbhub.cli", *args]


@dataclass
class Server:
    url: str
    db: str
    log: Path
    env: dict[str, str] = field(repr=False)


@pytest.fixture
def server(store_url: str, tmp_path: Path) -> Iterator[Server]:
    with _serve(store_url, tmp_path) as running:
        yield running


@contextlib.contextmanager
def _serve(store_url: str, tmp_path: Path, **extra_env: str) -> Iterator[Server]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    # Every client here is 127.0.0.1: the server's settings lift the per-address limit on
    # public forms (ASBHUB_RATE_LIMITS, issue #10 floods), which this load would exceed.
    settings_dir = tmp_path / "settings"
    settings_dir.mkdir()
    (settings_dir / "concurrency_settings.py").write_text(
        "from asbhub.web.settings import *  # noqa: F403\n"
        "ASBHUB_RATE_LIMITS = {**globals().get('ASBHUB_RATE_LIMITS', {}), "
        "'public_form': (0, 600)}\n"
    )
    env = {
        **os.environ,
        "ASBHUB_DB": store_url,
        "ASBHUB_TILE_URL": "",
        "ASBHUB_SECRET_KEY": "concurrency-tests-only-" + "x" * 40,
        "DJANGO_SETTINGS_MODULE": "concurrency_settings",
        "PYTHONPATH": os.pathsep.join(
            [
                str(settings_dir),
                str(Path(__file__).resolve().parents[2]),
                os.environ.get("PYTHONPATH", ""),
            ]
        ),
        **extra_env,
    }
    # `asbhub serve` serves an existing store only (issue #12): create it first, as an operator
    # would.
    subprocess.run(
        _asbhub("db", "upgrade", "--db", store_url),
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    with open(log, "w") as out:
        process = subprocess.Popen(
            _asbhub("serve", "--db", store_url, "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(240):  # up to about 60 s to migrate and start
            if process.poll() is not None:
                pytest.fail(f"asbhub serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url + "/report-asb/", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        else:
            pytest.fail(f"asbhub serve did not answer on {url}:\n{log.read_text()}")
        yield Server(url, store_url, log, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _report(text: str, with_contact: bool) -> dict[str, str]:
    # A point in Derby (inside the force area), and synthetic contact details half the time:
    # those reports also append to the audit chain.
    return {
        "category": "N",
        "description": text,
        "occurred_on": "3/2/2019",
        "occurred_at": "21:30",
        "latitude": "52.921500",
        "longitude": "-1.476100",
        "location_text": "",
        "name": "Sam Example" if with_contact else "",
        "phone": "01632 960123" if with_contact else "",
        "email": "sam@example.com" if with_contact else "",
    }


def _client(
    url: str,
    worker: int,
    results: list[tuple[str, int, str]],
    start: threading.Barrier,
    deadline_box: list[float],
) -> None:
    session = requests.Session()
    page = session.get(url + "/report-asb/", timeout=60)
    token = TOKEN.search(page.text)
    assert page.status_code == 200 and token, f"no form: {page.status_code}"
    start.wait(timeout=120)
    n = 0
    while n < MAX_EACH and (n < MIN_EACH or time.monotonic() < deadline_box[0]):
        text = f"SYNTHETIC concurrency report {worker}-{n}: motorbikes on the field"
        try:
            r = session.post(
                url + "/report-asb/",
                data={
                    **_report(text, with_contact=n % 2 == 0),
                    "csrfmiddlewaretoken": token.group(1),
                },
                headers={"Referer": url + "/report-asb/"},
                timeout=120,
            )
            results.append((text, r.status_code, r.url if r.ok else r.text[:300]))
        except requests.RequestException as exc:
            results.append((text, -1, repr(exc)))
        n += 1


def _stored(db: str) -> list[tuple[str, str, int]]:
    sql = (
        "SELECT i.reference, i.context, i.line FROM incidents_incident i "
        "WHERE i.public_report ORDER BY i.line"
    )
    if db.startswith("sqlite:///"):
        with sqlite3.connect(db[len("sqlite:///") :]) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_eight_concurrent_reporters_every_report_stored(server: Server) -> None:
    results: list[tuple[str, int, str]] = []
    start = threading.Barrier(THREADS)
    deadline_box = [0.0]
    threads = [
        threading.Thread(target=_client, args=(server.url, w, results, start, deadline_box))
        for w in range(THREADS)
    ]
    deadline_box[0] = time.monotonic() + SECONDS
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a client thread never finished"
    assert len(results) >= THREADS * MIN_EACH, f"only {len(results)} reports were attempted"

    failed = [
        (text, status, body)
        for text, status, body in results
        if status != 200 or not DONE.search(body)
    ]
    assert not failed, (
        f"{len(failed)} of {len(results)} reports not answered with their "
        f"reference page, e.g. {failed[:3]}\n{server.log.read_text()[-3000:]}"
    )

    answered = {text: DONE.search(final_url).group(1) for text, _, final_url in results}
    stored = _stored(server.db)
    assert len(stored) == len(results), f"{len(results)} reports answered, {len(stored)} stored"
    by_text = {context: reference for reference, context, _ in stored}
    assert by_text == answered, "each report's text stored under the reference it was given"
    # Lines number the reports 1..n without repeats (they are read then written in one
    # transaction, so concurrent reports must take turns).
    assert [line for _, _, line in stored] == list(range(1, len(results) + 1))

    verify = subprocess.run(
        _asbhub("audit", "verify", "--db", server.db),
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with_contact = sum(1 for text, *_ in results if int(text.split(":")[0].split("-")[-1]) % 2 == 0)
    entries = re.search(r"(\d+) entries", verify.stdout + verify.stderr)
    assert entries and int(entries.group(1)) >= with_contact, verify.stdout + verify.stderr


def test_report_while_the_database_is_held_is_given_back_not_lost(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A writer holding SQLite past the busy timeout (a long load): the resident gets the form
    back as typed, answered 503 with Retry-After, and nothing half-stored; sent again, it is
    stored."""
    text = "SYNTHETIC report sent while a load held the database"
    with _serve(sqlite_url, tmp_path, ASBHUB_DB_TIMEOUT="1") as srv:
        session = requests.Session()
        token = TOKEN.search(session.get(srv.url + "/report-asb/", timeout=60).text).group(1)
        post = {**_report(text, with_contact=False), "csrfmiddlewaretoken": token}
        headers = {"Referer": srv.url + "/report-asb/"}
        holder = sqlite3.connect(sqlite_url[len("sqlite:///") :], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            busy = session.post(srv.url + "/report-asb/", data=post, headers=headers, timeout=120)
        finally:
            holder.rollback()
            holder.close()
        assert busy.status_code == 503, busy.text[:500]
        assert busy.headers.get("Retry-After") == "30"
        assert "Your report has not been sent yet" in busy.text
        assert f"{text}</textarea>" in busy.text  # what the resident typed, given back
        assert _stored(srv.db) == []
        again = session.post(srv.url + "/report-asb/", data=post, headers=headers, timeout=120)
        assert again.status_code == 200 and DONE.search(again.url), again.text[:500]
        assert [(ref, ctx) for ref, ctx, _ in _stored(srv.db)] == [
            (DONE.search(again.url).group(1), text)
        ]
