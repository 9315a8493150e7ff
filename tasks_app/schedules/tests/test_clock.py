"""The clock: RQ's scheduler releases a schedule's slot when due and the schedules worker runs
it; the integrations tick makes up a slot whose job was lost."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import django_rq
import pytest
from django.core.management import call_command
from django.utils import timezone
from rq.registry import ScheduledJobRegistry

from tasks_app.models import Task
from tasks_app.schedules import services
from tasks_app.schedules.models import Execution, Schedule

pytestmark = pytest.mark.django_db


def test_rqs_scheduler_runs_the_slot_when_it_is_due(
    make_schedule: Any, queues: Any, django_capture_on_commit_callbacks: Any
) -> None:
    due = timezone.now().replace(microsecond=0) + timedelta(seconds=2)
    schedule = make_schedule(next_run_at=due)
    assert services.enqueue_slot(schedule.pk)
    # Saving again hands the same slot over again: one job, not two.
    assert services.enqueue_slot(schedule.pk)
    queue = django_rq.get_queue(services.QUEUE)
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [services.job_id(schedule.pk, due)]
    # Before its time the scheduler releases nothing.
    call_command("schedules_worker", burst=True)
    assert not Execution.objects.exists()
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 1.1)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("schedules_worker", burst=True)
    execution = Execution.objects.get(schedule=schedule)
    assert (execution.due_at, execution.missed, execution.outcome) == (due, False, "succeeded")
    assert Task.objects.filter(pk=execution.task_id, title__startswith="Standup").exists()
    # The run handed the following slot to the scheduler.
    schedule.refresh_from_db()
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [
        services.job_id(schedule.pk, schedule.next_run_at)
    ]


# The command opens fresh connections each round, as in production: committed data only.
@pytest.mark.django_db(transaction=True)
def test_the_integrations_tick_makes_up_a_lost_slot(make_schedule: Any, queues: Any) -> None:
    # Its job was never scheduled (Redis flushed): the tick runs it, once, marked missed.
    schedule = make_schedule(next_run_at=timezone.now() - timedelta(minutes=10))
    call_command("integrations_tick", once=True)
    call_command("integrations_tick", once=True)
    assert list(Execution.objects.values_list("missed", flat=True)) == [True]
    assert Schedule.objects.get(pk=schedule.pk).next_run_at > timezone.now()
