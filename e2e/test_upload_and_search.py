"""Pages that feel finished (issue 21): the upload page shows what most uploads need and folds the
rest away, takes several files at once with a bar each, and a single upload lands on its task;
the dashboard's search shows where it matched and opens the transcript at that moment; sort and
filters apply as they change. In English and Persian."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.conftest import sign_in
from tasks_app.models import Kind, Status, Task

pytestmark = pytest.mark.browser

TASK_URL = re.compile(r"/dashboard/tasks/[0-9a-f-]{36}$")
START = {"en": "Start", "fa": "شروع"}
ADVANCED = {"en": "Advanced", "fa": "پیشرفته"}


def audio(path: Path, name: str) -> dict[str, object]:
    return {"name": name, "mimeType": "audio/flac", "buffer": path.read_bytes()}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_upload_page_shows_the_drop_zone_language_and_start_and_folds_the_rest(
    page: Page, site: str, alice: User, viewport: tuple[int, int], language: str
) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/upload")
    start = page.locator("#upload-submit")
    expect(start).to_have_text(START[language])
    for needed in (page.locator("#dropzone"), page.locator("#id_language"), start):
        expect(needed).to_be_visible()
        expect(needed).to_be_in_viewport()
    advanced = page.locator("#upload-advanced")
    expect(advanced).not_to_have_attribute("open", "")
    expect(advanced.locator("summary")).to_contain_text(ADVANCED[language])
    for folded in ("#id_text", "#id_any_file", "#id_title", "#id_model", "#id_due_date"):
        expect(page.locator(folded)).to_be_hidden()
    advanced.locator("summary").click()
    expect(page.locator("#id_text")).to_be_visible()
    expect(page.locator("#id_model")).to_be_visible()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_two_files_become_two_tasks_each_with_its_own_bar(
    page: Page, site: str, alice: User, jfk_flac: Path, language: str
) -> None:
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/upload")
    bad = {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ binary"}
    page.set_input_files(
        "#id_file", [audio(jfk_flac, "first.flac"), bad, audio(jfk_flac, "second.flac")]
    )
    rows = page.locator("#upload-list .upload-item")
    expect(rows).to_have_count(3)
    # The file the server would refuse is marked before anything is sent, and never sent.
    expect(rows.nth(1)).to_have_attribute("data-state", "error")
    expect(rows.nth(1).locator(".upload-item-status")).not_to_be_empty()

    page.locator("#upload-submit").click()
    for index, name in ((0, "first.flac"), (2, "second.flac")):
        row = rows.nth(index)
        expect(row.locator(".upload-name")).to_have_text(name)
        expect(row.locator(".progress")).to_be_visible()
        expect(row).to_have_attribute("data-state", "done", timeout=30_000)
        expect(row.locator(".progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#upload-summary")).to_be_visible()
    # Several files stay listed on the upload page, each linking to its own task.
    expect(page).to_have_url(f"{site}/dashboard/upload")
    tasks = {task.original_filename: task for task in Task.objects.filter(user=alice)}
    assert sorted(tasks) == ["first.flac", "second.flac"]
    assert tasks["first.flac"].title == "first" and tasks["second.flac"].title == "second"
    link = rows.nth(2).locator(".upload-item-status a")
    expect(link).to_have_attribute("href", f"/dashboard/tasks/{tasks['second.flac'].pk}")
    link.click()
    expect(page.locator("h1")).to_have_text("second")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_single_upload_lands_on_its_task_page(
    page: Page, site: str, alice: User, jfk_flac: Path, language: str
) -> None:
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/upload")
    page.set_input_files("#id_file", str(jfk_flac))
    expect(page.locator("#upload-list")).to_be_hidden()
    page.locator("#upload-submit").click()
    page.wait_for_url(TASK_URL)
    task = Task.objects.get(user=alice)
    assert page.url.endswith(f"/dashboard/tasks/{task.pk}")
    expect(page.locator("h1")).to_have_text("jfk")


def finished_transcript(user: User, title: str, segments: list[tuple[float, str]]) -> Task:
    text = " ".join(words for _start, words in segments)
    task = Task.objects.create(
        user=user,
        title=title,
        kind=Kind.TRANSCRIPTION,
        status=Status.COMPLETED,
        file_path=f"uploads/{title}.flac",
        transcript_text=text,
        duration_seconds=segments[-1][0] + 5,
    )
    task.result_path = f"results/{task.pk}.json"
    task.save(update_fields=["result_path"])
    result = {
        "task_id": str(task.pk),
        "partial": False,
        "text": text,
        "segments": [
            {"id": index, "start": start, "end": start + 5, "text": words}
            for index, (start, words) in enumerate(segments)
        ],
    }
    (settings.STORAGE_ROOT / "results").mkdir(exist_ok=True)
    (settings.STORAGE_ROOT / task.result_path).write_text(json.dumps(result), encoding="utf-8")
    return task


def open_search(page: Page) -> None:
    """On a phone the search and filters wait behind an icon; at a desk they are in view."""
    toggle = page.locator(".search-toggle")
    if toggle.is_visible():
        toggle.click()
    expect(page.locator("#task-filters")).to_be_visible()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize(
    ("language", "word", "said"),
    [
        ("en", "country", "ask not what your country can do for you"),
        ("fa", "دوستان", "سلام به همه دوستان عزیز"),
    ],
)
def test_a_search_snippet_opens_the_transcript_at_that_moment(
    page: Page,
    site: str,
    visit: Callable[..., Page],
    alice: User,
    language: str,
    word: str,
    said: str,
    size: str,
) -> None:
    filler = [(float(second), f"line number {second} of the talk") for second in range(0, 400, 5)]
    task = finished_transcript(alice, "Speech", [*filler, (400.0, said)])
    visit("/dashboard", alice, language, size)
    open_search(page)
    page.locator("#id_q").fill(word)
    # No button: the list follows the search box.
    snippet = page.locator(".search-snippet")
    expect(snippet.locator("mark")).to_have_text(word)
    expect(page).to_have_url(re.compile(r"\?q="))
    link = snippet.locator("a")
    expect(link).to_have_attribute("href", f"/dashboard/tasks/{task.pk}#t=400")
    link.click()
    page.wait_for_url(f"{site}/dashboard/tasks/{task.pk}#t=400")
    moment = page.locator("li.seg.is-target, .segment.is-target")
    expect(moment).to_have_count(1)
    expect(moment).to_contain_text(said)
    expect(moment).to_be_in_viewport()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_sort_and_filters_apply_without_a_button(
    page: Page, visit: Callable[..., Page], alice: User, language: str, size: str
) -> None:
    finished_transcript(alice, "Long talk", [(0.0, "hello"), (3600.0, "bye")])
    finished_transcript(alice, "Short talk", [(0.0, "hello")])
    Task.objects.create(user=alice, title="Buy milk")
    visit("/dashboard", alice, language, size)
    open_search(page)
    filters = page.locator("#task-filters")
    # The Filter button is only for browsers without JavaScript (inside <noscript>).
    expect(filters).to_be_visible()
    expect(filters.locator("button[type=submit]")).to_have_count(0)
    titles = page.locator(".task-card h3")
    expect(titles).to_have_text(["Buy milk", "Short talk", "Long talk"])

    page.locator("#id_sort").select_option("length")
    expect(titles).to_have_text(["Long talk", "Short talk", "Buy milk"])
    expect(page).to_have_url(re.compile(r"sort=length"))

    page.locator("#id_kind").select_option(Kind.TODO)
    expect(titles).to_have_text(["Buy milk"])

    page.locator("#id_kind").select_option("")
    # English has the browser's date input; Persian a Jalali text box (ISO is read too), which
    # applies when it is left.
    page.locator("#id_created_from").fill("2030-01-02")
    page.locator("#id_created_from").blur()
    expect(titles).to_have_count(0)
    page.locator("#id_created_to").fill("2030-01-01")
    page.locator("#id_created_to").blur()
    expect(page.locator("#filter-errors")).to_be_visible()
    message = {
        "en": "The end of the date range is before its start.",
        "fa": "پایان بازهٔ تاریخ پیش از آغاز آن است.",
    }
    expect(page.locator("#filter-errors")).to_have_text(message[language])
