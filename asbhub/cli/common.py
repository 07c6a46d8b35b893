"""The helpers the command groups share; every group imports this module, none another group.

* ``--db``'s help (:data:`DB_HELP`), the consoles and :func:`print_out` / :func:`print_err`;
* the analysis commands' data options (:func:`data_arguments`), their filters, points, areas,
  ``--force`` scope and ``--harm-weights`` (:func:`harm_weights_of`);
* which store a command uses, said on every run, and a read refused when there is no store.

:func:`prepare_store` is called by :func:`asbhub.cli.main.main` before a command runs
(issue #12 item 5):

* ``--db`` takes a URL or a plain file path (a SQLite file); the URL resolved, from ``--db``,
  ``$ASBHUB_DB`` or the default, is printed on stderr as ``store: ...`` (a password in a URL
  never is);
* a command that only reads (every one but ``ingest``, ``db upgrade``, ``demo`` and
  ``api token create``) refuses a SQLite file that does not exist, or a database without
  asbhub's tables, naming it, rather than creating an empty store and reporting nothing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from asbhub.store.urls import db_url_from, default_db_url, sqlite_path

if TYPE_CHECKING:
    from asbhub.analysis_inputs import PointFilters, PointSet
    from asbhub.geo import AreaHierarchy

DB_HELP = (
    "database URL: sqlite:///path/to/file.sqlite3 or postgresql://user@host:port/db, "
    "or a plain SQLite file path "
    "(default: $ASBHUB_DB, else a SQLite file in your user data folder)"
)

# soft_wrap: messages are never broken mid-line, so logs and pipes keep them whole.
stderr_console = Console(stderr=True, soft_wrap=True)

#: Commands that may create the store they are given; every other command only reads one.
CREATES_STORE = frozenset({"cmd_ingest", "cmd_db_upgrade", "cmd_demo", "cmd_token_create"})
# A restore may write into a new store (issue #18 item 4).
CREATES_STORE |= {"cmd_db_restore"}

#: Commands that check their options first and the store when they open it
#: (:func:`open_read_store`), so a bad option is named before a missing store.
CHECKED_ON_OPEN = frozenset({"cmd_hotspots", "cmd_trends", "cmd_near_repeat", "cmd_evaluate"})

#: A table every asbhub store has once `asbhub db upgrade` has run.
ASBHUB_TABLE = "incidents_incident"


def prepare_store(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    """Resolve ``args.db``, print ``store: ...`` with ``say`` and check a read command's store.

    Raises
    ------
    FileNotFoundError
        A read command's SQLite file does not exist.
    ValueError
        The file or database is not an asbhub store, or cannot be reached.
    """
    if "db" not in vars(args):
        return
    if not _uses_store(args):
        say("store: not used (the command reads the files or counts given)")
        return
    url, origin = resolve(args.db)
    if args.db:
        args.db = url
    say(f"store: {display_url(url)}" + ("" if args.db else f" ({origin})"))
    name = getattr(args.func, "__name__", "")
    if name not in CREATES_STORE and name not in CHECKED_ON_OPEN:
        check_store(url, origin)


def resolve(db: str | None) -> tuple[str, str]:
    """The store's URL from ``--db``, ``$ASBHUB_DB`` or the default, and which it came from."""
    given = db or os.environ.get("ASBHUB_DB")
    origin = "--db" if db else "$ASBHUB_DB" if given else "the default store"
    return (db_url_from(given) if given else default_db_url()), origin


def open_read_store(db: str | None):  # noqa: ANN201 - asbhub.store.db.Store
    """Open the store a command reads, after :func:`check_store` (it is never created)."""
    from asbhub.store.db import open_store

    url, origin = resolve(db)
    check_store(url, origin)
    return open_store(url)


def _uses_store(args: argparse.Namespace) -> bool:
    name = getattr(args.func, "__name__", "")
    if name != "cmd_ingest" and getattr(args, "paths", None):
        return False  # the analyses read the files given instead of the store
    if name == "cmd_evaluate":  # from counts given by hand nothing is read
        return bool(args.response or args.control)
    return True


def display_url(url: str) -> str:
    """The store as a user can check it: a SQLite file's path, or the URL without password."""
    path = sqlite_path(url)
    if path is not None:
        return path
    url = url.split("?", 1)[0]  # a query string may carry a password too
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


def check_store(url: str, origin: str = "--db") -> None:
    """Refuse a store that does not exist or holds no asbhub tables, saying how to fix it."""
    path = sqlite_path(url)
    if path is None and url.lower().startswith("sqlite"):
        return  # :memory: (tests): nothing to check
    if path is not None:
        where = path
        if not Path(path).exists():
            raise FileNotFoundError(
                f"no store at {path} ({origin}): the file does not exist, and a command that "
                f"reads does not create one. Check the path for a typo, or load data into a "
                f"new store with `asbhub ingest FILE --db {path}` (an empty one: "
                f"`asbhub db upgrade --db {path}`)"
            )
        if Path(path).is_dir():
            raise ValueError(
                f"{path} ({origin}) is a folder; expected an asbhub store file "
                "such as asbhub.sqlite3"
            )
        tables = _sqlite_tables(path, origin)
    else:
        where = display_url(url)
        tables = _server_tables(url, where, origin)
    if ASBHUB_TABLE not in tables:
        found = f"it has {len(tables)} other table(s)" if tables else "it has no tables"
        raise ValueError(
            f"{where} ({origin}) is not an asbhub store: {found}. Create asbhub's "
            f"tables with `asbhub db upgrade --db {where}`, or check the path"
        )


