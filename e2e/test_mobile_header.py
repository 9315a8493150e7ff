"""The header and the dashboard's search at 1280×900 and 390×844, in English and Persian: on a
phone the navigation opens from a menu button and the search from an icon, so the header is one
row and the first task card is in the first screen; on a desktop everything shows as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.integrations.models import Notification
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MENU = {"en": "Menu", "fa": "فهرست"}
UPLOAD = {"en": "Upload", "fa": "بارگذاری"}
SEARCH = {"en": "Search and filters", "fa": "جست‌وجو و پالایش"}


def dashboard_with_tasks(visit: Callable[..., Page], alice: User, language: str, size: str) -> None:
    for number in range(3):
        Task.objects.create(
            user=alice,
            title=f"Call the printer {number}",
            description="About the spring catalogue",
            due_date=timezone.now() + timedelta(days=number + 1),
        )
    visit("/dashboard", alice, language, size)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_on_a_phone_the_menu_button_opens_the_navigation(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    dashboard_with_tasks(visit, alice, language, "phone")
    header = page.locator(".site-header")
    toggle = page.get_by_role("button", name=MENU[language])
    nav = page.get_by_role("navigation", name="Main" if language == "en" else "اصلی")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "site-menu")
    expect(nav).to_be_hidden()
    # One row: the brand and the menu button.
    header_box = header.bounding_box()
    assert header_box is not None and header_box["height"] <= 72

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    link = nav.get_by_role("link", name=UPLOAD[language], exact=True)
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    expect(page.locator(".lang-switch")).to_be_visible()
    # Escape closes it and puts focus back on the button.
    link.focus()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "fa"])
def test_on_a_phone_the_first_task_is_in_the_first_screen_and_search_opens_from_an_icon(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    dashboard_with_tasks(visit, alice, language, "phone")
    card = page.locator(".task-card").first
    expect(card).to_be_visible()
    box = card.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box

    search = page.locator("#id_q")
    toggle = page.get_by_role("button", name=SEARCH[language])
    expect(search).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(search).to_be_visible()
    expect(search).to_be_focused()
    search.fill("printer 2")
    expect(page.locator(".task-card")).to_have_count(1)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_filtered_dashboard_on_a_phone_shows_its_search(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    Task.objects.create(user=alice, title="Call the printer")
    visit("/dashboard?q=printer", alice, language, "phone")
    expect(page.locator("#id_q")).to_be_visible()
    expect(page.locator(".search-toggle")).to_have_attribute("aria-expanded", "true")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_on_a_desktop_everything_shows_without_buttons(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    dashboard_with_tasks(visit, alice, language, "desktop")
    expect(page.locator(".nav-toggle")).to_be_hidden()
    expect(page.locator(".search-toggle")).to_be_hidden()
    expect(page.locator(".main-nav")).to_be_visible()
    expect(page.locator("#id_q")).to_be_visible()
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= 72
    card = page.locator(".task-card").first.bounding_box()
    assert card is not None and card["y"] + card["height"] <= DESKTOP["height"]


def test_the_closed_menu_tells_about_unread_notifications(
    page: Page, visit: Callable[..., Page], alice: User
) -> None:
    task = Task.objects.create(user=alice, title="Board meeting")
    Notification.objects.create(user=alice, task=task, event="task.completed", title="x")
    visit("/dashboard", alice, "en", "phone")
    toggle = page.get_by_role("button", name=MENU["en"])
    expect(toggle).to_have_accessible_description("1 unread")
    dot = page.evaluate(
        "getComputedStyle(document.querySelector('.nav-toggle'), '::after').content"
    )
    assert dot == '""'
