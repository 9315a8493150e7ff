"""eta_for_tasks asked by several requests of one web process at once (under ASGI each request
runs in a thread of its own)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tasks_app.models import Kind, Status, Task
from transcription import services

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 4


def test_it_works_the_schedule_out_once_for_threads_that_find_it_stale_together(
    alice: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    task = Task.objects.create(
        user=alice,
        title="waiting",
        kind=Kind.TRANSCRIPTION,
        status=Status.IN_PROGRESS,
        file_path="uploads/x.flac",
        queued_at=timezone.now(),
    )
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
