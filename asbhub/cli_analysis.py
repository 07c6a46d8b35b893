"""`asbhub hotspots | trends | near-repeat | evaluate`: the analysis commands (issue #3)."""

from __future__ import annotations

import argparse


def add_analysis_commands(sub: argparse._SubParsersAction, db_help: str) -> None:  # noqa: SLF001
    """Register the analysis commands on the main parser's sub-commands."""
