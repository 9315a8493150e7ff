"""Pages that update themselves: the dashboard on tab focus, the task page's poll when the
session has expired."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.conftest import sign_in
from tasks_app.models import Kind, Status, Task

pytestmark = pytest.mark.browser


@pytest.fixture
def running_task(alice: User) -> Callable[[], Task]:
    def make() -> Task:
        return Task.objects.create(
            user=alice,
            kind=Kind.TRANSCRIPTION,
            title="Long interview",
            status=Status.PROCESSING,
            file_path="uploads/missing.flac",
            original_filename="interview.flac",
            progress=30,
        )

    return make


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_refreshes_when_the_tab_regains_focus(
    page: Page, site: str, alice: User
) -> None:
    sign_in(page, site, alice)
    page.goto(f"{site}/dashboard")
    expect(page.locator(".empty-state")).to_be_visible()
    page.evaluate("window.__samePage = true")
    Task.objects.create(user=alice, title="Written on another device")
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(page.locator(".task-card")).to_contain_text("Written on another device")
    assert page.evaluate("window.__samePage === true")


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
@pytest.mark.django_db(transaction=True)
def test_the_task_page_follows_its_task_and_stops_polling(
    page: Page, site: str, alice: User, running_task: Callable[[], Task]
) -> None:
    task = running_task()
    sign_in(page, site, alice)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    expect(page.locator("#task-status .badge")).to_have_text("Processing")
    Task.objects.filter(pk=task.pk).update(status=Status.FAILED, error_message="Disk on fire.")
    expect(page.locator("#task-status .badge")).to_have_text("Failed", timeout=10_000)
    expect(page.locator("#task-status")).to_contain_text("Disk on fire.")
    poll_url = f"/dashboard/tasks/{task.pk}/status"
    expect(page.locator("#task-status")).not_to_have_attribute("hx-get", poll_url)

    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url))
    page.wait_for_timeout(4_000)
    assert not [url for url in polls if url.endswith("/status")]


@pytest.mark.django_db(transaction=True)
def test_an_expired_session_during_a_poll_goes_to_the_login_page(
    page: Page, site: str, alice: User, running_task: Callable[[], Task]
) -> None:
    task = running_task()
    sign_in(page, site, alice)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    expect(page.locator("#task-status .badge")).to_have_text("Processing")
    page.context.clear_cookies()
    page.wait_for_url(f"{site}/login?next=/dashboard/tasks/{task.pk}", timeout=10_000)
    expect(page.locator("h1")).to_have_text("Log in to Writers")
    assert page.locator("#task-status").count() == 0
