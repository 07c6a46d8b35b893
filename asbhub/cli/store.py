"""`asbhub ingest | db | serve | demo`: load the store, keep it and serve it.

Registered by :func:`register`, first of the command groups (:mod:`asbhub.cli.main`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from asbhub.cli.common import DB_HELP
from asbhub.cli.common import stderr_console as err


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ingest``, ``db``, ``serve`` and ``demo`` to the main parser's sub-commands."""
    ing = sub.add_parser(
        "ingest",
        help="load data.police.uk street files or a force export",
        description="Load files, folders (searched recursively) or zip "
        "archives. Each file is one transaction. Files in a "
        "folder that are not a known source (lookup tables, "
        "shapefiles, outcomes files) are skipped and listed; a "
        "file named directly is always read.",
    )
    ing.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files, folders or .zip archives (as downloaded from data.police.uk)",
    )
    ing.add_argument("--db", help=DB_HELP)
    ing.add_argument(
        "--rejects",
        type=Path,
        metavar="FILE",
        help="write rejected rows here (default: asbhub-rejects-<time>.csv in the "
        "current folder, only when there are any)",
    )
    ing.add_argument(
        "--strict",
        action="store_true",
        help="a file with any rejected row is not loaded, and the exit status is 1",
    )
    ing.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    # -- zip archive caps (asbhub/ingest/archives.py; defaults also from ASBHUB_ZIP_*) --
    ing.add_argument(
        "--zip-max-member",
        metavar="SIZE",
        help="largest size a zip member may expand to, e.g. 4GiB (default: "
        "$ASBHUB_ZIP_MAX_MEMBER, else 4GiB)",
    )
    ing.add_argument(
        "--zip-max-ratio",
        type=float,
        metavar="N",
        help="largest uncompressed:compressed ratio of a zip member over 64 MiB "
        "(default: $ASBHUB_ZIP_MAX_RATIO, else 200)",
    )
    ing.set_defaults(func=cmd_ingest)

    db = sub.add_parser("db", help="database housekeeping")
    dbsub = db.add_subparsers(title="db commands", metavar="DBCOMMAND")
    up = dbsub.add_parser("upgrade", help="create or migrate the tables")
    up.add_argument("--db", help=DB_HELP)
    up.set_defaults(func=cmd_db_upgrade)
    # -- db backup / db restore (issue #18 item 4): asbhub/cli/db.py, a part of this group --
    from asbhub.cli.db import add_db_commands

    add_db_commands(dbsub, db_help=DB_HELP)
    # -- end db backup / restore

    srv = sub.add_parser("serve", help="serve the web app")
    _serve_args(srv)
    # -- production (issue #18 item 5): asbhub/web/production.py, docs/deploy.md --
    srv.add_argument(
        "--production",
        action="store_true",
        help="refuse to start with an unsafe configuration (debug on, no or a development "
        "secret key, no HTTPS, SQLite with several workers); turn on HTTPS redirects, HSTS "
        "and one JSON log line per request",
    )
    srv.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (default 1; more need PostgreSQL)",
    )
    # -- end production
    srv.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="load the bundled real Derbyshire sample and serve it")
    _serve_args(demo)
    demo.add_argument("--no-serve", action="store_true", help="load only; do not serve")
    demo.set_defaults(func=cmd_demo)


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    # Server limits and the reverse proxy (issue #10): see asbhub.web.serving, docs/serving.md.
    p.add_argument(
        "--threads", type=int, help="requests answered at once (default $ASBHUB_THREADS, else 8)"
    )
    p.add_argument(
        "--connection-limit",
        type=int,
        help="open connections before new ones wait (default $ASBHUB_CONNECTION_LIMIT, else 1000)",
    )
    p.add_argument(
        "--channel-timeout",
        type=int,
        help="seconds an idle connection is kept (default $ASBHUB_CHANNEL_TIMEOUT, else 30)",
    )
    p.add_argument(
        "--cleanup-interval",
        type=int,
        help="seconds between sweeps of timed-out "
        "connections (default $ASBHUB_CLEANUP_INTERVAL, else 10)",
    )
    p.add_argument(
        "--trusted-proxy",
        metavar="ADDRESS",
        help="the reverse proxy's IP "
        "address, whose X-Forwarded-For/-Proto/-Host are believed "
        "(default $ASBHUB_TRUSTED_PROXY, else none)",
    )


