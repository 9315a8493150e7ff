"""A task's new status, told at once to the requests waiting for it (tasks_app.waiting): every
status transition (Task.objects.transition) publishes the task's id on Redis once its
transaction commits, and each web event loop with a waiter for it looks at the database then,
instead of at its next safety-net poll."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from redis.exceptions import RedisError

from writers import queues

logger = logging.getLogger(__name__)

# Where a task's id is published when its status changes; the waiting requests subscribe.
CHANNEL = "writers:task-status"


def announce(task_id: Any) -> None:
    """Wake the requests waiting for `task_id` once the current transaction commits (at once
    outside one): they look at its status now instead of at their next poll."""
    transaction.on_commit(lambda: _publish(str(task_id)))


def _publish(task_id: str) -> None:
    try:
        queues.connection().publish(CHANNEL, task_id)
    except RedisError:
        logger.debug("Could not announce task %s; its waiters poll", task_id, exc_info=True)
