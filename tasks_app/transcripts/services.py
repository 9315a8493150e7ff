"""The edited transcript: read it, change it (a revision per change, optimistic locking on
`Task.transcript_version`), restore an older one, and build the result document downloads render.
Used by the API (tasks_app/transcripts/api.py), the pages and the speaker labelling job."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from tasks_app.models import Kind, Status, Task
from tasks_app.services import load_result
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.transcripts.operations import (
    InvalidOperation,
    apply_operations,
    normalize,
    speakers_of,
    text_of,
)

__all__ = [
    "InvalidOperation",
    "NotEditable",
    "NotReady",
    "Revision",
    "StaleVersion",
    "Transcript",
    "apply",
    "current",
    "restore",
    "result_for",
    "revisions",
]

TRANSCRIPT_KINDS = (Kind.TRANSCRIPTION, Kind.VIDEO)


@dataclass(frozen=True)
class Transcript:
    version: int
    segments: list[dict[str, Any]]
    speakers: list[str]
    # Only a completed transcription or video can be edited; a running one shows its partial
    # transcript read-only.
    editable: bool
    edited: bool


@dataclass(frozen=True)
class Revision:
    """One entry of a transcript's history; number 0 is the machine's transcript."""

    number: int
    author: Any
    created_at: datetime | None
    summary: str

    @property
    def author_name(self) -> str:
        return self.author.get_username() if self.author is not None else ""


class NotReady(Exception):
    """The task has no transcript (yet): a to-do, a text or file task, or nothing written."""

    def __init__(self, task: Task) -> None:
        if task.kind not in TRANSCRIPT_KINDS:
            message = "This task has no transcript."
        else:
            message = (
                f"No transcript yet: the task is {task.get_status_display().lower()}. "
                "Try again when it has completed."
            )
        super().__init__(message)
        self.message = message


class NotEditable(Exception):
    """The transcript is not finished: only a completed task's transcript can be edited."""

    def __init__(self, task: Task) -> None:
        message = (
            f"The task is {task.get_status_display().lower()}: its transcript can be edited "
            "once it has completed."
        )
        super().__init__(message)
        self.message = message


class StaleVersion(Exception):
    """The change was made to an older version than the current one: someone else saved
    first. `current` is the transcript as it is now."""

    def __init__(self, version: int, current: Transcript) -> None:
        message = (
            f"The transcript changed since version {version} (now version {current.version}, "
            "saved by someone else or in another window). Nothing was saved: reload it and "
            "make your change again."
        )
        super().__init__(message)
        self.message = message
        self.current = current


def current(task: Task) -> Transcript:
    """The transcript as it is now: the newest revision, or the machine's when not edited."""
    segments = _segments_at(task, task.transcript_version)
    return _transcript(task, task.transcript_version, segments)


def apply(task: Task, user: Any, version: int, operations: Any) -> Transcript:
    """Apply `operations` (operations.apply_operations) to version `version` of the transcript
    as one new revision by `user` (None: the system, like the speaker labelling). Raises
    NotReady, NotEditable, StaleVersion when `version` is not the current one, and
    InvalidOperation."""
    return _save(
        task,
        user,
        version,
        lambda segments: apply_operations(segments, operations),
        operations=operations,
    )


def restore(task: Task, user: Any, number: int, version: int | None = None) -> Transcript:
    """Make revision `number` (0: the machine's) the transcript again, as a new revision: the
    history keeps everything in between. Http404 for a revision that does not exist; with
    `version`, StaleVersion when the transcript is no longer at that version."""

    def restored(_segments: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
        return _revision_segments(task, number), _("Restored revision %(number)s") % {
            "number": number
        }

    return _save(task, user, version, restored, operations={"restore": number}, check=number)


def revisions(task: Task) -> list[Revision]:
    """The transcript's history, newest first, ending with the machine's transcript (0).
    Raises NotReady when the task has no transcript."""
    if task.kind not in TRANSCRIPT_KINDS or not task.result_path:
        raise NotReady(task)
    rows = task.revisions.select_related("author").order_by("-number").defer("segments")
    history = [Revision(row.number, row.author, row.created_at, row.summary) for row in rows]
    return [*history, Revision(0, None, task.completed_at, _("The machine's transcript"))]


def result_for(task: Task, version: str | int = "edited") -> dict[str, Any]:
    """The result document with the chosen transcript: "edited" (the current one, the machine's
    while nobody edited it), "original" (the machine's file as written) or a revision number.
    Its "text" follows the segments, and an edited one says which revision it is
    (`transcript_version`); the machine's is returned as written. Raises NotReady
    and InvalidOperation (field "version") for an unknown version."""
    result = load_result(task)
    if result is None:
        raise NotReady(task)
    number = parse_version(task, version)
    if number == 0:
        return result
    segments = _revision_segments(task, number)
    return {**result, "segments": segments, "text": text_of(segments), "transcript_version": number}


def parse_version(task: Task, version: str | int) -> int:
    """A download's `?version=`: "edited", "original" or a revision number, as a number."""
    if version == "edited":
        return task.transcript_version
    if version == "original":
        return 0
    if isinstance(version, str) and version.isdigit() and version.isascii():
        version = int(version)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InvalidOperation("version", "Use 'edited', 'original' or a revision number.")
    if version > task.transcript_version:
        raise InvalidOperation(
            "version", f"No revision {version}: the newest is {task.transcript_version}."
        )
    return version


def _save(
    task: Task,
    user: Any,
    version: int | None,
    change: Any,
    *,
    operations: Any,
    check: int | None = None,
) -> Transcript:
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.kind not in TRANSCRIPT_KINDS or not locked.result_path:
            raise NotReady(locked)
        if locked.status != Status.COMPLETED:
            raise NotEditable(locked)
        if version is not None and version != locked.transcript_version:
            raise StaleVersion(version, current(locked))
        if check is not None and not 0 <= check <= locked.transcript_version:
            raise Http404(f"No revision {check}.")
        # The summary is written in the language of whoever made the change.
        segments, summary = change(_segments_at(locked, locked.transcript_version))
        number = locked.transcript_version + 1
        TranscriptRevision.objects.create(
            task=locked,
            number=number,
            author=user,
            summary=summary,
            operations=operations,
            segments=segments,
        )
        locked.transcript_version = number
        locked.transcript_text = text_of(segments)
        locked.save(update_fields=["transcript_version", "transcript_text", "updated_at"])
    task.transcript_version = locked.transcript_version
    task.transcript_text = locked.transcript_text
    task.updated_at = locked.updated_at
    return _transcript(locked, number, segments)


def _transcript(task: Task, version: int, segments: list[dict[str, Any]]) -> Transcript:
    return Transcript(
        version=version,
        segments=segments,
        speakers=speakers_of(segments),
        editable=task.status == Status.COMPLETED,
        edited=version > 0,
    )


def _segments_at(task: Task, number: int) -> list[dict[str, Any]]:
    """Revision `number`'s segments; 0 reads the machine's result file."""
    if task.kind not in TRANSCRIPT_KINDS:
        raise NotReady(task)
    if number > 0:
        return _revision_segments(task, number)
    result = load_result(task)
    if result is None:
        raise NotReady(task)
    return normalize(result.get("segments") or [])


def _revision_segments(task: Task, number: int) -> list[dict[str, Any]]:
    if number == 0:
        return _segments_at(task, 0)
    row = task.revisions.filter(number=number).values_list("segments", flat=True).first()
    if row is None:
        raise Http404(f"No revision {number}.")
    return copy.deepcopy(row)
