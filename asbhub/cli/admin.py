"""`asbhub audit verify`, `asbhub briefing` and `asbhub synth ...`: housekeeping, the daily
briefing and synthetic data commands."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from asbhub.cli.common import DB_HELP


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``report``, ``audit`` and ``synth`` on the main parser's sub-commands."""
    report = sub.add_parser("report", help="write reports from the store")
    rsub = report.add_subparsers(title="report commands", metavar="REPORTCOMMAND")
    scr = rsub.add_parser(
        "scrutiny",
        help="the Performance Scrutiny report (HTML and PDF)",
        description="Writes DIR/scrutiny-YYYY-MM.html and .pdf with the "
        "structure of the Chief Constable's report to the "
        "Commissioner's scrutiny meeting, from the data loaded.",
    )
    scr.add_argument(
        "--period", required=True, metavar="YYYY-MM", help="the last month the report covers"
    )
    scr.add_argument("--area", help="an LPU (or district) to limit the tables to")
    scr.add_argument("--db", help=DB_HELP)
    scr.add_argument(
        "--force",
        metavar="NAME",
        help="the force the report is about (any case), as the store names it "
        "(default: $ASBHUB_FORCE, else the force with the most published "
        "police.uk records; docs/scope.md); the comparison with other forces "
        "uses every real force, never synthetic data",
    )
    scr.add_argument("--out", required=True, type=Path, metavar="DIR")
    scr.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    case = scr.add_argument_group("case study (appendix A): a stored PMP evaluated")
    case.add_argument("--case-study", metavar="PMP", help="the PMP's reference or number")
    case.add_argument(
        "--case-start",
        metavar="YYYY-MM",
        help="first month of the PMP's response (required with --case-study)",
    )
    case.add_argument(
        "--case-end", metavar="YYYY-MM", help="last month of the response (default: --case-start)"
    )
    case.add_argument(
        "--case-months",
        type=int,
        default=3,
        metavar="N",
        help="months counted before and after the response (default 3)",
    )
    case.add_argument(
        "--case-buffer",
        type=float,
        default=500.0,
        metavar="M",
        help="buffer ring around the PMP's LSOAs, in metres (default 500)",
    )
    scr.set_defaults(func=cmd_report_scrutiny)

    link = sub.add_parser(
        "link",
        help="link a CSV of person records: who is the same person",
        description="Writes the input columns plus each record's cluster id "
        "and best match weight. Standard column names: first_name, "
        "surname, date_of_birth, address, postcode, phone, email "
        "(any may be missing); --columns maps others.",
    )
    link.add_argument("people", type=Path, metavar="PEOPLE.csv")
    link.add_argument("--out", type=Path, required=True, metavar="CLUSTERS.csv")
    link.add_argument(
        "--columns",
        metavar="MAP",
        help="e.g. first_name=Forename,surname=Family name,address=House+Street",
    )
    link.add_argument("--id-column", help="a column of unique record ids (default: row numbers)")
    link.add_argument(
        "--review-out",
        type=Path,
        metavar="REVIEW.csv",
        help="also write the uncertain pairs for an analyst to confirm or reject",
    )
    link.set_defaults(func=cmd_link)

    audit = sub.add_parser("audit", help="check the audit log of access to personal data")
    asub = audit.add_subparsers(title="audit commands", metavar="AUDITCOMMAND")
    ver = asub.add_parser(
        "verify",
        help="recompute the hash chain and report any tampering",
        description="Exit status 0 when the chain is intact, 1 when an entry "
        "was changed, removed or reordered (or an anchor no "
        "longer holds), 2 when an anchor file cannot be read.",
    )
    ver.add_argument("--db", help=DB_HELP)
    # Anchors (issue #10 class 11): the head kept outside the database, see docs/sharing.md.
    ver.add_argument(
        "--anchor",
        type=Path,
        metavar="FILE",
        help="also check every anchor in FILE (from `asbhub audit anchor`): finds "
        "a rewrite at or before the latest anchor even with the head row "
        "rewritten too",
    )
    ver.add_argument(
        "--head",
        action="append",
        default=[],
        metavar="N:HASH",
        help="also check a head published elsewhere (the scrutiny report's "
        "annex): entry #N must still have HASH; may be repeated",
    )
    ver.set_defaults(func=cmd_audit_verify)
    anc = asub.add_parser(
        "anchor",
        help="append the chain's head to an append-only file outside the database (run daily)",
        description="Verifies the chain and the anchors already in FILE, "
        "then appends one JSON line: time, store, entry number, "
        "id and hash of the last entry, and the hash of FILE's "
        "previous line. Exit 1, writing nothing, when the chain "
        "or an earlier anchor no longer holds.",
    )
    anc.add_argument(
        "--to",
        required=True,
        type=Path,
        metavar="FILE",
        help="the anchor file (opened to append only; keep it off the database "
        "server or chattr +a)",
    )
    anc.add_argument("--db", help=DB_HELP)
    anc.set_defaults(func=cmd_audit_anchor)

    synth = sub.add_parser(
        "synth",
        help="write synthetic data with ground truth (clearly labelled, fictional people only)",
    )
    ssub = synth.add_subparsers(title="synth commands", metavar="SYNTHCOMMAND")
    calls = ssub.add_parser("calls", help="999/101/triage/online calls calibrated on seed 003")
    calls.add_argument("out", type=Path, metavar="OUT.csv")
    calls.add_argument("--start", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    calls.add_argument("--end", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    calls.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    calls.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="volume multiplier, e.g. 0.1 for a tenth of a force (default 1)",
    )
    calls.set_defaults(func=cmd_synth_calls)
    people = ssub.add_parser("people", help="person records with the true person_id of each")
    people.add_argument("out", type=Path, metavar="OUT.csv")
    people.add_argument("-n", type=int, default=10_000, help="records (default 10,000)")
    people.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    people.set_defaults(func=cmd_synth_people)
    inc = ssub.add_parser(
        "incidents",
        help="a force incident export (crime, ASB, ROC) with fictional people, on real places",
        description="Writes OUT.csv in the force export format "
        "(docs/force-export.md), ready for `asbhub ingest`, and "
        "OUT-truth.csv: the true person behind each person group.",
    )
    inc.add_argument("out", type=Path, metavar="OUT.csv")
    inc.add_argument("--start", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    inc.add_argument("--end", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    inc.add_argument("-n", type=int, default=5_000, help="incidents (default 5,000)")
    inc.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    inc.set_defaults(func=cmd_synth_incidents)

    brief = sub.add_parser(
        "briefing",
        help="the daily briefing: incidents by LPU, repeat "
        "victims and locations, hot spots, PMP reviews",
        description="Writes the morning briefing for --date as one HTML "
        "page. It covers --since (default the day before) to "
        "the day before --date. Contains personal data.",
    )
    brief.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day of the briefing (default today)",
    )
    brief.add_argument(
        "--since",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="first day covered (default the day before --date)",
    )
    brief.add_argument("--db", help=DB_HELP)
    brief.add_argument(
        "--out", type=Path, metavar="FILE.html", help="default briefing-YYYY-MM-DD.html"
    )
    brief.set_defaults(func=cmd_briefing)


def cmd_report_scrutiny(args: argparse.Namespace) -> int:
    from asbhub.reports.scrutiny import write_scrutiny
    from asbhub.store.db import open_store

    case = None
    if args.case_study:
        from asbhub.reports.scrutiny import PmpCaseStudy

        case = PmpCaseStudy(
            args.case_study,
            start=args.case_start,
            end=args.case_end,
            before_months=args.case_months,
            buffer_m=args.case_buffer,
        )
    elif args.case_start or args.case_end:
        raise ValueError("--case-start and --case-end need --case-study PMP")
    from asbhub.cli.common import command_scope, scope_line

    store = open_store(args.db)
    # Issue #12: the scope the report counts, and what it leaves out, as the dashboard.
    scope = command_scope(store, args.force)
    sys.stderr.write(scope_line(store, scope) + "\n")
    force = scope.force
    written = write_scrutiny(
        store,
        args.period,
        args.out,
        area=args.area,
        pdf=not args.no_pdf,
        case_study=case,
        force=force,
    )
    for kind, path in written.items():
        sys.stdout.write(f"wrote {path} ({kind})\n")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from asbhub.linkage import link_csv

    result = link_csv(
        args.people,
        args.out,
        columns=args.columns,
        id_column=args.id_column,
        review_out=args.review_out,
    )
    records = result.records
    people = records["cluster_id"].n_unique()
    sys.stdout.write(
        f"wrote {args.out}: {records.height:,} records linked into {people:,} "
        f"people; {result.review.height:,} uncertain pair(s) for review"
        + (f" in {args.review_out}" if args.review_out else "")
        + "\n"
    )
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from asbhub.store.db import setup_django

    setup_django()
    from asbhub.records.partners.audit import verify_store

    if getattr(args, "anchor", None) is not None or getattr(args, "head", None):
        from asbhub.records.partners.anchor import check_store

        anchored = check_store(args.anchor, args.db, args.head)
        sys.stdout.write(anchored.summary() + "\n")
        return 0 if anchored.ok else 1
    result = verify_store(args.db)
    sys.stdout.write(result.summary() + "\n")
    return 0 if result.ok else 1


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    from asbhub.store.db import setup_django

    setup_django()
    from asbhub.records.partners.anchor import NotAnchored, anchor_store

    try:
        line = anchor_store(args.to, args.db)
    except NotAnchored as exc:
        sys.stdout.write(f"{exc}\n")
        return 1
    sys.stdout.write(f"anchored #{line['seq']} (hash {line['hash']}) to {args.to}\n")
    return 0


def cmd_synth_calls(args: argparse.Namespace) -> int:
    from asbhub.synth import generate_calls, write_calls_csv

    if args.end < args.start:
        raise ValueError(f"--end {args.end} is before --start {args.start}")
    calls = generate_calls(args.start, args.end, seed=args.seed, scale=args.scale)
    path = write_calls_csv(calls, args.out)
    sys.stdout.write(
        f"wrote {path}: {calls.height:,} synthetic calls, {args.start} to "
        f"{args.end}, seed {args.seed}\n"
    )
    return 0


def cmd_synth_people(args: argparse.Namespace) -> int:
    from asbhub.synth import generate_people

    people = generate_people(args.n, seed=args.seed)
    people.write_csv(args.out)
    sys.stdout.write(
        f"wrote {args.out}: {people.height:,} synthetic person records "
        f"({people['person_id'].n_unique():,} people), seed {args.seed}\n"
    )
    return 0


def cmd_synth_incidents(args: argparse.Namespace) -> int:
    from asbhub.synth.incidents import generate_force_export, write_force_export_csv

    export, truth = generate_force_export(args.start, args.end, seed=args.seed, n_incidents=args.n)
    path = write_force_export_csv(export, args.out)
    truth_path = path.with_name(path.stem + "-truth.csv")
    truth.write_csv(truth_path)
    sys.stdout.write(
        f"wrote {path}: {export.height:,} synthetic incidents, {args.start} to "
        f"{args.end}, seed {args.seed}; ground truth in {truth_path}\n"
    )
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    from asbhub.reports.briefing import write_briefing
    from asbhub.store.db import open_store

    day = args.date or date.today()
    out = args.out or Path(f"briefing-{day.isoformat()}.html")
    data = write_briefing(open_store(args.db), day, str(out), since=args.since)
    sys.stdout.write(
        f"wrote {out}: briefing for {day}, {data.n_incidents:,} incidents since "
        f"{data.since}, {data.repeat_victim_rows.height:,} repeat victims new or "
        f"rising\n"
    )
    return 0
