"""Speaker labels asked for after a transcript was done (POST /api/v1/tasks/{id}/speakers, the
task page): the `label_speakers` job's work. The labels become a new revision of the transcript
by the system (author None), so the user sees them in the history, corrects them like any edit
and can restore the version before them. The machine's result file is never touched."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from rq.timeouts import BaseTimeoutException

from tasks_app import blobs
from tasks_app.models import AnalysisStatus, Status, Task
from tasks_app.transcripts import services as transcripts
from transcription import engine, speakers

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "Speaker labelling failed because of an internal error; try again."


def label_task(task_id: str, count: int) -> None:
    """Label the speakers of a completed task's current transcript; the outcome is the task's
    `speakers_status` (and `speakers_error`, a sentence for the user, when it failed)."""
    if not Task.objects.filter(
        pk=task_id, status=Status.COMPLETED, speakers_status=AnalysisStatus.QUEUED
    ).update(speakers_status=AnalysisStatus.RUNNING, updated_at=timezone.now()):
        logger.info("Speaker labelling of task %s is not waiting; nothing to do", task_id)
        return
    task = Task.objects.get(pk=task_id)
    error = ""
    try:
        found = speakers.turns(*_audio_and_regions(task), count)
        _record(task, found)
    except (speakers.SpeakerError, engine.EngineError) as exc:
        error = exc.message
    except (transcripts.NotReady, transcripts.NotEditable) as exc:
        error = exc.message
    except transcripts.StaleVersion:
        error = "The transcript kept changing while speakers were labelled; try again."
    except BaseTimeoutException:
        error = "Speaker labelling took too long for this recording."
    except Exception:
        logger.exception("Speaker labelling of task %s failed", task_id)
        error = INTERNAL_ERROR
    if error:
        logger.warning("Speaker labelling of task %s failed: %s", task_id, error)
    Task.objects.filter(pk=task_id, speakers_status=AnalysisStatus.RUNNING).update(
        speakers_status=AnalysisStatus.FAILED if error else AnalysisStatus.COMPLETED,
        speakers_error=error,
        updated_at=timezone.now(),
    )


def _audio_and_regions(task: Task) -> tuple[Any, list[tuple[float, float]]]:
    gone = speakers.SpeakerError(
        "The audio of this task was deleted: speakers cannot be told apart without it."
    )
    if not task.file_path or task.audio_purged_at is not None:
        raise gone
    try:
        # Decoded whole into memory, so the local copy (a download on S3) goes at once.
        with blobs.local_copy(task.file_path) as path:
            audio = engine.decode(path)
    except FileNotFoundError:
        raise gone from None
    except blobs.StoreUnavailable as exc:
        raise speakers.SpeakerError(
            "The file storage could not be reached to read the audio; try again later."
        ) from exc
    return audio, engine.speech_regions(audio)


def operations_for(segments: list[dict[str, Any]], found: list[speakers.Turn]) -> list[dict]:
    """One "speaker" operation per speaker, naming the segments it speaks."""
    ids: dict[str, list[int]] = {}
    for segment, name in zip(segments, speakers.assign(segments, found), strict=True):
        if name is not None:
            ids.setdefault(name, []).append(segment["id"])
    return [{"op": "speaker", "ids": members, "speaker": name} for name, members in ids.items()]


def _record(task: Task, found: list[speakers.Turn]) -> None:
    """Apply the labels to the transcript as it is now. Someone may save an edit meanwhile:
    then once more, to the segments of the version they saved, placed by their times."""
    transcript = transcripts.current(task)
    for attempt in range(2):
        if not transcript.segments:
            raise speakers.SpeakerError("The transcript has no segments to label.")
        operations = operations_for(transcript.segments, found)
        try:
            transcripts.apply(task, None, transcript.version, operations)
            return
        except transcripts.StaleVersion as exc:
            if attempt:
                raise
            transcript = exc.current
