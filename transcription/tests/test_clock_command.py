"""`manage.py clock`: the sweeper, the integrations tick and the schedules in one process."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import django_rq
import psutil
import pytest
from django.conf import settings
from django.utils import timezone

from tasks_app.integrations.models import Notification
from tasks_app.models import Attempt, Kind, Status, Task
from tasks_app.schedules import services as schedules
from tasks_app.schedules.models import Execution, Schedule
from transcription.attempts import Claim
from transcription.management.commands import clock
from transcription.services import enqueue_task, job_id_for
from transcription.tests.conftest import subprocess_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_sweeps_ticks_and_releases_schedules_in_one_process(
    alice: Any, team: Any, queues: Any, tmp_path: Any
) -> None:
    # A task whose worker died an hour ago, mid-attempt.
    lost = Task.objects.create(
        user=alice, title="Lecture", kind=Kind.TRANSCRIPTION, file_path="uploads/y.flac"
    )
    enqueue_task(lost.pk)
    assert Claim.take(lost.pk, "gone", "cpu") is not None
    Task.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    # A finished task nobody was told about yet: the tick notifies its owner.
    Task.objects.create(
        user=alice,
        title="Interview",
        kind=Kind.TRANSCRIPTION,
        file_path="uploads/x.flac",
        status=Status.COMPLETED,
        completed_at=timezone.now(),
    )
    # A schedule whose next slot RQ's scheduler holds until it is due, in two seconds.
    due = timezone.now().replace(microsecond=0) + timedelta(seconds=2)
    schedule = Schedule.objects.create(
        workspace=team,
        created_by=alice,
        name="Standup",
        title="Standup %Y-%m-%d %H:%M",
        rule="interval",
        interval_seconds=3600,
        run_at=timezone.now() - timedelta(hours=1),
        next_run_at=due,
    )
    assert schedules.enqueue_slot(schedule.pk)
    log = tmp_path / "clock.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "clock"],
            cwd=settings.BASE_DIR,
            env=subprocess_env(SWEEPER_INTERVAL_SECONDS="1", INTEGRATIONS_TICK_SECONDS="1"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: Attempt.objects.filter(task=lost, outcome="lost").exists(), timeout=60)
        wait_for(lambda: job_id_for(lost.pk, 2) in queues["media"].job_ids, timeout=10)
        wait_for(lambda: Notification.objects.filter(user=alice).exists(), timeout=30)
        done = Execution.objects.filter(schedule=schedule, outcome="succeeded")
        execution = wait_for(done.first, timeout=30)
        assert (execution.due_at, execution.missed) == (due, False)
        assert process.poll() is None
        # RQ's scheduler ran as a thread of the clock, not a forked copy of it (issue 18).
        assert psutil.Process(process.pid).children() == []
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
    print(log.read_text())
    assert code == 0
    assert Execution.objects.filter(schedule=schedule).count() == 1
    # RQ's scheduler handed the following slot over before the process stopped.
    queue = django_rq.get_queue(schedules.QUEUE)
    assert queue.scheduled_job_registry.get_job_ids() == [
        schedules.job_id(schedule.pk, Schedule.objects.get(pk=schedule.pk).next_run_at)
    ]


def test_a_loop_that_fails_starts_again_and_says_which(
    caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    monkeypatch.setattr(clock, "RESTART_PAUSE_SECONDS", 0)
    stop = threading.Event()
    rounds: list[int] = []

    def loop() -> None:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("database is down")
        stop.set()

    clock.keep_running("sweeper", loop, stop)

    assert len(rounds) == 2
    assert "Clock: the sweeper loop stopped" in caplog.text
