"""The worker command as it runs in production: a supervisor and its worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.conf import settings
from django.db import connection, connections
from rq.exceptions import StopRequested

from tasks_app.models import Attempt, Status, Task
from transcription import supervisor as transcription_supervisor
from transcription import worker
from transcription.models import WorkerProcess
from transcription.services import enqueue_task
from transcription.supervisor import Slot, child_env, cpu_count, plan_slots
from transcription.sweeper import sweep
from transcription.tests.conftest import status_of, subprocess_env, wait_for
from writers import metrics

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def start_worker(tmp_path: Path, queues: Any) -> Iterator[Callable[..., subprocess.Popen]]:
    """`start_worker(*args)` runs `manage.py transcription_worker ARGS` against this test's
    database; it is stopped (and its whole process group killed) when the test ends."""
    started: list[subprocess.Popen] = []
    log = tmp_path / "worker.log"

    def start(*args: str, **env: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "transcription_worker", *args],
            cwd=settings.BASE_DIR,
            env=subprocess_env(**env),
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    sys.stdout.write(log.read_text() if log.exists() else "")


@pytest.mark.slow
def test_it_recovers_the_task_of_a_worker_process_killed_mid_job(
    file_task: Any, start_worker: Any, long_flac: Path, settings: Any
) -> None:
    settings.HEARTBEAT_GRACE_SECONDS = 2
    # Long enough that the worker is still on it when it is killed, on a fast machine too.
    task = file_task(long_flac)
    enqueue_task(task.pk)
    supervisor = start_worker("--concurrency", "1", HEARTBEAT_SECONDS="0.5")
    busy = wait_for(
        lambda: WorkerProcess.objects.filter(current_task_id=task.pk).first(), timeout=90
    )
    wait_for(lambda: status_of(task) == Status.PROCESSING, step=0.01)

    os.kill(busy.pid, signal.SIGKILL)
    recovered = wait_for(lambda: sweep().retried, timeout=30, step=0.5)

    assert recovered == 1
    wait_for(lambda: status_of(task) == Status.COMPLETED, timeout=120)
    task.refresh_from_db()
    assert task.attempts == 2
    first, second = Attempt.objects.filter(task=task).order_by("number")
    assert (first.outcome, first.error_code) == ("lost", "WORKER_LOST")
    assert second.outcome == "completed"
    # The supervisor replaced the killed process; the new one finished the task.
    assert first.worker != second.worker
    assert supervisor.poll() is None


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_recycles_worker_processes_after_max_jobs(file_task: Any, start_worker: Any) -> None:
    tasks = [file_task(), file_task()]
    for task in tasks:
        enqueue_task(task.pk)

    start_worker("--concurrency", "1", "--max-jobs", "1")

    wait_for(
        lambda: (
            Task.objects.filter(pk__in=[t.pk for t in tasks], status=Status.COMPLETED).count() == 2
        ),
        timeout=120,
    )
    workers = set(Attempt.objects.filter(task__in=tasks).values_list("worker", flat=True))
    assert len(workers) == 2


def test_it_runs_a_burst_worker_in_process_and_exits(file_task: Any, start_worker: Any) -> None:
    task = file_task()
    enqueue_task(task.pk)

    process = start_worker("--burst", "--queues", "media")

    assert process.wait(120) == 0
    assert status_of(task) == Status.COMPLETED
    assert not WorkerProcess.objects.exists()


def backend_of_this_job() -> int:
    """A job: the PostgreSQL backend its worker's connection is."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_it_keeps_its_database_connection_from_one_job_to_the_next(queues: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backends: make test runs this on PostgreSQL")
    idle = worker.make_worker(["default"])
    first, second, third = (queues["default"].enqueue(backend_of_this_job) for _ in range(3))

    idle.execute_job(first, queues["default"])
    idle.execute_job(second, queues["default"])
    # The database restarted while the worker waited for work: its connection died.
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first.return_value(refresh=True)])
    other.close()
    idle.execute_job(third, queues["default"])

    # A connection a job costs about 6 ms before its claim (bench/RESULTS.md).
    assert first.return_value(refresh=True) == second.return_value(refresh=True)
    # The dead one failed its health check and was replaced: the job ran.
    assert third.get_status(refresh=True) == "finished"
    assert third.return_value(refresh=True) != first.return_value(refresh=True)


