"""POST /api/v1/tasks/<id>/cancel."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Status, Task


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/cancel"


@pytest.mark.parametrize("status", [Status.PENDING, Status.IN_PROGRESS, Status.PROCESSING])
def test_it_cancels_an_unfinished_transcription(
    status: Status, alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=status)
    response = api(alice).post(url(task))
    assert response.status_code == 202
    assert response.json()["status"] == "CANCELLED"
    task.refresh_from_db()
    assert task.status == Status.CANCELLED


def test_it_keeps_a_queued_task_from_ever_being_claimed(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.IN_PROGRESS)
    api(alice).post(url(task))
    # The worker's claim is this conditional UPDATE; after a cancel it finds nothing to move.
    assert not Task.objects.transition(task.pk, [Status.IN_PROGRESS], Status.PROCESSING)
    task.refresh_from_db()
    assert task.status == Status.CANCELLED


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.FAILED, Status.CANCELLED])
def test_it_refuses_to_cancel_a_finished_task(
    status: Status, alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=status)
    response = api(alice).post(url(task))
    assert response.status_code == 409
    assert response.json()["code"] == "not_cancellable"
    task.refresh_from_db()
    assert task.status == status
