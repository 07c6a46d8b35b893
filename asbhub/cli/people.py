"""`asbhub people link`: link the Person rows of a store and keep the result in it.

Thin: parse arguments, call :mod:`asbhub.records.people.services`, print the counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from asbhub.cli.common import DB_HELP


def register(sub: argparse._SubParsersAction) -> None:
    """Register ``people`` on the main parser's sub-commands."""
    people = sub.add_parser(
        "people", help="person linkage kept in the store: who is who across incidents"
    )
    psub = people.add_subparsers(title="people commands", metavar="PEOPLECOMMAND")
    link = psub.add_parser(
        "link",
        help="link the store's people (new ones only, unless --full)",
        description="Incremental by default: people not yet linked are linked against the "
        "saved model and the people already known, whose links never change "
        "(where a new record links two known people, the pair goes to the review "
        "queue). --full trains a new model on every record and rebuilds the links, "
        "keeping analysts' merges, splits and rejections. The first run is always "
        "full.",
    )
    link.add_argument("--db", help=DB_HELP)
    mode = link.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="rebuild every link")
    mode.add_argument(
        "--incremental", action="store_true", help="link only people not yet linked (the default)"
    )
    link.add_argument(
        "--model",
        type=Path,
        metavar="MODEL.json",
        help="with --full: use this trained model (asbhub.linkage JSON) instead of training one",
    )
    link.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    link.set_defaults(func=cmd_people_link)


def cmd_people_link(args: argparse.Namespace) -> int:
    from asbhub.store.db import open_store

    if args.model is not None and not args.full:
        raise ValueError(
            "--model needs --full: an incremental run uses the saved model, so "
            "the people already linked and the new ones are scored alike"
        )
    store = open_store(args.db)
    from asbhub.records.people import services

    model = None
    if args.model is not None:
        if not args.model.exists():
            raise FileNotFoundError(f"{args.model}: no such model file")
        from asbhub.linkage import LinkageModel

        model = LinkageModel.from_json(args.model)
    if args.incremental and services.current_model(store.alias) is None:
        raise ValueError(
            "no linkage model is saved in this store yet: run `asbhub people link --full` first"
        )
    run = services.link_store(
        store.alias, full=args.full, model=model, source=str(args.model) if args.model else ""
    )
    if args.json:
        sys.stdout.write(json.dumps(run.as_dict(), indent=2) + "\n")
        return 0
    if run.mode == "none" and run.people == 0:
        sys.stdout.write(
            "no people to link: the store holds no person records (load a force "
            "export with people first)\n"
        )
        return 0
    lines = [
        f"mode            {run.mode}" + (" (a new model was trained)" if run.trained else ""),
        f"people          {run.people} records linked",
        f"clusters        {run.clusters} linked people",
        f"new links       {run.new_links} records placed by this run "
        f"({run.new_clusters} new linked people)",
        f"queued pairs    {run.queued_pairs} added to the review queue "
        f"({run.open_pairs} waiting in all)",
        f"model           version {run.model_version}",
    ]
    if run.replayed_decisions:
        lines.append(f"decisions kept  {run.replayed_decisions} analysts' decisions replayed")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
