from __future__ import annotations

import json
import logging
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app.models import Attempt, Status, Task
from tasks_app.services import cancel_task
from transcription import engine
from transcription.attempts import Claim
from transcription.jobs import transcribe_audio
from transcription.models import ModelSpeed
from transcription.services import enqueue_task
from transcription.sweeper import recover
from transcription.tests.conftest import assert_jfk, status_of, wait_for, words
from writers import metrics
from writers.logging import ContextFilter

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_transcribes_an_upload_to_completed(file_task: Any, drain: Any) -> None:
    task = file_task()
    assert enqueue_task(task.pk)
    assert status_of(task) == Status.IN_PROGRESS

    assert drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED
    assert task.progress == 100
    assert task.attempts == 1
    assert task.completed_at is not None
    assert re.fullmatch(rf"results/{task.pk}/001-\d+\.json", task.result_path)
    assert_jfk(task.transcript_text)
    result = json.loads((settings.STORAGE_ROOT / task.result_path).read_text())
    assert result["partial"] is False
    assert result["task_id"] == str(task.pk)
    assert result["text"] == task.transcript_text
    assert result["duration"] == pytest.approx(11.0, abs=0.1)
    assert 0 < result["confidence"] <= 1
    assert {"id", "start", "end", "text", "avg_logprob", "compression_ratio", "no_speech_prob"} <= (
        set(result["segments"][0])
    )
    run = result["run"]
    assert (run["model"], run["compute_type"], run["device"]) == ("tiny.en", "int8", "cpu")
    assert run["versions"]["faster_whisper"] == "1.2.1"
    assert run["wall_seconds"] > 0 and run["real_time_factor"] > 1
    attempt = Attempt.objects.get(task=task)
    assert (attempt.number, attempt.outcome, attempt.progress) == (1, "completed", 100)
    assert attempt.worker and attempt.device == "cpu" and attempt.ended_at
    assert ModelSpeed.objects.get(model_name="tiny.en").real_time_factor > 1
    redis = metrics._redis()
    assert redis.get(f"{metrics.PREFIX}:attempts") == b"1"
    assert redis.hget(f"{metrics.PREFIX}:duration:tiny.en|cpu", "count") == b"1"


def test_it_spends_seven_queries_around_the_engine_on_a_short_upload(
    file_task: Any, queues: Any, settings: Any
) -> None:
    # Issue 18's fixed cost per task: the claim reads the row once (with any kept result) and
    # knows its attempt number without reading it back, a first attempt at a recording too
    # short to cut asks nothing about pieces, the completion writes the task and its attempt
    # without checking first, and the model's speed is recorded (the first time: 2 queries).
    settings.CHUNK_MIN_SECONDS = 120
    settings.HEARTBEAT_SECONDS = 60  # no partial result in between
    task = file_task(duration_seconds=11.0)  # the length the upload's probe stores
    assert enqueue_task(task.pk)

    with CaptureQueriesContext(connection) as queries:
        transcribe_audio(task_id=str(task.pk), audio_file_path=task.file_path)

    assert status_of(task) == Status.COMPLETED
    assert [statement(q["sql"]) for q in queries.captured_queries] == [
        "SELECT tasks_app_task",  # the claim reads the row (and a kept result)
        "BEGIN",
        "UPDATE tasks_app_task",  # and takes it
        "INSERT tasks_app_attempt",
        "COMMIT",
        "BEGIN",
        "UPDATE tasks_app_task",  # the completion
        "UPDATE tasks_app_attempt",
        "COMMIT",
        "SELECT transcription_modelspeed",
        "BEGIN",
        "INSERT transcription_modelspeed",
        "COMMIT",
    ]


def statement(sql: str) -> str:
    """`VERB table` of a query, `BEGIN`/`COMMIT` as they are."""
    table = re.search(r'(?:FROM|UPDATE|INTO) "(\w+)"', sql)
    return f"{sql.split()[0]} {table.group(1)}" if table else sql


def test_it_passes_the_task_options_through(file_task: Any, drain: Any) -> None:
    # The model continues a prompt in its style: in capitals, the transcript starts in capitals,
    # which tiny.en never writes for this clip unprompted (test_engine checks both ways).
    task = file_task(word_timestamps=True, initial_prompt="AND SO, MY FELLOW AMERICANS")
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert "MY FELLOW AMERICANS" in task.transcript_text
    result = json.loads((settings.STORAGE_ROOT / task.result_path).read_text())
    words = [word for segment in result["segments"] for word in segment["words"]]
    assert [word["word"].strip(" ,.").lower() for word in words][:3] == ["and", "so", "my"]
    assert all(word["start"] <= word["end"] for word in words)


@pytest.mark.slow
def test_it_detects_the_language_with_the_multilingual_model(
    file_task: Any, drain: Any, speech: dict[str, Path], base_model: str
) -> None:
    task = file_task(speech["de"])
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED
    assert task.detected_language == "de"
    assert {"guten", "morgen", "berlin"} <= set(words(task.transcript_text))
    result = json.loads((settings.STORAGE_ROOT / task.result_path).read_text())
    assert (result["run"]["model"], result["language"]) == ("base", "de")
    assert result["language_probability"] > 0.5


