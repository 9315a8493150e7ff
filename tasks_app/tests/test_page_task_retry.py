"""POST /dashboard/tasks/<id>/retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task


def test_it_queues_a_failed_transcription_again(
    client: Client, alice: User, make_task: Callable[..., Task], queues: Any
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, error_code="TIMEOUT")
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/retry")
    assert response["Location"] == f"/dashboard/tasks/{task.pk}"
    task.refresh_from_db()
    assert task.status in (Status.PENDING, Status.IN_PROGRESS)
    assert task.error_code == ""


def test_it_refuses_a_todo(client: Client, alice: User, make_task: Callable[..., Task]) -> None:
    task = make_task(alice, status=Status.CANCELLED)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/retry", follow=True)
    assert "This task cannot be retried." in response.content.decode()


def test_it_is_403_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    assert client.post(f"/dashboard/tasks/{task.pk}/retry").status_code == 403
    task.refresh_from_db()
    assert task.status == Status.FAILED
