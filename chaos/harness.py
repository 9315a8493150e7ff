"""Processes under test for the chaos scenarios: worker processes, the sweeper, a Redis of the
run's own that a scenario may stop, kill or wipe.

The harness keeps `workers` worker processes alive the way the production supervisor does,
restarting one as soon as it dies, but without its crash-loop backoff: the scenarios kill
workers on purpose many times a minute, and backing off would measure the pause, not the
recovery. (The supervisor's own restarts are tested in transcription/tests.)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from scripts.services import ObjectStoreServer, RedisServer, free_port, stop_groups, wait_for_port
from tasks_app import blobs
from tasks_app.models import TERMINAL, Attempt, Kind, Status, Task
from transcription import leftovers

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WRITERS_SHARED_DIR", ROOT.parent / "shared"))
JFK = SHARED / "audio" / "jfk.flac"
# Fast enough to run hundreds of takeovers in a minute, slow enough for a 2-core machine not to
# starve a healthy worker's heartbeat past the grace.
FAST_ENV = {
    "HEARTBEAT_SECONDS": "0.5",
    "HEARTBEAT_GRACE_SECONDS": "4",
    "SWEEPER_INTERVAL_SECONDS": "1",
    "MAX_ATTEMPTS": "3",
    "MODEL_NAME": "tiny.en",
    "MODEL_DEVICE": "cpu",
    "MODEL_CPU_THREADS": "1",
    # resume_after_kill measures the sequential decoder's per-window partials (README: batched
    # decoding for long audio hands them over a batch at a time).
    "BATCHED_LONG_SECONDS": "0",
    "ENABLE_RESOURCE_MONITORING": "0",
    "WORKER_LOG_LEVEL": "WARNING",
    "LOG_LEVEL": "WARNING",
}


def storage_env() -> dict[str, str]:
    """The store of the moment (the scenario's settings), for the processes under test."""
    if settings.STORAGE_BACKEND != "s3":
        return {"STORAGE_BACKEND": "local"}
    names = ("S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")
    return {
        "STORAGE_BACKEND": "s3",
        "S3_REGION": settings.S3_REGION or "",
        "S3_PREFIX": settings.S3_PREFIX,
        **{name: getattr(settings, name) or "" for name in names},
    }


def s3_settings(store: ObjectStoreServer) -> dict[str, Any]:
    """override_settings() arguments for STORAGE_BACKEND=s3 on `store`, under a prefix of the
    scenario's own."""
    return {
        "STORAGE_BACKEND": "s3",
        **store.env,
        "S3_PREFIX": f"chaos-{uuid.uuid4().hex[:12]}",
    }


def wait_for(predicate: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    return None


@dataclass
class Harness:
    base_env: dict[str, str]
    redis: RedisServer
    log: Path
    workers: int = 2
    engine: str = "stub"
    stub_seconds: float = 0.5
    write_pause: float = 0.0
    _children: list[subprocess.Popen] = field(default_factory=list)
    _others: list[subprocess.Popen] = field(default_factory=list)
    _keeper: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def env(self) -> dict[str, str]:
        return {
            **self.base_env,
            **FAST_ENV,
            "REDIS_URL": self.redis.url,
            "STORAGE_ROOT": str(settings.STORAGE_ROOT),
            # As in production: without it a DEBUG process writes one into STORAGE_ROOT first,
            # which fails on a full volume.
            "SECRET_KEY": settings.SECRET_KEY,
            "CHAOS_ENGINE": self.engine,
            "CHAOS_STUB_SECONDS": str(self.stub_seconds),
            "CHAOS_STUB_WRITE_PAUSE": str(self.write_pause),
            **storage_env(),
        }

    def _spawn(self, command: list[str]) -> subprocess.Popen:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _spawn_worker(self) -> subprocess.Popen:
        command = [sys.executable, "-m", "chaos.stub_worker", "--child", "--queues", "media"]
        return self._spawn(command)

    def start(self) -> Harness:
        self._children = [self._spawn_worker() for _ in range(self.workers)]
        self._others.append(self._spawn([sys.executable, "manage.py", "sweeper"]))
        self._keeper = threading.Thread(target=self._keep_alive, daemon=True)
        self._keeper.start()
        return self

    def _keep_alive(self) -> None:
        while not self._stopping.wait(0.1):
            with self._lock:
                for index, child in enumerate(self._children):
                    if child.poll() is not None:
                        self._children[index] = self._spawn_worker()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [child.pid for child in self._children if child.poll() is None]

    def busy_workers(self) -> dict[int, tuple[uuid.UUID, int]]:
        """pid → (task id, attempt) for this harness's workers that are processing a task."""
        pids = set(self.worker_pids())
        running = Attempt.objects.filter(
            outcome=Attempt.Outcome.RUNNING, task__status=Status.PROCESSING
        ).values_list("worker", "task_id", "number", "task__attempts")
        busy = {}
        for worker, task_id, number, current in running:
            # Worker names are "<host>.<pid>.<thread>" (transcription.worker.make_worker).
            with contextlib.suppress(ValueError, IndexError):
                pid = int(worker.rsplit(".", 2)[1])
                if pid in pids and number == current:
                    busy[pid] = (task_id, number)
        return busy

    def start_web(self) -> int:
        """Gunicorn on a free loopback port, as the Procfile runs it; returns the port."""
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "writers.wsgi", "--bind", f"127.0.0.1:{port}"]
        self._others.append(self._spawn([*command, "--workers", "2", "--timeout", "60"]))
        wait_for_port(port, timeout=60, process=self._others[-1])
        return port

    def signal_worker(self, pid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    def stop(self) -> None:
        self._stopping.set()
        if self._keeper is not None:
            self._keeper.join(5)
        with self._lock:
            processes = self._children + self._others
        stop_groups(processes, 15)


@contextlib.contextmanager
def running(harness: Harness) -> Iterator[Harness]:
    try:
        yield harness.start()
        # A worker killed in the middle of writing leaves a temporary file, which its restarted
        # successor or the sweeper (once the heartbeat grace has passed) removes: give them that
        # time before the files are checked.
        grace = float(FAST_ENV["HEARTBEAT_GRACE_SECONDS"])
        wait_for(lambda: not leftovers.temporary_files(), timeout=grace + 3)
    finally:
        harness.stop()


def file_task(user: Any, source: Path = JFK, **fields: Any) -> Task:
    """A PENDING transcription task whose upload is a copy of `source` (no probe: the chaos
    scenarios that need the upload path use tasks_app.services.create_task)."""
    task = Task(
        user=user,
        kind=Kind.TRANSCRIPTION,
        status=Status.PENDING,
        title=source.name,
        **fields,
    )
    relative = f"uploads/{task.id}{source.suffix}"
    blobs.put_file(relative, source)
    task.file_path = relative
    task.original_filename = source.name
    task.file_size = source.stat().st_size
    task.save()
    return task


def all_terminal(ids: list[Any]) -> bool:
    return not Task.objects.filter(pk__in=ids).exclude(status__in=TERMINAL).exists()


def now() -> float:
    return timezone.now().timestamp()
