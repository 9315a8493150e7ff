"""Media kept in an object store (STORAGE_BACKEND=s3, issue 17): the task page's player seeks
through byte ranges that the web streams from the bucket, or, with S3_PRESIGNED_DOWNLOADS, that
the store answers itself after a redirect; a video's still shows on its card and its page. In
English and Persian."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from accounts.models import User
from e2e.conftest import sign_in
from tasks_app import blobs
from tasks_app.models import Kind, Status, Task

# A browser on the bucket in two languages, 40 s or more: run by `make test-slow`.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECONDS = 60


def ffmpeg(*arguments: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *arguments], check=True, timeout=60)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A minute of tone as MP3, and a 320×180 JPEG still."""
    folder = tmp_path_factory.mktemp("object-store-media")
    tone = f"sine=frequency=220:duration={SECONDS}"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        tone,
        "-ac",
        "1",
        "-ar",
        "16000",
        "-b:a",
        "24k",
        str(folder / "talk.mp3"),
    )
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=teal:s=320x180", "-frames:v", "1", str(folder / "still.jpg")
    )
    return {"audio": folder / "talk.mp3", "still": folder / "still.jpg"}


def stored_task(user: User, media: dict[str, Path], kind: str = Kind.TRANSCRIPTION) -> Task:
    """A completed task whose recording, result (and still, for a video) are in the bucket
    only, named as the workers name them."""
    task = Task(
        user=user,
        title="Talk",
        kind=kind,
        status=Status.COMPLETED,
        content_type="audio/mpeg",
        original_filename="talk.mp3",
        file_size=media["audio"].stat().st_size,
        duration_seconds=SECONDS,
        detected_language="en",
    )
    segments = [
        {"id": index, "start": float(start), "end": float(start + 10), "text": f" Part {index}."}
        for index, start in enumerate(range(0, SECONDS, 10))
    ]
    task.file_path = f"uploads/{task.pk}.mp3"
    task.result_path = f"results/{task.pk}/1-1.json"
    task.transcript_text = "".join(segment["text"] for segment in segments).strip()
    blobs.put_file(task.file_path, media["audio"])
    result: dict[str, Any] = {"partial": False, "language": "en", "segments": segments}
    if kind == Kind.VIDEO:
        task.thumbnail_path = f"results/{task.pk}_thumbnail.jpg"
        blobs.put_file(task.thumbnail_path, media["still"])
        result["thumbnail"] = {"width": 320, "height": 180}
        result["video"] = {"container": "mp4", "duration": float(SECONDS), "width": 320}
    blobs.write_json(task.result_path, {**result, "text": task.transcript_text})
    task.save()
    return task


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("presigned", [False, True], ids=["streamed", "presigned"])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_player_seeks_in_a_recording_kept_in_the_bucket(
    s3: str,
    settings: Any,
    page: Page,
    site: str,
    alice: User,
    media: dict[str, Path],
    language: str,
    presigned: bool,
) -> None:
    settings.S3_PRESIGNED_DOWNLOADS = presigned
    task = stored_task(alice, media)
    assert not (Path(settings.STORAGE_ROOT) / "uploads").exists()
    answers: list[Response] = []
    page.on("response", lambda answer: answers.append(answer))
    sign_in(page, site, alice, language)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")
    page.wait_for_function(f"document.getElementById('player').duration > {SECONDS - 5}")

    # Past the first bytes the browser only gets there by asking for a range.
    page.evaluate("document.getElementById('player').currentTime = 45")
    page.wait_for_function(
        "() => { const p = document.getElementById('player');"
        " return p.readyState >= 2 && p.currentTime >= 45; }"
    )
    expect(page.locator("#seg-4")).to_have_attribute("aria-current", "true")
    media_answers = [a for a in answers if "/file" in a.url or "X-Amz-Signature" in a.url]
    from_store = [a for a in media_answers if "X-Amz-Signature" in a.url]
    if presigned:
        # The web only redirects; the store sends the bytes and answers the ranges.
        assert 302 in [a.status for a in media_answers if a.url.endswith("/file")]
        assert 206 in [a.status for a in from_store]
    else:
        assert from_store == []
        assert 206 in [a.status for a in media_answers]
    assert all(a.status in (200, 206, 302) for a in media_answers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_videos_still_shows_from_the_bucket(
    s3: str, page: Page, site: str, alice: User, media: dict[str, Path], language: str
) -> None:
    task = stored_task(alice, media, kind=Kind.VIDEO)
    sign_in(page, site, alice, language)
    for path in ("/dashboard", f"/dashboard/tasks/{task.pk}"):
        page.goto(site + path)
        still = page.locator("img.task-thumbnail").first
        expect(still).to_be_visible()
        page.wait_for_function(
            "() => { const i = document.querySelector('img.task-thumbnail');"
            " return i && i.complete && i.naturalWidth === 320; }"
        )
