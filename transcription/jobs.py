"""The queued entry points. Each takes ids, runs in the long-lived worker process that owns the
model and never raises: one attempt (transcription.runner) ends every outcome as a task status,
so the worker keeps serving.

A job's file argument is the upload's stored name (tasks_app.blobs), so the worker may run on a
host that shares no disk with the web. Jobs queued before that change carry an absolute path
under the web's STORAGE_ROOT instead; `stored_name` turns those back into names."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from tasks_app.models import Task
from transcription import labelling, pieces, processing
from transcription.runner import Transcription
from transcription.services import enqueue_task
from writers.logging import task_context


class QueuedJob:
    """A job function that can also put itself on its queue (`transcribe_audio.delay(...)`)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        functools.update_wrapper(self, func)
        self.func = func

    def __call__(self, task_id: str, *args: Any, **kwargs: Any) -> Any:
        # Every log line of the job names its task. The worker checks its database connection
        # on both sides of every job (TranscriptionWorker.execute_job).
        with task_context(task_id):
            return self.func(task_id, *args, **kwargs)

    def delay(self, *, task_id: Any, audio_file_path: str | None = None) -> bool:
        """Enqueue through transcription.services so PENDING → IN_PROGRESS stays in one place.

        `audio_file_path` is accepted for the documented call shape; the queued job always gets
        the path stored on the task, which is the one the upload wrote.
        """
        return enqueue_task(task_id)


def stored_name(task_id: str, file_path: str) -> str:
    """The stored name a job's file argument means: itself, or for an absolute path (queued
    before names), the part under STORAGE_ROOT, or the task's own name when it lies elsewhere."""
    path = Path(file_path)
    if not path.is_absolute():
        return file_path
    if path.is_relative_to(settings.STORAGE_ROOT):
        return str(path.relative_to(settings.STORAGE_ROOT))
    stored = Task.objects.filter(pk=task_id).values_list("file_path", flat=True).first()
    return stored or file_path


@QueuedJob
def transcribe_audio(task_id: str, audio_file_path: str) -> None:
    # Whole, or in pieces over the idle workers when long (transcription.pieces).
    Transcription(task_id, stored_name(task_id, audio_file_path), pieces.transcribe_work).run()


@QueuedJob
def transcribe_piece(task_id: str, piece_id: int) -> None:
    """Transcribe one piece of a long recording for its task's own job, which stitches them
    (transcription.pieces)."""
    pieces.transcribe_piece(task_id, piece_id)


@QueuedJob
def process_video(task_id: str, video_file_path: str) -> None:
    """Transcribe a video's sound track; keep its metadata, a thumbnail and, when asked, the
    sound as 16 kHz mono FLAC (transcription.processing.video_work)."""
    Transcription(task_id, stored_name(task_id, video_file_path), processing.video_work).run()


@QueuedJob
def analyze_text(task_id: str, text_content: str | None = None) -> None:
    """Analyse a text task's document, or, given `text_content`, add the analysis of a finished
    transcript to its result without touching its status."""
    if text_content is None:
        stored = Task.objects.filter(pk=task_id).values_list("file_path", flat=True).first()
        Transcription(task_id, stored or "", processing.text_work).run()
    else:
        processing.analyze_transcript(task_id, text_content)


@QueuedJob
def process_task_file(task_id: str, file_path: str) -> None:
    """Look at an upload of any kind: hand audio, video and documents to their job, record the
    size, type and checksums of anything else."""
    name = stored_name(task_id, file_path)
    if not processing.route_file(task_id, name):
        Transcription(task_id, name, processing.file_work).run()


@QueuedJob
def label_speakers(task_id: str, speakers: int) -> None:
    """Label the speakers of a finished transcript as a new revision by the system
    (transcription.labelling)."""
    labelling.label_task(task_id, speakers)
