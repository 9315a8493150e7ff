"""One attempt of one task, from claim to a terminal state: the claim, a heartbeat thread,
cancellation and takeover checks, partial results, the result file and the error a user reads.
The queued jobs (transcription.jobs) each run one `Transcription` with the work of their kind."""

from __future__ import annotations

import errno
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from rq import get_current_job
from rq.timeouts import BaseTimeoutException, JobTimeoutException

from tasks_app.models import Attempt, ErrorCode, Status, Task
from transcription import engine, monitoring
from transcription.attempts import Claim
from transcription.models import ModelSpeed
from transcription.worker import signals_to_main_thread
from writers import metrics

logger = logging.getLogger(__name__)

# How often the heartbeat thread looks for a cancellation or a takeover between beats.
CHECK_SECONDS = 1.0
# A job stuck in native code this long past its deadline stops beating, so the sweeper can
# hand the task to another worker even though this process never returns.
STUCK_GRACE_SECONDS = 60.0


class Stopped(Exception):
    """The task is no longer ours: cancelled by its owner or taken over by the sweeper."""


class Heartbeat(threading.Thread):
    """Writes Task.heartbeat_at while the decode loop may be blocked in native code, and
    notices within CHECK_SECONDS when the task stops being ours."""

    def __init__(self, claim: Claim, deadline: float) -> None:
        super().__init__(name=f"heartbeat-{claim.task_id}", daemon=True)
        self.claim = claim
        self.deadline = deadline
        self.lost = threading.Event()
        self._stop_event = threading.Event()

    def run(self) -> None:
        last_beat = time.monotonic()
        try:
            while not self._stop_event.wait(min(CHECK_SECONDS, settings.HEARTBEAT_SECONDS)):
                now = time.monotonic()
                if now > self.deadline + STUCK_GRACE_SECONDS:
                    logger.error(
                        "Task %s is stuck past its deadline; no more heartbeats", self.claim.task_id
                    )
                    return
                try:
                    if now - last_beat >= settings.HEARTBEAT_SECONDS:
                        mine = self.claim.beat()
                        last_beat = now
                    else:
                        mine = self.claim.is_current()
                except Exception:
                    logger.warning(
                        "Heartbeat for task %s failed", self.claim.task_id, exc_info=True
                    )
                    continue
                if not mine:
                    self.lost.set()
                    return
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def worker_name() -> str:
    job = get_current_job()
    if job is not None and job.worker_name:
        return job.worker_name
    return f"{socket.gethostname()}:{threading.current_thread().name}"


def job_timeout() -> float:
    job = get_current_job()
    if job is not None and job.timeout and job.timeout > 0:
        return float(job.timeout)
    return float(settings.JOB_TIMEOUT_SECONDS)


