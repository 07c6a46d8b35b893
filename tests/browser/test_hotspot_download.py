"""The hot-spot page's "Download GeoJSON", clicked the moment the page has loaded, while the
map's own request for the same GeoJSON is still being answered (issue #12).

The heavy-job gate (asbhub.web.limits) used to count the download as a second job of the same
report and refuse it with a 429, and the browser's download then failed silently. Now the
download waits for the map's computation and is answered from the same cached result; and a
refusal, should one happen, is said on the page. The gate's own tests are in
``tests/web/test_heavy_same_job.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, sign_in

pytestmark = pytest.mark.browser

#: All crime and ASB, force-wide, counts on 100 m cells: a GeoJSON large enough that
#: the map's request is still being answered when the download is clicked.
QUERY = "crime_type=all&method=count&cell=100"
SHOTS = os.environ.get("ASBHUB_SCREENSHOTS", "")


def test_download_clicked_while_the_map_loads_gives_the_file(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server, "demo.analyst")
    answers: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: answers.append((r.url, r.status)) if "/api/hotspots.geojson" in r.url else None,
    )
    # The map's request for the cells is held in the browser until the download is clicked,
    # then let go with it, so that the server is still answering the one when the other
    # arrives (on a quiet machine the map's might otherwise be done before the click).
    held: list[Any] = []
    released: list[bool] = []

    def hold(route: Any) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/hotspots.geojson?*", hold)
    page.goto(f"/hotspots/?{QUERY}", timeout=120_000)
    assert len(held) == 1, f"expected the map's request for its cells: {held}"
    link = page.get_by_role("link", name="Download the cells as GeoJSON")
    with page.expect_download(timeout=120_000) as info:
        link.click()  # at once: the map's own request for the cells is under way
        released.append(True)
        for route in held:  # the map's, then the download's if it came before this
            route.continue_()
    download = info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename.endswith(".geojson")
    geojson = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    stamp = geojson["asbhub"]
    assert stamp["method"] == "count" and geojson["features"]
    assert stamp["parameters"]["cell_size"] == 100

    # The map drew the same cells, from the same computation (the same run).
    page.wait_for_function(
        "() => !document.getElementById('hotspot-map-status').textContent.startsWith('Loading')",
        timeout=120_000,
    )
    status = page.locator("#hotspot-map-status").inner_text()
    assert f"Showing {len(geojson['features']):,} cells" in status, (status, answers)
    assert page.locator("#hotspot-download-status").inner_text() == (
        "The GeoJSON file has been downloaded."
    )
    assert stamp["run_id"] in (page.locator("main").inner_text())
    # Both requests for the cells were answered, neither refused.
    assert len(answers) == 2 and {s for _, s in answers} == {200}, answers
    # The clicked link keeps GOV.UK's focus style (black on yellow, a thick underline drawn as
    # a box-shadow), which axe reads as colour alone: checked as it shows when not focused.
    link.blur()
    assert_accessible(page, "hot spots after the download")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "hotspot-download.png"), full_page=True)
