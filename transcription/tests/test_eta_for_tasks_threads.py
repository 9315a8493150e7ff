"""eta_for_tasks asked by several requests of one web process at once (under ASGI each request
runs in a thread of its own)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tasks_app.models import Status, Task
from transcription import services
from transcription.tests.conftest import waiting_task

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 4


def test_it_works_the_schedule_out_once_for_threads_that_find_it_stale_together(
    alice: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    task = waiting_task(alice)
    worked_out = []
    real = services.queue_schedule

    def deep_queue() -> dict:
        worked_out.append(threading.get_ident())
        schedule = real()
        time.sleep(0.3)  # as long as a deep queue takes on a busy machine
        return schedule

    monkeypatch.setattr(services, "queue_schedule", deep_queue)
    together = threading.Barrier(THREADS)
    positions = []

    def request() -> None:
        together.wait()
        try:
            positions.append(services.eta_for_tasks([task])[task.pk].queue_position)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert positions == [1] * THREADS
    assert len(worked_out) == 1


def test_an_old_schedule_still_answers_while_a_thread_works_out_the_next(
    alice: Any, settings: Any, monkeypatch: Any
) -> None:
    from transcription.models import WorkerProcess

    WorkerProcess.objects.create(name="w", hostname="h", pid=1, device="cpu")
    first, second = waiting_task(alice), waiting_task(alice)
    settings.ETA_CACHE_SECONDS = 60
    assert services.eta_for_tasks([second])[second.pk].queue_position == 2
    Task.objects.filter(pk=first.pk).update(status=Status.COMPLETED)
    real = services.queue_schedule
    released = threading.Event()
    worked_out: list[int] = []

    def slow_queue() -> dict:
        worked_out.append(threading.get_ident())
        released.wait(30)
        return real()

    monkeypatch.setattr(services, "queue_schedule", slow_queue)
    settings.ETA_CACHE_SECONDS = 0  # old from now on
    answers: list[int | None] = []
    asking = threading.Thread(
        target=lambda: answers.extend(
            services.eta_for_tasks([second])[second.pk].queue_position for _ in range(5)
        )
    )
    try:
        asking.start()
        asking.join(10)
        # Answered at once, from the schedule it had, while one thread works the next one out.
        assert answers == [2] * 5
        deadline = time.monotonic() + 10
        while not worked_out and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(worked_out) == 1 and worked_out[0] != threading.get_ident()
    finally:
        released.set()  # else the held thread keeps the schedule's lock from the next test
    deadline = time.monotonic() + 10
    while services.eta_for_tasks([second])[second.pk].queue_position != 1:
        assert time.monotonic() < deadline, "the next schedule never came"
        time.sleep(0.01)


def test_a_task_the_old_schedule_does_not_know_is_worked_out_before_the_answer(
    alice: Any, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    known = waiting_task(alice)
    assert services.eta_for_tasks([known])[known.pk].queue_position == 1
    uploaded = waiting_task(alice)
    assert services.eta_for_tasks([uploaded])[uploaded.pk].queue_position == 2
    Task.objects.filter(pk=known.pk).update(status=Status.PROCESSING, started_at=timezone.now())
    # Started since: its old place in the queue is not an answer.
    assert services.eta_for_states({known.pk: Status.PROCESSING})[known.pk].queue_position == 0
