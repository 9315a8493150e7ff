"""The upload page in a real browser: keyboard access, the browser's own checks, and the
server's refusals shown in the page as the server words them."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Task

pytestmark = pytest.mark.browser

DROP_FILE = """([data, name, type]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type}));
  return transfer;
}"""


def open_upload_page(page: Page, site: str, user: User) -> None:
    access = issue_tokens(user)[0]
    page.context.add_cookies([{"name": "access_token", "value": access, "url": site}])
    page.goto(f"{site}/dashboard/upload")


def drop(page: Page, content: bytes, name: str, content_type: str = "audio/flac") -> None:
    transfer = page.evaluate_handle(
        DROP_FILE, [base64.b64encode(content).decode(), name, content_type]
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


@pytest.mark.django_db(transaction=True)
def test_the_drop_zone_opens_the_picker_from_the_keyboard(
    page: Page, site: str, alice: User, jfk_flac: Path
) -> None:
    # Playwright intercepts file choosers only once something listens; listening before the
    # page loads keeps the interception from racing the key press.
    page.on("filechooser", lambda chooser: None)
    open_upload_page(page, site, alice)
    zone = page.locator("#dropzone")
    zone.focus()
    expect(zone).to_be_focused()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(jfk_flac))
    expect(page.locator("#file-chosen")).to_have_text("jfk.flac")
    expect(page.locator("#id_title")).to_have_value("jfk")


@pytest.mark.django_db(transaction=True)
def test_the_browser_refuses_other_types_and_big_files_before_sending(
    page: Page, site: str, alice: User, settings: Any
) -> None:
    settings.MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    open_upload_page(page, site, alice)
    error = page.locator("#upload-client-error")

    drop(page, b"MZ an executable", "setup.exe", "application/octet-stream")
    expect(error).to_have_text("This type of file is not accepted. Choose one of the types listed.")

    drop(page, b"\0" * (3 * 1024 * 1024), "long.flac")
    expect(error).to_have_text("The file is larger than 2 MB.")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.method))
    page.locator("#upload-submit").click()
    expect(error).to_be_visible()
    assert "POST" not in requests
    assert not Task.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_servers_refusal_in_the_page(page: Page, site: str, alice: User) -> None:
    open_upload_page(page, site, alice)
    drop(page, b"this is not audio at all" * 100, "broken.flac")
    expect(page.locator("#id_title")).to_have_value("broken")
    with page.expect_response(f"{site}/dashboard/upload") as answer:
        page.locator("#upload-submit").click()
    assert answer.value.status == 400 or answer.value.status >= 413
    refusal = page.locator("#upload-form .errorlist li").first
    expect(refusal).to_be_visible()
    assert refusal.inner_text() in answer.value.text()
    expect(page).to_have_url(f"{site}/dashboard/upload")
    # The file stays chosen, so fixing another field and sending again needs no new pick.
    expect(page.locator("#file-chosen")).to_have_text("broken.flac")
    assert not Task.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_works_as_a_plain_form_without_javascript(
    browser: Browser, site: str, alice: User, jfk_flac: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        open_upload_page(page, site, alice)
        page.set_input_files("#id_file", str(jfk_flac))
        page.locator("#upload-submit").click()
        # A single upload lands on its new task's page.
        page.wait_for_url(re.compile(r"/dashboard/tasks/[0-9a-f-]{36}$"))
        expect(page.locator(".messages")).to_contain_text("Upload complete.")
        expect(page.locator("h1")).to_have_text("jfk")
    finally:
        context.close()
    task = Task.objects.get(user=alice)
    assert task.original_filename == "jfk.flac"
    assert page.url.endswith(f"/dashboard/tasks/{task.pk}")
