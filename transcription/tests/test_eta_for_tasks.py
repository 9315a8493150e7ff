from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tasks_app.models import Kind, Status, Task
from transcription.models import PRESENCE_TIMEOUT_SECONDS, ModelSpeed, WorkerProcess
from transcription.services import DEFAULT_REAL_TIME_FACTOR, eta_for_tasks


@pytest.fixture
def make(alice: Any) -> Any:
    now = timezone.now()

    def create(status: str, seconds_ago: int = 0, **fields: Any) -> Task:
        fields.setdefault("file_path", "uploads/x.flac")
        fields.setdefault("kind", Kind.TRANSCRIPTION)
        fields.setdefault("model_name", "tiny.en")
        if status != Status.PENDING:
            fields.setdefault("queued_at", now - timedelta(seconds=seconds_ago))
        fields.setdefault("user", alice)
        return Task.objects.create(title=status, status=status, **fields)

    return create


def add_workers(count: int) -> None:
    for number in range(count):
        WorkerProcess.objects.create(name=f"w{number}", hostname="h", pid=number, device="cpu")


def seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 1)


def test_it_estimates_queue_position_start_and_finish(
    make: Any, django_assert_num_queries: Any
) -> None:
    ModelSpeed.objects.create(
        worker="h:cpu", model_name="tiny.en", device="cpu", real_time_factor=30
    )
    add_workers(2)
    WorkerProcess.objects.create(
        name="gone",
        hostname="h",
        pid=9,
        device="cpu",
        last_seen_at=timezone.now() - timedelta(seconds=PRESENCE_TIMEOUT_SECONDS + 1),
    )
    running = make(
        Status.PROCESSING,
        50,
        duration_seconds=300,
        progress=50,
        started_at=timezone.now() - timedelta(seconds=10),
    )
    first = make(Status.IN_PROGRESS, 40, duration_seconds=60)
    second = make(Status.IN_PROGRESS, 30, duration_seconds=600)
    pending = make(Status.PENDING)
    done = make(Status.COMPLETED, 60)
    todo = Task.objects.create(user=running.user, title="todo")
    tasks = [running, first, second, pending, done, todo]

    # The tasks, model speeds, live workers, and the waiting owners' running and latest starts
    # (fair order).
    with django_assert_num_queries(4):
        etas = eta_for_tasks(tasks)

    assert [etas[t.pk].queue_position for t in tasks] == [0, 1, 2, 3, None, None]
    # Two live workers: one finishes the running task (half done in 10 s, so 10 s more at that
    # pace, give or take the moments this test takes), the other is free.
    left = seconds(etas[running.pk].estimated_finish - etas[first.pk].estimated_start)
    assert 10 <= left <= 12
    assert seconds(etas[first.pk].estimated_finish - etas[first.pk].estimated_start) == 2
    assert etas[second.pk].estimated_start == etas[first.pk].estimated_finish
    assert seconds(etas[second.pk].estimated_finish - etas[second.pk].estimated_start) == 20
    # The pending task waits for the first worker to free up; its unknown length counts as 60 s.
    assert etas[pending.pk].estimated_start == etas[running.pk].estimated_finish
    assert seconds(etas[pending.pk].estimated_finish - etas[pending.pk].estimated_start) == 2
    assert etas[done.pk].estimated_start is None and etas[todo.pk].estimated_finish is None


def test_it_uses_a_constant_number_of_queries(make: Any, django_assert_num_queries: Any) -> None:
    add_workers(1)
    tasks = [make(Status.IN_PROGRESS, 100 - n, duration_seconds=30) for n in range(20)]

    with django_assert_num_queries(4):
        etas = eta_for_tasks(tasks)

    assert sorted(eta.queue_position for eta in etas.values()) == list(range(1, 21))


def test_it_shows_a_short_clip_its_fair_place_behind_another_users_backlog(
    make: Any, bob: Any
) -> None:
    add_workers(2)
    for _ in range(2):
        make(Status.PROCESSING, 200, duration_seconds=180, started_at=timezone.now())
    backlog = [make(Status.IN_PROGRESS, 100 - n, duration_seconds=180) for n in range(10)]
    clip = make(Status.IN_PROGRESS, 1, duration_seconds=11, user=bob)

    etas = eta_for_tasks([clip, *backlog])

    assert etas[clip.pk].queue_position == 1
    assert [etas[task.pk].queue_position for task in backlog] == list(range(2, 12))
    # The next worker to free up takes it.
    assert etas[clip.pk].estimated_start == min(
        etas[task.pk].estimated_start for task in [clip, *backlog]
    )


def test_it_shows_first_in_first_out_places_with_fair_queues_off(
    make: Any, bob: Any, settings: Any
) -> None:
    settings.FAIR_QUEUES = False
    add_workers(2)
    backlog = [make(Status.IN_PROGRESS, 100 - n, duration_seconds=180) for n in range(10)]
    clip = make(Status.IN_PROGRESS, 1, duration_seconds=11, user=bob)

    assert eta_for_tasks([clip, *backlog])[clip.pk].queue_position == 11


