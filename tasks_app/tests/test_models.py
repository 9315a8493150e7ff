"""Task state rules and the full-text search index."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection

from accounts.models import User
from tasks_app.models import Status, Task
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
