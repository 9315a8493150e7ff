"""README's phone screenshots: `SCREENSHOTS=1 pytest e2e/test_screenshots.py` writes the upload
page and the dashboard (with a few tasks) at 390×844 to docs/screenshots/ (SCREENSHOTS_DIR
elsewhere). Skipped otherwise, so a test run never rewrites the docs."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("SCREENSHOTS") != "1", reason="set SCREENSHOTS=1"),
]

DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def test_it_captures_the_upload_page_and_the_dashboard_on_a_phone(
    page: Page, site: str, alice: User
) -> None:
    target = Path(os.environ.get("SCREENSHOTS_DIR") or DOCS)
    target.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Board meeting, March",
        status=Status.COMPLETED,
        file_path="uploads/board.mp3",
        original_filename="board-meeting.mp3",
        file_size=18_400_000,
        result_path="results/board.json",
        duration_seconds=2710,
        completed_at=now - timedelta(minutes=12),
    )
    Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Interview with the mayor",
        status=Status.PROCESSING,
        file_path="uploads/mayor.m4a",
        original_filename="mayor.m4a",
        file_size=9_100_000,
        duration_seconds=1260,
        progress=42,
        started_at=now - timedelta(minutes=3),
    )
    Task.objects.create(
        user=alice, title="Send the transcript to Sara", due_date=now + timedelta(days=2)
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies(
        [{"name": "access_token", "value": issue_tokens(alice)[0], "url": site}]
    )
    page.goto(f"{site}/dashboard")
    expect(page.locator(".task-card").first).to_be_visible()
    page.screenshot(path=str(target / "dashboard-phone.png"))
    page.goto(f"{site}/dashboard/upload")
    expect(page.locator("#upload-form")).to_be_visible()
    page.screenshot(path=str(target / "upload-phone.png"))
