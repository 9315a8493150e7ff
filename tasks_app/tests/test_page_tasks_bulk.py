"""POST /dashboard/bulk: the dashboard's bulk bar, a plain form that works without JavaScript and
runs the same service as POST /api/v1/tasks/bulk-update."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.integrations.models import Notification, TaskEvent
from tasks_app.models import Status, Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Workspace
from tasks_app.workspaces.services import personal_workspace

URL = "/dashboard/bulk"


def signed_in(client: Client, user: User) -> Client:
    client.cookies["access_token"] = issue_tokens(user)[0]
    return client


@pytest.fixture
def two(alice: User, team: Workspace, make_task: Any) -> list[Task]:
    return [make_task(alice, workspace=team, title=f"T{n}") for n in range(2)]


def post(client: Client, tasks: list[Task], action: str, **fields: Any) -> Any:
    data = {"ids": [str(task.pk) for task in tasks], "bulk-action": action, **fields}
    return client.post(URL, {"next": "/dashboard?sort=priority", **data})


def said(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def fresh(tasks: list[Task]) -> list[Task]:
    return [Task.objects.get(pk=task.pk) for task in tasks]


def test_it_assigns_and_goes_back_to_the_same_list(
    client: Client, alice: User, bob: User, two: list[Task]
) -> None:
    response = post(signed_in(client, alice), two, "assign", **{"bulk-assignee": str(bob.pk)})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard?sort=priority"
    assert said(response) == ["2 tasks changed."]
    assert {task.assignee for task in fresh(two)} == {bob}
    assert Notification.objects.filter(user=bob, event=TaskEvent.Kind.ASSIGNED).count() == 2


def test_it_sets_priority_tags_and_moves(
    client: Client, alice: User, team: Workspace, two: list[Task]
) -> None:
    signed_in(client, alice)
    post(client, two, "priority", **{"bulk-priority": "urgent"})
    press = Tag.objects.create(workspace=team, name="press")
    post(client, two, "tag", **{"bulk-tag": str(press.pk)})
    assert [(t.priority, list(t.tags.all())) for t in fresh(two)] == [("urgent", [press])] * 2
    target = personal_workspace(alice)
    post(client, two, "move", **{"bulk-workspace": str(target.pk)})
    assert [(t.workspace, list(t.tags.all())) for t in fresh(two)] == [(target, [])] * 2


def test_it_cancels_and_says_what_was_already_finished(
    client: Client, alice: User, team: Workspace, make_task: Any
) -> None:
    tasks = [
        make_task(alice, workspace=team, file=True, status=Status.PENDING),
        make_task(alice, workspace=team, file=True, status=Status.COMPLETED),
    ]
    response = post(signed_in(client, alice), tasks, "cancel")
    assert said(response) == ["1 task cancelled. 1 was already finished."]
    assert [task.status for task in fresh(tasks)] == [Status.CANCELLED, Status.COMPLETED]


def test_it_deletes_to_the_trash(client: Client, alice: User, two: list[Task]) -> None:
    response = post(signed_in(client, alice), two, "delete")
    assert said(response) == ["2 tasks moved to the Trash."]
    assert all(task.deleted_at is not None for task in fresh(two))


def test_a_viewer_is_refused_and_nothing_changes(
    client: Client, dave: User, two: list[Task]
) -> None:
    response = post(signed_in(client, dave), two, "delete")
    assert said(response) == ["Your role in this workspace (Viewer) cannot do this."]
    assert all(task.deleted_at is None for task in fresh(two))


def test_a_stranger_hears_only_that_there_is_no_such_task(
    client: Client, charlie: User, two: list[Task]
) -> None:
    response = post(signed_in(client, charlie), two, "delete")
    assert said(response) == [f"No such task: {two[0].pk}, {two[1].pk}."]
    assert all(task.deleted_at is None for task in fresh(two))


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        ("delete", {"ids": []}, "Tick the tasks to change first."),
        ("tag", {}, "Choose a tag."),
        ("assign", {"bulk-assignee": str(uuid.uuid4())}, "Select a valid choice."),
        ("explode", {}, "Select a valid choice."),
    ],
)
def test_it_explains_what_is_missing(
    client: Client, alice: User, two: list[Task], action: str, fields: dict, message: str
) -> None:
    response = post(signed_in(client, alice), two, action, **fields)
    assert response.status_code == 302
    assert said(response)[0].startswith(message)


def test_it_requires_login(client: Client, two: list[Task]) -> None:
    response = post(client, two, "delete")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
