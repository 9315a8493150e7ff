"""A new user registers, drops jfk.flac on the upload page, watches it being transcribed without
reloading, reads the transcript and downloads the subtitles, in English and in Persian."""

from __future__ import annotations

import base64
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tasks_app.models import Status, Task

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Records every percentage the upload bar shows in sessionStorage, which survives the redirect.
RECORD_PROGRESS = """() => {
  sessionStorage.setItem('progress', '');
  new MutationObserver(() => {
    const percent = document.querySelector('#upload-list .upload-percent');
    if (!percent) return;
    const shown = sessionStorage.getItem('progress') + ' ' + percent.textContent;
    sessionStorage.setItem('progress', shown);
  }).observe(document.querySelector('#upload-list'),
             {childList: true, characterData: true, subtree: true});
}"""

DROP_FILE = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: 'audio/flac'}));
  return transfer;
}"""


def register(page: Page, site: str, name: str) -> None:
    page.goto(f"{site}/register")
    page.fill("#id_email", f"{name}@example.org")
    page.fill("#id_username", name)
    page.fill("#id_password", "a long and unusual passphrase")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{site}/dashboard")


def drop_and_upload(page: Page, site: str, audio: Path, done: str = "100%") -> None:
    page.goto(f"{site}/dashboard/upload")
    # Slow the upload down so the progress bar has something to show.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    transfer = page.evaluate_handle(
        DROP_FILE, [base64.b64encode(audio.read_bytes()).decode(), audio.name]
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#file-chosen")).to_have_text(audio.name)
    expect(page.locator("#id_title")).to_have_value(audio.stem)
    page.evaluate(RECORD_PROGRESS)
    page.locator("#upload-submit").click()
    expect(page.locator("#upload-list .progress")).to_be_visible()
    # A single upload lands on its new task's page.
    page.wait_for_url(re.compile(r"/dashboard/tasks/[0-9a-f-]{36}$"), timeout=60_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    shown = page.evaluate("sessionStorage.getItem('progress')").split()
    assert done in shown, shown
    assert len(shown) >= 2, f"the bar jumped straight to the end: {shown}"


def watch_it_complete(page: Page, completed_label: str) -> None:
    """The card turns Completed through the dashboard's own polling: the page never reloads."""
    page.evaluate("window.__samePage = true")
    card = page.locator(".task-card").first
    expect(card.locator(".badge")).to_have_text(completed_label, timeout=120_000)
    expect(card).to_have_attribute("data-status", Status.COMPLETED)
    assert page.evaluate("window.__samePage === true")


@pytest.mark.django_db(transaction=True)
def test_it_transcribes_an_upload_end_to_end(
    page: Page, site: str, worker: threading.Thread, jfk_flac: Path, tmp_path: Path
) -> None:
    register(page, site, "erin")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator(".empty-state")).to_contain_text("Nothing here yet")

    drop_and_upload(page, site, jfk_flac)
    expect(page.locator(".messages")).to_contain_text("Upload complete.")
    page.goto(f"{site}/dashboard")
    watch_it_complete(page, "Completed")
    expect(page.locator(".task-card").first).to_contain_text("Transcript ready")

    page.locator(".task-card h3 a").first.click()
    task = Task.objects.get(user__username="erin")
    page.wait_for_url(f"{site}/dashboard/tasks/{task.pk}")
    # The finished transcript is the workspace: its segments and the edited transcript's downloads.
    transcript = page.locator("#transcript-segments")
    expect(transcript).to_contain_text("fellow Americans")
    expect(transcript.locator(".seg-time").first).to_have_text("00:00.0")

    with page.expect_download() as info:
        page.locator('.workspace-head a[data-format="srt"]').click()
    download = info.value
    saved = tmp_path / "jfk.srt"
    download.save_as(saved)
    subtitles = saved.read_text(encoding="utf-8")
    assert "00:00:00,000 -->" in subtitles
    assert "country" in subtitles.lower()


@pytest.mark.django_db(transaction=True)
def test_it_works_in_persian_right_to_left(
    page: Page, site: str, worker: threading.Thread, jfk_flac: Path
) -> None:
    page.goto(f"{site}/login")
    page.locator("button.lang-button[value=fa]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.locator("h1")).to_have_text("ورود به Writers")

    register(page, site, "farah")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text("کارهای شما")

    drop_and_upload(page, site, jfk_flac, done="۱۰۰%")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"{site}/dashboard")
    watch_it_complete(page, "تکمیل شده")

    page.locator(".task-card h3 a").first.click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#transcript-heading")).to_have_text("متن")
    expect(page.locator("#transcript-segments")).to_contain_text("fellow Americans")
    expect(page.locator("#transcript-segments .seg-time").first).to_have_text("۰۰:۰۰.۰")
    # The mirrored layout: the details column sits left of the transcript in RTL.
    details = page.locator("#details-heading").bounding_box()
    transcript = page.locator("#transcript-heading").bounding_box()
    assert details and transcript and details["x"] < transcript["x"]
