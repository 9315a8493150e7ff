"""POST /dashboard/todos: a to-do without a file, from the dashboard."""

from __future__ import annotations

from typing import Any

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task
from tasks_app.workspaces.services import personal_workspace


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


def test_it_adds_the_todo_to_the_chosen_workspace(
    client: Client, alice: User, bob: User, dave: User, team: Any
) -> None:
    client.cookies["access_token"] = issue_tokens(bob)[0]
    assert "Newsroom" in client.get("/dashboard").content.decode()
    client.post("/dashboard/todos", {"title": "Call the source", "workspace": team.pk})
    assert Task.objects.get(title="Call the source").workspace == team
    # A viewer is not offered the team, where dave may not add: his to-do stays his own.
    client.cookies["access_token"] = issue_tokens(dave)[0]
    assert "Newsroom" not in client.get("/dashboard").content.decode().split("todo-heading")[1]
    client.post("/dashboard/todos", {"title": "Sneaky", "workspace": team.pk})
    assert Task.objects.get(title="Sneaky").workspace == personal_workspace(dave)
