"""GET /api/v1/tasks in teams: every workspace the user is in and nothing else, filtered by
workspace, assignee, tags, priority and overdue, ordered by priority, in a fixed number of
queries however many workspaces, tags and assignees the page holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Priority, Status, Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Membership, Role, Workspace
from tasks_app.workspaces.services import personal_workspace

URL = "/api/v1/tasks"


def titles(client: APIClient, **query: Any) -> list[str]:
    response = client.get(URL, {"ordering": "title", **query})
    assert response.status_code == 200, response.json()
    return [task["title"] for task in response.json()["tasks"]]


def test_a_member_sees_the_workspaces_tasks_and_nothing_else(
    alice: User,
    bob: User,
    charlie: User,
    dave: User,
    team: Workspace,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    make_task(alice, workspace=team, title="Team")
    make_task(alice, title="Alice's own")
    make_task(charlie, title="Charlie's own")
    assert titles(api(alice)) == ["Alice's own", "Team"]
    assert titles(api(bob)) == titles(api(dave)) == ["Team"]
    assert titles(api(charlie)) == ["Charlie's own"]


def test_it_filters_by_workspace(
    alice: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    make_task(alice, workspace=team, title="Team")
    make_task(alice, title="Own")
    assert titles(api(alice), workspace=team.pk) == ["Team"]
    assert titles(api(alice), workspace=personal_workspace(alice).pk) == ["Own"]


def test_a_workspace_the_user_is_not_in_is_a_400(
    charlie: User, team: Workspace, api: Callable[..., APIClient]
) -> None:
    response = api(charlie).get(URL, {"workspace": team.pk})
    assert response.status_code == 400
    assert response.json()["workspace"] == ["No such workspace."]


def test_it_filters_by_assignee(
    alice: User, bob: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    make_task(alice, workspace=team, title="Bob's", assignee=bob)
    make_task(alice, workspace=team, title="Alice's", assignee=alice)
    make_task(alice, workspace=team, title="Nobody's")
    assert titles(api(bob), assignee="me") == ["Bob's"]
    assert titles(api(bob), assignee=str(alice.pk)) == ["Alice's"]


def test_it_keeps_the_tasks_carrying_every_tag_asked_for(
    alice: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    press = Tag.objects.create(workspace=team, name="press")
    legal = Tag.objects.create(workspace=team, name="legal")
    make_task(alice, workspace=team, title="Both").tags.set([press, legal])
    make_task(alice, workspace=team, title="Press").tags.set([press])
    make_task(alice, workspace=team, title="None")
    assert titles(api(alice), tag=press.pk) == ["Both", "Press"]
    assert titles(api(alice), tag=[press.pk, legal.pk]) == ["Both"]


def test_it_filters_by_priority_and_orders_by_it(
    alice: User, api: Callable[..., APIClient], make_task: Any
) -> None:
    for priority in (Priority.LOW, Priority.URGENT, Priority.MEDIUM, Priority.HIGH):
        make_task(alice, title=priority.value, priority=priority)
    assert titles(api(alice), priority="high") == ["high"]
    assert titles(api(alice), ordering="-priority") == ["urgent", "high", "medium", "low"]
    assert titles(api(alice), ordering="priority") == ["low", "medium", "high", "urgent"]


def test_it_filters_overdue_todos(
    alice: User, api: Callable[..., APIClient], make_task: Any
) -> None:
    past = timezone.now() - dt.timedelta(days=1)
    make_task(alice, title="Late", due_date=past)
    make_task(alice, title="Done late", due_date=past, status=Status.COMPLETED)
    make_task(alice, title="Later", due_date=timezone.now() + dt.timedelta(days=1))
    make_task(alice, title="Whenever")
    assert titles(api(alice), overdue="true") == ["Late"]
    assert titles(api(alice), overdue="false") == ["Done late", "Later", "Whenever"]


@pytest.mark.parametrize(
    "query",
    [
        {"workspace": "newsroom"},
        {"assignee": "bob"},
        {"tag": "press"},
        {"priority": "asap"},
        {"overdue": "maybe"},
        {"ordering": "importance"},
    ],
)
def test_it_refuses_bad_filters_with_400_naming_the_field(
    query: dict[str, str], alice: User, api: Callable[..., APIClient]
) -> None:
    response = api(alice).get(URL, query)
    assert response.status_code == 400
    assert set(query) <= set(response.json())


def test_its_queries_do_not_grow_with_workspaces_tags_or_assignees(
    alice: User,
    bob: User,
    team: Workspace,
    api: Callable[..., APIClient],
    make_task: Any,
    django_assert_num_queries: Any,
) -> None:
    client = api(bob)
    make_task(alice, workspace=team)
    client.get(URL)
    # The user, and the page with each task's workspace, assignee and tags and the total.
    with django_assert_num_queries(2) as one:
        assert len(client.get(URL).json()["tasks"]) == 1
    workspaces = [team, personal_workspace(bob)]
    for number in range(2):
        workspace = Workspace.objects.create(name=f"Desk {number}")
        Membership.objects.create(workspace=workspace, user=bob, role=Role.EDITOR)
        workspaces.append(workspace)
    for index, workspace in enumerate(workspaces * 3):
        tag = Tag.objects.create(workspace=workspace, name=f"tag {index}")
        task = make_task(alice, workspace=workspace, assignee=bob if index % 2 else None)
        task.tags.add(tag)
    with django_assert_num_queries(len(one.captured_queries)):
        body = client.get(URL).json()
    assert len(body["tasks"]) == 13
    assert {task["workspace"] for task in body["tasks"]} == {w.pk for w in workspaces}
