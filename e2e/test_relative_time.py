"""Relative times keep counting on an open page: "just now" becomes "2 minutes ago" without a
reload or a poll (static/js/relative-time.js), in English and in Persian with Persian digits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "now": "just now",
        "later": "2 minutes ago",
        "due": "in 3 days",
        "due_later": "in 2 days",
    },
    "fa": {
        "now": "همین حالا",
        "later": "۲ دقیقه پیش",
        "due": "۳ روز دیگر",
        "due_later": "۲ روز دیگر",
    },
}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_relative_times_change_as_the_clock_moves_without_a_reload(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    words = WORDS[language]
    # A to-do alone: the dashboard does not poll, so only the page's own clock can change it.
    task = Task.objects.create(
        user=alice, title="Call the printer", due_date=timezone.now() + timedelta(days=3, hours=1)
    )
    page.clock.install()
    visit("/dashboard", alice, language)
    expect(page.locator("#task-list")).to_have_attribute("data-polling", "false")
    created, due = page.locator(f"#task-{task.pk} time[data-relative]").all()
    expect(created).to_have_text(words["now"])
    expect(due).to_have_text(words["due"])
    page.evaluate("window.loadedOnce = true")

    # Jumps, firing the page's 30-second timer once at the new time.
    page.clock.fast_forward("02:05")
    expect(created).to_have_text(words["later"])
    page.clock.fast_forward(24 * 3600 * 1000)
    expect(due).to_have_text(words["due_later"])
    # The same page all along, never reloaded.
    assert page.evaluate("window.loadedOnce") is True
