"""Fair queues: which waiting job a free worker takes next.

One user's backlog must not hold everyone else back. Among users, the next job goes to the
user with the fewest running jobs, ties to the one served least recently (oldest latest start,
never served first), ties to the shorter next job; a user's own jobs keep their queued order.
Jobs whose id names no task (or a task gone) keep their place at the head.

The same `fair_order` serves the workers, which reorder each queue's Redis list before every
dequeue (RQ then pops the head as usual), and the ETA (transcription.services.queue_schedule),
so the queue position a user is shown is the order workers really follow.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseError
from django.db.models import Count, Max, Q
from redis.exceptions import RedisError, WatchError

from tasks_app.models import Status, Task

logger = logging.getLogger(__name__)

# Every job id starts with its task's id: task-<uuid>-<attempt>, task-<uuid>-<kind>-<attempt>,
# task-<uuid>-<name>-<hex>, task-<uuid>-piece-<attempt>-<index>.
TASK_IN_JOB_ID = re.compile(r"^task-([0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})")
# A pop or push between reading the list and writing it back makes the write fail; after this
# many tries the list keeps its order until the next dequeue.
REORDER_ATTEMPTS = 3


@dataclass(frozen=True)
class Waiting:
    key: Hashable  # a job id, or a task id for the ETA
    owner: int | None  # None: a job that names no task
    seconds: float | None  # the recording's length, None when unknown


@dataclass(frozen=True)
class Service:
    running: int = 0
    last_start: datetime | None = None


def fair_order(waiting: Sequence[Waiting], served: Mapping[int, Service]) -> list[Waiting]:
    """`waiting` (in queued order) in the order workers should take them.

    Each pick counts as a start for its owner (one more running, served last), so the rule
    applied again and again gives round robin among users with equal standing.
    """
    order = [item for item in waiting if item.owner is None]
    lines: dict[int, deque[tuple[int, Waiting]]] = {}
    for index, item in enumerate(waiting):
        if item.owner is not None:
            lines.setdefault(item.owner, deque()).append((index, item))
    # Never served sorts first, then real start times, then the picks made here, in turn.
    never, real, picked = 0, 1, 2

    def rank(owner: int, running: int, served_at: tuple[int, float]) -> tuple[Any, ...]:
        index, head = lines[owner][0]
        seconds = math.inf if head.seconds is None else head.seconds
        return (running, served_at, seconds, index, owner)

    heap = []
    for owner in lines:
        service = served.get(owner, Service())
        last = service.last_start
        served_at = (never, 0.0) if last is None else (real, last.timestamp())
        heap.append(rank(owner, service.running, served_at))
    heapq.heapify(heap)
    turn = 0
    while heap:
        running, _served_at, _seconds, _index, owner = heapq.heappop(heap)
        order.append(lines[owner].popleft()[1])
        if lines[owner]:
            turn += 1
            heapq.heappush(heap, rank(owner, running + 1, (picked, float(turn))))
    return order


def service_of(owners: Iterable[int]) -> dict[int, Service]:
    """Each owner's running tasks and latest start, in one query."""
    rows = (
        Task.objects.filter(user_id__in=set(owners))
        .order_by()
        .values("user_id")
        .annotate(
            running=Count("pk", filter=Q(status=Status.PROCESSING)), last_start=Max("started_at")
        )
        .values_list("user_id", "running", "last_start")
    )
    return {owner: Service(running, last_start) for owner, running, last_start in rows}


def fair_job_ids(job_ids: Sequence[str]) -> list[str]:
    """A queue's job ids in fair order, read from PostgreSQL in two queries (one for a single
    user's jobs)."""
    task_of = {
        job_id: match.group(1) for job_id in job_ids if (match := TASK_IN_JOB_ID.match(job_id))
    }
    tasks = {
        str(pk): (owner, seconds)
        for pk, owner, seconds in Task.objects.filter(pk__in=set(task_of.values())).values_list(
            "pk", "user_id", "duration_seconds"
        )
    }
    waiting = [
        Waiting(job_id, *tasks.get(task_of.get(job_id, ""), (None, None))) for job_id in job_ids
    ]
    owners = {item.owner for item in waiting if item.owner is not None}
    if len(owners) == 1 and all(item.owner is not None for item in waiting):
        # One user's jobs keep their queued order: no standing to read.
        return list(job_ids)
    return [str(item.key) for item in fair_order(waiting, service_of(owners))]


def reorder(queue: Any) -> bool:
    """Rewrite an RQ queue's list in fair order, atomically: a push or pop meanwhile makes it
    try again, and a push is never lost. Returns whether the order changed.

    Redis or PostgreSQL unreachable: logged, and the queue keeps its order (a dequeue must
    never fail because of fairness).
    """
    if not settings.FAIR_QUEUES:
        return False
    key = queue.key
    try:
        # Most dequeues find one job or none: nothing to order, in one round trip.
        if queue.connection.llen(key) < 2:
            return False
        with queue.connection.pipeline() as pipe:
            for _attempt in range(REORDER_ATTEMPTS):
                try:
                    pipe.watch(key)
                    job_ids = [_text(job_id) for job_id in pipe.lrange(key, 0, -1)]
                    if len(job_ids) < 2:
                        return False
                    order = fair_job_ids(job_ids)
                    if order == job_ids:
                        return False
                    pipe.multi()
                    pipe.delete(key)
                    pipe.rpush(key, *order)
                    pipe.execute()
                    return True
                except WatchError:
                    continue
                finally:
                    pipe.reset()
    except (RedisError, DatabaseError):
        logger.warning(
            "Could not put queue %s in fair order; it keeps its order", key, exc_info=True
        )
    return False


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
