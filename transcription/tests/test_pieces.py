"""A long recording in pieces (transcription.pieces): the plan, the cuts, the stitched result,
cancel and resume, on real speech with tiny.en. The job here runs in a worker thread alone, so
the task's own job transcribes every piece; real worker processes sharing one recording are
test_transcribe_piece's."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bench import speech_clips
from conftest import JFK_FLAC, JFK_TEXT
from tasks_app.models import Attempt, Kind, Status, Task
from tasks_app.services import cancel_task, load_result, retry_task
from transcription import engine, pieces
from transcription.models import Piece, WorkerProcess
from transcription.services import enqueue_task
from transcription.tests.conftest import status_of, wait_for, word_error_rate

pytestmark = pytest.mark.django_db(transaction=True)


def long_speech(directory: Path, seconds: float) -> Path:
    """The first `seconds` of bench/speech_clips.py's english clip (espeak-ng voices, jfk.flac,
    pauses of 0.3-4 s), as FLAC."""
    built, _reference = speech_clips.build("english", JFK_FLAC, JFK_TEXT)
    target = directory / f"english_{seconds:.0f}s.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(built), "-t", str(seconds), str(target)],
        check=True,
        timeout=60,
    )
    return target


@pytest.fixture(scope="module")
def speech_80s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_speech(tmp_path_factory.mktemp("audio"), 80)


@pytest.fixture(scope="module")
def jfk_2x(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jfk.flac twice with 1.5 s of silence after each (25 s): words tiny.en gets right, so a
    word lost or doubled at the seam shows (more repeats make it fall back to sampling, whose
    slips vary from run to run)."""
    import numpy as np

    jfk = engine.decode(JFK_FLAC)
    pause = np.zeros(int(1.5 * engine.SAMPLE_RATE), dtype=np.float32)
    target = tmp_path_factory.mktemp("audio") / "jfk_2x_pauses.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", "-"]
        + [str(target)],
        input=np.concatenate([jfk, pause] * 2).tobytes(),
        check=True,
        timeout=60,
    )
    return target


def idle_worker(name: str = "idle", **fields: Any) -> WorkerProcess:
    """A live worker process's row, listening to media and doing nothing: another host's, say,
    that takes no job in this test."""
    fields.setdefault("queues", "media,default")
    return WorkerProcess.objects.create(name=name, hostname="elsewhere", pid=1, **fields)


@pytest.fixture
def split(settings: Any) -> Any:
    """Pieces from 30 s (none shorter than 15 s), heartbeats every 0.2 s."""
    settings.CHUNK_MIN_SECONDS = 30
    settings.HEARTBEAT_SECONDS = 0.2
    return settings


def test_it_plans_one_piece_per_idle_worker_none_shorter_than_half_the_minimum(
    settings: Any,
) -> None:
    settings.CHUNK_MIN_SECONDS = 120

    assert pieces.piece_count(120, idle=3) == 1
    assert pieces.piece_count(180, idle=0) == 1
    assert pieces.piece_count(180, idle=1) == 2
    # 60-s pieces at the shortest.
    assert pieces.piece_count(180, idle=5) == 3
    settings.CHUNK_MIN_SECONDS = 0
    assert pieces.piece_count(3600, idle=5) == 1


def test_it_counts_idle_workers_less_the_media_work_waiting_for_them(
    file_task: Any, jfk_flac: Path
) -> None:
    idle_worker("a")
    idle_worker("b")
    idle_worker("busy", current_task_id=file_task().pk)
    idle_worker("text only", queues="default")
    idle_worker("gone", last_seen_at=timezone.now() - timedelta(hours=1))
    assert pieces.idle_workers(task_id=None) == 2

    queued = [file_task().pk, file_task().pk]
    Task.objects.filter(pk__in=queued).update(status=Status.IN_PROGRESS)
    # A text task waits for the default queue's workers.
    Task.objects.filter(pk=queued[1]).update(kind=Kind.TEXT)

    assert pieces.idle_workers(task_id=None) == 1


