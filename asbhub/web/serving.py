"""How ``asbhub serve`` runs waitress: threads, connection limits, timeouts and a trusted proxy.

Each value comes from a command-line option, else an environment variable, else a default
chosen so that one client cannot stall the server (issue #10, class 4):

=========================  ============================  =======  ==============================
option                     environment                   default  why
=========================  ============================  =======  ==============================
``--threads``              ``ASBHUB_THREADS``            8        requests answered at once
``--connection-limit``     ``ASBHUB_CONNECTION_LIMIT``   1000     open connections before new
                                                                  ones wait (waitress's 100 was
                                                                  used up by 150 idle sockets)
``--channel-timeout``      ``ASBHUB_CHANNEL_TIMEOUT``    30       seconds an idle or half-sent
                                                                  connection is kept
``--cleanup-interval``     ``ASBHUB_CLEANUP_INTERVAL``   10       seconds between sweeps that
                                                                  close timed-out connections
``--trusted-proxy``        ``ASBHUB_TRUSTED_PROXY``      none     the reverse proxy's address
=========================  ============================  =======  ==============================

With a trusted proxy, waitress takes the client's address, scheme and host from that peer's
``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` and removes those headers
from any other peer, so ``REMOTE_ADDR`` is always the real client's (the sign-in lock-out and
rate limits key on it) and a client cannot claim another address.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

DEFAULTS: dict[str, int] = {
    "threads": 8,
    "connection_limit": 1000,
    "channel_timeout": 30,
    "cleanup_interval": 10,
}
PROXY_HEADERS = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}


def _int(name: str, value: Any, env: str) -> int:
    raw = value if value is not None else os.environ.get(env) or DEFAULTS[name]
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name.replace('_', '-')} must be a whole number (from --"
            f"{name.replace('_', '-')} or ${env}); got {raw!r}"
        ) from None
    if number < 1:
        raise ValueError(
            f"{name.replace('_', '-')} must be at least 1 (from --"
            f"{name.replace('_', '-')} or ${env}); got {number}"
        )
    return number


def waitress_options(
    *,
    threads: int | None = None,
    connection_limit: int | None = None,
    channel_timeout: int | None = None,
    cleanup_interval: int | None = None,
    trusted_proxy: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``waitress.serve``: each given value, else its environment
    variable, else its default (see the module docstring).

    >>> waitress_options(threads=4, trusted_proxy="")["threads"]
    4
    """
    opts: dict[str, Any] = {
        "threads": _int("threads", threads, "ASBHUB_THREADS"),
        "connection_limit": _int("connection_limit", connection_limit, "ASBHUB_CONNECTION_LIMIT"),
        "channel_timeout": _int("channel_timeout", channel_timeout, "ASBHUB_CHANNEL_TIMEOUT"),
        "cleanup_interval": _int("cleanup_interval", cleanup_interval, "ASBHUB_CLEANUP_INTERVAL"),
        # poll() rather than select(): select() fails beyond 1,024 open descriptors.
        "asyncore_use_poll": True,
    }
    proxy = (
        trusted_proxy if trusted_proxy is not None else os.environ.get("ASBHUB_TRUSTED_PROXY", "")
    ).strip()
    if proxy:
        try:
            proxy = ipaddress.ip_address(proxy).compressed
        except ValueError:
            raise ValueError(
                f"the trusted proxy must be one IP address, as the proxy connects "
                f"from it (e.g. 127.0.0.1); got {proxy!r}"
            ) from None
        opts.update(
            trusted_proxy=proxy,
            trusted_proxy_count=1,
            trusted_proxy_headers=PROXY_HEADERS,
            clear_untrusted_proxy_headers=True,
        )
    else:
        # Even with no proxy, never let a client's X-Forwarded-* reach the application.
        opts.update(clear_untrusted_proxy_headers=True)
    return opts
