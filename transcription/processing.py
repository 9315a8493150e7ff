"""The work of the video, text and file jobs (transcription.jobs), beside transcription's.

Each `*_work(job, task)` runs inside `runner.Transcription`, which owns the claim, heartbeat,
cancellation, partial results and error codes; it returns the result document
(docs/CONTRACTS.md) with a `kind` and the kind's own keys (`video`, `document`, `analysis`,
`file`). `analyze_transcript` is the one-click follow-up on a finished transcript: it adds
`analysis` to the existing result without touching the task's status.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from tasks_app import blobs
from tasks_app.models import (
    AnalysisStatus,
    Kind,
    Status,
    Task,
    normalized_audio_relpath,
    thumbnail_relpath,
)
from tasks_app.uploads import UploadRejected, kind_for_probe, run_probe
from transcription import engine, text_analysis, video
from transcription.runner import forget
from transcription.services import enqueue_task

if TYPE_CHECKING:
    from transcription.runner import Transcription

logger = logging.getLogger(__name__)

NO_SOUND_NOTICE = "The video has no sound track: there is nothing to transcribe."
SHORT_SOUND_NOTICE = (
    "The sound track ends at {sound:.0f} s, before the picture ({picture:.0f} s): the rest of "
    "the video has no sound to transcribe."
)
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HASH_CHUNK_BYTES = 1 << 20
# The longest text kept in a text task's result (about 150 pages).
MAX_TEXT_CHARS = 300_000
# How much of an unknown file is read to tell its type.
SNIFF_BYTES = 8192


class DocumentError(engine.EngineError):
    code = "DOCUMENT_ERROR"


class NoText(engine.EngineError):
    code = "NO_TEXT"


def _require(path: Path) -> None:
    if not path.is_file():
        raise engine.FileMissing("The uploaded file is missing; upload it again.")


def video_work(job: Transcription, task: Task) -> dict[str, Any]:
    """Metadata and thumbnail first (shown while the sound is transcribed), then the
    transcript of the first sound track; a video without sound completes with metadata and
    thumbnail only."""
    import av

    started = time.monotonic()
    _require(job.audio_path)
    try:
        metadata = video.video_metadata(job.audio_path)
    except (av.FFmpegError, ValueError) as exc:
        raise engine.DecodeError(
            "The file could not be read as a video: it is damaged or not a supported format."
        ) from exc
    extras: dict[str, Any] = {"kind": Kind.VIDEO, "video": metadata, "thumbnail": None}
    try:
        extras["thumbnail"] = stored(
            thumbnail_relpath(task.pk), lambda made: video.write_thumbnail(job.audio_path, made)
        )
    except video.NoPicture:
        pass
    except (av.FFmpegError, ValueError):
        # A still is a nicety: a frame that does not decode must not cost the transcript.
        logger.warning("Task %s: no thumbnail could be made", task.pk, exc_info=True)
    if extras["thumbnail"] is not None:
        Task.objects.filter(pk=task.pk, status=Status.PROCESSING).update(
            thumbnail_path=thumbnail_relpath(task.pk)
        )
    job.checkpoint()
    if not metadata["has_audio"]:
        return {
            "task_id": str(task.pk),
            "partial": False,
            "text": "",
            "language": None,
            "language_probability": None,
            "duration": metadata["duration"] or 0.0,
            "confidence": None,
            "segments": [],
            "notice": NO_SOUND_NOTICE,
            "normalized_audio": None,
            "run": {"model": None, "wall_seconds": round(time.monotonic() - started, 3)},
            **extras,
        }

    def on_segment(result: dict[str, Any]) -> None:
        result.update(extras)
        job.on_segment(result)

    result = engine.transcribe(
        job.audio_path, engine.Options.for_task(task), task_id=job.task_id, on_segment=on_segment
    )
    result.update(extras)
    if notice := short_sound_notice(result["duration"], metadata["duration"]):
        result["notice"] = notice
    result["normalized_audio"] = None
    if task.normalized_audio:
        job.checkpoint()
        samples = engine.decode(job.audio_path)
        result["normalized_audio"] = stored(
            normalized_audio_relpath(task.pk),
            lambda made: video.write_normalized_audio(samples, made),
        )
    return result


def stored(name: str, make: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Make a file in this process's scratch directory with `make(path)` and store it as
    `name` (moved into place on the local backend, uploaded on S3); what `make` said of it."""
    made = blobs.scratch_dir() / f"{os.urandom(6).hex()}{Path(name).suffix}"
    try:
        found = make(made)
        blobs.put_file(name, made, move=True)
    finally:
        made.unlink(missing_ok=True)
    return found


def short_sound_notice(sound: float, picture: float | None) -> str | None:
    """Said when the sound track stops well before the picture (a microphone that stopped,
    ffmpeg -shortest): the file is whole, the rest of the video is just silent."""
    if picture is None or sound >= picture - max(1.0, 0.02 * picture):
        return None
    return SHORT_SOUND_NOTICE.format(sound=sound, picture=picture)


def extract_text(path: Path) -> dict[str, Any]:
    """The document's text, extracted in the same sandboxed child process as upload probes."""
    _require(path)
    try:
        return run_probe(path, "extract")
    except UploadRejected as rejected:
        if rejected.code == "no_text":
            raise NoText(rejected.message) from rejected
        raise DocumentError(rejected.message) from rejected


