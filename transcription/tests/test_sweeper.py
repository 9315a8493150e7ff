from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rq.job import Job

from tasks_app.models import Attempt, Status, Task
from transcription.attempts import Claim
from transcription.models import WorkerProcess
from transcription.services import enqueue_task, job_id_for
from transcription.sweeper import ENQUEUE_GRACE_SECONDS, FORGET_WORKER_SECONDS, sweep
from writers import metrics

pytestmark = pytest.mark.django_db(transaction=True)


def age(task: Any, **fields: Any) -> None:
    """Make a task look as if it has waited longer than the sweeper's grace."""
    past = timezone.now() - timedelta(seconds=ENQUEUE_GRACE_SECONDS + 1)
    Task.objects.filter(pk=task.pk).update(**dict.fromkeys(fields, past))


def test_it_enqueues_pending_tasks_that_never_reached_the_queue(
    file_task: Any, queues: Any
) -> None:
    forgotten, fresh = file_task(), file_task()
    age(forgotten, updated_at=True)

    report = sweep()

    assert report.enqueued == 1
    assert Task.objects.get(pk=forgotten.pk).status == Status.IN_PROGRESS
    assert Task.objects.get(pk=fresh.pk).status == Status.PENDING
    assert queues["media"].job_ids == [job_id_for(forgotten.pk, 1)]


def test_it_leaves_to_dos_alone(owner: Any, queues: Any) -> None:
    todo = Task.objects.create(user=owner, title="Buy milk")
    age(todo, updated_at=True)

    assert sweep().enqueued == 0
    assert Task.objects.get(pk=todo.pk).status == Status.PENDING


def test_it_enqueues_again_a_queued_task_whose_job_vanished(file_task: Any, queues: Any) -> None:
    vanished, kept = file_task(), file_task()
    for task in (vanished, kept):
        enqueue_task(task.pk)
        age(task, queued_at=True)
    Job.fetch(job_id_for(vanished.pk, 1), connection=queues["media"].connection).delete()

    report = sweep()

    assert report.requeued == 1
    assert Task.objects.get(pk=vanished.pk).status == Status.IN_PROGRESS
    assert sorted(queues["media"].job_ids) == sorted(
        [job_id_for(vanished.pk, 1), job_id_for(kept.pk, 1)]
    )


def test_it_gives_a_stalled_task_a_new_attempt(file_task: Any, queues: Any, settings: Any) -> None:
    settings.HEARTBEAT_GRACE_SECONDS = 30
    task = file_task()
    enqueue_task(task.pk)
    claim = Claim.take(task.pk, "gone", "cpu")
    assert claim is not None
    Task.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=31))

    report = sweep()

    assert report.retried == 1
    assert metrics._redis().hget(f"{metrics.PREFIX}:recoveries", "retried") == b"1"
    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.IN_PROGRESS, 1)
    assert job_id_for(task.pk, 2) in queues["media"].job_ids
    attempt = Attempt.objects.get(task=task, number=1)
    assert (attempt.outcome, attempt.error_code) == ("lost", "WORKER_LOST")
    assert attempt.ended_at is not None


def test_it_fails_a_stalled_task_after_max_attempts(
    file_task: Any, queues: Any, settings: Any
) -> None:
    settings.HEARTBEAT_GRACE_SECONDS = 30
    settings.MAX_ATTEMPTS = 2
    task = file_task()
    for _ in range(2):
        enqueue_task(task.pk)
        assert Claim.take(task.pk, "gone", "cpu") is not None
        Task.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=31))
        sweep()

    task.refresh_from_db()
    assert (task.status, task.error_code, task.attempts) == (Status.FAILED, "WORKER_LOST", 2)
    assert "2 times" in task.error_message
    assert list(Attempt.objects.filter(task=task).values_list("outcome", flat=True)) == [
        "lost",
        "lost",
    ]


def test_it_leaves_a_task_with_a_live_heartbeat_alone(
    file_task: Any, queues: Any, settings: Any
) -> None:
    settings.HEARTBEAT_GRACE_SECONDS = 30
    task = file_task()
    enqueue_task(task.pk)
    Claim.take(task.pk, "alive", "cpu")
    Task.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=29))

    report = sweep()

    assert (report.retried, report.lost) == (0, 0)
    assert Task.objects.get(pk=task.pk).status == Status.PROCESSING


def test_it_leaves_queued_tasks_alone_while_redis_is_down(
    file_task: Any, queues: Any, settings: Any
) -> None:
    task = file_task()
    enqueue_task(task.pk)
    age(task, queued_at=True)
    settings.RQ_QUEUES = {
        name: {**config, "URL": "redis://127.0.0.1:1/2"}
        for name, config in settings.RQ_QUEUES.items()
    }

    report = sweep()

    assert report.requeued == 0
    assert Task.objects.get(pk=task.pk).status == Status.IN_PROGRESS


def test_it_runs_once_from_the_command_line(
    file_task: Any, queues: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    age(file_task(), updated_at=True)

    call_command("sweeper", "--once")

    assert "enqueued 1 waiting" in capsys.readouterr().out


def test_it_enqueues_again_a_queued_task_whose_job_ended_without_claiming_it(
    file_task: Any, queues: Any
) -> None:
    task = file_task()
    enqueue_task(task.pk)
    age(task, queued_at=True)
    job = Job.fetch(job_id_for(task.pk, 1), connection=queues["media"].connection)
    job.set_status("failed")

    report = sweep()

    assert report.requeued == 1
    assert Job.fetch(job.id, connection=job.connection).get_status() == "queued"


def test_it_forgets_workers_silent_for_an_hour(owner: Any) -> None:
    WorkerProcess.objects.create(name="alive", hostname="h", pid=1, device="cpu")
    WorkerProcess.objects.create(
        name="gone",
        hostname="h",
        pid=2,
        device="cpu",
        last_seen_at=timezone.now() - timedelta(seconds=FORGET_WORKER_SECONDS + 1),
    )

    sweep()

    assert list(WorkerProcess.objects.values_list("name", flat=True)) == ["alive"]
