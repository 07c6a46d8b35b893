"""Loading call logs: counts add up, a reload stores nothing, a changed call is updated in place.

Each test runs on a SQLite file and, marked ``postgres``, on a fresh PostgreSQL database (the
``store_url`` fixture in tests/conftest.py).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from asbhub.analysis.calls import call_kpis, triage_vs_main
from asbhub.ingest.inputs import expand_inputs
from asbhub.store import loaders as load_mod
from asbhub.store.db import Store, open_store
from asbhub.store.loaders import FileResult, load_calls
from asbhub.synth.calls import generate_calls, write_calls_csv

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "call-logs.md"
HEADER = "call_id,channel,queued_at,answered_at,ended_at,abandoned,transferred_to,force"


@pytest.fixture
def store(store_url: str):
    s = open_store(store_url)
    yield s
    s.close()


def models():
    from asbhub.records.contact.models import Call, CallSource

    return Call, CallSource


def example(tmp_path: Path, name: str = "example.csv") -> Path:
    text = DOC.read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(re.search(r"```csv\n(.*?)```", text, re.S).group(1), encoding="utf-8")
    return path


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def load(store: Store, path: Path, strict: bool = False) -> FileResult:
    [result] = load_calls(store, list(expand_inputs([path])), strict=strict)
    assert result.accounted, result
    assert result.kind == "call_log"
    return result


def counts(r: FileResult) -> tuple[int, int, int, int, int]:
    return r.read, r.stored, r.already_stored, r.rejected, r.updated


def stored_calls(store: Store) -> dict[str, object]:
    Call, _ = models()
    return {c.call_id: c for c in Call.objects.using(store.alias).select_related("source")}


def test_example_is_stored_with_every_value(store: Store, tmp_path: Path) -> None:
    path = example(tmp_path)
    r = load(store, path)
    assert counts(r) == (8, 8, 0, 0, 0) and r.error is None and r.rejects == []
    calls = stored_calls(store)
    assert len(calls) == 8
    first = calls["999-20220201-000001"]
    assert (
        first.channel,
        first.queued_at,
        first.answered_at,
        first.ended_at,
        first.abandoned,
        first.transferred_to,
        first.force,
        first.wait_seconds,
        first.line,
    ) == (
        "999",
        datetime(2022, 2, 1, 9, 14, 3, tzinfo=UTC),
        datetime(2022, 2, 1, 9, 14, 9, tzinfo=UTC),
        datetime(2022, 2, 1, 9, 17, 40, tzinfo=UTC),
        False,
        None,
        "Derbyshire Constabulary",
        6.0,
        2,
    )
    lost = calls["999-20220201-000002"]
    assert (lost.abandoned, lost.answered_at, lost.wait_seconds) == (True, None, 11.0)
    assert calls["TRI-20220201-000001"].transferred_to == "control room"
    ten = calls["999-20220601-000001"]
    assert ten.queued_at == datetime(2022, 6, 1, 21, 59, 58, 250_000, tzinfo=UTC)
    assert ten.wait_seconds == 10.0
    assert calls["WEB-20220601-000001"].force is None
    source = first.source
    assert (source.file, source.rows) == (str(path), 8)
    # Stored date-times compare equal in ORM look-ups (SQLite keeps them as text).
    Call, _ = models()
    found = Call.objects.using(store.alias).filter(
        queued_at=datetime(2022, 6, 1, 21, 59, 58, 250_000, tzinfo=UTC)
    )
    assert [c.call_id for c in found] == ["999-20220601-000001"]
    assert (
        Call.objects.using(store.alias)
        .filter(queued_at__gte=datetime(2022, 6, 1, tzinfo=UTC))
        .count()
        == 3
    )


def test_reload_stores_nothing(store: Store, tmp_path: Path) -> None:
    path = example(tmp_path)
    load(store, path)
    ids = {k: c.id for k, c in stored_calls(store).items()}
    r = load(store, path)
    assert counts(r) == (8, 0, 8, 0, 0)
    assert {k: c.id for k, c in stored_calls(store).items()} == ids
    # The same calls under another name, written differently, are already stored too.
    text = path.read_text().replace("2022-02-01T09:14:03", "2022-02-01 09:14:03+00:00")
    other = tmp_path / "again.csv"
    other.write_text(text.replace("false", "No"))
    assert counts(load(store, other)) == (8, 0, 8, 0, 0)
    _, CallSource = models()
    assert list(CallSource.objects.using(store.alias).values_list("file", "rows")) == [
        (str(path), 8)
    ]


def test_a_changed_call_is_updated_in_place(store: Store, tmp_path: Path) -> None:
    first = write(
        tmp_path,
        "day1.csv",
        [
            "A,999,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,false,,",
            "B,101,2022-02-01T09:00:00,,2022-02-01T09:02:00,true,,",
            "C,triage,2022-02-01T09:00:00,2022-02-01T09:00:40,2022-02-01T09:03:00,false,,",
        ],
    )
    assert counts(load(store, first)) == (3, 3, 0, 0, 0)
    before = stored_calls(store)
    # B was answered after all (the late record), C is unchanged, D is new.
    second = write(
        tmp_path,
        "day2.csv",
        [
            "C,triage,2022-02-01T09:00:00,2022-02-01T09:00:40,2022-02-01T09:03:00,false,,",
            "B,101,2022-02-01T09:00:00,2022-02-01T09:04:10,2022-02-01T09:09:00,false,,",
            "D,999,2022-02-01T10:00:00,2022-02-01T10:00:12,2022-02-01T10:03:00,false,,",
        ],
    )
    r = load(store, second)
    assert counts(r) == (3, 2, 1, 0, 1)
    after = stored_calls(store)
    assert len(after) == 4
    b = after["B"]
    assert b.id == before["B"].id
    assert (b.abandoned, b.answered_at, b.wait_seconds, b.line) == (
        False,
        datetime(2022, 2, 1, 9, 4, 10, tzinfo=UTC),
        250.0,
        3,
    )
    assert (b.source.file, after["C"].source.file) == (str(second), str(first))
    _, CallSource = models()
    assert dict(CallSource.objects.using(store.alias).values_list("file", "rows")) == {
        str(first): 2,
        str(second): 2,
    }
    # Loading the first file again puts B back as it was: an update, not a new call.
    assert counts(load(store, first)) == (3, 1, 2, 0, 1)
    assert stored_calls(store)["B"].abandoned is True


def test_rejected_rows_are_counted_and_the_rest_stored(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mixed.csv",
        [
            "A,999,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,false,,",
            "B,fax,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,false,,",
            "C,999,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,true,,",
            "A,999,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,false,,",
        ],
    )
    r = load(store, path)
    assert counts(r) == (4, 1, 0, 3, 0)
    assert [(x.line, x.field) for x in r.rejects] == [
        (3, "channel"),
        (4, "answered_at"),
        (5, "call_id"),
    ]
    assert list(stored_calls(store)) == ["A"]


def test_strict_stores_nothing_of_a_file_with_rejects(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "strict.csv",
        [
            "A,999,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,false,,",
            "B,fax,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,false,,",
        ],
    )
    r = load(store, path, strict=True)
    assert counts(r) == (2, 0, 0, 2, 0) and "--strict" in r.error
    assert stored_calls(store) == {}
    _, CallSource = models()
    assert CallSource.objects.using(store.alias).count() == 0


def test_a_wrong_file_is_one_error_with_every_row_rejected(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("call_id,channel,queued_at\nA,999,2022-02-01T09:00:00\n\nB,999,x\n")
    r = load(store, path)
    assert counts(r) == (2, 0, 0, 2, 0)
    assert "missing required column(s): answered_at, ended_at, abandoned" in r.error
    assert [(x.line, x.field) for x in r.rejects] == [(1, "(file)")]


def test_an_interrupted_file_leaves_the_store_as_it_was(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = example(tmp_path, "first.csv")
    load(store, good)
    later = write(
        tmp_path,
        "later.csv",
        ["Z,999,2022-02-01T09:00:00,2022-02-01T09:00:05,2022-02-01T09:03:00,false,,"],
    )
    real = load_mod.Loader.bulk_insert

    def interrupted(self, table, columns, rows):
        real(self, table, columns, rows)
        raise KeyboardInterrupt

    monkeypatch.setattr(load_mod.Loader, "bulk_insert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_calls(store, list(expand_inputs([later])))
    monkeypatch.setattr(load_mod.Loader, "bulk_insert", real)
    assert "Z" not in stored_calls(store) and len(stored_calls(store)) == 8
    _, CallSource = models()
    assert CallSource.objects.using(store.alias).count() == 1
    assert counts(load(store, later)) == (1, 1, 0, 0, 0)


def test_synthetic_log_round_trips_through_the_store(store: Store, tmp_path: Path) -> None:
    """Generated calls, written, loaded and read back, give the same figures."""
    calls = generate_calls(date(2022, 1, 31), date(2022, 2, 1), seed=7, scale=0.2)
    path = write_calls_csv(calls, tmp_path / "synthetic.csv")
    r = load(store, path)
    assert counts(r) == (calls.height, calls.height, 0, 0, 0)
    Call, _ = models()
    cols = [
        "call_id",
        "channel",
        "queued_at",
        "answered_at",
        "ended_at",
        "abandoned",
        "transferred_to",
        "force",
        "wait_seconds",
    ]
    back = pl.DataFrame(
        list(Call.objects.using(store.alias).order_by("queued_at", "channel").values_list(*cols)),
        schema=cols,
        orient="row",
    )
    back = back.with_columns(
        pl.col(c).dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        for c in ("queued_at", "answered_at", "ended_at")
    )
    assert back.sort("call_id").equals(calls.sort("call_id"))
    for by in ("month", "financial_year"):
        for channel in ("999", "101", "triage", None):
            assert call_kpis(back, by=by, channel=channel).table.equals(
                call_kpis(calls, by=by, channel=channel).table
            )
    assert triage_vs_main(back).table.equals(triage_vs_main(calls).table)