def error_for(exc: BaseException) -> tuple[str, str]:
    """(error code, message for the user) for an exception raised while transcribing."""
    if isinstance(exc, engine.EngineError):
        return exc.code, exc.message
    if isinstance(exc, BaseTimeoutException):
        return ErrorCode.TIMEOUT, (
            f"Transcription took longer than the {job_timeout() / 60:.0f}-minute limit."
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ErrorCode.STORAGE_FULL, (
            "The server's storage is full, so the result could not be saved; retry later."
        )
    text = str(exc).lower()
    if isinstance(exc, MemoryError) or "out of memory" in text or "bad_alloc" in text:
        return ErrorCode.OUT_OF_MEMORY, (
            "The worker ran out of memory on this recording; try a smaller model or retry later."
        )
    return ErrorCode.INTERNAL, "Transcription failed because of an internal error."


Work = Callable[["Transcription", Task], dict[str, Any]]


def transcribe_work(job: Transcription, task: Task) -> dict[str, Any]:
    return engine.transcribe(
        job.audio_path,
        engine.Options.for_task(task),
        task_id=job.task_id,
        on_segment=job.on_segment,
        resume_from=job.previous_partial(),
    )


class Transcription:
    """One attempt at one task, from claim to a terminal state.

    `work(job, task)` produces the result document; transcription is the default, and the
    video, text and file jobs (transcription.processing) bring their own while sharing the
    claim, heartbeat, cancellation, partial results and error handling here.
    """

    def __init__(self, task_id: str, audio_path: Path, work: Work = transcribe_work) -> None:
        self.task_id = task_id
        self.audio_path = audio_path
        self.work = work
        self.result_path = engine.result_relpath(task_id)
        self.latest: dict[str, Any] | None = None
        self.last_save = time.monotonic()
        self.deadline = time.monotonic() + job_timeout()

    def run(self) -> None:
        device = engine.device_label()
        claim = Claim.take(self.task_id, worker_name(), device)
        if claim is None:
            status = Task.objects.filter(pk=self.task_id).values_list("status", flat=True).first()
            logger.info("Task %s not claimed (status %s): nothing to do", self.task_id, status)
            return
        metrics.count_attempt()
        gpu_index = engine.resolve_device()[1] if device.startswith("cuda") else None
        monitoring.log_resources("Task start", gpu_index=gpu_index)
        task = Task.objects.get(pk=self.task_id)
        self.heartbeat = Heartbeat(claim, self.deadline)
        with signals_to_main_thread():
            self.heartbeat.start()
        try:
            result = self.work(self, task)
        except Stopped:
            self.stopped(claim)
        except Exception as exc:
            # BaseTimeoutException is an Exception: RQ's timer raises it inside this thread.
            self.failed(claim, exc, gpu_index)
        else:
            try:
                self.completed(claim, result, device, gpu_index)
            except OSError as exc:
                # The result could not be written (a full disk): fail now rather than leave
                # the task PROCESSING for the sweeper to retry into WORKER_LOST.
                self.failed(claim, exc, gpu_index)
        finally:
            self.heartbeat.stop()

    def checkpoint(self) -> None:
        """Stop here if the task was cancelled or taken over, or its time is up."""
        if self.heartbeat.lost.is_set():
            raise Stopped
        if time.monotonic() > self.deadline:
            raise JobTimeoutException("deadline passed between steps")

    def on_segment(self, result: dict[str, Any]) -> None:
        self.latest = result
        self.checkpoint()
        if time.monotonic() - self.last_save >= settings.HEARTBEAT_SECONDS:
            self.last_save = time.monotonic()
            if not self.save_partial(self.heartbeat.claim, result):
                raise Stopped

    def save_partial(self, claim: Claim, result: dict[str, Any]) -> bool:
        # Database first: a worker that lost the task must not overwrite the new attempt's file.
        if not claim.save_progress(result, self.result_path):
            return False
        engine.write_json_atomic(Path(settings.STORAGE_ROOT) / self.result_path, result)
        return True

    def previous_partial(self) -> dict[str, Any] | None:
        """The result an earlier attempt of this task saved (its worker died, or it failed or
        was cancelled and is retried), to resume from; None if there is none. It may be
        complete: the worker can die after writing the final file but before the row says so."""
        path = Path(settings.STORAGE_ROOT) / self.result_path
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(previous, dict) or previous.get("task_id") != self.task_id:
            return None
        return previous

    def write_partial_file(self) -> None:
        if self.latest is None:
            return
        try:
            engine.write_json_atomic(Path(settings.STORAGE_ROOT) / self.result_path, self.latest)
        except OSError:
            # The task's status is already recorded; a partial transcript is a bonus.
            logger.warning("Task %s: the partial result could not be saved", self.task_id)

    def completed(
        self, claim: Claim, result: dict[str, Any], device: str, gpu_index: int | None
    ) -> None:
        if not claim.is_current():
            self.stopped(claim)
            return
        engine.write_json_atomic(Path(settings.STORAGE_ROOT) / self.result_path, result)
        if not claim.complete(result, self.result_path):
            self.stopped(claim)
            return
        run = result["run"]
        if not run.get("model"):
            logger.info("Task %s completed in %.2fs", self.task_id, run.get("wall_seconds") or 0)
            return
        if run["wall_seconds"]:
            # Whole 30-second windows are what costs time; estimates use the same unit.
            ModelSpeed.record(
                f"{socket.gethostname()}:{device}",
                run["model"],
                run["device"],
                max(result["duration"], engine.WINDOW_SECONDS) / run["wall_seconds"],
            )
            metrics.observe_job(
                run["model"], run["device"], run["wall_seconds"], run["real_time_factor"] or 0
            )
        monitoring.log_resources("Task completed", gpu_index=gpu_index)
        logger.info(
            "Task %s completed: %.1fs of audio in %.2fs (%.1fx real time)",
            self.task_id,
            result["duration"],
            run["wall_seconds"],
            run["real_time_factor"] or 0,
        )

    def failed(self, claim: Claim, exc: Exception, gpu_index: int | None) -> None:
        code, message = error_for(exc)
        logger.error("Task %s failed with %s: %s", self.task_id, code, message, exc_info=exc)
        monitoring.log_resources("Task error", gpu_index=gpu_index)
        partial = self.latest
        if claim.fail(code, message, partial, self.result_path):
            metrics.count_failure(code)
            self.write_partial_file()
        else:
            self.stopped(claim)

    def stopped(self, claim: Claim) -> None:
        status, attempts = claim.status()
        if status == Status.CANCELLED and attempts == claim.number:
            claim.end(Attempt.Outcome.CANCELLED)
            if self.latest is not None:
                claim.keep_partial(self.latest, self.result_path)
                self.write_partial_file()
            logger.info("Task %s cancelled while running; partial transcript kept", self.task_id)
        else:
            logger.warning(
                "Task %s attempt %d was taken over (now %s, attempt %d); dropping its work",
                self.task_id,
                claim.number,
                status,
                attempts,
            )
