"""The sweeper: no task is lost between the database and Redis, and none stays stuck.

- PENDING file tasks that never reached the queue (Redis was down at upload) are enqueued.
- IN_PROGRESS tasks whose RQ job is gone (Redis lost its data) are enqueued again.
- PROCESSING tasks whose heartbeat stopped (worker killed, machine rebooted) get a new attempt,
  up to MAX_ATTEMPTS, and then FAIL with WORKER_LOST.
- Temporary files that a killed writer left under uploads/ and results/, and the scratch
  directories of dead processes, are removed once older than the heartbeat grace, unless their
  writer still runs (transcription.leftovers).
Every change is a conditional UPDATE, so a sweeper racing a worker or another sweeper is safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from tasks_app.models import Attempt, ErrorCode, Status, Task
from transcription import leftovers
from transcription.models import WorkerProcess
from transcription.services import QUEUE_FOR_KIND, enqueue_task, job_id_for
from writers import metrics, queues

logger = logging.getLogger(__name__)

# Uploads enqueue on commit; give that a moment before calling a task forgotten.
ENQUEUE_GRACE_SECONDS = 10
# Registry rows of workers silent this long (killed without a goodbye) are removed.
FORGET_WORKER_SECONDS = 3600
ENDED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


@dataclass
class SweepReport:
    enqueued: int = 0
    requeued: int = 0
    retried: int = 0
    lost: int = 0
    leftovers: int = 0

    def __str__(self) -> str:
        return (
            f"enqueued {self.enqueued} waiting, re-enqueued {self.requeued} vanished, "
            f"retried {self.retried} stalled, failed {self.lost} lost, "
            f"removed {self.leftovers} leftover temporary files"
        )


def sweep() -> SweepReport:
    report = SweepReport()
    now = timezone.now()
    waiting_since = now - timedelta(seconds=ENQUEUE_GRACE_SECONDS)
    file_tasks = Task.objects.alive().exclude(file_path="")

    for pk in file_tasks.filter(status=Status.PENDING, updated_at__lt=waiting_since).values_list(
        "pk", flat=True
    ):
        report.enqueued += enqueue_task(pk)

    queued = file_tasks.filter(status=Status.IN_PROGRESS, queued_at__lt=waiting_since)
    for task in queued.only("pk", "kind", "attempts"):
        if job_waiting(task) is not False:
            continue
        # Redis lost the job (or it ended without claiming the task, say the database was
        # down): put the task back and enqueue it again, unless it moved meanwhile.
        if Task.objects.filter(attempts=task.attempts).transition(
            task.pk, [Status.IN_PROGRESS], Status.PENDING, queued_at=None
        ):
            logger.warning("Task %s was queued but its job vanished; enqueueing again", task.pk)
            report.requeued += enqueue_task(task.pk)

    for task in stalled(settings.HEARTBEAT_GRACE_SECONDS).only("pk", "attempts"):
        outcome = recover(task.pk, task.attempts)
        if outcome == "retried":
            report.retried += 1
            enqueue_task(task.pk)
        elif outcome == "lost":
            report.lost += 1
    for action in ("enqueued", "requeued", "retried", "lost"):
        for _ in range(getattr(report, action)):
            metrics.count_recovery(action)
    WorkerProcess.objects.filter(
        last_seen_at__lt=now - timedelta(seconds=FORGET_WORKER_SECONDS)
    ).delete()
    report.leftovers = leftovers.remove(
        older_than=settings.HEARTBEAT_GRACE_SECONDS, other_hosts=True
    )
    return report


def job_waiting(task: Task) -> bool | None:
    """Whether the RQ job for the task's next attempt is still to run; None if Redis is down."""
    connection = queues.connection(QUEUE_FOR_KIND.get(task.kind, "media"))
    job_id = job_id_for(task.pk, task.attempts + 1, task.kind)
    try:
        return Job.fetch(job_id, connection=connection).get_status() not in ENDED
    except NoSuchJobError:
        return False
    except RedisError:
        logger.warning("Redis unreachable; cannot check queued task %s", task.pk)
        return None


def stalled_filter(grace_seconds: float) -> Q:
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)


def stalled(grace_seconds: float) -> Any:
    """PROCESSING tasks whose worker has not beaten for `grace_seconds`."""
    return Task.objects.filter(stalled_filter(grace_seconds), status=Status.PROCESSING)


def recover(task_id: Any, attempt: int) -> str | None:
    """Take a stalled task from attempt `attempt`: 'retried', 'lost', or None if it moved on."""
    # The same staleness condition is part of the UPDATE: a worker that beats in between keeps
    # its task.
    mine = Task.objects.filter(stalled_filter(settings.HEARTBEAT_GRACE_SECONDS), attempts=attempt)
    message = "The worker processing this task stopped responding."
    with transaction.atomic():
        if attempt >= settings.MAX_ATTEMPTS:
            outcome = "lost"
            moved = mine.transition(
                task_id,
                [Status.PROCESSING],
                Status.FAILED,
                error_code=ErrorCode.WORKER_LOST,
                error_message=f"{message} It was tried {attempt} times.",
            )
        else:
            outcome = "retried"
            moved = mine.transition(
                task_id, [Status.PROCESSING], Status.PENDING, queued_at=None, heartbeat_at=None
            )
        if not moved:
            return None
        Attempt.objects.filter(
            task_id=task_id, number=attempt, outcome=Attempt.Outcome.RUNNING
        ).update(
            outcome=Attempt.Outcome.LOST,
            ended_at=timezone.now(),
            error_code=ErrorCode.WORKER_LOST,
            error_message=message,
        )
    logger.warning("Task %s attempt %d lost its worker: %s", task_id, attempt, outcome)
    return outcome
