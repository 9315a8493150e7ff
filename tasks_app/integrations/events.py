"""The periodic integrations tick: tell webhooks and notifications what happened to tasks.

`manage.py integrations_tick` runs `tick()` every INTEGRATIONS_TICK_SECONDS. It polls the Task
table rather than being called by the worker and the services: the Task row is the truth, so a
crash between a task finishing and anyone being told costs a few seconds, never the event.
`task_finished(task_id)` is the one entry point; a caller that wants an event told sooner (the
worker as it completes a task) may call it directly, and the tick will not tell it twice: the
unique TaskEvent row decides who tells.

Events are looked for among tasks that changed in the last EVENT_LOOKBACK, so turning the tick on
for the first time does not announce every task ever finished.

One user's odd data must not hold up everyone else's news: each event, each delivery and the
retention step run on their own; one that raises is logged, counted
(`writers_integration_errors{stage}` on /metrics) and the tick goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tasks_app.integrations import notifications, retention, webhooks
from tasks_app.integrations.models import TaskEvent
from tasks_app.models import Status, Task
from writers import metrics

logger = logging.getLogger(__name__)

EVENT_LOOKBACK = timedelta(days=1)
EVENT_FOR_STATUS = {
    Status.COMPLETED: TaskEvent.Kind.COMPLETED,
    Status.FAILED: TaskEvent.Kind.FAILED,
    Status.CANCELLED: TaskEvent.Kind.CANCELLED,
}


@dataclass
class TickReport:
    events: int = 0
    overdue: int = 0
    deliveries: int = 0
    purged: int = 0

    def __bool__(self) -> bool:
        return any(getattr(self, field.name) for field in fields(self))

    def __str__(self) -> str:
        return (
            f"{self.events} task events, {self.overdue} overdue, "
            f"{self.deliveries} webhook deliveries tried, {self.purged} audio files deleted"
        )


def tick(*, wait: bool = True) -> TickReport:
    """One round. `wait`: return only when the webhook deliveries it started are done; the
    long-running command does not wait, so receivers that hang never delay the next round."""
    report = TickReport()
    for task_id in finished_untold():
        report.events += _isolated("event", task_finished, task_id) or 0
    for task_id in overdue_untold():
        report.overdue += _isolated("event", _overdue, task_id) or 0
    report.deliveries = _isolated("deliveries", webhooks.deliver_due, wait=wait) or 0
    report.purged = _isolated("retention", retention.purge_expired_audio) or 0
    return report


def _isolated(stage: str, step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`step(*args)`, or None when it raises: logged and counted, and the tick goes on."""
    try:
        return step(*args, **kwargs)
    except Exception:
        logger.exception("Integrations tick: %s %s failed", stage, args)
        metrics.count_integration_error(stage)
        return None


def _overdue(task_id: Any) -> bool:
    return _record(Task.objects.get(pk=task_id), TaskEvent.Kind.OVERDUE, 0)


def task_finished(task_id: Any) -> bool:
    """Tell about a file task that reached a terminal state; True if this call told it."""
    task = Task.objects.alive().select_related("user").filter(pk=task_id).first()
    if task is None or not task.is_terminal:
        return False
    return _record(task, EVENT_FOR_STATUS[Status(task.status)], task.attempts)


def finished_untold() -> list[Any]:
    """File tasks (transcriptions, videos, documents) that finished recently, not told yet."""
    since = timezone.now() - EVENT_LOOKBACK
    found: list[Any] = []
    for status, event in EVENT_FOR_STATUS.items():
        told = TaskEvent.objects.filter(
            task=OuterRef("pk"), event=event, attempt=OuterRef("attempts")
        )
        tasks = Task.objects.alive().exclude(file_path="").filter(status=status)
        if status == Status.COMPLETED:
            tasks = tasks.filter(completed_at__gte=since)
        else:
            # Failing or cancelling has no timestamp of its own. Deleting the audio of an old task
            # (retention) touches updated_at too, and must not make it news: the tick tells
            # events before it deletes audio, so a purged task was told already if ever.
            tasks = tasks.filter(updated_at__gte=since, audio_purged_at__isnull=True)
        found += tasks.filter(~Exists(told)).order_by("updated_at").values_list("pk", flat=True)
    return found


def overdue_untold() -> list[Any]:
    """Open to-dos past their due date that were not told yet."""
    told = TaskEvent.objects.filter(task=OuterRef("pk"), event=TaskEvent.Kind.OVERDUE)
    return list(
        Task.objects.alive()
        .overdue()
        .filter(~Exists(told))
        .order_by("due_date")
        .values_list("pk", flat=True)
    )


def _record(task: Task, event: TaskEvent.Kind, attempt: int) -> bool:
    try:
        with transaction.atomic():
            recorded = TaskEvent.objects.create(task=task, event=event, attempt=attempt)
            webhooks.queue_event(recorded)
            notifications.notify(recorded)
    except IntegrityError:
        # Another tick (or a direct task_finished call) recorded it first and told it.
        return False
    logger.info("Task %s: %s (attempt %s) recorded", task.pk, event, attempt)
    return True
