"""`asbhub ...`: the command line. Thin: parse arguments, call the library, print the result.

The parser is built here from the command groups, one module each in this package; each
group module has a ``register(sub)`` function that adds its commands to the main parser's
sub-commands. Groups import only :mod:`asbhub.cli.common` (shared helpers), never each other.
The order of :data:`GROUPS` is the order of the commands in ``asbhub --help``.
"""

from __future__ import annotations

import argparse
import os
import sys

from rich.markup import escape

from asbhub.cli import admin, analysis, api, evaluate, forecast, people, places, store, weekly
from asbhub.cli.common import prepare_store
from asbhub.cli.common import stderr_console as err

# Said once under the command list (issue #12 item 5; see asbhub.cli.common).
STORE_NOTES = (
    "Every command prints the store it uses on stderr ('store: PATH', a URL without "
    "its password). Commands that only read (all but ingest, db upgrade, demo and "
    "api token create) refuse a store that does not exist or has no asbhub tables: "
    "make one with 'asbhub ingest' or 'asbhub db upgrade'. Choices such as --method "
    "or --record-type may be given in any case."
)

#: The command groups, registered in this order. To add a group: write
#: ``asbhub/cli/<group>.py`` with ``register(sub)`` and list it here (docs/development.md).
GROUPS = (
    store,  # ingest, db, serve, demo
    analysis,  # hotspots, trends
    evaluate,  # near-repeat, evaluate (the analyses that need event dates)
    forecast,  # hotspots-evaluate, run as `asbhub hotspots evaluate` (issue #16)
    places,  # places (issue #16 item 4)
    admin,  # report scrutiny, link, audit, synth, briefing
    api,  # api token
    people,  # people link
    weekly,  # report weekly, briefing --format (after admin: it extends admin's parsers)
)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # issue #16: `asbhub hotspots evaluate ...` is the `hotspots-evaluate` command.
    args = parser.parse_args(forecast.rewrite_argv(list(sys.argv[1:] if argv is None else argv)))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        # Which store, said on every run; a read of a store that is not there is refused
        # (issue #12 item 5, asbhub.cli.common).
        # Settings read from the environment, set before prepare_store may start Django (it
        # does for a PostgreSQL store) (issue #18 item 5).
        if getattr(args, "production", False):
            os.environ["ASBHUB_PRODUCTION"] = "1"
        if getattr(args, "trusted_proxy", None):
            store.proxy_env(args)
        prepare_store(args, lambda text: err.print(text, markup=False, highlight=False))
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        err.print(
            "[red]interrupted[/]: the file being loaded was rolled back; files already "
            "reported are stored"
        )
        return 130
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error[/]: {escape(str(exc))}")  # names and values are input: no markup
        return 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="asbhub",
        description="Find and tackle anti-social behaviour and neighbourhood crime.",
        epilog=STORE_NOTES,
    )
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return p
