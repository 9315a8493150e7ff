"""POST /api/v1/tasks/bulk-update: one action on many tasks, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.integrations.models import Notification, TaskEvent
from tasks_app.models import Status, Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Workspace
from tasks_app.workspaces.services import personal_workspace

URL = "/api/v1/tasks/bulk-update"


@pytest.fixture
def two(alice: User, team: Workspace, make_task: Callable[..., Task]) -> list[Task]:
    return [make_task(alice, workspace=team, title=f"T{n}") for n in range(2)]


def send(client: APIClient, tasks: list[Task], action: str, **values: Any) -> Any:
    return client.post(
        URL, {"ids": [str(task.pk) for task in tasks], "action": action, **values}, format="json"
    )


def fresh(tasks: list[Task]) -> list[Task]:
    return [Task.objects.get(pk=task.pk) for task in tasks]


def test_it_assigns_many_and_tells_the_assignee_once_per_task(
    alice: User, bob: User, two: list[Task], api: Callable[..., APIClient]
) -> None:
    response = send(api(alice), two, "assign", assignee=str(bob.pk))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["updated"] == 2
    assert {task["assignee"]["username"] for task in body["tasks"]} == {"bob"}
    assert body["skipped"] == []
    assert Notification.objects.filter(user=bob, event=TaskEvent.Kind.ASSIGNED).count() == 2


def test_it_sets_priority(alice: User, two: list[Task], api: Callable[..., APIClient]) -> None:
    send(api(alice), two, "priority", priority="urgent")
    assert {task.priority for task in fresh(two)} == {"urgent"}


def test_it_tags_and_untags(
    alice: User, team: Workspace, two: list[Task], api: Callable[..., APIClient]
) -> None:
    press = Tag.objects.create(workspace=team, name="press")
    legal = Tag.objects.create(workspace=team, name="legal")
    two[0].tags.add(legal)
    send(api(alice), two, "tag", tags=[press.pk])
    assert [set(task.tags.all()) for task in fresh(two)] == [{press, legal}, {press}]
    send(api(alice), two, "untag", tags=[legal.pk, press.pk])
    assert [list(task.tags.all()) for task in fresh(two)] == [[], []]


def test_it_moves_to_another_workspace(
    alice: User, two: list[Task], api: Callable[..., APIClient]
) -> None:
    target = personal_workspace(alice)
    response = send(api(alice), two, "move", workspace=target.pk)
    assert response.status_code == 200
    assert {task.workspace for task in fresh(two)} == {target}


def test_it_cancels_what_can_be_and_reports_the_rest(
    alice: User, team: Workspace, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    waiting = make_task(alice, workspace=team, file=True, status=Status.PENDING)
    done = make_task(alice, workspace=team, file=True, status=Status.COMPLETED)
    body = send(api(alice), [waiting, done], "cancel").json()
    assert body["updated"] == 1
    assert [task["id"] for task in body["tasks"]] == [str(waiting.pk)]
    assert body["skipped"] == [{"id": str(done.pk), "reason": "The task is already Completed."}]
    assert [task.status for task in fresh([waiting, done])] == [Status.CANCELLED, Status.COMPLETED]


def test_it_deletes_to_the_trash(
    alice: User, two: list[Task], api: Callable[..., APIClient]
) -> None:
    assert send(api(alice), two, "delete").json()["updated"] == 2
    assert not Task.objects.filter(pk__in=[task.pk for task in two], deleted_at=None).exists()


def test_an_editor_may_and_a_viewer_may_not(
    bob: User, dave: User, two: list[Task], api: Callable[..., APIClient]
) -> None:
    response = send(api(dave), two, "priority", priority="low")
    assert response.status_code == 403
    assert "Viewer" in response.json()["detail"]
    assert send(api(bob), two, "priority", priority="low").status_code == 200


def test_a_stranger_learns_nothing(
    charlie: User, two: list[Task], api: Callable[..., APIClient]
) -> None:
    response = send(api(charlie), two, "delete")
    missing = str(uuid.uuid4())
    unknown = api(charlie).post(URL, {"ids": [missing], "action": "delete"}, format="json")
    assert response.status_code == unknown.status_code == 404
    assert response.json()["detail"].startswith("No such task:")
    assert response.json()["detail"] == f"No such task: {two[0].pk}, {two[1].pk}."
    assert unknown.json() == {"detail": f"No such task: {missing}.", "code": "not_found"}
    assert all(task.deleted_at is None for task in fresh(two))


def test_one_task_out_of_reach_stops_all(
    alice: User,
    charlie: User,
    two: list[Task],
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    theirs = make_task(charlie)
    assert send(api(alice), [*two, theirs], "priority", priority="low").status_code == 404
    assert {task.priority for task in fresh(two)} == {"medium"}


def test_a_value_that_does_not_suit_every_task_changes_none(
    alice: User, charlie: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    # A tag of the team cannot go on alice's personal task: nothing is tagged.
    press = Tag.objects.create(workspace=team, name="press")
    tasks = [make_task(alice, workspace=team), make_task(alice)]
    response = send(api(alice), tasks, "tag", tags=[press.pk])
    assert response.status_code == 400
    assert "tags" in response.json()
    assert [list(task.tags.all()) for task in fresh(tasks)] == [[], []]
    response = send(api(alice), tasks[:1], "assign", assignee=str(charlie.pk))
    assert response.status_code == 400
    assert response.json()["assignee"] == ["No such member in this workspace."]


@pytest.mark.parametrize(
    "body",
    [
        {"ids": [], "action": "delete"},
        {"ids": ["x"] * 101, "action": "delete"},
        {"action": "delete"},
        {"ids": ["x"], "action": "explode"},
        {"ids": ["x"], "action": "priority"},
        {"ids": ["x"], "action": "priority", "priority": "asap"},
        {"ids": ["x"], "action": "tag"},
        {"ids": ["x"], "action": "move"},
        {"ids": ["x"], "action": "assign"},
        {"ids": ["x"], "action": "assign", "assignee": "bob"},
    ],
)
def test_it_refuses_bad_requests_with_400(
    body: dict[str, Any], alice: User, api: Callable[..., APIClient]
) -> None:
    response = api(alice).post(URL, body, format="json")
    assert response.status_code == 400
