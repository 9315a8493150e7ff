"""Attachments in a real browser: attach a file on the task page (the panel swaps in place),
see it listed, download it, delete it through the page's dialog. English and Persian; a long
file name on a phone stays inside the screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTES = b"Agenda: budget, hiring, the spring issue.\n"
WORDS = {
    "en": {"heading": "Attachments", "attach": "Attach", "empty": "No attachments yet."},
    "fa": {"heading": "پیوست‌ها", "attach": "پیوست کن", "empty": "هنوز پیوستی نیست."},
}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_it_attaches_lists_downloads_and_deletes(
    language: str, alice: User, visit: Callable[..., Page], tmp_path: Path
) -> None:
    task = Task.objects.create(user=alice, title="Board meeting")
    words = WORDS[language]
    page = visit(f"/dashboard/tasks/{task.pk}", alice, language)
    panel = page.locator("#attachments")
    expect(panel.get_by_role("heading", name=words["heading"])).to_be_visible()
    expect(panel).to_contain_text(words["empty"])

    page.set_input_files(
        "#attachment-file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": NOTES}]
    )
    panel.get_by_role("button", name=words["attach"], exact=True).click()
    link = page.locator("#attachments .attachment-name", has_text="notes.txt")
    expect(link).to_be_visible()
    expect(page.locator("#attachments .attachment")).to_contain_text("Alice Owner")

    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "notes.txt"
    saved = tmp_path / "notes.txt"
    download.save_as(saved)
    assert saved.read_bytes() == NOTES

    page.locator("#attachments .attachment .btn-danger").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#confirm-ok").click()
    expect(panel).to_contain_text(words["empty"])
    assert not task.attachments.exists()


def test_a_long_name_stays_on_a_phone_screen(
    alice: User, visit: Callable[..., Page], tmp_path: Path
) -> None:
    task = Task.objects.create(user=alice, title="Board meeting")
    page = visit(f"/dashboard/tasks/{task.pk}", alice, "fa", "phone")
    name = "quarterly-report-" + "x" * 80 + ".txt"
    page.set_input_files(
        "#attachment-file", files=[{"name": name, "mimeType": "text/plain", "buffer": NOTES}]
    )
    page.locator("#attachments button[type=submit]").last.click()
    expect(page.locator("#attachments .attachment-name")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