def test_it_cuts_in_the_middle_of_pauses_near_even_shares(speech_80s: Path) -> None:
    bounds = engine.speech_cuts(speech_80s, 3)

    duration = len(engine.decode(speech_80s)) / engine.SAMPLE_RATE
    assert len(bounds) == 3
    assert bounds[0][0] == 0 and bounds[-1][1] == pytest.approx(duration, abs=0.01)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    cuts = [end for _start, end in bounds[:-1]]
    speech = engine.speech_regions(engine.decode(speech_80s))
    assert not [(cut, s) for cut in cuts for s in speech if s[0] < cut < s[1]]
    # Sentences here last a few seconds: the pause nearest each third is close to it.
    for share, cut in enumerate(cuts, start=1):
        assert abs(cut - duration * share / 3) < 8


def test_it_transcribes_a_clip_with_the_recordings_times(speech_80s: Path) -> None:
    result = engine.transcribe(speech_80s, engine.Options(model_name="tiny.en"), clip=(30, 50))

    assert result["duration"] == pytest.approx(20, abs=0.01)
    assert result["run"]["clip"] == [30, 50]
    assert result["segments"]
    assert all(30 <= s["start"] <= s["end"] <= 50 for s in result["segments"])
    assert result["segments"][0]["start"] < 35


def test_it_transcribes_a_long_recording_in_pieces_without_losing_a_word(
    split: Any, file_task: Any, jfk_2x: Path, drain: Any
) -> None:
    split.CHUNK_MIN_SECONDS = 10
    idle_worker()
    task = file_task(jfk_2x)
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED, task.error_message
    result = load_result(task)
    assert result["run"]["pieces"]["count"] == 2
    assert result["run"]["pieces"]["reused"] == 0
    assert word_error_rate(" ".join([JFK_TEXT] * 2), result["text"]) == 0
    # Cut in the pause between the two.
    assert result["run"]["pieces"]["bounds"][0][1] == pytest.approx(11.75, abs=0.5)
    segments = result["segments"]
    assert [s["id"] for s in segments] == list(range(len(segments)))
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert all(a["end"] <= b["start"] + 0.01 for a, b in zip(segments, segments[1:], strict=False))
    assert segments[0]["start"] < 2 and segments[-1]["end"] > result["duration"] - 5
    assert result["duration"] == pytest.approx(25, abs=0.01)
    assert (result["language"], result["languages"]) == ("en", ["en"])
    assert result["confidence"] and task.progress == 100
    # This worker transcribed both: the other never took its piece's job.
    assert list(Piece.objects.filter(task=task).values_list("status", "tries")) == [
        ("done", 1),
        ("done", 1),
    ]


def test_it_cancels_midway_and_a_retry_keeps_the_done_pieces(
    split: Any, file_task: Any, speech_80s: Path, background_worker: Any, drain: Any
) -> None:
    idle_worker("a")
    idle_worker("b")
    task = file_task(speech_80s)
    enqueue_task(task.pk)
    running = background_worker()
    wait_for(lambda: Piece.objects.filter(task=task, index=0, status="done").exists())

    assert cancel_task(task)

    wait_for(lambda: Attempt.objects.filter(task=task, outcome="cancelled").exists())
    statuses = dict(Piece.objects.filter(task=task).values_list("index", "status"))
    assert statuses == {0: "done", 1: "cancelled", 2: "cancelled"}
    task.refresh_from_db()
    # What was transcribed before the cancel is kept, and never resumed as if it were whole.
    partial = load_result(task)
    assert partial["partial"] and partial["run"]["pieces"]["count"] == 3
    assert engine.resumable_segments(partial, engine.Options.for_task(task), "tiny.en") == []

    running.join(60)
    assert retry_task(task)
    drain()

    assert status_of(task) == Status.COMPLETED
    result = load_result(Task.objects.get(pk=task.pk))
    assert result["run"]["pieces"]["reused"] == 1
    assert result["segments"][0]["start"] < 2 and not result["partial"]
    tries = dict(Piece.objects.filter(task=task).values_list("index", "tries"))
    # Piece 0 was not transcribed again.
    assert tries == {0: 1, 1: 1, 2: 1}
    assert Task.objects.get(pk=task.pk).attempts == 2
