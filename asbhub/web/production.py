"""``asbhub serve --production``: refuse an unsafe configuration, then serve with workers.

:func:`unsafe_settings` lists every setting that makes a production server unsafe, each
naming the setting and how to fix it; the CLI refuses to start while any is listed
(issue #18 item 5). ``ASBHUB_PRODUCTION=1`` (set by ``--production`` before Django starts)
also turns on the settings ``manage.py check --deploy`` asks for (see asbhub/web/settings.py).

:func:`serve_workers` runs several waitress processes on one listening socket (forked after
it is bound), so one slow request or one process's crash does not stop the site; the database
must then be PostgreSQL (a SQLite file takes one writer at a time).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

#: Secret keys known to be public: the tests' and Django's template's prefixes.
_PUBLIC_KEY_MARKS = ("tests-only", "django-insecure", "change-me", "changeme", "secret-key")
MIN_SECRET_LENGTH = 50


def unsafe_settings(workers: int, vendor: str, env: dict[str, str] | None = None) -> list[str]:
    """What makes this configuration unsafe to serve in production; empty when it is safe.

    ``vendor`` is the database's (``sqlite`` or ``postgresql``); ``env`` defaults to the
    process environment (the settings module reads the same variables).

    >>> unsafe_settings(1, "postgresql", {"ASBHUB_SECRET_KEY": "k" * 60, "ASBHUB_HTTPS": "1"})
    []
    """
    env = dict(os.environ) if env is None else env
    problems = []
    if env.get("ASBHUB_DEBUG", "") == "1":
        problems.append(
            "DEBUG is on (ASBHUB_DEBUG=1): error pages would show settings and data to anyone; "
            "unset ASBHUB_DEBUG"
        )
    key = env.get("ASBHUB_SECRET_KEY", "")
    if not key:
        problems.append(
            "SECRET_KEY is not set (ASBHUB_SECRET_KEY): each process would make its own, so "
            "sign-ins would end at every restart and fail across workers; set "
            "ASBHUB_SECRET_KEY to a long random value kept secret, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
        )
    elif (
        len(key) < MIN_SECRET_LENGTH
        or len(set(key)) < 5
        or any(m in key.lower() for m in _PUBLIC_KEY_MARKS)
    ):
        problems.append(
            f"SECRET_KEY (ASBHUB_SECRET_KEY) is a development or default key (shorter than "
            f"{MIN_SECRET_LENGTH} characters, or a known public one): set it to a long random "
            "value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
        )
    if env.get("ASBHUB_HTTPS", "") != "1":
        problems.append(
            "HTTPS is off (ASBHUB_HTTPS is not 1): sign-in cookies would travel in clear; put "
            "the TLS reverse proxy in front (deploy/nginx-asbhub.conf) and set ASBHUB_HTTPS=1 "
            "and ASBHUB_TRUSTED_PROXY to its address"
        )
    crowded = workers_problem(workers, vendor)
    if crowded:
        problems.append(crowded)
    return problems


def workers_problem(workers: int, vendor: str) -> str | None:
    """Why ``workers`` processes cannot share this database, or None when they can."""
    if vendor == "sqlite" and workers > 1:
        return (
            f"--workers {workers} on a SQLite store: SQLite takes one writer at a time and "
            "each worker would queue on it; use PostgreSQL (--db postgresql://...) or "
            "--workers 1"
        )
    return None


def serve_workers(
    app: Any, host: str, port: int, workers: int, opts: dict[str, Any], say: Callable[[str], None]
) -> int:
    """Bind ``host:port`` once, fork ``workers`` waitress processes that share it, and wait.

    SIGTERM or SIGINT to this process stops every worker. When one worker dies the others are
    stopped too and the exit status is 1, so the service manager (systemd) restarts the set.
    """
    import waitress
    from django.db import connections

    sock = socket.create_server((host, port), backlog=opts.get("backlog", 1024))
    sock.setblocking(False)
    connections.close_all()  # never share a database connection across fork
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
                waitress.serve(app, sockets=[sock], _quiet=True, **opts)
            except BaseException:  # noqa: BLE001 - a worker reports and exits, never returns
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    sock.close()
    say(f"{workers} worker processes: {', '.join(map(str, children))}")

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    alive = set(children)
    while alive:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:  # pragma: no cover - retried by Python itself (PEP 475)
            continue
        alive.discard(pid)
        if not stopping:
            say(f"worker {pid} exited (status {code}); stopping the others")
            status = 1
            stop(signal.SIGTERM, None)
    return status
