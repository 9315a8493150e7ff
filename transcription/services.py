"""Hand-off from the web to the workers: the only place that puts tasks on a queue."""

from __future__ import annotations

import logging
import uuid

import django_rq
from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError

from tasks_app.models import Kind, Status, Task

logger = logging.getLogger(__name__)

QUEUE_FOR_KIND = {Kind.TRANSCRIPTION: "media", Kind.VIDEO: "media", Kind.TEXT: "default"}
JOB_FOR_KIND = {Kind.TRANSCRIPTION: "transcription.jobs.transcribe_audio"}


def job_id_for(task_id: uuid.UUID | str, attempt: int) -> str:
    # One id per attempt: RQ refuses nothing on a duplicate id, but the worker's claim does.
    return f"task-{task_id}-{attempt}"


def enqueue_task(task_id: uuid.UUID | str) -> bool:
    """Move a PENDING task to IN_PROGRESS and put its job on the queue.

    Returns False (task stays PENDING, the sweeper tries again later) when Redis is unreachable.
    """
    task = Task.objects.filter(pk=task_id, status=Status.PENDING).first()
    if task is None or not task.has_file:
        return False
    # Mark it queued first: a worker may pick the job up the instant it lands in Redis.
    if not Task.objects.transition(
        task.pk, [Status.PENDING], Status.IN_PROGRESS, queued_at=timezone.now()
    ):
        return False
    queue = django_rq.get_queue(QUEUE_FOR_KIND.get(Kind(task.kind), "media"))
    try:
        queue.enqueue(
            JOB_FOR_KIND.get(Kind(task.kind), JOB_FOR_KIND[Kind.TRANSCRIPTION]),
            task_id=str(task.pk),
            audio_file_path=str(settings.STORAGE_ROOT / task.file_path),
            job_id=job_id_for(task.pk, task.attempts + 1),
            job_timeout=settings.JOB_TIMEOUT_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except RedisError:
        logger.warning("Redis unreachable; task %s stays PENDING until the sweeper", task.pk)
        Task.objects.transition(task.pk, [Status.IN_PROGRESS], Status.PENDING, queued_at=None)
        return False
    return True
