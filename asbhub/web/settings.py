"""Django settings for asbhub.

The database comes from the ``ASBHUB_DB`` URL (``sqlite:///path`` or ``postgresql://...``),
set by ``asbhub --db``; by default a SQLite file in the user's data directory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from asbhub.domain.dates import LOCAL_TIME_ZONE
from asbhub.store.urls import database_config, default_db_url

BASE_DIR = Path(__file__).resolve().parent

# A fixed key must come from the environment in production; a random one per process is
# safe for the embedded default because sessions then simply end when the server restarts.
SECRET_KEY = os.environ.get("ASBHUB_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = os.environ.get("ASBHUB_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("ASBHUB_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja: serves its bundled Swagger UI (no CDN) for /api/v1/docs.
    "ninja",
    # The system of record (issue #11): the apps that hold data, labels unchanged
    # (incidents, partners, contact, cases, scrutiny, risk, people, api).
    "asbhub.records.incidents",
    "asbhub.records.partners",
    "asbhub.records.contact",
    "asbhub.records.cases",
    "asbhub.records.scrutiny",
    "asbhub.records.risk",
    "asbhub.records.people",
    "asbhub.records.tokens",
    # The pages (labels <app>_pages; no models): templates, static, admin, sign-in signals.
    "asbhub.web.incidents",
    "asbhub.web.partners",
    "asbhub.web.cases",
    "asbhub.web.public",
    "asbhub.web.scrutiny",
    "asbhub.web.risk",
    "asbhub.web.tasking",
    "asbhub.web.people",
    "asbhub.web.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the vendored static assets (Leaflet) under waitress, with no separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# -- Content Security Policy (issue #10 class 10): on every response, static files too; the
# policy and why it is hand-written are in asbhub/web/csp.py.
MIDDLEWARE.insert(1, "asbhub.web.csp.ContentSecurityPolicyMiddleware")
# -- end Content Security Policy

ROOT_URLCONF = "asbhub.web.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "asbhub.web.nav.navigation",
                "asbhub.web.banner.phase_banner",
            ],
        },
    },
]

WSGI_APPLICATION = "asbhub.web.wsgi.application"

DATABASES = {"default": database_config(os.environ.get("ASBHUB_DB") or default_db_url())}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = LOCAL_TIME_ZONE  # issue #11: the one local time zone (asbhub.domain.dates)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve static files straight from the package (no collectstatic step for the embedded server).
WHITENOISE_USE_FINDERS = True

# Map tiles: OpenStreetMap by default; an empty value turns tiles off (outlines and points only),
# as on a machine with no internet access.
ASBHUB_TILE_URL = os.environ.get(
    "ASBHUB_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
ASBHUB_TILE_ATTRIBUTION = os.environ.get(
    "ASBHUB_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Issue #12: the deployment's own force, as its loaded data name it ("Derbyshire Constabulary").
# Unset: the force with the most published police.uk records (asbhub.store.scope).
ASBHUB_FORCE = os.environ.get("ASBHUB_FORCE", "").strip() or None

# Passwords, sign-in throttling, sessions and security headers (issue #4).
from asbhub.web.settings_security import *  # noqa: E402,F403

# -- Production (issue #18 item 5): asbhub/web/production.py, docs/deploy.md ------------------
# One JSON object per request on the "asbhub.requests" logger (asbhub/web/requestlog.py),
# outermost so its duration covers every other middleware.
MIDDLEWARE.insert(0, "asbhub.web.requestlog.RequestLogMiddleware")
ASBHUB_PRODUCTION = os.environ.get("ASBHUB_PRODUCTION", "") == "1"
_REQUEST_LOG = ASBHUB_PRODUCTION or os.environ.get("ASBHUB_REQUEST_LOG", "") == "1"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"message": {"format": "%(message)s"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "message"},
        "none": {"class": "logging.NullHandler"},
    },
    "loggers": {
        "asbhub.requests": {
            "handlers": ["stderr" if _REQUEST_LOG else "none"],
            "level": "INFO",
            "propagate": False,
        }
    },
}
if ASBHUB_PRODUCTION:
    # What `manage.py check --deploy` asks for; TLS ends at the reverse proxy, which sends
    # X-Forwarded-Proto (trusted from ASBHUB_TRUSTED_PROXY only). /healthz stays reachable
    # over plain HTTP on the loopback for probes.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("ASBHUB_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("ASBHUB_HSTS_PRELOAD", "1") == "1"
# -- end production