# -- ingest --------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from asbhub.ingest.archives import ZipLimits
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.db import open_store

    limits = ZipLimits.from_env(max_member=args.zip_max_member, max_ratio=args.zip_max_ratio)
    skipped: list[dict[str, str]] = []  # files in folders that are not a known source
    inputs = list(expand_inputs(args.paths, limits, skipped))
    if not inputs:
        raise ValueError(
            "no .csv, .jsonl or .zip files found under "
            + ", ".join(str(p) for p in args.paths)
            + (
                f" ({len(skipped):,} file(s) skipped as not a known source, e.g. "
                f"{skipped[0]['path']}: {skipped[0]['reason']})"
                if skipped
                else ""
            )
        )
    store = open_store(args.db)
    result = _ingest_with_progress(store, inputs, args.strict)
    rejects_path = _write_rejects(result, args.rejects)
    if args.json:
        out = result.as_json()
        out["rejects_file"] = str(rejects_path) if rejects_path else None
        out["db"] = _display_url(store.url)
        out["skipped"] = skipped
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        _print_summary(result, rejects_path)
        for s in skipped:
            err.print(f"skipped {s['path']}: {s['reason']}", markup=False, highlight=False)
    return 0 if result.ok else 1


def _ingest_with_progress(store, inputs, strict: bool):  # noqa: ANN001, ANN202
    from asbhub.store.loaders import LoadResult, ingest_iter

    result = LoadResult()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("loading", total=len(inputs))
        for f in ingest_iter(store, inputs, strict=strict):
            result.files.append(f)
            bar.advance(task)
    return result


def _write_rejects(result, path: Path | None) -> Path | None:  # noqa: ANN001
    rejects = result.rejects
    if not rejects and path is None:
        return None
    if path is None:
        path = Path(f"asbhub-rejects-{datetime.now():%Y%m%d-%H%M%S}.csv")
    from asbhub.outputs.csvsafe import safe_writer

    columns = ["file", "line", "field", "value", "reason"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = safe_writer(fh)  # a rejected value may be "=HYPERLINK(...)": written as text
        w.writerow(columns)
        for r in rejects:
            row = r.as_row()
            w.writerow([row[c] for c in columns])
    return path


def _print_summary(result, rejects_path: Path | None) -> None:  # noqa: ANN001
    # A pipe or log gets a wide table rather than rich's 80 columns, so file names stay whole.
    out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 140)
    t = Table(title="Rows read = stored + already stored + rejected")
    keys = ("read", "stored", "already_stored", "rejected", "replaced", "updated")
    t.add_column("file", overflow="fold")
    for k in keys:
        t.add_column(k.replace("_", " "), justify="right")
    for f in result.files:
        t.add_row(escape(_short(f.path)), *(f"{getattr(f, k):,}" for k in keys))
    tot = result.totals()
    t.add_row("[b]total[/]", *(f"[b]{tot[k]:,}[/]" for k in keys))
    out.print(t)
    for f in result.files:
        if f.error:
            out.print(f"[red]failed[/] {escape(f.path)}: {escape(f.error)}")
    shown = result.rejects[:10]
    for r in shown:
        out.print(
            "[yellow]rejected[/] "
            + escape(f"{r.file} line {r.line}, {r.field} {r.value!r}: {r.reason}")
        )
    if rejects_path:
        more = len(result.rejects) - len(shown)
        extra = f" ({more:,} more than shown)" if more > 0 else ""
        out.print(f"{len(result.rejects):,} reject(s) listed in {rejects_path}{extra}")
    if tot["replaced"]:
        out.print(
            f"{tot['replaced']:,} row(s) of republished data.police.uk months were "
            "replaced by the new edition"
        )
    if tot["updated"]:
        out.print(
            f"{tot['updated']:,} force-export incident(s) changed since they were stored "
            "and were updated (counted as stored)"
        )


def _short(path: str) -> str:
    # An archive member reads best as archive-name!member; a long path keeps its tail.
    if "!" in path:
        archive, member = path.split("!", 1)
        path = f"{Path(archive).name}!{member}"
    return path if len(path) <= 60 else "..." + path[-57:]


def _display_url(url: str) -> str:
    # Never print a password that came in a URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


