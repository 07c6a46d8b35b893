"""The table of writers (asbhub.store.loaders.writers): each kind a file can be told as has
its reader and writer, and the old import path gives the same objects."""

from __future__ import annotations

from asbhub.data import sample_paths
from asbhub.ingest import calls, force_export, police_uk
from asbhub.store import loaders
from asbhub.store.loaders import calls as call_writer
from asbhub.store.loaders import force_export as export_writer
from asbhub.store.loaders import police_uk as police_uk_writer
from asbhub.store.loaders.writers import WRITERS, detect_kind


def test_every_kind_has_its_reader_and_writer() -> None:
    assert {k: (f.kind, f.read, f.write) for k, f in WRITERS.items()} == {
        police_uk.KIND: (
            police_uk.KIND,
            police_uk.read_police_uk,
            police_uk_writer.write_police_uk,
        ),
        force_export.KIND: (
            force_export.KIND,
            force_export.read_force_export,
            export_writer.write_force_export,
        ),
        calls.KIND: (calls.KIND, calls.read_calls, call_writer.write_calls),
    }


def test_detect_kind_tells_each_format_apart() -> None:
    street = sample_paths()[0]
    assert detect_kind(street.name, street.read_bytes()) == police_uk.KIND
    assert detect_kind("calls.csv", b"call_id,channel,queued_at\n1,999,x\n") == calls.KIND
    assert detect_kind("x.csv", b"incident_reference,record_type\nA,asb\n") == force_export.KIND
    assert detect_kind("x.jsonl", b'{"incident_reference": "A"}\n') == force_export.KIND
    # An unknown header goes to the police.uk reader, which names what is wrong with it.
    assert detect_kind("x.csv", b"what,is,this\n") == police_uk.KIND


def test_the_old_import_path_gives_the_same_objects() -> None:
    from asbhub.store import load

    for name in load.__all__:
        assert getattr(load, name) is getattr(loaders, name), name
