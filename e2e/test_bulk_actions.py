"""The dashboard's bulk bar in a real browser, English at 1280×900 and Persian on a 390×844
phone: its actions wait until a task is ticked, the count follows the ticks, "Set priority"
changes the ticked tasks only and their cards show it, Delete asks in the page's dialog first;
nothing sticks out of the screen. A viewer's cards have no checkbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"set": "Set priority", "urgent": "Urgent", "ticked": "2 tasks ticked"},
    "fa": {"set": "تعیین اولویت", "urgent": "فوری", "ticked": "۲ کار علامت خورده"},
}


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("fa", "phone")])
def test_bulk_priority(
    language: str,
    size: str,
    alice: User,
    bob: User,
    team: Any,
    visit: Callable[..., Page],
) -> None:
    for title in ("First", "Second", "Third"):
        Task.objects.create(user=alice, workspace=team, title=title)
    page = visit("/dashboard", bob, language, size)
    bar = page.locator("#bulk-form")
    set_priority = bar.get_by_role("button", name=WORDS[language]["set"])
    # Nothing ticked: the bar only says what it is for.
    expect(set_priority).to_be_hidden()

    for title in ("First", "Second"):
        page.locator(".task-card", has_text=title).locator("input[name=ids]").check()
    expect(bar.locator("#bulk-count")).to_have_text(WORDS[language]["ticked"])
    expect(set_priority).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    bar_box = bar.bounding_box()
    assert bar_box is not None and bar_box["x"] >= 0
    assert bar_box["x"] + bar_box["width"] <= page.viewport_size["width"]

    bar.locator("select[name='bulk-priority']").select_option("urgent")
    set_priority.click()
    expect(page.locator(".message")).to_be_visible()
    for title in ("First", "Second"):
        card = page.locator(".task-card", has_text=title)
        expect(card.locator(".priority-urgent")).to_contain_text(WORDS[language]["urgent"])
    expect(page.locator(".task-card", has_text="Third").locator(".priority-badge")).to_have_count(0)
    assert {task.priority for task in Task.objects.exclude(title="Third")} == {"urgent"}
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Delete asks first in the page's dialog, then moves the ticked task to the Trash.
    page.locator(".task-card", has_text="Third").locator("input[name=ids]").check()
    bar.locator("button[value=delete]").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#confirm-ok").click()
    expect(page.locator(".task-card", has_text="Third")).to_have_count(0)
    assert Task.objects.get(title="Third").deleted_at is not None


def test_a_viewer_has_no_checkboxes(
    alice: User, dave: User, team: Any, visit: Callable[..., Page]
) -> None:
    Task.objects.create(user=alice, workspace=team, title="Team task")
    page = visit("/dashboard", dave, "en")
    expect(page.locator(".task-card", has_text="Team task")).to_be_visible()
    expect(page.locator("input[name=ids]")).to_have_count(0)
