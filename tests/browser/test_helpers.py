"""The browser helpers themselves: axe must catch a violation, and the live server's accounts
must sign in (a helper that cannot fail would make every browser test pass vacuously)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible

pytestmark = pytest.mark.browser


def test_assert_accessible_fails_listing_each_violation(page: Any, live_server: LiveServer) -> None:
    page.goto("/asb-advice/")
    assert_accessible(page, "advice")  # the real page passes ...
    # ... and the same page with two serious faults added does not.
    page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = '/static/asbhub/favicon.svg';
        img.id = 'no-alt';
        document.querySelector('main').append(img);
        const button = document.createElement('button');
        button.id = 'no-name';
        document.querySelector('main').append(button);
    }""")
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_accessible(page, "advice, spoilt")
    message = str(failed.value)
    assert "advice, spoilt" in message and "2 serious or critical" in message
    assert "- image-alt (critical)" in message and "#no-alt" in message
    assert "- button-name (critical)" in message and "#no-name" in message


def test_every_demonstration_account_was_read(live_server: LiveServer) -> None:
    from asbhub.store.db import setup_django

    setup_django()  # to import the list of accounts only: no database is queried
    from asbhub.demo.partners import ACCOUNTS

    assert sorted(live_server.accounts) == sorted(a[0] for a in ACCOUNTS)
    # token_urlsafe(12): 16 characters from the URL-safe alphabet, new on every run.
    assert all(len(p) == 16 for p in live_server.accounts.values())
