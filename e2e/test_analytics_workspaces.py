"""/analytics in a real browser: a workspace is chosen with the form (no JavaScript needed), the
figures and the per-member table follow, the exports keep the choice, and the filters fit a
phone in right-to-left Persian as on a desktop in English."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tasks_app.analytics.tests.conftest import transcription
from tasks_app.models import Status

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "size", "show", "viewer"),
    [("en", "desktop", "Show", "Viewer"), ("fa", "phone", "نمایش", "بیننده")],
)
def test_a_workspace_admin_narrows_the_figures_to_the_team(
    visit: Any,
    alice: User,
    bob: User,
    team: Any,
    language: str,
    size: str,
    show: str,
    viewer: str,
) -> None:
    transcription(alice, title="Personal")
    transcription(bob, workspace=team)
    transcription(bob, Status.FAILED, workspace=team, error_code="TIMEOUT")
    page = visit("/analytics", alice, language, size)
    expect(page.locator("#total-tasks")).to_have_text("3" if language == "en" else "۳")
    expect(page.locator("#per-user")).to_have_count(0)

    page.select_option("#id_workspace", str(team.pk))
    page.get_by_role("button", name=show).click()
    expect(page.locator("#total-tasks")).to_have_text("2" if language == "en" else "۲")
    expect(page.locator("#id_workspace")).to_have_value(str(team.pk))
    rows = page.locator("#per-user tbody tr")
    expect(rows).to_have_count(3)  # bob, alice and dave, who has no tasks
    expect(rows.filter(has_text="dave@example.org")).to_contain_text(viewer)
    csv = page.locator("a[href^='/analytics/export.csv']")
    expect(csv).to_have_attribute("href", f"/analytics/export.csv?days=30&workspace={team.pk}")
    # Nothing sticks out sideways: the filters and the table fit the window.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
