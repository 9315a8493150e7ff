"""Pieces of one long recording on real worker processes (transcription.jobs.transcribe_piece):
both workers transcribe it, and a worker killed mid-piece costs that piece alone."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from bench import speech_clips
from conftest import JFK_FLAC, JFK_TEXT
from tasks_app.models import Attempt, Status
from tasks_app.services import load_result
from transcription.models import Piece, WorkerProcess
from transcription.services import enqueue_task
from transcription.tests.conftest import status_of, wait_for, word_error_rate
from transcription.tests.test_pieces import long_speech
from transcription.tests.test_transcription_worker import start_worker  # noqa: F401 (fixture)

# Two worker processes on three minutes of speech: tens of seconds, run by make test-slow.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WORKERS = {"CHUNK_MIN_SECONDS": "60", "HEARTBEAT_SECONDS": "0.5", "HEARTBEAT_GRACE_SECONDS": "3"}


@pytest.fixture(scope="module")
def speech_185s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bench/speech_clips.py's english clip whole: 185 s."""
    return long_speech(tmp_path_factory.mktemp("audio"), 185)


def two_idle_workers(start_worker: Any) -> None:  # noqa: F811
    start_worker("--concurrency", "2", **WORKERS)
    wait_for(lambda: WorkerProcess.objects.count() == 2, timeout=90)


def test_it_spreads_a_long_recording_over_two_idle_worker_processes(
    file_task: Any,
    start_worker: Any,  # noqa: F811
    speech_185s: Path,
) -> None:
    two_idle_workers(start_worker)
    task = file_task(speech_185s)
    enqueue_task(task.pk)

    wait_for(lambda: status_of(task) in (Status.COMPLETED, Status.FAILED), timeout=180)

    task.refresh_from_db()
    assert task.status == Status.COMPLETED, task.error_message
    result = load_result(task)
    # Two for each worker; both workers transcribed some.
    assert result["run"]["pieces"]["count"] == 4
    assert len(set(result["run"]["pieces"]["workers"])) == 2
    assert set(Piece.objects.filter(task=task).values_list("status", "tries")) == {("done", 1)}
    _built, reference = speech_clips.build("english", JFK_FLAC, JFK_TEXT)
    assert word_error_rate(reference, result["text"]) < 0.3


def test_it_transcribes_again_only_the_piece_of_a_killed_worker(
    file_task: Any,
    start_worker: Any,  # noqa: F811
    speech_185s: Path,
) -> None:
    two_idle_workers(start_worker)
    task = file_task(speech_185s)
    enqueue_task(task.pk)
    parent = wait_for(lambda: Attempt.objects.filter(task=task).first()).worker
    elsewhere = wait_for(
        lambda: (
            Piece.objects.filter(task=task, status="running", progress__gt=0)
            .exclude(worker=parent)
            .first()
        ),
        timeout=90,
    )

    os.kill(WorkerProcess.objects.get(name=elsewhere.worker).pid, signal.SIGKILL)

    wait_for(lambda: status_of(task) in (Status.COMPLETED, Status.FAILED), timeout=180)
    task.refresh_from_db()
    assert task.status == Status.COMPLETED, task.error_message
    assert task.attempts == 1
    tries = dict(Piece.objects.filter(task=task).values_list("index", "tries"))
    # The killed piece was transcribed twice, by the task's own job; the others once.
    assert tries == {index: 2 if index == elsewhere.index else 1 for index in range(4)}
    result = load_result(task)
    assert result["run"]["pieces"]["workers"][elsewhere.index] == parent
    starts = [s["start"] for s in result["segments"]]
    assert starts == sorted(starts) and result["segments"][-1]["end"] > 175
