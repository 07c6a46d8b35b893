"""``/healthz``: is this process able to answer, and is its database reachable (issue #18).

For a load balancer, systemd or a monitoring probe: no sign-in, no personal data, never cached.
200 ``{"status": "ok", "database": "ok"}`` when a trivial query (``SELECT 1``) succeeds on the
store; 503 ``{"status": "error", "database": "<what failed>"}`` when it does not.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from asbhub.store.db import database_answers


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        ok = database_answers(connection)
    except DatabaseError as exc:
        # The driver's first line (e.g. "connection refused" with the host): no rows, no
        # personal data; the password is never in it.
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        return JsonResponse(
            {"status": "error", "database": f"{type(exc).__name__}: {reason}"}, status=503
        )
    if not ok:  # pragma: no cover - a database that answers SELECT 1 wrongly
        return JsonResponse(
            {"status": "error", "database": "SELECT 1 gave a wrong answer"}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok"})
