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

One exception, for views whose result is cached and so shared (``heavy(shared=...)``): the
same user asking again for the same report with the same parameters while the first is still
being built is the same job, not a second one. The hot-spot map's GeoJSON, still being
computed for the map when the user clicks "Download", was refused and the download failed
silently (issue #12). Such a request waits (at most :func:`same_wait` seconds, setting
``ASBHUB_HEAVY_SAME_WAIT``, default 30) for the first to finish and is then answered from the
cached result; at most :func:`max_per_user` requests wait for any one job, and if the wait
runs out the refusal says the report is still being computed and to try again in a few
seconds. A different report, or the same one with other parameters, is refused at once as
before.

The bounds are per process: run several server processes and each has its own.
"""

from __future__ import annotations

import functools
import threading
import time
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
#: Seconds asked of a client refused because the same job is still running (it is nearly done).
RETRY_SAME_SECONDS = 5


def max_jobs() -> int:
    """Heavy jobs allowed at once in this process (setting ``ASBHUB_HEAVY_JOBS``)."""
    return max(1, int(getattr(settings, "ASBHUB_HEAVY_JOBS", 2)))


def max_per_user() -> int:
    """Heavy jobs one user or address may run at once (setting ``ASBHUB_HEAVY_PER_USER``)."""
    return max(1, int(getattr(settings, "ASBHUB_HEAVY_PER_USER", 1)))


def same_wait() -> float:
    """Seconds a request waits for the same job already running for the same asker (setting
    ``ASBHUB_HEAVY_SAME_WAIT``); 0 refuses at once."""
    return max(0.0, float(getattr(settings, "ASBHUB_HEAVY_SAME_WAIT", 30)))


class Busy(Exception):
    """A heavy job was refused; ``own`` is True when the asker's own jobs are in the way, and
    ``same`` when that is the very same job (same report, same parameters) still running."""

    def __init__(self, own: bool, same: bool = False) -> None:
        super().__init__(
            "the same report is still being built for the asker"
            if same
            else "the asker already has a report being built"
            if own
            else "the server is building as many reports as it may at once"
        )
        self.own = own
        self.same = same


class HeavyGate:
    """Counts of heavy jobs running, in total and per asker, under one lock.

    The limits are read on every acquire, so a changed setting (or a test's override) applies
    at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._running: Counter[str] = Counter()
        self._same: Counter[str] = Counter()  # running jobs per ``same`` key
        self._waiting: Counter[str] = Counter()  # requests waiting per ``same`` key
        self._total = 0

    @contextmanager
    def slot(self, who: str, same: str | None = None, wait: float = 0.0) -> Iterator[None]:
        """Hold one heavy-job slot for ``who`` while the block runs; raise :class:`Busy` when
        none is free.

        ``same`` names the job with its parameters (:func:`same_job`): when ``who``'s slot is
        taken by a job of the same ``same``, wait up to ``wait`` seconds for it to finish
        rather than refuse (the caller then answers from the result it cached). Anything else
        is refused without waiting.
        """
        deadline = time.monotonic() + wait
        with self._lock:
            self._acquire(who, same, deadline)
            self._running[who] += 1
            self._total += 1
            if same is not None:
                self._same[same] += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[who] -= 1
                if self._running[who] <= 0:
                    del self._running[who]
                self._total -= 1
                if same is not None:
                    self._same[same] -= 1
                    if self._same[same] <= 0:
                        del self._same[same]
                self._lock.notify_all()

    def _acquire(self, who: str, same: str | None, deadline: float) -> None:
        """Return when ``who`` may start a job (the lock held), or raise :class:`Busy`.

        Bounded: every pass either returns, raises, or waits for a release with a timeout
        that ends at ``deadline``.
        """
        waiting = False
        try:
            while True:
                if self._running[who] < max_per_user():
                    if self._total >= max_jobs():
                        raise Busy(own=False)
                    return
                if same is None or self._same[same] <= 0:
                    raise Busy(own=True)  # another report of the asker's is in the way
                left = deadline - time.monotonic()
                if left <= 0 or (not waiting and self._waiting[same] >= max_per_user()):
                    raise Busy(own=True, same=True)
                if not waiting:
                    self._waiting[same] += 1
                    waiting = True
                self._lock.wait(left)
        finally:
            if waiting:
                self._waiting[same or ""] -= 1
                if self._waiting[same or ""] <= 0:
                    del self._waiting[same or ""]

    def running(self) -> int:
        """Heavy jobs running now in this process."""
        with self._lock:
            return self._total

    def waiting(self) -> int:
        """Requests waiting now for the same job to finish."""
        with self._lock:
            return sum(self._waiting.values())


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


def same_job(who: str, view: Callable[..., Any], request: HttpRequest) -> str:
    """The key of one report with its parameters: :func:`job` and the request's path and
    query (in a canonical order), so the same choices asked twice are one job."""
    query = sorted((k, v) for k in request.GET for v in request.GET.getlist(k))
    return f"{job(who, view)}|{request.path}|{query!r}"


def busy_response(
    request: HttpRequest, exc: Busy, json: bool = False, shared: str | None = None
) -> HttpResponse:
    """The GOV.UK-style 'try again in a minute' page (or, for a data route, a JSON
    ``error``), with ``Retry-After``. A refusal because ``shared`` (say "the map") is still
    being computed for the asker says so, and to try again in a few seconds."""
    status = 429 if exc.own else 503
    retry = RETRY_SAME_SECONDS if exc.same else RETRY_AFTER_SECONDS
    if exc.same:
        message = (
            f"{shared or 'the same report'} is still being computed; try again in a few seconds"
        )
    else:
        message = f"{exc}: try again in a minute"
    if json:
        response: HttpResponse = JsonResponse({"error": message}, status=status)
    else:
        response = render(
            request,
            "busy.html",
            {"own": exc.own, "minutes": 1, "same": message if exc.same else ""},
            status=status,
        )
    response["Retry-After"] = str(retry)
    return response


def heavy(
    view: Callable[..., HttpResponse] | None = None,
    *,
    when: Callable[[HttpRequest], bool] | None = None,
    json: bool = False,
    shared: str | None = None,
) -> Any:
    """Run ``view`` inside a heavy-job slot of :data:`GATE`, or answer :func:`busy_response`.

    ``when(request)`` limits the gate to the requests that build something (a form shown
    without its answers is cheap and is always served). Use as ``@heavy`` or
    ``@heavy(when=...)``; put it under ``@login_required`` so a signed-out visitor is sent to
    sign in rather than counted. ``json=True`` refuses with JSON rather than a page.
    ``shared`` (what the view builds, e.g. "the map") marks a view whose result is cached:
    the same asker's request with the same parameters waits for the one running (see the
    module's docstring) rather than being refused.
    """

    def wrap(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(func)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if when is not None and not when(request):
                return func(request, *args, **kwargs)
            who = asker(request)
            if shared is None:
                slot = GATE.slot(job(who, func))
            else:
                slot = GATE.slot(job(who, func), same_job(who, func, request), same_wait())
            try:
                slot.__enter__()
            except Busy as exc:
                return busy_response(request, exc, json=json, shared=shared)
            try:
                return func(request, *args, **kwargs)
            finally:
                slot.__exit__(None, None, None)

        return gated

    return wrap(view) if view is not None else wrap
