"""`asbhub api token create | list | revoke`: API tokens from the command line.

Registered by :func:`add_api_commands` on the main parser (see :mod:`asbhub.cli`). A created
token is printed once, on standard output, and never stored: only its SHA-256 is kept.
"""

from __future__ import annotations

import argparse
import os
import sys

from asbhub.cli.common import DB_HELP
from asbhub.records.tokens import DEFAULT_DAYS, MAX_DAYS


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``api token create | list | revoke`` on the main parser's sub-commands."""
    api = sub.add_parser("api", help="the JSON API: tokens for programs that use it")
    asub = api.add_subparsers(title="api commands", metavar="APICOMMAND")
    token = asub.add_parser("token", help="create, list and revoke API tokens")
    tsub = token.add_subparsers(title="token commands", metavar="TOKENCOMMAND")

    create = tsub.add_parser(
        "create",
        help="create a token for a user and print it once",
        description="The token acts as USER, with USER's permissions. It "
        "is printed once on standard output and not stored.",
    )
    create.add_argument("--user", required=True, help="username whose token it is")
    create.add_argument("--name", default="", help="what the token is for (shown in lists)")
    create.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        help=f"days until it expires, 1 to {MAX_DAYS} (default {DEFAULT_DAYS})",
    )
    create.add_argument("--db", help=DB_HELP)
    create.set_defaults(func=cmd_token_create)

    lst = tsub.add_parser("list", help="list a user's tokens (never the secrets)")
    lst.add_argument("--user", required=True, help="username")
    lst.add_argument("--db", help=DB_HELP)
    lst.set_defaults(func=cmd_token_list)

    revoke = tsub.add_parser(
        "revoke",
        help="revoke a token at once",
        description="Name the token by the prefix `token list` shows, or paste the whole token.",
    )
    revoke.add_argument("token", metavar="PREFIX_OR_TOKEN")
    revoke.add_argument("--db", help=DB_HELP)
    revoke.set_defaults(func=cmd_token_revoke)


def _open(db: str | None) -> None:
    from asbhub.store.db import open_store

    if db:
        # The token tables are read through Django's default alias: make that this store.
        os.environ["ASBHUB_DB"] = db
    open_store(db)


def _user(username: str):  # noqa: ANN202 - User
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValueError(f"no user {username!r}; create the account first (asbhub admin pages)")
    return user


def cmd_token_create(args: argparse.Namespace) -> int:
    _open(args.db)
    from asbhub.records.tokens.services import create_token

    user = _user(args.user)
    new = create_token(user, args.name, args.days, channel="cli")
    sys.stderr.write(
        f"token {new.token.name!r} for {user.get_username()}, expires "
        f"{new.token.expires:%Y-%m-%d %H:%M} UTC; shown once, copy it now:\n"
    )
    sys.stdout.write(new.secret + "\n")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    _open(args.db)
    from django.utils import timezone

    from asbhub.records.tokens.services import tokens_of

    now = timezone.now()
    for t in tokens_of(_user(args.user)):
        used = f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never"
        sys.stdout.write(
            f"asb_{t.prefix}_...  {t.status(now):8}  expires {t.expires:%Y-%m-%d}  "
            f"last used {used}  {t.name}\n"
        )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _open(args.db)
    from asbhub.records.tokens.services import find_token, revoke_token

    token = find_token(args.token)
    if revoke_token(token, channel="cli"):
        sys.stderr.write(
            f"revoked asb_{token.prefix}_... ({token.name}, {token.user.get_username()})\n"
        )
    else:
        sys.stderr.write(f"asb_{token.prefix}_... was already revoked\n")
    return 0
