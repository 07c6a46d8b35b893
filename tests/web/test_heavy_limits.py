"""The heavy-report gate (asbhub.web.limits), the server's options (asbhub.web.serving) and the
proxy settings (issue #10, classes 4 and 8), through Django's test client.

The live-server tests (a briefing PDF flood, half-open connections) are in
``tests/browser/test_heavy_limits.py``; the reverse proxy in ``tests/browser/test_proxy.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.test import override_settings  # noqa: E402

from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.web.incidents.hotspots import hotspots_geojson, hotspots_page  # noqa: E402
from asbhub.web.limits import GATE, Busy, job  # noqa: E402
from asbhub.web.serving import waitress_options  # noqa: E402
from asbhub.web.tasking.views import briefing_page  # noqa: E402


@pytest.fixture
def client(db_client: Any) -> Any:
    """These pages need no sample: the plain client on the rolled-back ``db`` (not the sample
    store's client that tests/web/conftest.py gives the other web tests)."""
    return db_client


PDF = {"purpose": "tasking", "format": "pdf", "date": "2021-03-15"}


def _analyst(client: Any, make_user: Any, police: Any, name: str = "analyst") -> Any:
    user = make_user(name, police, role="analyst")
    client.force_login(user)
    return user


def test_a_second_report_for_the_same_user_is_refused_at_once(
    client: Any, make_user: Any, police: Any
) -> None:
    user = _analyst(client, make_user, police)
    before = AuditEntry.objects.filter(action="export").count()
    # The user's first briefing, still being built.
    with GATE.slot(job(f"user:{user.pk}", briefing_page)):
        r = client.get("/briefing/", PDF)
    assert r.status_code == 429
    assert r["Retry-After"] == "60"
    text = r.content.decode()
    assert "A report is already being built for you" in text and "try again in a minute" in text
    # Refused before anything was built or audited, and the slot is free again.
    assert AuditEntry.objects.filter(action="export").count() == before
    assert GATE.running() == 0


def test_reports_are_refused_while_others_hold_every_slot(
    client: Any, make_user: Any, police: Any
) -> None:
    _analyst(client, make_user, police)
    with (
        override_settings(ASBHUB_HEAVY_JOBS=2),
        GATE.slot("user:other-1"),
        GATE.slot("user:other-2"),
    ):
        r = client.get("/weekly/pack.csv", {"lpu": "Erewash"})
    assert r.status_code == 503 and r["Retry-After"] == "60"
    assert "Reports are busy" in r.content.decode()


def test_the_briefing_form_and_ordinary_pages_are_never_gated(
    client: Any, make_user: Any, police: Any
) -> None:
    user = _analyst(client, make_user, police)
    with GATE.slot(job(f"user:{user.pk}", briefing_page)):
        form = client.get("/briefing/")  # no purpose yet: only the form, nothing built
        advice = client.get("/asb-advice/")
    assert (
        form.status_code == 200 and "Choose why you need the briefing" not in form.content.decode()
    )
    assert advice.status_code == 200


def test_a_signed_out_visitor_is_counted_by_address_and_data_routes_answer_json(
    client: Any,
) -> None:
    with GATE.slot(job("ip:192.0.2.10", hotspots_geojson)):  # the test client's REMOTE_ADDR
        r = client.get("/api/hotspots.geojson")
    assert r.status_code == 429 and r["Retry-After"] == "60"
    assert "try again in a minute" in json.loads(r.content)["error"]
    with GATE.slot(job("ip:192.0.2.7", hotspots_geojson)):  # someone else's does not count
        assert client.get("/api/hotspots.geojson").status_code != 429


def test_a_users_other_report_still_running_does_not_refuse_this_one(
    client: Any, make_user: Any, police: Any
) -> None:
    """The hot-spot page's GeoJSON still being computed when the user opens the briefing
    (the browser walk of every page found this): one of each report per user."""
    user = _analyst(client, make_user, police)
    with GATE.slot(job(f"user:{user.pk}", hotspots_geojson)):
        assert client.get("/briefing/", PDF).status_code == 200
    with GATE.slot(job(f"user:{user.pk}", hotspots_page)):
        assert client.get("/briefing/", PDF).status_code == 200


def test_the_gate_counts_per_user_and_in_total_and_frees_slots_on_errors() -> None:
    with override_settings(ASBHUB_HEAVY_JOBS=2, ASBHUB_HEAVY_PER_USER=1):
        with GATE.slot("a"):
            with pytest.raises(Busy) as own:
                with GATE.slot("a"):
                    pass
            assert own.value.own
            with GATE.slot("b"):
                assert GATE.running() == 2
                with pytest.raises(Busy) as full:
                    with GATE.slot("c"):
                        pass
                assert not full.value.own
        with pytest.raises(RuntimeError), GATE.slot("a"):
            raise RuntimeError("the report failed")
        assert GATE.running() == 0
        with GATE.slot("a"):  # free again after the failure
            assert GATE.running() == 1


# -- waitress options -----------------------------------------------------------------------


def test_waitress_options_default_to_bounded_connections_and_timeouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "ASBHUB_THREADS",
        "ASBHUB_CONNECTION_LIMIT",
        "ASBHUB_CHANNEL_TIMEOUT",
        "ASBHUB_CLEANUP_INTERVAL",
        "ASBHUB_TRUSTED_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    opts = waitress_options()
    assert opts == {
        "threads": 8,
        "connection_limit": 1000,
        "channel_timeout": 30,
        "cleanup_interval": 10,
        "asyncore_use_poll": True,
        "clear_untrusted_proxy_headers": True,
    }


def test_waitress_options_from_environment_then_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASBHUB_THREADS", "12")
    monkeypatch.setenv("ASBHUB_TRUSTED_PROXY", "10.1.2.3")
    opts = waitress_options(channel_timeout=45)
    assert (opts["threads"], opts["channel_timeout"]) == (12, 45)
    assert opts["trusted_proxy"] == "10.1.2.3" and opts["trusted_proxy_count"] == 1
    assert opts["trusted_proxy_headers"] == {
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
    }
    assert waitress_options(trusted_proxy="")["clear_untrusted_proxy_headers"] is True
    assert "trusted_proxy" not in waitress_options(trusted_proxy="")


def test_waitress_options_refuse_bad_values_saying_how_to_fix_them() -> None:
    with pytest.raises(
        ValueError,
        match=r"threads must be a whole number .*--threads.*"
        r"ASBHUB_THREADS.*'many'",
    ):
        waitress_options(threads="many")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="connection-limit must be at least 1"):
        waitress_options(connection_limit=0)
    with pytest.raises(ValueError, match=r"one IP address.*'proxy.example.org'"):
        waitress_options(trusted_proxy="proxy.example.org")


