"""Worker processes: jobs run inside the process that owns the model, never in a fork of it.

RQ's default worker forks a work horse per job; once CTranslate2 has loaded a model, a forked
child hangs inside it (ENGINE-FACTS.md). So each worker process is an RQ `SimpleWorker` that
keeps its model across jobs, and parallelism comes from several such processes started fresh
(subprocess, never fork) by the supervisor (`supervise()` execs transcription/supervisor.py),
which restarts dead ones and recycles them after `--max-jobs`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import django_rq
import psutil
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from rq.exceptions import StopRequested
from rq.timeouts import JobTimeoutException, TimerDeathPenalty
from rq.worker import SimpleWorker

from transcription import engine, fairness, leftovers, monitoring, supervisor
from transcription.models import PRESENCE_SECONDS, WorkerProcess
from writers import metrics

logger = logging.getLogger(__name__)

# The job checks its own deadline between segments and fails cleanly with TIMEOUT; RQ's
# timer is the backstop for a job stuck in Python code, so it fires a little later.
TIMER_GRACE_SECONDS = 30
# The longest an idle worker waits in one BLPOP before it looks whether a stop was requested
# (TranscriptionWorker.dequeue_job_and_maintain_ttl).
STOP_CHECK_SECONDS = 5


@contextlib.contextmanager
def signals_to_main_thread() -> Iterator[None]:
    """Threads started in this block never receive SIGINT or SIGTERM.

    The kernel hands a process signal to any thread that does not block it. If a helper thread
    (RQ's pubsub listener, a heartbeat) gets SIGTERM, the main thread stays asleep in Redis's
    BLPOP for minutes and RQ's shutdown handler never runs. Threads inherit the signal mask of
    the thread that starts them, so blocking the signals around their start fixes that.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class GraceTimerDeathPenalty(TimerDeathPenalty):
    """RQ's thread-based job timeout: works when the worker runs in a non-main thread (tests,
    the browser test) where SIGALRM cannot be used."""

    def __init__(self, timeout: Any, exception: Any = JobTimeoutException, **kwargs: Any) -> None:
        if timeout and timeout > 0:
            timeout += TIMER_GRACE_SECONDS
        super().__init__(timeout, exception, **kwargs)


class TranscriptionWorker(SimpleWorker):
    death_penalty_class = GraceTimerDeathPenalty
    # Set by `work` in a worker process (see there): freeze once more after the first job.
    freeze_after_first_job = False

    def _install_signal_handlers(self) -> None:
        # Signal handlers can only be installed from the main thread.
        if threading.current_thread() is threading.main_thread():
            super()._install_signal_handlers()

    def _shutdown(self) -> None:
        # RQ stops an idle worker by raising StopRequested from the signal handler. When the
        # signal lands while the main thread runs a finaliser (`__del__` of a dropped Redis
        # pool during startup), Python prints "Exception ignored" and the worker carries on
        # into a BLPOP of several minutes. The flag makes the work loop stop at its next turn
        # even when the exception is swallowed.
        self._stop_requested = True
        super()._shutdown()

    def subscribe(self) -> None:
        with signals_to_main_thread():
            super().subscribe()

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> Any:
        if timeout is None:  # burst: a plain pop that never waits
            self._reorder_queues_fairly()
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        # RQ waits for work in one BLPOP of minutes (its dequeue_timeout) and leaves it only
        # when the stop signal's exception reaches it. When that exception is lost (raised
        # inside a finaliser or a library's `except Exception`) or the signal lands on another
        # thread, the worker slept on through its stop. Waiting in short slices, with the stop
        # flag looked at between them, bounds that to STOP_CHECK_SECONDS.
        deadline = None if max_idle_time is None else time.monotonic() + max_idle_time
        while True:
            if self._stop_requested:
                raise StopRequested()
            left = STOP_CHECK_SECONDS if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return None
            self._reorder_queues_fairly()
            wait = max(1, math.ceil(min(left, STOP_CHECK_SECONDS, timeout)))
            result = super().dequeue_job_and_maintain_ttl(wait, max_idle_time=wait)
            if result is not None:
                return result

    def _reorder_queues_fairly(self) -> None:
        # The head of each queue becomes the job fairness picks; RQ then pops it as usual.
        for queue in self.queues:
            fairness.reorder(queue)

    def execute_job(self, job: Any, queue: Any) -> None:
        # The connection stays open between jobs (a new one cost each task about 6 ms before
        # its claim, bench/RESULTS.md "Fixed cost per task") and is checked on both sides of
        # each, as the process lives for days and the database may restart meanwhile: one that
        # died (while the worker idled, or broke during the job) fails its health check
        # (CONN_HEALTH_CHECKS) at the next query and is replaced, and one older than
        # CONN_MAX_AGE is closed.
        close_old_connections()
        WorkerProcess.objects.filter(name=self.name).update(
            current_task_id=job.kwargs.get("task_id"), last_seen_at=timezone.now()
        )
        try:
            super().execute_job(job, queue)
        finally:
            close_old_connections()
            WorkerProcess.objects.filter(name=self.name).update(
                current_task_id=None, last_seen_at=timezone.now()
            )
            if self.freeze_after_first_job:
                # What the first job imported and warmed up (the tokenizer, RQ's and the job's
                # modules: ~20 000 objects) lives as long as the process too. Left to the
                # collector, every later decode's gc.collect() walked it: 7-13 ms a task.
                self.freeze_after_first_job = False
                gc.collect()
                gc.freeze()


class Presence(threading.Thread):
    """Keeps this process's WorkerProcess row fresh (how many workers serve, for estimates) and
    publishes its readings for /metrics and /health/ready (writers.metrics)."""

    def __init__(self, name: str, device: str, queues: Sequence[str]) -> None:
        super().__init__(name=f"presence-{name}", daemon=True)
        self.worker_name = name
        self.device = device
        self._stop_event = threading.Event()
        # Readings first: whoever sees the row (the ETA, tests, /health/ready) finds them too.
        self.publish()
        WorkerProcess.objects.update_or_create(
            name=name,
            defaults={
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "device": device,
                "queues": ",".join(queues),
                "last_seen_at": timezone.now(),
            },
        )

    def publish(self) -> None:
        models = engine.loaded_models()
        readings: dict[str, float | str] = {
            "model": ",".join(sorted({loaded.name for loaded in models})),
            "device": self.device,
            "ram_bytes": psutil.Process().memory_info().rss,
        }
        gpus = {loaded.device_index for loaded in models if loaded.device == "cuda"}
        for index in sorted(gpus)[:1]:
            reading = monitoring.read_gpu(index)
            if reading is not None:
                readings.update(
                    gpu=str(index),
                    vram_used_bytes=reading.used_mb * monitoring.MB,
                    vram_total_bytes=reading.total_mb * monitoring.MB,
                    gpu_utilization=reading.utilization,
                )
        metrics.publish_worker(self.worker_name, readings)

    def run(self) -> None:
        try:
            while not self._stop_event.wait(PRESENCE_SECONDS):
                try:
                    WorkerProcess.objects.filter(name=self.worker_name).update(
                        last_seen_at=timezone.now()
                    )
                    self.publish()
                except Exception:
                    logger.warning("Could not record worker presence", exc_info=True)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
        WorkerProcess.objects.filter(name=self.worker_name).delete()


def preload(model_name: str) -> None:
    """Load the default model before the first job: the first upload waits for nothing, and
    readiness (/health/ready) means a worker can transcribe now."""
    try:
        engine.get_model(model_name)
    except engine.EngineError as exc:
        logger.error("%s Tasks using it will fail with %s.", exc.message, exc.code)


def make_worker(queues: Sequence[str]) -> TranscriptionWorker:
    rq_queues = [django_rq.get_queue(name) for name in queues]
    return TranscriptionWorker(
        rq_queues,
        connection=rq_queues[0].connection,
        name=f"{socket.gethostname()}.{os.getpid()}.{threading.get_ident() % 100000}",
    )


def work(
    queues: Sequence[str] = ("media", "default"), burst: bool = False, max_jobs: int | None = None
) -> bool:
    """Run a worker in this process until stopped, or until the queues are empty with `burst`.

    Returns whether it performed any job.
    """
    worker = make_worker(queues)
    if threading.current_thread() is threading.main_thread():
        # Until RQ installs its own handlers (once the worker has started), a stop request
        # only marks the worker to stop before its first job, so it still says goodbye.
        def stop_before_starting(signum: int, frame: Any) -> None:
            worker._stop_requested = True

        signal.signal(signal.SIGTERM, stop_before_starting)
        signal.signal(signal.SIGINT, stop_before_starting)
    # What a killed predecessor on this host was writing will never be renamed: away with it
    # now, not a heartbeat grace later.
    leftovers.remove(older_than=0, other_hosts=False)
    preload(settings.MODEL_NAME)
    if threading.current_thread() is threading.main_thread():
        # faster-whisper's decode_audio runs a full gc.collect() for every file: ~0.1 s a task
        # spent walking Django, the engine and the model, which live as long as the process.
        # Frozen, they are skipped (issue 18's fixed cost per task). Tests' workers run in
        # threads of the test process and leave its objects alone.
        gc.freeze()
        worker.freeze_after_first_job = True
    presence = Presence(worker.name, engine.device_label(), queues)
    with signals_to_main_thread():
        presence.start()
    try:
        return worker.work(burst=burst, max_jobs=max_jobs, logging_level=settings.WORKER_LOG_LEVEL)
    finally:
        presence.stop()
        connections.close_all()


def child_command(queues: Sequence[str], max_jobs: int | None) -> list[str]:
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "transcription_worker"]
    command += ["--child", "--queues", ",".join(queues)]
    if max_jobs:
        command += ["--max-jobs", str(max_jobs)]
    return command


def supervise(
    queues: Sequence[str],
    concurrency: int,
    gpus: Sequence[int],
    max_jobs: int | None,
) -> None:
    """Become the supervisor of `concurrency` worker children (transcription.supervisor): this
    process is replaced by one that holds no Django, and keeps its pid."""
    command = supervisor.arguments(
        child_command(queues, max_jobs), concurrency, gpus, settings.WORKER_LOG_LEVEL
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
