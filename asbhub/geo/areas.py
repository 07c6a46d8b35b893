"""The area hierarchy a force works in: force > LPU > SNT > LSOA.

The hierarchy lives in plain mapping files in one folder (see ``docs/geography.md``). asbhub
ships Derbyshire's; another force writes the same files for its own areas and points
``ASBHUB_AREAS`` at that folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from asbhub.geo.locate import LsoaLocator
from asbhub.geo.neighbourhoods import Assignment, assign_neighbourhoods, shared_boundaries

__all__ = [
    "AREAS_ENV_VAR",
    "AREA_COLUMNS",
    "NEIGHBOURHOOD_COLUMNS",
    "AreaHierarchy",
    "MappingFileError",
    "area_hierarchy",
    "areas_folder",
    "bundled_areas_folder",
]

AREAS_ENV_VAR = "ASBHUB_AREAS"
AREAS_FILE = "areas.csv"
NEIGHBOURHOODS_FILE = "neighbourhoods.csv"
POLYGONS_FILE = "lsoa_bng.geojson"

#: Columns of ``areas.csv``, one row per LSOA. Every column must be present; values may be
#: empty except those in :data:`AREA_REQUIRED_VALUES` (an LSOA with no SNT, a Welsh force with
#: no English IMD rank).
AREA_COLUMNS = (
    "force_code", "force_name", "lpu", "snt_code", "snt_name", "lsoa_code", "lsoa_name",
    "lad_code", "lad_name", "imd_rank", "imd_decile",
)  # fmt: skip
AREA_REQUIRED_VALUES = ("force_code", "force_name", "lpu", "lsoa_code")
AREA_INTEGER_COLUMNS = ("imd_rank", "imd_decile")
#: Columns ``neighbourhoods.csv`` must have (others, such as ``n_lsoas``, are kept as read).
NEIGHBOURHOOD_COLUMNS = ("lpu", "snt_code", "snt_name")


class MappingFileError(ValueError):
    """A mapping file is missing, lacks a column, or contradicts another mapping file."""


def bundled_areas_folder() -> Path:
    """The Derbyshire mapping files shipped inside the package."""
    return Path(str(resources.files("asbhub") / "data" / "geography" / "derbyshire"))


def areas_folder(folder: Path | str | None = None) -> Path:
    """``folder``, else the folder named by ``$ASBHUB_AREAS``, else the bundled files."""
    if folder is None:
        folder = os.environ.get(AREAS_ENV_VAR) or bundled_areas_folder()
    return Path(folder)


def area_hierarchy(folder: Path | str | None = None) -> AreaHierarchy:
    """The area hierarchy of ``folder`` (default :func:`areas_folder`), read once per process.

    The one cache of the hierarchy: pages, reports and commands that ask for it again get the
    same object (its LSOA locator and lookups built once), keyed by the folder, so pointing
    ``$ASBHUB_AREAS`` elsewhere reads the new files. :meth:`AreaHierarchy.load` reads afresh.

    >>> area_hierarchy() is area_hierarchy(bundled_areas_folder())
    True
    """
    return _cached_hierarchy(str(areas_folder(folder)))


@lru_cache(maxsize=8)
def _cached_hierarchy(folder: str) -> AreaHierarchy:
    return AreaHierarchy.load(folder)


def _read_csv(path: Path, expected: Iterable[str]) -> pl.DataFrame:
    expected = tuple(expected)
    if not path.is_file():
        raise MappingFileError(
            f"{path} not found; an areas folder needs {AREAS_FILE} and {NEIGHBOURHOODS_FILE} "
            f"(see docs/geography.md)"
        )
    # All text: codes such as "0123" must keep their zeros, and numbers are cast after checks.
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise MappingFileError(
            f"{path}: missing column(s) {', '.join(missing)}; expected columns "
            f"{', '.join(expected)} (found {', '.join(frame.columns) or 'none'})"
        )
    return frame.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in expected)


def _check_areas(path: Path, areas: pl.DataFrame) -> pl.DataFrame:
    for column in AREA_REQUIRED_VALUES:
        empty = areas.with_row_index("line", offset=2).filter(pl.col(column).is_null())
        if empty.height:
            raise MappingFileError(
                f"{path}, line {empty['line'][0]}: empty {column}; every row needs "
                f"{', '.join(AREA_REQUIRED_VALUES)}"
            )
    for column in AREA_INTEGER_COLUMNS:
        as_int = areas[column].cast(pl.Int64, strict=False)
        bad = areas.with_row_index("line", offset=2).filter(
            as_int.is_null() & areas[column].is_not_null()
        )
        if bad.height:
            raise MappingFileError(
                f"{path}, line {bad['line'][0]}: {column} {bad[column][0]!r} is not a whole number"
            )
        areas = areas.with_columns(as_int.alias(column))
    dupes = areas.filter(pl.col("lsoa_code").is_duplicated())["lsoa_code"].unique().sort()
    if dupes.len():
        raise MappingFileError(
            f"{path}: LSOA code(s) listed more than once: {', '.join(dupes.head(5))}; "
            "each LSOA belongs to exactly one LPU"
        )
    forces = areas.select("force_code", "force_name").unique()
    if forces.height != 1:
        raise MappingFileError(
            f"{path}: one force per folder, but found {forces.rows()}; split the file by force"
        )
    return areas


def _check_neighbourhoods(folder: Path, areas: pl.DataFrame, hoods: pl.DataFrame) -> None:
    path = folder / NEIGHBOURHOODS_FILE
    dupes = hoods.filter(pl.col("snt_code").is_duplicated())["snt_code"].unique().sort()
    if hoods["snt_code"].null_count() or hoods["lpu"].null_count() or dupes.len():
        raise MappingFileError(
            f"{path}: every row needs an lpu and a unique snt_code; repeated: {dupes.to_list()}"
        )
    joined = areas.filter(pl.col("snt_code").is_not_null()).join(
        hoods.select("snt_code", pl.col("lpu").alias("snt_lpu")), on="snt_code", how="left"
    )
    unknown = joined.filter(pl.col("snt_lpu").is_null())
    if unknown.height:
        raise MappingFileError(
            f"{folder / AREAS_FILE}: LSOA {unknown['lsoa_code'][0]} has snt_code "
            f"{unknown['snt_code'][0]!r}, which is not in {path}"
        )
    clash = joined.filter(pl.col("snt_lpu") != pl.col("lpu"))
    if clash.height:
        row = clash.row(0, named=True)
        raise MappingFileError(
            f"{folder / AREAS_FILE}: LSOA {row['lsoa_code']} is in LPU {row['lpu']!r} but its SNT "
            f"{row['snt_code']} is in LPU {row['snt_lpu']!r} in {path}; an SNT lies in one LPU"
        )


@dataclass(frozen=True, eq=False)
class AreaHierarchy:
    """A force's areas: force > LPU (Local Policing Unit) > SNT (Safer Neighbourhood Team) > LSOA.

    Build one with :meth:`load`.

    Attributes
    ----------
    folder : pathlib.Path
        Where the mapping files were read from.
    force_code, force_name : str
        ONS police force area code and the force's name (E23000018, Derbyshire Constabulary).
    lsoa : polars.DataFrame
        ``areas.csv``: one row per LSOA with the columns of :data:`AREA_COLUMNS`; ``snt_code`` is
        null where an LSOA could not be given one neighbourhood.
    neighbourhoods : polars.DataFrame
        ``neighbourhoods.csv``: one row per SNT with at least ``lpu``, ``snt_code``, ``snt_name``.
    """

    folder: Path
    force_code: str
    force_name: str
    lsoa: pl.DataFrame = field(repr=False)
    neighbourhoods: pl.DataFrame = field(repr=False)

    @classmethod
    def load(cls, folder: Path | str | None = None) -> AreaHierarchy:
        """Read and check the mapping files.

        Parameters
        ----------
        folder : pathlib.Path or str, optional
            A folder holding ``areas.csv``, ``neighbourhoods.csv`` and (for :meth:`locate`)
            ``lsoa_bng.geojson``. Default: the folder named by the ``ASBHUB_AREAS`` environment
            variable if set, else the bundled Derbyshire files.

        Raises
        ------
        MappingFileError
            If a file is missing, lacks a column, or the files disagree; the message names the
            file, the line or column, and what was expected.

        Examples
        --------
        >>> areas = AreaHierarchy.load()
        >>> areas.force_code, len(areas.lsoa)
        ('E23000018', 642)
        >>> areas.lpu_for(["E01013453", "W01000001"])
        ['Derby West', None]
        """
        folder = areas_folder(folder)
        if not folder.is_dir():
            raise MappingFileError(
                f"areas folder {folder} does not exist (set {AREAS_ENV_VAR} to a folder holding "
                f"{AREAS_FILE} and {NEIGHBOURHOODS_FILE}, or unset it to use the bundled files)"
            )
        areas = _read_csv(folder / AREAS_FILE, AREA_COLUMNS)
        areas = _check_areas(folder / AREAS_FILE, areas).select(AREA_COLUMNS).sort("lsoa_code")
        hoods = _read_csv(folder / NEIGHBOURHOODS_FILE, NEIGHBOURHOOD_COLUMNS).sort("snt_code")
        _check_neighbourhoods(folder, areas, hoods)
        return cls(
            folder=folder,
            force_code=areas["force_code"][0],
            force_name=areas["force_name"][0],
            lsoa=areas,
            neighbourhoods=hoods,
        )

    @property
    def lpus(self) -> list[str]:
        """The force's LPU names, sorted."""
        return sorted(self.lsoa["lpu"].unique().to_list())

    @cached_property
    def _by_lsoa(self) -> dict[str, tuple[str, str | None]]:
        return {code: (lpu, snt) for code, lpu, snt in self.lsoa.select(
            "lsoa_code", "lpu", "snt_code").iter_rows()}  # fmt: skip

    def lpu_for(self, lsoa_codes: Iterable[str | None]) -> list[str | None]:
        """LPU of each LSOA code; ``None`` for a code outside the force, empty or missing.

        police.uk snaps some incidents near a force border to a neighbouring force's LSOA, so an
        unknown code is normal data, not an error.
        """
        lookup = self._by_lsoa
        return [lookup[c][0] if c in lookup else None for c in lsoa_codes]

    def snt_for(self, lsoa_codes: Iterable[str | None]) -> list[str | None]:
        """SNT code of each LSOA code; ``None`` where unknown or not mapped to one SNT."""
        lookup = self._by_lsoa
        return [lookup[c][1] if c in lookup else None for c in lsoa_codes]

    @cached_property
    def neighbourhood_assignment(self) -> dict[str, Assignment]:
        """Every LSOA's SNT: by ward where ``areas.csv`` has one, else from the LSOAs it touches
        in its LPU (see :mod:`asbhub.geo.neighbourhoods`); read from the polygons on first use.
        """
        loc = self.locator
        touching = shared_boundaries(list(loc.codes), list(loc.polygons))
        lpu = {c: lp for c, (lp, _) in self._by_lsoa.items()}
        snt = {c: s for c, (_, s) in self._by_lsoa.items()}
        return assign_neighbourhoods(lpu, snt, touching)

    def neighbourhood_for(self, lsoa_codes: Iterable[str | None]) -> list[str | None]:
        """SNT code of each LSOA by the full rule (ward, else neighbours); ``None`` where the
        code is unknown or the rule gives none. :meth:`snt_for` gives the ward mapping only."""
        lookup = self.neighbourhood_assignment
        return [lookup[c].snt_code if c in lookup else None for c in lsoa_codes]

    def neighbourhoods_matching(self, text: str, lpu: str | None = None) -> list[str]:
        """SNT codes whose code equals ``text`` or whose name contains it, ignoring case
        ("long eaton" finds Long Eaton North, South, Town and Rural); only ``lpu``'s if given."""
        needle = text.strip().casefold()
        if not needle:
            return []
        hoods = (
            self.neighbourhoods if lpu is None else self.neighbourhoods.filter(pl.col("lpu") == lpu)
        )
        return [
            code
            for code, name in hoods.select("snt_code", "snt_name").iter_rows()
            if code.casefold() == needle or needle in (name or "").casefold()
        ]

    def neighbourhood_lsoas(self, snt_codes: Iterable[str]) -> list[str]:
        """LSOA codes the full rule (:meth:`neighbourhood_for`) puts in any of ``snt_codes``."""
        wanted = set(snt_codes)
        return sorted(c for c, a in self.neighbourhood_assignment.items() if a.snt_code in wanted)

    @cached_property
    def locator(self) -> LsoaLocator:
        """Point-in-polygon over this force's LSOAs, read on first use."""
        path = self.folder / POLYGONS_FILE
        if not path.is_file():
            raise MappingFileError(
                f"{path} not found; locating points needs the LSOA polygons on British National "
                "Grid as GeoJSON with a 'lsoa_code' property per feature"
            )
        return LsoaLocator.from_geojson(path)

    def locate(self, easting: npt.ArrayLike, northing: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """LSOA code holding each British National Grid point, ``None`` outside every LSOA.

        See :meth:`asbhub.geo.LsoaLocator.locate`.
        """
        return self.locator.locate(easting, northing)

    def fill_lsoa(
        self,
        lsoa_codes: npt.ArrayLike,
        easting: npt.ArrayLike,
        northing: npt.ArrayLike,
    ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
        """Give rows with coordinates but no LSOA the LSOA their point falls in.

        Parameters
        ----------
        lsoa_codes : array_like of str or None
            The LSOA each row already has; ``None``, NaN or ``""`` means none.
        easting, northing : array_like of float
            British National Grid metres per row; NaN where the row has no coordinates.

        Returns
        -------
        lsoa : numpy.ndarray of object
            The given code where there was one, else the located code, else ``None``.
        outside : numpy.ndarray of bool
            True for rows that needed locating and fell in no LSOA (or had no coordinates):
            keep them, flagged, rather than drop them.
        """
        codes = np.array(lsoa_codes, dtype=object)
        missing = np.array([not isinstance(c, str) or not c.strip() for c in codes], dtype=bool)
        e = np.asarray(easting, dtype=np.float64)
        n = np.asarray(northing, dtype=np.float64)
        codes[missing] = self.locate(e[missing], n[missing])
        outside = missing & np.array([c is None for c in codes], dtype=bool)
        return codes, outside