# -- proxy settings ---------------------------------------------------------------------------


def _settings_with(**env: str) -> dict[str, Any]:
    """SECURE_PROXY_SSL_HEADER, CSRF_TRUSTED_ORIGINS and HSTS as a fresh process reads them."""
    code = (
        "import json, asbhub.web.settings as s; print(json.dumps({"
        "'proxy': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), "
        "'origins': s.CSRF_TRUSTED_ORIGINS, 'hsts': s.SECURE_HSTS_SECONDS}))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("ASBHUB_TRUSTED_PROXY", "ASBHUB_HTTPS", "ASBHUB_ALLOWED_HOSTS", "ASBHUB_CSRF")
        )
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_forwarded_proto_is_believed_only_behind_a_trusted_proxy() -> None:
    assert _settings_with() == {"proxy": None, "origins": [], "hsts": 0}
    behind = _settings_with(
        ASBHUB_TRUSTED_PROXY="127.0.0.1",
        ASBHUB_HTTPS="1",
        ASBHUB_ALLOWED_HOSTS="asb.example.org",
        ASBHUB_CSRF_TRUSTED_ORIGINS="https://asb.example.org:8443",
    )
    assert behind == {
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "origins": ["https://asb.example.org:8443", "https://asb.example.org"],
        "hsts": 31536000,
    }
    # HTTPS without a proxy (TLS in front of nothing we trust): the header is ignored.
    assert _settings_with(ASBHUB_HTTPS="1")["proxy"] is None
