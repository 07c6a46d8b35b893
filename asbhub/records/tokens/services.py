"""Creating, checking and revoking API tokens; every creation and revocation is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from asbhub.records.partners.access import record_access
from asbhub.records.partners.models import AuditAction
from asbhub.records.tokens import DEFAULT_DAYS, MAX_DAYS
from asbhub.records.tokens.models import ApiToken

#: Why tokens are made and revoked, as the audit log records it.
TOKEN_PURPOSE = "Managing API access tokens"

#: ``last_used`` is written at most this often per token, so a busy client does not turn
#: every read into a write.
LAST_USED_EVERY = dt.timedelta(minutes=1)

TOKEN_RE = re.compile(r"^asb_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")


class TokenError(ValueError):
    """A token could not be created or revoked; the message says what to do."""


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is the full bearer token, shown this once only."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class Checked:
    """The result of checking a bearer token: the user, or why not (a full sentence)."""

    user: Any = None
    token: ApiToken | None = None
    reason: str = ""


def hash_token(raw: str) -> str:
    """SHA-256 (hex) of the whole token text."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(
    user: Any,
    name: str = "",
    days: int = DEFAULT_DAYS,
    *,
    request: HttpRequest | None = None,
    by: Any = None,
    channel: str = "web",
) -> NewToken:
    """A new token for ``user`` that expires after ``days`` days.

    Parameters
    ----------
    user : User
        Whose token: API calls with it act as this user, with this user's permissions.
    name : str
        What it is for; default "API token".
    days : int
        1 to :data:`MAX_DAYS`.
    request : HttpRequest, optional
        Gives the client address for the audit entry.
    by : User, optional
        Who made it (default ``user``), for the audit entry.
    channel : str
        ``web`` or ``cli``, for the audit entry.

    Raises
    ------
    TokenError
        ``days`` out of range, or the account is inactive.
    """
    if not 1 <= int(days) <= MAX_DAYS:
        raise TokenError(f"a token lasts 1 to {MAX_DAYS} days; {days} was asked for")
    if not user.is_active:
        raise TokenError(
            f"the account {user.get_username()!r} is inactive: activate it before giving it a token"
        )
    name = (name or "API token").strip()[:100] or "API token"
    now = timezone.now()
    prefix = secrets.token_hex(6)
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 1 in 2**48
        prefix = secrets.token_hex(6)
    secret = f"asb_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        token_hash=hash_token(secret),
        created=now,
        expires=now + dt.timedelta(days=int(days)),
    )
    record_access(
        by or user,
        AuditAction.CREATE,
        token,
        purpose=TOKEN_PURPOSE,
        request=request,
        detail={
            "token_user": user.get_username(),
            "prefix": prefix,
            "expires": token.expires.isoformat(),
            "channel": channel,
        },
    )
    return NewToken(token=token, secret=secret)


def revoke_token(
    token: ApiToken, *, by: Any = None, request: HttpRequest | None = None, channel: str = "web"
) -> bool:
    """Revoke ``token`` now; False (and nothing written) if it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_access(
        by or token.user,
        AuditAction.CHANGE,
        token,
        purpose=TOKEN_PURPOSE,
        request=request,
        detail={
            "token_user": token.user.get_username(),
            "prefix": token.prefix,
            "revoked": True,
            "channel": channel,
        },
    )
    return True


def find_token(prefix_or_token: str) -> ApiToken:
    """The token named by its prefix (``3f9a...``, ``asb_3f9a..._``) or its full text."""
    text = prefix_or_token.strip()
    match = TOKEN_RE.match(text)
    prefix = match.group(1) if match else text.removeprefix("asb_").split("_", 1)[0]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None:
        raise TokenError(
            f"no token with prefix {prefix!r}; `asbhub api token list --user U` "
            "shows a user's tokens"
        )
    return token


def check_token(raw: str, now: dt.datetime | None = None) -> Checked:
    """Who ``raw`` authenticates, or why it does not.

    A revoked or expired token, or one whose user is inactive, authenticates no one.
    """
    now = now or timezone.now()
    match = TOKEN_RE.match(raw.strip())
    # Hash even a malformed or unknown token, so the time taken does not tell a guesser which.
    digest = hash_token(raw.strip())
    token = None
    if match:
        token = ApiToken.objects.select_related("user").filter(prefix=match.group(1)).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return Checked(
            reason="The bearer token is not one asbhub issued (check it was copied "
            "whole: it starts with asb_)."
        )
    status = token.status(now)
    if status == "revoked":
        return Checked(reason="This token was revoked; create a new one.")
    if status == "expired":
        return Checked(reason=f"This token expired on {token.expires:%Y-%m-%d}; create a new one.")
    if not token.user.is_active:
        return Checked(reason="The account this token belongs to is inactive.")
    if token.last_used is None or now - token.last_used >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return Checked(user=token.user, token=token)


def tokens_of(user: Any) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(ApiToken.objects.filter(user=user).order_by("-created", "-pk"))
