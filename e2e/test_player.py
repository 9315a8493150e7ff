"""The task page's player (issue 15): a three-minute recording beside its transcript. A click on a
segment or a word seeks there through byte ranges (206), the segment spoken is marked, Space, ←/→
and [ ] drive it from the keyboard (not while typing), the speed menu sets the rate; it fits a
phone. In English and Persian."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, Response, expect

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task

pytestmark = pytest.mark.browser

SECONDS = 180
SEGMENT_SECONDS = 5
SPEED = {"en": "Speed", "fa": "سرعت"}


@pytest.fixture(scope="session")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three minutes of tone, 16 kHz mono MP3 at 24 kb/s: about half a megabyte."""
    path = tmp_path_factory.mktemp("player") / "talk.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i"]
        + [f"sine=frequency=220:duration={SECONDS}", "-ac", "1", "-ar", "16000", "-b:a", "24k"]
        + [str(path)],
        check=True,
        timeout=60,
    )
    return path


def recorded_task(user: User, recording: Path) -> Task:
    """A completed transcription of `recording`, a segment every five seconds; the one at 150 s
    has word timestamps."""
    task = Task.objects.create(
        user=user,
        title="Talk",
        kind=Kind.TRANSCRIPTION,
        status=Status.COMPLETED,
        content_type="audio/mpeg",
        original_filename="talk.mp3",
        file_size=recording.stat().st_size,
        duration_seconds=SECONDS,
        detected_language="en",
    )
    segments = []
    for index, start in enumerate(range(0, SECONDS, SEGMENT_SECONDS)):
        segment = {"id": index, "start": float(start), "end": float(start + SEGMENT_SECONDS)}
        segment["text"] = f" Part {index} of the talk."
        if start == 150:
            segment["text"] = " We choose to go."
            segment["words"] = [
                {"start": 150.0, "end": 151.0, "word": " We", "probability": 0.9},
                {"start": 151.0, "end": 152.0, "word": " choose", "probability": 0.9},
                {"start": 152.5, "end": 153.5, "word": " to", "probability": 0.9},
                {"start": 153.5, "end": 155.0, "word": " go.", "probability": 0.9},
            ]
        segments.append(segment)
    result = {
        "task_id": str(task.pk),
        "partial": False,
        "language": "en",
        "duration": float(SECONDS),
        "text": "".join(s["text"] for s in segments).strip(),
        "segments": segments,
    }
    task.file_path = f"uploads/{task.pk}.mp3"
    task.result_path = f"results/{task.pk}_transcription.json"
    task.transcript_text = result["text"]
    for folder in ("uploads", "results"):
        (settings.STORAGE_ROOT / folder).mkdir(exist_ok=True)
    shutil.copy(recording, settings.STORAGE_ROOT / task.file_path)
    (settings.STORAGE_ROOT / task.result_path).write_text(json.dumps(result), encoding="utf-8")
    task.save()
    return task


def open_task(page: Page, site: str, user: User, task: Task, language: str) -> None:
    page.context.add_cookies(
        [
            {"name": "access_token", "value": issue_tokens(user)[0], "url": site},
            {"name": "django_language", "value": language, "url": site},
        ]
    )
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    # The length is known once the metadata has come.
    page.wait_for_function("document.getElementById('player').duration > 170")


def position(page: Page) -> float:
    return float(page.evaluate("document.getElementById('player').currentTime"))


def wait_for_position(page: Page, low: float, high: float) -> None:
    page.wait_for_function(
        "([low, high]) => { const t = document.getElementById('player').currentTime;"
        " return t >= low && t <= high; }",
        arg=[low, high],
    )


def current_segment(page: Page) -> str:
    return str(page.locator("li.seg.is-current").get_attribute("id"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_player_seeks_plays_and_follows_the_transcript(
    page: Page, site: str, alice: User, recording: Path, language: str
) -> None:
    task = recorded_task(alice, recording)
    answers: list[Response] = []
    page.on("response", lambda r: answers.append(r) if r.url.endswith("/file") else None)
    open_task(page, site, alice, task, language)
    player = page.locator("#player")
    expect(player).to_have_attribute("src", f"/api/v1/tasks/{task.pk}/file")
    expect(page.locator("#player-keys")).to_be_visible()

    # Past the first bytes the browser only gets there by asking for a range.
    page.locator("#seg-30 .seg-time").click()
    wait_for_position(page, 149.9, 153)
    expect(page.locator("#seg-30")).to_have_attribute("aria-current", "true")
    expect(page.locator("#seg-30")).to_be_in_viewport()
    assert 206 in [answer.status for answer in answers]
    assert all(answer.status in (200, 206) for answer in answers)

    # Focus is on the time just clicked: Space plays and pauses all the same.
    page.evaluate("document.getElementById('player').pause()")
    page.keyboard.press(" ")
    page.wait_for_function("!document.getElementById('player').paused")
    page.keyboard.press(" ")
    page.wait_for_function("document.getElementById('player').paused")

    page.evaluate("document.getElementById('player').currentTime = 150")
    wait_for_position(page, 150, 150)
    page.keyboard.press("ArrowRight")
    wait_for_position(page, 155, 155)
    page.keyboard.press("ArrowLeft")
    wait_for_position(page, 150, 150)
    page.keyboard.press("]")
    wait_for_position(page, 155, 155)
    expect(page.locator("#seg-31")).to_have_class(re.compile(r"\bis-current\b"))
    page.keyboard.press("[")
    wait_for_position(page, 150, 150)
    assert current_segment(page) == "seg-30"

    # A word with its own time seeks to it.
    page.locator("#seg-30 .w").nth(2).click()
    wait_for_position(page, 152.5, 154)

    page.get_by_label(SPEED[language]).select_option("1.5")
    assert page.evaluate("document.getElementById('player').playbackRate") == 1.5

    # Keys typed into a field stay there.
    page.evaluate("document.getElementById('player').pause()")
    before = position(page)
    field = page.locator("#workspace input[type=text]").first
    field.focus()
    page.keyboard.press("]")
    page.keyboard.press(" ")
    assert position(page) == before
    assert page.evaluate("document.getElementById('player').paused")

    # The speed chosen stays for the next recording.
    page.reload()
    page.wait_for_function("document.getElementById('player').playbackRate === 1.5")
    expect(page.get_by_label(SPEED[language])).to_have_value("1.5")


@pytest.mark.django_db(transaction=True)
def test_the_player_fits_a_phone_and_starts_at_a_searched_moment(
    page: Page, site: str, alice: User, recording: Path
) -> None:
    task = recorded_task(alice, recording)
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies(
        [
            {"name": "access_token", "value": issue_tokens(alice)[0], "url": site},
            {"name": "django_language", "value": "fa", "url": site},
        ]
    )
    page.goto(f"{site}/dashboard/tasks/{task.pk}#t=100")
    wait_for_position(page, 100, 100)
    expect(page.locator("#seg-20")).to_have_attribute("aria-current", "true")
    expect(page.locator("#seg-20")).to_be_in_viewport()
    box = page.locator("#player").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    expect(page.locator("#player-speed")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
