"""The report's record reader: types decided by every row, not the first hundred."""

from __future__ import annotations

from pathlib import Path

from asbhub.ingest.inputs import expand_inputs
from asbhub.reports.data import report_records
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest

STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)
EXPORT_HEADER = "incident_reference,force,record_type,asb_category,occurred_from,reported_at"


def test_categories_after_hundreds_of_rows_without(tmp_path: Path) -> None:
    """A police.uk month (no ASB categories) then a force export's rows (categories): the
    reader used to guess the category column's type from the first 100 rows and fail."""
    street = tmp_path / "2019-02-derbyshire-street.csv"
    street.write_text(
        STREET_HEADER
        + "\n"
        + "".join(
            ",2019-02,Derbyshire Constabulary,Derbyshire Constabulary,-1.4,52.9,On or near X,"
            "E01019799,Erewash 001A,Anti-social behaviour,,\n"
            for _ in range(150)
        ),
        encoding="utf-8",
    )
    export = tmp_path / "export.csv"
    export.write_text(
        EXPORT_HEADER
        + "\n"
        + "".join(
            f"SYN-{i},Synthetic Force,asb,{'NEP'[i % 3]},2019-02-0{1 + i % 9}T10:00,\n"
            for i in range(30)
        ),
        encoding="utf-8",
    )
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        assert ingest(store, list(expand_inputs([street, export]))).ok
        frame = report_records(store, ("2019-02", "2019-02"))
    finally:
        store.close()
    assert frame.height == 180
    counts = dict(frame.group_by("asb_category").len().iter_rows())
    assert counts == {None: 150, "N": 10, "E": 10, "P": 10}
