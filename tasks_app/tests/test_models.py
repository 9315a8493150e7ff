"""Task state rules and the full-text search index."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from tasks_app.models import Status, Task, seconds_left_at_measured_speed
from tasks_app.services import search


def test_a_todo_moves_by_hand_but_a_transcription_does_not(
    alice: User, make_task: Callable[..., Task]
) -> None:
    todo = make_task(alice)
    audio = make_task(alice, file=True)
    assert todo.can_set_status(Status.COMPLETED)
    assert not todo.can_set_status(Status.PROCESSING)
    assert not todo.can_set_status(Status.FAILED)
    assert not audio.can_set_status(Status.COMPLETED)


def test_a_late_writer_never_overwrites_a_terminal_state(
    alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    assert Task.objects.transition(task.pk, [Status.PROCESSING], Status.CANCELLED)
    assert not Task.objects.transition(task.pk, [Status.PROCESSING], Status.COMPLETED)
    task.refresh_from_db()
    assert task.status == Status.CANCELLED
    assert task.completed_at is None


def test_completing_sets_completed_at(alice: User, make_task: Callable[..., Task]) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    assert Task.objects.transition(task.pk, [Status.PROCESSING], Status.COMPLETED)
    task.refresh_from_db()
    assert task.completed_at is not None


def test_search_uses_the_gin_index_on_postgres_and_icontains_elsewhere(
    alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Budget", transcript_text="the budget for next year")
    make_task(alice, title="Lunch")
    query = search(Task.objects.all(), "budget")
    assert list(query.values_list("title", flat=True)) == ["Budget"]
    if settings.IS_POSTGRES:
        with connection.cursor() as cursor:
            # Small tables are scanned sequentially; forbid that to see whether the index fits.
            cursor.execute("SET LOCAL enable_seqscan = off")
        # Without the model's ordering, so a scan of the created_at index is no alternative.
        assert "task_search_gin" in query.order_by().explain()
    else:
        assert "LIKE" in str(query.query)


def test_a_running_task_measures_the_time_left_from_its_own_pace(
    alice: User, make_task: Callable[..., Task]
) -> None:
    now = timezone.now()
    task = make_task(
        alice,
        file=True,
        status=Status.PROCESSING,
        progress=25,
        started_at=now - timedelta(seconds=60),
    )
    # A quarter in 60 s: three quarters take 180 s more.
    assert task.seconds_left(now) == 180
    task.progress = 0
    assert task.seconds_left(now) is None  # no pace measured yet


@pytest.mark.parametrize("progress", [0.01, 50, 98.5, 99, 99.99])
def test_the_time_left_never_reaches_zero_before_the_end(progress: float) -> None:
    now = timezone.now()
    for elapsed in (0.001, 1, 3600):
        left = seconds_left_at_measured_speed(progress, now - timedelta(seconds=elapsed), now)
        assert left is not None and left >= 1


def test_only_a_waiting_task_has_a_place_in_the_queue(
    alice: User, make_task: Callable[..., Task]
) -> None:
    assert make_task(alice, file=True, status=Status.PENDING).is_queued
    assert make_task(alice, file=True, status=Status.IN_PROGRESS).is_queued
    assert not make_task(alice, file=True, status=Status.PROCESSING).is_queued
    assert not make_task(alice, file=True, status=Status.COMPLETED).is_queued
    assert not make_task(alice, status=Status.IN_PROGRESS).is_queued  # a to-do


def test_a_finished_task_knows_its_processing_time_and_real_time_factor(
    alice: User, make_task: Callable[..., Task]
) -> None:
    now = timezone.now()
    task = make_task(
        alice,
        file=True,
        status=Status.COMPLETED,
        started_at=now - timedelta(seconds=4),
        completed_at=now,
    )
    assert task.processing_seconds == 4
    assert task.real_time_factor == 11 / 4  # jfk.flac is 11 s long
    task.status = Status.FAILED
    assert task.processing_seconds is None and task.real_time_factor is None
