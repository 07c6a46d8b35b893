"""`asbhub briefing` (HTML or PDF) and `asbhub report weekly`: the tasking outputs.

Registered by :func:`add_tasking_commands` after the admin commands: ``weekly`` joins the
existing ``report`` group, and ``briefing`` gains ``--format`` (the command keeps its name and
options wherever its parser was first made).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from asbhub.cli.common import DB_HELP


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``report weekly`` and ``briefing --format`` to the main parser's sub-commands."""
    report = sub.choices.get("report") or sub.add_parser(
        "report", help="write reports from the store"
    )
    rsub = _subcommands(report) or report.add_subparsers(
        title="report commands", metavar="REPORTCOMMAND"
    )
    weekly = rsub.add_parser(
        "weekly",
        help="the weekly ASB data pack for an LPU inspector (HTML, CSV and a map)",
        description="Writes DIR/weekly-LPU-YYYY-MM-DD.html, .csv and .png: ASB by day, NSIR "
        "category and SNT for the seven days ending on --week-ending, against the "
        "average of the four weeks before, and a map. Needs dated records (the "
        "force export): data.police.uk data has months only.",
    )
    weekly.add_argument(
        "--lpu",
        required=True,
        metavar="NAME",
        help="the Local Policing Unit, as named in the area hierarchy",
    )
    weekly.add_argument(
        "--week-ending",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day of the week (default yesterday)",
    )
    weekly.add_argument(
        "--roc",
        action="store_true",
        help="count records of contact (ROCs) as well as ASB incidents",
    )
    weekly.add_argument("--db", help=DB_HELP)
    weekly.add_argument(
        "--force",
        metavar="NAME",
        help="only this force's records (any case), as the store names it "
        "(default: $ASBHUB_FORCE, else every force loaded)",
    )
    weekly.add_argument("--out", required=True, type=Path, metavar="DIR")
    weekly.set_defaults(func=cmd_report_weekly)

    # `asbhub briefing` is registered by asbhub.cli.admin, which GROUPS puts before this
    # group; this one adds the PDF format and the cut to it (a KeyError names a wrong order).
    brief = sub.choices["briefing"]
    brief.description = (
        "Writes the morning briefing for --date as one HTML page or a PDF "
        "marked OFFICIAL-SENSITIVE on every page: incidents by LPU, high risk, "
        "ASB Case Review thresholds met, repeat victims and locations, "
        "emerging hot spots, PMP reviews. It covers --since (default the "
        "previous working day) to the day before --date. Contains personal "
        "data."
    )
    for action in brief._actions:
        if action.dest == "since":
            action.help = "first day covered (default the previous working day)"
        elif action.dest == "out":
            action.metavar, action.help = "FILE", "default briefing-YYYY-MM-DD.html (or .pdf)"
    brief.add_argument(
        "--format",
        type=str.lower,
        choices=("html", "pdf"),
        default="html",
        help="html (default) or pdf (needs the 'pdf' extra)",
    )
    brief.add_argument(
        "--force",
        metavar="NAME",
        help="only this force's incidents (any case), as the store names it "
        "(default: $ASBHUB_FORCE, else every force loaded)",
    )
    # Issue #12 item 1: rows per section before "and N more" (0: the full, uncut briefing).
    brief.add_argument(
        "--limit",
        type=int,
        default=10,
        metavar="N",
        help="rows per section, ranked by risk, before 'and N more' (default 10; 0 for every row)",
    )
    brief.set_defaults(func=cmd_briefing)


def cmd_briefing(args: argparse.Namespace) -> int:
    from asbhub.reports.briefing import write_briefing
    from asbhub.store.db import open_store

    day = args.date or date.today()
    out = args.out or Path(f"briefing-{day.isoformat()}.{args.format}")
    store = open_store(args.db)
    from asbhub.cli.common import forces_line, resolve_force
    from asbhub.store.scope import configured_force

    # --force, else $ASBHUB_FORCE (issue #12); dated records of every force otherwise.
    force = resolve_force(store, args.force if args.force is not None else configured_force())
    sys.stderr.write(forces_line(store, force) + "\n")
    from asbhub.records.partners.access import PURPOSES, record_access
    from asbhub.records.partners.models import AuditAction
    from asbhub.web.tasking.services import person_key_map

    # The same people as the web page (linkage clusters once linked), and the file is an
    # export of personal data: audited like the page's PDF, as the command line's own channel.
    data = write_briefing(
        store,
        day,
        str(out),
        since=args.since,
        fmt=args.format,
        person_key=person_key_map(store.alias),
        force=force,
        limit=None if args.limit <= 0 else args.limit,
    )
    record_access(
        None,
        AuditAction.EXPORT,
        ("tasking.briefing", day.isoformat()),
        purpose=PURPOSES["tasking"],
        using=store.alias,
        detail={
            "channel": "cli",
            "format": args.format,
            "file": str(out),
            "os_user": _os_user(),
            "person_key": data.person_key_name,
        },
    )
    flags = data.case_review.rows.height if data.case_review else 0
    sys.stdout.write(
        f"wrote {out}: briefing for {day}, {data.n_incidents:,} incidents since "
        f"{data.since}, {data.repeat_victim_rows.height:,} repeat victims new or "
        f"rising, {flags:,} at the ASB Case Review threshold\n"
    )
    return 0


def cmd_report_weekly(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from asbhub.reports.weekly import write_weekly
    from asbhub.store.db import open_store

    week_ending = args.week_ending or date.today() - timedelta(days=1)
    types = ("asb", "roc") if args.roc else ("asb",)
    # --lpu in any case, as the other commands take it (issue #12 item 5).
    from asbhub.geo import area_hierarchy

    lpu = next((n for n in area_hierarchy().lpus if n.casefold() == args.lpu.casefold()), args.lpu)
    from asbhub.cli.common import forces_line, resolve_force
    from asbhub.store.scope import configured_force

    store = open_store(args.db)
    # --force, else $ASBHUB_FORCE (issue #12); dated records of every force otherwise.
    force = resolve_force(store, args.force if args.force is not None else configured_force())
    sys.stderr.write(forces_line(store, force) + "\n")
    paths = write_weekly(store, lpu, week_ending, args.out, record_types=types, force=force)
    for kind, path in paths.items():
        sys.stdout.write(f"wrote {path} ({kind})\n")
    return 0


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
