"""The spreadsheet flow: any CSV of person records in, each record's cluster out."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from asbhub.linkage import OUTPUT_COLUMNS, link_csv, parse_columns
from asbhub.outputs.csvsafe import safe_frame
from asbhub.synth import generate_people


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return generate_people(800, seed=21)


def write_renamed(people: pl.DataFrame, path: Path) -> pl.DataFrame:
    """The records as a council export might hold them: other names, address over two
    columns, an extra column the linkage ignores."""
    town = people["address"].str.extract(r", ([^,]+)$", 1)
    street = people["address"].str.replace(r", [^,]+$", "")
    frame = pl.DataFrame(
        {
            "Case ref": [f"C{i:05d}" for i in range(people.height)],
            "Forename": people["first_name"],
            "Family Name": people["surname"],
            "DOB": people["date_of_birth"],
            "Addr 1": street,
            "Town": town,
            "Post Code": people["postcode"],
            "Tel": people["phone"],
            "E-mail": people["email"],
        }
    )
    frame.write_csv(path)
    return frame


MAPPING = (
    "first_name=Forename,surname=Family Name,date_of_birth=DOB,address=Addr 1+Town,"
    "postcode=Post Code,phone=Tel,email=E-mail"
)


def test_other_column_names_mapped(people: pl.DataFrame, tmp_path: Path) -> None:
    source = write_renamed(people, tmp_path / "people.csv")
    result = link_csv(
        tmp_path / "people.csv", tmp_path / "out.csv", MAPPING, review_out=tmp_path / "review.csv"
    )
    out = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert out.columns == [*source.columns, *OUTPUT_COLUMNS]
    assert out.height == source.height
    assert out["Case ref"].to_list() == source["Case ref"].to_list()  # order kept
    # Input untouched, except that a cell a spreadsheet would run (a phone number written
    # +44 ...) is written as text, with a leading apostrophe.
    assert out.drop(OUTPUT_COLUMNS).equals(safe_frame(source.cast(pl.String)))
    cluster = out["cluster_id"].cast(pl.Int64)
    # A cluster is named after the row number (from 1) of its first record.
    first_row = (
        pl.DataFrame({"c": cluster, "row": range(1, out.height + 1)})
        .group_by("c")
        .agg(pl.col("row").min())
    )
    assert (first_row["c"] == first_row["row"]).all()
    assert set(result.model.comparisons) == {
        "first_name",
        "surname",
        "date_of_birth",
        "location",
        "phone",
        "email",
    }
    # Same people as the ground truth, pair by pair.
    truth = pl.DataFrame({"row": range(out.height), "p": people["person_id"], "c": cluster})
    same_c = (
        truth.join(truth, on="c")
        .filter(pl.col("row") < pl.col("row_right"))
        .select("row", "row_right")
    )
    same_p = (
        truth.join(truth, on="p")
        .filter(pl.col("row") < pl.col("row_right"))
        .select("row", "row_right")
    )
    tp = same_c.join(same_p, on=["row", "row_right"]).height
    assert tp / same_c.height >= 0.98 and tp / same_p.height >= 0.95
    weights = out["best_match_weight"].cast(pl.Float64, strict=False)
    assert weights.drop_nulls().len() > 0.5 * out.height
    review = pl.read_csv(tmp_path / "review.csv", infer_schema=False)
    assert review.height == result.review.height and "first_name_l" in review.columns


def test_missing_columns_still_link(people: pl.DataFrame, tmp_path: Path) -> None:
    people.select("first_name", "surname", "date_of_birth").write_csv(tmp_path / "few.csv")
    result = link_csv(tmp_path / "few.csv", tmp_path / "few_out.csv")
    assert result.model.comparisons == ["first_name", "surname", "date_of_birth"]
    out = pl.read_csv(tmp_path / "few_out.csv")
    assert out["cluster_id"].n_unique() < out.height


def test_no_usable_column_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "odd.csv").write_text("colour,size\nred,1\nblue,2\n")
    with pytest.raises(ValueError, match=r"no person columns found.*colour, size.*--columns"):
        link_csv(tmp_path / "odd.csv", tmp_path / "x.csv")
    (tmp_path / "empty_names.csv").write_text("first_name,surname\n" + ",\n" * 30)
    with pytest.raises(ValueError, match="no usable person data.*columns used"):
        link_csv(tmp_path / "empty_names.csv", tmp_path / "x.csv")
    (tmp_path / "header.csv").write_text("first_name,surname\n")
    with pytest.raises(ValueError, match="no records"):
        link_csv(tmp_path / "header.csv", tmp_path / "x.csv")
    with pytest.raises(KeyError, match="no column 'Forename'"):
        link_csv(tmp_path / "odd.csv", tmp_path / "x.csv", {"first_name": "Forename"})
    with pytest.raises(FileNotFoundError):
        link_csv(tmp_path / "missing.csv", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_id_column_and_existing_output_columns(people: pl.DataFrame, tmp_path: Path) -> None:
    frame = people.head(300).select(
        pl.format("P{}", pl.col("record_id")).alias("ref"),
        "first_name",
        "surname",
        "date_of_birth",
        "postcode",
        pl.lit("old").alias("cluster_id"),
    )
    frame.write_csv(tmp_path / "again.csv")
    link_csv(tmp_path / "again.csv", tmp_path / "again_out.csv", id_column="ref")
    out = pl.read_csv(tmp_path / "again_out.csv", infer_schema=False)
    assert out.columns == [
        "ref",
        "first_name",
        "surname",
        "date_of_birth",
        "postcode",
        "cluster_id",
        "best_match_weight",
    ]
    assert out["cluster_id"].str.starts_with("P").all()  # replaced, named by ref
    assert set(out["cluster_id"]) <= set(out["ref"])


def test_parse_columns() -> None:
    assert parse_columns("first_name=Forename, address=House+Street + Town") == {
        "first_name": "Forename",
        "address": ["House", "Street", "Town"],
    }
    assert parse_columns("") == {}
    with pytest.raises(ValueError, match="not standard_name=column"):
        parse_columns("first_name")
    with pytest.raises(ValueError, match="'forename' is not a standard column"):
        parse_columns("forename=First")