def text_work(job: Transcription, task: Task) -> dict[str, Any]:
    started = time.monotonic()
    found = extract_text(job.audio_path)
    text = found.pop("text")
    found.pop("ok", None)
    # The text becomes Task.transcript_text, which PostgreSQL's search index must be able to
    # hold (a tsvector has at most 1 MB); the original upload keeps the whole document.
    found["truncated"] = len(text) > MAX_TEXT_CHARS
    text = text[:MAX_TEXT_CHARS]
    job.checkpoint()
    analysis = text_analysis.analyze(text)
    return {
        "task_id": str(task.pk),
        "partial": False,
        "kind": Kind.TEXT,
        "text": text,
        "language": analysis["language"],
        "language_probability": analysis["language_probability"],
        "duration": None,
        "confidence": None,
        "segments": [],
        "document": found,
        "analysis": analysis,
        "run": {
            "model": None,
            "versions": analysis["versions"],
            "wall_seconds": round(time.monotonic() - started, 3),
        },
    }


def file_info(path: Path) -> dict[str, Any]:
    """Size, type by content and checksums of any file."""
    import filetype

    _require(path)
    digests = {name: hashlib.new(name) for name in ("md5", "sha1", "sha256")}
    size = 0
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
        file.seek(0)
        while chunk := file.read(HASH_CHUNK_BYTES):
            size += len(chunk)
            for digest in digests.values():
                digest.update(chunk)
    guessed = filetype.guess(head)
    return {
        "size": size,
        "mime_type": guessed.mime if guessed else _text_or_binary(head),
        "extension": guessed.extension if guessed else None,
        "checksums": {name: digest.hexdigest() for name, digest in digests.items()},
    }


def _text_or_binary(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return "application/octet-stream"
    return "application/octet-stream" if b"\x00" in head else "text/plain"


def file_work(job: Transcription, task: Task) -> dict[str, Any]:
    started = time.monotonic()
    info = file_info(job.audio_path)
    return {
        "task_id": str(task.pk),
        "partial": False,
        "kind": Kind.FILE,
        "text": "",
        "language": None,
        "language_probability": None,
        "duration": None,
        "confidence": None,
        "segments": [],
        "file": {"name": task.original_filename, **info},
        "run": {"model": None, "wall_seconds": round(time.monotonic() - started, 3)},
    }


def detect(path: Path) -> tuple[str, dict[str, Any]] | None:
    """(kind, probe findings) for a file that is whole audio, video or a text document, by
    its content; None for anything else."""
    if not path.is_file():
        return None
    mime = file_info(path)["mime_type"]
    if mime.startswith(("audio/", "video/")):
        mode = "video"
    elif mime in ("application/pdf", DOCX_MIME, "application/zip", "text/plain"):
        # filetype names some DOCX files plain zip; the probe looks inside.
        mode = "text"
    else:
        return None
    try:
        probed = run_probe(path, mode)
    except UploadRejected as rejected:
        logger.info("File %s looks like %s but is not usable: %s", path, mime, rejected.code)
        return None
    return kind_for_probe(mode, probed), probed


def route_file(task_id: str, name: str) -> bool:
    """Hand a queued file task, whose upload is stored as `name`, to the job for what its
    content is. True when the task is no longer this job's to process (routed, or cancelled
    meanwhile)."""
    if not Task.objects.filter(pk=task_id, kind=Kind.FILE, status=Status.IN_PROGRESS).exists():
        return False
    try:
        with blobs.local_copy(name) as path:
            found = detect(path)
    except OSError:
        # Missing, or the store is away: the file job says so with its own error.
        return False
    if found is None:
        return False
    kind, probed = found
    # Back to PENDING with its new kind, then enqueued like any upload; a cancel in between
    # wins because both are conditional.
    moved = Task.objects.filter(kind=Kind.FILE).transition(
        task_id,
        [Status.IN_PROGRESS],
        Status.PENDING,
        kind=kind,
        queued_at=None,
        duration_seconds=probed.get("duration"),
    )
    if moved:
        logger.info("File task %s is %s by its content; routed", task_id, kind)
        enqueue_task(task_id)
    return True


def analyze_transcript(task_id: str, text_content: str) -> None:
    """Add the analysis of `text_content` to a completed task's result JSON."""
    if not Task.objects.filter(
        pk=task_id, status=Status.COMPLETED, analysis_status=AnalysisStatus.QUEUED
    ).update(analysis_status=AnalysisStatus.RUNNING, updated_at=timezone.now()):
        logger.info("Analysis of task %s is not waiting; nothing to do", task_id)
        return
    task = Task.objects.get(pk=task_id)
    outcome = AnalysisStatus.COMPLETED
    try:
        analysis = text_analysis.analyze(text_content)
    except Exception:
        logger.exception("Analysis of task %s failed", task_id)
        outcome = AnalysisStatus.FAILED
        analysis = {"error": {"code": "INTERNAL", "message": "The analysis failed."}}
    if not _add_to_result(task, "analysis", analysis):
        outcome = AnalysisStatus.FAILED
    Task.objects.filter(pk=task_id, analysis_status=AnalysisStatus.RUNNING).update(
        analysis_status=outcome, updated_at=timezone.now()
    )


def _add_to_result(task: Task, key: str, value: Any) -> bool:
    """Store the task's result with `key` set to `value` under a new name (names never change
    content), point the row at it if it still holds the result read, and delete the old one.
    False when there is no readable result, or the store is away."""
    old = task.result_path
    try:
        result = blobs.read_json(old) if old else None
        if not isinstance(result, dict):
            logger.warning("Task %s has no readable result to add the %s to", task.pk, key)
            return False
        result[key] = value
        name = engine.result_name(task.pk, task.attempts)
        blobs.write_json(name, result)
    except OSError:
        logger.warning("Task %s: the result could not be stored with its %s", task.pk, key)
        return False
    pointed = Task.objects.filter(pk=task.pk, result_path=old).update(
        result_path=name, updated_at=timezone.now()
    )
    forget(old if pointed else name)
    return bool(pointed)
