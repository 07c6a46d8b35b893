"""The production server as systemd runs it (issue #18 item 5): ``asbhub serve --production
--workers 2`` on a real PostgreSQL, over real HTTP on the loopback; and the deploy/ nginx
example accepted by Debian's nginx (``nginx -t``)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support import need

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
KEY = "production-like-Zq8vN2xR7tLw4mKp9sB3hJ6dF1cG5yT0aE8uW2iO7nQ4rV9x"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _asbhub(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from asbhub.cli import main; sys.exit(main())",
        *args,
    ]


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.mark.postgres
def test_two_workers_on_postgresql_serve_and_stop(pg_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASBHUB_")} | {
        "ASBHUB_DB": pg_url,
        "ASBHUB_SECRET_KEY": KEY,
        "ASBHUB_HTTPS": "1",
        "ASBHUB_TRUSTED_PROXY": "127.0.0.1",
        "ASBHUB_TILE_URL": "",
    }
    subprocess.run(
        _asbhub("db", "upgrade", "--db", pg_url), env=env, check=True, capture_output=True
    )
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            _asbhub("serve", "--production", "--workers", "2", "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(240):  # bounded: 60 s
            assert server.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail(f"asbhub serve did not listen on {port}:\n{log.read_text()}")
        base = f"http://127.0.0.1:{port}"
        status, _, body = _get(f"{base}/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
        # Plain HTTP to a page is sent to HTTPS; through the proxy (X-Forwarded-Proto from the
        # trusted address) the page is served, with HSTS.
        status, headers, _ = _get(f"{base}/asb-advice/")
        assert status == 301 and headers["Location"].startswith("https://")
        for _ in range(12):
            status, headers, _ = _get(f"{base}/asb-advice/", **{"X-Forwarded-Proto": "https"})
            assert status == 200
        assert "includeSubDomains" in headers["Strict-Transport-Security"]
        text = log.read_text()
        line = next(x for x in text.splitlines() if x.startswith("2 worker processes: "))
        workers = [int(p) for p in line.split(": ", 1)[1].split(", ")]
        assert len(set(workers)) == 2 and server.pid not in workers
        for pid in workers:
            os.kill(pid, 0)  # alive
        records = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
        assert len(records) >= 14
        assert {r["pid"] for r in records} <= set(workers)
        # The redirect is answered before the URL is resolved: no route.
        assert [(r["route"], r["status"]) for r in records[:3]] == [
            ("healthz", 200),
            (None, 301),
            ("public:advice", 200),
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert code == 0, log.read_text()
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_nginx_example_is_valid(tmp_path: Path) -> None:
    need(Path(NGINX).exists(), "Debian's nginx is missing (scripts/system-packages.sh installs it)")
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
            "/CN=asb.example.gov.uk",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (ROOT / "deploy" / "nginx-asbhub.conf").read_text()
    site = site.replace("/etc/ssl/asbhub", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {tmp_path}/site.conf;\n}}\n"
    )
    proc = subprocess.run(
        [
            NGINX,
            "-t",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "syntax is ok" in proc.stderr
