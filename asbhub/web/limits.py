"""A bound on heavy work, so that reports being built never hold every request thread.

The embedded server (waitress) answers every request from a fixed pool of threads. A briefing
PDF, a weekly pack, the scrutiny dashboard or a hot-spot analysis can take from seconds to a
minute; eight of them at once used to hold all eight threads, and every ordinary page then
waited for one to finish (issue #10, class 4). Each such view is wrapped in :func:`heavy`:

- at most :func:`max_jobs` heavy jobs run at once in this process (setting
  ``ASBHUB_HEAVY_JOBS``, default 2), so the other threads stay free for pages;
- each user (or, signed out, each client address) runs at most :func:`max_per_user` of the
  same report at once (setting ``ASBHUB_HEAVY_PER_USER``, default 1), so one person cannot
  take every slot with one report. Different reports count apart: the hot-spot page's own
  GeoJSON, still being computed when the user opens the briefing, must not refuse the
  briefing (found by the browser walk of every page).

Beyond either bound the request is refused at once with a page saying a report is already
being built and to try again in a minute, and a ``Retry-After`` header: 429 when it is the
asker's own job in the way, 503 when the server is busy with other people's. Nothing waits in
a queue, so nothing piles up unboundedly behind a slow report.

The bounds are per process: run several server processes and each has its own.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from asbhub.records.partners.access import client_ip

#: Seconds a refused client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 60


def max_jobs() -> int:
    """Heavy jobs allowed at once in this process (setting ``ASBHUB_HEAVY_JOBS``)."""
    return max(1, int(getattr(settings, "ASBHUB_HEAVY_JOBS", 2)))


def max_per_user() -> int:
    """Heavy jobs one user or address may run at once (setting ``ASBHUB_HEAVY_PER_USER``)."""
    return max(1, int(getattr(settings, "ASBHUB_HEAVY_PER_USER", 1)))


class Busy(Exception):
    """A heavy job was refused; ``own`` is True when the asker's own jobs are in the way."""

    def __init__(self, own: bool) -> None:
        super().__init__(
            "the asker already has a report being built"
            if own
            else "the server is building as many reports as it may at once"
        )
        self.own = own


class HeavyGate:
    """Counts of heavy jobs running, in total and per asker, under one lock.

    The limits are read on every acquire, so a changed setting (or a test's override) applies
    at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()
        self._total = 0

    @contextmanager
    def slot(self, who: str) -> Iterator[None]:
        """Hold one heavy-job slot for ``who`` while the block runs; raise :class:`Busy`
        (without waiting) when none is free."""
        with self._lock:
            if self._running[who] >= max_per_user():
                raise Busy(own=True)
            if self._total >= max_jobs():
                raise Busy(own=False)
            self._running[who] += 1
            self._total += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[who] -= 1
                if self._running[who] <= 0:
                    del self._running[who]
                self._total -= 1

    def running(self) -> int:
        """Heavy jobs running now in this process."""
        with self._lock:
            return self._total


#: The process-wide gate every :func:`heavy` view goes through.
GATE = HeavyGate()


def asker(request: HttpRequest) -> str:
    """Whose job this is: the signed-in user, else the client's address (``REMOTE_ADDR``,
    which waitress rewrites from X-Forwarded-For only for a trusted proxy)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def job(who: str, view: Callable[..., Any]) -> str:
    """The per-user key of one report: ``who`` (:func:`asker`) and the view building it."""
    return f"{who}|{view.__module__}.{view.__qualname__}"


def busy_response(request: HttpRequest, exc: Busy, json: bool = False) -> HttpResponse:
    """The GOV.UK-style 'try again in a minute' page (or, for a data route, a JSON
    ``error``), with ``Retry-After``."""
    status = 429 if exc.own else 503
    if json:
        response: HttpResponse = JsonResponse(
            {"error": f"{exc}: try again in a minute"}, status=status
        )
    else:
        response = render(request, "busy.html", {"own": exc.own, "minutes": 1}, status=status)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def heavy(
    view: Callable[..., HttpResponse] | None = None,
    *,
    when: Callable[[HttpRequest], bool] | None = None,
    json: bool = False,
) -> Any:
    """Run ``view`` inside a heavy-job slot of :data:`GATE`, or answer :func:`busy_response`.

    ``when(request)`` limits the gate to the requests that build something (a form shown
    without its answers is cheap and is always served). Use as ``@heavy`` or
    ``@heavy(when=...)``; put it under ``@login_required`` so a signed-out visitor is sent to
    sign in rather than counted. ``json=True`` refuses with JSON rather than a page.
    """

    def wrap(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(func)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if when is not None and not when(request):
                return func(request, *args, **kwargs)
            slot = GATE.slot(job(asker(request), func))
            try:
                slot.__enter__()
            except Busy as exc:
                return busy_response(request, exc, json=json)
            try:
                return func(request, *args, **kwargs)
            finally:
                slot.__exit__(None, None, None)

        return gated

    return wrap(view) if view is not None else wrap
