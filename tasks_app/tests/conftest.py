"""Fixtures for the tasks tests: signed-in API clients, real audio in every accepted format,
tasks in any state, and empty Redis queues."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app import blobs
from tasks_app.models import Kind, Task
from tasks_app.uploads import AUDIO_EXTENSIONS

FORMAT_CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".m4a": "audio/x-m4a",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
}


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """`api(alice)` is a client signed in as alice with a Bearer token; `api(None)` is anonymous."""

    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            access, _refresh = issue_tokens(user)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return client

    return client_for


@pytest.fixture(scope="session")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """jfk.flac converted once per run into every accepted audio format, keyed by extension."""
    from conftest import JFK_FLAC

    directory = tmp_path_factory.mktemp("audio")
    files = {".flac": JFK_FLAC}
    for extension in AUDIO_EXTENSIONS:
        if extension == ".flac":
            continue
        target = directory / f"jfk{extension}"
        subprocess.run(
            ["/usr/bin/ffmpeg", "-loglevel", "error", "-y", "-i", str(JFK_FLAC), str(target)],
            check=True,
            timeout=60,
        )
        files[extension] = target
    # A picture and no sound, in the container .m4a uses.
    silent = directory / "video-only.m4a"
    subprocess.run(
        ["/usr/bin/ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi"]
        + ["-i", "testsrc=duration=2:size=64x64:rate=5", "-c:v", "mpeg4", "-f", "mp4", str(silent)],
        check=True,
        timeout=60,
    )
    files["video-only"] = silent
    return files


@pytest.fixture
def upload(audio_files: dict[str, Path]) -> Callable[..., SimpleUploadedFile]:
    """`upload(".mp3")` is that recording as an uploaded file; `name`/`content`/`content_type`
    override what a client claims."""

    def make(
        extension: str = ".flac",
        *,
        name: str | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> SimpleUploadedFile:
        return SimpleUploadedFile(
            name or f"jfk{extension}",
            audio_files[extension].read_bytes() if content is None else content,
            content_type=content_type or FORMAT_CONTENT_TYPES[extension],
        )

    return make


@pytest.fixture
def make_task(jfk_flac: Path) -> Callable[..., Task]:
    """A task row in any state without going through upload or worker. `file=True` stores a copy
    of jfk.flac as its upload; `result` writes that dict as its result JSON (in the store of the
    test's backend: files under STORAGE_ROOT, or S3 with the `s3` fixture)."""

    def make(user: User, *, file: bool = False, result: dict | None = None, **fields: Any) -> Task:
        fields.setdefault("title", "Interview")
        task = Task(user=user, **fields)
        if file:
            relative = f"uploads/{task.id}.flac"
            blobs.write_bytes(relative, jfk_flac.read_bytes())
            task.kind = Kind.TRANSCRIPTION
            task.file_path = relative
            task.original_filename = "jfk.flac"
            task.content_type = "audio/flac"
            task.file_size = jfk_flac.stat().st_size
            task.duration_seconds = 11.0
        if result is not None:
            relative = f"results/{task.id}_transcription.json"
            blobs.write_json(relative, result)
            task.result_path = relative
            task.transcript_text = result.get("text", "")
        task.save()
        return task

    return make


RESULT = {
    "task_id": "t",
    "partial": False,
    "text": "And so my fellow Americans, ask not what your country can do for you.",
    "language": "en",
    "language_probability": 0.97,
    "duration": 11.0,
    "confidence": 0.9,
    "segments": [
        {"id": 0, "start": 0.0, "end": 4.5, "text": " And so my fellow Americans,"},
        {"id": 1, "start": 4.5, "end": 11.0, "text": " ask not what your country can do for you."},
    ],
    "run": {"model": "tiny.en"},
}


@pytest.fixture
def result() -> dict[str, Any]:
    return dict(RESULT)
