"""Hand-off from the web to the workers: the only place that puts tasks on a queue."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone
from redis.exceptions import RedisError

from tasks_app.models import Kind, Status, Task, seconds_left_at_measured_speed
from transcription import fairness

# What the web needs to know of the engine and the result formats, offered here so tasks_app
# reaches transcription through this one module (neither import loads faster-whisper).
from transcription.engine import LANGUAGES as LANGUAGES
from transcription.engine import available_models as available_models
from transcription.formats import FORMATS as FORMATS
from transcription.formats import RENDERERS as RENDERERS
from transcription.formats import render as render
from transcription.formats import render_download as render_download
from writers import queues

logger = logging.getLogger(__name__)

QUEUE_FOR_KIND = {
    Kind.TRANSCRIPTION: "media",
    Kind.VIDEO: "media",
    Kind.TEXT: "default",
    Kind.FILE: "default",
}
JOB_FOR_KIND = {
    Kind.TRANSCRIPTION: "transcription.jobs.transcribe_audio",
    Kind.VIDEO: "transcription.jobs.process_video",
    Kind.TEXT: "transcription.jobs.analyze_text",
    Kind.FILE: "transcription.jobs.process_task_file",
}
# The keyword each job takes its file's stored name under (tasks_app.blobs); a text job reads
# its task's file itself.
PATH_ARGUMENT_FOR_KIND = {
    Kind.TRANSCRIPTION: "audio_file_path",
    Kind.VIDEO: "video_file_path",
    Kind.FILE: "file_path",
}
ANALYSIS_JOB = "transcription.jobs.analyze_text"
SPEAKERS_JOB = "transcription.jobs.label_speakers"


def job_id_for(task_id: uuid.UUID | str, attempt: int, kind: str = Kind.TRANSCRIPTION) -> str:
    # One id per attempt: RQ refuses nothing on a duplicate id, but the worker's claim does.
    # The kind is part of it because a file task's job re-routes the task to another kind's
    # job within the same attempt.
    if kind == Kind.TRANSCRIPTION:
        return f"task-{task_id}-{attempt}"
    return f"task-{task_id}-{kind}-{attempt}"


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
    kind = Kind(task.kind) if task.kind in JOB_FOR_KIND else Kind.TRANSCRIPTION
    queue = queues.queue(QUEUE_FOR_KIND[kind])
    arguments: dict[str, str] = {}
    if kind in PATH_ARGUMENT_FOR_KIND:
        # The stored name, not a path: the worker may run on a host with another disk.
        arguments[PATH_ARGUMENT_FOR_KIND[kind]] = task.file_path
    try:
        queue.enqueue(
            JOB_FOR_KIND[kind],
            task_id=str(task.pk),
            **arguments,
            job_id=job_id_for(task.pk, task.attempts + 1, kind),
            job_timeout=settings.JOB_TIMEOUT_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except RedisError:
        logger.warning("Redis unreachable; task %s stays PENDING until the sweeper", task.pk)
        Task.objects.transition(task.pk, [Status.IN_PROGRESS], Status.PENDING, queued_at=None)
        return False
    # Workers reorder before each dequeue; this covers one that did so an instant ago and is
    # about to pop, and keeps the list in the order the ETA shows.
    fairness.reorder(queue)
    return True


def enqueue_analysis(task_id: uuid.UUID | str, text_content: str) -> bool:
    """Put the follow-up text analysis of a finished transcript on the `default` queue.

    The task's `analysis_status` is the claim (tasks_app.services.request_analysis sets it);
    False when Redis is unreachable.
    """
    return _enqueue_follow_up(
        QUEUE_FOR_KIND[Kind.TEXT], ANALYSIS_JOB, task_id, "analysis", text_content=text_content
    )


def enqueue_speakers(task_id: uuid.UUID | str, speakers: int) -> bool:
    """Put automatic speaker labelling of a finished transcript on the `media` queue (it
    decodes the audio, like a transcription). The task's `speakers_status` is the claim
    (tasks_app.services.request_speakers sets it); False when Redis is unreachable."""
    return _enqueue_follow_up(
        QUEUE_FOR_KIND[Kind.TRANSCRIPTION], SPEAKERS_JOB, task_id, "speakers", speakers=speakers
    )


def _enqueue_follow_up(
    queue: str, job: str, task_id: uuid.UUID | str, name: str, **kwargs: Any
) -> bool:
    """Work on a finished task, claimed by a status field on the row: a fresh job id each time
    (a request after a failure is a new job), False when Redis is unreachable."""
    try:
        queues.queue(queue).enqueue(
            job,
            task_id=str(task_id),
            **kwargs,
            job_id=f"task-{task_id}-{name}-{uuid.uuid4().hex[:12]}",
            job_timeout=settings.JOB_TIMEOUT_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except RedisError:
        logger.warning("Redis unreachable; the %s job of task %s was not queued", name, task_id)
        return False
    return True


@dataclass(frozen=True)
class Eta:
    # 0 while running, 1 for the next task to start, None for tasks not waiting for a worker.
    queue_position: int | None
    estimated_start: datetime | None
    estimated_finish: datetime | None


NO_ETA = Eta(None, None, None)


class Schedule(Mapping[uuid.UUID, Eta]):
    """A queue schedule (queue_schedule) as the web processes keep and share it: each task's
    ETA by its id's integer, as plain values. Taking the published schedule of 1 000 waiting
    tasks as UUID and Eta objects cost a web process 14 ms of CPU every ETA_CACHE_SECONDS,
    mostly unpickling them while holding the GIL its requests waited for; as plain values
    2.3 ms, the cache's round trips included (bench/LOAD.md)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: dict[int, tuple[int | None, datetime | None, datetime | None]]):
        self._rows = rows

    @classmethod
    def of(cls, etas: Mapping[uuid.UUID, Eta]) -> Schedule:
        return cls(
            {
                pk.int: (eta.queue_position, eta.estimated_start, eta.estimated_finish)
                for pk, eta in etas.items()
            }
        )

    def __getitem__(self, pk: uuid.UUID) -> Eta:
        return Eta(*self._rows[pk.int])

    def __contains__(self, pk: object) -> bool:
        return isinstance(pk, uuid.UUID) and pk.int in self._rows

    def __iter__(self) -> Iterator[uuid.UUID]:
        return (uuid.UUID(int=key) for key in self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __reduce__(self) -> tuple[type[Schedule], tuple[Any, ...]]:
        return Schedule, (self._rows,)


# Used until a worker has measured a model: whole 30-second windows per second on one CPU core.
DEFAULT_REAL_TIME_FACTOR = 10.0
# Recordings whose length is unknown are assumed to be this long.
DEFAULT_DURATION_SECONDS = 60.0


def eta_for_tasks(tasks: Iterable[Task]) -> dict[uuid.UUID, Eta]:
    """Queue position and estimated start and finish for each of `tasks` (eta_for_states)."""
    tasks = list(tasks)
    etas = eta_for_states({task.pk: task.status for task in tasks if task.is_active})
    return {task.pk: etas.get(task.pk, NO_ETA) for task in tasks}


def eta_for_states(active: dict[uuid.UUID, str]) -> dict[uuid.UUID, Eta]:
    """The ETA of each waiting or running task, given as its id and status (the API's list
    asks so, with no Task objects); a task not in the schedule has NO_ETA.

    No query when none is given. Otherwise the whole queue's schedule (queue_schedule) is kept
    by the web process: every list and poll request needs it, and on a deep queue it costs more
    than the rest of the request. Once it is ETA_CACHE_SECONDS old, the request still answers
    from it and a thread of the process gets the next one (`_refresh_behind`): the request
    that found it old used to work it out itself, and the process's other requests waited
    for it, tens of ms every ETA_CACHE_SECONDS in every process, the slowest of its answers
    (bench/LOAD.md). A schedule that does not know one of the tasks, or knows it waiting
    where it now runs, is replaced before the answer.

    The web processes, on every machine, share one schedule through the cache (Redis): one of
    them works it out and publishes it, the others take it (`_next_schedule`). Each worked out
    its own before, so the queue's reading and scheduling cost grew with the web processes and
    with the queue: on a backlog of 10 000 uploads, a quarter of a second of each process's
    CPU and as much of PostgreSQL's every ETA_CACHE_SECONDS.
    """
    if not active:
        # Nothing waits or runs among them (a page of finished tasks): no queue to read.
        return {}
    global _schedule
    cached = _schedule
    if not _knows(cached[1], active):
        # One thread of the process gets it and the others wait for it: when each worked out
        # its own, a busy process's requests all found it stale at once, and their
        # computations, competing for the GIL, kept it stale.
        with _schedule_lock:
            cached = _schedule
            if not _knows(cached[1], active):
                cached = _schedule = _next_schedule(active)
    elif time.monotonic() - cached[0] >= settings.ETA_CACHE_SECONDS:
        _refresh_behind()
    schedule = cached[1]
    return {pk: schedule.get(pk, NO_ETA) for pk in active}


def _knows(schedule: Mapping[uuid.UUID, Eta], active: dict[uuid.UUID, str]) -> bool:
    """Whether the schedule has each task, running or waiting as its row says: a task that
    started since must not show its old place in the queue."""
    return all(
        pk in schedule and (schedule[pk].queue_position == 0) == (status == Status.PROCESSING)
        for pk, status in active.items()
    )


def _refresh_behind() -> None:
    """Get the next schedule in a thread, unless one of this process is already at it."""
    if _refreshing.acquire(blocking=False):
        try:
            threading.Thread(target=_refresh, name="eta-schedule", daemon=True).start()
        except BaseException:
            _refreshing.release()
            raise


def _refresh() -> None:
    global _schedule
    try:
        # Got outside the lock, which a request needing a schedule that knows its task takes:
        # this may wait for another process's schedule.
        following = _next_schedule(None)
        with _schedule_lock:
            if following[0] > _schedule[0]:  # not older than one a request got meanwhile
                _schedule = following
    except Exception:
        # The requests keep the schedule they have; the next one to find it old tries again.
        logger.warning("Could not work out the queue's schedule", exc_info=True)
    finally:
        connections.close_all()  # this thread's, back to the pool
        _refreshing.release()


# The schedule the web processes share (eta_for_states): (time.time() it was worked out, the
# schedule), and that time alone, for a look that does not fetch the schedule itself.
SHARED_SCHEDULE_KEY = "eta-schedule"
SHARED_STAMP_KEY = "eta-schedule:at"
# Held by the process working the shared schedule out; expires should that process die at it.
SHARED_LOCK_KEY = "eta-schedule:working"
SHARED_LOCK_SECONDS = 60
# How long a thread waits for the schedule another process is working out before it works one
# out itself, and how often it looks meanwhile.
SHARED_WAIT_SECONDS = 2.0
SHARED_LOOK_SECONDS = 0.02


def _next_schedule(active: dict[uuid.UUID, str] | None) -> tuple[float, Mapping[uuid.UUID, Eta]]:
    """The next schedule, as (time.monotonic() it was worked out, schedule): the published one
    if it is newer than this process's, not ETA_CACHE_SECONDS old and, for a request, knows
    its `active` tasks; else worked out here and published. A thread getting the next one
    behind the requests (`active` None) leaves the work to one process at a time and waits
    for its schedule; a request waits for none. Without the cache (Redis down), each process
    works out its own, as before it was shared."""
    try:
        published = _published(active)
        if published is not None:
            return published
        if active is not None:  # a request waits for no other process
            return _publish(queue_schedule())
        if cache.add(SHARED_LOCK_KEY, os.getpid(), timeout=SHARED_LOCK_SECONDS):
            try:
                return _publish(queue_schedule())
            finally:
                cache.delete(SHARED_LOCK_KEY)
        deadline = time.monotonic() + SHARED_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(SHARED_LOOK_SECONDS)
            if (published := _published(None)) is not None:
                return published
    except RedisError:
        logger.debug("Cache unreachable: the queue's schedule is this process's own")
    return time.monotonic(), Schedule.of(queue_schedule())


def _published(
    active: dict[uuid.UUID, str] | None,
) -> tuple[float, Mapping[uuid.UUID, Eta]] | None:
    at = cache.get(SHARED_STAMP_KEY)
    now = time.time()
    # Whether it is newer than this process's is asked of the stamp, before fetching it.
    if at is None or now - at >= settings.ETA_CACHE_SECONDS or at <= _wall_time(_schedule[0]):
        return None
    try:
        at, schedule = cache.get(SHARED_SCHEDULE_KEY)
    except RedisError:
        raise
    except Exception:
        # Gone since the stamp was read, or published by a web process of another version
        # (during an upgrade) in a shape this one cannot read: worked out here instead.
        return None
    if now - at >= settings.ETA_CACHE_SECONDS or (active and not _knows(schedule, active)):
        return None
    # A clock ahead of this one (another machine's) makes it no younger than new.
    return time.monotonic() - max(0.0, now - at), schedule


def _publish(etas: dict[uuid.UUID, Eta]) -> tuple[float, Schedule]:
    at = time.time()
    schedule = Schedule.of(etas)
    try:
        # The schedule first: a process that sees the new stamp finds it.
        cache.set(SHARED_SCHEDULE_KEY, (at, schedule), timeout=SHARED_LOCK_SECONDS)
        cache.set(SHARED_STAMP_KEY, at, timeout=SHARED_LOCK_SECONDS)
    except RedisError:
        logger.debug("Cache unreachable: the queue's schedule stays this process's own")
    return time.monotonic(), schedule


def _wall_time(monotonic: float) -> float:
    return time.time() - (time.monotonic() - monotonic)


# (monotonic time computed, schedule) of this process; replaced whole, so threads may share it.
_schedule: tuple[float, Mapping[uuid.UUID, Eta]] = (float("-inf"), {})
_schedule_lock = threading.Lock()
# Held while a thread gets the next schedule (_refresh_behind).
_refreshing = threading.Lock()


def forget_eta_schedule() -> None:
    """Drop this process's schedule and the shared one."""
    global _schedule
    with _schedule_lock:
        _schedule = (float("-inf"), {})
        with contextlib.suppress(RedisError):
            cache.delete_many([SHARED_SCHEDULE_KEY, SHARED_STAMP_KEY, SHARED_LOCK_KEY])


def queue_schedule() -> dict[uuid.UUID, Eta]:
    """Every waiting or running task's ETA, in four queries (three with FAIR_QUEUES off).

    Workers take waiting tasks in fair order (transcription.fairness; first in, first out with
    FAIR_QUEUES off); each takes the next task when it finishes its current one. A running task
    ends at the pace its attempt has shown so far; a waiting one takes as long as its model was
    last measured to need.
    """
    from transcription.engine import WINDOW_SECONDS
    from transcription.models import ModelSpeed, WorkerProcess

    # Tuples, not dicts: a busy queue is thousands of rows.
    active = list(
        Task.objects.alive()
        .exclude(file_path="")
        .filter(status__in=[Status.PENDING, Status.IN_PROGRESS, Status.PROCESSING])
        .order_by("queued_at", "created_at")
        .values_list(
            "pk", "status", "model_name", "duration_seconds", "progress", "started_at", "user_id"
        )
    )
    speeds: dict[str, list[float]] = {}
    for model_name, rtf in ModelSpeed.objects.values_list("model_name", "real_time_factor"):
        speeds.setdefault(model_name, []).append(rtf)
    workers = WorkerProcess.objects.alive().count()
    rtfs = {name: sum(measured) / len(measured) for name, measured in speeds.items()}

    def seconds_for(model_name: str, remaining: float) -> float:
        rtf = rtfs.get(model_name or settings.MODEL_NAME, DEFAULT_REAL_TIME_FACTOR)
        return max(remaining, WINDOW_SECONDS) / rtf

    now = timezone.now()
    running = [row for row in active if row[1] == Status.PROCESSING]
    # IN_PROGRESS tasks are on the queue in queued_at order; PENDING ones join it later (the
    # sweeper), in their fair place.
    waiting = [row for row in active if row[1] == Status.IN_PROGRESS]
    waiting += [row for row in active if row[1] == Status.PENDING]
    if settings.FAIR_QUEUES and active:
        # Read even when none waits: a page costs the same queries once its tasks wait.
        served = fairness.service_of({row[6] for row in active})
        rows = {row[0]: row for row in waiting}
        order = fairness.fair_order(
            [fairness.Waiting(row[0], row[6], row[3]) for row in waiting], served
        )
        waiting = [rows[item.key] for item in order]
    free_at: list[datetime] = []
    etas: dict[uuid.UUID, Eta] = {}
    for pk, _status, model_name, duration, progress, started_at, _owner in running:
        finish = _running_finish(
            progress,
            started_at or now,
            seconds_for(model_name, duration or DEFAULT_DURATION_SECONDS),
            now,
        )
        free_at.append(finish or now)
        etas[pk] = Eta(0, started_at, finish)
    # Running tasks beyond the live worker count mean workers died; do not double count them.
    free_at = sorted(free_at)[:workers] if workers else []
    free_at += [now] * (workers - len(free_at))
    for position, (pk, _status, model_name, duration, _processed, _started, _owner) in enumerate(
        waiting, start=1
    ):
        if not free_at:
            etas[pk] = Eta(position, None, None)
            continue
        slot = min(range(len(free_at)), key=free_at.__getitem__)
        start = max(free_at[slot], now)
        finish = start + timedelta(
            seconds=seconds_for(model_name, duration or DEFAULT_DURATION_SECONDS)
        )
        free_at[slot] = finish
        etas[pk] = Eta(position, start, finish)
    return etas


def _running_finish(
    progress: float, started_at: datetime, expected_seconds: float, now: datetime
) -> datetime | None:
    """When a running attempt should end: at the pace it has measured itself once it has
    progress, before that after the time its model usually needs (`expected_seconds`). None
    when it has already taken longer than that and has no pace yet: nothing honest to say."""
    left = seconds_left_at_measured_speed(progress, started_at, now)
    if left is not None:
        return now + timedelta(seconds=left)
    expected = started_at + timedelta(seconds=expected_seconds)
    return expected if expected > now else None


PIECE_JOB = "transcription.jobs.transcribe_piece"


def piece_job_id(task_id: uuid.UUID | str, attempt: int, index: int) -> str:
    return f"task-{task_id}-piece-{attempt}-{index}"


def enqueue_pieces(task_id: uuid.UUID | str, attempt: int, indexes: Iterable[int]) -> bool:
    """Put a job on `media` for each of the task's pieces `indexes` of `attempt`
    (transcription.pieces), for idle workers to take; False when Redis is unreachable (the
    task's own job then transcribes them itself)."""
    from transcription.models import Piece

    pieces = Piece.objects.filter(task_id=task_id, attempt=attempt, index__in=list(indexes))
    queue = queues.queue(QUEUE_FOR_KIND[Kind.TRANSCRIPTION])
    try:
        for piece_id, index in pieces.values_list("pk", "index"):
            queue.enqueue(
                PIECE_JOB,
                task_id=str(task_id),
                piece_id=piece_id,
                job_id=piece_job_id(task_id, attempt, index),
                job_timeout=settings.JOB_TIMEOUT_SECONDS,
                result_ttl=3600,
                failure_ttl=7 * 86400,
            )
    except RedisError:
        logger.warning("Redis unreachable; the pieces of task %s stay with its own job", task_id)
        return False
    return True
