"""One attempt of one task, from claim to a terminal state: the claim, a heartbeat thread,
cancellation and takeover checks, partial results, the result file and the error a user reads.
The queued jobs (transcription.jobs) each run one `Transcription` with the work of their kind."""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from rq import get_current_job
from rq.timeouts import BaseTimeoutException, JobTimeoutException

from tasks_app import blobs
from tasks_app.models import Attempt, ErrorCode, Status, Task
from transcription import engine, monitoring
from transcription.attempts import Claim
from transcription.models import KeptResult, ModelSpeed
from transcription.worker import signals_to_main_thread
from writers import metrics

logger = logging.getLogger(__name__)

# How often the heartbeat thread looks for a cancellation or a takeover between beats.
CHECK_SECONDS = 1.0
# A job stuck in native code this long past its deadline stops beating, so the sweeper can
# hand the task to another worker even though this process never returns.
STUCK_GRACE_SECONDS = 60.0
# How long before the job's deadline a worker stops waiting for the object store.
DEADLINE_MARGIN_SECONDS = 5.0
STORE_DOWN_MESSAGE = (
    "The file storage could not be reached, so the file could not be read or the result could "
    "not be saved; retry later."
)


class Stopped(Exception):
    """The task is no longer ours: cancelled by its owner or taken over by the sweeper."""


class Beat(threading.Thread):
    """Keeps a claim alive while the decode loop may be blocked in native code: `beat()` every
    HEARTBEAT_SECONDS, `still_ours()` in between, and `lost` set within CHECK_SECONDS once the
    work stops being ours. A task's attempt (Heartbeat) and a piece of one
    (transcription.pieces.PieceBeat) say what beating and owning mean."""

    def __init__(self, name: str, deadline: float = math.inf) -> None:
        super().__init__(name=name, daemon=True)
        self.deadline = deadline
        self.lost = threading.Event()
        self._stop_event = threading.Event()

    def beat(self) -> bool:
        raise NotImplementedError

    def still_ours(self) -> bool:
        raise NotImplementedError

    def run(self) -> None:
        last_beat = time.monotonic()
        try:
            while not self._stop_event.wait(min(CHECK_SECONDS, settings.HEARTBEAT_SECONDS)):
                now = time.monotonic()
                if now > self.deadline + STUCK_GRACE_SECONDS:
                    logger.error("%s is stuck past its deadline; no more heartbeats", self.name)
                    return
                try:
                    if now - last_beat >= settings.HEARTBEAT_SECONDS:
                        mine = self.beat()
                        last_beat = now
                    else:
                        mine = self.still_ours()
                except Exception:
                    logger.warning("%s failed", self.name, exc_info=True)
                    continue
                if not mine:
                    self.lost.set()
                    return
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


