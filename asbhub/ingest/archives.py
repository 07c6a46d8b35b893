"""Zip archives read safely: members streamed under a size cap and a compression-ratio cap.

A data.police.uk download is a zip of CSV files; a zip can also be a "zip bomb": a 2 MB
archive whose member expands to gigabytes of zeros. Before anything is loaded, every data
member's declared size is checked against :class:`ZipLimits`, and while a member is read its
real size is counted in 1 MiB pieces, so a member that expands past a cap (or lies about its
size) stops at the cap rather than filling memory.

The defaults leave real archives far inside the caps: a monthly data.police.uk archive of all
43 forces is about 1.5 GB uncompressed, its largest member (the Metropolitan Police's street
file) tens of MB, and street CSVs compress about 5 to 1 (measured on the bundled Derbyshire
sample and the East Midlands files in ../shared/data/police-uk).

- ``max_member_bytes`` (4 GiB; ``ASBHUB_ZIP_MAX_MEMBER``, ``--zip-max-member``): the largest
  member read. A member is read whole into memory, so this also bounds memory.
- ``max_ratio`` (200; ``ASBHUB_ZIP_MAX_RATIO``, ``--zip-max-ratio``): the largest
  uncompressed / compressed size of a member, checked only for members over
  ``ratio_min_bytes`` (64 MiB; ``ASBHUB_ZIP_RATIO_MIN``), because a small member that compresses very
  well is harmless (at most 64 MiB in memory); 2 GiB of zeros compresses about 1000:1.

An archive inside an archive (``.zip``, ``.gz``, ``.tar``, ``.7z``, ...) is not read but named
as a failed file in the summary, with how to load it: it is never skipped silently.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from asbhub.ingest.errors import WrongFileError

KiB, MiB, GiB = 1024, 1024**2, 1024**3

#: Members with these endings are archives: refused by name, never read or skipped silently.
ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".7z", ".rar")

_CHUNK = 1 * MiB


class ArchiveLimitError(WrongFileError):
    """A zip member is over a cap of :class:`ZipLimits`; the message names it and the cap."""


def parse_size(text: str, what: str) -> int:
    """Bytes from ``"4GiB"``, ``"500MB"``, ``"64 MiB"`` or ``"1048576"``.

    >>> parse_size("4GiB", "x"), parse_size("500 MB", "x"), parse_size("2048", "x")
    (4294967296, 500000000, 2048)
    """
    units = {
        "": 1,
        "b": 1,
        "kb": 1000,
        "mb": 1000**2,
        "gb": 1000**3,
        "tb": 1000**4,
        "kib": KiB,
        "mib": MiB,
        "gib": GiB,
        "tib": 1024**4,
    }
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in units or float(m.group(1)) <= 0:
        raise ValueError(
            f"{what}: {text!r} is not a size; expected a positive number of bytes "
            "with an optional unit, e.g. 4GiB, 500MB or 1048576"
        )
    return int(float(m.group(1)) * units[m.group(2).lower()])


def show_size(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps it at least 1: ``2.0 GiB``."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


@dataclass(frozen=True)
class ZipLimits:
    """Caps on what one zip member may expand to (see the module's notes for the defaults)."""

    max_member_bytes: int = 4 * GiB
    max_ratio: float = 200.0
    ratio_min_bytes: int = 64 * MiB

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        max_member: str | None = None,
        max_ratio: str | float | None = None,
    ) -> ZipLimits:
        """The defaults, overridden by ``ASBHUB_ZIP_*`` settings, overridden by options."""
        env = os.environ if environ is None else environ
        member = max_member or env.get("ASBHUB_ZIP_MAX_MEMBER")
        ratio = max_ratio if max_ratio is not None else env.get("ASBHUB_ZIP_MAX_RATIO")
        ratio_min = env.get("ASBHUB_ZIP_RATIO_MIN")
        d = cls()
        if ratio is not None:
            given = ratio
            try:
                ratio = float(ratio)
            except ValueError:
                ratio = -1.0
            if not ratio >= 1:
                raise ValueError(
                    f"zip ratio cap (ASBHUB_ZIP_MAX_RATIO or --zip-max-ratio): "
                    f"{given!r} is not a ratio; expected a number of at least 1, "
                    "e.g. 200"
                )
        return cls(
            max_member_bytes=(
                parse_size(member, "zip member cap (ASBHUB_ZIP_MAX_MEMBER)")
                if member
                else d.max_member_bytes
            ),
            max_ratio=float(ratio) if ratio is not None else d.max_ratio,
            ratio_min_bytes=(
                parse_size(ratio_min, "ASBHUB_ZIP_RATIO_MIN") if ratio_min else d.ratio_min_bytes
            ),
        )

    def problem(self, size: int, compressed: int) -> str | None:
        """Why a member of ``size`` bytes from ``compressed`` bytes is refused, or None."""
        if size > self.max_member_bytes:
            return (
                f"expands to {show_size(size)}, over the cap of "
                f"{show_size(self.max_member_bytes)} per member "
                f"(ASBHUB_ZIP_MAX_MEMBER or --zip-max-member)"
            )
        if size > self.ratio_min_bytes and size > self.max_ratio * max(compressed, 1):
            return (
                f"expands to {show_size(size)} from {show_size(compressed)} "
                f"({size / max(compressed, 1):,.0f}:1), over the cap of "
                f"{self.max_ratio:,.0f}:1 for members over {show_size(self.ratio_min_bytes)} "
                f"(ASBHUB_ZIP_MAX_RATIO or --zip-max-ratio)"
            )
        return None


def _refuse(name: str, why: str) -> ArchiveLimitError:
    return ArchiveLimitError(
        f"{name}: {why}; nothing was loaded. A zip bomb or a damaged archive looks like this: "
        "if the archive is genuine, extract it and load its files, or raise the cap"
    )


def check_member(archive: Path, info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    """Raise :class:`ArchiveLimitError` when a member's declared sizes are over a cap."""
    why = limits.problem(info.file_size, info.compress_size)
    if why is not None:
        raise _refuse(f"{archive}!{info.filename}", why)


def nested_archive_message(archive: Path, member: str) -> str:
    return (
        f"{archive}!{member}: an archive inside a zip archive is not read, so none of its "
        f"rows were loaded; extract {member} from {archive.name} and run asbhub ingest on "
        "it (or on the folder it unpacks to)"
    )


def read_member(archive: Path, member: str, limits: ZipLimits) -> bytes:
    """A member's bytes, read in 1 MiB pieces and stopped as soon as it passes a cap."""
    name = f"{archive}!{member}"
    try:
        with zipfile.ZipFile(archive) as zf:
            info = zf.getinfo(member)
            check_member(archive, info, limits)
            pieces: list[bytes] = []
            size = 0
            with zf.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    size += len(chunk)
                    why = limits.problem(size, info.compress_size)
                    if why is not None:
                        raise _refuse(
                            name, f"{why}, although its header said {show_size(info.file_size)}"
                        )
                    pieces.append(chunk)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        NotImplementedError,
        EOFError,
    ) as exc:
        raise WrongFileError(
            f"{name}: the member cannot be read from the archive ({exc}); "
            "the archive may be damaged or truncated: download it again"
        ) from None
    return b"".join(pieces)
