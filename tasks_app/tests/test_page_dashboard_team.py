"""GET /dashboard in teams: every workspace's tasks, filtered by workspace, assignee, priority
and overdue, sorted by priority; cards that say who does it and how urgent it is; checkboxes and
write buttons only where the user may change the task."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Priority, Status, Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Membership, Role, Workspace


def signed_in(client: Client, user: User) -> Client:
    client.cookies["access_token"] = issue_tokens(user)[0]
    return client


def card_titles(body: str) -> list[str]:
    return re.findall(r'<h3 dir="auto"><a href="[^"]+">([^<]+)</a></h3>', body)


def card(body: str, task: Task) -> str:
    start = body.index(f'id="task-{task.pk}"')
    return body[start : body.index("</article>", start)]


def test_it_lists_every_workspaces_tasks_and_filters_by_one(
    client: Client, alice: User, bob: User, team: Workspace, make_task: Any
) -> None:
    make_task(alice, workspace=team, title="Team task")
    make_task(alice, title="Alice alone")
    make_task(bob, title="Bob alone")
    body = signed_in(client, alice).get("/dashboard").content.decode()
    assert set(card_titles(body)) == {"Team task", "Alice alone"}
    assert "All workspaces" in body and "Newsroom" in body
    body = client.get("/dashboard", {"workspace": team.pk}).content.decode()
    assert card_titles(body) == ["Team task"]


def test_a_workspace_not_ones_own_is_an_error_not_a_leak(
    client: Client, charlie: User, team: Workspace, alice: User, make_task: Any
) -> None:
    make_task(alice, workspace=team, title="Team task")
    make_task(charlie, title="Charlie's")
    body = signed_in(client, charlie).get("/dashboard", {"workspace": team.pk}).content.decode()
    assert "Team task" not in body
    assert 'id="filter-errors"' in body


def test_it_filters_assigned_to_me_priority_and_overdue(
    client: Client, alice: User, bob: User, team: Workspace, make_task: Any
) -> None:
    make_task(alice, workspace=team, title="For bob", assignee=bob)
    make_task(alice, workspace=team, title="Urgent", priority=Priority.URGENT)
    make_task(alice, workspace=team, title="Late", due_date=timezone.now() - dt.timedelta(days=1))
    signed_in(client, bob)
    assert card_titles(client.get("/dashboard", {"mine": "on"}).content.decode()) == ["For bob"]
    urgent = client.get("/dashboard", {"priority": "urgent"}).content.decode()
    assert card_titles(urgent) == ["Urgent"]
    assert card_titles(client.get("/dashboard", {"overdue": "on"}).content.decode()) == ["Late"]


def test_it_sorts_by_priority_most_urgent_first(
    client: Client, alice: User, make_task: Any
) -> None:
    for priority in (Priority.LOW, Priority.URGENT, Priority.MEDIUM, Priority.HIGH):
        make_task(alice, title=f"Task {priority.value}", priority=priority)
    body = signed_in(client, alice).get("/dashboard", {"sort": "priority"}).content.decode()
    assert card_titles(body) == ["Task urgent", "Task high", "Task medium", "Task low"]


def test_the_card_shows_priority_overdue_assignee_and_workspace(
    client: Client, alice: User, bob: User, team: Workspace, make_task: Any
) -> None:
    task = make_task(
        alice,
        workspace=team,
        priority=Priority.URGENT,
        assignee=bob,
        due_date=timezone.now() - dt.timedelta(hours=2),
    )
    body = card(signed_in(client, alice).get("/dashboard").content.decode(), task)
    assert "priority-urgent" in body and ">Urgent<" in body
    assert "Overdue" in body
    assert ">bob<" in body
    assert ">Newsroom<" in body
    # One workspace shown: the card need not say which.
    body = card(client.get("/dashboard", {"workspace": team.pk}).content.decode(), task)
    assert ">Newsroom<" not in body


def test_a_viewer_gets_no_checkbox_and_no_write_buttons(
    client: Client, alice: User, bob: User, dave: User, team: Workspace, make_task: Any
) -> None:
    task = make_task(alice, workspace=team, title="Team task")
    viewer = card(signed_in(client, dave).get("/dashboard").content.decode(), task)
    assert 'name="ids"' not in viewer
    assert "Mark done" not in viewer and "Edit" not in viewer and "Delete" not in viewer
    editor = card(signed_in(client, bob).get("/dashboard").content.decode(), task)
    assert 'name="ids"' in editor and 'form="bulk-form"' in editor
    assert "Mark done" in editor and "Edit" in editor and "Delete" in editor


def test_the_bulk_bar_offers_the_members_tags_and_workspaces_the_user_may_use(
    client: Client, alice: User, bob: User, dave: User, team: Workspace
) -> None:
    Tag.objects.create(workspace=team, name="press")
    body = signed_in(client, bob).get("/dashboard").content.decode()
    bar = body[body.index('id="bulk-form"') : body.index("</form>", body.index('id="bulk-form"'))]
    assert 'action="/dashboard/bulk"' in bar
    for name in ("Alice Owner", "bob", "dave", "press", "Newsroom", "Personal"):
        assert name in bar
    for action in ("assign", "priority", "tag", "move", "cancel", "delete"):
        assert f'name="bulk-action" value="{action}"' in bar


def test_the_task_page_shows_the_team_fields_and_hides_writes_from_a_viewer(
    client: Client, alice: User, bob: User, dave: User, team: Workspace, make_task: Any
) -> None:
    task = make_task(
        alice,
        workspace=team,
        assignee=bob,
        priority=Priority.HIGH,
        file=True,
        status=Status.PENDING,
    )
    url = f"/dashboard/tasks/{task.pk}"
    body = signed_in(client, dave).get(url).content.decode()
    for shown in ("Newsroom", ">High<", ">bob<"):
        assert shown in body
    for hidden in (f"{url}/edit", f"{url}/delete", f"{url}/cancel"):
        assert hidden not in body
    body = signed_in(client, bob).get(url).content.decode()
    for shown in (f"{url}/edit", f"{url}/delete", f"{url}/cancel"):
        assert shown in body


def test_an_overdue_todo_says_so_on_its_page(client: Client, alice: User, make_task: Any) -> None:
    task = make_task(alice, due_date=timezone.now() - dt.timedelta(days=1))
    assert "Overdue" in signed_in(client, alice).get(f"/dashboard/tasks/{task.pk}").content.decode()


def test_it_speaks_persian(client: Client, alice: User, team: Workspace, make_task: Any) -> None:
    make_task(alice, workspace=team, priority=Priority.URGENT)
    client.cookies["django_language"] = "fa"
    body = signed_in(client, alice).get("/dashboard").content.decode()
    for text in ("همهٔ فضاهای کاری", "کارهای من", "فوری", "با کارهای علامت‌خورده"):
        assert text in body


@pytest.fixture
def three_workspaces(alice: User, bob: User, team: Workspace, make_task: Any) -> None:
    workspaces = [team]
    for number in range(2):
        workspace = Workspace.objects.create(name=f"Desk {number}")
        for user in (alice, bob):
            Membership.objects.create(workspace=workspace, user=user, role=Role.EDITOR)
        workspaces.append(workspace)
    for index, workspace in enumerate(workspaces * 3):
        task = make_task(
            alice, workspace=workspace, assignee=bob if index % 2 else alice, priority="high"
        )
        task.tags.add(Tag.objects.create(workspace=workspace, name=f"tag {index}"))


def test_its_queries_do_not_grow_with_workspaces_tags_and_assignees(
    client: Client,
    alice: User,
    team: Workspace,
    make_task: Any,
    django_assert_num_queries: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> None:
    make_task(alice, workspace=team)
    signed_in(client, alice).get("/dashboard")
    with CaptureQueriesContext(connection) as one:
        client.get("/dashboard")
    request.getfixturevalue("three_workspaces")
    with django_assert_num_queries(len(one)):
        body = client.get("/dashboard").content.decode()
    assert len(card_titles(body)) == 10
