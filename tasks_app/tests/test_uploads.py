"""tasks_app.uploads: the streaming size limit, the probe's bounds, and filename safety."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.test.client import MULTIPART_CONTENT, encode_multipart

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app import probe, storage, uploads
from tasks_app.api import TasksView
from tasks_app.models import Task

MB = 1024 * 1024


def test_it_stops_reading_an_oversize_upload_without_holding_it_in_memory(
    alice: User, settings: Any, tmp_path: Path
) -> None:
    settings.MAX_UPLOAD_BYTES = 2 * MB
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    (tmp_path / "incoming").mkdir()
    # 2.9 MB is under the Content-Length allowance (limit + 1 MB of form), so only counting
    # while streaming can catch it.
    data = {"title": "Big", "file": SimpleUploadedFile("big.wav", os.urandom(2_900_000))}
    request = RequestFactory().post(
        "/api/v1/tasks",
        encode_multipart("BoUnDaRy", data),
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
        HTTP_AUTHORIZATION=f"Bearer {issue_tokens(alice)[0]}",
    )
    tracemalloc.start()
    try:
        response = TasksView.as_view()(request)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert response.data["code"] == "file_too_large"
    # 2 MB went through the handler before it stopped; a fraction of that was ever in memory.
    assert peak < MB / 2
    assert list((tmp_path / "incoming").iterdir()) == []
    assert not Task.objects.exists()


def test_it_gives_up_on_a_probe_that_takes_too_long(
    alice: User, monkeypatch: pytest.MonkeyPatch, audio_files: dict[str, Path]
) -> None:
    monkeypatch.setattr(uploads, "PROBE_TIMEOUT_SECONDS", 0.01)
    with pytest.raises(uploads.UploadRejected) as error:
        uploads.run_probe(audio_files[".flac"], "audio")
    assert (error.value.code, error.value.http_status) == ("probe_timeout", 422)


def test_the_probe_caps_its_own_memory_before_parsing(audio_files: dict[str, Path]) -> None:
    script = (
        "import resource, sys, tasks_app.probe as p; "
        f"p.main(['probe', {str(audio_files['.ogg'])!r}, '60']); "
        "print(resource.getrlimit(resource.RLIMIT_AS)[0]); "
        "bytearray(2 * p.MEMORY_LIMIT_BYTES)"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    verdict, limit = completed.stdout.decode().splitlines()
    assert json.loads(verdict)["ok"] is True
    assert int(limit) == probe.MEMORY_LIMIT_BYTES
    assert b"MemoryError" in completed.stderr


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\talk.mp3", "talk.mp3"),
        ("a\r\nb\x00c\u202ed.mp3", "abcd.mp3"),
        ('say "hi".mp3', "say 'hi'.mp3"),
        ("..", "upload"),
        ("", "upload"),
        ("ضبط جلسه.m4a", "ضبط جلسه.m4a"),
    ],
)
def test_display_filename_keeps_only_a_plain_name(name: str, shown: str) -> None:
    assert uploads.display_filename(name) == shown


def test_it_refuses_with_507_and_keeps_nothing_when_the_disk_is_full(
    settings: Any, jfk_flac: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = uuid.uuid4()
    uploads_dir = settings.STORAGE_ROOT / "uploads"
    uploads_dir.mkdir()
    # /dev/full answers every write with ENOSPC, as a full volume does.
    full = uploads_dir / "full.tmp"
    full.symlink_to("/dev/full")
    monkeypatch.setattr(storage, "temporary_path", lambda target: full)
    upload = SimpleUploadedFile("jfk.flac", jfk_flac.read_bytes(), "audio/flac")

    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.store_upload(upload, task_id)

    assert (refused.value.code, refused.value.http_status) == ("storage_full", 507)
    assert list(uploads_dir.iterdir()) == []
