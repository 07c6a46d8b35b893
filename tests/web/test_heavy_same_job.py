"""The same report with the same choices, asked twice by one user, is one heavy job
(asbhub.web.limits, issue #12): the hot-spot map's GeoJSON, still being computed for the map
when the user clicked "Download", refused the download, which failed silently.

Through Django's test client on the bundled sample; the gate's slot for the first request is
held by a thread here, which lets it go once the second request is seen waiting. The click in
a real browser is in ``tests/browser/test_hotspot_download.py``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.test import RequestFactory, override_settings  # noqa: E402

from asbhub.web.incidents.hotspots import hotspots_geojson, hotspots_page  # noqa: E402
from asbhub.web.limits import GATE, Busy, asker, job, same_job  # noqa: E402

GEOJSON = "/api/hotspots.geojson"
PARAMS = {
    "area": "",
    "crime_type": "asb",
    "from": "2019-01",
    "to": "2019-02",
    "method": "gistar",
    "cell": "500",
}


def _keys(view: Any, path: str, params: dict[str, str]) -> tuple[str, str]:
    """The gate's keys of the test client's (signed-out, 127.0.0.1) request."""
    request = RequestFactory().get(path, params, REMOTE_ADDR="127.0.0.1")
    who = asker(request)
    return job(who, view), same_job(who, view, request)


def _hold_until_a_waiter(who: str, same: str, seen: list[int]) -> threading.Thread:
    """A thread holding the slot of ``same`` until a request waits for it (bounded: 60 s)."""
    held = threading.Event()

    def hold() -> None:
        with GATE.slot(who, same):
            held.set()
            for _ in range(6000):
                if GATE.waiting():
                    seen.append(GATE.waiting())
                    break
                time.sleep(0.01)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(60), "the holding thread never took its slot"
    return thread


def test_the_same_geojson_asked_again_waits_for_the_running_one_and_gets_the_result(
    client: Any,
) -> None:
    alone = client.get(GEOJSON, PARAMS)
    assert alone.status_code == 200
    expected = json.loads(alone.content)
    assert expected["features"], "the sample should give cells to compare"

    who, same = _keys(hotspots_geojson, GEOJSON, PARAMS)
    seen: list[int] = []
    holder = _hold_until_a_waiter(who, same, seen)
    try:
        second = client.get(GEOJSON, PARAMS)  # the download while the map's fetch runs
    finally:
        holder.join(60)
    assert seen == [1], "the second request did not wait for the first"
    assert second.status_code == 200, second.content[:300]
    # The map's result, not a second one: the same cached run (same run id) and cells.
    assert json.loads(second.content) == expected
    assert GATE.running() == 0 and GATE.waiting() == 0


def test_the_same_page_asked_again_waits_too(client: Any) -> None:
    who, same = _keys(hotspots_page, "/hotspots/", PARAMS)
    seen: list[int] = []
    holder = _hold_until_a_waiter(who, same, seen)
    try:
        second = client.get("/hotspots/", PARAMS)
    finally:
        holder.join(60)
    assert seen == [1] and second.status_code == 200
    assert "Download the cells as GeoJSON" in second.content.decode()


def test_other_choices_or_another_heavy_report_are_still_refused_at_once(client: Any) -> None:
    who, same = _keys(hotspots_geojson, GEOJSON, PARAMS)
    with GATE.slot(who, same):
        # The same report with other choices is a second job: refused as before, no wait.
        other = client.get(GEOJSON, {**PARAMS, "cell": "250"})
        assert GATE.waiting() == 0
    assert other.status_code == 429 and other["Retry-After"] == "60"
    assert "try again in a minute" in json.loads(other.content)["error"]

    page_who, page_same = _keys(hotspots_page, "/hotspots/", PARAMS)
    with GATE.slot(page_who, page_same):
        # A weekly pack is another report: one of each per user, as before.
        assert client.get("/weekly/pack.csv", {"lpu": "Erewash"}).status_code != 429
        page = client.get("/hotspots/", {**PARAMS, "method": "kde"})
    assert page.status_code == 429
    assert "A report is already being built for you" in page.content.decode()


def test_a_wait_run_out_says_the_map_is_still_being_computed(client: Any) -> None:
    who, same = _keys(hotspots_geojson, GEOJSON, PARAMS)
    with override_settings(ASBHUB_HEAVY_SAME_WAIT=0), GATE.slot(who, same):
        r = client.get(GEOJSON, PARAMS)
    assert r.status_code == 429 and r["Retry-After"] == "5"
    assert json.loads(r.content)["error"] == (
        "the map is still being computed; try again in a few seconds"
    )
    page_who, page_same = _keys(hotspots_page, "/hotspots/", PARAMS)
    with override_settings(ASBHUB_HEAVY_SAME_WAIT=0), GATE.slot(page_who, page_same):
        page = client.get("/hotspots/", PARAMS)
    assert page.status_code == 429 and page["Retry-After"] == "5"
    assert "the hot spot map is still being computed; try again in a few seconds" in (
        page.content.decode()
    )


def test_the_gate_lets_one_request_wait_per_job_and_frees_it_after() -> None:
    with override_settings(ASBHUB_HEAVY_PER_USER=1, ASBHUB_HEAVY_JOBS=2):
        got: list[str] = []

        def second() -> None:
            with GATE.slot("a", "a|map", wait=60):
                got.append("ran")

        with GATE.slot("a", "a|map"):
            waiter = threading.Thread(target=second, daemon=True)
            waiter.start()
            for _ in range(6000):
                if GATE.waiting() == 1:
                    break
                time.sleep(0.01)
            assert GATE.waiting() == 1
            # A third for the same job is refused at once: the waiters are bounded.
            with pytest.raises(Busy) as third:
                with GATE.slot("a", "a|map", wait=60):
                    pass
            assert third.value.own and third.value.same
            # Another job of the same user is refused at once, not made to wait.
            with pytest.raises(Busy) as other:
                with GATE.slot("a", "a|other", wait=60):
                    pass
            assert other.value.own and not other.value.same
        waiter.join(60)
        assert got == ["ran"]
        assert GATE.running() == 0 and GATE.waiting() == 0
