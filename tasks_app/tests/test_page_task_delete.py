"""POST /dashboard/tasks/<id>/delete."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task


def test_it_moves_the_task_to_the_trash_and_returns_to_the_dashboard(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Old memo", file=True, status=Status.COMPLETED)
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(f"/dashboard/tasks/{task.pk}/delete")
    assert response["Location"] == "/dashboard"
    task.refresh_from_db()
    assert task.deleted_at is not None
    body = client.get("/dashboard").content.decode()
    assert "Task moved to the Trash." in body and "Old memo" not in body


def test_it_is_404_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    assert client.post(f"/dashboard/tasks/{task.pk}/delete").status_code == 404
    task.refresh_from_db()
    assert task.deleted_at is None
