"""Redis restarts, loses its data, or is down at upload: every task still completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from scripts.services import RedisServer
from tasks_app.models import Status, Task
from transcription.services import enqueue_task
from transcription.sweeper import ENQUEUE_GRACE_SECONDS, sweep
from transcription.tests.conftest import status_of, subprocess_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    """A Redis of this test's own, which the queues use and the test may kill."""
    server = RedisServer(tmp_path / "redis").start()
    settings.RQ_QUEUES = {
        name: {**config, "URL": f"{server.url}/{settings.REDIS_QUEUE_DB}"}
        for name, config in settings.RQ_QUEUES.items()
    }
    yield server
    server.stop()


def restart(redis: RedisServer) -> None:
    redis.stop(signal.SIGKILL)
    redis.start()


def age_all() -> None:
    past = timezone.now() - timedelta(seconds=ENQUEUE_GRACE_SECONDS + 1)
    Task.objects.update(updated_at=past, queued_at=past)


def test_it_completes_queued_tasks_after_redis_restarts(
    redis: RedisServer, file_task: Any, drain: Any
) -> None:
    tasks = [file_task() for _ in range(3)]
    for task in tasks:
        assert enqueue_task(task.pk)

    restart(redis)
    drain()

    assert [status_of(task) for task in tasks] == [Status.COMPLETED] * 3


def test_it_completes_tasks_after_redis_lost_its_data(
    redis: RedisServer, file_task: Any, drain: Any
) -> None:
    tasks = [file_task() for _ in range(2)]
    for task in tasks:
        enqueue_task(task.pk)

    redis.wipe()
    redis.start()
    age_all()
    assert sweep().requeued == 2
    drain()

    assert [status_of(task) for task in tasks] == [Status.COMPLETED] * 2


def test_it_sends_tasks_uploaded_while_redis_was_down_once_it_is_back(
    redis: RedisServer, file_task: Any, drain: Any
) -> None:
    redis.stop()
    task = file_task()

    assert not enqueue_task(task.pk)
    assert status_of(task) == Status.PENDING

    redis.start()
    age_all()
    assert sweep().enqueued == 1
    drain()
    assert status_of(task) == Status.COMPLETED


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_keeps_a_running_worker_process_serving_across_a_restart(
    redis: RedisServer, file_task: Any, tmp_path: Path
) -> None:
    before, after = file_task(), file_task()
    enqueue_task(before.pk)
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "transcription_worker", "--concurrency", "1"],
        cwd=settings.BASE_DIR,
        env=subprocess_env(REDIS_URL=redis.url),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: status_of(before) == Status.COMPLETED, timeout=90)

        restart(redis)
        enqueue_task(after.pk)

        wait_for(lambda: status_of(after) == Status.COMPLETED, timeout=90)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            assert process.wait(30) == 0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            # The worker's own account, on failure too: what it did with the restart and stop.
            sys.stdout.write(log.read_text())