def test_it_assumes_a_default_speed_for_unmeasured_models(make: Any) -> None:
    add_workers(1)
    task = make(Status.IN_PROGRESS, 1, duration_seconds=300, model_name="base")

    eta = eta_for_tasks([task])[task.pk]

    assert seconds(eta.estimated_finish - eta.estimated_start) == 300 / DEFAULT_REAL_TIME_FACTOR


def test_it_gives_no_start_time_without_a_live_worker(make: Any) -> None:
    task = make(Status.IN_PROGRESS, 1, duration_seconds=30)

    eta = eta_for_tasks([task])[task.pk]

    assert (eta.queue_position, eta.estimated_start, eta.estimated_finish) == (1, None, None)


def test_it_averages_speeds_measured_by_several_workers(make: Any) -> None:
    add_workers(1)
    ModelSpeed.record("a:cpu", "tiny.en", "cpu", 20)
    ModelSpeed.record("b:cpu", "tiny.en", "cpu", 40)
    ModelSpeed.record("b:cpu", "tiny.en", "cpu", 50)
    task = make(Status.IN_PROGRESS, 1, duration_seconds=300)

    eta = eta_for_tasks([task])[task.pk]

    # b smooths 40 → 43 (weight 0.3 for the new sample); the mean of 20 and 43 is 31.5.
    assert seconds(eta.estimated_finish - eta.estimated_start) == round(300 / 31.5, 1)


def test_it_reads_nothing_for_tasks_that_neither_wait_nor_run(
    make: Any, django_assert_num_queries: Any
) -> None:
    done = make(Status.COMPLETED, 60)
    with django_assert_num_queries(0):
        assert eta_for_tasks([done])[done.pk].queue_position is None


def test_it_reuses_the_schedule_for_eta_cache_seconds(
    make: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    add_workers(1)
    first = make(Status.IN_PROGRESS, 40, duration_seconds=60)
    second = make(Status.IN_PROGRESS, 30, duration_seconds=60)
    assert eta_for_tasks([second])[second.pk].queue_position == 2
    Task.objects.filter(pk=first.pk).update(status=Status.COMPLETED)
    with django_assert_num_queries(0):
        assert eta_for_tasks([second])[second.pk].queue_position == 2
    # Old, the schedule is worked out again behind the answers (test_eta_for_tasks_threads).


def test_it_works_the_schedule_out_again_for_a_task_not_in_it(
    make: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    add_workers(1)
    first = make(Status.IN_PROGRESS, 40, duration_seconds=60)
    eta_for_tasks([first])
    uploaded = make(Status.PENDING)
    with django_assert_num_queries(4):
        assert eta_for_tasks([uploaded])[uploaded.pk].queue_position == 2


def test_it_estimates_a_running_task_from_its_own_pace(make: Any) -> None:
    # The model was measured at 30x, but this attempt has done a quarter in 60 s: the pace it
    # keeps, not the history, says when it ends.
    ModelSpeed.objects.create(
        worker="h:cpu", model_name="tiny.en", device="cpu", real_time_factor=30
    )
    add_workers(1)
    started = timezone.now() - timedelta(seconds=60)
    task = make(Status.PROCESSING, 70, duration_seconds=300, progress=25, started_at=started)

    eta = eta_for_tasks([task])[task.pk]

    assert eta.queue_position == 0
    assert 179 <= (eta.estimated_finish - timezone.now()).total_seconds() <= 182


def test_it_uses_the_model_speed_before_the_first_progress(make: Any) -> None:
    ModelSpeed.objects.create(
        worker="h:cpu", model_name="tiny.en", device="cpu", real_time_factor=30
    )
    add_workers(1)
    started = timezone.now() - timedelta(seconds=4)
    task = make(Status.PROCESSING, 10, duration_seconds=300, started_at=started)

    eta = eta_for_tasks([task])[task.pk]

    # 300 s of audio at 30x take 10 s from the start, whenever the page asks.
    assert eta.estimated_finish == started + timedelta(seconds=10)


def test_it_gives_no_finish_to_a_task_slower_than_its_model_before_any_progress(
    make: Any,
) -> None:
    ModelSpeed.objects.create(
        worker="h:cpu", model_name="tiny.en", device="cpu", real_time_factor=30
    )
    add_workers(1)
    started = timezone.now() - timedelta(seconds=60)
    task = make(Status.PROCESSING, 70, duration_seconds=300, started_at=started)

    eta = eta_for_tasks([task])[task.pk]

    # Past the 10 s the model needs and nothing measured: "0 minutes left" would be a lie.
    assert (eta.queue_position, eta.estimated_start, eta.estimated_finish) == (0, started, None)


def test_it_works_the_schedule_out_again_once_a_waiting_task_has_started(
    make: Any, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    add_workers(1)
    task = make(Status.IN_PROGRESS, 40, duration_seconds=60)
    assert eta_for_tasks([task])[task.pk].queue_position == 1
    Task.objects.filter(pk=task.pk).update(status=Status.PROCESSING, started_at=timezone.now())
    task.refresh_from_db()

    assert eta_for_tasks([task])[task.pk].queue_position == 0
