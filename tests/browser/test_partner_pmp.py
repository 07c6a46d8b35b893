"""A partner whose sharing agreement has ended opens a demonstration PMP: the plan is shown,
its personal data withheld, with the reason, where the owning police force sees them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, sign_in

pytestmark = pytest.mark.browser

#: The demonstration plan whose partner is the housing provider (see asbhub/demo/cases.py).
PLAN = re.compile(r"Street drinking and begging")


def _open_plan(page: Any, href: str, label: str) -> None:
    page.goto(href)
    assert_accessible(page, f"{label}: why do you need this plan")
    page.get_by_role("radio").first.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "purpose=" in page.url
    assert_accessible(page, f"{label}: the plan")


def _section_after(page: Any, heading: str) -> Any:
    return page.locator(f"xpath=//h3[normalize-space()='{heading}']/following-sibling::*[1]")


def test_partner_without_live_agreement_sees_plan_with_personal_data_withheld(
    page: Any, live_server: LiveServer
) -> None:
    # The owner (police) first: what the plan says about its victim.
    sign_in(page, live_server, "demo.analyst")
    page.goto("/pmps/")
    assert_accessible(page, "plans, police analyst")
    href = (
        page.get_by_role("row")
        .filter(has_text=PLAN)
        .get_by_role("link")
        .first.get_attribute("href")
    )
    _open_plan(page, href, "police analyst")
    victim_text = _section_after(page, "Victim").inner_text().strip()
    assert victim_text and "Withheld" not in victim_text
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("navigation", name="Main").get_by_role(
        "button", name=re.compile("^Sign out")
    ).click()
    page.wait_for_load_state()

    # The housing provider's agreement with the police (DEMO-ISA-004) has ended.
    sign_in(page, live_server, "demo.housing")
    page.goto("/pmps/")
    assert_accessible(page, "plans, housing officer")
    assert page.get_by_role("row").filter(has_text=PLAN).count() == 1
    _open_plan(page, href, "housing officer")
    assert page.get_by_role("heading", level=1).inner_text() == title
    # Issue #12: the reason is said once, in one note at the top; the parts link to it.
    note = page.locator("#withheld")
    assert "app-withheld" in (note.get_attribute("class") or "")
    reason = note.inner_text()
    assert "Withheld" in reason and "DEMO-ISA-004" in reason and "ended on" in reason
    assert page.locator("main").inner_text().count("DEMO-ISA-004") == 1
    for part in ("Victim", "Offender"):
        assert "Withheld" in _section_after(page, part).inner_text()
    assert victim_text not in page.locator("main").inner_text()
