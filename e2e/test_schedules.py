"""Schedules in a real browser, English and Persian: make a schedule with the form (the rule's
fields switch with the choice), "Run now" makes the to-do, which is then on the dashboard; the
form, the list and the schedule's page fit a phone and a desktop and pass axe-core."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.schedules.models import Schedule
from tasks_app.schedules.services import run_now, save_schedule
from tasks_app.workspaces.services import personal_workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"made": "the to-do", "next": "Next runs", "once": "Once"},
    "fa": {"made": "ساخته شد", "next": "اجراهای بعدی", "once": "یک‌باره"},
}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_run_now_makes_the_to_do_on_the_dashboard(
    visit: Callable[..., Page], alice: User, language: str
) -> None:
    text = TEXT[language]
    page = visit("/schedules/new", alice, language)
    # Only the chosen rule's fields show.
    expect(page.locator("#schedule-cron")).to_be_visible()
    page.get_by_label(text["once"], exact=True).check()
    expect(page.locator("#schedule-cron")).to_be_hidden()
    expect(page.locator("#schedule-run-at")).to_be_visible()
    page.locator('input[name="rule"][value="cron"]').check()
    page.locator("#schedule-name").fill("Standup")
    page.locator("#schedule-cron").fill("0 9 * * 1-5")
    page.locator("#schedule-timezone").select_option("Asia/Tehran")
    page.locator("#schedule-title").fill("Standup %Y-%m-%d")
    page.locator("#schedule-save").click()
    expect(page.locator("h1")).to_have_text("Standup")
    expect(page.locator("#next-runs tbody tr")).to_have_count(5)
    expect(page.locator("#next-runs-heading")).to_have_text(text["next"])

    page.locator("#run-now").click()
    expect(page.locator(".messages")).to_contain_text(text["made"])
    expect(page.locator("#executions tbody tr")).to_have_count(1)
    task = Schedule.objects.get().executions.get().task
    # The title's date codes filled in: "Standup 2026-12-01".
    assert task.title.startswith("Standup 20") and "%" not in task.title

    page.goto(page.url.split("/schedules")[0] + "/dashboard")
    expect(page.get_by_text(task.title).first).to_be_visible()


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_schedule_pages_fit_the_screen(
    visit: Callable[..., Page], alice: User, language: str, size: str
) -> None:
    schedule = save_schedule(
        alice,
        {"name": "Standup", "rule": "cron", "cron": "0 9 * * *", "timezone": "Asia/Tehran"},
        workspace=personal_workspace(alice),
    )
    run_now(schedule)
    for path in ("/schedules/new", "/schedules", f"/schedules/{schedule.pk}"):
        page = visit(path, alice, language, size)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
        page.add_script_tag(content=AXE_SCRIPT)
        found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
        serious = [
            f"{v['id']}: {node['html'][:200]}"
            for v in found
            if v["impact"] in ("serious", "critical")
            for node in v["nodes"]
        ]
        assert not serious, f"{path}: {serious}"
