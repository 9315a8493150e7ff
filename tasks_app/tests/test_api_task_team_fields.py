"""A task's workspace, assignee, priority, tags and overdue flag in the API: shown on every task,
set on create (POST /api/v1/tasks, POST /api/v1/tasks/bulk) and on change (PATCH/PUT
/api/v1/tasks/{id}), moved between workspaces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.integrations.models import Notification, TaskEvent
from tasks_app.models import Priority, Status, Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Membership, Role, Workspace
from tasks_app.workspaces.services import personal_workspace

URL = "/api/v1/tasks"


@pytest.fixture
def tags(team: Workspace) -> dict[str, Tag]:
    return {
        name: Tag.objects.create(workspace=team, name=name, color=color)
        for name, color in (("press", "#ff0000"), ("legal", "#00aa00"))
    }


@pytest.fixture
def archive(alice: User, bob: User) -> Workspace:
    """A second team: alice and bob edit it."""
    workspace = Workspace.objects.create(name="Archive", created_by=alice)
    for user in (alice, bob):
        Membership.objects.create(workspace=workspace, user=user, role=Role.EDITOR)
    return workspace


def assigned_notifications(user: User) -> list[Notification]:
    return list(Notification.objects.filter(user=user, event=TaskEvent.Kind.ASSIGNED))


def test_it_shows_the_team_fields_on_every_task(
    alice: User,
    bob: User,
    team: Workspace,
    tags: dict[str, Tag],
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(
        alice,
        workspace=team,
        assignee=bob,
        priority=Priority.URGENT,
        due_date=timezone.now() - dt.timedelta(days=1),
    )
    task.tags.set([tags["press"]])
    body = api(alice).get(f"{URL}/{task.pk}").json()
    assert body["workspace"] == team.pk
    assert body["workspace_name"] == "Newsroom"
    assert body["assignee"] == {"id": str(bob.pk), "username": "bob", "full_name": ""}
    assert body["priority"] == "urgent"
    assert body["tags"] == [{"id": tags["press"].pk, "name": "press", "color": "#ff0000"}]
    assert body["is_overdue"] is True


def test_a_new_task_goes_to_the_personal_workspace_unassigned_at_medium(
    alice: User, api: Callable[..., APIClient]
) -> None:
    body = api(alice).post(URL, {"title": "Call"}, format="json").json()
    assert body["workspace"] == personal_workspace(alice).pk
    assert body["workspace_name"] == "Personal"
    assert (body["assignee"], body["priority"], body["tags"]) == (None, "medium", [])
    assert body["is_overdue"] is False


def test_it_creates_a_task_in_a_team_with_assignee_priority_and_tags(
    alice: User,
    bob: User,
    team: Workspace,
    tags: dict[str, Tag],
    api: Callable[..., APIClient],
) -> None:
    data = {
        "title": "Fact-check",
        "workspace": team.pk,
        "assignee": str(bob.pk),
        "priority": "high",
        "tags": [tags["press"].pk, tags["legal"].pk],
    }
    response = api(alice).post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["workspace"], body["assignee"]["id"], body["priority"]) == (
        team.pk,
        str(bob.pk),
        "high",
    )
    assert [tag["name"] for tag in body["tags"]] == ["legal", "press"]
    [notification] = assigned_notifications(bob)
    assert notification.actor == alice
    assert str(notification.task_id) == body["id"]


def test_an_upload_takes_the_team_fields_as_form_fields(
    alice: User,
    bob: User,
    team: Workspace,
    tags: dict[str, Tag],
    api: Callable[..., APIClient],
    upload: Callable[..., SimpleUploadedFile],
) -> None:
    data = {
        "title": "Interview",
        "file": upload(".flac"),
        "workspace": str(team.pk),
        "assignee": str(bob.pk),
        "priority": "low",
        "tags": [str(tags["press"].pk), str(tags["legal"].pk)],
    }
    response = api(alice).post(URL, data, format="multipart")
    assert response.status_code == 202, response.json()
    task = Task.objects.get(pk=response.json()["id"])
    assert (task.workspace, task.assignee, task.priority) == (team, bob, "low")
    assert set(task.tags.all()) == set(tags.values())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("workspace", "nine"),
        ("workspace", 999999),
        ("assignee", "00000000-0000-0000-0000-000000000000"),
        ("assignee", "bob"),
        ("priority", "asap"),
        ("tags", [999999]),
        ("tags", "press"),
    ],
)
def test_it_refuses_bad_team_fields_on_create_with_400_naming_the_field(
    field: str, value: Any, alice: User, team: Workspace, api: Callable[..., APIClient]
) -> None:
    data = {"title": "Call", "workspace": team.pk, field: value}
    response = api(alice).post(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Task.objects.exists()


def test_it_refuses_an_assignee_outside_the_workspace(
    alice: User, charlie: User, team: Workspace, api: Callable[..., APIClient]
) -> None:
    data = {"title": "Call", "workspace": team.pk, "assignee": str(charlie.pk)}
    response = api(alice).post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json()["assignee"] == ["No such member in this workspace."]


def test_it_refuses_a_workspace_the_user_is_not_in_the_same_as_none(
    charlie: User, team: Workspace, api: Callable[..., APIClient]
) -> None:
    response = api(charlie).post(URL, {"title": "Call", "workspace": team.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["workspace"] == ["No such workspace."]


def test_a_viewer_cannot_create_in_the_workspace(
    dave: User, team: Workspace, api: Callable[..., APIClient]
) -> None:
    response = api(dave).post(URL, {"title": "Call", "workspace": team.pk}, format="json")
    assert response.status_code == 403


def test_bulk_create_takes_a_workspace_and_team_fields_per_item(
    alice: User, bob: User, team: Workspace, tags: dict[str, Tag], api: Callable[..., APIClient]
) -> None:
    data = {
        "workspace": team.pk,
        "tasks": [
            {"title": "One", "assignee": str(bob.pk), "tags": [tags["press"].pk]},
            {"title": "Two", "priority": "urgent"},
        ],
    }
    response = api(alice).post(f"{URL}/bulk", data, format="json")
    assert response.status_code == 201, response.json()
    one, two = response.json()["tasks"]
    assert (one["assignee"]["id"], [t["name"] for t in one["tags"]]) == (str(bob.pk), ["press"])
    assert (two["workspace"], two["priority"]) == (team.pk, "urgent")
    assert len(assigned_notifications(bob)) == 1


def test_bulk_create_refuses_an_assignee_outside_the_workspace(
    alice: User, charlie: User, team: Workspace, api: Callable[..., APIClient]
) -> None:
    data = {"workspace": team.pk, "tasks": [{"title": "One", "assignee": str(charlie.pk)}]}
    response = api(alice).post(f"{URL}/bulk", data, format="json")
    assert response.status_code == 400
    assert not Task.objects.exists()


def test_an_editor_assigns_and_the_assignee_is_told(
    alice: User, bob: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    task = make_task(alice, workspace=team)
    response = api(bob).patch(f"{URL}/{task.pk}", {"assignee": str(alice.pk)}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"]["username"] == "alice"
    [notification] = assigned_notifications(alice)
    assert (notification.actor, notification.task) == (bob, task)
    # Assigning the same person again tells nobody anything new.
    api(bob).patch(f"{URL}/{task.pk}", {"assignee": str(alice.pk)}, format="json")
    assert len(assigned_notifications(alice)) == 1


def test_assigning_oneself_notifies_nobody(
    alice: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    task = make_task(alice, workspace=team)
    api(alice).patch(f"{URL}/{task.pk}", {"assignee": str(alice.pk)}, format="json")
    assert task.__class__.objects.get(pk=task.pk).assignee == alice
    assert assigned_notifications(alice) == []


def test_null_unassigns(
    alice: User, bob: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    task = make_task(alice, workspace=team, assignee=bob)
    response = api(alice).patch(f"{URL}/{task.pk}", {"assignee": None}, format="json")
    assert response.json()["assignee"] is None


def test_it_changes_priority_and_replaces_the_tags(
    alice: User,
    team: Workspace,
    tags: dict[str, Tag],
    api: Callable[..., APIClient],
    make_task: Any,
) -> None:
    task = make_task(alice, workspace=team)
    task.tags.set([tags["press"]])
    data = {"priority": "urgent", "tags": [tags["legal"].pk]}
    body = api(alice).patch(f"{URL}/{task.pk}", data, format="json").json()
    assert body["priority"] == "urgent"
    assert [tag["name"] for tag in body["tags"]] == ["legal"]
    body = api(alice).patch(f"{URL}/{task.pk}", {"tags": []}, format="json").json()
    assert body["tags"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("assignee", "charlie"), ("priority", "asap"), ("tags", [999999]), ("workspace", 999999)],
)
def test_it_refuses_bad_changes_with_400(
    field: str,
    value: Any,
    alice: User,
    charlie: User,
    team: Workspace,
    api: Callable[..., APIClient],
    make_task: Any,
) -> None:
    task = make_task(alice, workspace=team)
    value = str(charlie.pk) if value == "charlie" else value
    response = api(alice).patch(f"{URL}/{task.pk}", {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    task.refresh_from_db()
    assert (task.assignee, task.priority, task.workspace) == (None, "medium", team)


def test_a_tag_of_another_workspace_is_refused(
    alice: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    elsewhere = Tag.objects.create(workspace=personal_workspace(alice), name="mine")
    task = make_task(alice, workspace=team)
    response = api(alice).patch(f"{URL}/{task.pk}", {"tags": [elsewhere.pk]}, format="json")
    assert response.status_code == 400
    assert "tags" in response.json()


def test_a_viewer_cannot_assign_and_a_stranger_finds_nothing(
    alice: User,
    charlie: User,
    dave: User,
    team: Workspace,
    api: Callable[..., APIClient],
    make_task: Any,
) -> None:
    task = make_task(alice, workspace=team)
    data = {"assignee": str(dave.pk)}
    assert api(dave).patch(f"{URL}/{task.pk}", data, format="json").status_code == 403
    assert (
        api(charlie).patch(f"{URL}/{task.pk}", {"priority": "low"}, format="json").status_code
        == 404
    )
    task.refresh_from_db()
    assert (task.assignee, task.priority) == (None, "medium")


def test_moving_keeps_a_member_assignee_and_drops_the_old_tags(
    alice: User,
    bob: User,
    team: Workspace,
    archive: Workspace,
    tags: dict[str, Tag],
    api: Callable[..., APIClient],
    make_task: Any,
) -> None:
    task = make_task(alice, workspace=team, assignee=bob)
    task.tags.set(tags.values())
    response = api(alice).patch(f"{URL}/{task.pk}", {"workspace": archive.pk}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["workspace"], body["assignee"]["username"], body["tags"]) == (
        archive.pk,
        "bob",
        [],
    )


def test_moving_unassigns_someone_who_is_not_in_the_new_workspace(
    alice: User, dave: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    task = make_task(alice, workspace=team, assignee=dave)
    target = personal_workspace(alice)
    body = api(alice).patch(f"{URL}/{task.pk}", {"workspace": target.pk}, format="json").json()
    assert (body["workspace"], body["assignee"]) == (target.pk, None)


def test_moving_needs_editor_in_the_target_too(
    alice: User, bob: User, team: Workspace, api: Callable[..., APIClient], make_task: Any
) -> None:
    task = make_task(alice, workspace=team)
    # bob edits the team but is no member of alice's personal workspace...
    target = personal_workspace(alice)
    response = api(bob).patch(f"{URL}/{task.pk}", {"workspace": target.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["workspace"] == ["No such workspace."]
    # ...and only a viewer of this one.
    viewed = Workspace.objects.create(name="Board")
    Membership.objects.create(workspace=viewed, user=bob, role=Role.VIEWER)
    response = api(bob).patch(f"{URL}/{task.pk}", {"workspace": viewed.pk}, format="json")
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.workspace == team


def test_a_done_todo_past_its_due_date_is_not_overdue(
    alice: User, api: Callable[..., APIClient], make_task: Any
) -> None:
    task = make_task(
        alice, due_date=timezone.now() - dt.timedelta(hours=1), status=Status.COMPLETED
    )
    assert api(alice).get(f"{URL}/{task.pk}").json()["is_overdue"] is False
