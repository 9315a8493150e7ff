"""POST /api/v1/tasks: to-dos, uploads in every accepted format, and every file we refuse."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django_rq
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from scripts.services import free_port
from tasks_app import blobs
from tasks_app.models import Kind, Mode, Status, Task
from tasks_app.uploads import AUDIO_EXTENSIONS

URL = "/api/v1/tasks"


def stored_uploads() -> list[Path]:
    folder = settings.STORAGE_ROOT / "uploads"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not audio " * 100)
    return buffer.getvalue()


def test_it_creates_a_todo_without_a_file(
    alice: User, api: Callable[..., APIClient], queues: dict[str, Any]
) -> None:
    response = api(alice).post(
        URL, {"title": "Buy tape", "due_date": "2026-12-01T10:00:00Z"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == Kind.TODO
    assert body["status"] == Status.PENDING
    assert body["file"] is None
    assert body["due_date"] == "2026-12-01T10:00:00Z"
    assert Task.objects.get(pk=body["id"]).user == alice
    assert queues["media"].count == 0


@pytest.mark.parametrize("extension", AUDIO_EXTENSIONS)
def test_it_queues_each_accepted_audio_format(
    extension: str,
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    audio_files: dict[str, Path],
    queues: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api(alice).post(
            URL, {"title": "JFK", "file": upload(extension)}, format="multipart"
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/tasks/{body['id']}")
    assert len(callbacks) >= 1
    task = Task.objects.get(pk=body["id"])
    assert task.kind == Kind.TRANSCRIPTION
    assert task.status == Status.IN_PROGRESS
    assert task.file_path == f"uploads/{task.pk}{extension}"
    content = audio_files[extension].read_bytes()
    assert (settings.STORAGE_ROOT / task.file_path).read_bytes() == content
    assert task.sha256 == hashlib.sha256(content).hexdigest()
    assert task.file_size == len(content)
    assert task.duration_seconds == pytest.approx(11.0, abs=0.3)
    assert body["file"]["name"] == f"jfk{extension}"
    assert queues["media"].count == 1
    assert queues["media"].job_ids == [f"task-{task.pk}-1"]


def test_it_enqueues_only_after_commit(
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    queues: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(alice).post(URL, {"title": "JFK", "file": upload()}, format="multipart")
    assert response.status_code == 202
    assert queues["media"].count == 0
    assert Task.objects.get().status == Status.PENDING
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    assert queues["media"].count == 1
    assert Task.objects.get().status == Status.IN_PROGRESS


# A real commit: the on-commit enqueue then runs outside any transaction, as in production.
@pytest.mark.django_db(transaction=True)
def test_it_accepts_the_upload_while_redis_is_down(
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    down = f"redis://127.0.0.1:{free_port()}/2"
    monkeypatch.setitem(
        django_rq.settings.QUEUES, "media", {**django_rq.settings.QUEUES["media"], "URL": down}
    )
    response = api(alice).post(URL, {"title": "JFK", "file": upload()}, format="multipart")
    assert response.status_code == 202
    task = Task.objects.get()
    assert task.status == Status.PENDING
    assert (settings.STORAGE_ROOT / task.file_path).is_file()


def test_it_records_processing_options(
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    queues: dict[str, Any],
) -> None:
    response = api(alice).post(
        URL,
        {
            "title": "JFK",
            "file": upload(),
            "model": "tiny.en",
            "language": "en",
            "task": "translate",
            "word_timestamps": "true",
            "vad_filter": "true",
            "initial_prompt": "Inaugural address.",
            "hotwords": "Americans",
            "batched": "false",
            "channels": "split",
        },
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    task = Task.objects.get()
    assert (task.model_name, task.language, task.mode) == ("tiny.en", "en", Mode.TRANSLATE)
    assert task.word_timestamps and task.vad_filter and not task.batched
    assert (task.initial_prompt, task.hotwords) == ("Inaugural address.", "Americans")
    assert response.json()["options"]["task"] == "translate"
    assert (task.channels, response.json()["options"]["channels"]) == ("split", "split")


@pytest.mark.parametrize(
    ("field", "value"),
    [("model", "large-v99"), ("language", "klingon"), ("task", "summarize"), ("channels", "both")],
)
def test_it_refuses_unknown_options(
    field: str,
    value: str,
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    queues: dict[str, Any],
) -> None:
    response = api(alice).post(
        URL, {"title": "JFK", "file": upload(), field: value}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert field in body
    assert not Task.objects.exists()
    assert stored_uploads() == []
    assert queues["media"].count == 0


def test_it_requires_a_title(alice: User, api: Callable[..., APIClient]) -> None:
    response = api(alice).post(URL, {"title": "  "}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()


def cut(extension: str, size: int | None = None) -> Callable[[dict[str, Path]], bytes]:
    """The first `size` bytes of the test recording in that format (all of it for None)."""
    return lambda files: files[extension].read_bytes()[:size]


HTML = b"<!doctype html><html><body>hi</body></html>" * 50
REJECTED = [
    # (what, file name, bytes or cut(...), declared type, status, code)
    ("renamed text", "notes.mp3", b"just notes\n" * 200, "audio/mpeg", 415, "not_audio"),
    ("renamed HTML", "page.wav", HTML, "audio/wav", 415, "not_audio"),
    ("renamed zip", "archive.m4a", zip_bytes(), "audio/x-m4a", 415, "not_audio"),
    ("zero bytes", "empty.mp3", b"", "audio/mpeg", 400, "empty_file"),
    ("video, no sound", "clip.m4a", cut("video-only"), "audio/mp4", 415, "no_audio_stream"),
    ("truncated flac", "cut.flac", cut(".flac", 100_000), "audio/flac", 422, "corrupt_audio"),
    ("truncated wav", "cut.wav", cut(".wav", 50_000), "audio/wav", 422, "truncated_audio"),
    ("truncated mp3", "cut.mp3", cut(".mp3", 30_000), "audio/mpeg", 422, "truncated_audio"),
    ("audio named text", "talk.txt", cut(".mp3"), "text/plain", 415, "not_text"),
    ("text named video", "talk.mp4", b"just notes\n" * 200, "video/mp4", 415, "not_video"),
    ("zip named docx", "notes.docx", zip_bytes(), "application/octet-stream", 415, "not_text"),
    ("unknown extension", "talk.exe", cut(".mp3"), "audio/mpeg", 415, "unsupported_extension"),
    ("declared as HTML", "talk.mp3", cut(".mp3"), "text/html", 415, "unsupported_media_type"),
]


@pytest.mark.parametrize(
    ("name", "content", "content_type", "status", "code"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_it_refuses_files_that_are_not_whole_audio(
    name: str,
    content: bytes | Callable[[dict[str, Path]], bytes],
    content_type: str,
    status: int,
    code: str,
    alice: User,
    api: Callable[..., APIClient],
    audio_files: dict[str, Path],
    queues: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = content if isinstance(content, bytes) else content(audio_files)
    file = SimpleUploadedFile(name, data, content_type=content_type)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api(alice).post(URL, {"title": "Bad", "file": file}, format="multipart")
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert len(response.json()["detail"]) > 10
    assert callbacks == []
    assert not Task.objects.exists()
    assert stored_uploads() == []
    assert queues["media"].count == 0


def test_it_refuses_audio_longer_than_the_limit(
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    settings: Any,
    queues: dict[str, Any],
) -> None:
    settings.MAX_AUDIO_SECONDS = 5
    response = api(alice).post(URL, {"title": "Long", "file": upload(".mp3")}, format="multipart")
    assert response.status_code == 422
    assert response.json()["code"] == "audio_too_long"
    assert "11 seconds" in response.json()["detail"]
    assert not Task.objects.exists()
    assert stored_uploads() == []
    assert queues["media"].count == 0


@pytest.mark.parametrize("limit", [64 * 1024, 512 * 1024], ids=["by length", "while streaming"])
def test_it_refuses_an_oversize_upload_without_keeping_it(
    limit: int,
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    settings: Any,
    tmp_path: Path,
    queues: dict[str, Any],
) -> None:
    # jfk.flac is 1.1 MB: with a 64 KB limit its Content-Length alone gives it away; with 512 KB
    # the body is within the form allowance, so the byte count while streaming must stop it.
    settings.MAX_UPLOAD_BYTES = limit
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    (tmp_path / "incoming").mkdir()
    response = api(alice).post(URL, {"title": "Big", "file": upload()}, format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert "MB limit" in response.json()["detail"]
    assert list((tmp_path / "incoming").iterdir()) == []
    assert not Task.objects.exists()
    assert stored_uploads() == []
    assert queues["media"].count == 0


def raw_multipart(disposition: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body sent byte for byte: the test client would clean the filename itself."""
    boundary = "writers-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nEvil\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; {disposition}\r\n'
            "Content-Type: audio/flac\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("disposition", "shown"),
    [
        ('filename="../../../../etc/cron.d/evil.flac"', "evil.flac"),
        ('filename="..\\..\\windows\\evil.flac"', "evil.flac"),
        ("filename*=UTF-8''talk%0D%0AX-Injected%3A%201.flac", "talkX-Injected: 1.flac"),
    ],
    ids=["posix traversal", "windows traversal", "CRLF"],
)
def test_it_never_lets_the_filename_reach_the_path(
    disposition: str,
    shown: str,
    alice: User,
    api: Callable[..., APIClient],
    audio_files: dict[str, Path],
    queues: dict[str, Any],
) -> None:
    body, content_type = raw_multipart(disposition, audio_files[".flac"].read_bytes())
    response = api(alice).generic("POST", URL, body, content_type=content_type)
    assert response.status_code == 202, response.json()
    task = Task.objects.get()
    assert stored_uploads() == [settings.STORAGE_ROOT / "uploads" / f"{task.pk}.flac"]
    assert task.original_filename == shown


