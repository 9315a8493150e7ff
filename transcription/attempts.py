"""One worker's hold on a task: every write is conditional on the task still being its own.

A claim is (task, attempt number). Every UPDATE filters on status PROCESSING *and* that attempt
number, so once the sweeper has given the task to a new attempt, or the user cancelled it, a
frozen or slow worker's late progress and completion change nothing. It also remembers the
result an earlier attempt left (`previous`, `previous_text`): the name to resume from, and to
delete once this attempt has pointed the row at a result of its own; and the task's row as
claimed (`task`), which the attempt's work reads instead of asking the database again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks_app.models import AnalysisStatus, Attempt, Status, Task


@dataclass(frozen=True)
class Claim:
    task_id: uuid.UUID
    number: int
    task: Task = field(compare=False, repr=False)
    previous: str = ""
    previous_text: str = ""

    @classmethod
    def take(cls, task_id: Any, worker: str, device: str) -> Claim | None:
        """IN_PROGRESS → PROCESSING as a new attempt; None if the task is not waiting for us
        (a duplicate delivery, a cancelled task, one another worker already took)."""
        # The row as queued, read before the claim clears its result (no attempt writes it
        # while it is queued), with a result kept for the store (runner): one query for all the
        # attempt reads of its task.
        now = timezone.now()
        task = Task.objects.select_related("kept_result").filter(pk=task_id).first()
        if task is None:
            return None
        previous, previous_text = task.result_path, task.transcript_text
        claimed: dict[str, Any] = {
            "attempts": task.attempts + 1,
            "started_at": now,
            "heartbeat_at": now,
            "completed_at": None,
            "progress": 0,
            "processed_seconds": 0,
            "transcript_text": "",
            "result_path": "",
            "error_code": "",
            "error_message": "",
            "updated_at": now,
        }
        with transaction.atomic():
            # Only from the attempt read: the row is then the one read, and its new attempt
            # number known without reading it back.
            if not Task.objects.filter(attempts=task.attempts).transition(
                task_id, [Status.IN_PROGRESS], Status.PROCESSING, **claimed
            ):
                return None
            number = claimed["attempts"]
            Attempt.objects.create(
                task_id=task_id, number=number, worker=worker[:200], device=device[:200]
            )
        task.status = Status.PROCESSING
        for name, value in claimed.items():
            setattr(task, name, value)
        return cls(task.pk, number, task, previous, previous_text)

    def _mine(self) -> Any:
        return Task.objects.filter(attempts=self.number)

    def _attempt(self) -> Any:
        return Attempt.objects.filter(
            task_id=self.task_id, number=self.number, outcome=Attempt.Outcome.RUNNING
        )

    def is_current(self) -> bool:
        return self._mine().filter(pk=self.task_id, status=Status.PROCESSING).exists()

    def beat(self) -> bool:
        return (
            self._mine()
            .filter(pk=self.task_id, status=Status.PROCESSING)
            .update(heartbeat_at=timezone.now())
            == 1
        )

    def save_progress(self, result: dict[str, Any], result_path: str) -> bool:
        duration = result["duration"] or 0
        processed = result.get("processed_seconds", 0)
        # Percent, 0–100; 100 only once the result is complete.
        progress = min(processed / duration * 100, 99.0) if duration else 0
        now = timezone.now()
        saved = (
            self._mine()
            .filter(pk=self.task_id, status=Status.PROCESSING)
            .update(
                progress=progress,
                processed_seconds=processed,
                heartbeat_at=now,
                updated_at=now,
                transcript_text=result["text"],
                result_path=result_path,
                duration_seconds=duration,
                detected_language=result["language"] or "",
                language_probability=result["language_probability"],
            )
            == 1
        )
        if saved:
            self._attempt().update(progress=progress)
        return saved

    def complete(self, result: dict[str, Any], result_path: str) -> bool:
        fields: dict[str, Any] = {}
        if labels := result.get("speaker_labels"):
            # Asked for at upload: the page shows how the labelling went, as for a later one.
            failed = bool(labels["error"])
            fields["speakers_status"] = (
                AnalysisStatus.FAILED if failed else AnalysisStatus.COMPLETED
            )
            fields["speakers_error"] = labels["error"] or ""
        with transaction.atomic():
            done = self._mine().transition(
                self.task_id,
                [Status.PROCESSING],
                Status.COMPLETED,
                progress=100,
                # A text or file result has no duration.
                processed_seconds=result["duration"] or 0,
                heartbeat_at=timezone.now(),
                transcript_text=result["text"],
                result_path=result_path,
                duration_seconds=result["duration"],
                detected_language=result["language"] or "",
                language_probability=result["language_probability"],
                **fields,
            )
            if done:
                self.end(Attempt.Outcome.COMPLETED, progress=100)
        return done

    def fail(self, code: str, message: str, text: str, path: str) -> bool:
        """PROCESSING → FAILED, keeping the transcript `text` and the result `path` reached."""
        fields: dict[str, Any] = {"error_code": code, "error_message": message}
        fields.update(transcript_text=text, result_path=path)
        with transaction.atomic():
            failed = self._mine().transition(
                self.task_id, [Status.PROCESSING], Status.FAILED, **fields
            )
            if failed:
                self.end(Attempt.Outcome.FAILED, code=code, message=message)
        return failed

    def keep_partial(self, text: str, path: str) -> bool:
        """Point a task its owner cancelled mid-run at what was transcribed before the stop."""
        return (
            self._mine()
            .filter(pk=self.task_id, status=Status.CANCELLED)
            .update(transcript_text=text, result_path=path)
            == 1
        )

    def release(self, code: str, message: str, text: str, path: str) -> bool:
        """End this attempt on a passing fault (the object store unreachable): the task goes
        back to PENDING, which the sweeper enqueues again once ENQUEUE_GRACE_SECONDS have
        passed, like a task whose worker was lost; after MAX_ATTEMPTS it FAILS with `code`."""
        last = self.number >= settings.MAX_ATTEMPTS
        fields: dict[str, Any] = {"transcript_text": text, "result_path": path}
        if last:
            fields.update(error_code=code, error_message=message)
        else:
            fields.update(queued_at=None, heartbeat_at=None)
        with transaction.atomic():
            moved = self._mine().transition(
                self.task_id,
                [Status.PROCESSING],
                Status.FAILED if last else Status.PENDING,
                **fields,
            )
            if moved:
                self.end(Attempt.Outcome.FAILED, code=code, message=message)
        return moved

    def end(self, outcome: str, *, code: str = "", message: str = "", progress: Any = None) -> None:
        fields: dict[str, Any] = {
            "outcome": outcome,
            "ended_at": timezone.now(),
            "error_code": code,
            "error_message": message,
        }
        if progress is not None:
            fields["progress"] = progress
        self._attempt().update(**fields)

    def status(self) -> tuple[str, int]:
        return Task.objects.values_list("status", "attempts").get(pk=self.task_id)
