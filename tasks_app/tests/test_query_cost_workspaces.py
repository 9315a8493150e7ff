"""The lists, polls and analytics cost the same number of queries for 5 tasks as for 25, spread
over three workspaces of different roles, with tags and assignees: the membership check is one
join, never a query per task or per workspace (bench/LOAD.md measures them under load)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Priority, Status, Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Membership, Role, Workspace
from tasks_app.workspaces.services import personal_workspace

STATUSES = [Status.COMPLETED, Status.FAILED, Status.PENDING, Status.PROCESSING]
PRIORITIES = list(Priority)


@pytest.fixture(autouse=True)
def warm_schedule(settings: Any) -> None:
    # As in a busy web process (see test_poll_cost): the queue schedule is computed once for
    # all the polls of a few seconds.
    settings.ETA_CACHE_SECONDS = 60


@pytest.fixture
def workspaces(alice: User, bob: User, team: Workspace) -> list[Workspace]:
    """alice's personal workspace (admin), the team (admin) and bob's "Desk" (viewer)."""
    desk = Workspace.objects.create(name="Desk", created_by=bob)
    Membership.objects.create(workspace=desk, user=bob, role=Role.ADMIN)
    Membership.objects.create(workspace=desk, user=alice, role=Role.VIEWER)
    return [personal_workspace(alice), team, desk]


def add_tasks(count: int, workspaces: list[Workspace], people: list[User]) -> list[Task]:
    tags = {
        workspace.pk: [
            Tag.objects.get_or_create(workspace=workspace, name=name)[0] for name in "ab"
        ]
        for workspace in workspaces
    }
    made = []
    for number in range(count):
        workspace = workspaces[number % len(workspaces)]
        task = Task.objects.create(
            user=people[number % len(people)],
            workspace=workspace,
            title=f"Task {number}",
            kind=Kind.TRANSCRIPTION,
            file_path=f"uploads/{number}.flac",
            status=STATUSES[number % len(STATUSES)],
            priority=PRIORITIES[number % len(PRIORITIES)],
            assignee=people[(number + 1) % len(people)],
        )
        task.tags.set(tags[workspace.pk][: number % 3])
        made.append(task)
    return made


ROUTES = [
    ("/api/v1/tasks?limit=100", "bearer"),
    ("/api/v1/tasks/{id}", "bearer"),
    ("/dashboard", "cookie"),
    ("/dashboard/tasks/{id}/status", "htmx"),
    ("/analytics?workspace={team}", "cookie"),
    ("/api/v1/analytics/overview", "bearer"),
    ("/api/v1/analytics/trends?workspace={team}", "bearer"),
    ("/api/v1/analytics/users?workspace={team}", "bearer"),
    ("/api/v1/analytics/export.csv", "bearer"),
]


@pytest.mark.parametrize(("route", "auth"), ROUTES)
def test_it_costs_the_same_queries_for_5_and_25_tasks(
    client: Client,
    alice: User,
    bob: User,
    dave: User,
    team: Workspace,
    workspaces: list[Workspace],
    route: str,
    auth: str,
) -> None:
    token = issue_tokens(alice)[0]
    headers = {"Authorization": f"Bearer {token}"} if auth == "bearer" else {}
    if auth != "bearer":
        client.cookies["access_token"] = token
    if auth == "htmx":
        headers["HX-Request"] = "true"
    people = [alice, bob, dave]
    first = add_tasks(5, workspaces, people)
    url = route.format(id=first[2].pk, team=team.pk)  # a waiting task: the poll goes on

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, response.content[:300]
        return len(queries)

    count()  # the first request of a process fills caches (the queue schedule, templates)
    few = count()
    add_tasks(20, workspaces, people)
    count()  # new waiting tasks make the queue schedule stale: it is computed again, once
    assert count() == few
