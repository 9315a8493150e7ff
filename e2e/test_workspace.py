"""The transcript workspace in a real browser, English and Persian: play the recording, seek by
clicking a segment, edit a word in place (Enter saves), rename a speaker everywhere, restore the
previous revision through the in-page confirm, download the edited SRT and docx. A Persian
segment reads right to left inside the English page too.

`SCREENSHOTS=1` also writes README's docs/screenshots/workspace.png."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from conftest import JFK_FLAC
from e2e.conftest import sign_in
from tasks_app.models import Kind, Status, Task
from tasks_app.transcripts.tests.conftest import TRANSCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

WORDS = {
    "en": {"edited": "Edited: revision 1", "rename": "Rename everywhere", "restore": "Restore"},
    "fa": {"edited": "ویرایش‌شده: نسخهٔ ۱", "rename": "تغییر نام در همه‌جا", "restore": "برگرداندن"},
}


def transcribed(user: User) -> Task:
    """A completed transcription of jfk.flac: three English segments and a Persian one."""
    segments = [dict(segment) for segment in TRANSCRIPT["segments"]]
    segments[2].update(start=9.5, end=10.4)
    segments.append({"id": 3, "start": 10.5, "end": 11.0, "text": " خیلی ممنون", "language": "fa"})
    result: dict[str, Any] = {**TRANSCRIPT, "segments": segments}
    task = Task(
        user=user,
        title="Inaugural address",
        kind=Kind.TRANSCRIPTION,
        status=Status.COMPLETED,
        completed_at=timezone.now(),
        original_filename="jfk.flac",
        content_type="audio/flac",
        file_size=JFK_FLAC.stat().st_size,
        duration_seconds=11.0,
        detected_language="en",
    )
    storage = Path(settings.STORAGE_ROOT)
    (storage / "uploads").mkdir(exist_ok=True)
    (storage / "results").mkdir(exist_ok=True)
    task.file_path = f"uploads/{task.id}.flac"
    shutil.copyfile(JFK_FLAC, storage / task.file_path)
    task.result_path = f"results/{task.id}_transcription.json"
    (storage / task.result_path).write_text(json.dumps(result), encoding="utf-8")
    task.transcript_text = result["text"]
    task.save()
    return task


def current_time(page: Page) -> float:
    return float(page.evaluate("document.getElementById('player').currentTime"))


def download(page: Page, link: Any) -> bytes:
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_it_plays_seeks_edits_renames_restores_and_downloads(
    page: Page, site: str, alice: User, language: str
) -> None:
    words = WORDS[language]
    task = transcribed(alice)
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    workspace = page.locator("#workspace")
    expect(workspace.locator("li.seg")).to_have_count(4)

    # A Persian segment reads right to left, whatever the page's language.
    persian = page.locator("#seg-3")
    assert persian.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert page.locator("#seg-1").evaluate("el => getComputedStyle(el).direction") == "ltr"
    expect(persian.locator(".seg-lang")).to_be_visible()

    # Clicking a segment's time seeks the player there and plays.
    page.locator("#seg-1 .seg-time").click()
    page.wait_for_function("document.getElementById('player').currentTime >= 4.5")
    page.wait_for_function("document.getElementById('player').currentTime > 4.8", timeout=15_000)
    expect(page.locator("#seg-1")).to_have_attribute("aria-current", "true")
    page.evaluate("document.getElementById('player').pause()")
    # So does a word of a segment that has word timings.
    page.locator("#seg-0 .w", has_text="fellow").click()
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 2.0) < 0.5")
    page.evaluate("document.getElementById('player').pause()")

    # Edit a word in place: Enter saves.
    page.locator("#seg-1").hover()
    page.locator("#seg-1 .seg-edit").click()
    text = page.locator("#seg-1 textarea")
    expect(text).to_be_focused()
    text.fill("ask not what your nation can do for you.")
    text.press("Enter")
    expect(page.locator("#seg-1 .seg-text")).to_have_text(
        "ask not what your nation can do for you."
    )
    expect(page.locator("#transcript-revision")).to_have_text(words["edited"])
    # Back on the segment's Edit button, ready for the next one.
    expect(page.locator("#seg-1 .seg-edit")).to_be_focused()
    # Esc cancels an edit without saving.
    page.locator("#seg-2 .seg-edit").click()
    expect(page.locator("#seg-2 textarea")).to_be_focused()
    page.locator("#seg-2 textarea").fill("Nothing to keep.")
    page.locator("#seg-2 textarea").press("Escape")
    expect(page.locator("#seg-2 .seg-text")).to_have_text("Thank you.")

    # Rename a speaker everywhere at once.
    page.locator("#rename-from").select_option("Speaker 1")
    page.locator("#rename-to").fill("Dr. Karimi")
    page.get_by_role("button", name=words["rename"]).click()
    expect(page.locator("#seg-1 .seg-speaker")).to_have_text("Dr. Karimi")
    expect(page.locator("#revision-2")).to_be_visible()

    # Restore the previous revision (the edit, before the rename), after the in-page confirm.
    page.locator("#revision-1 .revision-restore button").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-ok")).to_have_text(words["restore"])
    dialog.locator("#confirm-ok").click()
    expect(page.locator("#seg-1 .seg-speaker")).to_have_text("Speaker 1")
    expect(page.locator("#seg-1 .seg-text")).to_have_text(
        "ask not what your nation can do for you."
    )
    expect(page.locator("#revision-3")).to_be_visible()

    # The downloads are the edited transcript; the machine's stays available.
    head = page.locator(".workspace-head .downloads")
    srt = download(page, head.locator('[data-format="srt"]')).decode()
    assert "Speaker 1: ask not what your nation can do for you." in srt
    docx = download(page, head.locator('[data-format="docx"]'))
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        document = archive.read("word/document.xml").decode()
    assert "nation" in document and "country" not in document
    original = page.locator('#revision-0 [data-format="srt"]')
    assert "your country can do" in download(page, original).decode()

    if os.environ.get("SCREENSHOTS") == "1" and language == "en":
        target = Path(os.environ.get("SCREENSHOTS_DIR") or DOCS)
        target.mkdir(parents=True, exist_ok=True)
        page.locator("#seg-0 .seg-time").click()
        page.evaluate("document.getElementById('player').pause()")
        page.locator("#seg-2").hover()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(target / "workspace.png"), full_page=True)


STALE = {
    "en": "Someone else changed this transcript while you were working on it",
    "fa": "کس دیگری در همین مدت این متن را تغییر داد",
}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_stale_save_is_refused_with_both_texts_and_can_be_saved_again(
    page: Page, site: str, alice: User, language: str
) -> None:
    from tasks_app.transcripts import services

    task = transcribed(alice)
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    page.locator("#seg-2 .seg-edit").click()
    # Typing before the form takes the focus would race the script moving the cursor to the end.
    expect(page.locator("#seg-2 textarea")).to_be_focused()
    # Meanwhile, in another window, someone saves the same segment.
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thanks a lot."}])
    page.locator("#seg-2 textarea").fill("Thank you all.")
    page.locator("#seg-2 textarea").press("Enter")
    stale = page.locator("#seg-2 .seg-stale")
    expect(stale).to_contain_text(STALE[language])
    expect(stale.locator(".seg-current")).to_have_text("Thanks a lot.")
    expect(page.locator("#seg-2 textarea")).to_have_value("Thank you all.")
    # Saving again is a deliberate choice, against the version now shown.
    page.locator("#seg-2 textarea").press("Enter")
    expect(page.locator("#seg-2 .seg-text")).to_have_text("Thank you all.")


def test_it_fits_a_phone_in_persian(page: Page, site: str, alice: User) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    task = transcribed(alice)
    sign_in(page, site, alice, "fa")
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    expect(page.locator("#seg-0")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.locator("#seg-1 .seg-edit").click()
    expect(page.locator("#seg-1 textarea")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390


@pytest.mark.parametrize("language", ["en", "fa"])
def test_it_splits_at_the_cursor_merges_and_deletes_after_asking(
    page: Page, site: str, alice: User, language: str
) -> None:
    task = transcribed(alice)
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")

    # Split where the cursor is (after "ask not").
    page.locator("#seg-1 .seg-edit").click()
    page.locator("#seg-1 textarea").evaluate("el => el.setSelectionRange(7, 7)")
    page.locator("#seg-1 .seg-split").click()
    expect(page.locator("#seg-1 .seg-text")).to_have_text("ask not")
    expect(page.locator("#seg-4 .seg-text")).to_have_text("what your country can do for you.")

    # Merge it back with the next one.
    page.locator("#seg-1 .seg-edit").click()
    page.locator("#seg-1 .seg-merge").click()
    expect(page.locator("#seg-1 .seg-text")).to_have_text(
        "ask not what your country can do for you."
    )
    expect(page.locator("#seg-4")).to_have_count(0)

    # Delete asks in the page first; going back keeps the segment.
    page.locator("#seg-2 .seg-edit").click()
    page.locator("#seg-2 .seg-delete").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#seg-2 textarea")).to_be_visible()
    page.locator("#seg-2 .seg-delete").click()
    dialog.locator("#confirm-ok").click()
    expect(page.locator("#seg-2")).to_have_count(0)
    expect(page.locator("li.seg")).to_have_count(3)


def test_labels_arriving_wait_until_the_open_segment_is_closed(
    page: Page, site: str, alice: User
) -> None:
    from tasks_app.models import AnalysisStatus
    from tasks_app.transcripts import services

    task = transcribed(alice)
    Task.objects.filter(pk=task.pk).update(speakers_status=AnalysisStatus.QUEUED)
    sign_in(page, site, alice, "fa")
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    page.locator("#seg-0 .seg-edit").click()
    expect(page.locator("#seg-0 textarea")).to_be_focused()
    page.locator("#seg-0 textarea").fill("And so, my fellow Americans,")
    # The labelling job finishes while the segment is open.
    services.apply(task, None, 0, [{"op": "speaker", "ids": [0, 1], "speaker": "Speaker 3"}])
    Task.objects.filter(pk=task.pk).update(speakers_status=AnalysisStatus.COMPLETED)
    for _poll in range(5):  # until a poll brings the labelled workspace
        with page.expect_response(lambda r: "/speakers/status" in r.url) as polled:
            pass
        if "workspace-body" in polled.value.text():
            break
    page.wait_for_timeout(300)
    expect(page.locator("#seg-0 textarea")).to_have_value("And so, my fellow Americans,")
    page.locator("#seg-0 textarea").press("Escape")
    expect(page.locator("#seg-0 .seg-speaker")).to_have_text("Speaker 3", timeout=10_000)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_each_segment_aligns_to_its_own_direction(
    page: Page, site: str, alice: User, language: str
) -> None:
    task = transcribed(alice)
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    style = "el => [getComputedStyle(el).direction, getComputedStyle(el).textAlign]"
    assert page.locator("#seg-2").evaluate(style) == ["ltr", "start"]
    assert page.locator("#seg-3").evaluate(style) == ["rtl", "start"]
    # An English segment's text starts at the left, next to its time, in a Persian page too.
    time = page.locator("#seg-2 .seg-time").bounding_box()
    text = page.locator("#seg-2 .seg-speaker").bounding_box()
    assert time and text and 0 <= text["x"] - (time["x"] + time["width"]) < 40
