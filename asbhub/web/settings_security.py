"""Security settings for asbhub: password hashing, sign-in throttling, sessions, cookies.

Imported at the end of :mod:`asbhub.web.settings` (``from asbhub.web.settings_security import
*``), so these values win. Environment variables:

``ASBHUB_HTTPS=1``
    The site is served over HTTPS (production): cookies are sent only over HTTPS. Off by
    default because the embedded server (``asbhub serve``, ``make demo``) speaks plain HTTP on
    127.0.0.1, where secure-only cookies would make signing in impossible.
``ASBHUB_SESSION_HOURS``
    How long a sign-in lasts (default 8: a shift).
"""

from __future__ import annotations

import os

# Argon2id first: new and changed passwords are hashed with it, and older hashes are upgraded
# to it when their owner next signs in. The others stay only so that those old hashes verify.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Django's model backend behind a throttle on failed sign-ins (username and address).
AUTHENTICATION_BACKENDS = ["asbhub.web.partners.auth.ThrottledModelBackend"]
ASBHUB_LOGIN_MAX_FAILURES = 5
ASBHUB_LOGIN_WINDOW_SECONDS = 15 * 60

LOGIN_URL = "partners:sign-in"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "partners:sign-in"

# A sign-in lasts one shift at most, counted from signing in (the session is not extended by
# use: SESSION_SAVE_EVERY_REQUEST off), and ends when the browser closes.
SESSION_COOKIE_AGE = int(float(os.environ.get("ASBHUB_SESSION_HOURS") or 8) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

_HTTPS = os.environ.get("ASBHUB_HTTPS", "") == "1"
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0

# No page of asbhub is meant to be shown inside another site's frame.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Issue #10 (floods): rate limits, {action: (requests, window in seconds)}, per address (public
# forms, failed sign-ins) or per API token (detail reads of personal data). Counted in the
# database, so they hold across threads and processes. See asbhub/web/ratelimit.py and
# docs/sharing.md; a limit of 0 turns that action's limit off.
ASBHUB_RATE_LIMITS = {
    "public_form": (10, 10 * 60),
    "sign_in": (20, 10 * 60),
    "api_detail": (300, 10 * 60),
}

# -- Behind a reverse proxy, and heavy work (issue #10, classes 4 and 8) ----------------------
# ASBHUB_TRUSTED_PROXY is the one address of the reverse proxy (nginx, Caddy) in front of
# `asbhub serve`. waitress then takes the client's address, scheme and host from that peer's
# X-Forwarded-For/-Proto/-Host (so the sign-in lock-out keys on the real client, REMOTE_ADDR)
# and strips those headers from every other peer, which is why Django may trust
# X-Forwarded-Proto only when a proxy is set. Without it, the headers are ignored.
ASBHUB_TRUSTED_PROXY = os.environ.get("ASBHUB_TRUSTED_PROXY", "").strip()
if ASBHUB_TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Origins a browser may post from (sign-in, forms): the allowed hosts over HTTPS, plus any
# listed in ASBHUB_CSRF_TRUSTED_ORIGINS (comma-separated, e.g. https://asb.example.gov.uk:8443).
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("ASBHUB_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
if _HTTPS:
    CSRF_TRUSTED_ORIGINS += [
        f"https://{h.strip()}"
        for h in os.environ.get("ASBHUB_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
        if h.strip() and not h.strip().startswith(".") and h.strip() != "*"
    ]
# Heavy reports (asbhub.web.limits): jobs at once in one server process, and per user.
ASBHUB_HEAVY_JOBS = int(os.environ.get("ASBHUB_HEAVY_JOBS") or 2)
ASBHUB_HEAVY_PER_USER = int(os.environ.get("ASBHUB_HEAVY_PER_USER") or 1)
# Seconds the same job asked again (same report, same choices) waits for the first (issue #12).
ASBHUB_HEAVY_SAME_WAIT = float(os.environ.get("ASBHUB_HEAVY_SAME_WAIT") or 30)
