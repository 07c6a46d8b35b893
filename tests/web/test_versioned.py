"""asbhub.web.versioned: per-store-version caches, all emptied by one call."""

from __future__ import annotations

from asbhub.web import versioned


def test_clear_all_empties_every_registered_cache() -> None:
    calls: list[tuple[int, str]] = []

    @versioned.per_store_version(maxsize=2)
    def figures(version: tuple[int, str]) -> int:
        calls.append(version)
        return len(calls)

    assert figures((1, "a")) == 1
    assert figures((1, "a")) == 1  # cached: not recomputed for the same version
    assert figures((2, "b")) == 2  # a new load: a new version, computed again
    assert calls == [(1, "a"), (2, "b")]
    assert versioned.clear_all() >= 1
    assert figures((1, "a")) == 3  # emptied: computed again although the version is the same
    assert calls == [(1, "a"), (2, "b"), (1, "a")]


def test_the_pages_caches_are_registered(empty_default_store: object) -> None:
    import asbhub.web.incidents.places
    import asbhub.web.incidents.views
    import asbhub.web.scrutiny.services  # noqa: F401

    registered = {getattr(c, "__wrapped__", c).__qualname__ for c in versioned._CACHES}
    assert {
        "_figures_at",
        "_latest_asb_points_at",
        "_lsoa_centres_at",
        "_cached_report",
    } <= registered
