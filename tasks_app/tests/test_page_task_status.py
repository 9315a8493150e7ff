"""GET /dashboard/tasks/<id>/status: the partial the task page polls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task

HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def url(task: Task) -> str:
    return f"/dashboard/tasks/{task.pk}/status"


@pytest.mark.parametrize("status", [Status.PENDING, Status.IN_PROGRESS, Status.PROCESSING])
def test_it_keeps_polling_while_the_task_is_active(
    status: Status, alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=status)
    response = alice_client.get(url(task), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<div id="task-status"')
    assert f'hx-get="{url(task)}"' in body


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.FAILED, Status.CANCELLED])
def test_it_stops_the_poll_with_286_when_the_task_is_over(
    status: Status,
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
) -> None:
    task = make_task(alice, file=True, status=status, result=result)
    response = alice_client.get(url(task), headers=HTMX)
    assert response.status_code == 286
    body = response.content.decode()
    assert "hx-get" not in body
    assert "And so my fellow Americans," in body


def test_it_is_403_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    assert client.get(url(task), headers=HTMX).status_code == 403


def test_it_sends_the_whole_page_to_login_when_the_session_expired(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    page = f"/dashboard/tasks/{task.pk}"
    response = client.get(url(task), headers={**HTMX, "HX-Current-URL": f"http://testserver{page}"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login?next={page}"
    assert response.content == b""


def test_it_sends_the_page_to_its_404_when_the_task_was_deleted_meanwhile(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    Task.objects.filter(pk=task.pk).update(deleted_at=timezone.now())
    response = alice_client.get(url(task), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/dashboard/tasks/{task.pk}"
    assert alice_client.get(response["HX-Redirect"]).status_code == 404
