"""Due dates in a real browser: in Persian a Jalali date is picked from the calendar with the
keyboard or typed in Persian digits, saved, and shown back the same; English keeps the browser's
own date-and-time input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.conftest import sign_in
from tasks_app.models import Kind, Task

pytestmark = pytest.mark.browser

OPEN_CALENDAR = "انتخاب تاریخ از تقویم"


@pytest.fixture
def tehran(settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Tehran"


@pytest.mark.django_db(transaction=True)
def test_a_date_picked_with_the_keyboard_is_saved_and_shown_back(
    page: Page, site: str, alice: User, tehran: None
) -> None:
    # 1405/09/10 at midnight in Tehran.
    task = Task.objects.create(
        user=alice,
        kind=Kind.TODO,
        title="Call back",
        due_date=datetime(2026, 11, 30, 20, 30, tzinfo=UTC),
    )
    sign_in(page, site, alice, "fa")
    page.goto(f"{site}/dashboard/tasks/{task.pk}/edit")
    box = page.locator("#id_due_date")
    expect(box).to_have_value("۱۴۰۵/۰۹/۱۰")

    toggle = page.get_by_role("button", name=OPEN_CALENDAR)
    toggle.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="آذر ۱۴۰۵")
    expect(dialog).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    # The stored day has the focus; right to left, the left arrow is the next day.
    expect(page.locator(".jp-day:focus")).to_have_text("۱۰")
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".jp-day:focus")).to_have_text("۱۱")
    page.keyboard.press("ArrowDown")
    expect(page.locator(".jp-day:focus")).to_have_text("۱۸")
    page.keyboard.press("PageDown")
    expect(page.get_by_role("dialog", name="دی ۱۴۰۵")).to_be_visible()
    expect(page.locator(".jp-day:focus")).to_have_accessible_name("جمعه ۱۸ دی ۱۴۰۵")
    page.keyboard.press("Enter")
    expect(box).to_have_value("۱۴۰۵/۱۰/۱۸")
    expect(dialog).to_be_hidden()
    expect(toggle).to_be_focused()

    # Escape closes without changing anything and gives the focus back.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Escape")
    expect(page.locator(".jp-popup")).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(box).to_have_value("۱۴۰۵/۱۰/۱۸")

    page.get_by_role("button", name="ذخیرهٔ تغییرات").click()
    expect(page).to_have_url(f"{site}/dashboard/tasks/{task.pk}")
    task.refresh_from_db()
    assert task.due_date == datetime(2027, 1, 7, 20, 30, tzinfo=UTC)  # 1405/10/18, Tehran
    page.goto(f"{site}/dashboard/tasks/{task.pk}/edit")
    expect(page.locator("#id_due_date")).to_have_value("۱۴۰۵/۱۰/۱۸")


@pytest.mark.django_db(transaction=True)
def test_a_date_typed_in_persian_digits_is_saved_and_shown_back(
    page: Page, site: str, alice: User, tehran: None
) -> None:
    sign_in(page, site, alice, "fa")
    page.goto(f"{site}/dashboard")
    todo = page.locator('form[action="/dashboard/todos"]')
    todo.locator("#id_title").fill("Buy a microphone")
    box = todo.locator("#id_due_date")
    expect(box).to_have_attribute("type", "text")
    box.fill("۱۴۰۵/۱۳/۰۱")
    todo.get_by_role("button", name="افزودن کار").click()
    # Refused in words, with what was typed kept for correcting.
    expect(page.get_by_text("ماه ۱۳ وجود ندارد: ماه‌ها از ۱ تا ۱۲ شماره دارند.")).to_be_visible()
    expect(box).to_have_value("۱۴۰۵/۱۳/۰۱")
    assert not Task.objects.exists()

    box.fill("۱۴۰۳/۱۲/۳۰ ۰۹:۱۵")
    todo.get_by_role("button", name="افزودن کار").click()
    # The card writes the date out, or says how long ago with the full date on hover.
    shown = "۳۰ اسفند ۱۴۰۳، ساعت ۹:۱۵"
    expect(page.locator(f'time[title="{shown}"], time:text-is("{shown}")').first).to_be_visible()
    task = Task.objects.get(user=alice)
    assert task.due_date == datetime(2025, 3, 20, 5, 45, tzinfo=UTC)
    page.goto(f"{site}/dashboard/tasks/{task.pk}/edit")
    expect(page.locator("#id_due_date")).to_have_value("۱۴۰۳/۱۲/۳۰ ۰۹:۱۵")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)])
def test_the_upload_forms_calendar_fits_the_screen(
    page: Page, site: str, alice: User, viewport: tuple[int, int]
) -> None:
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, site, alice, "fa")
    page.goto(f"{site}/dashboard/upload")
    # The due date may sit in a folded "Advanced" section: unfold it the way a reader would.
    folded = page.locator("details:has(#id_due_date):not([open]) > summary")
    if folded.count():
        folded.click()
    toggle = page.get_by_role("button", name=OPEN_CALENDAR)
    toggle.click()
    popup = page.locator(".jp-popup")
    expect(popup).to_be_visible()
    box = popup.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    # With the box empty the calendar opens on today, marked as such, with the focus on it.
    today = page.locator(".jp-day:focus")
    expect(today).to_have_attribute("aria-current", "date")
    today.press("Enter")
    expect(page.locator("#id_due_date")).to_have_value(re.compile(r"^[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}$"))


@pytest.mark.django_db(transaction=True)
def test_the_upload_form_keeps_its_calendar_after_the_server_refuses_a_date(
    page: Page, site: str, alice: User, tehran: None, jfk_flac: Path, queues: Any
) -> None:
    sign_in(page, site, alice, "fa")
    page.goto(f"{site}/dashboard/upload")
    page.set_input_files("#id_file", str(jfk_flac))
    folded = page.locator("details:has(#id_due_date):not([open]) > summary")
    if folded.count():
        folded.click()
    page.locator("#id_due_date").fill("۱۴۰۴/۱۲/۳۰")
    page.locator("#upload-submit").click()
    # The script swaps in the server's form with its error: the fresh box gets a calendar too.
    expect(page.get_by_text("اسفند ۱۴۰۴ فقط ۲۹ روز دارد.")).to_be_visible()
    assert not Task.objects.exists()
    toggle = page.get_by_role("button", name=OPEN_CALENDAR)
    expect(toggle).to_have_count(1)
    page.locator("#id_due_date").fill("۱۴۰۴/۱۲/۲۹")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="اسفند ۱۴۰۴")).to_be_visible()
    page.keyboard.press("ArrowRight")  # right to left: the day before
    page.keyboard.press("Enter")
    expect(page.locator("#id_due_date")).to_have_value("۱۴۰۴/۱۲/۲۸")
    page.locator("#upload-submit").click()
    expect(page).not_to_have_url(f"{site}/dashboard/upload")
    task = Task.objects.get(user=alice)
    assert task.due_date == datetime(2026, 3, 18, 20, 30, tzinfo=UTC)  # 1404/12/28, Tehran


@pytest.mark.django_db(transaction=True)
def test_english_keeps_the_browsers_date_input(page: Page, site: str, alice: User) -> None:
    task = Task.objects.create(user=alice, kind=Kind.TODO, title="Call back")
    sign_in(page, site, alice, "en")
    page.goto(f"{site}/dashboard/tasks/{task.pk}/edit")
    box = page.locator("#id_due_date")
    expect(box).to_have_attribute("type", "datetime-local")
    expect(page.get_by_role("button", name="Choose the date from a calendar")).to_have_count(0)
    box.fill("2026-12-01T10:30")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(f"{site}/dashboard/tasks/{task.pk}")
    task.refresh_from_db()
    assert task.due_date == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
