"""Uploads of the other kinds (video, documents, pasted text, any file), their endpoints and
their files' lifetime. The jobs themselves are tested in transcription/tests."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from conftest import JFK_FLAC
from tasks_app import blobs
from tasks_app.models import Kind, Status, Task
from tasks_app.services import purge_deleted
from transcription.tests.samples import ENGLISH, make_docx, make_pdf, make_video

URL = "/api/v1/tasks"


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("kinds")
    (folder / "notes.txt").write_text(ENGLISH, encoding="utf-8")
    (folder / "notes.md").write_text(f"# Notes\n\n{ENGLISH}\n", encoding="utf-8")
    return {
        ".mp4": make_video(folder / "talk.mp4", JFK_FLAC, seconds=3, size="64x48"),
        ".mkv": make_video(folder / "talk.mkv", JFK_FLAC, seconds=3, size="64x48"),
        ".webm": make_video(folder / "talk.webm", JFK_FLAC, seconds=3, size="64x48"),
        ".mov": make_video(folder / "talk.mov", JFK_FLAC, seconds=3, size="64x48"),
        ".txt": folder / "notes.txt",
        ".md": folder / "notes.md",
        ".docx": make_docx(folder / "notes.docx", [ENGLISH]),
        ".pdf": make_pdf(folder / "notes.pdf", ["Ask not what your country can do for you."]),
    }


def post(client: APIClient, name: str, content: bytes, **fields: Any) -> Any:
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(URL, {"title": "T", "file": file, **fields}, format="multipart")


@pytest.mark.parametrize(
    ("extension", "kind", "queue"),
    [
        (".mp4", Kind.VIDEO, "media"),
        (".mkv", Kind.VIDEO, "media"),
        (".webm", Kind.VIDEO, "media"),
        (".mov", Kind.VIDEO, "media"),
        (".txt", Kind.TEXT, "default"),
        (".md", Kind.TEXT, "default"),
        (".docx", Kind.TEXT, "default"),
        (".pdf", Kind.TEXT, "default"),
    ],
)
def test_it_queues_each_new_kind_on_its_queue(
    extension: str,
    kind: Kind,
    queue: str,
    alice: User,
    api: Callable[..., APIClient],
    samples: dict[str, Path],
    queues: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    content = samples[extension].read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api(alice), f"file{extension}", content)
    assert response.status_code == 202, response.json()
    task = Task.objects.get(pk=response.json()["id"])
    assert (task.kind, task.status) == (kind, Status.IN_PROGRESS)
    assert task.file_path == f"uploads/{task.pk}{extension}"
    assert queues[queue].job_ids == [f"task-{task.pk}-{kind}-1"]
    if kind == Kind.VIDEO:
        assert task.duration_seconds == pytest.approx(3.0, abs=0.2)


@pytest.mark.parametrize(
    ("name", "stored"),
    [("setup.exe", ".exe"), ("backup.tar.gz", ".gz"), ("README", ""), ("odd.ex e", "")],
)
def test_it_takes_any_file_as_a_file_task(
    name: str,
    stored: str,
    alice: User,
    api: Callable[..., APIClient],
    queues: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api(alice), name, b"\x00\x01 whatever", kind="file")
    assert response.status_code == 202, response.json()
    task = Task.objects.get()
    assert task.kind == Kind.FILE
    assert task.file_path == f"uploads/{task.pk}{stored}"
    assert task.original_filename == name
    assert queues["default"].job_ids == [f"task-{task.pk}-file-1"]


def test_it_still_refuses_unknown_types_unless_asked_for_any_file(
    alice: User, api: Callable[..., APIClient]
) -> None:
    response = post(api(alice), "setup.exe", b"MZ")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_extension"


def test_it_refuses_a_video_longer_than_the_limit(
    alice: User, api: Callable[..., APIClient], samples: dict[str, Path], settings: Any
) -> None:
    settings.MAX_AUDIO_SECONDS = 2
    response = post(api(alice), "talk.mp4", samples[".mp4"].read_bytes())
    assert response.status_code == 422
    assert response.json()["code"] == "audio_too_long"


def test_it_refuses_a_password_protected_pdf(
    alice: User, api: Callable[..., APIClient], tmp_path: Path
) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(make_pdf(tmp_path / "open.pdf", ["Secret."])))
    writer.encrypt("hunter2")
    with (tmp_path / "locked.pdf").open("wb") as out:
        writer.write(out)
    response = post(api(alice), "locked.pdf", (tmp_path / "locked.pdf").read_bytes())
    assert response.status_code == 422
    assert response.json()["code"] == "encrypted_document"
    assert not Task.objects.exists()


def test_it_refuses_text_that_is_not_utf8(alice: User, api: Callable[..., APIClient]) -> None:
    response = post(api(alice), "notes.txt", "Café crème brûlée".encode("latin-1"))
    assert response.status_code == 415
    assert response.json()["code"] == "not_text"
    assert "UTF-8" in response.json()["detail"]


def test_it_refuses_blank_pasted_text(alice: User, api: Callable[..., APIClient]) -> None:
    response = api(alice).post(URL, {"title": "T", "text": "   \n"}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()
    assert not Task.objects.exists()


def test_it_makes_a_todo_when_the_text_is_empty(alice: User, api: Callable[..., APIClient]) -> None:
    response = api(alice).post(URL, {"title": "T", "text": ""}, format="json")
    assert response.status_code == 201
    assert response.json()["kind"] == Kind.TODO


def video_task(user: User, **fields: Any) -> Task:
    task = Task.objects.create(
        user=user,
        title="Clip",
        kind=Kind.VIDEO,
        status=Status.COMPLETED,
        file_path="uploads/clip.mp4",
        **fields,
    )
    (settings.STORAGE_ROOT / "results").mkdir(exist_ok=True)
    (settings.STORAGE_ROOT / "uploads").mkdir(exist_ok=True)
    return task


def test_only_the_owner_gets_the_thumbnail(
    backend: str, alice: User, bob: User, api: Callable[..., APIClient]
) -> None:
    task = video_task(alice)
    task.thumbnail_path = f"results/{task.pk}_thumbnail.jpg"
    task.save()
    blobs.write_bytes(task.thumbnail_path, b"\xff\xd8\xff\xe0 jpeg")
    url = f"{URL}/{task.pk}/thumbnail"

    response = api(alice).get(url)
    assert response.status_code == 200
    assert response.content == b"\xff\xd8\xff\xe0 jpeg"
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert api(bob).get(url).status_code == 404
    assert api(None).get(url).status_code == 401


def test_it_answers_404_for_a_task_without_thumbnail(
    alice: User, api: Callable[..., APIClient]
) -> None:
    task = video_task(alice)
    response = api(alice).get(f"{URL}/{task.pk}/thumbnail")
    assert response.status_code == 404
    assert response.json()["code"] == "no_thumbnail"


def test_purge_removes_a_deleted_videos_thumbnail_and_sound_but_not_a_live_ones(
    alice: User,
) -> None:
    old = video_task(alice, deleted_at=timezone.now() - timedelta(days=2))
    live = video_task(alice)
    files = {}
    for task in (old, live):
        task.thumbnail_path = f"results/{task.pk}_thumbnail.jpg"
        task.save()
        files[task.pk] = [
            settings.STORAGE_ROOT / task.thumbnail_path,
            settings.STORAGE_ROOT / f"results/{task.pk}_audio.flac",
        ]
        for path in files[task.pk]:
            path.write_bytes(b"x")
            # Old enough to be taken for an orphan if nothing claimed it.
            os.utime(path, (time.time() - 7200, time.time() - 7200))

    report = purge_deleted(timedelta(hours=24))

    assert report.tasks == 1
    assert not any(path.exists() for path in files[old.pk])
    assert all(path.exists() for path in files[live.pk])


def test_the_schema_documents_every_result_shape_and_the_new_endpoints(db: None) -> None:
    schema = yaml.safe_load(Client().get("/api/v1/schema/").content)
    components = schema["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        return components[node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else node

    result = schema["paths"]["/api/v1/tasks/{task_id}/result"]["get"]["responses"]["200"]
    shapes = resolve(result["content"]["application/json"]["schema"])["oneOf"]
    assert {shape["$ref"].rsplit("/", 1)[-1] for shape in shapes} == {
        "TranscriptResult",
        "VideoResult",
        "TextResult",
        "FileResult",
    }
    assert {"video", "thumbnail", "normalized_audio"} <= set(
        components["VideoResult"]["properties"]
    )
    assert {"document", "analysis"} <= set(components["TextResult"]["properties"])
    assert {"keywords", "sentiment", "summary", "language"} <= set(
        components["Analysis"]["properties"]
    )
    assert "checksums" in components["FileFacts"]["properties"]
    thumbnail = schema["paths"]["/api/v1/tasks/{task_id}/thumbnail"]["get"]["responses"]
    assert "image/jpeg" in thumbnail["200"]["content"]
    assert "post" in schema["paths"]["/api/v1/tasks/{task_id}/analyze"]
    create = schema["paths"]["/api/v1/tasks"]["post"]["requestBody"]["content"]
    fields = resolve(create["multipart/form-data"]["schema"])["properties"]
    assert {"text", "kind", "normalized_audio"} <= set(fields)


def test_the_probe_reads_a_sound_only_mp4_as_a_recording(tmp_path: Path) -> None:
    from tasks_app.uploads import run_probe

    target = tmp_path / "voice.mp4"
    subprocess.run(
        ["/usr/bin/ffmpeg", "-loglevel", "error", "-i", str(JFK_FLAC), "-c:a", "aac", str(target)],
        check=True,
        timeout=60,
    )
    found = run_probe(target, "video")
    assert (found["has_video"], found["has_audio"]) == (False, True)
    assert found["duration"] == pytest.approx(11.0, abs=0.2)
