"""Resume from the last saved segment, results that cannot be written (a full disk), and
headers that understate a recording's length.

A new attempt of a task whose earlier attempt saved a partial result keeps those segments and
decodes only from where the last of them ended (faster-whisper `clip_timestamps`); the chaos
suite (`make chaos`, scenario resume_after_kill) measures the time that saves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from conftest import JFK_TEXT
from tasks_app import blobs, storage
from tasks_app.models import ErrorCode, Status, Task
from transcription import engine
from transcription.services import enqueue_task
from transcription.tests.conftest import looped_jfk, word_error_rate

# Each decodes a recording several times over with the real model: run by `make test-slow`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def four_jfk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """44 s: more than one 30-second window."""
    return looped_jfk(tmp_path_factory.mktemp("audio"), 4)


@pytest.fixture(scope="module")
def full_run(four_jfk: Path) -> dict[str, Any]:
    return engine.transcribe(four_jfk, engine.Options(model_name="tiny.en"))


def cut(result: dict[str, Any], keep: int) -> dict[str, Any]:
    """`result` as an attempt that died after its first `keep` segments would have saved it."""
    segments = result["segments"][:keep]
    return {
        **result,
        "partial": True,
        "segments": segments,
        "text": " ".join(segment["text"] for segment in segments),
    }


def assert_seamless(result: dict[str, Any], repeats: int) -> None:
    segments = result["segments"]
    assert all(b["start"] >= a["end"] for a, b in zip(segments, segments[1:], strict=False))
    assert [segment["id"] for segment in segments] == list(range(len(segments)))
    assert word_error_rate(" ".join([JFK_TEXT] * repeats), result["text"]) <= 0.15


def test_it_resumes_from_the_last_saved_segment_without_a_gap_or_duplicate(
    four_jfk: Path, full_run: dict[str, Any]
) -> None:
    keep = len(full_run["segments"]) // 2
    partial = cut(full_run, keep)
    seam = partial["segments"][-1]["end"]

    resumed = engine.transcribe(four_jfk, engine.Options(model_name="tiny.en"), resume_from=partial)

    assert resumed["run"]["resumed_at"] == seam
    assert resumed["segments"][:keep] == partial["segments"]
    assert resumed["segments"][keep]["start"] >= seam
    assert resumed["partial"] is False
    assert resumed["text"].startswith(partial["text"])
    assert_seamless(resumed, repeats=4)


def test_it_keeps_a_complete_earlier_result_whose_worker_died_before_recording_it(
    four_jfk: Path, full_run: dict[str, Any]
) -> None:
    # The worker wrote its final file and was killed before the row said COMPLETED: the next
    # attempt must not decode the whole recording again.
    assert full_run["partial"] is False

    resumed = engine.transcribe(
        four_jfk, engine.Options(model_name="tiny.en"), resume_from=full_run
    )

    assert resumed["run"]["resumed_at"] == full_run["segments"][-1]["end"]
    assert resumed["segments"][: len(full_run["segments"])] == full_run["segments"]
    assert resumed["text"].startswith(full_run["text"])


@pytest.mark.parametrize(
    "options",
    [
        engine.Options(model_name="tiny.en", word_timestamps=True),
        engine.Options(model_name="tiny.en", batched=True),
    ],
    ids=["other options", "batched"],
)
def test_it_starts_over_when_the_saved_part_does_not_fit(
    four_jfk: Path, full_run: dict[str, Any], options: engine.Options
) -> None:
    partial = cut(full_run, 2)

    result = engine.transcribe(four_jfk, options, resume_from=partial)

    assert result["run"]["resumed_at"] is None
    assert result["segments"][0]["start"] < partial["segments"][-1]["end"]


def test_it_transcribes_more_than_one_window_in_batched_mode(four_jfk: Path) -> None:
    result = engine.transcribe(four_jfk, engine.Options(model_name="tiny.en", batched=True))

    assert word_error_rate(" ".join([JFK_TEXT] * 4), result["text"]) <= 0.15


def test_it_refuses_a_header_understating_the_length_before_decoding(
    tmp_path: Path, settings: Any
) -> None:
    settings.MAX_AUDIO_SECONDS = 30
    looped = looped_jfk(tmp_path, 4)
    data = bytearray(looped.read_bytes())
    # STREAMINFO from byte 18: sample rate (20 bits), channels (3), bits (5) and the 36-bit
    # total-samples field, set to 5 seconds.
    packed = int.from_bytes(data[18:26], "big")
    data[18:26] = ((packed >> 36 << 36) | 5 * (packed >> 44)).to_bytes(8, "big")
    liar = tmp_path / "liar.flac"
    liar.write_bytes(bytes(data))
    assert engine.probe_duration(liar) == 5.0

    with pytest.raises(engine.AudioTooLong):
        engine.decode(liar)
    assert engine.demuxed_duration(liar) == pytest.approx(44, abs=0.5)


@pytest.mark.django_db(transaction=True)
def test_a_new_attempt_resumes_from_what_the_last_one_saved(
    file_task: Any, drain: Any, four_jfk: Path, full_run: dict[str, Any]
) -> None:
    task = file_task(four_jfk)
    partial = cut(full_run, len(full_run["segments"]) // 2)
    partial["task_id"] = str(task.pk)
    # What an attempt killed mid-job leaves: its last partial result stored and the row pointed
    # at it, attempt 1 lost.
    saved = engine.result_name(task.pk, 1)
    blobs.write_json(saved, partial)
    Task.objects.filter(pk=task.pk).update(attempts=1, result_path=saved)
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.COMPLETED, 2)
    result = json.loads((Path(django_settings.STORAGE_ROOT) / task.result_path).read_text())
    assert result["run"]["resumed_at"] == partial["segments"][-1]["end"]
    assert_seamless(result, repeats=4)
    # Replaced by the new attempt's result, the partial one is gone.
    assert task.result_path != saved and not blobs.exists(saved)


@pytest.mark.django_db(transaction=True)
def test_it_fails_with_storage_full_when_the_result_cannot_be_written(
    file_task: Any, drain: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_temporary = storage.temporary_path

    def on_a_full_disk(target: Path) -> Path:
        # The result's temporary file is /dev/full, which answers every write with a real
        # ENOSPC from the kernel, as a full volume does; other files are written as usual.
        temporary = fresh_temporary(target)
        if target.parent.parent.name == "results":
            temporary.symlink_to("/dev/full")
        return temporary

    monkeypatch.setattr(storage, "temporary_path", on_a_full_disk)
    task = file_task()
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, ErrorCode.STORAGE_FULL)
    assert "storage is full" in task.error_message
    assert task.result_path == ""
    assert list(blobs.listing(f"results/{task.pk}")) == []