def test_it_loads_the_model_once_for_two_jobs(
    file_task: Any, drain: Any, caplog: pytest.LogCaptureFixture
) -> None:
    engine.unload_models()
    first, second = file_task(), file_task()
    enqueue_task(first.pk)
    enqueue_task(second.pk)

    with caplog.at_level(logging.INFO, logger="transcription"):
        drain()

    assert status_of(first) == status_of(second) == Status.COMPLETED
    loads = [r for r in caplog.records if r.getMessage().startswith("Loaded model tiny.en")]
    assert len(loads) == 1


def test_it_logs_resources_at_each_stage(
    file_task: Any, drain: Any, caplog: pytest.LogCaptureFixture
) -> None:
    engine.unload_models()
    enqueue_task(file_task().pk)

    with caplog.at_level(logging.INFO, logger="transcription.monitoring"):
        drain()

    lines = [r.getMessage() for r in caplog.records if r.name == "transcription.monitoring"]
    stages = [re.match(r"\[([^\]]+)\]", line).group(1) for line in lines]
    # The worker loads the default model when it starts, before its first task.
    assert stages == [
        "Model loaded",
        "Task start",
        "Before transcription",
        "After transcription",
        "Task completed",
    ]
    assert all(re.fullmatch(r"\[[^\]]+\] RAM: \d+MB / \d+MB \(\d+\.\d%\)", x) for x in lines)


def test_it_warns_when_ram_is_above_the_threshold(
    file_task: Any, drain: Any, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.RAM_WARNING_THRESHOLD = 0.0
    enqueue_task(file_task().pk)

    with caplog.at_level(logging.INFO, logger="transcription.monitoring"):
        drain()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(re.match(r"\[Task start\] RAM use .* above the 0% warning", w) for w in warnings)


def corrupt_copy(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    data[200:] = bytes(len(data) - 200)
    target.write_bytes(data)
    return target


def test_it_fails_bad_audio_and_keeps_serving(
    file_task: Any, drain: Any, jfk_flac: Path, tmp_path: Path
) -> None:
    truncated = tmp_path / "truncated.flac"
    truncated.write_bytes(jfk_flac.read_bytes()[:60_000])
    noise = tmp_path / "noise.flac"
    noise.write_bytes(bytes(range(256)) * 200)
    bad = [
        file_task(corrupt_copy(jfk_flac, tmp_path / "corrupt.flac")),
        file_task(truncated),
        file_task(noise),
    ]
    good = file_task()
    for task in [*bad, good]:
        enqueue_task(task.pk)

    drain()

    for task in bad:
        task.refresh_from_db()
        assert (task.status, task.error_code) == (Status.FAILED, "DECODE_ERROR"), task.title
        assert task.error_message and "Traceback" not in task.error_message
        attempt = Attempt.objects.get(task=task)
        assert (attempt.outcome, attempt.error_code) == ("failed", "DECODE_ERROR")
    good.refresh_from_db()
    assert good.status == Status.COMPLETED
    assert_jfk(good.transcript_text)
    assert metrics._redis().hget(f"{metrics.PREFIX}:failures", "DECODE_ERROR") == b"3"


def test_it_fails_a_recording_over_the_length_limit(
    file_task: Any, drain: Any, settings: Any
) -> None:
    settings.MAX_AUDIO_SECONDS = 5
    task = file_task()
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, "AUDIO_TOO_LONG")


def test_it_fails_when_the_upload_is_missing(file_task: Any, drain: Any) -> None:
    task = file_task()
    (settings.STORAGE_ROOT / task.file_path).unlink()
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, "FILE_MISSING")


def test_it_names_the_task_on_every_log_line_of_its_job(
    file_task: Any, drain: Any, caplog: pytest.LogCaptureFixture
) -> None:
    task = file_task()
    caplog.handler.addFilter(ContextFilter())
    enqueue_task(task.pk)

    with caplog.at_level(logging.INFO):
        drain()

    job_lines = [r for r in caplog.records if r.name.startswith("transcription.")]
    assert job_lines
    assert {r.task_id for r in job_lines} == {str(task.pk)}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (MemoryError(), "OUT_OF_MEMORY"),
        (RuntimeError("CUDA failed with error out of memory"), "OUT_OF_MEMORY"),
        (RuntimeError("unexpected index"), "INTERNAL"),
    ],
)
def test_it_fails_unexpected_errors_with_a_code_and_keeps_serving(
    file_task: Any,
    drain: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    code: str,
) -> None:
    real = engine.transcribe
    calls: list[str] = []

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls.append("x")
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "transcribe", failing_once)
    broken, fine = file_task(), file_task()
    enqueue_task(broken.pk)
    enqueue_task(fine.pk)

    with caplog.at_level(logging.ERROR, logger="transcription.runner"):
        drain()

    broken.refresh_from_db()
    assert (broken.status, broken.error_code) == (Status.FAILED, code)
    # The user reads a sentence; the exception and its traceback go to the log.
    assert broken.error_message.endswith(".") and "Error" not in broken.error_message
    assert not str(error) or str(error) not in broken.error_message
    assert "Traceback" in caplog.text
    assert status_of(fine) == Status.COMPLETED


