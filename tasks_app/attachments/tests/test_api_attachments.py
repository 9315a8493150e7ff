"""GET and POST /api/v1/tasks/<id>/attachments: list a task's files, attach one more."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import blobs
from tasks_app.attachments.models import Attachment
from tasks_app.attachments.tests.conftest import NOTES, a_file
from tasks_app.models import Task
from transcription.tests.samples import make_pdf


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/attachments"


def post(client: APIClient, task: Task, name: str, content: bytes, content_type: str = "") -> Any:
    upload = a_file(name, content, content_type or "application/octet-stream")
    return client.post(url(task), {"file": upload}, format="multipart")


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_it_attaches_a_file_for_an_admin_or_editor(
    backend: str,
    who: str,
    request: pytest.FixtureRequest,
    api: Callable[..., APIClient],
    shared_task: Task,
) -> None:
    user = request.getfixturevalue(who)
    response = post(api(user), shared_task, "Agenda (draft).txt", NOTES, "text/html")
    assert response.status_code == 201, response.json()
    body = response.json()
    attachment = Attachment.objects.get(pk=body["id"])
    assert body["filename"] == "Agenda (draft).txt"
    assert body["size"] == len(NOTES)
    # By content: the client's claim (text/html) is not what the download will say.
    assert body["content_type"] == "text/plain"
    assert body["uploaded_by"]["username"] == user.username
    assert body["download_url"] == f"{url(shared_task)}/{attachment.pk}"
    assert body["analyze_url"] == f"{url(shared_task)}/{attachment.pk}/analyze"
    # Stored under ids only: the user's name of the file never reaches the disk.
    assert attachment.file_path == f"attachments/{shared_task.pk}/{attachment.pk}.txt"
    assert blobs.read_bytes(attachment.file_path) == NOTES
    assert len(body["sha256"]) == 64
    # On S3 nothing of it stays on this disk, not even the copy the checks read.
    on_disk = [path for path in Path(settings.STORAGE_ROOT).rglob("*") if path.is_file()]
    assert [path for path in on_disk if "attachments" in path.parts or "scratch" in path.parts] == (
        [Path(settings.STORAGE_ROOT) / attachment.file_path] if backend == "local" else []
    )


def test_it_lists_attachments_oldest_first_to_every_member(
    alice: User,
    bob: User,
    dave: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attach(shared_task, alice, "first.txt")
    attach(shared_task, bob, "second.bin", b"\x00\x01binary")
    response = api(dave).get(url(shared_task))
    assert response.status_code == 200
    listed = response.json()["attachments"]
    assert [a["filename"] for a in listed] == ["first.txt", "second.bin"]
    assert listed[1]["analyze_url"] is None
    assert listed[1]["content_type"] == "application/octet-stream"


def test_it_refuses_a_viewer_and_hides_the_task_from_a_stranger(
    dave: User, charlie: User, api: Callable[..., APIClient], shared_task: Task
) -> None:
    assert post(api(dave), shared_task, "notes.txt", NOTES).status_code == 403
    assert post(api(charlie), shared_task, "notes.txt", NOTES).status_code == 404
    assert api(charlie).get(url(shared_task)).status_code == 404
    assert not Attachment.objects.exists()


def test_it_accepts_a_pdf_without_text(
    alice: User, api: Callable[..., APIClient], shared_task: Task, tmp_path: Path
) -> None:
    # Scanned slides have no text layer: a fine attachment, though not a text task.
    scanned = make_pdf(tmp_path / "scan.pdf", [""]).read_bytes()
    response = post(api(alice), shared_task, "scan.pdf", scanned)
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("empty.txt", b"", 400, "empty_file"),
        ("setup.exe", b"plain words", 415, "unsupported_media_type"),
        ("tool.dat", b"MZ\x90\x00 a windows program", 415, "unsupported_media_type"),
        ("run.txt", b"\x7fELF\x02\x01\x01 a linux program", 415, "unsupported_media_type"),
        ("deploy.txt", b"#!/bin/sh\nrm -rf /\n", 415, "unsupported_media_type"),
        (
            "page.txt",
            b"\xef\xbb\xbf  <!DOCTYPE html><script>x()</script>",
            415,
            "unsupported_media_type",
        ),
        ("page.htm", b"hello", 415, "unsupported_media_type"),
        ("song.mp3", b"this is no recording at all", 415, "not_audio"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", 422, "corrupt_document"),
    ],
    ids=["empty", "exe-name", "mz", "elf", "script", "html", "htm-name", "fake-mp3", "damaged"],
)
def test_it_refuses_bad_files_with_the_upload_codes(
    name: str,
    content: bytes,
    status: int,
    code: str,
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
) -> None:
    response = post(api(alice), shared_task, name, content)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Attachment.objects.exists()
    # Nothing half-written is left behind.
    folder = settings.STORAGE_ROOT / "attachments"
    assert not folder.exists() or not any(folder.rglob("*.*"))


def test_it_refuses_a_file_over_the_upload_limit(
    settings: Any, alice: User, api: Callable[..., APIClient], shared_task: Task
) -> None:
    settings.MAX_UPLOAD_BYTES = 1024
    response = post(api(alice), shared_task, "big.txt", b"x" * 4096)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not Attachment.objects.exists()


def test_it_asks_for_the_file_field(
    alice: User, api: Callable[..., APIClient], shared_task: Task
) -> None:
    response = api(alice).post(url(shared_task), {"title": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "no_file"


def test_it_answers_404_for_a_deleted_task(
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attach(shared_task, alice)
    Task.objects.filter(pk=shared_task.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert api(alice).get(url(shared_task)).status_code == 404
    assert post(api(alice), shared_task, "notes.txt", NOTES).status_code == 404


def test_it_refuses_with_503_and_keeps_nothing_when_the_store_is_down(
    s3_down: Callable[[], None], alice: User, api: Callable[..., APIClient], shared_task: Task
) -> None:
    store = settings.S3_ENDPOINT_URL
    s3_down()
    response = post(api(alice), shared_task, "notes.txt", NOTES)
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert not Attachment.objects.exists()
    settings.S3_ENDPOINT_URL = store
    assert list(blobs.listing("attachments")) == []