def end_my_own_backend() -> None:
    """A job whose database connection dies under it (a restart mid-job)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


def test_it_replaces_a_connection_that_died_during_a_job(queues: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backends: make test runs this on PostgreSQL")
    busy = worker.make_worker(["default"])
    dying, after = (
        queues["default"].enqueue(end_my_own_backend),
        queues["default"].enqueue(backend_of_this_job),
    )

    # Its own bookkeeping after the job (WorkerProcess) runs on a new connection, not the dead.
    busy.execute_job(dying, queues["default"])
    busy.execute_job(after, queues["default"])

    assert dying.get_status(refresh=True) == "failed"
    assert after.get_status(refresh=True) == "finished"


def test_it_plans_one_process_per_core_or_round_robin_over_gpus() -> None:
    assert [slot.gpu for slot in plan_slots(0, [])] == [None] * cpu_count()
    assert [slot.gpu for slot in plan_slots(0, [0, 1])] == [0, 1]
    assert [slot.gpu for slot in plan_slots(3, [2, 5])] == [2, 5, 2]
    assert child_env(Slot(gpu=None))["MODEL_DEVICE"] == "cpu"
    assert child_env(Slot(gpu=5))["MODEL_DEVICE_INDEX"] == "5"


def test_it_stops_idle_worker_processes_promptly_on_sigterm(start_worker: Any) -> None:
    supervisor = start_worker("--concurrency", "2")
    wait_for(lambda: WorkerProcess.objects.count() == 2, timeout=60)
    # Each process loaded its model before taking work, and says so for /health/ready.
    readings = {worker.pop("name"): worker for worker in metrics.live_workers()}
    assert set(readings) == set(WorkerProcess.objects.values_list("name", flat=True))
    assert all(r["model"] == "tiny.en" and int(r["ram_bytes"]) > 0 for r in readings.values())
    # The command became the supervisor script, which holds no Django (a Django process is
    # 70 MiB and more): it only starts and watches the children (issue 18).
    lean = psutil.Process(supervisor.pid)
    assert lean.cmdline()[1:3] == ["-P", transcription_supervisor.__file__]
    assert lean.memory_info().rss < 40 * 1024 * 1024

    supervisor.send_signal(signal.SIGTERM)

    # Idle workers sleep in Redis BLPOP; the signal must reach the thread RQ handles it in.
    assert supervisor.wait(15) == 0
    assert not WorkerProcess.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_stops_an_idle_worker_whose_stop_exception_a_finaliser_swallowed(queues: Any) -> None:
    # CI caught this: SIGTERM landed while a dropped Redis pool's __del__ ran, Python ignored
    # RQ's StopRequested, and the idle worker went on to wait minutes for work.
    idle = worker.make_worker(["media", "default"])
    # What "Exception ignored in __del__" amounts to: the exception goes nowhere.
    with contextlib.suppress(StopRequested):
        idle._shutdown()
    finished = threading.Event()
    runner = threading.Thread(target=lambda: (idle.work(), finished.set()), daemon=True)
    runner.start()
    assert finished.wait(15), "the worker kept waiting for work after a stop request"


@pytest.mark.django_db(transaction=True)
def test_it_stops_a_worker_waiting_for_work_whose_stop_exception_was_lost(
    queues: Any, monkeypatch: Any
) -> None:
    # CI caught this too: a worker idle in Redis's BLPOP outlived its SIGTERM by more than
    # 30 s. Whatever lost the stop's exception, the worker must look again soon by itself.
    monkeypatch.setattr(worker, "STOP_CHECK_SECONDS", 1)
    idle = worker.make_worker(["media", "default"])
    finished = threading.Event()
    runner = threading.Thread(target=lambda: (idle.work(), finished.set()), daemon=True)
    runner.start()
    wait_for(lambda: idle.get_state() == "idle", timeout=15)
    time.sleep(0.5)  # into the BLPOP

    with contextlib.suppress(StopRequested):
        idle._shutdown()

    assert finished.wait(10), "the worker slept on in BLPOP after a stop request"
    assert idle.dequeue_timeout > 10  # RQ's own wait would have outlasted the test


def test_it_refuses_to_pin_to_a_gpu_this_host_does_not_have() -> None:
    from django.core.management import CommandError, call_command

    from transcription import engine

    with pytest.raises(CommandError) as raised:
        call_command("transcription_worker", "--gpu", "0,99")

    assert str(raised.value).startswith(
        f"--gpu 0,99: this host has {engine.cuda_device_count()} CUDA device(s)"
    )
