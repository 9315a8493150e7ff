"""process_video: uploads through the API, the real media queue and an in-process worker."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import av
import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from conftest import JFK_FLAC
from tasks_app import blobs
from tasks_app.models import Attempt, Kind, Status, Task
from tasks_app.services import cancel_task, purge_audio
from transcription.tests.conftest import assert_jfk, status_of, wait_for
from transcription.tests.samples import make_video

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("video")
    return {
        "talk": make_video(folder / "talk.mp4", JFK_FLAC),
        "silent": make_video(folder / "silent.webm", None, seconds=3),
    }


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)[0]}")
    return client


def upload(user: User, path: Path, content_type: str, **fields: Any) -> dict[str, Any]:
    with path.open("rb") as file:
        response = client_for(user).post(
            "/api/v1/tasks", {"title": path.stem, "file": file, **fields}, format="multipart"
        )
    assert response.status_code == 202, response.json()
    return response.json()


def result_of(task: Task) -> dict[str, Any]:
    return blobs.read_json(task.result_path)


def test_it_transcribes_a_video_and_keeps_its_metadata_thumbnail_and_sound(
    backend: str, owner: User, videos: dict[str, Path], queues: Any, drain: Any
) -> None:
    body = upload(owner, videos["talk"], "video/mp4", normalized_audio="true")
    assert body["kind"] == Kind.VIDEO
    assert queues["media"].job_ids == [f"task-{body['id']}-video-1"]

    assert drain()

    task = Task.objects.get(pk=body["id"])
    assert task.status == Status.COMPLETED
    assert_jfk(task.transcript_text)
    result = result_of(task)
    assert result["kind"] == "video" and result["partial"] is False
    assert result["duration"] == pytest.approx(11.0, abs=0.2)
    video = result["video"]
    assert video["video"]["codec"] == "h264"
    assert (video["video"]["width"], video["video"]["height"]) == (320, 240)
    assert video["video"]["resolution"] == "320x240"
    assert video["video"]["frame_rate"] == 25.0
    assert video["audio"]["codec"] == "aac" and video["has_audio"] is True
    assert video["duration"] == pytest.approx(11.0, abs=0.2)

    client = client_for(owner)
    thumbnail = client.get(f"/api/v1/tasks/{task.pk}/thumbnail")
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"] == "image/jpeg"
    jpeg = thumbnail.content
    assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) == result["thumbnail"]["bytes"]
    assert (result["thumbnail"]["width"], result["thumbnail"]["height"]) == (320, 240)

    sound = client.get(f"/api/v1/tasks/{task.pk}/audio")
    assert sound.status_code == 200 and sound["Content-Type"] == "audio/flac"
    flac = b"".join(sound.streaming_content)
    assert hashlib.sha256(flac).hexdigest() == result["normalized_audio"]["sha256"]
    with (
        blobs.local_copy(f"results/{task.pk}_audio.flac") as kept,
        av.open(str(kept)) as container,
    ):
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.sample_rate, stream.channels) == (
            "flac",
            16000,
            1,
        )
    urls = client.get(f"/api/v1/tasks/{task.pk}").json()["urls"]
    assert urls["thumbnail"] == f"/api/v1/tasks/{task.pk}/thumbnail"
    assert urls["audio"] == f"/api/v1/tasks/{task.pk}/audio"


def test_it_keeps_metadata_and_a_thumbnail_of_a_video_without_sound(
    backend: str, owner: User, videos: dict[str, Path], queues: Any, drain: Any
) -> None:
    body = upload(owner, videos["silent"], "video/webm", normalized_audio="true")

    assert drain()

    task = Task.objects.get(pk=body["id"])
    assert task.status == Status.COMPLETED
    assert (task.transcript_text, task.error_code) == ("", "")
    result = result_of(task)
    assert result["notice"] == "The video has no sound track: there is nothing to transcribe."
    assert result["video"]["has_audio"] is False and result["video"]["audio"] is None
    assert result["video"]["video"]["codec"] == "vp8"
    assert result["segments"] == [] and result["normalized_audio"] is None
    assert task.thumbnail_path == f"results/{task.pk}_thumbnail.jpg"
    assert blobs.read_bytes(task.thumbnail_path)[:2] == b"\xff\xd8"
    client = client_for(owner)
    assert client.get(f"/api/v1/tasks/{task.pk}/audio").json()["code"] == "no_audio"
    assert client.get(f"/api/v1/tasks/{task.pk}").json()["urls"]["audio"] is None


@pytest.mark.parametrize(("suffix", "content_type"), [("mp4", "video/mp4"), ("webm", "video/webm")])
def test_it_transcribes_a_video_whose_sound_ends_before_its_picture(
    suffix: str,
    content_type: str,
    owner: User,
    tmp_path: Path,
    queues: Any,
    drain: Any,
) -> None:
    # 16 s of picture, 11 s of speech: a screen recording whose microphone stopped. MP4 gives
    # the sound track its own duration in its header, WebM in a per-stream DURATION tag.
    video = make_video(tmp_path / f"short.{suffix}", JFK_FLAC, seconds=16, shortest=False)
    body = upload(owner, video, content_type)

    assert drain()

    task = Task.objects.get(pk=body["id"])
    assert (task.status, task.error_code) == (Status.COMPLETED, "")
    assert_jfk(task.transcript_text)
    result = result_of(task)
    assert result["duration"] == pytest.approx(11.0, abs=0.2)
    assert result["video"]["duration"] == pytest.approx(16.0, abs=0.2)
    assert result["notice"] == (
        "The sound track ends at 11 s, before the picture (16 s): the rest of the video has no "
        "sound to transcribe."
    )
    page = Client()
    page.force_login(owner)
    shown = page.get(f"/dashboard/tasks/{task.pk}").content.decode()
    assert "The sound track ends at 0:11, before the picture (0:16)" in shown


@pytest.mark.slow
def test_it_keeps_the_partial_transcript_and_metadata_of_a_cancelled_video(
    owner: User,
    long_flac: Path,
    tmp_path: Path,
    queues: Any,
    background_worker: Any,
    settings: Any,
) -> None:
    settings.HEARTBEAT_SECONDS = 0.2
    video = make_video(tmp_path / "long.mp4", long_flac, seconds=132, size="64x48")
    body = upload(owner, video, "video/mp4")
    task = Task.objects.get(pk=body["id"])
    thread = background_worker()
    wait_for(lambda: Task.objects.filter(pk=task.pk, progress__gt=0).exists())

    assert cancel_task(task)
    wait_for(lambda: Attempt.objects.filter(task=task, outcome="cancelled").exists(), 120)
    thread.join(60)

    task.refresh_from_db()
    assert task.status == Status.CANCELLED
    result = result_of(task)
    assert result["partial"] is True and result["kind"] == "video"
    assert result["video"]["video"]["resolution"] == "64x48"
    assert 0 < result["segments"][-1]["end"] < 132
    assert task.thumbnail_path


def test_it_fails_with_a_clear_reason_when_the_video_is_gone(
    owner: User, videos: dict[str, Path], queues: Any, drain: Any
) -> None:
    body = upload(owner, videos["talk"], "video/mp4")
    task = Task.objects.get(pk=body["id"])
    (settings.STORAGE_ROOT / task.file_path).unlink()

    drain()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, "FILE_MISSING")
    assert Attempt.objects.get(task=task).error_code == "FILE_MISSING"


def test_it_treats_a_video_container_with_only_sound_as_a_recording(
    owner: User, tmp_path: Path, queues: Any, drain: Any
) -> None:
    import subprocess

    sound_only = tmp_path / "voice.mp4"
    subprocess.run(
        ["/usr/bin/ffmpeg", "-loglevel", "error", "-i", str(JFK_FLAC), "-c:a", "aac"]
        + [str(sound_only)],
        check=True,
        timeout=60,
    )
    body = upload(owner, sound_only, "video/mp4")
    assert body["kind"] == Kind.TRANSCRIPTION
    assert queues["media"].job_ids == [f"task-{body['id']}-1"]

    drain()

    assert status_of(Task.objects.get(pk=body["id"])) == Status.COMPLETED


def test_it_deletes_the_kept_sound_with_the_audio_but_keeps_the_thumbnail(
    owner: User, videos: dict[str, Path], queues: Any, drain: Any
) -> None:
    body = upload(owner, videos["talk"], "video/mp4", normalized_audio="true")
    drain()
    task = Task.objects.get(pk=body["id"])
    kept = settings.STORAGE_ROOT / f"results/{task.pk}_audio.flac"
    assert kept.is_file()

    assert purge_audio(task)

    assert not kept.exists() and not (settings.STORAGE_ROOT / task.file_path).exists()
    assert (settings.STORAGE_ROOT / task.thumbnail_path).is_file()
    assert client_for(owner).get(f"/api/v1/tasks/{task.pk}/audio").status_code == 404
