"""process_task_file: any file, routed by its content to the right job or described."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from conftest import JFK_FLAC
from tasks_app.models import Kind, Status, Task
from tasks_app.services import cancel_task
from transcription.processing import route_file
from transcription.tests.conftest import assert_jfk
from transcription.tests.samples import PERSIAN, make_pdf, make_video

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)[0]}")
    return client


def send_any_file(user: User, name: str, content: bytes) -> dict[str, Any]:
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = client_for(user).post(
        "/api/v1/tasks", {"title": name, "file": file, "kind": "file"}, format="multipart"
    )
    assert response.status_code == 202, response.json()
    return response.json()


def result_of(task: Task) -> dict[str, Any]:
    return json.loads((settings.STORAGE_ROOT / task.result_path).read_text())


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "x,y\n1,2\n")
    return buffer.getvalue()


def test_it_records_size_type_and_checksums_of_any_other_file(
    owner: User, queues: Any, drain: Any
) -> None:
    content = zip_bytes()
    body = send_any_file(owner, "data.zip", content)
    assert body["kind"] == Kind.FILE
    assert queues["default"].job_ids == [f"task-{body['id']}-file-1"]

    assert drain()

    task = Task.objects.get(pk=body["id"])
    assert (task.status, task.kind, task.attempts) == (Status.COMPLETED, Kind.FILE, 1)
    assert task.file_path == f"uploads/{task.pk}.zip"
    facts = result_of(task)["file"]
    assert facts["name"] == "data.zip"
    assert (facts["size"], facts["mime_type"]) == (len(content), "application/zip")
    assert facts["checksums"] == {
        "md5": hashlib.md5(content).hexdigest(),  # noqa: S324 (a checksum, not security)
        "sha1": hashlib.sha1(content).hexdigest(),  # noqa: S324
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_it_routes_a_video_by_its_content_whatever_its_name(
    owner: User, tmp_path: Path, queues: Any, drain: Any
) -> None:
    video = make_video(tmp_path / "v.mp4", JFK_FLAC)
    body = send_any_file(owner, "recording.bin", video.read_bytes())
    assert queues["media"].count == 0

    assert drain()

    task = Task.objects.get(pk=body["id"])
    assert (task.kind, task.status) == (Kind.VIDEO, Status.COMPLETED)
    assert task.attempts == 1 and task.thumbnail_path
    assert_jfk(task.transcript_text)
    assert result_of(task)["video"]["video"]["codec"] == "h264"


def test_it_routes_audio_and_text_by_their_content(
    owner: User, tmp_path: Path, queues: Any, drain: Any
) -> None:
    audio = send_any_file(owner, "voice", JFK_FLAC.read_bytes())
    text = send_any_file(owner, "notes.dat", PERSIAN.encode())
    pdf = send_any_file(owner, "paper", make_pdf(tmp_path / "p.pdf", ["Hello there."]).read_bytes())

    assert drain()

    audio_task, text_task, pdf_task = (
        Task.objects.get(pk=body["id"]) for body in (audio, text, pdf)
    )
    assert (audio_task.kind, audio_task.status) == (Kind.TRANSCRIPTION, Status.COMPLETED)
    assert audio_task.duration_seconds == pytest.approx(11.0, abs=0.2)
    assert_jfk(audio_task.transcript_text)
    assert (text_task.kind, text_task.status) == (Kind.TEXT, Status.COMPLETED)
    assert result_of(text_task)["analysis"]["language"] == "fa"
    assert (pdf_task.kind, pdf_task.status) == (Kind.TEXT, Status.COMPLETED)
    assert result_of(pdf_task)["document"]["format"] == "pdf"


def test_it_describes_a_file_that_only_looks_like_media(
    owner: User, queues: Any, drain: Any
) -> None:
    # An MP3 frame header followed by noise: the type sniffer says audio, the probe says no.
    content = b"ID3" + bytes(range(256)) * 40
    body = send_any_file(owner, "broken.mp3", content)

    drain()

    task = Task.objects.get(pk=body["id"])
    assert (task.kind, task.status) == (Kind.FILE, Status.COMPLETED)
    assert result_of(task)["file"]["size"] == len(content)


def test_a_cancelled_file_task_is_not_routed(owner: User, queues: Any) -> None:
    body = send_any_file(owner, "voice", JFK_FLAC.read_bytes())
    task = Task.objects.get(pk=body["id"])
    assert cancel_task(task)

    assert route_file(str(task.pk), task.file_path) is False

    task.refresh_from_db()
    assert (task.kind, task.status) == (Kind.FILE, Status.CANCELLED)
    assert queues["media"].count == 0


def test_the_sweeper_finds_a_routed_tasks_job_under_its_new_kind(
    owner: User, tmp_path: Path, queues: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from rq.job import Job

    from transcription.sweeper import sweep

    body = send_any_file(owner, "notes.dat", PERSIAN.encode())
    task = Task.objects.get(pk=body["id"])
    Job.fetch(f"task-{task.pk}-file-1", connection=queues["default"].connection).delete()
    assert route_file(str(task.pk), task.file_path)
    assert queues["default"].job_ids == [f"task-{task.pk}-text-1"]
    Task.objects.filter(pk=task.pk).update(queued_at=timezone.now() - timedelta(minutes=5))

    assert sweep().requeued == 0

    Job.fetch(f"task-{task.pk}-text-1", connection=queues["default"].connection).delete()
    assert sweep().requeued == 1
    assert queues["default"].job_ids == [f"task-{task.pk}-text-1"]
    assert Task.objects.get(pk=task.pk).kind == Kind.TEXT
