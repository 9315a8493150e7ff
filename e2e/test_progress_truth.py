"""Progress that tells the truth, in a real browser: the task page follows a task from the
queue to the end (queue position only while it waits, then the time left at its own pace, a
live preview, one set of details), in English and Persian; Persian pages write every figure in
Persian digits and line left-to-right cells up with the right-to-left page."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.conftest import sign_in
from tasks_app.models import Kind, Status, Task

pytestmark = pytest.mark.browser

LATIN_DIGIT = re.compile(r"[0-9]")
TEXT = {
    "en": {
        "in_queue": "#1 in queue",
        "queued_again": "Task queued again.",
        "time_left": re.compile(r"^about [1-9]\d*\s(minute|minutes) left$"),
        "under_a_minute": "less than a minute left",
        "live": "Live preview, still transcribing",
        "partial_stopped": "the task stopped before the end",
        "ago": re.compile(r"(just now|ago)$"),
        "labels": ("Created", "Completed", "Processing time", "Real-time factor"),
    },
    "fa": {
        "in_queue": "شمارهٔ ۱ در صف",
        "queued_again": "کار دوباره در صف قرار گرفت.",
        "time_left": re.compile(r"^حدود [۱-۹][۰-۹]*\sدقیقه مانده$"),
        "under_a_minute": "کمتر از یک دقیقه مانده",
        "live": "پیش‌نمایش زنده، رونویسی ادامه دارد",
        "partial_stopped": "پیش از پایان",
        "ago": re.compile(r"(همین حالا|پیش)$"),
        "labels": ("ایجاد", "تکمیل", "زمان پردازش", "ضریب بی‌درنگ"),
    },
}


def write_result(task: Task, *, partial: bool) -> None:
    relative = f"results/{task.pk}_transcription.json"
    (settings.STORAGE_ROOT / "results").mkdir(exist_ok=True)
    result = {
        "task_id": str(task.pk),
        "partial": partial,
        "text": "And so my fellow Americans,",
        "language": "en",
        "language_probability": 0.97,
        "duration": 300.0,
        "segments": [{"id": 0, "start": 0.0, "end": 4.5, "text": " And so my fellow Americans,"}],
    }
    (settings.STORAGE_ROOT / relative).write_text(json.dumps(result), encoding="utf-8")
    Task.objects.filter(pk=task.pk).update(result_path=relative)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_task_page_tells_the_truth_from_the_queue_to_the_end(
    page: Page, site: str, alice: User, language: str
) -> None:
    text: dict[str, Any] = TEXT[language]
    task = Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Long interview",
        status=Status.IN_PROGRESS,
        file_path="uploads/missing.flac",
        original_filename="interview.flac",
        duration_seconds=300.0,
        queued_at=timezone.now(),
        attempts=1,  # a retry: the first attempt failed
    )
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    status = page.locator("#task-status")
    expect(status.locator(".time-left")).to_contain_text(text["in_queue"])
    expect(status.locator("#queued-again")).to_have_text(text["queued_again"])

    # A worker takes it: 30 % after two minutes. The page's poll picks that up.
    Task.objects.filter(pk=task.pk).update(
        status=Status.PROCESSING,
        attempts=2,
        started_at=timezone.now() - timedelta(minutes=2),
        progress=30,
    )
    write_result(task, partial=True)
    expect(status.locator(".time-left")).to_have_text(text["time_left"], timeout=10_000)
    assert text["in_queue"] not in status.inner_text()
    expect(status.locator("#queued-again")).to_have_count(0)
    expect(status.locator("#transcript-state")).to_have_text(text["live"])
    if language == "fa":
        assert not LATIN_DIGIT.search(status.locator(".progress-meta").inner_text())

    Task.objects.filter(pk=task.pk).update(progress=99)
    expect(status.locator(".time-left")).to_have_text(text["under_a_minute"], timeout=10_000)

    # In the worker's order: the final file first, then the row says completed. The other way
    # round a poll in between sees a completed task with a partial file and stops polling.
    write_result(task, partial=False)
    Task.objects.filter(pk=task.pk).update(
        status=Status.COMPLETED, progress=100, completed_at=timezone.now()
    )
    details = status.locator("#details-heading + dl")
    expect(details.locator("dt", has_text=text["labels"][3])).to_have_count(1, timeout=10_000)
    expect(status.locator(".progress-meta")).to_have_count(0)
    expect(status.locator("#transcript-state")).to_have_count(0)
    terms = details.locator("dt").all_inner_texts()
    for label in text["labels"]:
        assert sum(label in term for term in terms) == 1, (label, terms)
    times = details.locator("time[datetime][title]")
    assert times.count() == 2  # created and completed, nothing else
    for moment in times.all():
        assert text["ago"].search(moment.inner_text().strip()), moment.inner_text()
        title = moment.get_attribute("title") or ""
        assert title and title != moment.inner_text()
        if language == "fa":
            assert "ساعت" in title and not LATIN_DIGIT.search(title)  # Jalali, Persian digits
            assert not LATIN_DIGIT.search(moment.inner_text())
    if language == "fa":
        assert not LATIN_DIGIT.search(details.locator("dd").nth(2).inner_text())  # 2:00


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_relative_times_stay_on_one_line_on_a_phone(
    page: Page, site: str, alice: User, language: str
) -> None:
    now = timezone.now()
    task = Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Interview",
        status=Status.COMPLETED,
        file_path="uploads/missing.flac",
        original_filename="interview.flac",
        duration_seconds=120.0,
        started_at=now - timedelta(seconds=30),
        completed_at=now,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, alice, language)
    for path in (f"/dashboard/tasks/{task.pk}", "/dashboard"):
        page.goto(f"{site}{path}")
        times = page.locator("main time[title]")
        expect(times.first).to_be_visible()
        for moment in times.all():
            lines = moment.evaluate("el => el.getClientRects().length")
            assert lines == 1, (path, moment.inner_text())


@pytest.mark.django_db(transaction=True)
def test_persian_analytics_and_counters_use_persian_digits_and_rtl_alignment(
    page: Page, site: str, staff: User
) -> None:
    now = timezone.now()
    for _ in range(12):
        Task.objects.create(
            user=staff,
            kind=Kind.TRANSCRIPTION,
            title="Interview",
            file_path="uploads/x.flac",
            status=Status.COMPLETED,
            duration_seconds=120.0,
            started_at=now - timedelta(seconds=10),
            completed_at=now,
        )
    sign_in(page, site, staff, "fa")
    page.goto(f"{site}/analytics")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    for figure in ("#total-tasks", "#audio-minutes", "#real-time-factor", "#per-user tbody"):
        shown = page.locator(figure).inner_text()
        assert shown.strip() and not LATIN_DIGIT.search(shown.replace(staff.email, "")), shown
    expect(page.locator("#total-tasks")).to_have_text("۱۲")
    for label in page.locator("svg.chart text").all_text_contents():
        assert not LATIN_DIGIT.search(label), label

    # The e-mail reads left to right but its cell lines up with the table's start, the right.
    cell = page.locator("#per-user td.ltr").first
    assert cell.evaluate("el => getComputedStyle(el).textAlign") == "right"
    edge = cell.evaluate(
        """el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            const text = range.getBoundingClientRect(), box = el.getBoundingClientRect();
            return box.right - parseFloat(getComputedStyle(el).paddingRight) - text.right;
        }"""
    )
    assert abs(edge) <= 1.5, edge
    for other in page.locator("#per-user td:not(.ltr), #per-user th").all():
        assert other.evaluate("el => getComputedStyle(el).textAlign") in ("start", "right")

    page.goto(f"{site}/dashboard")
    counter = page.locator(".refresh-note")
    expect(counter).to_contain_text("۱۲")
    assert not LATIN_DIGIT.search(counter.inner_text())
    for moment in page.locator(".task-card time").all_inner_texts():
        assert not LATIN_DIGIT.search(moment), moment
