"""POST /dashboard/tasks/<id>/cancel."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task


def test_it_cancels_an_active_transcription(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/cancel", {"confirm": "1"})
    assert response["Location"] == f"/dashboard/tasks/{task.pk}"
    task.refresh_from_db()
    assert task.status == Status.CANCELLED
    assert "Task cancelled." in client.get(response["Location"]).content.decode()


def test_without_javascript_it_asks_on_a_page_first(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    # The page's dialog adds confirm=1; a browser without JavaScript posts without it.
    task = make_task(alice, file=True, status=Status.PROCESSING)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/cancel")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Stop this transcription?" in body
    assert f'action="/dashboard/tasks/{task.pk}/cancel"' in body
    assert '<input type="hidden" name="confirm" value="1">' in body
    assert f'href="/dashboard/tasks/{task.pk}"' in body
    task.refresh_from_db()
    assert task.status == Status.PROCESSING


def test_it_says_when_a_task_is_already_over(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.COMPLETED)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/cancel", {"confirm": "1"}, follow=True)
    assert "This task can no longer be cancelled." in response.content.decode()
    task.refresh_from_db()
    assert task.status == Status.COMPLETED


def test_it_is_404_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    assert client.post(f"/dashboard/tasks/{task.pk}/cancel").status_code == 404
    task.refresh_from_db()
    assert task.status == Status.PROCESSING


def test_it_only_accepts_post(client: Client, alice: User, make_task: Callable[..., Task]) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    assert client.get(f"/dashboard/tasks/{task.pk}/cancel").status_code == 405