class Heartbeat(Beat):
    """Writes Task.heartbeat_at for one attempt, and notices when the task stops being ours."""

    def __init__(self, claim: Claim, deadline: float) -> None:
        super().__init__(f"heartbeat-{claim.task_id}", deadline)
        self.claim = claim
        # The directory of this attempt's local copies, kept fresh while the attempt lives.
        self.scratch: Path | None = None

    def beat(self) -> bool:
        mine = self.claim.beat()
        if self.scratch is not None:
            with contextlib.suppress(OSError):
                os.utime(self.scratch)
        return mine

    def still_ours(self) -> bool:
        return self.claim.is_current()


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

    The input is the stored file `name` (tasks_app.blobs), read from `audio_path`, a local copy
    that lives as long as the work (a download into this process's scratch directory when the
    store is S3). Every write of a result, partial or final, takes a new name; the row is
    pointed at it by the claim's conditional UPDATE, and only then is the result it replaces
    deleted (a claim that lost deletes its own new object instead).
    """

    def __init__(self, task_id: str, name: str, work: Work = transcribe_work) -> None:
        self.task_id = task_id
        self.name = name
        self.audio_path = Path(name)
        self.work = work
        # The stored result the task holds: an earlier attempt's until this one writes its own.
        self.result_path = ""
        self.latest: dict[str, Any] | None = None
        # Whether the result is one an earlier attempt finished but could not store.
        self.stores_kept = False
        self.last_save = time.monotonic()
        self.deadline = time.monotonic() + job_timeout()

    def run(self) -> None:
        device = engine.device_label()
        claim = Claim.take(self.task_id, worker_name(), device)
        if claim is None:
            status = Task.objects.filter(pk=self.task_id).values_list("status", flat=True).first()
            logger.info("Task %s not claimed (status %s): nothing to do", self.task_id, status)
            return
        self.result_path = claim.previous
        metrics.count_attempt()
        gpu_index = engine.resolve_device()[1] if device.startswith("cuda") else None
        monitoring.log_resources("Task start", gpu_index=gpu_index)
        task = claim.task
        self.heartbeat = Heartbeat(claim, self.deadline)
        with signals_to_main_thread():
            self.heartbeat.start()
        try:
            result = self.produce(task)
        except Stopped:
            self.stopped(claim)
        except blobs.StoreUnavailable as exc:
            # The input could not be fetched: the store will be back, the recording is fine.
            self.released(claim, exc)
        except Exception as exc:
            # BaseTimeoutException is an Exception: RQ's timer raises it inside this thread.
            self.failed(claim, exc, gpu_index)
        else:
            try:
                self.completed(claim, result, device, gpu_index)
            except blobs.StoreUnavailable as exc:
                self.kept(claim, result, exc)
            except OSError as exc:
                # The result could not be written (a full disk): fail now rather than leave
                # the task PROCESSING for the sweeper to retry into WORKER_LOST.
                self.failed(claim, exc, gpu_index)
        finally:
            self.heartbeat.stop()

    def produce(self, task: Task) -> dict[str, Any]:
        """The result: one an earlier attempt finished but could not store, or the work's on
        a local copy of the input, removed whatever happens."""
        # Read with the claim (Claim.take).
        kept = getattr(task, "kept_result", None)
        if kept is not None:
            logger.info("Task %s: storing the result kept while the store was away", self.task_id)
            self.stores_kept = True
            return kept.result
        with contextlib.ExitStack() as copies:
            try:
                self.audio_path = copies.enter_context(blobs.local_copy(self.name))
            except FileNotFoundError as missing:
                raise engine.FileMissing("The uploaded file is missing; upload it again.") from (
                    missing
                )
            # A scratch directory that keeps changing belongs to a live process (leftovers).
            self.heartbeat.scratch = None if blobs.is_local() else self.audio_path.parent
            return self.work(self, task)

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
        """Store a partial result and point the row at it; False once the task is not ours."""
        try:
            name = self.write(claim, result)
        except OSError:
            # A partial transcript is a bonus: the work goes on, the next save may get through.
            logger.warning("Task %s: a partial result could not be stored", self.task_id)
            return claim.is_current()
        return self.point(name, lambda: claim.save_progress(result, name))

    def write(self, claim: Claim, result: dict[str, Any]) -> str:
        name = engine.result_name(self.task_id, claim.number)
        blobs.write_json(name, result)
        return name

    def point(self, name: str, update: Callable[[], bool]) -> bool:
        """Point the row at the new result `name` with the claim's conditional `update`, then
        delete the result it replaces; a lost claim deletes `name` instead."""
        if not update():
            if name != self.result_path:
                forget(name)
            return False
        replaced, self.result_path = self.result_path, name
        if replaced != name:
            forget(replaced)
        return True

    def previous_partial(self) -> dict[str, Any] | None:
        """The result an earlier attempt of this task saved (its worker died, or it failed or
        was cancelled and is retried), to resume from; None if there is none. It may be
        complete: the worker can die after writing the final result but before the row says so."""
        try:
            previous = blobs.read_json(self.result_path) if self.result_path else None
        except OSError:
            logger.warning("Task %s: the earlier partial result is out of reach", self.task_id)
            return None
        if not isinstance(previous, dict) or previous.get("task_id") != self.task_id:
            return None
        return previous

    def partial_kept(self, claim: Claim) -> tuple[str, str]:
        """(transcript text, result name) for a task that ends without a finished result: the
        last partial result, stored under a new name, or else what the task held before."""
        if self.latest is None:
            return claim.previous_text, claim.previous
        try:
            name = self.write(claim, self.latest)
        except OSError:
            # The task's status is recorded all the same, with the text the row can hold.
            logger.warning("Task %s: the partial result could not be stored", self.task_id)
            return self.latest["text"], self.result_path
        return self.latest["text"], name

    def completed(
        self, claim: Claim, result: dict[str, Any], device: str, gpu_index: int | None
    ) -> None:
        # A task cancelled or taken over more than CHECK_SECONDS ago is not written for; one
        # lost since, the completion's conditional UPDATE turns away (point deletes the write).
        if self.heartbeat.lost.is_set():
            self.stopped(claim)
            return
        name = self.write_final(claim, result)
        if name is None:
            self.stopped(claim)
            return
        if not self.point(name, lambda: claim.complete(result, name)):
            self.stopped(claim)
            return
        forget_superseded(self.task_id, name)
        # A kept result was measured when it was made: it is stored, not counted again.
        if self.stores_kept:
            KeptResult.objects.filter(task_id=self.task_id).delete()
            logger.info("Task %s completed with the result kept for the store", self.task_id)
            return
        run = result["run"]
        if not run.get("model"):
            logger.info("Task %s completed in %.2fs", self.task_id, run.get("wall_seconds") or 0)
            return
        if run["wall_seconds"] and not run.get("pieces"):
            # Whole 30-second windows are what costs time; estimates use the same unit. A
            # recording in pieces went at several workers' pace: each piece recorded its own.
            ModelSpeed.record(
                f"{socket.gethostname()}:{device}",
                run["model"],
                run["device"],
                max(result["duration"], engine.WINDOW_SECONDS) / run["wall_seconds"],
            )
        if run["wall_seconds"]:
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

    def write_final(self, claim: Claim, result: dict[str, Any]) -> str | None:
        """Store the finished result under a new name. An unreachable store is tried again
        after 1, 2, 4, ... seconds for STORE_RETRY_SECONDS at most, and never past the job's
        deadline; then StoreUnavailable. None when the task stopped being ours meanwhile."""
        # Short of the deadline: RQ's timer, started a moment before ours, must not cut in
        # between the last try and keeping the result.
        give_up = min(
            time.monotonic() + settings.STORE_RETRY_SECONDS, self.deadline - DEADLINE_MARGIN_SECONDS
        )
        delay = 1.0
        while True:
            try:
                return self.write(claim, result)
            except blobs.StoreUnavailable:
                wait = min(delay, give_up - time.monotonic())
                if wait <= 0:
                    raise
                logger.warning(
                    "Task %s: the object store is unreachable; trying again in %.0fs",
                    self.task_id,
                    wait,
                )
            if self.heartbeat.lost.wait(wait):
                return None
            delay *= 2

    def kept(self, claim: Claim, result: dict[str, Any], exc: OSError) -> None:
        """The store would not take the finished result: keep it in the database, with its
        text on the row, so that a retry stores it instead of transcribing again."""
        code, message = ErrorCode.STORAGE_UNAVAILABLE, STORE_DOWN_MESSAGE
        logger.error("Task %s failed with %s: %s", self.task_id, code, exc)
        with transaction.atomic():
            KeptResult.objects.update_or_create(task_id=self.task_id, defaults={"result": result})
            failed = claim.fail(code, message, result["text"], self.result_path)
            if not failed:
                transaction.set_rollback(True)
        if failed:
            metrics.count_failure(code)
        else:
            self.stopped(claim)

    def released(self, claim: Claim, exc: OSError) -> None:
        logger.warning("Task %s: the object store is unreachable: %s", self.task_id, exc)
        text, name = self.partial_kept(claim)
        code, message = ErrorCode.STORAGE_UNAVAILABLE, STORE_DOWN_MESSAGE
        if self.point(name, lambda: claim.release(code, message, text, name)):
            metrics.count_failure(ErrorCode.STORAGE_UNAVAILABLE)
        else:
            self.stopped(claim)

    def failed(self, claim: Claim, exc: Exception, gpu_index: int | None) -> None:
        code, message = error_for(exc)
        logger.error("Task %s failed with %s: %s", self.task_id, code, message, exc_info=exc)
        monitoring.log_resources("Task error", gpu_index=gpu_index)
        text, name = self.partial_kept(claim)
        if self.point(name, lambda: claim.fail(code, message, text, name)):
            metrics.count_failure(code)
        else:
            self.stopped(claim)

    def stopped(self, claim: Claim) -> None:
        status, attempts = claim.status()
        if status == Status.CANCELLED and attempts == claim.number:
            claim.end(Attempt.Outcome.CANCELLED)
            text, name = self.partial_kept(claim)
            self.point(name, lambda: claim.keep_partial(text, name))
            logger.info("Task %s cancelled while running; partial transcript kept", self.task_id)
        else:
            logger.warning(
                "Task %s attempt %d was taken over (now %s, attempt %d); dropping its work",
                self.task_id,
                claim.number,
                status,
                attempts,
            )


def forget_superseded(task_id: str, kept: str) -> None:
    """Once a task is finished, its results the row no longer points at go: ones an earlier
    delete left behind because the store was away at that moment (`forget`)."""
    try:
        for name, _changed in blobs.listing(f"results/{task_id}"):
            if name != kept and name.endswith(".json") and not Path(name).name.startswith("."):
                forget(name)
    except OSError:
        logger.warning("Task %s: its replaced results could not be listed", task_id)


def forget(name: str) -> None:
    """Delete a stored result nothing points at any more; one the store will not delete now
    is left behind (logged), never worth failing a task for."""
    if not name:
        return
    try:
        blobs.delete(name)
    except OSError:
        logger.warning("Could not delete the replaced result %s", name, exc_info=True)