def _sqlite_tables(path: str, origin: str) -> set[str]:
    from asbhub.store.db import sqlite_file_tables  # the SQL lives in asbhub.store

    try:
        return sqlite_file_tables(path)
    except sqlite3.DatabaseError as exc:
        raise ValueError(
            f"{path} ({origin}) is not a SQLite database ({exc}); expected an "
            "asbhub store made by `asbhub ingest` or `asbhub db upgrade`"
        ) from None


def _server_tables(url: str, where: str, origin: str) -> set[str]:
    from django.db import DatabaseError

    from asbhub.store.db import open_store

    store = open_store(url, upgrade=False)
    settings = store.connection.settings_dict
    try:
        return set(store.connection.introspection.table_names())
    except DatabaseError as exc:
        # The driver's message names the server and database but never the password.
        reason = " ".join(str(exc).split())
        raise ValueError(
            f"cannot open the store {where} ({origin}): database "
            f"{settings.get('NAME')!r} on {settings.get('HOST') or 'localhost'}:"
            f"{settings.get('PORT') or 5432}: {reason}. Check the host, port and "
            f"database name, or create it (createdb) and run `asbhub db upgrade`"
        ) from None


# -- --force: which force's records a command reads ------------------------------------------


def store_forces(store) -> dict[str, int]:  # noqa: ANN001 - asbhub.store.db.Store
    """Records in the store by force, as the loaded units name it, sorted by name."""
    from asbhub.store.query import store_forces as forces_in  # the SQL lives in asbhub.store

    return forces_in(store)


def resolve_force(store, name: str | None) -> str | None:  # noqa: ANN001
    """The force ``name`` (any case) as the store names it; an unknown one lists them."""
    if name is None:
        return None
    forces = store_forces(store)
    for force in forces:
        if force.casefold() == name.strip().casefold():
            return force
    held = ("; it holds " + ", ".join(forces)) if forces else "; it holds no records"
    raise ValueError(
        f"--force {name!r}: the store {display_url(store.url)} holds no records of that force{held}"
    )


def forces_line(store, force: str | None) -> str:  # noqa: ANN001
    """``records: Derbyshire Constabulary (23,677)``: the force(s) a command covers."""
    counts = store_forces(store)
    if force is not None:
        counts = {force: counts.get(force, 0)}
    if not counts:
        return "records: none (the store holds no incidents)"
    return "records: " + ", ".join(f"{f} ({n:,})" for f, n in counts.items())


# -- the scope of an analysis or report command (issue #12 item 2) ----------------------------


def command_scope(store, name: str | None):  # noqa: ANN001, ANN201
    """The :class:`asbhub.store.scope.Scope` a command counts, as the pages do.

    ``--force NAME`` (any case) when given; else ``$ASBHUB_FORCE`` (as the store names it, any
    case); else the force with the most published police.uk records
    (:func:`asbhub.store.scope.default_scope`). Recorded police data only (published police.uk
    and force exports); synthetic data only when the force named is synthetic (or when the
    store holds nothing else, as on the pages).
    """
    from asbhub.store.scope import configured_force, default_scope

    return default_scope(
        store, resolve_force(store, name if name is not None else configured_force())
    )


def scope_line(store, scope) -> str:  # noqa: ANN001
    """``records: Derbyshire Constabulary (23,677); left out: SYNTHETIC ... (4,500: synthetic
    data, --force NAME counts it)``: what a command counts, and what it leaves out and why."""
    from asbhub.store.scope import is_synthetic_force, scope_forces

    counted = scope_forces(store, scope)  # the SQL lives in asbhub.store
    every = store_forces(store)
    if not every:
        return "records: none (the store holds no incidents)"
    shown = counted or ({scope.force: 0} if scope.force else {})
    line = "records: " + ", ".join(f"{f} ({n:,})" for f, n in shown.items())
    left = []
    for force, n in every.items():
        rest = n - counted.get(force, 0)
        if rest <= 0:
            continue
        if force not in counted and is_synthetic_force(force) and not scope.synthetic:
            why = "synthetic data, --force NAME counts it"
        elif force not in counted and force != scope.force:
            why = "another force, --force chooses it"
        else:
            why = "residents' reports, not yet recorded by the police"
        left.append(f"{force} ({rest:,}: {why})")
    return line + ("; left out: " + ", ".join(left) if left else "")


# -- shared by the analysis commands (hotspots, trends, near-repeat, evaluate, places) --

OUT_HELP = (
    "file to write, the format from its ending: .geojson or .json (GeoJSON, EPSG:4326, "
    "for QGIS), .csv (for Power BI and spreadsheets, with the stamp beside it as "
    "FILE.json) or .png (a map for reports); repeat for several"
)


