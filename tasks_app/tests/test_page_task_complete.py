"""POST /dashboard/tasks/<id>/complete: ticking a to-do off."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task


def test_it_completes_a_todo_and_returns_to_the_list(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Call Sara")
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(
        f"/dashboard/tasks/{task.pk}/complete", {"next": "/dashboard?status=PENDING"}
    )
    assert response["Location"] == "/dashboard?status=PENDING"
    task.refresh_from_db()
    assert task.status == Status.COMPLETED
    assert task.completed_at is not None


def test_it_ignores_a_next_url_on_another_site(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(
        f"/dashboard/tasks/{task.pk}/complete", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard"


def test_it_cannot_complete_a_transcription_by_hand(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/complete", follow=True)
    assert "follows its processing" in response.content.decode()
    task.refresh_from_db()
    assert task.status == Status.PROCESSING


def test_it_is_404_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    assert client.post(f"/dashboard/tasks/{task.pk}/complete").status_code == 404
    task.refresh_from_db()
    assert task.status == Status.PENDING
