"""API tokens: a secret shown once, kept only as its SHA-256, found by a short public prefix."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for the JSON API, acting as its user with that user's permissions.

    The token itself is ``asb_<prefix>_<secret>``: ``prefix`` finds the row without a scan,
    ``token_hash`` (SHA-256 of the whole token) proves the secret. The secret is shown once,
    when the token is created, and never stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'GIS import'")
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(help_text="The token stops working at this time")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} (asb_{self.prefix}_..., {self.user})"

    def status(self, now: dt.datetime) -> str:
        """``live``, ``revoked`` or ``expired`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires:
            return "expired"
        return "live"