def data_arguments(p: argparse.ArgumentParser, db_help: str) -> None:
    """Where the points come from and which to keep: shared by every analysis command."""
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="data.police.uk street files, folders or .zip archives; "
        "without any, the store is read",
    )
    p.add_argument("--db", help=db_help + "; read when no PATH is given")
    p.add_argument(
        "--crime-type",
        action="append",
        metavar="TYPE",
        help="keep this crime type (repeatable; default all): a data.police.uk "
        "type such as Burglary (any case), or asb for Anti-social behaviour",
    )
    p.add_argument(
        "--record-type",
        action="append",
        type=str.lower,
        choices=("asb", "crime", "roc"),
        help="keep this record type (repeatable; default all); roc = records of "
        "contact from a force export",
    )
    p.add_argument("--month", metavar="YYYY-MM", help="one month")
    p.add_argument("--from", dest="from_month", metavar="YYYY-MM", help="first month (with --to)")
    p.add_argument("--to", dest="to_month", metavar="YYYY-MM", help="last month (with --from)")
    p.add_argument("--lpu", metavar="NAME", help="one Local Policing Unit, e.g. Erewash")
    p.add_argument(
        "--snt", metavar="CODE", help="one Safer Neighbourhood Team, by code (SW03) or name"
    )
    p.add_argument(
        "--force",
        metavar="NAME",
        help="the force whose records are analysed (any case), as the store names it "
        "(default: $ASBHUB_FORCE, else the force with the most published police.uk records; "
        "docs/scope.md); what is left out is printed. Synthetic data (a force named "
        "SYNTHETIC ...) only when --force names it",
    )

    p.add_argument(
        "--harm-weights",
        "--harm",  # issue #16 item 3
        type=Path,
        metavar="CSV",
        help="weight records by crime type: a CSV with header crime_type,weight,source "
        "(see docs/harm.md; asbhub bundles no figures)",
    )


# -- shared steps ---------------------------------------------------------------------------


def point_filters(args: argparse.Namespace) -> PointFilters:
    from asbhub.analysis_inputs import PointFilters

    if args.month and (args.from_month or args.to_month):
        raise ValueError("give either --month or --from and --to, not both")
    if bool(args.from_month) != bool(args.to_month):
        raise ValueError(
            "--from and --to go together: give both (the same month twice for "
            "one month, or use --month)"
        )
    months = (
        (args.month, args.month)
        if args.month
        else (args.from_month, args.to_month)
        if args.from_month
        else None
    )
    return PointFilters(
        months=months,
        crime_types=args.crime_type,
        record_types=args.record_type,
        lpu=args.lpu,
        snt=args.snt,
    )


def load_areas() -> AreaHierarchy | None:
    from asbhub.geo import MappingFileError, area_hierarchy

    try:
        return area_hierarchy()
    except MappingFileError as exc:
        print_err(f"warning: no area files, so cells get no LPU and maps no outlines: {exc}")
        return None


def load_points(
    args: argparse.Namespace, filters: PointFilters, areas: AreaHierarchy | None
) -> PointSet:
    from asbhub.analysis_inputs import points_from_files, points_from_store

    if args.paths:
        if args.force:
            raise ValueError(
                "--force filters the records of the store; with files given, "
                "give only that force's files (or load them and use --db)"
            )
        return points_from_files(args.paths, filters, areas)
    store = open_read_store(args.db)
    return points_from_store(store, force_filters(store, filters, args.force), areas)


def force_filters(store: Any, filters: PointFilters, name: str | None) -> PointFilters:
    """``filters`` limited to the command's scope (issue #12: ``--force`` NAME in any case,
    else ``$ASBHUB_FORCE``, else the deployment's force; recorded police data; synthetic
    data only when ``--force`` names it), printing what is counted and what is left out."""
    import dataclasses

    scope = command_scope(store, name)
    print_err(scope_line(store, scope))
    return dataclasses.replace(
        filters,
        force=scope.force,
        kinds=tuple(sorted(scope.kinds)),
        real_only=not scope.synthetic,
    )


def harm_weights_of(args: argparse.Namespace) -> tuple[dict[str, float] | None, dict[str, Any]]:
    if args.harm_weights is None:
        return None, {}
    import hashlib

    from asbhub.analysis import read_harm_csv

    # The documented file (issue #16 item 3): each weight's source goes into the stamp.
    harm = read_harm_csv(args.harm_weights)
    weights = dict(harm.weights)
    return weights, {
        "harm_weights": weights,
        "harm_weights_file": {
            "name": str(args.harm_weights),
            "sha256": hashlib.sha256(args.harm_weights.read_bytes()).hexdigest(),
            "sources": dict(harm.sources),
            "notes": list(harm.notes),
        },
    }


def command_line() -> str:
    return shlex.join(["asbhub", *sys.argv[1:]])


# -- printing -------------------------------------------------------------------------------

out_console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def print_out(text: str) -> None:
    # markup=False: paths and rules hold square brackets that rich would read as markup.
    out_console.print(text, markup=False)


def print_err(text: str) -> None:
    err_console.print(text, markup=False)