def test_it_fails_with_model_unavailable(file_task: Any, drain: Any) -> None:
    task = file_task(model_name="large-v9")
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, "MODEL_UNAVAILABLE")
    assert "HF_HUB_OFFLINE" in task.error_message


def test_it_never_starts_a_task_cancelled_while_queued(file_task: Any, drain: Any) -> None:
    task = file_task()
    enqueue_task(task.pk)
    assert cancel_task(task)

    drain()

    task.refresh_from_db()
    assert task.status == Status.CANCELLED
    assert task.attempts == 0 and task.started_at is None
    assert not Attempt.objects.filter(task=task).exists()


@pytest.mark.slow
def test_it_saves_progress_while_running_and_stops_within_a_window_when_cancelled(
    file_task: Any, background_worker: Any, long_flac: Path, settings: Any
) -> None:
    settings.HEARTBEAT_SECONDS = 0.2
    task = file_task(long_flac)
    enqueue_task(task.pk)
    thread = background_worker()
    running = wait_for(
        lambda: (
            Task.objects.filter(pk=task.pk, status=Status.PROCESSING, progress__gt=0)
            .values("progress", "transcript_text", "result_path", "heartbeat_at")
            .first()
        )
    )
    assert 0 < running["progress"] < 100 and running["transcript_text"] and running["heartbeat_at"]
    assert running["result_path"].startswith(f"results/{task.pk}/001-")

    reached = Task.objects.values_list("progress", flat=True).get(pk=task.pk) / 100 * 132
    assert cancel_task(task)
    wait_for(lambda: Attempt.objects.filter(task=task, outcome="cancelled").exists(), 120)
    thread.join(30)

    task.refresh_from_db()
    assert task.status == Status.CANCELLED
    result = json.loads((settings.STORAGE_ROOT / task.result_path).read_text())
    assert result["partial"] is True
    # The worker notices between segments, and the decoder hands over a 30-second window's
    # segments at once: it stops within the window it was decoding (two, for the race with the
    # progress read above) instead of decoding the rest of the recording.
    assert 0 < result["segments"][-1]["end"] <= reached + 2 * 30 < 132
    assert task.transcript_text == result["text"]


def test_it_ignores_a_duplicate_delivery(file_task: Any, drain: Any) -> None:
    task = file_task()
    enqueue_task(task.pk)
    drain()
    task.refresh_from_db()
    completed_at = task.completed_at

    transcribe_audio(str(task.pk), str(settings.STORAGE_ROOT / task.file_path))

    task.refresh_from_db()
    assert (task.status, task.attempts, task.completed_at) == (
        Status.COMPLETED,
        1,
        completed_at,
    )
    assert Attempt.objects.filter(task=task).count() == 1


def test_it_delays_through_enqueue_task(file_task: Any, drain: Any) -> None:
    task = file_task()

    assert transcribe_audio.delay(task_id=task.pk, audio_file_path="ignored")
    assert status_of(task) == Status.IN_PROGRESS
    drain()

    assert status_of(task) == Status.COMPLETED


@pytest.mark.slow
def test_it_fails_with_timeout(file_task: Any, drain: Any, long_flac: Path, settings: Any) -> None:
    settings.JOB_TIMEOUT_SECONDS = 1
    task = file_task(long_flac)
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, "TIMEOUT")


def test_it_rejects_a_frozen_workers_late_writes(file_task: Any, settings: Any) -> None:
    settings.HEARTBEAT_GRACE_SECONDS = 0
    task = file_task()
    enqueue_task(task.pk)
    frozen = Claim.take(task.pk, "frozen", "cpu")
    assert frozen is not None
    assert recover(task.pk, frozen.number) == "retried"
    enqueue_task(task.pk)
    fresh = Claim.take(task.pk, "fresh", "cpu")
    assert fresh is not None and fresh.number == 2
    result = {"text": "late", "duration": 11.0, "language": "en", "language_probability": 1.0}

    assert not frozen.beat()
    assert not frozen.save_progress({**result, "processed_seconds": 5.0}, "results/x.json")
    assert not frozen.complete(result, "results/x.json")
    assert not frozen.fail("INTERNAL", "late", None, "")

    task.refresh_from_db()
    assert (task.status, task.attempts, task.transcript_text) == (Status.PROCESSING, 2, "")
    outcomes = dict(Attempt.objects.filter(task=task).values_list("number", "outcome"))
    assert outcomes == {1: "lost", 2: "running"}


@pytest.mark.parametrize("args", [["-c:a", "libmp3lame"], ["-c:a", "aac"]])
def test_it_transcribes_other_formats(
    file_task: Any, drain: Any, jfk_flac: Path, tmp_path: Path, args: list[str]
) -> None:
    target = tmp_path / ("jfk.mp3" if "libmp3lame" in args else "jfk.m4a")
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(jfk_flac), *args, str(target)], check=True
    )
    task = file_task(target)
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED
    assert_jfk(task.transcript_text)
