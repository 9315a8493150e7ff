"""Notifications in a real browser, English and Persian: the list lines up with the page, times
read "… ago", and the header's unread badge follows new and read notifications without a
reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.conftest import sign_in
from tasks_app.integrations.models import Notification
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGO = {"en": "3 hours ago", "fa": "۳ ساعت پیش"}
MARK_READ = {"en": "Mark all read", "fa": "همه خوانده شد"}


def notify(user: User, title: str, hours_ago: float = 0) -> Notification:
    task = Task.objects.create(user=user, title=title)
    notification = Notification.objects.create(
        user=user, task=task, event="task.completed", title=title
    )
    if hours_ago:
        created = timezone.now() - timedelta(hours=hours_ago)
        Notification.objects.filter(pk=notification.pk).update(created_at=created)
    return notification


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_list_lines_up_with_the_page_and_says_how_long_ago(
    page: Page, site: str, alice: User, language: str, viewport: tuple[int, int]
) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    notify(alice, "Board meeting", hours_ago=3)
    sign_in(page, site, alice, language)
    page.goto(f"{site}/notifications")
    item = page.locator("#notification-list .notification").first
    expect(item.locator("time")).to_have_text(AGO[language].replace(" ", "\xa0", 1), timeout=2000)
    heading = page.locator("h1").bounding_box()
    card = item.bounding_box()
    main = page.locator("main").bounding_box()
    assert heading and card and main
    # The card starts where the heading starts (left in English, right in Persian) and spans
    # the page's content width.
    if language == "en":
        assert abs(card["x"] - heading["x"]) <= 1
    else:
        assert abs((card["x"] + card["width"]) - (heading["x"] + heading["width"])) <= 1
    padding = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('main')).paddingLeft)"
    )
    assert abs(card["width"] - (main["width"] - 2 * padding)) <= 1


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_unread_badge_follows_without_a_reload(
    page: Page, site: str, alice: User, language: str
) -> None:
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard")
    badge = page.locator("#unread-badge .badge")
    expect(badge).to_have_count(0)
    page.evaluate("window.__samePage = true")
    notify(alice, "Board meeting")
    # The badge polls every 30 s; a tab coming back into view asks at once.
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(badge).to_have_text("1" if language == "en" else "۱")
    assert page.evaluate("window.__samePage === true")

    page.goto(f"{site}/notifications")
    expect(badge).to_have_count(1)
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name=MARK_READ[language]).click()
    expect(badge).to_have_count(0)
    expect(page.locator("#notification-list .unread")).to_have_count(0)
    assert page.evaluate("window.__samePage === true")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
