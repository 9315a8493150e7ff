"""GET and POST /dashboard/tasks/<id>/edit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.integrations.models import Notification, TaskEvent
from tasks_app.models import Status, Task


def signed_in(client: Client, user: User) -> Client:
    client.cookies["access_token"] = issue_tokens(user)[0]
    return client


def test_it_edits_a_todo_and_its_status(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Old")
    url = f"/dashboard/tasks/{task.pk}/edit"
    body = signed_in(client, alice).get(url).content.decode()
    assert 'value="Old"' in body and 'name="status"' in body
    response = client.post(url, {"title": "New", "description": "d", "status": "COMPLETED"})
    assert response["Location"] == f"/dashboard/tasks/{task.pk}"
    task.refresh_from_db()
    assert (task.title, task.description, task.status) == ("New", "d", Status.COMPLETED)


def test_it_offers_no_status_for_a_transcription(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    body = signed_in(client, alice).get(f"/dashboard/tasks/{task.pk}/edit").content.decode()
    assert 'name="status"' not in body


def test_it_shows_errors(client: Client, alice: User, make_task: Callable[..., Task]) -> None:
    task = make_task(alice)
    response = signed_in(client, alice).post(f"/dashboard/tasks/{task.pk}/edit", {"title": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_it_is_404_for_a_stranger(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Mine")
    response = signed_in(client, charlie).post(f"/dashboard/tasks/{task.pk}/edit", {"title": "X"})
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.title == "Mine"


def test_it_assigns_sets_priority_and_moves(
    client: Client, alice: User, bob: User, team: Any, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Story")
    url = f"/dashboard/tasks/{task.pk}/edit"
    body = signed_in(client, alice).get(url).content.decode()
    assert 'name="priority"' in body and 'name="assignee"' in body and "Newsroom" in body
    client.post(url, {"title": "Story", "status": "PENDING", "workspace": team.pk})
    client.post(
        url,
        {"title": "Story", "status": "PENDING", "priority": "urgent", "assignee": str(bob.pk)},
    )
    task.refresh_from_db()
    assert (task.workspace, task.priority, task.assignee) == (team, "urgent", bob)
    assert Notification.objects.filter(user=bob, event=TaskEvent.Kind.ASSIGNED).count() == 1


def test_it_offers_only_members_of_the_tasks_workspace(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    url = f"/dashboard/tasks/{task.pk}/edit"
    body = signed_in(client, alice).get(url).content.decode()
    assert "charlie" not in body
    response = client.post(url, {"title": "X", "status": "PENDING", "assignee": str(charlie.pk)})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.assignee is None


def test_a_viewer_cannot_open_the_edit_page(
    client: Client, alice: User, dave: User, team: Any, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team)
    assert signed_in(client, dave).get(f"/dashboard/tasks/{task.pk}/edit").status_code == 403
