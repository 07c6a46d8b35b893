"""HTTPS behind a real reverse proxy (issue #10, class 8).

Debian's nginx, run in the foreground on a free port of 127.0.0.1 with a self-signed
certificate made by ``openssl`` here, terminates TLS and forwards to a second ``asbhub serve``
(on the browser tests' database) started with ``ASBHUB_HTTPS=1`` and
``ASBHUB_TRUSTED_PROXY=127.0.0.1``. nginx sets X-Forwarded-For to the address each client
connected from, overwriting whatever the client sent. The whole of 127.0.0.0/8 is this
machine, so clients here connect from 127.0.0.2, 127.0.0.3, ... and are different clients to
nginx and to asbhub, while nginx itself reaches asbhub from 127.0.0.1, the trusted proxy.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.browser.support import (
    LiveServer,
    _asbhub,
    _free_port,
    assert_accessible,
    query_db,
    sign_in,
)
from tests.support import need

pytestmark = pytest.mark.browser

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_CONF = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {tmp}/cert.pem;
        ssl_certificate_key {tmp}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{backend};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass
class Proxied:
    url: str  # https://127.0.0.1:PORT, through nginx
    port: int
    backend: int  # asbhub's own port, reachable directly too


def _wait_for(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    for _ in range(240):  # bounded: 60 s
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"{what} did not listen on 127.0.0.1:{port}:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def proxied(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    need(
        Path(NGINX).exists(),
        "Debian's nginx is missing (scripts/system-packages.sh "
        "installs it: apt-get install nginx-light)",
    )
    tmp = tmp_path_factory.mktemp("proxy")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(tmp / "key.pem"),
            "-out",
            str(tmp / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    backend, port = _free_port(), _free_port()
    env = {
        **os.environ,
        "ASBHUB_DB": live_server.db,
        "ASBHUB_TILE_URL": "",
        "ASBHUB_SECRET_KEY": "proxy-tests-only-" + "x" * 40,
        "ASBHUB_HTTPS": "1",
        "ASBHUB_TRUSTED_PROXY": "127.0.0.1",
    }
    log = tmp / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            _asbhub("serve", "--db", live_server.db, "--host", "127.0.0.1", "--port", str(backend)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=port, backend=backend))
    nginx_log = tmp / "nginx.out"
    with open(nginx_log, "w") as out:
        nginx = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(tmp),
                "-e",
                str(tmp / "nginx-error.log"),
                "-c",
                str(tmp / "nginx.conf"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(backend, server, "asbhub serve", log)
        _wait_for(port, nginx, "nginx", nginx_log)
        yield Proxied(url=f"https://127.0.0.1:{port}", port=port, backend=backend)
    finally:
        _stop(nginx)
        _stop(server)


class Client:
    """A client connecting from one loopback address, keeping its cookies (Secure ones too,
    so it can also talk plain HTTP straight to asbhub)."""

    def __init__(self, port: int, source: str, tls: bool) -> None:
        self.port, self.source, self.tls = port, source, tls
        self.cookies: dict[str, str] = {}
        self.origin = f"{'https' if tls else 'http'}://127.0.0.1:{port}"

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, str]:
        kwargs: dict[str, Any] = {"source_address": (self.source, 0), "timeout": 120}
        if self.tls:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=ssl._create_unverified_context(), **kwargs
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, **kwargs)
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for value in r.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            self.cookies.update({k: m.value for k, m in jar.items()})
        return r.status, r.headers, text

    def sign_in(
        self, username: str, password: str, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, str]:
        _, _, form = self.request("GET", "/sign-in/", headers=headers)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert token, f"no CSRF token on the sign-in page:\n{form[:500]}"
        return self.request(
            "POST",
            "/sign-in/",
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
            headers={
                "Origin": self.origin,
                "Referer": self.origin + "/sign-in/",
                **(headers or {}),
            },
        )


def _failures(live_server: LiveServer, username: str) -> list[str]:
    return [
        ip
        for (ip,) in query_db(
            live_server,
            "SELECT ip FROM partners_loginfailure WHERE username = ? ORDER BY id",
            (username,),
        )
    ]


def test_chromium_signs_in_through_the_https_proxy_with_hsts(
    browser: Any, live_server: LiveServer, proxied: Proxied
) -> None:
    context = browser.new_context(base_url=proxied.url, ignore_https_errors=True, locale="en-GB")
    try:
        page = context.new_page()
        first = page.goto("/sign-in/")
        assert first is not None and first.status == 200
        assert first.headers.get("strict-transport-security") == "max-age=31536000"
        assert_accessible(page, "sign-in page through the proxy")
        # The sign-in POST carries Origin: https://127.0.0.1:PORT; it used to be refused as
        # cross-site (CSRF), since asbhub thought the request was plain HTTP.
        sign_in(page, live_server, "demo.analyst")
        assert page.url == proxied.url + "/"
        nav = page.get_by_role("navigation", name="Main")
        assert nav.get_by_role("button", name="Sign out demo.analyst").count() == 1
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]
    finally:
        context.close()


def test_each_client_behind_the_proxy_is_locked_out_on_its_own(
    live_server: LiveServer, proxied: Proxied
) -> None:
    username = "demo.yot"  # no other browser test signs in as this account
    password = live_server.accounts[username]
    before = len(_failures(live_server, username))
    guesser = Client(proxied.port, "127.0.0.2", tls=True)
    # A forged X-Forwarded-For reaches nginx, which overwrites it with the real address.
    forged = {"X-Forwarded-For": "127.0.0.3"}
    for _ in range(5):
        status, _, text = guesser.sign_in(username, "not-the-password", headers=forged)
        assert status == 200 and "Enter a correct username and password" in text
    status, _, text = guesser.sign_in(username, password, headers=forged)
    assert status == 200 and "Too many failed attempts" in text  # locked: 127.0.0.2
    assert _failures(live_server, username)[before:] == ["127.0.0.2"] * 5

    colleague = Client(proxied.port, "127.0.0.3", tls=True)
    status, headers, _ = colleague.sign_in(username, password)
    assert status == 302 and headers["Location"] == "/", "a colleague elsewhere was locked out"
    status, headers, text = colleague.request("GET", "/")
    assert status == 200 and f'Sign out<span class="govuk-visually-hidden"> {username}<' in text
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    rows = query_db(
        live_server,
        "SELECT ip FROM partners_auditentry WHERE action = 'login' "
        "AND username = ? ORDER BY seq DESC LIMIT 1",
        (username,),
    )
    assert rows == [("127.0.0.3",)]  # the audit has it too


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(
    live_server: LiveServer, proxied: Proxied
) -> None:
    username = "nobody.synthetic"  # not an account: only the failure's key matters
    direct = Client(proxied.backend, "127.0.0.4", tls=False)  # past nginx, not trusted
    spoof = {"X-Forwarded-For": "198.51.100.23", "X-Forwarded-Proto": "https"}
    status, headers, text = direct.sign_in(username, "wrong", headers=spoof)
    assert status == 200 and "Enter a correct username and password" in text
    assert _failures(live_server, username)[-1] == "127.0.0.4"
    # Not believed to be HTTPS either: no HSTS on a plain HTTP answer.
    assert "Strict-Transport-Security" not in headers
