"""POST /api/v1/tasks/<id>/retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/retry"


@pytest.mark.parametrize("status", [Status.FAILED, Status.CANCELLED])
def test_it_requeues_a_failed_or_cancelled_transcription_once_after_commit(
    status: Status,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    queues: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    task = make_task(
        alice,
        file=True,
        status=status,
        error_code="DECODE_ERROR",
        error_message="Bad",
        progress=30,
        attempts=1,
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api(alice).post(url(task))
    assert response.status_code == 202
    assert len(callbacks) >= 1
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert (task.error_code, task.error_message, task.progress) == ("", "", 0)
    assert queues["media"].job_ids == [f"task-{task.pk}-2"]


@pytest.mark.parametrize(
    "status", [Status.PENDING, Status.IN_PROGRESS, Status.PROCESSING, Status.COMPLETED]
)
def test_it_refuses_to_retry_other_states(
    status: Status,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    queues: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, status=status)
    response = api(alice).post(url(task))
    assert response.status_code == 409
    assert response.json()["code"] == "not_retryable"
    task.refresh_from_db()
    assert task.status == status
    assert queues["media"].count == 0


def test_it_refuses_a_todo_and_a_task_whose_audio_was_purged(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    todo = make_task(alice, status=Status.CANCELLED)
    purged = make_task(alice, file=True, status=Status.FAILED, audio_purged_at=timezone.now())
    assert api(alice).post(url(todo)).status_code == 409
    assert api(alice).post(url(purged)).status_code == 409