# -- db, serve, demo ------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from asbhub.store.db import open_store

    store = open_store(args.db, upgrade=False)
    store.upgrade(verbosity=1)
    err.print(f"database ready: {_display_url(store.url)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from asbhub.store.db import open_store

    if args.db:
        os.environ["ASBHUB_DB"] = args.db
    proxy_env(args)
    if args.production:  # before Django reads its settings (issue #18 item 5)
        os.environ["ASBHUB_PRODUCTION"] = "1"
    store = open_store(args.db)
    if args.production or args.workers != 1:
        from asbhub.web.production import unsafe_settings, workers_problem

        if args.workers < 1:
            raise ValueError(f"--workers must be at least 1; got {args.workers}")
        problems = (
            unsafe_settings(args.workers, store.vendor)
            if args.production
            else [p for p in [workers_problem(args.workers, store.vendor)] if p]
        )
        if problems:
            err.print(
                f"[red]error[/]: refusing to serve: {len(problems)} unsafe setting(s)", end=""
            )
            err.print(":\n" + "\n".join(f"  - {p}" for p in problems), markup=False)
            return 2
    return _serve(store, args.host, args.port, args)


def proxy_env(args: argparse.Namespace) -> None:
    """--trusted-proxy also tells Django (its settings read the variable) to believe the
    proxy's X-Forwarded-Proto; set before Django starts."""
    if getattr(args, "trusted_proxy", None):
        os.environ["ASBHUB_TRUSTED_PROXY"] = args.trusted_proxy


def _serve(store, host: str, port: int, args: argparse.Namespace) -> int:  # noqa: ANN001
    import waitress

    from asbhub.web.serving import waitress_options
    from asbhub.web.wsgi import application

    opts = waitress_options(
        threads=args.threads,
        connection_limit=args.connection_limit,
        channel_timeout=args.channel_timeout,
        cleanup_interval=args.cleanup_interval,
        trusted_proxy=args.trusted_proxy,
    )
    proxy = f"; trusted proxy {opts['trusted_proxy']}" if "trusted_proxy" in opts else ""
    err.print(
        f"asbhub on http://{host}:{port}/ (database {_display_url(store.url)}; "
        f"{opts['threads']} threads, {opts['connection_limit']} connections{proxy}); "
        "Ctrl-C stops it"
    )
    try:
        if getattr(args, "workers", 1) > 1:  # issue #18 item 5: asbhub/web/production.py
            from asbhub.web.production import serve_workers

            return serve_workers(
                application, host, port, args.workers, opts, lambda t: err.print(t, markup=False)
            )
        waitress.serve(application, host=host, port=port, _quiet=True, **opts)
    except OSError as exc:  # the bind failed: one line, not a traceback (issue #12 item 5)
        import errno

        if exc.errno != errno.EADDRINUSE:
            raise
        err.print(
            f"[red]error[/]: port {port} on {host} is already in use (another asbhub "
            "or program listens there): stop it, or choose another with --port"
        )
        return 1
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from asbhub.data import sample_paths
    from asbhub.demo.seed import seed_demo
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.db import open_store

    if args.db:
        os.environ["ASBHUB_DB"] = args.db
    proxy_env(args)
    store = open_store(args.db)
    err.print(
        "loading the bundled sample: data.police.uk street-level crime and ASB for "
        "Derbyshire (Open Government Licence v3.0)"
    )
    result = _ingest_with_progress(store, list(expand_inputs(sample_paths())), False)
    _print_summary(result, _write_rejects(result, None))
    if not result.ok:
        return 1
    if not seed_demo(store, _report_demo_step).ok:
        return 1
    url = f"http://{args.host}:{args.port}"
    err.print(
        f"[b]Daily briefing[/] (sign in first, e.g. as demo.analyst): {url}/briefing/ ; "
        f"weekly LPU pack: {url}/weekly/ ; scrutiny dashboard (e.g. as demo.opcc): "
        f"{url}/scrutiny/dashboard/"
    )
    if args.no_serve:
        return 0
    return _serve(store, args.host, args.port, args)


def _report_demo_step(step: str, made: Any) -> None:
    """Print what one step of :func:`asbhub.demo.seed.seed_demo` made."""
    if step == "partners":
        err.print(
            "[b]Demonstration accounts[/] (fictional agencies and people; passwords are "
            "new on every run and shown only now):"
        )
        for user, password in sorted(made.items()):
            err.print(f"  {user:<28} {password}")
    elif step == "cases":
        err.print(
            "[b]Demonstration cases[/] (invented, titled 'DEMONSTRATION:'): "
            + ", ".join(f"{kind.replace('_', ' ')}: {n}" for kind, n in made.items())
        )
    elif step == "incidents":
        result, info = made
        err.print(
            "generated SYNTHETIC incidents with fictional people on the sample's real "
            "places, for the daily briefing and the weekly pack"
        )
        _print_summary(result, _write_rejects(result, None))
        err.print(
            f"[b]Synthetic incidents[/] (force '{info['force']}', seed {info['seed']}): "
            f"{info['incidents']:,} dated {info['around_sample']} and {info['recent']}"
        )
    elif step == "calls":
        result, info = made
        err.print(
            "generated a SYNTHETIC call log (999, 101, triage, online; calibrated on the "
            "force's reported figures) for the scrutiny report's call handling"
        )
        _print_summary(result, _write_rejects(result, None))
        periods = " and ".join(f"{a} to {b}" for a, b in info["periods"])
        channels = ", ".join(f"{c}: {n:,}" for c, n in info["calls"].items())
        err.print(
            f"[b]Synthetic calls[/] (force '{info['force']}', seed {info['seed']}, "
            f"scale {info['scale']}): {channels}; {periods}"
        )
    elif step == "people":
        if made.get("error"):
            err.print(f"[yellow]person linkage skipped:[/] {made['error']}")
        else:
            err.print(
                f"[b]Linked people[/]: {made['people']:,} records in "
                f"{made['clusters']:,} people; {made['open_pairs']:,} pairs to review"
            )
    elif step == "risk":
        err.print(f"[b]Demonstration risk assessments[/]: {made:,}")
