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


def test_it_is_404_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    assert client.post(f"/dashboard/tasks/{task.pk}/retry").status_code == 404
    task.refresh_from_db()
    assert task.status == Status.FAILED


def test_its_confirmation_lasts_only_while_the_task_waits(
    client: Client, alice: User, make_task: Callable[..., Task], queues: Any
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, attempts=1)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    body = client.post(f"/dashboard/tasks/{task.pk}/retry", follow=True).content.decode()
    # Said by the status panel, which the page polls, not by a flash message that would stay
    # on screen after the task has started.
    assert 'id="queued-again"' in body and "Task queued again." in body
    assert 'class="messages"' not in body
    Task.objects.filter(pk=task.pk).update(status=Status.PROCESSING, attempts=2)
    status = client.get(f"/dashboard/tasks/{task.pk}/status", headers={"HX-Request": "true"})
    assert "Task queued again." not in status.content.decode()
