"""Decoder-bomb-like uploads: small files that promise or hold far more audio than they seem.
Each is refused at upload or ends FAILED, and the worker that met it goes on serving."""

from __future__ import annotations

import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from conftest import JFK_FLAC, make_user
from tasks_app.models import Status, Task
from tasks_app.services import create_task
from tasks_app.uploads import UploadRejected
from transcription import worker

FFMPEG = "/usr/bin/ffmpeg"


def wav_header(rate: int, channels: int, bits: int = 16) -> bytes:
    """A WAV whose format chunk says `rate` and `channels`, followed by a little silence."""
    block = channels * bits // 8
    fmt = struct.pack(
        "<HHIIHH", 1, channels, rate, (rate * block) & 0xFFFFFFFF, block & 0xFFFF, bits
    )
    data = b"\x00" * 4096
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def flac_claiming(source: Path, seconds: float) -> bytes:
    """`source` (a 16 kHz FLAC) with STREAMINFO's total-samples field set to `seconds`."""
    data = bytearray(source.read_bytes())
    assert data[:4] == b"fLaC"
    # Sample rate (20 bits), channels (3), bits per sample (5), total samples (36) from byte 18.
    packed = int.from_bytes(data[18:26], "big")
    packed = (packed >> 36 << 36) | int(seconds * 16000)
    data[18:26] = packed.to_bytes(8, "big")
    return bytes(data)


def nothing_stored() -> bool:
    uploads = Path(django_settings.STORAGE_ROOT) / "uploads"
    return not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_refuses_a_long_low_bitrate_opus_at_upload(
    alice: User, api: Callable[[User], APIClient], settings: Any, tmp_path: Path
) -> None:
    settings.MAX_AUDIO_SECONDS = 300
    # Twenty minutes of Opus at 6 kbit/s: under 0.5 MB that would decode to 77 MB of samples.
    target = tmp_path / "long.ogg"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono"]
        + ["-t", "1200", "-c:a", "libopus", "-b:a", "6k", str(target)],
        check=True,
        timeout=120,
    )
    with target.open("rb") as audio:
        response = api(alice).post("/api/v1/tasks", {"title": "long", "file": audio})

    assert response.status_code == 422
    assert response.json()["code"] == "audio_too_long"
    assert not Task.objects.exists()
    assert nothing_stored()


@pytest.mark.parametrize(
    ("rate", "channels"), [(4_000_000_000, 1), (16000, 65535), (0, 1), (16000, 0)]
)
def test_it_refuses_an_absurd_sample_rate_or_channel_count_at_upload(
    rate: int, channels: int, alice: User, api: Callable[[User], APIClient]
) -> None:
    upload = SimpleUploadedFile("absurd.wav", wav_header(rate, channels), content_type="audio/wav")

    response = api(alice).post("/api/v1/tasks", {"title": "absurd", "file": upload})

    assert response.status_code in (415, 422)
    assert response.json()["code"] in ("not_audio", "corrupt_audio")
    assert not Task.objects.exists()
    assert nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_header_lying_about_its_duration_and_keeps_the_worker_serving(
    queues: Any, settings: Any, tmp_path: Path
) -> None:
    owner = make_user(name="alice")
    settings.MAX_AUDIO_SECONDS = 60
    source = tmp_path / "long.flac"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=600"]
        + ["-ar", "16000", "-ac", "1", str(source)],
        check=True,
        timeout=120,
    )
    liar = SimpleUploadedFile("liar.flac", flac_claiming(source, 5), content_type="audio/flac")
    with pytest.raises(UploadRejected) as refused:
        create_task(owner, title="ten minutes that claim five seconds", upload=liar)
    # The probe measures the packets, not only the header.
    assert refused.value.code == "audio_too_long"
    with JFK_FLAC.open("rb") as audio:
        after = create_task(
            owner, title="after", upload=SimpleUploadedFile("jfk.flac", audio.read(), "audio/flac")
        )

    thread = threading.Thread(target=worker.work, kwargs={"burst": True}, daemon=True)
    thread.start()
    thread.join(180)

    assert not thread.is_alive()
    after.refresh_from_db()
    assert after.status == Status.COMPLETED
