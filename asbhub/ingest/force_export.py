"""Reader for the asbhub force incident export (CSV and JSON Lines). See docs/force-export.md."""

from asbhub.ingest.common import ParsedFile, WrongFileError

KIND = "force_export"


def header_matches(first_line: str) -> bool:
    return "incident_reference" in first_line


def read_force_export(name: str, raw: bytes) -> ParsedFile:
    raise WrongFileError(f"{name}: force export reading is being written")