CSRF = "k" * 32


def cookie_client(user: User, *, csrf: bool) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["access_token"] = issue_tokens(user)[0]
    client.cookies["csrftoken"] = CSRF
    if csrf:
        client.credentials(HTTP_X_CSRFTOKEN=CSRF)
    return client


def test_it_accepts_an_upload_from_the_browser_cookie_with_csrf(
    alice: User, upload: Callable[..., SimpleUploadedFile], queues: dict[str, Any]
) -> None:
    response = cookie_client(alice, csrf=True).post(
        URL, {"title": "JFK", "file": upload()}, format="multipart"
    )
    assert response.status_code == 202, response.json()


def test_it_refuses_a_cookie_upload_without_csrf(
    alice: User, upload: Callable[..., SimpleUploadedFile], queues: dict[str, Any]
) -> None:
    response = cookie_client(alice, csrf=False).post(
        URL, {"title": "JFK", "file": upload()}, format="multipart"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Task.objects.exists()
    assert stored_uploads() == []


def test_it_limits_size_even_when_csrf_checking_reads_the_body(
    alice: User, upload: Callable[..., SimpleUploadedFile], settings: Any
) -> None:
    # Cookie auth checks CSRF in the form data, so the body is parsed during authentication.
    settings.MAX_UPLOAD_BYTES = 512 * 1024
    response = cookie_client(alice, csrf=True).post(
        URL, {"title": "Big", "file": upload()}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"


def test_it_answers_400_to_a_broken_multipart_body(
    alice: User, api: Callable[..., APIClient]
) -> None:
    response = api(alice).generic(
        "POST", URL, b"--x\r\nnonsense", content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 400
    assert response.json()["detail"]


def scratch_files() -> list[Path]:
    """What is left in the processes' scratch dirs (uploads received for S3 go there)."""
    return [path for path in blobs.scratch_root().rglob("*") if path.is_file()]


def test_it_stores_the_upload_in_the_backends_store(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    audio_files: dict[str, Path],
    queues: dict[str, Any],
) -> None:
    response = api(alice).post(URL, {"title": "JFK", "file": upload()}, format="multipart")
    assert response.status_code == 202
    task = Task.objects.get()
    assert task.file_path == f"uploads/{task.pk}.flac"
    assert blobs.read_bytes(task.file_path) == audio_files[".flac"].read_bytes()
    # On S3 the probe's local copy is gone and nothing of it stays on this disk.
    assert len(stored_uploads()) == (1 if backend == "local" else 0)
    assert scratch_files() == []


def test_it_leaves_nothing_in_the_bucket_for_a_rejected_upload(
    s3: str, alice: User, api: Callable[..., APIClient], upload: Callable[..., SimpleUploadedFile]
) -> None:
    fake = upload(".flac", content=zip_bytes())
    response = api(alice).post(URL, {"title": "JFK", "file": fake}, format="multipart")
    assert response.status_code in (415, 422)
    assert list(blobs.listing("uploads")) == []
    assert scratch_files() == []
    assert not Task.objects.exists()


def test_it_refuses_with_503_and_keeps_nothing_when_the_store_is_down(
    s3_down: Callable[[], None],
    alice: User,
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
    queues: dict[str, Any],
) -> None:
    store = settings.S3_ENDPOINT_URL
    s3_down()
    response = api(alice).post(URL, {"title": "JFK", "file": upload()}, format="multipart")
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert "cannot be reached" in response.json()["detail"]
    assert response["Retry-After"] == "30"
    assert not Task.objects.exists()
    assert scratch_files() == []
    settings.S3_ENDPOINT_URL = store
    assert list(blobs.listing("uploads")) == []
