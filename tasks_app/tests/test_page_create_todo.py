"""POST /dashboard/todos: a to-do without a file, from the dashboard."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task


def test_it_creates_a_todo(client: Client, alice: User) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post(
        "/dashboard/todos",
        {"title": "Buy a microphone", "description": "USB", "due_date": "2030-01-02T10:30"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"
    task = Task.objects.get(user=alice)
    assert (task.kind, task.status, task.title) == (Kind.TODO, Status.PENDING, "Buy a microphone")
    assert task.due_date is not None and task.due_date.year == 2030
    assert "To-do added." in client.get("/dashboard").content.decode()


def test_it_shows_the_error_for_a_missing_title(client: Client, alice: User) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.post("/dashboard/todos", {"title": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Task.objects.exists()


def test_it_requires_login(client: Client, db: None) -> None:
    response = client.post("/dashboard/todos", {"title": "x"})
    assert response["Location"].startswith("/login")
    assert not Task.objects.exists()
