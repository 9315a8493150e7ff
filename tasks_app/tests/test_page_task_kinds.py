"""The pages for the other kinds: upload of text and any file, the thumbnail on the dashboard,
video facts and text analysis on the task page, the one-click analysis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import AnalysisStatus, Kind, Status, Task
from transcription.tests.samples import ENGLISH, PERSIAN
from transcription.text_analysis import analyze


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def page_form(**fields: Any) -> dict[str, Any]:
    return {"title": "", "description": "", "mode": "transcribe", "model": "tiny.en", **fields}


def test_the_upload_page_offers_text_any_file_and_the_sound_copy(alice_client: Client) -> None:
    body = alice_client.get("/dashboard/upload").content.decode()
    assert 'name="text"' in body and 'name="any_file"' in body
    assert 'name="normalized_audio"' in body
    assert ".mp4" in body and ".docx" in body and ".pdf" in body


def test_it_creates_a_text_task_from_pasted_text(
    alice_client: Client, alice: User, queues: dict[str, Any]
) -> None:
    response = alice_client.post("/dashboard/upload", page_form(text=PERSIAN))
    assert response.status_code == 302
    task = Task.objects.get(user=alice)
    assert task.kind == Kind.TEXT
    assert task.title == PERSIAN.splitlines()[0][:60]


def test_it_asks_for_a_file_or_a_text(alice_client: Client, alice: User) -> None:
    response = alice_client.post("/dashboard/upload", page_form())
    assert response.status_code == 400
    assert "Choose a file or paste a text." in response.content.decode()
    assert not Task.objects.exists()


def test_it_refuses_a_file_and_a_text_together(
    alice_client: Client, upload: Callable[..., SimpleUploadedFile]
) -> None:
    response = alice_client.post("/dashboard/upload", page_form(file=upload(), text="hello"))
    assert response.status_code == 400
    assert "Send either a file or a text, not both." in response.content.decode()


def test_it_takes_any_file_when_asked(
    alice_client: Client, alice: User, queues: dict[str, Any]
) -> None:
    file = SimpleUploadedFile("setup.exe", b"MZ\x00binary", content_type="application/x-msdownload")
    response = alice_client.post("/dashboard/upload", page_form(file=file, any_file="on"))
    assert response.status_code == 302
    assert Task.objects.get(user=alice).kind == Kind.FILE


def video_task(make_task: Callable[..., Task], alice: User, **fields: Any) -> Task:
    result = {
        "task_id": "t",
        "partial": False,
        "kind": "video",
        "text": "And so my fellow Americans",
        "segments": [{"id": 0, "start": 0.0, "end": 2.0, "text": "And so my fellow Americans"}],
        "video": {
            "container": "mov,mp4,m4a,3gp,3g2,mj2",
            "duration": 11.0,
            "has_audio": True,
            "video": {"codec": "h264", "resolution": "320x240", "frame_rate": 25.0},
            "audio": {"codec": "aac", "sample_rate": 44100, "channels": 2},
        },
        "thumbnail": {"width": 320, "height": 240},
        "normalized_audio": None,
    }
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED, **fields)
    task.kind = Kind.VIDEO
    task.thumbnail_path = f"results/{task.pk}_thumbnail.jpg"
    task.save()
    return task


def test_the_dashboard_shows_a_videos_kind_and_thumbnail(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = video_task(make_task, alice)
    body = alice_client.get("/dashboard").content.decode()
    assert f'src="/api/v1/tasks/{task.pk}/thumbnail"' in body
    assert "Video" in body


def test_the_task_page_shows_the_video_facts(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = video_task(make_task, alice)
    body = alice_client.get(f"/dashboard/tasks/{task.pk}").content.decode()
    assert "320x240" in body and "25.0 fps" in body and "h264" in body
    assert f'src="/api/v1/tasks/{task.pk}/thumbnail"' in body


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [(ENGLISH, "Positive"), (PERSIAN, "sentiment is only analysed for English")],
    ids=["english", "persian"],
)
def test_the_task_page_shows_a_text_analysis(
    text: str,
    sentiment: str,
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
) -> None:
    analysis = analyze(text)
    result = {"task_id": "t", "partial": False, "kind": "text", "text": text, "segments": []}
    result["analysis"] = analysis
    result["document"] = {"format": "text", "characters": len(text), "words": 10}
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    Task.objects.filter(pk=task.pk).update(kind=Kind.TEXT)

    body = alice_client.get(f"/dashboard/tasks/{task.pk}").content.decode()

    assert sentiment in body
    assert analysis["keywords"][0]["keyword"] in body
    assert analysis["summary"]["sentences"][0] in body
    assert "Analyse the transcript" not in body


def test_it_queues_the_analysis_of_a_finished_transcript_from_the_page(
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
    queues: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    page = alice_client.get(f"/dashboard/tasks/{task.pk}").content.decode()
    assert f'action="/dashboard/tasks/{task.pk}/analyze"' in page

    response = alice_client.post(f"/dashboard/tasks/{task.pk}/analyze")

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.analysis_status == AnalysisStatus.QUEUED
    assert queues["default"].count == 1
    page = alice_client.get(f"/dashboard/tasks/{task.pk}").content.decode()
    assert "The analysis is on its way." in page
    # The page keeps polling until the analysis lands.
    assert f'hx-get="/dashboard/tasks/{task.pk}/status"' in page


def test_nobody_else_can_queue_an_analysis(
    client: Client, bob: User, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    client.cookies["access_token"] = issue_tokens(bob)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/analyze")
    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).analysis_status == AnalysisStatus.NONE


def test_the_task_page_shows_a_files_type_and_checksums_instead_of_a_transcript(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    checksums = {"md5": "a" * 32, "sha1": "b" * 40, "sha256": "c" * 64}
    facts = {"name": "data.zip", "size": 2048, "mime_type": "application/zip"}
    result = {"task_id": "t", "partial": False, "kind": "file", "text": "", "segments": []}
    result["file"] = {**facts, "extension": "zip", "checksums": checksums}
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    Task.objects.filter(pk=task.pk).update(kind=Kind.FILE)

    body = alice_client.get(f"/dashboard/tasks/{task.pk}").content.decode()

    assert "application/zip" in body and "c" * 64 in body
    assert 'id="transcript-heading"' not in body
