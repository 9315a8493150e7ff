"""Tags in a real browser, English and Persian: an editor adds a tag on a dashboard card (in
place, no reload) and filters the list by two tags (a task must carry both); the Tags page and
the chips pass axe-core; on a phone a card's many chips wrap inside the card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.test_accessibility import violations
from tasks_app.models import Task
from tasks_app.tags.models import Tag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"add": "Add tag", "tags": "Tags"},
    "fa": {"add": "افزودن برچسب", "tags": "برچسب‌ها"},
}


def chip_violations(page: Page) -> list[str]:
    """axe-core's serious findings in the chips and the filter row (the rest of the dashboard
    is test_accessibility's)."""
    found = page.evaluate(
        "axe.run({include: [['.tag-chips'], ['.tag-filter']]}, {resultTypes: ['violations']})"
    )["violations"]
    return [
        f"{v['id']}: {node['html'][:200]}"
        for v in found
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("language", ["en", "fa"])
def test_tags_filter(
    language: str, alice: User, bob: User, team: Any, visit: Callable[..., Page], settings: Any
) -> None:
    sport = Tag.objects.create(workspace=team, name="Sport", color="#ca8a04")
    politics = Tag.objects.create(workspace=team, name="Politics", color="#4f46e5")
    Task.objects.create(user=alice, workspace=team, title="Only sport").tags.add(sport)
    Task.objects.create(user=alice, workspace=team, title="Both").tags.add(sport)
    Task.objects.create(user=alice, workspace=team, title="Neither")
    page = visit("/dashboard", bob, language)
    page.context.add_init_script(script=AXE_SCRIPT)

    # Add "Politics" to the card "Both" by typing its name: the chips swap in place.
    card = page.locator(".task-card", has_text="Both")
    card.get_by_placeholder("Tag" if language == "en" else "برچسب").fill("politics")
    card.get_by_role("button", name=WORDS[language]["add"]).click()
    expect(card.locator(".tag-chip a", has_text="Politics")).to_be_visible()
    expect(card.locator(".tag-add input[name=name]")).to_be_focused()
    assert set(Task.objects.get(title="Both").tags.all()) == {sport, politics}

    # Tick both tags in the filter row: only the task that carries both stays.
    filters = page.locator("fieldset.tag-filter")
    expect(filters.locator("legend")).to_contain_text(WORDS[language]["tags"])
    filters.locator("label", has_text="Sport").click()
    expect(page.locator(".task-card", has_text="Neither")).to_have_count(0)
    filters.locator("label", has_text="Politics").click()
    expect(page.locator(".task-card", has_text="Only sport")).to_have_count(0)
    expect(page.locator(".task-card", has_text="Both")).to_have_count(1)
    assert f"tag={sport.pk}" in page.url and f"tag={politics.pk}" in page.url

    # The list as the address says, after a reload too.
    page.reload()
    expect(page.locator(".task-card")).to_have_count(1)
    assert not chip_violations(page)

    page.goto(page.url.split("/dashboard")[0] + f"/workspaces/{team.pk}/tags")
    expect(page.locator(".tag-row")).to_have_count(2)
    assert not violations(page)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_chips_wrap_inside_the_card_on_a_phone(
    language: str, alice: User, visit: Callable[..., Page]
) -> None:
    task = Task.objects.create(user=alice, title="Many tags")
    names = ["Interviews", "Breaking news", "Follow up", "Politics", "Sport", "Long read"]
    task.tags.add(*(Tag.objects.create(workspace=task.workspace, name=n) for n in names))
    page = visit("/dashboard", alice, language, "phone")
    card = page.locator(".task-card", has_text="Many tags")
    chips = card.locator(".tag-chip-list .tag-chip")
    expect(chips).to_have_count(len(names))
    box = card.bounding_box()
    tops = set()
    for index in range(len(names)):
        chip = chips.nth(index).bounding_box()
        assert box["x"] <= chip["x"] and chip["x"] + chip["width"] <= box["x"] + box["width"]
        tops.add(round(chip["y"]))
    assert len(tops) > 1
    # Nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
