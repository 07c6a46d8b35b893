"""One JSON object per request on the ``asbhub.requests`` logger (issue #18 item 5).

Each line: ``time`` (UTC, ISO 8601), ``user`` (the user's id, or null when signed out),
``method``, ``route`` (the URL pattern's ``namespace:name``, never the path or query, which can
carry names and addresses), ``status``, ``duration_ms`` and ``pid`` (which worker process answered). Lines go to stderr under
``asbhub serve --production`` or with ``ASBHUB_REQUEST_LOG=1`` (settings ``LOGGING``), where
systemd's journal or a log shipper takes them.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("asbhub.requests")


class RequestLogMiddleware:
    """Times each request and logs it as one JSON object once the response is ready."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            if logger.isEnabledFor(logging.INFO):
                logger.info(json.dumps(request_record(request, status, started)))


def request_record(request: HttpRequest, status: int, started: float) -> dict[str, object]:
    """The logged fields of one request (``started`` from :func:`time.perf_counter`)."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "user": user.pk if user is not None and user.is_authenticated else None,
        "method": request.method,
        "route": match.view_name if match is not None else None,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "pid": os.getpid(),
    }
